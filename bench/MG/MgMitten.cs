using System.Globalization;
using Mitten.Bench.Common;
using Mitten.Checkpoint.State;
using Mitten.GroupComm;

namespace Mitten.Bench.MG;

/// <summary>MG through the Mitten layer: a migratable run (<see cref="Run"/>) and the plain/Mitten comparison (<see cref="Compare"/>).</summary>
public static class MgMitten
{
    /// <summary>
    /// The state codec: the Checkpoint layer's serializer over the generated
    /// <see cref="MgState"/> code; the working arrays are allocated after the restore.
    /// </summary>
    public static IStateCodec<MgState> Codec { get; } =
        MigratableCodec.For(new StateTypeRegistry().Register<MgState>("nas-mg-state"), (MgState state) => state.AllocateWorkingArrays());

    /// <summary>
    /// Runs MG through a <see cref="MittenSession{TState}"/> with <paramref name="plans"/>
    /// injected; on a replacement, continues from the restored state. Returns the exit code.
    /// </summary>
    public static int Run(MgClass problem, IReadOnlyList<MigrationPlan> plans)
    {
        MittenSession<MgState>? session = MigratableRun.Start("MG", () => new MgState(problem, Mpi.World.Rank, Mpi.World.Size), Codec);
        if (session is null)
        {
            return 2;
        }
        var comm = new MittenMgCommunicator(session, plans);
        MgState state = session.State;
        if (!MigratableRun.Begin("MG", session, plans, problem.Iterations, state.Iteration))
        {
            return 2;
        }
        if (state.Completed)
        {
            // The predecessor moved at the closing migration point, after the report.
            session.Finish();
            return state.Verified ? 0 : 1;
        }
        var benchmark = new MgBenchmark<MittenMgCommunicator>(comm, problem);
        if (comm.Rank == 0 && !session.IsReplacement)
        {
            MgReport.Header(problem, comm.Size, comm.ProcessGrid);
            MigratableRun.Announce(plans);
        }
        MgResult result = benchmark.Run(state);
        if (comm.Rank == 0)
        {
            MgReport.Results(problem, result, comm.ProcessGrid);
        }
        state.Completed = true;
        state.Verified = result.Verified;
        Console.Out.Flush();
        session.Finish();
        return result.Verified ? 0 : 1;
    }

    /// <summary>
    /// Runs MG <paramref name="repeats"/> times on the plain binding and as often through Mitten
    /// in one job, alternating, after a warm-up pair (rep=0, not to be counted); rank 0 prints
    /// one COMPARE line per run. With <paramref name="interleaved"/>, each repetition prepares two
    /// fresh states (reused, swapping variants from one repetition to the next) and alternates
    /// the variants iteration by iteration (which goes first alternates too); rank 0 also prints
    /// one COMPARE_ITER line per pair of iterations (each time the largest over the processes).
    /// With <paramref name="againstPlainDuplicate"/>, the second variant is the plain binding on a
    /// duplicate of MPI_COMM_WORLD ("plain-dup"): the noise floor of the comparison.
    /// </summary>
    public static int Compare(MgClass problem, int repeats, bool againstPlainDuplicate, bool interleaved)
    {
        Mpi.Init(ThreadLevel.Single);
        using MittenSession<MgState> session = MittenSession<MgState>.Start(
            () => new MgState(problem, Mpi.World.Rank, Mpi.World.Size), Codec);
        // Each variant on its own periodic Cartesian grid: plain on MPI_Cart_create over
        // MPI_COMM_WORLD (or over a duplicate of it for "plain-dup"), Mitten on a Cartesian
        // communicator derived from the session's.
        var plainGrid = new PlainMgCommunicator(Mpi.World);
        var plain = new MgBenchmark<PlainMgCommunicator>(plainGrid, problem);
        var mitten = new MgBenchmark<MittenMgCommunicator>(new MittenMgCommunicator(session, []), problem);
        Communicator? duplicate = againstPlainDuplicate ? Mpi.World.Dup() : null;
        PlainMgCommunicator duplicateGrid = againstPlainDuplicate ? new PlainMgCommunicator(duplicate!) : plainGrid;
        var plainDuplicate = new MgBenchmark<PlainMgCommunicator>(duplicateGrid, problem);
        string second = againstPlainDuplicate ? "plain-dup" : "mitten";
        int rank = session.Rank;
        if (rank == 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"MG class {problem.Name} on {session.Size} processes: plain vs {second}, {repeats} runs each after a warm-up pair (rep=0), {(interleaved ? "interleaved iteration by iteration" : "alternating")}"));
        }
        var comparison = new AlternatingComparison<MgState, MgResult>(
            new Variant<PlainMgCommunicator>(plain),
            againstPlainDuplicate ? new Variant<PlainMgCommunicator>(plainDuplicate) : new Variant<MittenMgCommunicator>(mitten),
            second,
            (repetition, variant, result, allocatedBytes) => CompareLine(repetition, variant, problem, result, allocatedBytes));
        bool allVerified = interleaved
            ? comparison.RunInterleaved(repeats, problem.Iterations, state => state.Reset())
            : comparison.RunAlternating(repeats);
        if (!againstPlainDuplicate)
        {
            MeasureExchanges(problem, plain, mitten, session.Rank);
        }
        if (againstPlainDuplicate)
        {
            duplicateGrid.Dispose();
        }
        plainGrid.Dispose();
        duplicate?.Dispose();
        session.Finish();
        return allVerified ? 0 : 1;
    }

    /// <summary>
    /// The cost of the halo exchange alone, far below the run-to-run noise of whole iterations:
    /// ghost fills of the finest and of the coarsest distributed level, plain and through Mitten
    /// alternating in blocks; per variant the least time per fill over the blocks (largest over
    /// the processes). Rank 0 prints "COMPARE_HALO level=K plain_us=... mitten_us=... fills_per_iteration=F".
    /// </summary>
    private static void MeasureExchanges(MgClass problem, MgBenchmark<PlainMgCommunicator> plain,
        MgBenchmark<MittenMgCommunicator> mitten, int rank)
    {
        MgState plainState = plain.CreateState(), mittenState = mitten.CreateState();
        // Ghost fills per timed iteration (one V-cycle and a residual), counted on a fresh run.
        plain.Prepare(plainState);
        plain.StartTimed(plainState);
        long before = plain.HaloFills;
        plain.TimedIteration(plainState);
        long perIteration = plain.HaloFills - before;
        MgGrid g = plainState.Grid;
        foreach (int level in new[] { g.TopLevel, g.BottomLevel })
        {
            const int Blocks = 20;
            int fills = Math.Max(20, (int)Math.Min(2000, 2e7 / (g.Local(level, 0) + 2) / (g.Local(level, 1) + 2) / (g.Local(level, 2) + 2)));
            double bestPlain = double.MaxValue, bestMitten = double.MaxValue;
            for (int b = 0; b < Blocks; b++)
            {
                bool plainFirst = b % 2 == 0;
                for (int step = 0; step < 2; step++)
                {
                    if (plainFirst == (step == 0))
                    {
                        bestPlain = Math.Min(bestPlain, plain.MeasureHalo(plainState, level, fills));
                    }
                    else
                    {
                        bestMitten = Math.Min(bestMitten, mitten.MeasureHalo(mittenState, level, fills));
                    }
                }
            }
            double plainUs = Mpi.World.Allreduce(bestPlain, Op.Max) * 1e6;
            double mittenUs = Mpi.World.Allreduce(bestMitten, Op.Max) * 1e6;
            if (rank == 0)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"COMPARE_HALO class={problem.Name} ranks={g.Processes} level={level} plain_us={plainUs:F3} mitten_us={mittenUs:F3} fills={fills} blocks={Blocks} fills_per_iteration={perIteration}"));
                Console.Out.Flush();
            }
        }
    }

    /// <summary>One MG kernel as a side of the comparison.</summary>
    private sealed class Variant<TComm>(MgBenchmark<TComm> benchmark) : IComparedVariant<MgState, MgResult>
        where TComm : struct, IMgCommunicator
    {
        public MgState CreateState() => benchmark.CreateState();

        public void PrepareTimed(MgState state)
        {
            benchmark.Prepare(state);
            benchmark.StartTimed(state);
        }

        public double TimedIteration(MgState state) => benchmark.TimedIteration(state);

        public MgResult Conclude(MgState state) => benchmark.Conclude(state, 0);

        public MgResult Run(MgState state) => benchmark.Run(state);
    }

    /// <summary>The COMPARE line rank 0 prints for one run of one variant.</summary>
    private static string CompareLine(int repetition, string variant, MgClass problem, MgResult result, long allocatedBytes) =>
        string.Create(CultureInfo.InvariantCulture,
            $"COMPARE rep={repetition} variant={variant} class={problem.Name} ranks={result.Processes} seconds={result.Seconds:F6} mops={result.MopsTotal:F2} verified={(result.Verified ? "yes" : "no")} allocated_bytes={allocatedBytes} rnm2={result.Rnm2:R}");
}
