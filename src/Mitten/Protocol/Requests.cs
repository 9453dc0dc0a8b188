using System.Runtime.CompilerServices;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

/// <summary>
/// The application's non-blocking point-to-point requests (<see cref="MittenCommunicator.Isend{T}"/>,
/// <see cref="MittenCommunicator.Irecv{T}"/>, <see cref="MittenRequest"/>): started, completed, and
/// carried across a synchronization (receives parked and posted again, sends completed by the drain).
/// </summary>
internal sealed partial class GroupProtocol
{
    // NonBlockingHotPaths: StartSend, StartReceive, Wait and Test are the per-request path of
    // Isend/Irecv. They are marked AggressiveOptimization so that they are always jitted and never
    // taken from ReadyToRun code: the benchmarks and tests are built with ReadyToRun, and a program
    // that runs with tiered compilation off (Mpptest does, so its loops are optimized from the
    // first repetition) keeps precompiled code for good. Precompiled, these methods call the
    // binding's RequestHandle (another assembly, outside the version bubble) instead of inlining
    // it and reach MPI_Test through indirections; jitted, the test inlines into the polling loop.
    // Measured (bench/RESULTS.md, section of branch msg15c): Mpptest nonblocking through Mitten
    // from +5.8 % to +3.2 % over plain with this alone. The blocking Send/Recv are AggressiveInlining, so they
    // are compiled into the (jitted) caller already.

    /// <summary>Non-blocking requests the application has started and not yet found complete.</summary>
    internal RequestTable Requests { get; } = new();

    /// <summary>Starts a send on <paramref name="communicator"/> (the channel's, already loaded by the caller); the protocol tracks it so a drain can complete it.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // jitted, never precompiled (see NonBlockingHotPaths)
    internal unsafe MittenRequest StartSend<T>(Channel channel, Communicator communicator, ReadOnlyMemory<T> data, int destination, int tag) where T : unmanaged
    {
        CheckTag(tag, allowAny: false);
        ref RequestRecord record = ref Requests.Allocate(isReceive: false, out int slot);
        RequestTable.SetChannel(ref record, channel);
        record.Pin = data.Pin();
        record.Peer = destination;
        record.Tag = tag;
        record.Handle = RequestHandle.StartSend(communicator, (T*)record.Pin.Pointer, data.Length, destination, tag);
        record.State = RequestState.Active;
        return new MittenRequest(this, slot, record.Generation);
    }

    /// <summary>Starts a receive: from the received-message-list if a match is held, else posted to MPI.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // jitted, never precompiled (see NonBlockingHotPaths)
    internal unsafe MittenRequest StartReceive<T>(Channel channel, Communicator communicator, Memory<T> buffer, int source, int tag) where T : unmanaged
    {
        CheckTag(tag, allowAny: true);
        ref RequestRecord record = ref Requests.Allocate(isReceive: true, out int slot);
        RequestTable.SetChannel(ref record, channel);
        record.Pin = buffer.Pin();
        record.Length = buffer.Length;
        record.ElementSize = sizeof(T);
        record.Peer = source;
        record.Tag = tag;
        record.StartReceive = &StartReceiveOf<T>;
        if (channel.Received.Count == 0)
        {
            // Nothing held (the case except right after a synchronization): post it directly.
            record.Handle = RequestHandle.StartReceive(communicator, (T*)record.Pin.Pointer, buffer.Length, source, tag);
            record.State = RequestState.Active;
        }
        else
        {
            Post(ref record);
        }
        return new MittenRequest(this, slot, record.Generation);
    }

    private static unsafe RequestHandle StartReceiveOf<T>(Communicator communicator, void* buffer, int length, int source, int tag) where T : unmanaged =>
        RequestHandle.StartReceive(communicator, (T*)buffer, length, source, tag);

    /// <summary>(Re)starts a receive on the current communicator, or completes it from the received-message-list.</summary>
    private static unsafe void Post(ref RequestRecord record)
    {
        Channel channel = record.Channel!;
        if (channel.Received.Count != 0
            && TryTakeHeld(channel, new Span<byte>(record.Pin.Pointer, record.Length * record.ElementSize), record.ElementSize, record.Peer, record.Tag,
                out ReceiveStatus held, out record.TruncatedBytes))
        {
            record.Handle = default;
            record.Result = held; // a truncation is raised when the application waits for it
            record.State = RequestState.Done;
            return;
        }
        record.Handle = record.StartReceive(channel.Communicator, record.Pin.Pointer, record.Length, record.Peer, record.Tag);
        record.State = RequestState.Active;
    }

    /// <summary>
    /// Completes the request (<see cref="MittenRequest.Wait"/>). An MPI error is raised as
    /// <see cref="RetireFailed"/> makes it (the request is spent), here: no exception frame in
    /// this method or in its caller, since on Linux x64 the JIT makes every MPI call inside a try
    /// region through a helper instead of inline, and a try region in the caller's loop keeps
    /// the loop's variables in memory. The polls use the binding's non-throwing test; everything
    /// that can raise an MPI error besides them (a drain marker taken, the protocol-aware wait)
    /// continues out of line in <see cref="WaitRest"/>, which has the frame.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // jitted, never precompiled (see NonBlockingHotPaths)
    internal ReceiveStatus Wait(int slot, int generation)
    {
        ref RequestRecord record = ref Requests.Live(slot, generation);
        if (Unsafe.IsNullRef(ref record))
        {
            return RequestTable.EmptyStatus; // already found complete
        }
        if (record.State == RequestState.Active)
        {
            if (record.IsReceive && record.Sequence == Requests.NewestReceive && MayWaitInterruptibly)
            {
                // Receive's wait, for the newest receive only (an older one is not cancelled, since
                // posting it again would put it behind receives started after it).
                int error = WaitUnlessSyncFlag(ref record.Handle, out Status done);
                if (error != 0)
                {
                    ThrowWaitFailed(slot, generation, error);
                }
                if (IsApplicationMessage(done))
                {
                    ReceiveStatus received = ResultOf(record, done);
                    Requests.Retire(ref record, slot);
                    return received;
                }
                return WaitInterrupted(slot, generation, done);
            }
            // Fast path: test here while no synchronization is announced (a local read).
            for (int spin = 0; spin < FastPolls; spin++)
            {
                int error = record.Handle.TestWithoutThrowing(out bool completed, out Status status);
                if (error != 0)
                {
                    ThrowWaitFailed(slot, generation, error);
                }
                if (completed)
                {
                    // Completed by MPI, so not from the received-message-list (no truncation to
                    // raise here): the result goes straight to the caller, not through the entry.
                    if (!record.IsReceive)
                    {
                        Requests.Retire(ref record, slot);
                        return RequestTable.EmptyStatus;
                    }
                    // Only a wildcard-tag receive can take a peer's drain marker (tags are below it).
                    if (status.Tag != ControlTag.DrainMarker)
                    {
                        ReceiveStatus received = ResultOf(record, status);
                        Requests.Retire(ref record, slot);
                        return received;
                    }
                    return WaitRest(slot, generation, markerFrom: status.Source); // still to be satisfied
                }
                if (window.SyncFlagSeen)
                {
                    break;
                }
            }
        }
        if (record.State == RequestState.Done && record.TruncatedBytes == 0)
        {
            // Completed from the received-message-list when it was started.
            ReceiveStatus result = record.Result;
            Requests.Retire(ref record, slot);
            return result;
        }
        return WaitRest(slot, generation, markerFrom: -1);
    }

    /// <summary>
    /// The rest of <see cref="Wait"/>, out of line: records a drain marker the receive took
    /// (<paramref name="markerFrom"/>, else -1) and posts it again, takes part in a synchronization
    /// while it waits, then returns the result or raises a truncation; an MPI error is raised as
    /// <see cref="RetireFailed"/> makes it.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ReceiveStatus WaitRest(int slot, int generation, int markerFrom)
    {
        try
        {
            ref RequestRecord record = ref Requests.Records[slot];
            if (markerFrom >= 0)
            {
                RecordMarker(record.Channel!, markerFrom);
                Post(ref record);
            }
            if (record.State != RequestState.Done)
            {
                WaitSlow(slot);
            }
            ReceiveStatus result = record.Result;
            if (record.TruncatedBytes != 0)
            {
                ThrowTruncated(slot);
            }
            Requests.Retire(ref record, slot);
            return result;
        }
        catch (MpiException e)
        {
            throw RetireFailed(slot, generation, e);
        }
    }

    /// <summary>
    /// An interruptible wait in <see cref="Wait"/> ended without an application message: the
    /// SYNC flag cancelled the receive (posted again here, still the newest receive), or a
    /// wildcard-tag receive took a drain marker; the rest as <see cref="WaitRest"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ReceiveStatus WaitInterrupted(int slot, int generation, Status done)
    {
        if (!done.Cancelled)
        {
            return WaitRest(slot, generation, markerFrom: done.Source);
        }
        ref RequestRecord record = ref Requests.Records[slot];
        if (ProtocolTrace.Enabled)
        {
            ProtocolTrace.Write(Rank, $"wait for a receive from {record.Peer} interrupted in MPI_Wait by the SYNC flag (progress hook; {InterruptibleWait.Interrupts} so far)");
        }
        Post(ref record);
        return WaitRest(slot, generation, markerFrom: -1);
    }

    /// <summary>MPI_Test failed in <see cref="Wait"/>: the request is spent, the error raised as <see cref="RetireFailed"/> makes it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowWaitFailed(int slot, int generation, int error) =>
        throw RetireFailed(slot, generation, MpiException.FromErrorCode(error, "MPI_Test"));

    /// <summary>The rest of <see cref="Wait"/>: the protocol-aware wait, taking part in a synchronization.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WaitSlow(int slot)
    {
        ref RequestRecord record = ref Requests.Records[slot];
        while (record.State != RequestState.Done)
        {
            if (record.State == RequestState.Parked)
            {
                Post(ref record); // not expected outside a synchronization; harmless
                continue;
            }
            if (WaitPolled(record.Channel!, ref record.Handle, record.IsReceive ? BlockedOperation.Receive : BlockedOperation.Send,
                    record.Peer, record.Tag, out Status status, slot) == WaitResult.Completed && record.State == RequestState.Active)
            {
                OnMpiCompletion(ref record, status);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // jitted, never precompiled (see NonBlockingHotPaths)
    internal bool Test(int slot, int generation, out ReceiveStatus result)
    {
        if (!Requests.IsLive(slot, generation))
        {
            result = RequestTable.EmptyStatus;
            return true;
        }
        ref RequestRecord record = ref Requests.Records[slot];
        if (record.State == RequestState.Active && record.Handle.Test(out Status status))
        {
            OnMpiCompletion(ref record, status);
        }
        if (record.State != RequestState.Done)
        {
            result = default;
            return false;
        }
        result = record.Result;
        if (record.TruncatedBytes != 0)
        {
            ThrowTruncated(slot);
        }
        Requests.Retire(ref record, slot);
        return true;
    }

    /// <summary>MPI completed the request's operation (not by a cancel): done, unless a wildcard receive took a drain marker.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void OnMpiCompletion(ref RequestRecord record, in Status status)
    {
        if (!record.IsReceive)
        {
            record.State = RequestState.Done;
            return;
        }
        if (TookMarker(record.Channel!, status))
        {
            Post(ref record); // the receive is still to be satisfied
            return;
        }
        record.Result = ResultOf(record, status);
        record.State = RequestState.Done;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReceiveStatus ResultOf(in RequestRecord record, in Status status)
    {
        int bytes = status.GetCount<byte>();
        if (record.ElementSize == 1)
        {
            return new ReceiveStatus(status.Source, status.Tag, bytes);
        }
        return ResultOfElements(record.ElementSize, status, bytes);
    }

    private static ReceiveStatus ResultOfElements(int elementSize, in Status status, int bytes)
    {
        if (bytes % elementSize != 0)
        {
            throw new InvalidOperationException($"the message's size ({bytes} bytes) is not a whole number of {elementSize}-byte elements");
        }
        return new ReceiveStatus(status.Source, status.Tag, bytes / elementSize);
    }

    /// <summary>
    /// Before a drain: cancels every posted receive. One that MPI had already matched is done;
    /// one that was cancelled, or that took a drain marker, waits to be posted again.
    /// </summary>
    private void ParkOutstandingReceives()
    {
        foreach (int slot in Requests.LiveInStartOrder())
        {
            ref RequestRecord record = ref Requests.Records[slot];
            if (record.IsReceive && record.State == RequestState.Active)
            {
                Park(ref record);
            }
        }
    }

    private void Park(ref RequestRecord record)
    {
        if (CancelReceive(record.Channel!, ref record.Handle, out Status status))
        {
            record.Result = ResultOf(record, status);
            record.State = RequestState.Done;
        }
        else
        {
            record.State = RequestState.Parked;
        }
    }

    /// <summary>
    /// After a synchronization (on the new group, or the old one after a rollback): posts the
    /// parked receives again in the order they were started, each taking from the
    /// received-message-list first, so each gets the message it would have got.
    /// </summary>
    private void RepostParkedReceives()
    {
        foreach (int slot in Requests.LiveInStartOrder())
        {
            ref RequestRecord record = ref Requests.Records[slot];
            if (record.State == RequestState.Parked)
            {
                Post(ref record);
            }
        }
    }

    /// <summary>During a drain: every send this process started completes, because its receiver drains it.</summary>
    private void CompleteOutstandingSends(Deadline deadline)
    {
        foreach (int slot in Requests.LiveInStartOrder())
        {
            ref RequestRecord record = ref Requests.Records[slot];
            if (!record.IsReceive && record.State == RequestState.Active)
            {
                WaitWithin(ref record.Handle, deadline, record.Peer);
                record.State = RequestState.Done;
            }
        }
    }
}
