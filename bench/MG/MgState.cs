using Mitten.Checkpoint.State;

namespace Mitten.Bench.MG;

/// <summary>
/// Everything of the MG benchmark that changes while it runs, on one process: the solution
/// <see cref="U"/> and residual <see cref="R"/> of every distributed level, the right-hand side
/// <see cref="V"/>, the iteration counter and the accumulated timed seconds. A migration layer
/// registers this object; a process restored from it continues at <see cref="Iteration"/>.
/// Under Mitten the class is <see cref="MigratableAttribute"/>: the generated code saves the
/// grids and counters; the whole-grid arrays of the coarsest levels and the message buffers
/// (<see cref="NotMigratedAttribute"/>) hold nothing between iterations and are allocated anew
/// by <see cref="AllocateWorkingArrays"/> on the replacement.
/// </summary>
[Migratable]
public sealed partial class MgState
{
    /// <summary>Creates the state of process <paramref name="rank"/> of <paramref name="processes"/> for <paramref name="problem"/>.</summary>
    /// <exception cref="ArgumentException">The process count does not fit the class.</exception>
    public MgState(MgClass problem, int rank, int processes)
    {
        var grid = new MgGrid(problem, rank, processes);
        ClassName = problem.Name;
        Rank = rank;
        Processes = processes;
        Iterations = problem.Iterations;
        U = new double[grid.AllLevelsLength];
        R = new double[grid.AllLevelsLength];
        V = new double[grid.TopLevelLength];
        AllocateWorkingArrays();
    }

    /// <summary>The decomposition this state is laid out for (recomputed, not saved).</summary>
    public MgGrid Grid => grid ??= new MgGrid(MgClass.Get(ClassName.ToString()), Rank, Processes);

    [NotMigrated]
    private MgGrid? grid;

    /// <summary>Allocates the working arrays (in the constructor, and on a replacement after the saved fields were restored).</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(FullU), nameof(FullR), nameof(SendLower), nameof(SendUpper),
        nameof(ReceiveLower), nameof(ReceiveUpper), nameof(GatherSend), nameof(GatherReceive))]
    public void AllocateWorkingArrays()
    {
        MgGrid g = Grid;
        FullU = new double[g.FullLength];
        FullR = new double[g.FullLength];
        int face = g.LargestFace;
        SendLower = new double[face];
        SendUpper = new double[face];
        ReceiveLower = new double[face];
        ReceiveUpper = new double[face];
        GatherSend = new double[g.BottomBlock];
        GatherReceive = new double[g.BottomBlock * g.Processes];
    }

    /// <summary>Makes this state a fresh one again without allocating (for comparisons that reuse memory).</summary>
    public void Reset()
    {
        SetupDone = false;
        TimedStarted = false;
        Iteration = 1;
        TimedSeconds = 0;
        Completed = false;
        Verified = false;
        Rnm2 = 0;
        Rnmu = 0;
        Array.Clear(U);
        Array.Clear(R);
        Array.Clear(V);
    }

    /// <summary>The problem class (S, W, A, B, C).</summary>
    public char ClassName { get; set; }

    /// <summary>The process this state belongs to.</summary>
    public int Rank { get; set; }

    /// <summary>The number of processes the state was sized for.</summary>
    public int Processes { get; set; }

    /// <summary>The number of timed iterations (nit of the class).</summary>
    public int Iterations { get; set; }

    /// <summary>Whether set-up and the untimed warm-up cycle have run (and u, v were reset after it).</summary>
    public bool SetupDone { get; set; }

    /// <summary>Whether the timed initial residual has been computed.</summary>
    public bool TimedStarted { get; set; }

    /// <summary>The next timed iteration to run (1..<see cref="Iterations"/>; one more when the loop is over).</summary>
    public int Iteration { get; set; } = 1;

    /// <summary>Seconds spent in the timed region so far on this process.</summary>
    public double TimedSeconds { get; set; }

    /// <summary>The solution at every distributed level (flat, levels at <see cref="MgGrid.Offset"/>).</summary>
    public double[] U { get; set; }

    /// <summary>The residual at every distributed level.</summary>
    public double[] R { get; set; }

    /// <summary>The right-hand side at the finest level.</summary>
    public double[] V { get; set; }

    /// <summary>Working array: the solution of the whole grid at levels 1..bottom.</summary>
    [NotMigrated]
    public double[] FullU { get; set; }

    /// <summary>Working array: the residual of the whole grid at levels 1..bottom.</summary>
    [NotMigrated]
    public double[] FullR { get; set; }

    /// <summary>Message buffer: the face sent to the lower neighbour.</summary>
    [NotMigrated]
    public double[] SendLower { get; set; }

    /// <summary>Message buffer: the face sent to the upper neighbour.</summary>
    [NotMigrated]
    public double[] SendUpper { get; set; }

    /// <summary>Message buffer: the face received from the lower neighbour.</summary>
    [NotMigrated]
    public double[] ReceiveLower { get; set; }

    /// <summary>Message buffer: the face received from the upper neighbour.</summary>
    [NotMigrated]
    public double[] ReceiveUpper { get; set; }

    /// <summary>Message buffer: this process's part of the bottom level.</summary>
    [NotMigrated]
    public double[] GatherSend { get; set; }

    /// <summary>Message buffer: every process's part of the bottom level.</summary>
    [NotMigrated]
    public double[] GatherReceive { get; set; }

    /// <summary>The final L2 norm of the residual (set when the run completes).</summary>
    public double Rnm2 { get; set; }

    /// <summary>The final largest magnitude of the residual.</summary>
    public double Rnmu { get; set; }

    /// <summary>Whether the run is over and reported (a replacement started from here only finishes).</summary>
    public bool Completed { get; set; }

    /// <summary>Whether the completed run verified (the exit code of a replacement started after completion).</summary>
    public bool Verified { get; set; }
}
