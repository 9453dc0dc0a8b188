using System.Diagnostics;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

/// <summary>
/// Step 2, collective synchronization (patent 002, Fig. 7): every process runs to the global
/// superstep and stops there (REPORT Arrived), or reports the point-to-point operation it is
/// blocked in; the leader collects the reports until every process is settled, checks that the
/// stop is consistent, wakes the blocked ones and ends the synchronization (MIG_END).
/// </summary>
internal sealed partial class GroupProtocol
{
    /// <summary>A process that found its superstep frozen learns who leads, why, and the global superstep.</summary>
    private void EnterSynchronization()
    {
        var deadline = Deadline.After(ProtocolTimeouts.Step, "MIG_CMD after this rank's superstep was frozen");
        MigrationCommand? command = null;
        while (command is null)
        {
            if (control.TryReceive(Mpi.AnySource, ControlTag.MigCmd, out ControlMessage message, out _))
            {
                command = (MigrationCommand)message;
            }
            else if (deadline.Expired)
            {
                EndJob(-1, deadline.Describe() + " (the rank that froze it is lost)");
            }
            else
            {
                Thread.Yield();
            }
        }
        sync = new SynchronizationSession(command, Size, request: null);
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(Rank, $"sync {sync.Id} ({sync.Mode}) led by {sync.Leader}: superstep {Superstep} collectives {Collectives} global {sync.GlobalSuperstep}");
        }
        WriteStatus("synchronizing");
    }

    /// <summary>This process reached the global superstep at a migration point.</summary>
    private void StopAtGlobalSuperstep()
    {
        if (Rank == sync!.Leader)
        {
            if (sync.Mode == SyncMode.Migration)
            {
                Mark("stopped"); // the moving rank's state is final from here (docs/PROTOCOL.md, "Early state")
                PreopenSpareRing(sync); // the spare's state ring opened and touched while this rank waits for the reports (StateRing.Preopen.cs)
                StartEarlyCapture(sync);
            }
            LeadAtGlobalSuperstep();
            return;
        }
        // Early markers before the report (Steps/EarlyMarkers.cs, MITTEN_EARLY_MARKERS): the leader
        // decides only with every report, and the control marker precedes this one's on the same
        // channel, so its drain never waits for a stopped rank's markers (docs/PROTOCOL.md step 4).
        SendEarlyMarkersToLeader();
        SendReport(ReportKind.Arrived, -1, BlockedOperation.None);
        FaultInjection.At("stopped", Rank);
        SyncEnd end = WaitForEnd();
        if (end.Proceed)
        {
            DrainAndContinue(publishSuperstep: Superstep + 1);
        }
        else
        {
            ResumeAfterAbort(publishSuperstep: Superstep + 1); // stopped at a migration point: it continues with the next superstep
        }
    }

    private void SendReport(ReportKind kind, int peer, BlockedOperation operation)
    {
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(Rank, $"report {kind} peer {peer} superstep {Superstep} collectives {Collectives}");
        }
        control.Send(new SyncReport(sync!.Id, kind, peer, operation, Collectives, Superstep, Requests.LiveReceives, DescribeChannelsForReport()), sync.Leader);
    }

    /// <summary>
    /// Waits for MIG_END, forwarding wake-ups meanwhile (MIG_WAKE Pk: this process is the
    /// partner Pk waits for, so it wakes Pk) and taking arrivals into the received-message-list.
    /// The leader may still be running to the global superstep, so the limit is the
    /// synchronization's; when it expires the leader is lost and the job is ended.
    /// </summary>
    private SyncEnd WaitForEnd()
    {
        var deadline = Deadline.After(ProtocolTimeouts.Synchronization, $"MIG_END from rank {sync!.Leader}");
        // After early markers the leader needs nothing more from this rank: it naps between polls (Steps/EarlyMarkers.cs).
        quietDrainSince = QuietAfterEarlyMarkers ? Stopwatch.GetTimestamp() : 0;
        try
        {
            while (true)
            {
                if (control.TryReceive(out ControlMessage message, out int source))
                {
                    if (OnControlMessage(message, source) == ControlEffect.Ended)
                    {
                        return lastEnd!;
                    }
                    continue;
                }
                if (deadline.Expired)
                {
                    EndJob(sync.Leader, deadline.Describe());
                }
                DrainArrivals();
                DrainPause();
            }
        }
        finally
        {
            quietDrainSince = 0;
        }
    }

    /// <summary>
    /// While stopped, take what arrives on the application communicator into the
    /// received-message-list (patent 000: everything that arrives goes into the list), so a
    /// process sending to a stopped one is never blocked by the stop. A drain marker that
    /// arrives this early is remembered for the drain.
    /// </summary>
    private void DrainArrivals()
    {
        DrainArrivals(World);
        if (derived.Count > 0)
        {
            foreach (Channel channel in LiveChannels())
            {
                if (!channel.IsGroup)
                {
                    DrainArrivals(channel);
                }
            }
        }
    }

    private void DrainArrivals(Channel channel)
    {
        while (channel.Communicator.Iprobe(Mpi.AnySource, Mpi.AnyTag, out Status status))
        {
            byte[] payload = new byte[status.GetCount<byte>()];
            channel.Communicator.Recv<byte>(payload, status.Source, status.Tag);
            if (!TookMarker(channel, status))
            {
                channel.Received.Append(status.Source, status.Tag, payload);
            }
        }
    }

    /// <summary>What one control message did to a waiting process.</summary>
    private enum ControlEffect
    {
        None,
        /// <summary>WAKE of the current synchronization: a blocked operation becomes pending.</summary>
        Woken,
        /// <summary>MIG_END of the current synchronization (in <see cref="lastEnd"/>); also a wake.</summary>
        Ended,
    }

    private SyncEnd? lastEnd;
    private bool[] closingMarkerSeen = [];

    /// <summary>
    /// The one dispatcher for control messages taken by a wildcard receive. Messages of an earlier
    /// synchronization (an older id) are stale and dropped; requests are queued; markers recorded.
    /// </summary>
    private ControlEffect OnControlMessage(ControlMessage message, int source)
    {
        long current = sync?.Id ?? 0;
        switch (message)
        {
            case ForwardedRequest request:
                OnForwardedRequest(request);
                return ControlEffect.None;
            case WakeRequest wake when wake.SyncId == current && sync is not null:
                control.Send(new Wake(current), wake.Sleeper);
                return ControlEffect.None;
            case Wake wake when wake.SyncId == current && sync is not null:
                return ControlEffect.Woken;
            case SyncEnd end when end.SyncId == current && sync is not null:
                lastEnd = end;
                return ControlEffect.Ended;
            case SyncReport report when report.SyncId == current && sync is not null && Rank == sync.Leader:
                sync.Reports[source] = report;
                if (ProtocolTrace.Enabled)
                {
                    ProtocolTrace.Write(Rank, $"got {report.Kind} from {source} collectives {report.Collectives} superstep {report.Superstep}");
                }
                return ControlEffect.None;
            case GroupDecision decision when decision.SyncId == current && sync is not null:
                lastDecision = decision;
                return ControlEffect.None;
            case ControlMarker marker when marker.SyncId == current && sync is not null:
                sync.ControlMarkerSeen[source] = true;
                return ControlEffect.None;
            case ControlMarker { SyncId: 0 }:
                ClosingMarkers()[source] = true;
                return ControlEffect.None;
            default:
                return ControlEffect.None;
        }
    }

    private bool[] ClosingMarkers() => closingMarkerSeen.Length == Size ? closingMarkerSeen : closingMarkerSeen = new bool[Size];

    /// <summary>
    /// The leader at the global superstep (Fig. 9): collect every process's report until each
    /// has arrived or is blocked, then decide. Waiting here is the others computing up to the
    /// global superstep, so it has the synchronization's limit; a process that does not settle
    /// by then is reported, and the synchronization is aborted (nothing has changed yet).
    /// </summary>
    private void LeadAtGlobalSuperstep()
    {
        var deadline = Deadline.After(ProtocolTimeouts.Synchronization, "every rank reaching the global superstep");
        while (!CollectReports(blocking: true))
        {
            if (deadline.Expired)
            {
                int late = Enumerable.Range(0, Size).First(r => !IsSettled(r));
                Decide($"rank {late}: {deadline.Describe()}", publishSuperstep: Superstep + 1);
                return;
            }
        }
        Decide(coordinatorBlockedReason: null, publishSuperstep: Superstep + 1);
    }

    /// <summary>
    /// The leader: takes one control message (or, when <paramref name="blocking"/>, waits a
    /// moment for one); true once every other process has arrived at the global superstep, is
    /// blocked, or is finishing.
    /// </summary>
    private bool CollectReports(bool blocking)
    {
        if (AllSettled())
        {
            return true;
        }
        if (control.TryReceive(out ControlMessage message, out int source))
        {
            OnControlMessage(message, source);
        }
        else if (blocking)
        {
            DrainArrivals();
            Thread.Yield();
        }
        return AllSettled();
    }

    /// <summary>Evaluated against the leader's collective count now (it changes while the leader still runs toward the global superstep).</summary>
    private bool AllSettled()
    {
        for (int i = 0; i < Size; i++)
        {
            if (i != Rank && !IsSettled(i))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Whether <paramref name="rank"/>'s last report settles it. A blocked report counts only
    /// when its collective count equals the leader's: a process that has completed fewer
    /// collectives than the leader cannot be waiting for good, because the leader finished a
    /// collective it has not entered; that report is stale (an Unblocked is on its way).
    /// </summary>
    private bool IsSettled(int rank) => rank == Rank || sync!.Reports[rank] switch
    {
        { Kind: ReportKind.Arrived or ReportKind.Finishing } => true,
        { Kind: ReportKind.Blocked } report => report.Collectives == Collectives && !BehindOnDerivedCollectives(report),
        _ => false,
    };

    /// <summary>
    /// The leader, with every report in: decide, wake the blocked processes, send MIG_END, and
    /// go on (drain, then move or checkpoint) or abort. A non-null
    /// <paramref name="coordinatorBlockedReason"/> means the synchronization cannot stop here
    /// (the leader itself is blocked outside a migration point, or a process did not settle in time).
    /// </summary>
    private void Decide(string? coordinatorBlockedReason, long publishSuperstep)
    {
        long start = Stopwatch.GetTimestamp();
        SynchronizationSession session = sync!;
        string reason = coordinatorBlockedReason ?? ConsistencyProblem(session);
        if (reason.Length == 0)
        {
            WakeBlockedProcesses(session);
        }
        control.SendToAllBut(new SyncEnd(session.Id, reason.Length == 0, reason), Rank);
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(Rank, $"MIG_END {(reason.Length == 0 ? "proceed" : "abort: " + reason)}");
        }
        session.ProtocolTicks += Stopwatch.GetTimestamp() - start;
        TracePhase("decision, wake-ups and MIG_END", start);
        if (reason.Length > 0)
        {
            AbortSynchronization(reason, publishSuperstep);
            return;
        }
        DrainAndContinue(publishSuperstep);
    }

    /// <summary>Why the group cannot stop consistently here (empty when it can).</summary>
    private string ConsistencyProblem(SynchronizationSession session)
    {
        bool checkpoint = session.Mode == SyncMode.Checkpoint;
        for (int i = 0; i < Size; i++)
        {
            SyncReport report = i == Rank
                ? new SyncReport(session.Id, ReportKind.Arrived, -1, BlockedOperation.None, Collectives, Superstep, Requests.LiveReceives, DescribeChannelsForReport())
                : session.Reports[i]!;
            // A request does not travel with a process: the moving one (or, for a checkpoint,
            // every one) must have waited for its receives before the migration point.
            if (report.OutstandingReceives > 0 && (i == Rank || checkpoint))
            {
                return $"rank {i} has {report.OutstandingReceives} non-blocking receive(s) not yet waited for at its migration point; " +
                       $"a request does not travel with a {(checkpoint ? "checkpoint" : "migrating process")}, so wait for receives before the migration point";
            }
            if (report.Kind == ReportKind.Finishing)
            {
                return $"the job is finishing (rank {i} has left its last migration point)";
            }
            if (OutstandingCollectivesIn(report) is > 0 and int started)
            {
                return $"rank {i} has {started} non-blocking collective(s) (Ibarrier, Ibcast, Iallreduce) not yet completed; " +
                       "a collective in progress cannot span the old and the new group, so complete them before the migration point";
            }
            if (report.Collectives != Collectives)
            {
                return $"rank {i} {(report.Kind == ReportKind.Blocked ? "is blocked after" : "stopped after")} {report.Collectives} collective operations and rank {Rank} after {Collectives}: " +
                       "the program's collectives are not matched between migration points, so the group cannot stop consistently here";
            }
            if (checkpoint && report.Kind == ReportKind.Blocked)
            {
                // A checkpoint saves every rank at its migration point of the same superstep; a
                // blocked rank is between two migration points, where its state cannot be saved.
                return $"{BlockedForCheckpoint}: rank {i} is blocked in a {report.Operation.ToString().ToLowerInvariant()} with rank {report.Peer} between migration points";
            }
        }
        return DerivedCollectivesProblem(session);
    }

    /// <summary>Prefix of the abort reason that makes the leader retry a checkpoint at a later superstep.</summary>
    private const string BlockedForCheckpoint = "no consistent cut at this superstep";

    /// <summary>Fig. 9: wake each blocked Pk directly (its peer is the leader or a wildcard) or through its peer (MIG_WAKE).</summary>
    private void WakeBlockedProcesses(SynchronizationSession session)
    {
        int count = 0;
        for (int k = 0; k < Size; k++)
        {
            count += k != Rank && session.Reports[k]!.Kind == ReportKind.Blocked ? 1 : 0;
        }
        if (count == 0)
        {
            return;
        }
        int[] blocked = new int[count];
        for (int k = 0, b = 0; k < Size; k++)
        {
            if (k != Rank && session.Reports[k]!.Kind == ReportKind.Blocked)
            {
                blocked[b++] = k;
            }
        }
        var operations = window.ReadOperations(blocked);
        for (int b = 0; b < blocked.Length; b++)
        {
            int k = blocked[b];
            int peer = operations[b].Peer;
            if (peer == Rank || peer < 0)
            {
                control.Send(new Wake(session.Id), k);
            }
            else
            {
                control.Send(new WakeRequest(session.Id, k), peer);
            }
        }
    }

    private void TracePhase(string phase, long start)
    {
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(Rank, $"protocol step '{phase}' took {Stopwatch.GetElapsedTime(start).TotalMilliseconds:F3} ms");
        }
    }
}
