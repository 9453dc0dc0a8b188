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
/// Shared memory, sending side: the codec's output goes into a <see cref="StateRing"/> (the
/// receiving spare's prepared ring when there is one, else a ring of this process's own) with
/// pwrite (small writes gathered first); a notice [bytes available, complete] goes to the
/// replacement every <see cref="announceEvery"/> bytes, at the end, and before every wait for
/// room. The writer never gets more than the ring ahead of the reader's credit.
/// </summary>
internal sealed unsafe class SharedMemoryStateSender : StateSender
{
    private readonly Communicator inter;
    private readonly int chunk;
    private readonly StateRing ring;
    private readonly long announceEvery;
    /// <summary>Writes from this size on skip the gathering copy.</summary>
    private const int DirectWriteBytes = 64 * 1024;
    private readonly byte[] gather = new byte[256 * 1024];
    /// <summary>The notice's words, pinned for good: a notice send that never completes may outlive the transfer.</summary>
    private static readonly long[] Notice = GC.AllocateArray<long>(2, pinned: true);
    private int gathered;
    private long offset;
    private long announced;
    /// <summary>Bytes of the ring's data allocated ahead of the writes (see <see cref="Reserve"/>).</summary>
    private long reserved;

    /// <summary>
    /// Opens the ring: the one <paramref name="receiverPid"/> (a spare on this host, 0 when not
    /// known) prepared, else a new one of this process's own.
    /// </summary>
    internal SharedMemoryStateSender(Communicator inter, int chunk, int receiverPid = 0)
    {
        this.inter = inter;
        this.chunk = chunk;
        ring = StateRing.TryClaim(receiverPid) ?? StateRing.CreateForSending();
        reserved = ring.WasPrepared ? ring.DataBytes : 0;
        announceEvery = Math.Max(1, Math.Min(chunk, ring.DataBytes / 4));
    }

    internal override string Channel => "shm:" + ring.Address;

    internal override int ReaderPid => ring.File.IsClosed ? 0 : ring.ReaderPid;

    /// <summary>Whether the ring was prepared by the receiver (warm from the first byte).</summary>
    internal bool UsesPreparedRing => ring.WasPrepared;

    protected override void Put(ReadOnlySpan<byte> data)
    {
        if (data.Length >= DirectWriteBytes)
        {
            // Large writes (the codec's array slices) go straight from the caller's memory into the ring.
            WriteGathered();
            WriteToRing(data);
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
            WriteToRing(gather.AsSpan(0, gathered));
            gathered = 0;
        }
    }

    /// <summary>pwrite into the ring, in pieces that end at the ring's end, at a chunk, or where the reader's credit ends.</summary>
    private void WriteToRing(ReadOnlySpan<byte> data)
    {
        long size = ring.DataBytes;
        while (!data.IsEmpty)
        {
            long at = offset % size;
            long room = AwaitRoom();
            int n = (int)Math.Min(Math.Min(data.Length, room), Math.Min(size - at, chunk));
            Reserve(at, n);
            RandomAccess.Write(ring.File, data[..n], StateRing.ControlBytes + at);
            offset += n;
            data = data[n..];
            if (offset - announced >= announceEvery)
            {
                Announce(complete: false);
            }
        }
    }

    /// <summary>
    /// Bytes the ring has room for now (more than 0). When it is full: announces what is written
    /// but not announced (so the reader can go on), then waits for the reader's credit, polling
    /// with a deadline (the restore limit, restarted whenever the reader advances). Ends in a
    /// <see cref="StateTransferException"/> (and the migration's rollback) when the deadline
    /// passes, the reader's process is gone, or the replacement reports RESTORE_FAILED.
    /// </summary>
    private long AwaitRoom()
    {
        long room = ring.DataBytes - (offset - ring.Consumed);
        if (room > 0)
        {
            return room;
        }
        if (offset > announced)
        {
            Announce(complete: false);
        }
        long seen = ring.Consumed;
        var deadline = Deadline.After(ProtocolTimeouts.Restore, "the replacement's reading of the state (room in the state ring)");
        long nextLivenessCheck = 0;
        while ((room = ring.DataBytes - (offset - ring.Consumed)) <= 0)
        {
            ThrowIfReplacementFailed(inter);
            long consumed = ring.Consumed;
            if (consumed != seen)
            {
                seen = consumed;
                deadline = Deadline.After(ProtocolTimeouts.Restore, deadline.WaitingFor);
            }
            if (deadline.Expired)
            {
                throw new StateTransferException(deadline.Describe());
            }
            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            if (now > nextLivenessCheck)
            {
                nextLivenessCheck = now + System.Diagnostics.Stopwatch.Frequency / 10;
                int reader = ring.ReaderPid;
                if (reader > 0 && reader != Environment.ProcessId && !StateRing.IsAlive(reader))
                {
                    throw new StateTransferException($"the replacement (process {reader}) died while reading the state");
                }
            }
            Thread.Yield();
        }
        return room;
    }

    /// <summary>
    /// On a ring of this process's own, first lap: allocates the pages a chunk ahead of a write of
    /// <paramref name="n"/> bytes at ring offset <paramref name="at"/> (fallocate): a write into a
    /// memory file's pages that do not exist yet allocates and clears them one by one, which ran
    /// 20-30 times slower than allocating the chunk in one call and then writing (4 MiB: about 20
    /// ms against 1.5 ms). A failure only leaves the allocation to the write.
    /// </summary>
    private void Reserve(long at, int n)
    {
        if (at + n <= reserved)
        {
            return;
        }
        long grow = Math.Min(Math.Max(chunk, at + n - reserved), ring.DataBytes - reserved);
        reserved = ring.Allocate(reserved, grow) ? reserved + grow : long.MaxValue;
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
        ring.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>
    /// The file calls of both ends once, on a small ring of this process's own (at start-up,
    /// never during a migration): create and write it, claim it through /proc, write, read,
    /// credit, close. Their native call stubs and code are then made before a migration needs them.
    /// </summary>
    internal static void ExerciseFileCalls()
    {
        const string name = StateRing.Name + "-warmup"; // not the name a writer looks for
        using StateRing owned = StateRing.Create(8192, write: true, name);
        owned.Consumed = 0;
        byte[] page = new byte[4096];
        _ = StateRing.IsAlive(Environment.ProcessId);
        using StateRing? claimed = StateRing.TryClaim(Environment.ProcessId, name); // not ready: null, but the scan ran
        using StateRing reader = StateRing.OpenForReading(Environment.ProcessId, owned.Descriptor, owned.DataBytes);
        RandomAccess.Write(owned.File, page, StateRing.ControlBytes);
        _ = RandomAccess.Read(reader.File, page, StateRing.ControlBytes);
        reader.Consumed = page.Length;
        reader.ReaderPid = Environment.ProcessId;
        _ = owned.Allocate(0, page.Length);
    }
}

/// <summary>
/// Shared memory, receiving side: opens the ring the channel names (its own prepared ring, or
/// the moving rank's through /proc), reads what the notices announce, wrapping at the ring's end,
/// and gives the writer credit for every byte it has read (the control page's consumed word).
/// </summary>
internal sealed class SharedMemoryStateReceiver : StateReceiver
{
    private readonly Communicator parent;
    private readonly Action<string> leave;
    private readonly StateRing ring;
    private readonly long[] notice = new long[2];
    private long available, position;
    private bool complete, wrapped;

    internal SharedMemoryStateReceiver(Communicator parent, int pid, int descriptor, long ringBytes, Action<string> leave)
    {
        this.parent = parent;
        this.leave = leave;
        ring = StateRing.OpenForReading(pid, descriptor, ringBytes);
        ring.ReaderPid = Environment.ProcessId;
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
        long size = ring.DataBytes;
        long at = position % size;
        int n = (int)Math.Min(Math.Min(destination.Length, available - position), size - at);
        int got = RandomAccess.Read(ring.File, destination[..n], StateRing.ControlBytes + at);
        if (got <= 0)
        {
            throw new InvalidDataException($"the moving rank's state ring ended at {position} bytes, {available} were announced");
        }
        position += got;
        ring.Consumed = position;
        if (!wrapped && position > size)
        {
            wrapped = true;
            FaultAfterTheFirstLap();
        }
        return got;
    }

    /// <summary>Test faults (MITTEN_TEST_FAULT via the header) once the stream has gone round the ring: "replacement:ring:stop|kill|exit".</summary>
    private static void FaultAfterTheFirstLap()
    {
        if (FaultInjection.Setting == "replacement:ring:exit")
        {
            Console.Error.WriteLine($"mitten: test fault: exit the replacement at step ring (process {Environment.ProcessId})");
            Console.Error.Flush();
            GroupProtocol.ExitProcess(3);
        }
        FaultInjection.At("ring", "replacement");
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

    protected override void ReleaseTransport() => ring.Dispose();
}
