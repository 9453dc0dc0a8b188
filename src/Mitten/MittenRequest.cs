using System.Buffers;
using Mitten.GroupComm;
using Mitten.Protocol;

namespace Mitten;

/// <summary>
/// A send in progress (<see cref="MittenCommunicator.Isend{T}"/>). Its buffer stays pinned
/// until it completes. If the group synchronizes for a migration meanwhile, the send is
/// completed by its receiver's drain; a request does not travel with a migrating rank, so
/// wait for it before the next migration point.
/// </summary>
public sealed class MittenRequest
{
    private readonly GroupProtocol protocol;
    internal RequestHandle Handle;
    private MemoryHandle pin;
    internal readonly int Destination;
    internal readonly int Tag;

    internal MittenRequest(GroupProtocol protocol, RequestHandle handle, MemoryHandle pin, int destination, int tag)
    {
        this.protocol = protocol;
        Handle = handle;
        this.pin = pin;
        Destination = destination;
        Tag = tag;
    }

    /// <summary>Whether the send has completed.</summary>
    public bool IsCompleted => Handle.IsCompleted;

    /// <summary>Waits until the send completes (taking part in a migration if one happens meanwhile).</summary>
    public void Wait() => protocol.WaitSend(this);

    /// <summary>Waits for every request.</summary>
    public static void WaitAll(IEnumerable<MittenRequest> requests)
    {
        foreach (MittenRequest request in requests)
        {
            request.Wait();
        }
    }

    internal void Release()
    {
        pin.Dispose();
        pin = default;
    }
}
