using System.Buffers;
using System.Runtime.CompilerServices;
using Mitten.GroupComm;

namespace Mitten.Protocol;

/// <summary>Where a request is: free, posted to MPI, cancelled for a synchronization and waiting to be posted again, or done.</summary>
internal enum RequestState
{
    Free,
    Active,
    Parked,
    Done,
}

/// <summary>One non-blocking operation the application started (an entry of <see cref="RequestTable"/>).</summary>
internal unsafe struct RequestRecord
{
    public RequestHandle Handle;
    public MemoryHandle Pin;  // its Pointer is the buffer
    public int Length;       // elements
    public int ElementSize;  // bytes
    public int Peer;
    public int Tag;
    public RequestState State;
    public bool IsReceive;
    public int Generation;   // bumped when the entry is freed, so a spent MittenRequest no longer matches
    public long Sequence;    // start order
    public ReceiveStatus Result;
    public int TruncatedBytes; // receives completed from the received-message-list: size of a message larger than the buffer, else 0
    public int NextFree;
    /// <summary>The communicator the operation is on (receives are posted again on it after a rebuild).</summary>
    public Channel? Channel;
    /// <summary>Receives: posts the receive for the element type it was started with.</summary>
    public delegate*<Communicator, void*, int, int, int, RequestHandle> StartReceive;
}

/// <summary>
/// The non-blocking requests the application has started and not yet found complete: a table
/// of plain records with a free list, so starting and completing a request allocates nothing
/// (a <see cref="MittenRequest"/> is only a slot and a generation). A synchronization walks the
/// live entries in start order.
/// </summary>
internal sealed unsafe class RequestTable
{
    /// <summary>
    /// The status of a request with nothing to report (a send, or one already found complete).
    /// A property, not a static field, so hot paths get it as constants without a class-initialization check.
    /// </summary>
    internal static ReceiveStatus EmptyStatus => new(-1, -1, 0);

    internal RequestRecord[] Records = new RequestRecord[16];
    private int firstFree = -1;
    private int highWater;
    private long started;

    /// <summary>
    /// The start number (<see cref="RequestRecord.Sequence"/>) of the receive started last. A
    /// receive with this number is the last one posted to MPI, so cancelling and posting it again
    /// keeps its place among the posted receives (what an interruptible wait does).
    /// </summary>
    internal long NewestReceive { get; private set; } = -1;

    /// <summary>
    /// Live receives (reported at a synchronization: they cannot travel with a process). Counted
    /// here, at the synchronization, rather than kept up to date by every request.
    /// </summary>
    internal int LiveReceives
    {
        get
        {
            int live = 0;
            for (int slot = 0; slot < highWater; slot++)
            {
                if (Records[slot].IsReceive && Records[slot].State != RequestState.Free)
                {
                    live++;
                }
            }
            return live;
        }
    }

    /// <summary>Takes a free entry and returns it (its slot in <paramref name="slot"/>); the caller fills it in (its generation is kept).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref RequestRecord Allocate(bool isReceive, out int slot)
    {
        RequestRecord[] records = Records;
        int free = firstFree;
        if ((uint)free < (uint)records.Length)
        {
            slot = free;
            firstFree = records[free].NextFree;
        }
        else
        {
            slot = Grow();
            records = Records;
        }
        ref RequestRecord record = ref records[slot];
        record.IsReceive = isReceive;
        if (isReceive)
        {
            NewestReceive = started;
        }
        record.Sequence = started++;
        record.Result = EmptyStatus;
        record.TruncatedBytes = 0;
        return ref record;
    }

    /// <summary>The first never-used entry (the table doubles when full).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int Grow()
    {
        if (highWater == Records.Length)
        {
            Array.Resize(ref Records, 2 * Records.Length);
        }
        return highWater++;
    }

    /// <summary>
    /// Sets the entry's channel. A freed entry keeps its last one, so a request on the same
    /// channel skips the store and its GC write barrier (only live entries' channels are read).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void SetChannel(ref RequestRecord record, Channel channel)
    {
        if (!ReferenceEquals(record.Channel, channel))
        {
            record.Channel = channel;
        }
    }

    /// <summary>The entry of a live request, else a null reference (a spent or unknown request; test with <see cref="Unsafe.IsNullRef{T}(ref readonly T)"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref RequestRecord Live(int slot, int generation)
    {
        RequestRecord[] records = Records;
        if ((uint)slot < (uint)records.Length)
        {
            // Entries at or above the high-water mark were never used: their state is Free.
            ref RequestRecord record = ref records[slot];
            if (record.Generation == generation && record.State != RequestState.Free)
            {
                return ref record;
            }
        }
        return ref Unsafe.NullRef<RequestRecord>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool IsLive(int slot, int generation) =>
        (uint)slot < (uint)highWater && Records[slot].Generation == generation && Records[slot].State != RequestState.Free;

    /// <summary>The application has seen the request complete: unpin its buffer and free the entry.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Retire(int slot) => Retire(ref Records[slot], slot);

    /// <summary>As <see cref="Retire(int)"/>, for the caller that holds the entry (<paramref name="record"/> is entry <paramref name="slot"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Retire(ref RequestRecord record, int slot)
    {
        record.Pin.Dispose(); // leaves it empty (default)
        // record.Channel is kept (see SetChannel): the next request on the entry is usually on the same one.
        record.State = RequestState.Free;
        record.Generation++;
        record.NextFree = firstFree;
        firstFree = slot;
    }

    /// <summary>The live entries in the order the application started them.</summary>
    internal int[] LiveInStartOrder()
    {
        var live = new List<int>();
        for (int slot = 0; slot < highWater; slot++)
        {
            if (Records[slot].State != RequestState.Free)
            {
                live.Add(slot);
            }
        }
        live.Sort((a, b) => Records[a].Sequence.CompareTo(Records[b].Sequence));
        return [.. live];
    }
}
