using Mitten.Bench.Common;
using Mitten.GroupComm;

namespace Mitten.Bench.MG;

/// <summary>
/// The MG communicator through the Mitten layer: a periodic 3-D Cartesian communicator derived
/// from the session's (<see cref="MittenCommunicator.CreateCartesian"/>), the halo exchange's
/// neighbours from <see cref="MittenCommunicator.Shift"/>, the exchange as non-blocking
/// point-to-point messages on that grid, the reductions and the gather as collectives on it
/// (counted by the protocol), and a real migration point at the top of every timed iteration.
/// The grid survives migrations: on a replacement the same creation call (made before its first
/// migration point) returns the grid its predecessor made, with the same rank numbers. A planned
/// migration is requested by the moving rank itself just before its migration point of that iteration.
/// </summary>
public readonly struct MittenMgCommunicator : IMgCommunicator
{
    private readonly MittenCommunicator grid;
    private readonly PlannedMigrations<MgState> migrations; // a class: shared by the struct's copies
    private readonly int[] lower;
    private readonly int[] upper;

    /// <summary>
    /// Builds the process grid from <paramref name="session"/>'s communicator (collective):
    /// extents <see cref="MgGrid.CartesianDimensions"/>, periodic in x, y and z;
    /// <paramref name="plans"/> are the migrations to inject.
    /// </summary>
    /// <exception cref="ArgumentException">The process count is not a power of two.</exception>
    public MittenMgCommunicator(MittenSession<MgState> session, IReadOnlyList<MigrationPlan> plans)
    {
        int[] dims = MgGrid.CartesianDimensions(session.Communicator.Size);
        grid = session.Communicator.CreateCartesian(dims, [true, true, true])
            ?? throw new InvalidOperationException("the Cartesian grid left out a process although it spans all of them");
        migrations = new PlannedMigrations<MgState>(session, plans);
        Rank = grid.Rank;
        Size = grid.Size;
        lower = new int[3];
        upper = new int[3];
        for (int axis = 0; axis < 3; axis++)
        {
            (lower[axis], upper[axis]) = grid.Shift(MgGrid.CartesianDimension(axis), 1);
        }
        ProcessGrid = $"cartesian:{string.Join('x', dims)}:mitten-derived-{grid.Id}";
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <inheritdoc/>
    public string ProcessGrid { get; }

    /// <inheritdoc/>
    public int LowerNeighbour(int axis) => lower[axis];

    /// <inheritdoc/>
    public int UpperNeighbour(int axis) => upper[axis];

    /// <inheritdoc/>
    public void Exchange(double[] sendLower, double[] sendUpper, double[] receiveLower, double[] receiveUpper, int count,
        int axis, int tagUp)
    {
        int below = lower[axis], above = upper[axis];
        MittenRequest fromLower = grid.Irecv(new Memory<double>(receiveLower, 0, count), below, tagUp);
        MittenRequest fromUpper = grid.Irecv(new Memory<double>(receiveUpper, 0, count), above, tagUp + 1);
        MittenRequest toUpper = grid.Isend(new ReadOnlyMemory<double>(sendUpper, 0, count), above, tagUp);
        MittenRequest toLower = grid.Isend(new ReadOnlyMemory<double>(sendLower, 0, count), below, tagUp + 1);
        fromLower.Wait();
        fromUpper.Wait();
        toUpper.Wait();
        toLower.Wait();
    }

    /// <inheritdoc/>
    public void Allgather(ReadOnlySpan<double> send, Span<double> receive) => grid.Allgather(send, receive);

    /// <inheritdoc/>
    public double AllreduceSum(double value) => grid.Allreduce(value, Op.Sum);

    /// <inheritdoc/>
    public double AllreduceMax(double value) => grid.Allreduce(value, Op.Max);

    /// <inheritdoc/>
    public void Barrier() => grid.Barrier();

    /// <inheritdoc/>
    public double Wtime() => Mpi.Wtime();

    /// <inheritdoc/>
    public void MigrationPoint(int iteration) => migrations.MigrationPoint(iteration);
}
