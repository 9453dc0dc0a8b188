using System.Buffers;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

/// <summary>
/// Sendrecv, Sendrecv_replace and Ssend, built on the polled operations: the send of a
/// Sendrecv is a tracked non-blocking send (so a drain completes it), its receive the polled
/// <see cref="Receive{T}"/> (the list first); an Ssend is polled like a large Send.
/// </summary>
internal sealed partial class GroupProtocol
{
    /// <summary>Sends <paramref name="send"/> and receives into <paramref name="receive"/>, in either order, without deadlock.</summary>
    internal unsafe ReceiveStatus SendReceive<TSend, TReceive>(Channel channel, ReadOnlySpan<TSend> send, int destination, int sendTag,
        Span<TReceive> receive, int source, int receiveTag) where TSend : unmanaged where TReceive : unmanaged
    {
        CheckTag(sendTag, allowAny: false);
        CheckTag(receiveTag, allowAny: true);
        fixed (TSend* p = send)
        {
            // A tracked send (the buffer stays pinned by this block until it is waited for below):
            // if a synchronization happens while the receive waits, the drain completes it.
            ref RequestRecord record = ref Requests.Allocate(isReceive: false, out int slot);
            record.Pin = default;
            record.Channel = channel;
            record.Peer = destination;
            record.Tag = sendTag;
            record.Handle = RequestHandle.StartSend(channel.Communicator, p, send.Length, destination, sendTag);
            record.State = RequestState.Active;
            int generation = record.Generation;
            try
            {
                return ReceiveOutOfLine(channel, receive, source, receiveTag);
            }
            finally
            {
                Wait(slot, generation); // also when the receive failed: MPI must be done with the buffer
            }
        }
    }

    /// <summary>Sends the buffer's contents and replaces them with the received message.</summary>
    internal ReceiveStatus SendReceiveReplace<T>(Channel channel, Span<T> buffer, int destination, int sendTag, int source, int receiveTag) where T : unmanaged
    {
        T[] copy = ArrayPool<T>.Shared.Rent(buffer.Length);
        try
        {
            buffer.CopyTo(copy);
            return SendReceive<T, T>(channel, copy.AsSpan(0, buffer.Length), destination, sendTag, buffer, source, receiveTag);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(copy);
        }
    }

    /// <summary>
    /// Synchronous send: returns once the receiver has matched the message. Polled like a large
    /// <see cref="Send{T}"/>; if the receiver stops for a synchronization first, its drain matches it.
    /// </summary>
    internal unsafe void SynchronousSend<T>(Channel channel, ReadOnlySpan<T> data, int destination, int tag) where T : unmanaged
    {
        CheckTag(tag, allowAny: false);
        fixed (T* p = data)
        {
            RequestHandle request = RequestHandle.StartSynchronousSend(channel.Communicator, p, data.Length, destination, tag);
            if (!request.Test(out _))
            {
                WaitPolled(channel, ref request, BlockedOperation.Send, destination, tag, out _, ownerSlot: -1);
            }
        }
    }
}
