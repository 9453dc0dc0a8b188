namespace Mitten.Bench.IS;

/// <summary>
/// Everything the IS kernel needs from the group it runs in. The kernel is generic over a
/// <c>struct</c> implementing this interface, so the JIT compiles one specialized copy per
/// implementation and the calls cost what the underlying calls cost. <see cref="PlainCommunicator"/>
/// runs on the plain binding; a migration-aware implementation routes the same calls
/// through the Mitten layer and acts at <see cref="MigrationPoint"/>.
/// </summary>
public interface IIsCommunicator
{
    /// <summary>This process's rank.</summary>
    int Rank { get; }

    /// <summary>The number of processes.</summary>
    int Size { get; }

    /// <summary>Element-wise sum of <paramref name="send"/> over all processes into <paramref name="receive"/> (same length).</summary>
    void AllreduceSum(ReadOnlySpan<int> send, Span<int> receive);

    /// <summary>Sum of one value over all processes, returned everywhere.</summary>
    int AllreduceSum(int value);

    /// <summary>Sum of one 64-bit value over all processes (wrapping), returned everywhere.</summary>
    long AllreduceSum(long value);

    /// <summary>Maximum of one value over all processes, returned everywhere.</summary>
    double AllreduceMax(double value);

    /// <summary>Personalized all-to-all of one int per process: send[i] goes to process i, receive[j] comes from process j.</summary>
    void Alltoall(ReadOnlySpan<int> send, Span<int> receive);

    /// <summary>All-to-all with varying block sizes (counts and displacements in elements, one per process).</summary>
    void Alltoallv(ReadOnlySpan<int> send, ReadOnlySpan<int> sendCounts, ReadOnlySpan<int> sendDisplacements,
        Span<int> receive, ReadOnlySpan<int> receiveCounts, ReadOnlySpan<int> receiveDisplacements);

    /// <summary>Blocking send of one int.</summary>
    void Send(int value, int destination, int tag);

    /// <summary>Blocking receive of one int.</summary>
    int Recv(int source, int tag);

    /// <summary>Blocks until every process has called it.</summary>
    void Barrier();

    /// <summary>Wall-clock seconds.</summary>
    double Wtime();

    /// <summary>
    /// Called at the start of every timed iteration (1..10), inside the timed region, with all
    /// of the benchmark's changing state in <see cref="IsState"/> consistent: a migration here
    /// moves the <see cref="IsState"/>, and the restored rank re-enters
    /// <see cref="IsBenchmark{TComm}.Run"/>, which calls this again with the same iteration
    /// before running it (the implementation treats that call as its resume point).
    /// </summary>
    void MigrationPoint(int iteration);
}
