using System.Diagnostics;
using System.Globalization;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

/// <summary>
/// Early markers to the leader (docs/PROTOCOL.md, step 4, "Early markers"; MITTEN_EARLY_MARKERS=1):
/// a rank that stops at the global superstep of a migration sends the leader its drain markers
/// right away, before its REPORT(Arrived), on every channel the two share and on the control channel, because
/// it sends the leader nothing more before the synchronization ends. The leader's drain then
/// needs nothing from the stopped ranks after MIG_END (only from blocked ones), so it does not
/// wait for every process to get a core once or twice after MIG_END. The stopped rank's drain
/// sends the leader no second marker. After an abort (no drain), the leader takes the early
/// markers before it resumes, so none is left for the application or a later drain.
/// </summary>
internal sealed partial class GroupProtocol
{
    /// <summary>MITTEN_EARLY_MARKERS=1 turns early markers on (off by default).</summary>
    internal static readonly bool EarlyMarkers = Environment.GetEnvironmentVariable("MITTEN_EARLY_MARKERS") == "1";

    /// <summary>
    /// MITTEN_EARLY_DRAIN_NAP_US: how a rank that sent early markers waits from then on until the
    /// decision (docs/PROTOCOL.md step 4, "A quiet wait after early markers"): for MIG_END, in its
    /// own drain and for DECISION it sleeps this many microseconds between polls, after the first
    /// <see cref="QuietDrainSpinTicks"/> of the wait for MIG_END and of the drain (default 0: it
    /// yields between polls, as the leader does). Nothing of it is on the leader's path any more
    /// (the leader needs nothing more from it), and it runs while the leader takes the spare and
    /// streams its state on the same cores. Measured slower than yielding with 1000 (session 16,
    /// bench/RESULTS.md "markers16b"): a napping rank that wakes every millisecond takes the core
    /// from the leader and the spare more than one that yields.
    /// </summary>
    internal static readonly int EarlyDrainNapMicroseconds =
        int.TryParse(Environment.GetEnvironmentVariable("MITTEN_EARLY_DRAIN_NAP_US"), NumberStyles.None, CultureInfo.InvariantCulture, out int us) ? Math.Min(us, 100_000) : 0;

    /// <summary>How long a quiet wait yields before it naps (100 us).</summary>
    private static readonly long QuietDrainSpinTicks = Stopwatch.Frequency / 10_000;

    /// <summary>Non-zero while this rank's waits are off the leader's path (MIG_END, the drain): when the wait began (a timestamp).</summary>
    private long quietDrainSince;

    /// <summary>One pause of a wait: a nap in a quiet wait past its first 100 us, else a yield.</summary>
    private void DrainPause()
    {
        if (quietDrainSince != 0 && Stopwatch.GetTimestamp() - quietDrainSince > QuietDrainSpinTicks)
        {
            _ = usleep((uint)EarlyDrainNapMicroseconds);
            return;
        }
        Thread.Yield();
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "usleep")]
    private static extern int usleep(uint microseconds);

    /// <summary>The early markers' sends, completed in this rank's drain.</summary>
    private RequestHandle[] earlyMarkerSends = [];

    /// <summary>
    /// A rank stopped at the global superstep of a migration, just before its REPORT(Arrived): its
    /// markers to the leader. The application channels' markers first, then the control marker,
    /// so a leader that has the control marker knows the others are sent.
    /// </summary>
    private unsafe void SendEarlyMarkersToLeader()
    {
        SynchronizationSession session = sync!;
        if (!EarlyMarkers || session.Mode != SyncMode.Migration || Rank == session.Leader)
        {
            return;
        }
        // Before the markers, so before the leader can decide (docs/PROTOCOL.md, "Prepared groups",
        // the superstep words): the drain stores the same value again.
        StagePreparedSupersteps(session.Leader, Superstep + 1);
        List<Channel> channels = LiveChannels();
        var sends = new List<RequestHandle>(channels.Count);
        foreach (Channel channel in channels)
        {
            int leader = channel.FromGroupRank(session.Leader);
            if (leader >= 0 && leader != channel.Rank)
            {
                sends.Add(RequestHandle.StartSend<byte>(channel.Communicator, null, 0, leader, ControlTag.DrainMarker));
            }
        }
        earlyMarkerSends = sends.ToArray();
        control.Send(new ControlMarker(session.Id), session.Leader);
        session.EarlyMarkersSent = true;
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(Rank, $"early markers sent to the leader (rank {session.Leader})");
        }
    }

    /// <summary>Whether this rank's waits from now until the decision are quiet (it sent early markers, and naps are on).</summary>
    private bool QuietAfterEarlyMarkers => sync is { EarlyMarkersSent: true } && EarlyDrainNapMicroseconds > 0;

    /// <summary>In this rank's drain: the early markers' sends complete (the leader drains them).</summary>
    private void WaitForEarlyMarkers(Deadline deadline)
    {
        for (int i = 0; i < earlyMarkerSends.Length; i++)
        {
            WaitWithin(ref earlyMarkerSends[i], deadline, sync!.Leader);
        }
        earlyMarkerSends = [];
    }

    /// <summary>
    /// The leader, resuming after an abort before any drain: waits for every rank's RESUMED (each
    /// rank sends it after its early markers, if it sent any, on the same control channel, so by
    /// then the control marker of every rank that sent early markers has been taken), then takes
    /// each such rank's application messages up to its marker on every channel they share, into
    /// the received-message-lists, while the synchronization still holds (a marker taken by a
    /// wildcard receive is recorded, not seen by the application). Returns the acknowledgements
    /// (every rank's), or null when there is nothing to take (early markers off, a checkpoint, or
    /// the drain ran: it took every marker).
    /// </summary>
    private bool[]? TakeEarlyMarkersAfterAbort(SynchronizationSession session)
    {
        if (!EarlyMarkers || session.Mode != SyncMode.Migration || session.DrainStarted)
        {
            return null;
        }
        bool[] acknowledged = new bool[Size];
        acknowledged[Rank] = true;
        var deadline = Deadline.After(ProtocolTimeouts.Step, "every rank's RESUMED");
        PollControlUntil(() => Array.IndexOf(acknowledged, false) < 0, deadline,
            () => Array.IndexOf(acknowledged, false), "RESUMED",
            (message, source) => message is Resumed resumed && resumed.SyncId == session.Id && (acknowledged[source] = true));
        ParkOutstandingReceives(); // a posted wildcard-tag receive could take a marker (it is recorded); reposted by EndSynchronization
        var markers = Deadline.After(ProtocolTimeouts.Step, "the early drain markers after an abort");
        foreach (Channel channel in LiveChannels())
        {
            for (int peer = 0; peer < channel.Size; peer++)
            {
                int rank = channel.ToGroupRank(peer);
                if (peer != channel.Rank && rank != Rank && session.ControlMarkerSeen[rank])
                {
                    TakeUntilMarker(channel, peer, markers);
                }
            }
            channel.ResetMarkers();
        }
        return acknowledged;
    }
}
