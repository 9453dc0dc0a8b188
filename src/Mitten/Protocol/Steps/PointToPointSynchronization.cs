using System.Diagnostics;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

/// <summary>
/// Step 3, point-to-point synchronization (patent 002, Fig. 9): a process blocked in a polled
/// operation when the group synchronizes reports it (REPORT Blocked, its operation published in
/// the window), and is woken (WAKE, or MIG_END, which also counts as a wake): a receive is
/// cancelled and repeated after the synchronization, a send is completed by its receiver's drain.
/// </summary>
internal sealed partial class GroupProtocol
{
    /// <summary>How a polled operation ended.</summary>
    private enum WaitResult
    {
        Completed,
        /// <summary>Woken for a synchronization and cancelled: repeat it on the (possibly new) group.</summary>
        Interrupted,
    }

    /// <summary>How long the leader, blocked outside a migration point, waits for its own operation once every other process has settled.</summary>
    private static readonly TimeSpan CoordinatorBlockedGrace = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Waits for a started operation while taking part in a synchronization. <paramref name="ownerSlot"/>
    /// is the application's request when the operation is one (its state is kept up to date), else -1;
    /// Interrupted means the operation is still to be done: the caller repeats it (a blocking
    /// receive) or, for a request, it has been posted again.
    /// </summary>
    /// <remarks>
    /// <paramref name="probe"/>: the operation is a blocking probe (Probing.cs), which has no
    /// request: it completes when <see cref="ProbeArrived"/> sees a matching message (a drain
    /// marker is taken, as by a wildcard receive), and when woken it is simply repeated.
    /// </remarks>
    private WaitResult WaitPolled(Channel channel, ref RequestHandle request, BlockedOperation operation, int peer, int tag, out Status status, int ownerSlot,
        bool probe = false)
    {
        // The protocol names processes by their rank in the group (the peer's in a derived communicator is translated).
        int groupPeer = channel.ToGroupRank(peer);
        bool reportedBlocked = false;
        int spins = 0;
        long settledSince = 0;
        Deadline? deadline = null; // set when this wait first takes part in a synchronization
        while (true)
        {
            if (probe ? ProbeArrived(channel, peer, tag, out status) : request.Test(out status))
            {
                if (operation == BlockedOperation.Receive && TookMarker(channel, status))
                {
                    // That peer has drained, so MIG_END(proceed) is on its way here. The receive
                    // is still to be done.
                    if (ownerSlot >= 0)
                    {
                        Post(ref Requests.Records[ownerSlot]);
                    }
                    return WaitResult.Interrupted;
                }
                if (reportedBlocked)
                {
                    window.PublishOperation(Collectives, BlockedOperation.None, -1, 0);
                    if (sync is not null && Rank != sync.Leader)
                    {
                        SendReport(ReportKind.Unblocked, groupPeer, operation);
                    }
                }
                return WaitResult.Completed;
            }
            if (!window.SyncFlagSeen)
            {
                if (++spins > 64)
                {
                    Thread.Yield(); // ranks may share cores (oversubscription)
                }
                continue;
            }
            if (sync is null)
            {
                EnterSynchronization();
            }
            deadline ??= Deadline.After(ProtocolTimeouts.Synchronization, $"the end of synchronization {sync!.Id}");
            if (Rank == sync!.Leader)
            {
                LeadWhileBlocked(operation, groupPeer, ref settledSince, deadline.Value);
                if (sync is null)
                {
                    deadline = null; // the leader aborted its synchronization; the operation is still under way
                }
                continue;
            }
            if (!reportedBlocked)
            {
                window.PublishOperation(Collectives, operation, groupPeer, tag);
                SendReport(ReportKind.Blocked, groupPeer, operation);
                reportedBlocked = true;
                deadline = Deadline.After(ProtocolTimeouts.Synchronization, $"MIG_END from rank {sync.Leader}");
            }
            if (!control.TryReceive(out ControlMessage message, out int source))
            {
                if (deadline.Value.Expired)
                {
                    EndJob(sync.Leader, deadline.Value.Describe());
                }
                continue;
            }
            ControlEffect effect = OnControlMessage(message, source);
            if (effect == ControlEffect.None)
            {
                continue;
            }
            bool completed = false;
            if (operation == BlockedOperation.Receive && ownerSlot >= 0)
            {
                Park(ref Requests.Records[ownerSlot]); // posted again after the synchronization, unless MPI had completed it
                completed = Requests.Records[ownerSlot].State == RequestState.Done;
            }
            else if (operation == BlockedOperation.Receive)
            {
                completed = !probe && CancelReceive(channel, ref request, out status);
            }
            if (ProtocolTrace.Enabled)
            {
                ProtocolTrace.Write(Rank, $"woken in {operation} with {groupPeer} ({(effect == ControlEffect.Ended ? "MIG_END" : "wake")}); {(completed ? "it had completed" : "pending, repeated after the synchronization")}");
            }
            SyncEnd end = effect == ControlEffect.Ended ? lastEnd! : WaitForEnd();
            window.PublishOperation(Collectives, BlockedOperation.None, -1, 0);
            reportedBlocked = false;
            deadline = null;
            if (end.Proceed)
            {
                if (operation == BlockedOperation.Send)
                {
                    DrainAndContinue(Superstep, ref request); // the receiver drains the message
                    completed = true;
                }
                else
                {
                    DrainAndContinue(Superstep);
                }
            }
            else
            {
                ResumeAfterAbort(Superstep); // not at a migration point: the superstep stays
            }
            if (completed)
            {
                return WaitResult.Completed;
            }
            if (operation == BlockedOperation.Receive)
            {
                return WaitResult.Interrupted;
            }
            // A send after an aborted synchronization is still under way on the same group.
        }
    }

    /// <summary>
    /// The leader is blocked before reaching a migration point. Once all others have settled,
    /// its operation normally completes a moment later (the message is on its way); if it still
    /// has not after a grace period, the leader cannot stop where its state can be captured, so
    /// the synchronization is aborted (safe: nothing has changed yet). Likewise when the others do
    /// not settle within the synchronization limit.
    /// </summary>
    private void LeadWhileBlocked(BlockedOperation operation, int peer, ref long settledSince, Deadline deadline)
    {
        string? reason = null;
        if (!CollectReports(blocking: false))
        {
            settledSince = 0;
            if (deadline.Expired)
            {
                reason = $"rank {Enumerable.Range(0, Size).First(r => !IsSettled(r))}: {deadline.Describe()}";
            }
        }
        else if (settledSince == 0)
        {
            settledSince = Stopwatch.GetTimestamp();
        }
        else if (Stopwatch.GetElapsedTime(settledSince) > CoordinatorBlockedGrace)
        {
            string blocked = $"rank {Rank} is blocked in a {operation.ToString().ToLowerInvariant()} with rank {peer} that can only complete after the others' next migration point";
            reason = sync!.Mode == SyncMode.Checkpoint ? $"{BlockedForCheckpoint}: {blocked}" : blocked;
        }
        if (reason is not null)
        {
            settledSince = 0;
            Decide(reason, publishSuperstep: Superstep); // not at a migration point: the superstep stays
        }
    }

    /// <summary>
    /// A process in its final barrier answers a synchronization: it cannot stop at a migration
    /// point any more, so the synchronization is refused ("the job is finishing").
    /// </summary>
    private void AnswerWhileFinishing()
    {
        if (sync is null)
        {
            EnterSynchronization();
        }
        if (Rank == sync!.Leader)
        {
            // This rank led a synchronization and reached the end of the program before the global superstep.
            CollectUntilSettled();
            Decide($"the job is finishing (rank {Rank} reached its end before the global superstep)", publishSuperstep: Superstep);
            return;
        }
        SendReport(ReportKind.Finishing, -1, BlockedOperation.None);
        WaitForEnd();
        ResumeAfterAbort(Superstep);
    }

    /// <summary>The leader takes reports until every process has settled or the synchronization limit expires.</summary>
    private void CollectUntilSettled()
    {
        var deadline = Deadline.After(ProtocolTimeouts.Synchronization, "every rank settling");
        while (!CollectReports(blocking: true) && !deadline.Expired)
        {
        }
    }
}
