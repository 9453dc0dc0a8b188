using System.Diagnostics;
using System.Text;
using Mitten.GroupComm;

namespace Mitten.Protocol;

internal sealed partial class GroupProtocol
{
    // State of the synchronization in progress (patent 002, Figs. 5, 7 and 9).
    private bool inSync;
    private long syncId;
    private int migratingRank = -1;
    private long globalSuperstep;
    private string targetHost = "";
    private MigrationRequest? currentRequest;
    private string? checkpointDirectory; // set when this synchronization takes a checkpoint instead of moving a rank
    private long protocolTicks;
    private bool resumeAcknowledgementDue;
    private static long migrationCounter;

    /// <summary>
    /// Pj, at a migration point with a request: take the group's migration lock (so two
    /// migrations never interleave), freeze every rank's superstep atomically and take the
    /// maximum as the global superstep, then tell everyone (MIG_CMD).
    /// </summary>
    private void TryInitiate()
    {
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(Rank, $"request {requests.Peek().Id} taken at superstep {Superstep}: locking and freezing");
        }
        if (!window.TryLockMigration(Rank))
        {
            return; // another migration holds the lock; this process will see the flag and join it
        }
        currentRequest = requests.Dequeue();
        long start = Stopwatch.GetTimestamp();
        syncId = ((long)Rank << 40) | (uint)Environment.ProcessId << 8 | (byte)Interlocked.Increment(ref migrationCounter);
        migratingRank = Rank;
        checkpointDirectory = currentRequest.CheckpointDirectory;
        targetHost = checkpointDirectory ?? currentRequest.Host ?? Mpi.ProcessorName;
        protocolTicks = 0;
        job?.AppendEvent("migration_start", Rank, syncId, currentRequest.Id, $"\"to\":\"{targetHost}\"");
        globalSuperstep = window.FreezeAll(Size);
        inSync = true;
        markerSeen = new bool[Size];
        ResetReports();
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(Rank, $"initiate {syncId}: superstep {Superstep} collectives {Collectives} global {globalSuperstep} to {targetHost}");
        }
        byte[] host = Encoding.UTF8.GetBytes(targetHost);
        Span<long> command = [syncId, Rank, globalSuperstep, host.Length, checkpointDirectory is null ? 0 : 1, 0, 0, 0];
        for (int i = 0; i < Size; i++)
        {
            if (i != Rank)
            {
                control.Send<long>(command, i, ControlTag.MigCmd);
                control.Send<byte>(host, i, ControlTag.MigCmd + ControlTag.Payload);
            }
        }
        protocolTicks += Stopwatch.GetTimestamp() - start;
        TracePhase("freeze and MIG_CMD", start);
        WriteStatus("migrating");
    }

    /// <summary>A process that found its superstep frozen learns who migrates and the global superstep.</summary>
    private void EnterSynchronization()
    {
        Status status = control.Recv<long>(message, Mpi.AnySource, ControlTag.MigCmd);
        syncId = message[0];
        migratingRank = (int)message[1];
        globalSuperstep = message[2];
        byte[] host = new byte[message[3]];
        control.Recv<byte>(host, status.Source, ControlTag.MigCmd + ControlTag.Payload);
        targetHost = Encoding.UTF8.GetString(host);
        checkpointDirectory = message[4] == 1 ? targetHost : null;
        inSync = true;
        markerSeen = new bool[Size];
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(Rank, $"sync {syncId} from {migratingRank}: superstep {Superstep} collectives {Collectives} global {globalSuperstep}");
        }
        WriteStatus("synchronizing");
    }

    /// <summary>This process reached the global superstep at a migration point.</summary>
    private void StopAtGlobalSuperstep()
    {
        if (Rank == migratingRank)
        {
            CoordinateMigration();
            return;
        }
        SendReport(ReportKind.Arrived, -1, BlockedOperation.None);
        (bool proceed, _) = WaitForEnd();
        if (proceed)
        {
            DrainAndRebuild();
        }
        else
        {
            EndSynchronization();
        }
        if (resumeAcknowledgementDue)
        {
            // The caller advances and republishes the superstep first (see MigrationPoint).
            AcknowledgeResume(Superstep + 1); // stopped at a migration point: it continues with the next superstep
        }
    }

    private void SendReport(ReportKind kind, int peer, BlockedOperation operation)
    {
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(Rank, $"report {kind} peer {peer} superstep {Superstep} collectives {Collectives}");
        }
        Span<long> report = [syncId, (long)kind, peer, (long)operation, Collectives, Superstep, Requests.LiveReceives, 0];
        control.Send<long>(report, migratingRank, ControlTag.Report);
    }

    /// <summary>
    /// Waits for MIG_END, forwarding wake-ups meanwhile (MIG_WAKE Pk: this process is the
    /// partner Pk waits for, so it wakes Pk). Returns the verdict.
    /// </summary>
    private (bool Proceed, string Reason) WaitForEnd()
    {
        while (true)
        {
            if (control.Iprobe(Mpi.AnySource, Mpi.AnyTag, out Status status))
            {
                control.Recv<long>(message, status.Source, status.Tag);
                if (HandleControlMessage(status, out bool ended, out bool proceed, out string reason) && ended)
                {
                    return (proceed, reason);
                }
                continue;
            }
            DrainArrivals();
            Thread.Yield();
        }
    }

    private bool[] markerSeen = [];

    /// <summary>
    /// While stopped, take what arrives on the application communicator into the
    /// received-message-list (patent 000: everything that arrives goes into the list), so a
    /// process sending to a stopped one is never blocked by the stop. A drain marker that
    /// arrives this early is remembered for the drain.
    /// </summary>
    private void DrainArrivals()
    {
        while (app.Iprobe(Mpi.AnySource, Mpi.AnyTag, out Status status))
        {
            byte[] payload = new byte[status.GetCount<byte>()];
            app.Recv<byte>(payload, status.Source, status.Tag);
            if (!TookMarker(status))
            {
                Received.Append(status.Source, status.Tag, payload);
            }
        }
    }

    /// <summary>
    /// Acts on one control message already received into <see cref="message"/>. Returns true
    /// when it belonged to the current synchronization; <paramref name="ended"/> is set by MIG_END.
    /// </summary>
    private bool HandleControlMessage(Status status, out bool ended, out bool proceed, out string reason)
    {
        ended = false;
        proceed = false;
        reason = "";
        switch (status.Tag)
        {
            case ControlTag.MigWake when message[0] == syncId:
                Span<long> wake = [syncId, 0, 0, 0, 0, 0, 0, 0];
                control.Send<long>(wake, (int)message[1], ControlTag.Wake);
                return true;
            case ControlTag.MigEnd when message[0] == syncId:
                ended = true;
                proceed = message[1] == 1;
                byte[] text = new byte[message[2]];
                control.Recv<byte>(text, status.Source, ControlTag.MigEnd + ControlTag.Payload);
                reason = Encoding.UTF8.GetString(text);
                return true;
            case ControlTag.Request:
                byte[] bytes = new byte[message[1]];
                control.Recv<byte>(bytes, status.Source, ControlTag.Request + ControlTag.Payload);
                string[] parts = Encoding.UTF8.GetString(bytes).Split('\n');
                requests.Enqueue(new MigrationRequest(parts[1], Rank, parts[0].Length == 0 ? null : parts[0], Stopwatch.GetTimestamp()));
                return false;
            case ControlTag.Wake:
                return message[0] == syncId;
            default:
                return false; // a stale message of an earlier synchronization
        }
    }

    /// <summary>
    /// Pj at the global superstep (Fig. 9): collect every process's report until each has
    /// arrived or is blocked, check that the stop is consistent, wake the blocked ones
    /// (itself, or through their partner with MIG_WAKE), send MIG_END, drain, and rebuild.
    /// </summary>
    private void CoordinateMigration()
    {
        // Waiting here is the others computing up to the global superstep: it belongs to the
        // synchronization time, not to the protocol's own cost (freeze, announcements, wake-ups,
        // MIG_END, drain), which the steps themselves add to protocolTicks.
        while (!CollectReports(blocking: true))
        {
        }
        EndCoordination(coordinatorBlockedReason: null);
    }

    private ReportKind[] reportState = [];
    private long[] reportCollectives = [];
    private int[] reportOutstandingReceives = [];
    private int settledCount;

    private void ResetReports()
    {
        reportState = new ReportKind[Size];
        reportCollectives = new long[Size];
        reportOutstandingReceives = new int[Size];
        reportState[Rank] = ReportKind.Arrived;
        settledCount = 1;
    }

    /// <summary>
    /// Pj: takes one report (or waits for one when <paramref name="blocking"/>); true once
    /// every other process has arrived at the global superstep, is blocked, or is finishing.
    /// </summary>
    private bool CollectReports(bool blocking)
    {
        if (AllSettled())
        {
            return true;
        }
        Status status;
        if (blocking)
        {
            while (!control.Iprobe(Mpi.AnySource, Mpi.AnyTag, out status))
            {
                DrainArrivals();
                Thread.Yield();
            }
            control.Recv<long>(message, status.Source, status.Tag);
        }
        else if (control.Iprobe(Mpi.AnySource, Mpi.AnyTag, out status))
        {
            control.Recv<long>(message, status.Source, status.Tag);
        }
        else
        {
            return false;
        }
        if (status.Tag == ControlTag.Request)
        {
            HandleControlMessage(status, out _, out _, out _);
        }
        else if (status.Tag == ControlTag.Report && message[0] == syncId)
        {
            int from = status.Source;
            reportState[from] = (ReportKind)message[1];
            reportCollectives[from] = message[4];
            reportOutstandingReceives[from] = (int)message[6];
            if (ProtocolTrace.Enabled)
            {
                ProtocolTrace.Write(Rank, $"got {reportState[from]} from {from} collectives {reportCollectives[from]} superstep {message[5]}");
            }
        }
        return AllSettled();
    }

    /// <summary>Evaluated against Pj's collective count now (it changes while Pj still runs toward the global superstep).</summary>
    private bool AllSettled()
    {
        settledCount = 0;
        for (int i = 0; i < Size; i++)
        {
            settledCount += i == Rank || IsSettled(i) ? 1 : 0;
        }
        return settledCount >= Size;
    }

    /// <summary>
    /// Whether <paramref name="rank"/>'s last report settles it. A blocked report counts only
    /// when its collective count equals Pj's: a process that has completed fewer collectives
    /// than Pj (stopped or blocked itself) cannot be waiting for good, because Pj finished a
    /// collective it has not entered; that report is stale (an Unblocked is on its way).
    /// </summary>
    private bool IsSettled(int rank) => reportState[rank] switch
    {
        ReportKind.Arrived or ReportKind.Finishing => true,
        ReportKind.Blocked => reportCollectives[rank] == Collectives,
        _ => false,
    };

    /// <summary>
    /// Pj, with every report in: decide, wake the blocked processes, send MIG_END, and go on
    /// (drain and rebuild) or roll back. A non-null <paramref name="coordinatorBlockedReason"/>
    /// means Pj itself is blocked outside a migration point, so the group cannot stop here.
    /// </summary>
    private void EndCoordination(string? coordinatorBlockedReason)
    {
        long start = Stopwatch.GetTimestamp();
        var state = reportState;
        var collectivesAt = reportCollectives;
        collectivesAt[Rank] = Collectives;
        string reason = coordinatorBlockedReason ?? "";
        reportOutstandingReceives[Rank] = Requests.LiveReceives;
        for (int i = 0; i < Size && reason.Length == 0; i++)
        {
            // A request does not travel with a process: the moving one (or, for a checkpoint,
            // every one) must have waited for its receives before the migration point.
            if (reportOutstandingReceives[i] > 0 && (i == Rank || checkpointDirectory is not null))
            {
                reason = $"rank {i} has {reportOutstandingReceives[i]} non-blocking receive(s) not yet waited for at its migration point; " +
                         $"a request does not travel with a {(checkpointDirectory is null ? "migrating process" : "checkpoint")}, so wait for receives before the migration point";
                break;
            }
            if (state[i] == ReportKind.Finishing)
            {
                reason = $"the job is finishing (rank {i} has left its last migration point)";
            }
            else if (collectivesAt[i] != Collectives)
            {
                reason = $"rank {i} {(state[i] == ReportKind.Blocked ? "is blocked after" : "stopped after")} {collectivesAt[i]} collective operations and rank {Rank} after {Collectives}: " +
                         "the program's collectives are not matched between migration points, so the group cannot stop consistently here";
            }
        }
        if (reason.Length == 0)
        {
            int[] blocked = Enumerable.Range(0, Size).Where(k => state[k] == ReportKind.Blocked).ToArray();
            var operations = window.ReadOperations(blocked);
            for (int b = 0; b < blocked.Length; b++)
            {
                int k = blocked[b];
                int peer = operations[b].Peer;
                Span<long> wake = [syncId, k, 0, 0, 0, 0, 0, 0];
                if (peer == Rank || peer < 0)
                {
                    control.Send<long>(wake, k, ControlTag.Wake);
                }
                else
                {
                    control.Send<long>(wake, peer, ControlTag.MigWake);
                }
            }
        }
        SendToOthers(ControlTag.MigEnd, reason.Length == 0 ? 1 : 0, reason);
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(Rank, $"MIG_END {(reason.Length == 0 ? "proceed" : "abort: " + reason)}");
        }
        protocolTicks += Stopwatch.GetTimestamp() - start;
        TracePhase("decision, wake-ups and MIG_END", start);
        if (reason.Length > 0)
        {
            Mark("rolled_back");
            RecordOutcome(MigrationOutcome.RolledBack, reason);
            Console.Error.WriteLine($"mitten: rank {Rank}: migration {syncId} rolled back: {reason}");
            EndSynchronization();
            if (coordinatorBlockedReason is null)
            {
                AcknowledgeResume(Superstep + 1); // stopped at a migration point: it continues with the next superstep
            }
            return;
        }
        DrainAndRebuild();
        if (resumeAcknowledgementDue)
        {
            AcknowledgeResume(Superstep + 1); // stopped at a migration point: it continues with the next superstep
        }
    }

    private void TracePhase(string phase, long start)
    {
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(Rank, $"protocol step '{phase}' took {Stopwatch.GetElapsedTime(start).TotalMilliseconds:F3} ms");
        }
    }

    /// <summary>Sends a header [id, flag, textLength] and its text to every other process.</summary>
    private void SendToOthers(int tag, long flag, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        Span<long> header = [syncId, flag, bytes.Length, 0, 0, 0, 0, 0];
        for (int i = 0; i < Size; i++)
        {
            if (i != Rank)
            {
                control.Send<long>(header, i, tag);
                control.Send<byte>(bytes, i, tag + ControlTag.Payload);
            }
        }
    }

    /// <summary>Leaves the synchronization phase without a new group (abort or rollback).</summary>
    private void EndSynchronization()
    {
        inSync = false;
        resumeAcknowledgementDue = true;
        RepostParkedReceives();
    }

    /// <summary>
    /// After an abort or rollback every process republishes its superstep (clearing the flag),
    /// then tells Pj, which releases the migration lock only when all have: a later
    /// migration's freeze can therefore never be undone by a late reset.
    /// </summary>
    private void AcknowledgeResume(long publishSuperstep)
    {
        window.Reset(publishSuperstep);
        resumeAcknowledgementDue = false;
        Span<long> ack = [syncId, 0, 0, 0, 0, 0, 0, 0];
        if (Rank != migratingRank)
        {
            control.Send<long>(ack, migratingRank, ControlTag.Resumed);
        }
        else
        {
            long[] received = new long[8];
            for (int i = 1; i < Size; i++)
            {
                while (true)
                {
                    Status status = control.Recv<long>(received, Mpi.AnySource, Mpi.AnyTag);
                    if (status.Tag == ControlTag.Resumed && received[0] == syncId)
                    {
                        break;
                    }
                    if (status.Tag == ControlTag.Request)
                    {
                        received.CopyTo(message, 0);
                        HandleControlMessage(status, out _, out _, out _);
                    }
                }
            }
            window.UnlockMigration();
        }
        WriteStatus("running");
    }

    /// <summary>A process in its final barrier answers a synchronization: it cannot stop, so the migration is refused.</summary>
    private void AnswerWhileFinishing()
    {
        SendReport(ReportKind.Finishing, -1, BlockedOperation.None);
        WaitForEnd();
        EndSynchronization();
        AcknowledgeResume(Superstep);
    }
}
