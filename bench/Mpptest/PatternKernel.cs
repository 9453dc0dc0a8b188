namespace Mitten.Bench.Mpptest;

/// <summary>
/// Runs one pattern K times back to back on one communicator adapter. Generic over a struct so
/// the JIT specializes the loops per adapter. Buffers are allocated once for the largest size.
/// </summary>
public sealed class PatternKernel<TComm> where TComm : struct, IMpptestCommunicator
{
    private TComm comm;
    private readonly byte[] send;
    private readonly byte[] receive;
    private readonly double[] sendDoubles;
    private readonly double[] receiveDoubles;
    private readonly int rank;
    private readonly int size;

    /// <summary>A kernel for messages up to <paramref name="maxBytes"/> bytes, with buffers of its own.</summary>
    public PatternKernel(TComm communicator, int maxBytes)
        : this(communicator, new PatternBuffers(maxBytes, communicator.Size))
    {
    }

    /// <summary>
    /// A kernel on <paramref name="buffers"/>, which the variants of a comparison share (see
    /// <see cref="PatternBuffers"/>); they must have been sized for this communicator's group.
    /// </summary>
    public PatternKernel(TComm communicator, PatternBuffers buffers)
    {
        ArgumentNullException.ThrowIfNull(buffers);
        comm = communicator;
        rank = communicator.Rank;
        size = communicator.Size;
        if (buffers.Processes < size)
        {
            throw new ArgumentException($"buffers sized for {buffers.Processes} processes, the group has {size}", nameof(buffers));
        }
        Buffers = buffers;
        send = buffers.Send;
        receive = buffers.Receive;
        sendDoubles = buffers.SendDoubles;
        receiveDoubles = buffers.ReceiveDoubles;
    }

    /// <summary>The message buffers this kernel sends from and receives into.</summary>
    public PatternBuffers Buffers { get; }

    /// <summary>The adapter's name.</summary>
    public string Name => comm.Name;

    /// <summary>Number of processes.</summary>
    public int Size => size;

    /// <summary>This process's rank.</summary>
    public int Rank => rank;

    /// <summary>Managed bytes this process allocated during the last <see cref="Measure"/>'s timed loop.</summary>
    public long LastAllocatedBytes { get; private set; }

    /// <summary>Barrier, then <paramref name="repetitions"/> operations; the elapsed seconds, maximum over processes.</summary>
    public double Measure(Pattern pattern, int bytes, long repetitions)
    {
        comm.Barrier();
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        double start = comm.Wtime();
        switch (pattern)
        {
            case Pattern.PingPong: PingPong(bytes, repetitions); break;
            case Pattern.Nonblocking: Nonblocking(bytes, repetitions); break;
            case Pattern.HeadToHead: HeadToHead(bytes, repetitions); break;
            case Pattern.Halo: Halo(bytes, repetitions); break;
            case Pattern.Bisection: Bisection(bytes, repetitions); break;
            case Pattern.Barrier: Barrier(repetitions); break;
            case Pattern.Bcast: Bcast(bytes, repetitions); break;
            case Pattern.Reduce: Reduce(bytes, repetitions); break;
            case Pattern.Allreduce: Allreduce(bytes, repetitions); break;
            case Pattern.Alltoall: Alltoall(bytes, repetitions); break;
            default: throw new ArgumentOutOfRangeException(nameof(pattern));
        }
        double elapsed = comm.Wtime() - start;
        LastAllocatedBytes = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        return comm.AllreduceMax(elapsed);
    }

    private void PingPong(int bytes, long repetitions)
    {
        Span<byte> s = send.AsSpan(0, bytes);
        Span<byte> r = receive.AsSpan(0, bytes);
        if (rank == 0 && size > 1)
        {
            for (long i = 0; i < repetitions; i++)
            {
                comm.Send(s, 1, 1);
                comm.Recv(r, 1, 1);
            }
        }
        else if (rank == 1)
        {
            for (long i = 0; i < repetitions; i++)
            {
                comm.Recv(r, 0, 1);
                comm.Send(s, 0, 1);
            }
        }
    }

    private void Nonblocking(int bytes, long repetitions)
    {
        var s = new ReadOnlyMemory<byte>(send, 0, bytes);
        var r = new Memory<byte>(receive, 0, bytes);
        if (rank == 0 && size > 1)
        {
            for (long i = 0; i < repetitions; i++)
            {
                comm.StartRecv(r, 1, 2, 0);
                comm.StartSend(s, 1, 2, 1);
                comm.WaitAll();
            }
        }
        else if (rank == 1)
        {
            for (long i = 0; i < repetitions; i++)
            {
                comm.StartRecv(r, 0, 2, 0);
                comm.WaitAll();
                comm.StartSend(s, 0, 2, 1);
                comm.WaitAll();
            }
        }
    }

    private void HeadToHead(int bytes, long repetitions)
    {
        int partner = rank ^ 1;
        if (partner >= size)
        {
            return;
        }
        var s = new ReadOnlyMemory<byte>(send, 0, bytes);
        Span<byte> r = receive.AsSpan(0, bytes);
        for (long i = 0; i < repetitions; i++)
        {
            comm.StartSend(s, partner, 3, 0);
            comm.Recv(r, partner, 3);
            comm.WaitAll();
        }
    }

    private void Halo(int bytes, long repetitions)
    {
        int left = (rank - 1 + size) % size;
        int right = (rank + 1) % size;
        var s = new ReadOnlyMemory<byte>(send, 0, bytes);
        var fromLeft = new Memory<byte>(receive, 0, bytes);
        var fromRight = new Memory<byte>(receive, bytes, bytes);
        for (long i = 0; i < repetitions; i++)
        {
            comm.StartRecv(fromLeft, left, 4, 0);      // travels rightwards: tag 4
            comm.StartRecv(fromRight, right, 5, 1);    // travels leftwards: tag 5
            comm.StartSend(s, right, 4, 2);
            comm.StartSend(s, left, 5, 3);
            comm.WaitAll();
        }
    }

    private void Bisection(int bytes, long repetitions)
    {
        int half = size / 2;
        if (half == 0 || rank >= 2 * half)
        {
            return;
        }
        int partner = rank < half ? rank + half : rank - half;
        var s = new ReadOnlyMemory<byte>(send, 0, bytes);
        var r = new Memory<byte>(receive, 0, bytes);
        for (long i = 0; i < repetitions; i++)
        {
            comm.StartRecv(r, partner, 6, 0);
            comm.StartSend(s, partner, 6, 1);
            comm.WaitAll();
        }
    }

    private void Barrier(long repetitions)
    {
        for (long i = 0; i < repetitions; i++)
        {
            comm.Barrier();
        }
    }

    private void Bcast(int bytes, long repetitions)
    {
        Span<byte> b = send.AsSpan(0, bytes);
        for (long i = 0; i < repetitions; i++)
        {
            comm.Bcast(b, 0);
        }
    }

    private void Reduce(int bytes, long repetitions)
    {
        int count = bytes / sizeof(double);
        ReadOnlySpan<double> s = sendDoubles.AsSpan(0, count);
        Span<double> r = receiveDoubles.AsSpan(0, count);
        for (long i = 0; i < repetitions; i++)
        {
            comm.ReduceSum(s, r, 0);
        }
    }

    private void Allreduce(int bytes, long repetitions)
    {
        int count = bytes / sizeof(double);
        ReadOnlySpan<double> s = sendDoubles.AsSpan(0, count);
        Span<double> r = receiveDoubles.AsSpan(0, count);
        for (long i = 0; i < repetitions; i++)
        {
            comm.AllreduceSum(s, r);
        }
    }

    private void Alltoall(int bytes, long repetitions)
    {
        ReadOnlySpan<byte> s = send.AsSpan(0, bytes * size);
        Span<byte> r = receive.AsSpan(0, bytes * size);
        for (long i = 0; i < repetitions; i++)
        {
            comm.Alltoall(s, r);
        }
    }
}
