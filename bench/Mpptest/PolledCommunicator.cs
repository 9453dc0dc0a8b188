using Mitten.GroupComm;

namespace Mitten.Bench.Mpptest;

/// <summary>
/// A micro-benchmark variant (<c>--compare polled</c>): the plain binding, except that a
/// blocking receive and a wait are made the way the Mitten layer makes them — <c>MPI_Irecv</c>
/// (or the started request), then <c>MPI_Test</c> polled from managed code until it completes — with none of Mitten's
/// bookkeeping. Against the plain binding it shows what that MPI-level structure costs by
/// itself; against Mitten, what Mitten adds on top of it.
/// </summary>
public readonly unsafe struct PolledCommunicator : IMpptestCommunicator
{
    private readonly PlainCommunicator plain;
    private readonly Communicator communicator;
    private readonly RequestHandle[] pending;
    private readonly System.Buffers.MemoryHandle[] pins;

    /// <summary>Wraps <paramref name="communicator"/>.</summary>
    public PolledCommunicator(Communicator communicator, string name = "polled")
    {
        this.communicator = communicator;
        plain = new PlainCommunicator(communicator, name);
        pending = new RequestHandle[IMpptestCommunicator.MaxPending];
        pins = new System.Buffers.MemoryHandle[IMpptestCommunicator.MaxPending];
    }

    /// <inheritdoc/>
    public string Name => plain.Name;

    /// <inheritdoc/>
    public int Rank => plain.Rank;

    /// <inheritdoc/>
    public int Size => plain.Size;

    /// <inheritdoc/>
    public void Send(ReadOnlySpan<byte> data, int destination, int tag) => plain.Send(data, destination, tag);

    /// <inheritdoc/>
    public void Recv(Span<byte> buffer, int source, int tag)
    {
        fixed (byte* p = buffer)
        {
            RequestHandle request = RequestHandle.StartReceive(communicator, p, buffer.Length, source, tag);
            while (!request.Test(out _))
            {
            }
        }
    }

    /// <inheritdoc/>
    public void StartSend(ReadOnlyMemory<byte> data, int destination, int tag, int slot)
    {
        pins[slot] = data.Pin();
        pending[slot] = RequestHandle.StartSend(communicator, (byte*)pins[slot].Pointer, data.Length, destination, tag);
    }

    /// <inheritdoc/>
    public void StartRecv(Memory<byte> buffer, int source, int tag, int slot)
    {
        pins[slot] = buffer.Pin();
        pending[slot] = RequestHandle.StartReceive(communicator, (byte*)pins[slot].Pointer, buffer.Length, source, tag);
    }

    /// <inheritdoc/>
    /// <remarks>Each started request polled with MPI_Test until it completes, as Mitten's wait does (without its bookkeeping).</remarks>
    public void WaitAll()
    {
        for (int i = 0; i < pending.Length; i++)
        {
            if (pending[i].IsCompleted)
            {
                continue;
            }
            while (!pending[i].Test(out _))
            {
            }
            pending[i] = default;
            pins[i].Dispose();
            pins[i] = default;
        }
    }

    /// <inheritdoc/>
    public void Barrier() => plain.Barrier();

    /// <inheritdoc/>
    public void Bcast(Span<byte> buffer, int root) => plain.Bcast(buffer, root);

    /// <inheritdoc/>
    public void ReduceSum(ReadOnlySpan<double> send, Span<double> receive, int root) => plain.ReduceSum(send, receive, root);

    /// <inheritdoc/>
    public void AllreduceSum(ReadOnlySpan<double> send, Span<double> receive) => plain.AllreduceSum(send, receive);

    /// <inheritdoc/>
    public void Alltoall(ReadOnlySpan<byte> send, Span<byte> receive) => plain.Alltoall(send, receive);

    /// <inheritdoc/>
    public double AllreduceMax(double value) => plain.AllreduceMax(value);

    /// <inheritdoc/>
    public double Wtime() => Mpi.Wtime();
}
