namespace Mitten.Bench.Mpptest;

/// <summary>
/// What the Mpptest patterns need from the group. The pattern kernel is generic over a
/// <c>struct</c> implementing this, so each implementation gets its own specialized code:
/// <see cref="PlainCommunicator"/> on the plain binding, and a migration-aware one routed
/// through the Mitten layer; one job can alternate two of them and compare.
/// Non-blocking operations are posted into numbered slots (0..<see cref="MaxPending"/>-1)
/// and completed together by <see cref="WaitAll"/>.
/// </summary>
public interface IMpptestCommunicator
{
    /// <summary>The most operations posted before a <see cref="WaitAll"/>.</summary>
    public const int MaxPending = 4;

    /// <summary>A short name for reports ("plain", "mitten", ...).</summary>
    string Name { get; }

    /// <summary>This process's rank.</summary>
    int Rank { get; }

    /// <summary>The number of processes.</summary>
    int Size { get; }

    /// <summary>Blocking send.</summary>
    void Send(ReadOnlySpan<byte> data, int destination, int tag);

    /// <summary>Blocking receive of exactly <paramref name="buffer"/>'s length.</summary>
    void Recv(Span<byte> buffer, int source, int tag);

    /// <summary>Posts a non-blocking send in <paramref name="slot"/>; the memory must stay untouched until <see cref="WaitAll"/>.</summary>
    void StartSend(ReadOnlyMemory<byte> data, int destination, int tag, int slot);

    /// <summary>Posts a non-blocking receive in <paramref name="slot"/>.</summary>
    void StartRecv(Memory<byte> buffer, int source, int tag, int slot);

    /// <summary>Completes every posted operation.</summary>
    void WaitAll();

    /// <summary>Barrier.</summary>
    void Barrier();

    /// <summary>Broadcast from <paramref name="root"/>.</summary>
    void Bcast(Span<byte> buffer, int root);

    /// <summary>Element-wise sum of doubles to <paramref name="root"/>.</summary>
    void ReduceSum(ReadOnlySpan<double> send, Span<double> receive, int root);

    /// <summary>Element-wise sum of doubles to every process.</summary>
    void AllreduceSum(ReadOnlySpan<double> send, Span<double> receive);

    /// <summary>All-to-all of equal blocks (send.Length / Size bytes per process).</summary>
    void Alltoall(ReadOnlySpan<byte> send, Span<byte> receive);

    /// <summary>Maximum of one value over all processes (used outside the timed loops).</summary>
    double AllreduceMax(double value);

    /// <summary>Wall-clock seconds.</summary>
    double Wtime();
}
