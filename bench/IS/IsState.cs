using Mitten.Checkpoint.State;

namespace Mitten.Bench.IS;

/// <summary>
/// Everything of the IS benchmark that changes while it runs, on one process: the keys, the
/// iteration counter, the passed-verification count, the accumulated timed seconds, and the
/// working arrays (allocated once, sized for the class and process count). A migration layer
/// registers this object; a process restored from it continues at <see cref="Iteration"/>.
/// Between iterations only <see cref="Keys"/>, <see cref="Iteration"/>,
/// <see cref="PassedVerification"/>, <see cref="TimedSeconds"/> and the flags carry
/// information; the working arrays are rewritten by every iteration (but
/// <see cref="ReceivedKeys"/> and <see cref="KeyCounts"/> hold the last iteration's ranking
/// until the full verification).
/// Under Mitten the class is <see cref="MigratableAttribute"/>: the generated code saves the
/// fields that carry information between iterations, and the working arrays
/// (<see cref="NotMigratedAttribute"/>) are allocated anew by <see cref="AllocateWorkingArrays"/>
/// on the replacement, because a migration point is at the top of an iteration, where they
/// hold nothing.
/// </summary>
[Migratable]
public sealed partial class IsState
{
    /// <summary>Creates the state of process <paramref name="rank"/> of <paramref name="processes"/> for <paramref name="problem"/>.</summary>
    public IsState(IsClass problem, int rank, int processes, int iterations = IsClass.MaxIterations)
    {
        if (iterations < 1 || iterations > IsClass.MaxIterations)
        {
            throw new ArgumentException($"IS runs 1..{IsClass.MaxIterations} timed iterations, not {iterations}");
        }
        Iterations = iterations;
        if (processes < 1 || (processes & (processes - 1)) != 0)
        {
            throw new ArgumentException($"IS needs a power-of-two number of processes, not {processes}");
        }
        if (problem.TotalKeys / processes <= 2 * IsClass.MaxIterations)
        {
            throw new ArgumentException($"class {problem.Name} has too few keys for {processes} processes");
        }
        ClassName = problem.Name;
        Rank = rank;
        Processes = processes;
        Keys = new int[checked((int)(problem.TotalKeys / processes))];
        AllocateWorkingArrays();
    }

    /// <summary>
    /// Makes this state a fresh one again (as the constructor leaves it) without allocating:
    /// the run's progress and results are cleared and every array is zeroed; the keys are
    /// generated again by the next run. Lets a comparison reuse the same memory.
    /// </summary>
    public void Reset()
    {
        KeysGenerated = false;
        WarmupDone = false;
        Iteration = 1;
        PassedVerification = 0;
        TimedSeconds = 0;
        LastLocalKeys = 0;
        LastMinKey = 0;
        KeyRankChecksum = 0;
        LastLesser = 0;
        Completed = false;
        Verified = false;
        foreach (int[] array in new[] { Keys, BucketKeys, ReceivedKeys, KeyCounts, BucketSizes, BucketTotals, BucketPointers,
                     SendCounts, SendDisplacements, ReceiveCounts, ReceiveDisplacements, FirstBucket, LastBucket })
        {
            Array.Clear(array);
        }
    }

    /// <summary>
    /// Allocates the working arrays for this state's class and process count (in the
    /// constructor, and on a replacement after the saved fields were restored; there the large
    /// ones come from a warm spare's prepared memory, <see cref="Mitten.RestoredArrays"/>).
    /// </summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(BucketKeys), nameof(ReceivedKeys), nameof(KeyCounts), nameof(BucketSizes),
        nameof(BucketTotals), nameof(BucketPointers), nameof(SendCounts), nameof(SendDisplacements), nameof(ReceiveCounts),
        nameof(ReceiveDisplacements), nameof(FirstBucket), nameof(LastBucket))]
    public void AllocateWorkingArrays()
    {
        IsClass problem = IsClass.Get(ClassName.ToString());
        int processes = Processes;
        int localKeys = checked((int)(problem.TotalKeys / processes));
        // The original sizes its buffers at 3/2 NUM_KEYS below 256 processes and more above,
        // because the redistribution is uneven; the kernel grows them if a distribution needs more.
        int factor2 = processes < 256 ? 3 : processes < 512 ? 5 : processes < 1024 ? 8 : 13;
        int capacity = checked((int)Math.Min((long)localKeys * factor2 / 2 + 64, int.MaxValue / 2));
        // The three large ones (14 MB in class A on 8 processes) through RestoredArrays: on a
        // warm spare restoring a moved rank they get memory the spare wrote while idle instead
        // of fresh pages, whose first write costs about 35 µs per 4 KiB on a virtual machine.
        // The send buffer a little longer so that the receive buffer, allocated right after it,
        // starts at the same page offset (as the C baseline's): PagePlacement says why.
        BucketKeys = Mitten.RestoredArrays.Allocate<int>(PagePlacement.PadLength(capacity));
        ReceivedKeys = Mitten.RestoredArrays.Allocate<int>(capacity);
        KeyCounts = Mitten.RestoredArrays.Allocate<int>(problem.MaxKey);
        BucketSizes = new int[problem.Buckets + IsClass.TestArraySize];
        BucketTotals = new int[problem.Buckets + IsClass.TestArraySize];
        BucketPointers = new int[problem.Buckets];
        SendCounts = new int[processes];
        SendDisplacements = new int[processes];
        ReceiveCounts = new int[processes];
        ReceiveDisplacements = new int[processes];
        FirstBucket = new int[processes];
        LastBucket = new int[processes];
    }

    /// <summary>The problem class (S, W, A, B, C).</summary>
    public char ClassName { get; set; }

    /// <summary>The process this state belongs to.</summary>
    public int Rank { get; set; }

    /// <summary>The number of processes the state was sized for.</summary>
    public int Processes { get; set; }

    /// <summary>The number of timed iterations (10 in the official benchmark).</summary>
    public int Iterations { get; set; }

    /// <summary>Whether the keys have been generated.</summary>
    public bool KeysGenerated { get; set; }

    /// <summary>Whether the untimed first iteration has run (after it the pass counter is reset).</summary>
    public bool WarmupDone { get; set; }

    /// <summary>The next timed iteration to run (1..<see cref="Iterations"/>; one more when the timed loop is over).</summary>
    public int Iteration { get; set; } = 1;

    /// <summary>Partial and full verification tests this process passed.</summary>
    public int PassedVerification { get; set; }

    /// <summary>Seconds spent in the timed loop so far on this process.</summary>
    public double TimedSeconds { get; set; }

    /// <summary>This process's keys (NUM_KEYS of them); process 0 changes two of them every iteration.</summary>
    public int[] Keys { get; set; }

    /// <summary>Working array: local keys sorted by bucket (the Alltoallv send buffer), then the fully sorted keys.</summary>
    [NotMigrated]
    public int[] BucketKeys { get; set; }

    /// <summary>Working array: the keys this process ranks (the Alltoallv receive buffer).</summary>
    [NotMigrated]
    public int[] ReceivedKeys { get; set; }

    /// <summary>Working array: per key value in this process's range, the count and then the prefix sum.</summary>
    [NotMigrated]
    public int[] KeyCounts { get; set; }

    /// <summary>Working array: local bucket sizes, then the 5 test keys.</summary>
    [NotMigrated]
    public int[] BucketSizes { get; set; }

    /// <summary>Working array: global bucket sizes, then the 5 test keys.</summary>
    [NotMigrated]
    public int[] BucketTotals { get; set; }

    /// <summary>Working array: running bucket positions.</summary>
    [NotMigrated]
    public int[] BucketPointers { get; set; }

    /// <summary>Working array: keys sent to each process.</summary>
    [NotMigrated]
    public int[] SendCounts { get; set; }

    /// <summary>Working array: offsets of the blocks sent to each process.</summary>
    [NotMigrated]
    public int[] SendDisplacements { get; set; }

    /// <summary>Working array: keys received from each process.</summary>
    [NotMigrated]
    public int[] ReceiveCounts { get; set; }

    /// <summary>Working array: offsets of the blocks received from each process.</summary>
    [NotMigrated]
    public int[] ReceiveDisplacements { get; set; }

    /// <summary>Working array: first bucket of each process.</summary>
    [NotMigrated]
    public int[] FirstBucket { get; set; }

    /// <summary>Working array: last bucket of each process.</summary>
    [NotMigrated]
    public int[] LastBucket { get; set; }

    /// <summary>Keys this process ranked in the last iteration (for the full verification).</summary>
    public int LastLocalKeys { get; set; }

    /// <summary>The smallest key value of this process's range in the last iteration.</summary>
    public int LastMinKey { get; set; }

    /// <summary>How often a working buffer had to grow (0 in a normal run).</summary>
    public int BufferGrowths { get; set; }

    /// <summary>
    /// A checksum of the key ranks this process computed: the ranks of the test keys it checked
    /// in every iteration and the final position of every key it sorted in the full
    /// verification. It depends only on the ranking, so a run with migrations must give the
    /// same sum over processes as one without.
    /// </summary>
    public long KeyRankChecksum { get; set; }

    /// <summary>Keys on lower processes in the last iteration (the global position of this process's first sorted key).</summary>
    public long LastLesser { get; set; }

    /// <summary>Whether the run is over and reported (a replacement started from here only finishes).</summary>
    public bool Completed { get; set; }

    /// <summary>Whether the completed run verified (the exit code of a replacement started after completion).</summary>
    public bool Verified { get; set; }
}
