using Mitten.Checkpoint.Communication;
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
