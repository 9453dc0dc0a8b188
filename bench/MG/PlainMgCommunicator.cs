using Mitten.GroupComm;

namespace Mitten.Bench.MG;

/// <summary>
/// The MG communicator on the plain binding: a periodic 3-D Cartesian communicator
/// (<see cref="Communicator.CreateCartesian"/>, MPI_Cart_create) made from the given one, the
/// halo exchange's neighbours from <see cref="Communicator.Shift"/> (MPI_Cart_shift), and all
/// of the benchmark's communication on it; no migration. <see cref="Dispose"/> frees the grid
/// (collective); copies of this struct share it.
/// </summary>
public readonly unsafe struct PlainMgCommunicator : IMgCommunicator, IDisposable
{
    private readonly Communicator grid;
    private readonly int[] lower;
    private readonly int[] upper;

    /// <summary>
    /// Builds the process grid over all of <paramref name="parent"/> (collective): extents
    /// <see cref="MgGrid.CartesianDimensions"/>, periodic in x, y and z, no reordering.
    /// </summary>
    /// <exception cref="ArgumentException">The process count is not a power of two.</exception>
    public PlainMgCommunicator(Communicator parent)
    {
        int[] dims = MgGrid.CartesianDimensions(parent.Size);
        grid = parent.CreateCartesian(dims, [true, true, true])
            ?? throw new InvalidOperationException("the Cartesian grid left out a process although it spans all of them");
        Rank = grid.Rank;
        Size = grid.Size;
        lower = new int[3];
        upper = new int[3];
        for (int axis = 0; axis < 3; axis++)
        {
            (lower[axis], upper[axis]) = grid.Shift(MgGrid.CartesianDimension(axis), 1);
        }
        ProcessGrid = $"cartesian:{string.Join('x', dims)}";
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
        // Receives first, then sends, then one MPI_Waitall for all four, as bench/native/mg.c
        // (no allocation: the buffers are pinned by 'fixed' for the whole exchange, the handles
        // live on the stack). MG_HALO_WAIT=each waits each request with Test + Wait instead (the
        // earlier form, kept to compare).
        fixed (double* sl = sendLower, su = sendUpper, rl = receiveLower, ru = receiveUpper)
        {
            Span<RequestHandle> requests = stackalloc RequestHandle[4];
            requests[0] = RequestHandle.StartReceive(grid, rl, count, below, tagUp);
            requests[1] = RequestHandle.StartReceive(grid, ru, count, above, tagUp + 1);
            requests[2] = RequestHandle.StartSend(grid, su, count, above, tagUp);
            requests[3] = RequestHandle.StartSend(grid, sl, count, below, tagUp + 1);
            if (WaitEach)
            {
                for (int i = 0; i < requests.Length; i++)
                {
                    requests[i].Wait();
                }
            }
            else
            {
                RequestHandle.WaitAll(requests);
            }
        }
    }

    /// <summary>MG_HALO_WAIT=each: the halo exchange waits each request (Test + Wait) instead of one Waitall.</summary>
    private static readonly bool WaitEach = Environment.GetEnvironmentVariable("MG_HALO_WAIT") == "each";

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
    public void MigrationPoint(int iteration)
    {
    }

    /// <summary>Frees the Cartesian communicator (collective).</summary>
    public void Dispose() => grid?.Dispose();
}
