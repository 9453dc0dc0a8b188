using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

internal sealed partial class GroupProtocol
{
    /// <summary>
    /// Receive: the received-message-list first (messages drained at a synchronization),
    /// then the network. The operation is polled, so while it waits the process still takes
    /// part in a synchronization (reports itself blocked, can be woken, drains, rebuilds) and
    /// then repeats the receive on the new group.
    /// </summary>
    /// <remarks>
    /// The common case (nothing held, no synchronization announced, the message arrives within
    /// <see cref="FastPolls"/> tests, and it is an application message) runs here, inlined into
    /// the caller: one MPI_Irecv on <paramref name="communicator"/> (the channel's, which the
    /// caller has already loaded), MPI_Test until it completes (the binding's non-throwing test,
    /// so no exception frame is needed here: on Linux x64 the JIT makes every MPI call inside a
    /// try region through a helper instead of inline), a local read of the synchronization flag
    /// between the tests. Everything else (a held message, a drain marker taken by a
    /// wildcard-tag receive, a longer wait) continues out of line in <see cref="ReceiveWaiting{T}"/>
    /// or <see cref="ReceiveRest{T}"/> with the same request, so the process answers a migration
    /// while blocked exactly as before. An MPI_ERR_TRUNCATE is raised as <see cref="MessageTruncatedException"/>.
    /// </remarks>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal unsafe ReceiveStatus Receive<T>(Channel channel, Communicator communicator, Span<T> buffer, int source, int tag) where T : unmanaged
    {
        CheckTag(tag, allowAny: true);
        // The list is empty except after a synchronization: test that here, without the call.
        if (channel.Received.Count == 0)
        {
            fixed (T* p = buffer)
            {
                RequestHandle request = RequestHandle.StartReceive(communicator, p, buffer.Length, source, tag);
                if (MayWaitInterruptibly)
                {
                    int error = WaitUnlessSyncFlag(ref request, out Status done);
                    if (error != 0)
                    {
                        ThrowReceiveFailed(error, source, tag, buffer.Length * (long)sizeof(T));
                    }
                    if (IsApplicationMessage(done))
                    {
                        return new ReceiveStatus(done.Source, done.Tag, done.GetCount<T>());
                    }
                    return ReceiveInterrupted(channel, done, buffer, source, tag);
                }
                for (int spin = 0; spin < FastPolls; spin++)
                {
                    int error = request.TestWithoutThrowing(out bool completed, out Status done);
                    if (error != 0)
                    {
                        ThrowReceiveFailed(error, source, tag, buffer.Length * (long)sizeof(T));
                    }
                    if (completed)
                    {
                        // Only a wildcard-tag receive can take a peer's drain marker (tags are below it).
                        if (done.Tag != ControlTag.DrainMarker)
                        {
                            return new ReceiveStatus(done.Source, done.Tag, done.GetCount<T>());
                        }
                        RecordMarker(channel, done);
                        return ReceiveRest(channel, buffer, source, tag); // the receive is still to be done
                    }
                    if (window.SyncFlagSeen)
                    {
                        break; // a synchronization is announced: take part in it while the receive waits
                    }
                }
                return ReceiveWaiting(channel, request, buffer, source, tag); // inside the fixed block: the buffer stays pinned
            }
        }
        return ReceiveRest(channel, buffer, source, tag);
    }

    /// <summary><see cref="Receive{T}"/> as a call of its own (for a caller inside a try region).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ReceiveStatus ReceiveOutOfLine<T>(Channel channel, Span<T> buffer, int source, int tag) where T : unmanaged =>
        Receive(channel, channel.Communicator, buffer, source, tag);

    /// <summary>A posted receive that did not complete in the in-place polls: the protocol-aware wait, then <see cref="ReceiveSlow{T}"/> if a synchronization intervened.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ReceiveStatus ReceiveWaiting<T>(Channel channel, RequestHandle request, Span<T> buffer, int source, int tag) where T : unmanaged
    {
        try
        {
            if (WaitPolled(channel, ref request, BlockedOperation.Receive, source, tag, out Status status, ownerSlot: -1) == WaitResult.Completed)
            {
                return new ReceiveStatus(status.Source, status.Tag, status.GetCount<T>());
            }
            return ReceiveSlow(channel, buffer, source, tag);
        }
        catch (MpiException e) when (MessageTruncatedException.IsTruncation(e))
        {
            throw new MessageTruncatedException(source, tag, -1, buffer.Length * (long)Unsafe.SizeOf<T>(), e);
        }
    }

    /// <summary>Whether a receive may now wait with <see cref="WaitUnlessSyncFlag"/> (the hook is installed and no synchronization is announced).</summary>
    private bool MayWaitInterruptibly
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => interruptibleWaits && !window.SyncFlagSeen;
    }

    /// <summary>
    /// The interruptible wait (<see cref="BlockingWaits"/>): MPI_Wait on the receive until its
    /// message arrives or this rank's SYNC flag is set, when the hook cancels it unless a message
    /// has matched it. Returns MPI_Wait's error code.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe int WaitUnlessSyncFlag(ref RequestHandle request, out Status done) =>
        request.WaitUnlessFlagged(window.LocalWordAddress, SuperstepWindow.SyncFlag, out done);

    /// <summary>An interruptible wait's result is the application's message: not cancelled by the flag, not a peer's drain marker (which only a wildcard-tag receive can take).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsApplicationMessage(in Status done) => !done.Cancelled && done.Tag != ControlTag.DrainMarker;

    /// <summary>
    /// An interruptible wait in <see cref="Receive{T}"/> ended without an application message:
    /// the SYNC flag cancelled the receive, or a wildcard-tag receive took a drain marker. The
    /// receive is still to be done, after taking part in the synchronization: posted again as
    /// the newest receive, which the blocking one was, so its place among posted receives is kept.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ReceiveStatus ReceiveInterrupted<T>(Channel channel, Status done, Span<T> buffer, int source, int tag) where T : unmanaged
    {
        if (!done.Cancelled)
        {
            RecordMarker(channel, done);
        }
        else if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(Rank, $"receive from {source} interrupted in MPI_Wait by the SYNC flag (progress hook; {InterruptibleWait.Interrupts} so far)");
        }
        return ReceiveRest(channel, buffer, source, tag);
    }

    /// <summary><see cref="ReceiveSlow{T}"/> with MPI_ERR_TRUNCATE raised as <see cref="MessageTruncatedException"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ReceiveStatus ReceiveRest<T>(Channel channel, Span<T> buffer, int source, int tag) where T : unmanaged
    {
        try
        {
            return ReceiveSlow(channel, buffer, source, tag);
        }
        catch (MpiException e) when (MessageTruncatedException.IsTruncation(e))
        {
            throw new MessageTruncatedException(source, tag, -1, buffer.Length * (long)Unsafe.SizeOf<T>(), e);
        }
    }

    /// <summary>MPI_Test failed in <see cref="Receive{T}"/>: a truncation as <see cref="MessageTruncatedException"/>, anything else as the binding raises it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowReceiveFailed(int error, int source, int tag, long bufferBytes)
    {
        MpiException e = MpiException.FromErrorCode(error, "MPI_Test");
        if (MessageTruncatedException.IsTruncation(e))
        {
            throw new MessageTruncatedException(source, tag, -1, bufferBytes, e);
        }
        throw e;
    }

    /// <summary>The receive after a synchronization or a drain marker: the list first, then a new request on the (possibly new) group.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private unsafe ReceiveStatus ReceiveSlow<T>(Channel channel, Span<T> buffer, int source, int tag) where T : unmanaged
    {
        while (true)
        {
            if (channel.Received.Count != 0 && TryTakeHeld(channel, buffer, source, tag, out ReceiveStatus held))
            {
                return held;
            }
            fixed (T* p = buffer)
            {
                RequestHandle request = RequestHandle.StartReceive(channel.Communicator, p, buffer.Length, source, tag);
                // Fast path: test here while no synchronization is announced (a local read).
                Status done;
                for (int spin = 0; spin < FastPolls && !window.SyncFlagSeen; spin++)
                {
                    if (request.Test(out done))
                    {
                        if (!TookMarker(channel, done))
                        {
                            return new ReceiveStatus(done.Source, done.Tag, done.GetCount<T>());
                        }
                        goto Repeat; // it took a peer's drain marker: the receive is still to be done
                    }
                }
                if (WaitPolled(channel, ref request, BlockedOperation.Receive, source, tag, out done, ownerSlot: -1) == WaitResult.Completed)
                {
                    return new ReceiveStatus(done.Source, done.Tag, done.GetCount<T>());
                }
            }
        Repeat:;
        }
    }

    /// <summary>
    /// Whether a completed receive took a peer's drain marker instead of an application message
    /// (only a wildcard-tag receive can); if so, the marker is recorded for the drain.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TookMarker(Channel channel, in Status status)
    {
        if (status.Tag != ControlTag.DrainMarker)
        {
            return false;
        }
        RecordMarker(channel, status);
        return true;
    }

    /// <summary>Records a drain marker a receive took (only inside a synchronization).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecordMarker(Channel channel, in Status status) => RecordMarker(channel, status.Source);

    /// <summary>Records the drain marker of rank <paramref name="source"/> that a receive took (only inside a synchronization).</summary>
    private void RecordMarker(Channel channel, int source)
    {
        if (sync is null)
        {
            throw new InvalidOperationException($"rank {source}'s drain marker arrived outside a synchronization");
        }
        channel.MarkerSeen[source] = true;
    }

    /// <summary>
    /// Cancels a posted receive and completes it. True when it had already received an
    /// application message (in <paramref name="status"/>); false when it was cancelled or had taken
    /// a drain marker (recorded): then the receive is still to be done.
    /// </summary>
    private bool CancelReceive(Channel channel, ref RequestHandle request, out Status status)
    {
        request.Cancel();
        status = request.Wait();
        return !status.Cancelled && !TookMarker(channel, status);
    }

    /// <summary>
    /// Polls a blocking operation in place this many times before the full protocol-aware wait
    /// (which yields the processor between its polls). Each poll reads the synchronization flag,
    /// so a migration is answered as promptly here; 1024 MPI_Test calls are some tens of
    /// microseconds, longer than a small message's round trip, so a waiting rank does not give
    /// up its core (and wait for the scheduler to return it) in the middle of an exchange.
    /// </summary>
    private const int FastPolls = 1024;

    /// <summary>Takes the first held message matching <paramref name="source"/> and <paramref name="tag"/> into <paramref name="buffer"/>.</summary>
    private static bool TryTakeHeld<T>(Channel channel, Span<T> buffer, int source, int tag, out ReceiveStatus status) where T : unmanaged =>
        TryTakeHeld(channel, MemoryMarshal.AsBytes(buffer), Unsafe.SizeOf<T>(), source, tag, out status);

    private static bool TryTakeHeld(Channel channel, Span<byte> target, int elementSize, int source, int tag, out ReceiveStatus status)
    {
        if (!TryTakeHeld(channel, target, elementSize, source, tag, out status, out int truncatedBytes))
        {
            return false;
        }
        if (truncatedBytes > 0)
        {
            throw new MessageTruncatedException(status.Source, status.Tag, truncatedBytes, target.Length);
        }
        return true;
    }

    /// <summary>
    /// As above; a held message larger than <paramref name="target"/> is taken (consumed, as MPI
    /// consumes a truncated message) and reported in <paramref name="truncatedBytes"/> (its size) instead of copied.
    /// </summary>
    private static bool TryTakeHeld(Channel channel, Span<byte> target, int elementSize, int source, int tag, out ReceiveStatus status, out int truncatedBytes)
    {
        truncatedBytes = 0;
        if (channel.Received.Count == 0 || !channel.Received.TryTake(source, tag, Mpi.AnySource, Mpi.AnyTag, out var held))
        {
            status = default;
            return false;
        }
        if (held.Payload.Length > target.Length)
        {
            truncatedBytes = held.Payload.Length;
            status = new ReceiveStatus(held.Source, held.Tag, 0);
            return true;
        }
        held.Payload.CopyTo(target);
        status = new ReceiveStatus(held.Source, held.Tag, held.Payload.Length / elementSize);
        return true;
    }

    /// <summary>
    /// Send, polled like <see cref="Receive{T}"/>; a send is never repeated (its receiver drains it).
    /// <paramref name="communicator"/> is the channel's, which the caller has already loaded.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal unsafe void Send<T>(Channel channel, Communicator communicator, ReadOnlySpan<T> data, int destination, int tag) where T : unmanaged
    {
        CheckTag(tag, allowAny: false);
        if ((long)data.Length * sizeof(T) <= EagerSendBytes)
        {
            // Small messages go eagerly (copied out at once), so MPI_Send returns without the
            // receiver; a stopped receiver also takes arrivals into its list. No poll needed.
            communicator.Send(data, destination, tag);
            return;
        }
        SendPolled(channel, data, destination, tag);
    }

    /// <summary>A send above the eager size, out of line so that the eager send stays small.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private unsafe void SendPolled<T>(Channel channel, ReadOnlySpan<T> data, int destination, int tag) where T : unmanaged
    {
        fixed (T* p = data)
        {
            RequestHandle request = RequestHandle.StartSend(channel.Communicator, p, data.Length, destination, tag);
            // As a receive: test in place while no synchronization is announced (a local read),
            // so a send that completes within a few microseconds (a rendezvous the receiver is
            // already waiting for) never reaches the full loop, which yields the core after 64
            // tests (measured: pingpong at 32 KiB +14 % against plain MPI_Send before this).
            for (int spin = 0; spin < FastPolls && !window.SyncFlagSeen; spin++)
            {
                if (request.Test(out _))
                {
                    return;
                }
            }
            WaitPolled(channel, ref request, BlockedOperation.Send, destination, tag, out _, ownerSlot: -1);
        }
    }

    /// <summary>Below Open MPI's smallest eager limit here (shared memory: 4 KiB; TCP: 64 KiB).</summary>
    private const int EagerSendBytes = 4096;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckTag(int tag, bool allowAny)
    {
        if ((uint)tag >= ControlTag.DrainMarker && !(allowAny && tag == Mpi.AnyTag))
        {
            ThrowBadTag(tag);
        }
    }

    private static void ThrowBadTag(int tag) =>
        throw new ArgumentOutOfRangeException(nameof(tag), $"tag {tag} is outside 0..{ControlTag.DrainMarker - 1} (tag {ControlTag.DrainMarker} is reserved by the migration protocol)");

    /// <summary>A receive completed from the received-message-list with a message larger than its buffer: spent, and raised.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowTruncated(int slot)
    {
        ref RequestRecord record = ref Requests.Records[slot];
        var error = new MessageTruncatedException(record.Result.Source, record.Result.Tag, record.TruncatedBytes, (long)record.Length * record.ElementSize);
        Requests.Retire(slot);
        throw error;
    }

    /// <summary>
    /// MPI reported an error completing the request (e.g. MPI_ERR_TRUNCATE): it is spent, and the
    /// error is returned as the application should see it.
    /// </summary>
    internal Exception RetireFailed(int slot, int generation, MpiException error)
    {
        if (!Requests.IsLive(slot, generation))
        {
            return error;
        }
        ref RequestRecord record = ref Requests.Records[slot];
        Exception result = MessageTruncatedException.IsTruncation(error)
            ? new MessageTruncatedException(record.Peer, record.Tag, -1, (long)record.Length * record.ElementSize, error)
            : error;
        Requests.Retire(slot);
        return result;
    }
}
