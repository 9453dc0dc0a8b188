namespace Mitten.Bench.MG;

/// <summary>The outcome of one MG run, the same on every process.</summary>
/// <param name="Seconds">Maximum over processes of the timed region's wall time.</param>
/// <param name="Rnm2">L2 norm of the final residual.</param>
/// <param name="Rnmu">Largest magnitude of the final residual.</param>
/// <param name="Verified">Whether <paramref name="Rnm2"/> matches the official value.</param>
/// <param name="Iterations">Timed iterations run.</param>
/// <param name="GridSize">Grid points per dimension.</param>
/// <param name="Processes">Number of processes.</param>
/// <param name="TimedLoopAllocatedBytes">Managed bytes allocated during the timed iterations (largest over processes; 0 expected).</param>
public readonly record struct MgResult(double Seconds, double Rnm2, double Rnmu, bool Verified, int Iterations, int GridSize,
    int Processes, long TimedLoopAllocatedBytes) : Mitten.Bench.Common.IBenchmarkResult
{
    /// <summary>Mop/s of all processes together: 58 nit n^3 / time / 1e6.</summary>
    public double MopsTotal => 58.0 * Iterations * GridSize * (double)GridSize * GridSize / Seconds / 1e6;
}

/// <summary>
/// The MG kernel (NPB MG, MPI version) over a communicator adapter. Generic over a struct so
/// the JIT specializes it per adapter; all changing state lives in <see cref="MgState"/>, so
/// <see cref="Run"/> can start from a fresh state or continue from a restored one. No
/// allocation happens in the timed iterations.
/// </summary>
public sealed unsafe partial class MgBenchmark<TComm> where TComm : struct, IMgCommunicator
{
    private TComm comm;
    private readonly MgClass problem;
    private readonly int rank;
    private readonly int size;
    private readonly double smoother0, smoother1, smoother2;

    // Row temporaries of the operators (n + 2 covers every box and the whole coarse grids).
    private readonly double[] t1, t2, t3;

    /// <summary>A kernel for <paramref name="problem"/> on the group of <paramref name="communicator"/>.</summary>
    public MgBenchmark(TComm communicator, MgClass problem)
    {
        comm = communicator;
        this.problem = problem;
        rank = communicator.Rank;
        size = communicator.Size;
        smoother0 = problem.Smoother[0];
        smoother1 = problem.Smoother[1];
        smoother2 = problem.Smoother[2];
        t1 = new double[problem.Size + 2];
        t2 = new double[problem.Size + 2];
        t3 = new double[problem.Size + 2];
    }

    /// <summary>A fresh state for this process.</summary>
    /// <exception cref="ArgumentException">The process count does not fit the class.</exception>
    public MgState CreateState() => new(problem, rank, size);

    /// <summary>
    /// Runs (or continues) the benchmark from <paramref name="state"/>: set-up and warm-up if not
    /// done yet, the timed initial residual, the timed iterations from
    /// <see cref="MgState.Iteration"/> on, then the final norms and verification.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // its loop runs in the timed region
    public MgResult Run(MgState state)
    {
        Prepare(state);
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        StartTimed(state);
        while (state.Iteration <= state.Iterations)
        {
            TimedIteration(state);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        return Conclude(state, allocated);
    }

    /// <summary>
    /// Checks that <paramref name="state"/> belongs to this process and that the communicator's
    /// Cartesian neighbours are the decomposition's, then (if not done yet)
    /// builds v, runs the untimed warm-up (residual, one V-cycle, residual), and resets u and v.
    /// </summary>
    public void Prepare(MgState state)
    {
        if (state.Rank != rank || state.Processes != size || state.ClassName != problem.Name)
        {
            throw new ArgumentException(
                $"the state is for rank {state.Rank} of {state.Processes}, class {state.ClassName}; this is rank {rank} of {size}, class {problem.Name}");
        }
        MgGrid g = state.Grid;
        for (int axis = 0; axis < 3; axis++)
        {
            if (comm.LowerNeighbour(axis) != g.Lower[axis] || comm.UpperNeighbour(axis) != g.Upper[axis])
            {
                throw new InvalidOperationException(
                    $"rank {rank}: the communicator's grid ({comm.ProcessGrid}) gives neighbours {comm.LowerNeighbour(axis)}/{comm.UpperNeighbour(axis)} along axis {axis}, the decomposition {g.Lower[axis]}/{g.Upper[axis]}");
            }
        }
        CompileTimedPath();
        if (state.SetupDone)
        {
            return;
        }
        Array.Clear(state.U);
        BuildRightHandSide(state);
        Residual(state, g.TopLevel, fromV: true);
        VCycle(state);
        Residual(state, g.TopLevel, fromV: true);
        Array.Clear(state.U);
        Array.Clear(state.R);
        BuildRightHandSide(state);
        state.Iteration = 1;
        state.TimedSeconds = 0;
        state.TimedStarted = false;
        state.SetupDone = true;
    }

    /// <summary>
    /// Compiles the timed region's own methods now (untimed): the warm-up ran the V-cycle and the
    /// residual, but not <see cref="StartTimed"/>, <see cref="TimedIteration"/>, <see cref="Norms"/>,
    /// <see cref="Conclude"/> and the communicator calls they make, which would otherwise be
    /// compiled inside the first run's timed region (as IS's CompileTimedPath).
    /// </summary>
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2090",
        Justification = "Only with a JIT (RuntimeFeature.IsDynamicCodeCompiled); ahead-of-time code has nothing to compile here.")]
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "As above.")]
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("AOT", "IL3050", Justification = "As above.")]
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2060", Justification = "As above.")]
    private static void CompileTimedPath()
    {
        if (timedPathCompiled || !System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeCompiled)
        {
            return;
        }
        const System.Reflection.BindingFlags Any = System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance;
        RuntimeTypeHandle[] instantiation = [typeof(TComm).TypeHandle];
        foreach (string name in new[] { nameof(StartTimed), nameof(TimedIteration), nameof(Norms), nameof(Conclude) })
        {
            System.Runtime.CompilerServices.RuntimeHelpers.PrepareMethod(typeof(MgBenchmark<TComm>).GetMethod(name, Any)!.MethodHandle, instantiation);
        }
        foreach (string name in new[] { nameof(IMgCommunicator.Wtime), nameof(IMgCommunicator.MigrationPoint), nameof(IMgCommunicator.AllreduceSum), nameof(IMgCommunicator.AllreduceMax) })
        {
            System.Runtime.CompilerServices.RuntimeHelpers.PrepareMethod(typeof(TComm).GetMethod(name)!.MethodHandle);
        }
        System.Runtime.CompilerServices.RuntimeHelpers.PrepareMethod(typeof(MgKernels).GetMethod(nameof(MgKernels.Norms), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.MethodHandle);
        // The binding's generic reductions the adapters call, instantiated for double (not in its precompiled code).
        foreach (System.Reflection.MethodInfo reduce in typeof(Mitten.GroupComm.Communicator).GetMethods())
        {
            if (reduce.Name == nameof(Mitten.GroupComm.Communicator.Allreduce) && reduce.IsGenericMethodDefinition)
            {
                System.Runtime.CompilerServices.RuntimeHelpers.PrepareMethod(reduce.MakeGenericMethod(typeof(double)).MethodHandle);
            }
        }
        timedPathCompiled = true;
    }

    private static bool timedPathCompiled;

    /// <summary>The timed region's start: r = v - A u and its norms (as the original, which times them).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // with the calls it makes inlined, compiled once by CompileTimedPath
    public void StartTimed(MgState state)
    {
        if (state.TimedStarted)
        {
            return;
        }
        double start = comm.Wtime();
        Residual(state, state.Grid.TopLevel, fromV: true);
        Norms(state);
        state.TimedSeconds += comm.Wtime() - start;
        state.TimedStarted = true;
    }

    /// <summary>
    /// One timed iteration (the migration point at its top included): a V-cycle and
    /// r = v - A u. Returns this process's time for it.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // with the calls it makes inlined, compiled once by CompileTimedPath
    public double TimedIteration(MgState state)
    {
        double start = comm.Wtime();
        comm.MigrationPoint(state.Iteration);
        VCycle(state);
        Residual(state, state.Grid.TopLevel, fromV: true);
        double seconds = comm.Wtime() - start;
        state.TimedSeconds += seconds;
        state.Iteration++;
        return seconds;
    }

    /// <summary>After the timed iterations: the final norms (timed) and the result (collective).</summary>
    public MgResult Conclude(MgState state, long allocatedDuringIterations)
    {
        double start = comm.Wtime();
        (double rnm2, double rnmu) = Norms(state);
        state.TimedSeconds += comm.Wtime() - start;
        double seconds = comm.AllreduceMax(state.TimedSeconds);
        long allocatedMax = (long)comm.AllreduceMax(allocatedDuringIterations);
        state.Rnm2 = rnm2;
        state.Rnmu = rnmu;
        bool verified = problem.Verifies(rnm2);
        return new MgResult(seconds, rnm2, rnmu, verified, state.Iterations, problem.Size, size, allocatedMax);
    }

    /// <summary>The L2 norm and largest magnitude of the finest residual (collective).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // with the calls it makes inlined, compiled once by CompileTimedPath
    private (double Rnm2, double Rnmu) Norms(MgState state)
    {
        MgGrid g = state.Grid;
        int k = g.TopLevel;
        (double sum, double largest) local;
        fixed (double* r = state.R)
        {
            local = MgKernels.Norms(r + g.Offset(k), g.Local(k, 0), g.Local(k, 1), g.Local(k, 2));
        }
        double sum = comm.AllreduceSum(local.sum);
        double max = comm.AllreduceMax(local.largest);
        double n = problem.Size;
        return (Math.Sqrt(sum / (n * n * n)), max);
    }
}
