using System.Globalization;
using Mitten.GroupComm;

namespace Mitten.Bench.Common;

/// <summary>What the comparison reads of a benchmark's result.</summary>
public interface IBenchmarkResult
{
    /// <summary>Whether the run passed the benchmark's verification.</summary>
    bool Verified { get; }

    /// <summary>Managed bytes allocated during the timed iterations (largest over the processes).</summary>
    long TimedLoopAllocatedBytes { get; }
}

/// <summary>
/// One side of a comparison (plain binding, Mitten, or plain on a duplicate communicator): a
/// benchmark whose state can be made, prepared, advanced one timed iteration at a time and
/// concluded, or run whole.
/// </summary>
public interface IComparedVariant<TState, TResult>
{
    /// <summary>A fresh state for this process.</summary>
    TState CreateState();

    /// <summary>The untimed work before the first timed iteration of a fresh or reset state.</summary>
    void PrepareTimed(TState state);

    /// <summary>One timed iteration; returns this process's time for it in seconds.</summary>
    double TimedIteration(TState state);

    /// <summary>After the timed iterations: verification and the result (collective).</summary>
    TResult Conclude(TState state);

    /// <summary>A whole run (preparation, timed iterations, verification) from <paramref name="state"/>.</summary>
    TResult Run(TState state);
}

/// <summary>
/// The plain-against-second comparison IS and MG run in one job: whole runs alternating, or the
/// two variants interleaved iteration by iteration. Rank 0 prints one COMPARE line per run (the
/// benchmark formats it) and, interleaved, one COMPARE_ITER line per pair of iterations. A first
/// pair (rep=0) is the warm-up (JIT, page faults) and not part of the comparison.
/// </summary>
public sealed class AlternatingComparison<TState, TResult>(
    IComparedVariant<TState, TResult> plain,
    IComparedVariant<TState, TResult> second,
    string secondName,
    Func<int, string, TResult, long, string> compareLine)
    where TResult : IBenchmarkResult
{
    /// <summary>
    /// Whole runs, <paramref name="repeats"/> of each variant after the warm-up pair, each on a
    /// fresh state after a full garbage collection; which variant goes first alternates.
    /// Returns whether every run verified.
    /// </summary>
    public bool RunAlternating(int repeats)
    {
        bool allVerified = true;
        for (int r = 0; r <= repeats; r++)
        {
            for (int step = 0; step < 2; step++)
            {
                bool plainFirst = r == 0 || r % 2 == 1;
                bool secondNow = plainFirst == (step == 1);
                GC.Collect();
                GC.WaitForPendingFinalizers();
                IComparedVariant<TState, TResult> variant = secondNow ? second : plain;
                TResult result = variant.Run(variant.CreateState());
                allVerified &= result.Verified;
                Print(compareLine(r, secondNow ? secondName : "plain", result, result.TimedLoopAllocatedBytes));
            }
        }
        return allVerified;
    }

    /// <summary>
    /// Each repetition resets two states (made once and reused) with <paramref name="reset"/>,
    /// prepares one per variant and alternates the variants iteration by iteration (which goes
    /// first alternates too), so the two times of a pair are taken milliseconds apart and the
    /// machine's slower drifts cancel. The states swap variants from one repetition to the next
    /// ("layout" 0 and 1): where a state's arrays lie in memory moves an iteration's time by
    /// several percent, and this way neither variant keeps the better placement. Each time in a
    /// COMPARE_ITER line is the largest over the processes. Returns whether every run verified.
    /// </summary>
    public bool RunInterleaved(int repeats, int iterations, Action<TState> reset)
    {
        bool allVerified = true;
        TState[] pair = [plain.CreateState(), plain.CreateState()];
        var times = new double[2 * iterations]; // [plain, second] per iteration
        for (int r = 0; r <= repeats; r++)
        {
            int layout = r % 2;
            reset(pair[0]);
            reset(pair[1]);
            TState plainState = pair[layout], secondState = pair[1 - layout];
            plain.PrepareTimed(plainState);
            second.PrepareTimed(secondState);
            for (int i = 0; i < iterations; i++)
            {
                bool plainFirst = (r + i) % 2 == 0;
                for (int step = 0; step < 2; step++)
                {
                    bool secondNow = plainFirst == (step == 1);
                    times[2 * i + (secondNow ? 1 : 0)] = secondNow ? second.TimedIteration(secondState) : plain.TimedIteration(plainState);
                }
            }
            TResult plainResult = plain.Conclude(plainState);
            TResult secondResult = second.Conclude(secondState);
            allVerified &= plainResult.Verified && secondResult.Verified;
            Mpi.World.AllreduceInPlace(times.AsSpan(), Op.Max);
            for (int i = 0; i < iterations; i++)
            {
                Print(string.Create(CultureInfo.InvariantCulture,
                    $"COMPARE_ITER rep={r} iteration={i + 1} first={((r + i) % 2 == 0 ? "plain" : secondName)} layout={layout} plain_s={times[2 * i]:F6} {secondName}_s={times[2 * i + 1]:F6}"));
            }
            Print(compareLine(r, "plain", plainResult, -1)); // -1: allocation is not measured when interleaved
            Print(compareLine(r, secondName, secondResult, -1));
        }
        return allVerified;
    }

    private static void Print(string line)
    {
        if (Mpi.World.Rank == 0)
        {
            Console.WriteLine(line);
            Console.Out.Flush();
        }
    }
}
