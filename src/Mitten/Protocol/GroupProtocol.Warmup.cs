using Mitten.Checkpoint.Communication;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

/// <summary>
/// What <see cref="ProtocolWarmup"/> runs once on an original rank before the application
/// starts: the parts of a synchronization that need no other process, on data that cannot
/// reach the group. Compiling a method ahead (PrepareMethod) does not cover the generic
/// instantiations and one-time caches a migration meets (an enum's value table on its first
/// decode, a list of tuples, an empty received-message-list's enumerator); running the code
/// does. Without it each of them cost the JIT's 0.1-0.3 ms inside the protocol part.
/// </summary>
internal sealed partial class GroupProtocol
{
    /// <summary>
    /// Encodes and decodes every control message, builds a report and the leader's consistency
    /// decision on a synthetic session (every process "arrived"), and serializes a
    /// received-message-list. Sends nothing, changes nothing of this process's state.
    /// </summary>
    internal void ExerciseSynchronization()
    {
        ControlMessage[] messages =
        [
            new MigrationCommand(0, Rank, Superstep, SyncMode.Migration, "host"),
            new SyncReport(0, ReportKind.Blocked, 0, BlockedOperation.Receive, Collectives, Superstep, 0, "0\nkey 1"),
            new WakeRequest(0, Rank),
            new Wake(0),
            new SyncEnd(0, true, ""),
            new GroupDecision(0, DecisionKind.Commit, "port"),
            new Resumed(0),
            new ForwardedRequest(Rank, "host", "request"),
            new ControlMarker(0),
        ];
        Span<long> header = stackalloc long[ControlCodec.HeaderLength];
        foreach (ControlMessage message in messages)
        {
            byte[] text = ControlCodec.Encode(message, header);
            _ = ControlCodec.Decode(message.Tag, header, text);
        }

        var session = new SynchronizationSession(new MigrationCommand(0, Rank, Superstep, SyncMode.Migration, ""), Size, null);
        session.StartCollecting(Size, Rank);
        string channels = DescribeChannelsForReport();
        for (int i = 0; i < Size; i++)
        {
            if (i != Rank)
            {
                session.Reports[i] = new SyncReport(0, ReportKind.Arrived, -1, BlockedOperation.None, Collectives, Superstep, 0, channels);
            }
        }
        _ = ConsistencyProblem(session);
        _ = DerivedCountsIn(new SyncReport(0, ReportKind.Arrived, -1, BlockedOperation.None, 0, 0, 0, "0\nkey 1"));

        // The generic instantiations the steps use: the drain's and resume's "every peer seen"
        // test, the migration's timeline (a list of tuples, copied into the report), the derived
        // channels' table.
        _ = Array.IndexOf(new bool[2], false);
        var phases = new List<(string Phase, double Seconds)>();
        phases.Add(("", 0));
        phases.Add(("", 0));
        _ = phases.ToList();
        foreach ((string phase, double seconds) in phases)
        {
            _ = new PhaseTime(phase, seconds);
        }
        _ = derived.Values.Count;

        // The moving rank's header, as a migration builds it (with this job's spare table and,
        // when a spare of a pool could replace this rank, the pool's members), written and read
        // back: JSON of real lengths and characters, not of an empty sample.
        List<int>? poolMembers = null;
        int poolId = -1;
        foreach (Spares.SpareInfo spare in Spares)
        {
            if (PoolMembersReplacingMe(spare) is { } members)
            {
                (poolMembers, poolId) = (members, spare.Pool);
                break;
            }
        }
        WarmHeaderCode(BuildHeader(session, GroupComm.Mpi.ProcessorName, "shm:1:1", poolId, poolMembers));
        _ = UnavailableSpares();

        // What a spawn passes on (read from /proc once, here rather than inside a migration).
        using (GroupComm.Info info = GroupComm.Info.Create())
        {
            SetSpawnEnvironment(info, replacement: true);
        }

        ExerciseReceivedMessageList();
    }

    /// <summary>
    /// False with MITTEN_WARM_DRAIN=0: the drain's bookkeeping is not run at start-up
    /// (<see cref="ExerciseDrainBookkeeping"/>) and the binding's operation and datatype methods
    /// are not compiled ahead (ProtocolWarmup), so a migration meets them first (for comparing).
    /// </summary>
    internal static bool WarmDrain => Environment.GetEnvironmentVariable("MITTEN_WARM_DRAIN") != "0";

    /// <summary>
    /// The drain's and the resume's own bookkeeping, run once before the application starts, when
    /// it has nothing to act on: no request of the application is live yet, so there is no
    /// receive to cancel or post again and no send to complete; the channels are listed and a
    /// marker table sized but nothing is sent; the spares are searched for a host and an id no
    /// spare has. What this runs first is otherwise looked up or compiled inside the freeze (the
    /// ReadyToRun image's entry points of List&lt;int&gt;'s sort and copy, the Linq iterators
    /// over the spare table, the arrays' types, the deadline's arithmetic): measured with
    /// scripts/dev/jit-events (bench/RESULTS.md, "jit18"). Off with MITTEN_WARM_DRAIN=0.
    /// </summary>
    internal void ExerciseDrainBookkeeping()
    {
        if (!WarmDrain || Requests.LiveInStartOrder().Length != 0)
        {
            return; // a live request would be acted on: never here
        }
        var deadline = Deadline.After(ProtocolTimeouts.Step, "the warm-up");
        ParkOutstandingReceives();
        CompleteOutstandingSends(deadline);
        RepostParkedReceives();
        List<Channel> channels = LiveChannels();
        var markers = new RequestHandle[channels.Count][];
        for (int c = 0; c < channels.Count; c++)
        {
            markers[c] = new RequestHandle[channels[c].Size];
        }
        GC.KeepAlive(markers);
        // The spare searches of the take, the commit and the joining ranks (a host name and an id no spare has).
        _ = SparesToTry("").FirstOrDefault();
        _ = Spares.Exists(s => !s.Unavailable);
        MarkUnavailable("-1");
        Thread.Yield(); // the drain's pause
    }

    /// <summary>
    /// What the moving rank does with its drained messages and the replacement with what arrives:
    /// an empty and a one-message list serialized, read back and put in front of another.
    /// </summary>
    private static void ExerciseReceivedMessageList()
    {
        var drained = new ReceivedMessageList();
        _ = ReceivedMessageList.Deserialize(drained.Serialize());
        drained.Append(0, 0, [1]);
        var received = new ReceivedMessageList();
        received.PrependAll(ReceivedMessageList.Deserialize(drained.Serialize()));
    }

    /// <summary>
    /// What a spare does first when it becomes a replacement, once while it is idle: the
    /// received-message-list read back and put in front of an empty one (its checksum included),
    /// and both ends of the same-host state channel on a file of its own. No MPI, no application data.
    /// </summary>
    internal static void ExerciseReplacementPath()
    {
        ExerciseReceivedMessageList();
        ProtocolWarmup.ExerciseStateChannels();
    }
}
