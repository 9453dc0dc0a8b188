using Mitten.Bench.Common;
using Mitten.GroupComm;

namespace Mitten.Bench.IS;

/// <summary>
/// The IS communicator through the Mitten layer (<see cref="MittenCommunicator"/>): the same
/// collectives, counted as supersteps by the protocol, and a real migration point at the top
/// of every timed iteration. A planned migration (<see cref="MigrationPlan"/>) is requested by
/// the moving rank itself just before its migration point of that iteration (<see cref="PlannedMigrations{TState}"/>).
/// </summary>
public readonly struct MittenIsCommunicator : IIsCommunicator
{
    private readonly MittenCommunicator communicator;
    private readonly PlannedMigrations<IsState> migrations; // a class: shared by the struct's copies

    /// <summary>Wraps <paramref name="session"/>'s communicator; <paramref name="plans"/> are the migrations to inject.</summary>
    public MittenIsCommunicator(MittenSession<IsState> session, IReadOnlyList<MigrationPlan> plans)
    {
        communicator = session.Communicator;
        migrations = new PlannedMigrations<IsState>(session, plans);
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
    public void MigrationPoint(int iteration) => migrations.MigrationPoint(iteration);
}
