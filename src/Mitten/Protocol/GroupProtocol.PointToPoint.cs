using System.Runtime.InteropServices;
using Mitten.GroupComm;

namespace Mitten.Protocol;

internal sealed partial class GroupProtocol
{
    /// <summary>How a polled operation ended.</summary>
    private enum WaitResult
    {
        Completed,
        /// <summary>Woken for a migration and cancelled: repeat it on the (possibly new) group.</summary>
        Interrupted,
    }

    /// <summary>
    /// Receive: the received-message-list first (messages drained at a synchronization),
    /// then the network. The operation is polled, so while it waits the process still takes
    /// part in a synchronization (reports itself blocked, can be woken, drains, rebuilds) and
    /// then repeats the receive on the new group.
    /// </summary>
    internal unsafe ReceiveStatus Receive<T>(Span<T> buffer, int source, int tag) where T : unmanaged
    {
        CheckTag(tag, allowAny: true);
        while (true)
        {
            if (Received.Count > 0 && Received.TryTake(source, tag, Mpi.AnySource, Mpi.AnyTag, out var held))
            {
                Span<byte> target = MemoryMarshal.AsBytes(buffer);
                if (held.Payload.Length > target.Length)
                {
                    throw new InvalidOperationException(
                        $"message from rank {held.Source} (tag {held.Tag}) has {held.Payload.Length} bytes, more than the {target.Length}-byte buffer");
                }
                held.Payload.CopyTo(target);
                return new ReceiveStatus(held.Source, held.Tag, held.Payload.Length / sizeof(T));
            }
            fixed (T* p = buffer)
            {
                RequestHandle request = RequestHandle.StartReceive(app, p, buffer.Length, source, tag);
                if (request.Test(out Status done) ||
                    WaitPolled(ref request, BlockedOperation.Receive, source, tag, out done) == WaitResult.Completed)
                {
                    return new ReceiveStatus(done.Source, done.Tag, done.GetCount<T>());
                }
            }
        }
    }

    /// <summary>Send, polled like <see cref="Receive{T}"/>; a send is never repeated (its receiver drains it).</summary>
    internal unsafe void Send<T>(ReadOnlySpan<T> data, int destination, int tag) where T : unmanaged
    {
        CheckTag(tag, allowAny: false);
        if ((long)data.Length * sizeof(T) <= EagerSendBytes)
        {
            // Small messages go eagerly (copied out at once), so MPI_Send returns without the
            // receiver; a stopped receiver also takes arrivals into its list. No poll needed.
            app.Send(data, destination, tag);
            return;
        }
        fixed (T* p = data)
        {
            RequestHandle request = RequestHandle.StartSend(app, p, data.Length, destination, tag);
            if (!request.Test(out _))
            {
                WaitPolled(ref request, BlockedOperation.Send, destination, tag, out _);
            }
        }
    }

    private readonly List<MittenRequest> outstandingSends = [];

    /// <summary>Below Open MPI's smallest eager limit here (shared memory: 4 KiB; TCP: 64 KiB).</summary>
    private const int EagerSendBytes = 4096;

    /// <summary>Starts a send; the protocol tracks it so a drain can complete it.</summary>
    internal unsafe MittenRequest StartSend<T>(ReadOnlyMemory<T> data, int destination, int tag) where T : unmanaged
    {
        CheckTag(tag, allowAny: false);
        var pin = data.Pin();
        RequestHandle handle = RequestHandle.StartSend(app, (T*)pin.Pointer, data.Length, destination, tag);
        var request = new MittenRequest(this, handle, pin, destination, tag);
        outstandingSends.Add(request);
        return request;
    }

    internal void WaitSend(MittenRequest request)
    {
        if (!request.Handle.Test(out _))
        {
            WaitPolled(ref request.Handle, BlockedOperation.Send, request.Destination, request.Tag, out _);
        }
        request.Release();
        outstandingSends.Remove(request);
    }

    /// <summary>During a drain: every send this process started completes, because its receiver drains it.</summary>
    private void CompleteOutstandingSends()
    {
        foreach (MittenRequest request in outstandingSends)
        {
            request.Handle.Wait();
        }
    }

    private static void CheckTag(int tag, bool allowAny)
    {
        if ((tag < 0 || tag >= ControlTag.DrainMarker) && !(allowAny && tag == Mpi.AnyTag))
        {
            throw new ArgumentOutOfRangeException(nameof(tag), $"tag {tag} is outside 0..{ControlTag.DrainMarker - 1} (tag {ControlTag.DrainMarker} is reserved by the migration protocol)");
        }
    }

    private WaitResult WaitPolled(ref RequestHandle request, BlockedOperation operation, int peer, int tag, out Status status)
    {
        bool reportedBlocked = false;
        int spins = 0;
        while (true)
        {
            if (request.Test(out status))
            {
                if (reportedBlocked)
                {
                    window.PublishOperation(Collectives, BlockedOperation.None, -1, 0);
                    if (inSync && Rank != migratingRank)
                    {
                        SendReport(ReportKind.Unblocked, peer, operation);
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
            if (!inSync)
            {
                EnterSynchronization();
            }
            if (Rank == migratingRank)
            {
                // Pj is blocked before reaching a migration point. Once all others have settled,
                // its operation normally completes a moment later (the message is on its way);
                // if it still has not after a grace period, Pj cannot stop where its state can be
                // captured, so the migration rolls back (safe: nothing has changed yet).
                if (!CollectReports(blocking: false))
                {
                    settledSince = 0;
                }
                else if (settledSince == 0)
                {
                    settledSince = System.Diagnostics.Stopwatch.GetTimestamp();
                }
                else if (System.Diagnostics.Stopwatch.GetElapsedTime(settledSince) > CoordinatorBlockedGrace)
                {
                    settledSince = 0;
                    EndCoordination($"rank {Rank} is blocked in a {operation.ToString().ToLowerInvariant()} with rank {peer} that can only complete after the others' next migration point");
                    AcknowledgeResume(Superstep);
                }
                continue;
            }
            if (!reportedBlocked)
            {
                window.PublishOperation(Collectives, operation, peer, tag);
                SendReport(ReportKind.Blocked, peer, operation);
                reportedBlocked = true;
            }
            if (!control.Iprobe(Mpi.AnySource, Mpi.AnyTag, out Status controlStatus))
            {
                continue;
            }
            control.Recv<long>(message, controlStatus.Source, controlStatus.Tag);
            bool relevant = HandleControlMessage(controlStatus, out bool ended, out bool proceed, out _);
            bool woken = ended || (relevant && controlStatus.Tag == ControlTag.Wake);
            if (!woken)
            {
                continue;
            }
            bool completed = false;
            if (operation == BlockedOperation.Receive)
            {
                request.Cancel();
                status = request.Wait();
                completed = !status.Cancelled;
            }
            if (ProtocolTrace.Enabled)
            {
                ProtocolTrace.Write(Rank, $"woken in {operation} with {peer} ({(ended ? "MIG_END" : "wake")}); {(completed ? "it had completed" : "pending, repeated after the synchronization")}");
            }
            if (!ended)
            {
                (proceed, _) = WaitForEnd();
            }
            window.PublishOperation(Collectives, BlockedOperation.None, -1, 0);
            reportedBlocked = false;
            if (proceed)
            {
                if (operation == BlockedOperation.Send)
                {
                    DrainAndRebuild(ref request); // the receiver drains the message
                    completed = true;
                }
                else
                {
                    DrainAndRebuild();
                }
            }
            else
            {
                EndSynchronization();
            }
            if (resumeAcknowledgementDue)
            {
                AcknowledgeResume(Superstep);
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

    private static readonly TimeSpan CoordinatorBlockedGrace = TimeSpan.FromMilliseconds(500);
    private long settledSince;

}
