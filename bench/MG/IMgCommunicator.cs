namespace Mitten.Bench.MG;

/// <summary>
/// Everything the MG kernel needs from the group it runs in. The kernel is generic over a
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
    /// One axis of a halo exchange: sends the first <paramref name="count"/> elements of
    /// <paramref name="sendLower"/> to <paramref name="lower"/> and of <paramref name="sendUpper"/>
    /// to <paramref name="upper"/>; <paramref name="receiveLower"/> gets what
    /// <paramref name="lower"/> sent upwards, <paramref name="receiveUpper"/> what
    /// <paramref name="upper"/> sent downwards (the two neighbours may be the same process).
    /// Tags <paramref name="tagUp"/> and <paramref name="tagUp"/> + 1 mark the directions.
    /// </summary>
    void Exchange(double[] sendLower, double[] sendUpper, double[] receiveLower, double[] receiveUpper, int count,
        int lower, int upper, int tagUp);

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
