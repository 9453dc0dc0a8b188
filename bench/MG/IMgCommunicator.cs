namespace Mitten.Bench.MG;

/// <summary>
/// Everything the MG kernel needs from the group it runs in: a periodic 3-D Cartesian process
/// grid (its neighbours and the halo exchange on it) and the collectives. The kernel is generic over a
/// <c>struct</c> implementing this interface, so the JIT compiles one specialized copy per
/// implementation. <see cref="PlainMgCommunicator"/> runs on the plain binding;
/// <see cref="MittenMgCommunicator"/> routes the same calls through the Mitten layer and acts
/// at <see cref="MigrationPoint"/>.
/// </summary>
public interface IMgCommunicator
{
    /// <summary>This process's rank.</summary>
    int Rank { get; }

    /// <summary>The number of processes.</summary>
    int Size { get; }

    /// <summary>
    /// The process grid this communicator runs on, e.g. "cartesian:2x2x1" (the extents, z, y, x; periodic), with ":mitten-derived-ID" for a derived Mitten communicator;
    /// the halo exchange's neighbours come from it.
    /// </summary>
    string ProcessGrid { get; }

    /// <summary>The neighbour below along grid axis <paramref name="axis"/> (0 = x), from the Cartesian topology (MPI_Cart_shift).</summary>
    int LowerNeighbour(int axis);

    /// <summary>The neighbour above along grid axis <paramref name="axis"/> (0 = x), from the Cartesian topology (MPI_Cart_shift).</summary>
    int UpperNeighbour(int axis);

    /// <summary>
    /// One axis of a halo exchange on the Cartesian communicator: sends the first
    /// <paramref name="count"/> elements of <paramref name="sendLower"/> to the lower neighbour
    /// along <paramref name="axis"/> and of <paramref name="sendUpper"/> to the upper one;
    /// <paramref name="receiveLower"/> gets what the lower neighbour sent upwards,
    /// <paramref name="receiveUpper"/> what the upper one sent downwards (the two neighbours may
    /// be the same process). Tags <paramref name="tagUp"/> and <paramref name="tagUp"/> + 1 mark the directions.
    /// </summary>
    void Exchange(double[] sendLower, double[] sendUpper, double[] receiveLower, double[] receiveUpper, int count,
        int axis, int tagUp);

    /// <summary>Everyone gathers equal blocks, in rank order.</summary>
    void Allgather(ReadOnlySpan<double> send, Span<double> receive);

    /// <summary>Sum over all processes, returned everywhere.</summary>
    double AllreduceSum(double value);

    /// <summary>Maximum over all processes, returned everywhere.</summary>
    double AllreduceMax(double value);

    /// <summary>Blocks until every process has called it.</summary>
    void Barrier();

    /// <summary>Wall-clock seconds.</summary>
    double Wtime();

    /// <summary>
    /// Called at the top of every timed iteration (1..nit), inside the timed region, with all
    /// of the benchmark's changing state in <see cref="MgState"/>: a migration here moves the
    /// <see cref="MgState"/>, and the restored rank re-enters the run, which calls this again
    /// with the same iteration before running it (the implementation treats that call as its
    /// resume point).
    /// </summary>
    void MigrationPoint(int iteration);
}
