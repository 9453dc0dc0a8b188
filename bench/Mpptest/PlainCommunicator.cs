using Mitten.GroupComm;

namespace Mitten.Bench.Mpptest;

/// <summary>The Mpptest communicator on the plain binding (<see cref="Communicator"/>).</summary>
public readonly struct PlainCommunicator : IMpptestCommunicator
{
    private readonly Communicator communicator;
    private readonly Request?[] pending;

    /// <summary>Wraps <paramref name="communicator"/> (rank and size are read once).</summary>
    public PlainCommunicator(Communicator communicator, string name = "plain")
    {
        this.communicator = communicator;
        pending = new Request?[IMpptestCommunicator.MaxPending];
        Name = name;
        Rank = communicator.Rank;
        Size = communicator.Size;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <inheritdoc/>
    public void Send(ReadOnlySpan<byte> data, int destination, int tag) => communicator.Send(data, destination, tag);

    /// <inheritdoc/>
    public void Recv(Span<byte> buffer, int source, int tag) => communicator.Recv(buffer, source, tag);

    /// <inheritdoc/>
    public void StartSend(ReadOnlyMemory<byte> data, int destination, int tag, int slot) =>
        pending[slot] = communicator.Isend(data, destination, tag);

    /// <inheritdoc/>
    public void StartRecv(Memory<byte> buffer, int source, int tag, int slot) =>
        pending[slot] = communicator.Irecv(buffer, source, tag);

    /// <inheritdoc/>
    public void WaitAll()
    {
        for (int i = 0; i < pending.Length; i++)
        {
            if (pending[i] is { } request)
            {
                request.Wait();
                pending[i] = null;
            }
        }
    }

    /// <inheritdoc/>
    public void Barrier() => communicator.Barrier();

    /// <inheritdoc/>
    public void Bcast(Span<byte> buffer, int root) => communicator.Bcast(buffer, root);

    /// <inheritdoc/>
    public void ReduceSum(ReadOnlySpan<double> send, Span<double> receive, int root) => communicator.Reduce(send, receive, Op.Sum, root);

    /// <inheritdoc/>
    public void AllreduceSum(ReadOnlySpan<double> send, Span<double> receive) => communicator.Allreduce(send, receive, Op.Sum);

    /// <inheritdoc/>
    public void Alltoall(ReadOnlySpan<byte> send, Span<byte> receive) => communicator.Alltoall(send, receive);

    /// <inheritdoc/>
    public double AllreduceMax(double value) => communicator.Allreduce(value, Op.Max);

    /// <inheritdoc/>
    public double Wtime() => Mpi.Wtime();
}
