using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
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

/// <summary>
/// Shared memory, sending side: an anonymous memory file (memfd_create) the codec's output is
/// written into (small writes gathered first); a notice [bytes available, complete] goes to the
/// replacement after every chunk and at the end.
/// </summary>
internal sealed unsafe class SharedMemoryStateSender : StateSender
{
    private readonly Communicator inter;
    private readonly int chunk;
    private readonly SafeFileHandle file;
    private readonly int descriptor;
    /// <summary>Writes from this size on skip the gathering copy.</summary>
    private const int DirectWriteBytes = 64 * 1024;
    private readonly byte[] gather = new byte[256 * 1024];
    /// <summary>The notice's words, pinned for good: a notice send that never completes may outlive the transfer.</summary>
    private static readonly long[] Notice = GC.AllocateArray<long>(2, pinned: true);
    private int gathered;
    private long offset;
    private long announced;
    /// <summary>Bytes of the file allocated ahead of the writes (see <see cref="Reserve"/>).</summary>
    private long reserved;

    internal SharedMemoryStateSender(Communicator inter, int chunk)
    {
        this.inter = inter;
        this.chunk = chunk;
        descriptor = MemfdCreate("mitten-state", 1 /* MFD_CLOEXEC */);
        if (descriptor < 0)
        {
            throw new StateTransferException($"memfd_create failed (errno {Marshal.GetLastPInvokeError()})");
        }
        file = new SafeFileHandle(descriptor, ownsHandle: true);
    }

    internal override string Channel => $"shm:{Environment.ProcessId}:{descriptor}";

    protected override void Put(ReadOnlySpan<byte> data)
    {
        if (data.Length >= DirectWriteBytes)
        {
            // Large writes (the codec's array slices) go straight from the caller's memory into
            // the file, in chunk-sized pieces, so the replacement can start on each.
            WriteGathered();
            while (!data.IsEmpty)
            {
                int n = (int)Math.Min(data.Length, chunk);
                Reserve(n);
                RandomAccess.Write(file, data[..n], offset);
                offset += n;
                data = data[n..];
                AnnounceIfDue();
            }
            return;
        }
        if (gathered + data.Length > gather.Length)
        {
            WriteGathered();
        }
        data.CopyTo(gather.AsSpan(gathered));
        gathered += data.Length;
        if (gathered == gather.Length)
        {
            WriteGathered();
        }
    }

    private void WriteGathered()
    {
        if (gathered > 0)
        {
            Reserve(gathered);
            RandomAccess.Write(file, gather.AsSpan(0, gathered), offset);
            offset += gathered;
            gathered = 0;
            AnnounceIfDue();
        }
    }

    /// <summary>
    /// Allocates the file's pages a chunk ahead of a write of <paramref name="n"/> bytes at the
    /// current offset (fallocate): a write into a memory file's pages that do not exist yet
    /// allocates and clears them one by one, which here ran 20-30 times slower than allocating
    /// the chunk in one call and then writing (4 MiB: about 20 ms against 1.5 ms). A failure
    /// only leaves the allocation to the write, as before.
    /// </summary>
    private void Reserve(int n)
    {
        if (offset + n <= reserved)
        {
            return;
        }
        long grow = Math.Max(chunk, offset + n - reserved);
        if (SharedMemoryStateReceiver.Fallocate(descriptor, 0, reserved, grow) == 0)
        {
            reserved += grow;
        }
        else
        {
            reserved = long.MaxValue; // not supported here: leave it to the writes
        }
    }

    private void AnnounceIfDue()
    {
        if (offset - announced >= chunk)
        {
            Announce(complete: false);
        }
    }

    protected override void Complete()
    {
        WriteGathered();
        Announce(complete: true);
    }

    private void Announce(bool complete)
    {
        ThrowIfReplacementFailed(inter);
        Notice[0] = offset;
        Notice[1] = complete ? 1 : 0;
        RequestHandle send;
        fixed (long* words = Notice)
        {
            send = RequestHandle.StartSend(inter, words, 2, 0, ControlTag.ApplicationState);
        }
        var deadline = Deadline.After(ProtocolTimeouts.Restore, "the replacement's receipt of a state notice");
        while (!send.Test(out _))
        {
            ThrowIfReplacementFailed(inter);
            if (deadline.Expired)
            {
                throw new StateTransferException(deadline.Describe());
            }
            Thread.Yield();
        }
        announced = offset;
    }

    protected override void Dispose(bool disposing)
    {
        file.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>
    /// The file calls of both ends once, on a one-page file of this process's own (at start-up,
    /// never during a migration): create, write, open through /proc, read, punch a hole, close.
    /// Their native call stubs are then made before a migration needs them.
    /// </summary>
    internal static void ExerciseFileCalls()
    {
        int fd = MemfdCreate("mitten-warmup", 1 /* MFD_CLOEXEC */);
        if (fd < 0)
        {
            throw new StateTransferException($"memfd_create failed (errno {Marshal.GetLastPInvokeError()})");
        }
        using var file = new SafeFileHandle(fd, ownsHandle: true);
        byte[] page = new byte[4096];
        RandomAccess.Write(file, page, 0);
        using SafeFileHandle reader = File.OpenHandle($"/proc/{Environment.ProcessId}/fd/{fd}", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        _ = RandomAccess.Read(reader, page, 0);
        _ = SharedMemoryStateReceiver.Fallocate((int)reader.DangerousGetHandle(), 3 /* FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE */, 0, page.Length);
    }

    [DllImport("libc", EntryPoint = "memfd_create", SetLastError = true)]
    private static extern int MemfdCreate(string name, uint flags);
}

/// <summary>
/// Shared memory, receiving side: opens the moving rank's memory file through /proc, reads
/// what the notices announce, and gives back the pages it has read (FALLOC_FL_PUNCH_HOLE), so
/// the state is held twice at most by a chunk.
/// </summary>
internal sealed class SharedMemoryStateReceiver : StateReceiver
{
    private readonly Communicator parent;
    private readonly Action<string> leave;
    private readonly SafeFileHandle file;
    private readonly long[] notice = new long[2];
    private long available, position, released;
    private bool complete;

    internal SharedMemoryStateReceiver(Communicator parent, int pid, int descriptor, Action<string> leave)
    {
        this.parent = parent;
        this.leave = leave;
        file = File.OpenHandle($"/proc/{pid}/fd/{descriptor}", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
    }

    protected override int Take(Span<byte> destination)
    {
        while (position == available)
        {
            if (complete)
            {
                return 0;
            }
            AwaitNotice();
        }
        int n = (int)Math.Min(destination.Length, available - position);
        int got = RandomAccess.Read(file, destination[..n], position);
        if (got <= 0)
        {
            throw new InvalidDataException($"the moving rank's state file ended at {position} bytes, {available} were announced");
        }
        position += got;
        if (position - released >= 4 << 20)
        {
            long end = position & ~4095L;
            _ = Fallocate((int)file.DangerousGetHandle(), 3 /* FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE */, released, end - released);
            released = end;
        }
        return got;
    }

    private void AwaitNotice()
    {
        Deadline deadline = NextChunkDeadline();
        while (!parent.Iprobe(0, ControlTag.ApplicationState, out _))
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
        parent.Recv<long>(notice, 0, ControlTag.ApplicationState);
        available = notice[0];
        complete = notice[1] == 1;
    }

    protected override void ReleaseTransport() => file.Dispose();

    [DllImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    internal static extern int Fallocate(int fd, int mode, long offset, long length);
}

