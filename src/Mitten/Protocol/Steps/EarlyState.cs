using System.Diagnostics;
using System.Globalization;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;
using Mitten.Protocol.Spares;

namespace Mitten.Protocol;

/// <summary>
/// The moving rank's early work (docs/PROTOCOL.md, "Early state"; MITTEN_EARLY_STATE=1 or stop turns it on; off by default):
/// <list type="number">
/// <item>At initiation (MIG_CMD sent), a free warm spare on the target host is taken (doorbell
/// TAKE and the intercommunicator, <see cref="TakeSpare"/>) and the state sender opened, before
/// the moving rank runs on to the global superstep.</item>
/// <item>At its stop at the global superstep (a migration point, no receive of the application
/// pending), the header goes to the spare and the application's section of the state is captured
/// and streamed on a thread of its own (shared-memory ring or TCP only: they make no MPI call),
/// while this thread collects the reports, decides, sends MIG_END and drains as before.</item>
/// <item>After the drain (<see cref="MigrateThisProcess"/>) the thread is joined (within the
/// restore and step limits), the final header goes out, and the received-message-list LAST.</item>
/// </list>
/// An abort (MIG_END abort) after the early take abandons the spare exactly as a rollback after a
/// take does (ABANDON, the spare leaves; it stays unavailable). A spawned replacement is never
/// started early (MPI_Comm_spawn is collective and blocking): only spares.
/// Thread safety: the capture thread touches only the sender (its transport and counters), the
/// application's state through the codec, and its own result fields, read after Join. The
/// application's thread is this thread, parked in the protocol until the resume (or the
/// rollback, which joins first), so the codec reads state nothing writes; a receive of the
/// application still pending (which MPI could complete into its memory during the drain)
/// keeps the capture on this thread after the drain, as before.
/// </summary>
internal sealed partial class GroupProtocol
{
    /// <summary>
    /// MITTEN_EARLY_STATE=1 (take at initiation) or stop (take at the stop) turns the early work on;
    /// unset or 0 keeps the order of take, capture and transfer after the drain. Off by default: on a
    /// quiet machine (2 cores, IS A/8, one spare, 5 rotating rounds) the total was 1.20 times the
    /// old order's (median of per-round ratios, 3 of 5 higher): on 2 cores the capture thread and
    /// the early take compete with the ranks the synchronization waits for. Loaded, it had measured
    /// 0.88 (5 of 8 pairs lower; bench/RESULTS.md, "early12" and "Session 13").
    /// </summary>
    internal static bool EarlyStateEnabled { get; } = Environment.GetEnvironmentVariable("MITTEN_EARLY_STATE") is "1" or "stop";

    /// <summary>
    /// MITTEN_EARLY_STATE=stop: the spare is taken at the moving rank's stop, just before the
    /// capture starts, instead of at initiation (then the take does not delay the moving rank's run
    /// to the global superstep, and the spare answers while the other ranks wait rather than compute).
    /// </summary>
    internal static bool TakeAtStop { get; } = Environment.GetEnvironmentVariable("MITTEN_EARLY_STATE") == "stop";

    private EarlyTransfer? early;

    /// <summary>A spare taken at initiation, its sender, and the capture thread started at the stop.</summary>
    private sealed class EarlyTransfer(long syncId, string host, SpareInfo spare, Communicator inter)
    {
        internal long SyncId { get; } = syncId;
        internal string Host { get; } = host;
        internal SpareInfo Spare { get; } = spare;
        internal Communicator Inter { get; } = inter;
        internal StateSender? Sender { get; set; }
        internal string? OpenFailure { get; set; }
        internal bool HeaderSent { get; set; }
        internal Thread? Capture { get; set; }
        internal Exception? CaptureFailure { get; set; }
        internal long CaptureStart { get; set; }
        internal long CaptureEnd { get; set; }
        internal int ListAtStop { get; set; }
    }

    /// <summary>The leader, right after MIG_CMD: takes a free spare on the target host and opens the sender (nothing when there is none: spawn later, as before).</summary>
    private void TakeSpareEarly(SynchronizationSession session, bool atStop = false)
    {
        if (!EarlyStateEnabled || TakeAtStop != atStop || early is not null || session.Mode != SyncMode.Migration || session.TargetHost is not { } host || !KnownHosts.Contains(host))
        {
            return;
        }
        Communicator? inter = TakeSpare(host, session, out SpareInfo? spare);
        if (inter is null || spare is null)
        {
            return; // none on the target host, or none could be taken: MigrateThisProcess spawns, as before
        }
        Mark("spare_taken");
        var e = new EarlyTransfer(session.Id, host, spare, inter);
        bool sameHost = IsThisHost(host);
        try
        {
            e.Sender = StateTransfer.OpenSender(inter, sameHost, spare.Pid);
        }
        catch (StateTransferException x)
        {
            e.OpenFailure = x.Message; // rolled back after the drain, as before
        }
        early = e;
        ProtocolTrace.Write(Rank, $"early: took {spare} at initiation, sender {e.Sender?.Channel ?? "none: " + e.OpenFailure}");
    }

    /// <summary>
    /// The leader at its stop at the global superstep (a migration point): the header, then the
    /// application's section on a thread of its own, when a spare was taken early, the route
    /// makes no MPI call, and no receive of the application is pending.
    /// </summary>
    private void StartEarlyCapture(SynchronizationSession session)
    {
        if (TakeAtStop && Requests.LiveReceives == 0)
        {
            TakeSpareEarly(session, atStop: true);
        }
        if (early is not { Sender: { } sender } e || e.SyncId != session.Id || sender is MpiChunkStateSender || Requests.LiveReceives != 0)
        {
            return;
        }
        SendHeader(session, e.Host, e.Inter, sender, e.Spare, finalHeaderFollows: true);
        e.HeaderSent = true;
        e.ListAtStop = Received.Count;
        sender.OffMainThread = true;
        e.CaptureStart = Stopwatch.GetTimestamp();
        e.Capture = new Thread(() =>
        {
            try
            {
                sender.SendApplicationState(captureApplicationState);
            }
            catch (Exception x)
            {
                e.CaptureFailure = x;
            }
            e.CaptureEnd = Stopwatch.GetTimestamp();
        })
        { IsBackground = true, Name = "mitten-state-capture" };
        e.Capture.Start();
    }

    /// <summary>The early transfer of this session, handed over (null when there is none).</summary>
    private EarlyTransfer? TakeEarlyTransfer(SynchronizationSession session)
    {
        EarlyTransfer? e = early;
        early = null;
        return e is not null && e.SyncId == session.Id ? e : null;
    }

    /// <summary>
    /// Waits for the capture thread, within the restore and step limits (its own waits end
    /// within the restore limit); false when it did not end (then its sender is left to it).
    /// </summary>
    private bool JoinCapture(EarlyTransfer e)
    {
        if (e.Capture is not { } thread)
        {
            return true;
        }
        bool ended = thread.Join(ProtocolTimeouts.Restore + ProtocolTimeouts.Step);
        if (ended)
        {
            e.Sender!.OffMainThread = false;
            if (ProtocolTrace.Enabled)
            {
                ProtocolTrace.Write(Rank, string.Create(CultureInfo.InvariantCulture,
                    $"early: application state captured in {Stopwatch.GetElapsedTime(e.CaptureStart, e.CaptureEnd).TotalMilliseconds:F1} ms on its thread, joined {Stopwatch.GetElapsedTime(e.CaptureEnd).TotalMilliseconds:F1} ms after it ended{(e.CaptureFailure is null ? "" : $" ({e.CaptureFailure.GetType().Name})")}"));
            }
        }
        return ended;
    }

    /// <summary>
    /// The leader, when the synchronization is aborted (MIG_END abort) after an early take: the
    /// capture thread (if any) is joined, and the spare abandoned as after a rollback following a take.
    /// </summary>
    private void AbandonEarlyTransfer()
    {
        if (early is not { } e)
        {
            return;
        }
        early = null;
        int readerPid = e.Sender?.ReaderPid is > 0 and var pid ? pid : e.Spare.Pid;
        AbandonReplacement(e.Inter, readerPid, e.Host); // the reader leaves, so a capture waiting for room ends too
        if (JoinCapture(e))
        {
            e.Sender?.Dispose();
        }
        TcpStateConnection.Drop(); // kept for a sender that was not opened
        ProtocolTrace.Write(Rank, $"early: {e.Spare} abandoned (the synchronization was aborted)");
    }
}
