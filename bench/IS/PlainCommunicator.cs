using Mitten.GroupComm;

namespace Mitten.Bench.IS;

/// <summary>The IS communicator on the plain binding (<see cref="Communicator"/>); no migration.</summary>
public readonly struct PlainCommunicator : IIsCommunicator
{
    private readonly Communicator communicator;

    /// <summary>Wraps <paramref name="communicator"/> (rank and size are read once).</summary>
    public PlainCommunicator(Communicator communicator)
    {
        this.communicator = communicator;
        Rank = communicator.Rank;
        Size = communicator.Size;
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <inheritdoc/>
    public void AllreduceSum(ReadOnlySpan<int> send, Span<int> receive) => communicator.Allreduce(send, receive, Op.Sum);

    /// <inheritdoc/>
    public int AllreduceSum(int value) => communicator.Allreduce(value, Op.Sum);

    /// <inheritdoc/>
    public long AllreduceSum(long value) => communicator.Allreduce(value, Op.Sum);

    /// <inheritdoc/>
    public double AllreduceMax(double value) => communicator.Allreduce(value, Op.Max);

    /// <inheritdoc/>
    public void Alltoall(ReadOnlySpan<int> send, Span<int> receive) => communicator.Alltoall(send, receive);

    /// <inheritdoc/>
    public void Alltoallv(ReadOnlySpan<int> send, ReadOnlySpan<int> sendCounts, ReadOnlySpan<int> sendDisplacements,
        Span<int> receive, ReadOnlySpan<int> receiveCounts, ReadOnlySpan<int> receiveDisplacements) =>
        communicator.Alltoallv(send, sendCounts, sendDisplacements, receive, receiveCounts, receiveDisplacements);

    /// <inheritdoc/>
    public void Send(int value, int destination, int tag) => communicator.Send(value, destination, tag);

    /// <inheritdoc/>
    public int Recv(int source, int tag) => communicator.Recv<int>(source, tag);

    /// <inheritdoc/>
    public void Barrier() => communicator.Barrier();

    /// <inheritdoc/>
    public double Wtime() => Mpi.Wtime();

    /// <inheritdoc/>
    public void MigrationPoint(int iteration)
    {
    }
}
