using Mitten.GroupComm;

namespace Mitten.Protocol;

/// <summary>
/// Shared memory, sending side: the codec's output goes into a <see cref="StateRing"/> (the
/// receiving spare's prepared ring when there is one, else a ring of this process's own) with
/// pwrite (small writes gathered first); after every write the offset written so far is
/// published on the ring's control page and the reader woken if it sleeps (<see cref="RingSignal"/>),
/// and the end of the stream is marked there too. The writer never gets more than the ring ahead
/// of the reader's credit; when the ring is full it sleeps until the reader credits.
/// </summary>
internal sealed unsafe class SharedMemoryStateSender : StateSender
{
    private readonly Communicator inter;
    private readonly int chunk;
    private readonly StateRing ring;
    /// <summary>Writes from this size on skip the gathering copy.</summary>
    private const int DirectWriteBytes = 64 * 1024;
    /// <summary>How long one sleep for room lasts before the deadline, RESTORE_FAILED and the reader's liveness are checked.</summary>
    private const int RoomWaitMs = 100;
    private readonly byte[] gather = new byte[256 * 1024];
    private readonly Func<bool> hasRoom;
    private int gathered;
    private long offset;
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
        hasRoom = () => ring.DataBytes - (offset - ring.Consumed) > 0;
        if (ring.RemoteAddress != 0 && StateRing.RemoteWrites)
        {
            remote = true; // the spare named its ring and where it has it mapped: process_vm_writev into its pages (StateRing.Direct.cs)
        }
        else if (ring.WasPrepared && Environment.GetEnvironmentVariable("MITTEN_STATE_RING_MAP") != "0")
        {
            nint ahead = ring.DetachPreMapped(); // mapped and touched before the freeze (StateRing.Preopen.cs)
            mapped = ahead != 0 ? ahead : ring.MapData();
        }
    }

    /// <summary>The ring's data mapped into this process (a prepared ring), 0 when the writes go by pwrite.</summary>
    private nint mapped;

    /// <summary>Whether the writes go into the spare's own mapping with process_vm_writev (until one fails).</summary>
    private bool remote;

    internal override string Channel => "shm:" + ring.Address;

    internal override int ReaderPid => ring.File.IsClosed ? 0 : ring.ReaderPid;

    /// <summary>Whether the ring was prepared by the receiver (warm from the first byte).</summary>
    internal bool UsesPreparedRing => ring.WasPrepared;

    /// <summary>Waits for room so far (the ring was full) and the Stopwatch ticks they took (for the benchmark's phases).</summary>
    internal (int Waits, long Ticks) RoomWaits => (roomWaits, roomWaitTicks);

    private int roomWaits;
    private long roomWaitTicks;
    private int ringWrites;
    private long ringWriteTicks;
    private long firstPutTicks;
    private ThreadUsage usage;

    internal override string TransportStats => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{ringWrites} ring writes in {ringWriteTicks * 1000.0 / System.Diagnostics.Stopwatch.Frequency:F2} ms (room waits {roomWaits}, {roomWaitTicks * 1000.0 / System.Diagnostics.Stopwatch.Frequency:F2} ms), first write to now {(firstPutTicks == 0 ? 0 : System.Diagnostics.Stopwatch.GetElapsedTime(firstPutTicks).TotalMilliseconds):F2} ms, mapped {mapped != 0}, direct {remote}, ring named {StateRing.LastClaimWasNamed}; writer thread from the first write: {usage.Describe()}");

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

    /// <summary>
    /// pwrite into the ring, in pieces that end at the ring's end, at a chunk, or where the
    /// reader's credit ends; each piece is published (<see cref="StateRing.Written"/>) as soon as
    /// it is written, so the reader copies it out while the codec produces the next.
    /// </summary>
    private void WriteToRing(ReadOnlySpan<byte> data)
    {
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        if (firstPutTicks == 0)
        {
            firstPutTicks = t0;
            if (ProtocolTrace.Enabled)
            {
                usage.Begin();
            }
        }
        ringWrites++;
        try
        {
            WriteToRingCore(data);
        }
        finally
        {
            ringWriteTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t0;
        }
    }

    private void WriteToRingCore(ReadOnlySpan<byte> data)
    {
        long size = ring.DataBytes;
        while (!data.IsEmpty)
        {
            long at = offset % size;
            long room = AwaitRoom();
            int n = (int)Math.Min(Math.Min(data.Length, room), Math.Min(size - at, chunk));
            if (!remote || !ring.WriteRemote(data[..n], at))
            {
                if (remote)
                {
                    remote = false; // refused (no permission, say): the ring mapped here from now on, and this piece again
                    mapped = ring.MapData();
                }
                if (mapped != 0)
                {
                    data[..n].CopyTo(new Span<byte>((byte*)mapped + at, n));
                }
                else
                {
                    Reserve(at, n);
                    RandomAccess.Write(ring.File, data[..n], StateRing.ControlBytes + at);
                }
            }
            offset += n;
            data = data[n..];
            ring.Written = offset;
            ring.WriterSignal.Raise();
        }
    }

    /// <summary>
    /// Bytes the ring has room for now (more than 0). When it is full, sleeps until the reader
    /// credits (<see cref="StateRing.ReaderSignal"/>), waking every <see cref="RoomWaitMs"/> to
    /// check the deadline (the restore limit, restarted whenever the reader advances), the
    /// reader's process, and RESTORE_FAILED. Ends in a <see cref="StateTransferException"/> (and
    /// the migration's rollback) when the deadline passes, the reader's process is gone, or the
    /// replacement reports RESTORE_FAILED. No deadlock: every byte written is published before.
    /// </summary>
    private long AwaitRoom()
    {
        long room = ring.DataBytes - (offset - ring.Consumed);
        if (room > 0)
        {
            return room;
        }
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        roomWaits++;
        long seen = ring.Consumed;
        var deadline = Deadline.After(ProtocolTimeouts.Restore, "the replacement's reading of the state (room in the state ring)");
        while (!ring.ReaderSignal.Wait(hasRoom, RoomWaitMs))
        {
            ThrowIfReplacementFailedOnMainThread(inter);
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
            int reader = ring.ReaderPid;
            if (reader > 0 && reader != Environment.ProcessId && !StateRing.IsAlive(reader))
            {
                throw new StateTransferException($"the replacement (process {reader}) died while reading the state");
            }
        }
        roomWaitTicks += System.Diagnostics.Stopwatch.GetTimestamp() - started;
        return ring.DataBytes - (offset - ring.Consumed);
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
        ThrowIfReplacementFailedOnMainThread(inter);
        ring.Written = offset;
        ring.Complete = true;
        ring.WriterSignal.Raise();
    }

    protected override void Dispose(bool disposing)
    {
        if (mapped != 0 && !ring.File.IsClosed)
        {
            ring.UnmapData(mapped);
        }
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
        reader.ReaderSignal.Raise();
        _ = owned.ReaderSignal.Wait(static () => true, 0);
        owned.WriterSignal.Exercise();
        _ = owned.Allocate(0, page.Length);
        StateRing.ExerciseDirectCalls();
    }
}

/// <summary>
/// Shared memory, receiving side: opens the ring the channel names (its own prepared ring, or
/// the moving rank's through /proc), reads what the writer has published on the control page,
/// wrapping at the ring's end, and gives the writer credit for every byte it has read (the
/// control page's consumed word), waking it if it sleeps for room. When it has read everything
/// written it sleeps until the writer publishes more (<see cref="StateRing.WriterSignal"/>).
/// </summary>
internal sealed unsafe class SharedMemoryStateReceiver : StateReceiver
{
    /// <summary>How long one sleep for bytes lasts before ABANDON and the deadline are checked.</summary>
    private const int BytesWaitMs = 20;
    private readonly Communicator parent;
    private readonly Action<string> leave;
    private readonly StateRing ring;
    private readonly Func<bool> hasBytes;
    private long available, position;
    private bool complete, wrapped;
    private int byteWaits;
    private long byteWaitTicks;

    /// <summary>Waits for bytes so far (everything written was read) and the Stopwatch ticks they took (for the benchmark's phases).</summary>
    internal (int Waits, long Ticks) ByteWaits => (byteWaits, byteWaitTicks);

    private int reads;
    private long readTicks, maxReadTicks, readCpuNanos;
    private ThreadUsage usage;

    internal override string TransportStats => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{reads} ring reads in {readTicks * 1000.0 / System.Diagnostics.Stopwatch.Frequency:F2} ms (longest {maxReadTicks * 1000.0 / System.Diagnostics.Stopwatch.Frequency:F2}, processor {readCpuNanos / 1e6:F2} ms), byte waits {byteWaits} ({byteWaitTicks * 1000.0 / System.Diagnostics.Stopwatch.Frequency:F2} ms); reader thread from the first read: {usage.Describe()}");

    internal SharedMemoryStateReceiver(Communicator parent, int pid, int descriptor, long ringBytes, Action<string> leave)
    {
        this.parent = parent;
        this.leave = leave;
        ring = StateRing.OpenForReading(pid, descriptor, ringBytes);
        ring.ReaderPid = Environment.ProcessId;
        hasBytes = () => ring.Complete || ring.Written > position;
    }

    protected override int Take(Span<byte> destination)
    {
        if (ProtocolTrace.Enabled)
        {
            usage.Begin();
        }
        while (position == available)
        {
            if (complete)
            {
                return 0;
            }
            AwaitBytes();
        }
        long size = ring.DataBytes;
        long at = position % size;
        int n = (int)Math.Min(Math.Min(destination.Length, available - position), size - at);
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        long cpu0 = ProtocolTrace.Enabled ? ThreadUsage.ThreadCpuNanos() : 0;
        int got;
        if (ring.OwnMapped != 0)
        {
            // Its own prepared ring, kept mapped since its preparation (StateRing.Direct.cs): a memory copy.
            new ReadOnlySpan<byte>((byte*)ring.OwnMapped + at, n).CopyTo(destination);
            got = n;
        }
        else
        {
            got = RandomAccess.Read(ring.File, destination[..n], StateRing.ControlBytes + at);
        }
        long took = System.Diagnostics.Stopwatch.GetTimestamp() - t0;
        if (ProtocolTrace.Enabled)
        {
            readCpuNanos += ThreadUsage.ThreadCpuNanos() - cpu0;
        }
        readTicks += took;
        maxReadTicks = Math.Max(maxReadTicks, took);
        reads++;
        if (got <= 0)
        {
            throw new InvalidDataException($"the moving rank's state ring ended at {position} bytes, {available} were published");
        }
        position += got;
        ring.Consumed = position;
        ring.ReaderSignal.Raise();
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

    /// <summary>
    /// Waits until the writer has published bytes beyond what was read, or the end; sleeps on the
    /// writer's signal and, every <see cref="BytesWaitMs"/> without progress, checks for ABANDON
    /// and the deadline (step + restore limit, restarted with every wait).
    /// </summary>
    private void AwaitBytes()
    {
        if (!hasBytes())
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            byteWaits++;
            Deadline deadline = NextChunkDeadline();
            while (!ring.WriterSignal.Wait(hasBytes, BytesWaitMs))
            {
                if (Abandoned(parent))
                {
                    leave("the moving rank rolled the migration back");
                }
                if (deadline.Expired)
                {
                    leave(deadline.Describe());
                }
            }
            byteWaitTicks += System.Diagnostics.Stopwatch.GetTimestamp() - started;
        }
        complete = ring.Complete; // read before Written: the writer sets it after the last publication
        available = ring.Written;
    }

    protected override void ReleaseTransport() => ring.Dispose();
}
