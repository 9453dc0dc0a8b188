using System.Globalization;
using Mitten.Bench.Common;
using Mitten.Checkpoint.State;
using Mitten.GroupComm;

namespace Mitten.Bench.IS;

/// <summary>IS through the Mitten layer: a migratable run (<see cref="Run"/>) and the plain/Mitten comparison (<see cref="Compare"/>).</summary>
public static class IsMitten
{
    /// <summary>
    /// The state codec: the Checkpoint layer's serializer over the generated
    /// <see cref="IsState"/> code; the working arrays are allocated after the restore.
    /// </summary>
    public static IStateCodec<IsState> Codec { get; } =
        MigratableCodec.For(new StateTypeRegistry().Register<IsState>("nas-is-state"), (IsState state) => state.AllocateWorkingArrays());

    /// <summary>
    /// Runs IS through a <see cref="MittenSession{TState}"/> with <paramref name="plans"/>
    /// injected; on a replacement, continues from the restored state. Returns the exit code.
    /// </summary>
    public static int Run(IsClass problem, int iterations, bool corrupt, IReadOnlyList<MigrationPlan> plans)
    {
        MittenSession<IsState>? session = MigratableRun.Start("IS", () => new IsState(problem, Mpi.World.Rank, Mpi.World.Size, iterations), Codec);
        if (session is null)
        {
            return 2;
        }
        var comm = new MittenIsCommunicator(session, plans);
        IsState state = session.State;
        if (!MigratableRun.Begin("IS", session, plans, iterations, state.Iteration))
        {
            return 2;
        }
        if (state.Completed)
        {
            // The predecessor moved at the closing migration point, after the report.
            session.Finish();
            return state.Verified ? 0 : 1;
        }
        var benchmark = new IsBenchmark<MittenIsCommunicator>(comm, problem) { CorruptKeyForTesting = corrupt };
        if (comm.Rank == 0 && !session.IsReplacement)
        {
            IsReport.Header(problem, iterations, comm.Size);
            MigratableRun.Announce(plans);
        }
        // benchmark.Run, with each timed iteration's time kept: rank 0 prints them
        // ("ITERATION_TIMES rank=0 first=I ms=..."), so a one-time cost in the first one shows.
        benchmark.Prepare(state);
        int firstIteration = state.Iteration;
        double[] iterationSeconds = new double[iterations + 1];
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        while (state.Iteration <= state.Iterations)
        {
            int iteration = state.Iteration;
            iterationSeconds[iteration] = benchmark.TimedIteration(state);
        }
        IsResult result = benchmark.Conclude(state, GC.GetAllocatedBytesForCurrentThread() - allocatedBefore);
        if (Environment.GetEnvironmentVariable("IS_ITERATION_TIMES") == "all" && comm.Rank != 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ITERATION_TIMES rank={comm.Rank} first={firstIteration} ms={string.Join(',', iterationSeconds[firstIteration..].Select(t => (t * 1e3).ToString("F3", CultureInfo.InvariantCulture)))}"));
        }
        if (comm.Rank == 0)
        {
            IsReport.Results(problem, result);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ITERATION_TIMES rank=0 first={firstIteration} ms={string.Join(',', iterationSeconds[firstIteration..].Select(t => (t * 1e3).ToString("F3", CultureInfo.InvariantCulture)))}"));
        }
        state.Completed = true;
        state.Verified = result.Verified;
        Console.Out.Flush();
        session.Finish();
        return result.Verified ? 0 : 1;
    }

    /// <summary>
    /// Runs IS <paramref name="repeats"/> times on the plain binding and as often through
    /// Mitten in this job, alternating, with a fresh state each time; rank 0 prints one
    /// COMPARE line per run; a first pair (rep=0) is the warm-up (JIT, page faults) and is
    /// not part of the comparison. MPI is initialized at the plain benchmark's thread level
    /// (single) before the session starts, so both variants share it.
    /// </summary>
    /// <remarks>
    /// With <paramref name="interleaved"/>, each repetition prepares a fresh state for both
    /// variants (two states reused throughout, which swap variants from one repetition to the
    /// next: "layout" 0 and 1) and then alternates them iteration by iteration (which goes first
    /// alternates too), so the two times of a pair are taken milliseconds apart and the machine's slower
    /// drifts cancel; rank 0 also prints one COMPARE_ITER line per pair of iterations, with
    /// each variant's time as the largest over the processes.
    /// </remarks>
    public static int Compare(IsClass problem, int iterations, int repeats, bool againstPlainDuplicate = false, bool interleaved = false)
    {
        Mpi.Init(ThreadLevel.Single);
        using MittenSession<IsState> session = MittenSession<IsState>.Start(
            () => new IsState(problem, Mpi.World.Rank, Mpi.World.Size, iterations), Codec);
        var plain = new IsBenchmark<PlainCommunicator>(new PlainCommunicator(Mpi.World), problem);
        var mitten = new IsBenchmark<MittenIsCommunicator>(new MittenIsCommunicator(session, []), problem);
        Communicator? duplicate = againstPlainDuplicate ? Mpi.World.Dup() : null; // freed before the session finalizes MPI
        var plainDuplicate = new IsBenchmark<PlainCommunicator>(new PlainCommunicator(duplicate ?? Mpi.World), problem);
        string second = againstPlainDuplicate ? "plain-dup" : "mitten";
        int rank = session.Rank;
        if (rank == 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"IS class {problem.Name} on {session.Size} processes: plain vs {second}, {repeats} runs each after a warm-up pair (rep=0), alternating"));
        }
        var comparison = new AlternatingComparison<IsState, IsResult>(
            new Variant<PlainCommunicator>(plain, iterations),
            againstPlainDuplicate ? new Variant<PlainCommunicator>(plainDuplicate, iterations) : new Variant<MittenIsCommunicator>(mitten, iterations),
            second,
            (repetition, variant, result, allocatedBytes) => CompareLine(repetition, variant, problem, result, allocatedBytes));
        bool allVerified = interleaved
            ? comparison.RunInterleaved(repeats, iterations, state => state.Reset())
            : comparison.RunAlternating(repeats);
        // The cost Mitten adds per iteration without migrations is one migration point (plus a
        // counter per collective): measured directly, since it is far below the run-to-run noise.
        const int Calls = 2000;
        session.Communicator.Barrier();
        double start = Mpi.Wtime();
        for (int i = 0; i < Calls; i++)
        {
            session.MigrationPoint();
        }
        double perCall = session.Communicator.Allreduce((Mpi.Wtime() - start) / Calls, Op.Max);
        if (rank == 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"COMPARE_MIGRATION_POINT calls={Calls} us_per_call={perCall * 1e6:F3} (largest over the processes)"));
        }
        duplicate?.Dispose();
        session.Finish();
        return allVerified ? 0 : 1;
    }

    /// <summary>One IS kernel as a side of the comparison.</summary>
    private sealed class Variant<TComm>(IsBenchmark<TComm> benchmark, int iterations) : IComparedVariant<IsState, IsResult>
        where TComm : struct, IIsCommunicator
    {
        public IsState CreateState() => benchmark.CreateState(iterations);

        public void PrepareTimed(IsState state) => benchmark.Prepare(state);

        public double TimedIteration(IsState state) => benchmark.TimedIteration(state);

        public IsResult Conclude(IsState state) => benchmark.Conclude(state, 0);

        public IsResult Run(IsState state) => benchmark.Run(state);
    }

    /// <summary>The COMPARE line rank 0 prints for one run of one variant.</summary>
    private static string CompareLine(int repetition, string variant, IsClass problem, IsResult result, long allocatedBytes) =>
        string.Create(CultureInfo.InvariantCulture,
            $"COMPARE rep={repetition} variant={variant} class={problem.Name} ranks={result.Processes} seconds={result.Seconds:F6} mops={result.MopsTotal:F2} verified={(result.Verified ? "yes" : "no")} allocated_bytes={allocatedBytes} key_rank_checksum={result.KeyRankChecksum}");
}
