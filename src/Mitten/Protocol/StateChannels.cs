using Mitten.GroupComm;
using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

/// <summary>
/// MPI chunks, sending side: the codec fills one of three pinned chunk buffers while the
/// previous ones are in flight (MPI_Isend); a full ring waits for its oldest send, polling
/// with a deadline. The last chunk is shorter than a chunk (possibly empty).
/// </summary>
internal sealed unsafe class MpiChunkStateSender(Communicator inter, int chunk) : StateSender
{
    private const int Depth = 3;
    private readonly byte[][] buffers = [.. Enumerable.Range(0, Depth).Select(_ => GC.AllocateUninitializedArray<byte>(chunk, pinned: true))];
    private readonly RequestHandle[] sends = new RequestHandle[Depth];
    private int current;
    private int filled;

    /// <summary>Buffers of sends that never completed (the replacement is gone): MPI may still read them.</summary>
    private static readonly List<byte[][]> Stranded = [];

    internal override string Channel => $"mpi:{chunk}";

    protected override void Put(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int n = Math.Min(chunk - filled, data.Length);
            data[..n].CopyTo(buffers[current].AsSpan(filled));
            filled += n;
            data = data[n..];
            if (filled == chunk)
            {
                Ship();
            }
        }
    }

    protected override void Complete()
    {
        Ship(); // shorter than a chunk: the end
        for (int i = 0; i < Depth; i++)
        {
            AwaitSend(i);
        }
    }

    private void Ship()
    {
        fixed (byte* data = buffers[current])
        {
            sends[current] = RequestHandle.StartSend(inter, data, filled, 0, ControlTag.ApplicationState);
        }
        current = (current + 1) % Depth;
        filled = 0;
        AwaitSend(current);
    }

    /// <summary>Waits until buffer <paramref name="i"/> is free again; the deadline restarts with each completed chunk.</summary>
    private void AwaitSend(int i)
    {
        var deadline = Deadline.After(ProtocolTimeouts.Restore, "the replacement's receipt of the state");
        while (!sends[i].Test(out _))
        {
            ThrowIfReplacementFailed(inter);
            if (deadline.Expired)
            {
                throw new StateTransferException(deadline.Describe());
            }
            Thread.Yield();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (sends.Any(s => !s.IsCompleted))
        {
            lock (Stranded)
            {
                Stranded.Add(buffers);
            }
        }
        base.Dispose(disposing);
    }
}

/// <summary>
/// MPI chunks, receiving side: receives for three chunks are posted ahead (they match in
/// posting order); a consumed chunk's buffer is posted again at the back of the ring.
/// </summary>
internal sealed unsafe class MpiChunkStateReceiver : StateReceiver
{
    private const int Depth = 3;
    private readonly Communicator parent;
    private readonly int chunk;
    private readonly Action<string> leave;
    private readonly byte[][] buffers;
    private readonly RequestHandle[] receives = new RequestHandle[Depth];
    private int next;          // the buffer whose receive completes next
    private int consuming = -1;
    private int length, position;
    private bool lastArrived;

    internal MpiChunkStateReceiver(Communicator parent, int chunk, Action<string> leave)
    {
        this.parent = parent;
        this.chunk = chunk;
        this.leave = leave;
        buffers = [.. Enumerable.Range(0, Depth).Select(_ => GC.AllocateUninitializedArray<byte>(chunk, pinned: true))];
        for (int i = 0; i < Depth; i++)
        {
            Post(i);
        }
    }

    private void Post(int i)
    {
        fixed (byte* data = buffers[i])
        {
            receives[i] = RequestHandle.StartReceive(parent, data, chunk, 0, ControlTag.ApplicationState);
        }
    }

    protected override int Take(Span<byte> destination)
    {
        while (consuming < 0 || position == length)
        {
            if (consuming >= 0)
            {
                if (lastArrived)
                {
                    return 0;
                }
                Post(consuming);
            }
            Status status = AwaitChunk(next);
            consuming = next;
            next = (next + 1) % Depth;
            length = status.GetCount<byte>();
            position = 0;
            lastArrived = length < chunk;
            if (length == 0)
            {
                return 0;
            }
        }
        int n = Math.Min(destination.Length, length - position);
        buffers[consuming].AsSpan(position, n).CopyTo(destination);
        position += n;
        return n;
    }

    private Status AwaitChunk(int i)
    {
        Deadline deadline = NextChunkDeadline();
        Status status;
        while (!receives[i].Test(out status))
        {
            if (Abandoned(parent))
            {
                leave("the moving rank rolled the migration back");
            }
            if (deadline.Expired)
            {
                leave(deadline.Describe());
            }
            Thread.Yield();
        }
        return status;
    }

    protected override void ReleaseTransport()
    {
        for (int i = 0; i < Depth; i++)
        {
            if (!receives[i].IsCompleted)
            {
                receives[i].Cancel();
                receives[i].Wait();
            }
        }
    }
}
