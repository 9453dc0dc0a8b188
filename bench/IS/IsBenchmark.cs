using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mitten.Bench.IS;

/// <summary>The outcome of one IS run, the same on every process.</summary>
/// <param name="Seconds">Maximum over processes of the timed loop's wall time.</param>
/// <param name="Passed">Verification tests passed, summed over processes.</param>
/// <param name="Expected">Tests a correct run passes: 5 per iteration plus one per process.</param>
/// <param name="Iterations">Timed iterations run.</param>
/// <param name="TotalKeys">Keys ranked per iteration.</param>
/// <param name="Processes">Number of processes.</param>
/// <param name="TimedLoopAllocatedBytes">Managed bytes allocated during the timed iterations (largest over processes; 0 expected).</param>
/// <param name="KeyRankChecksum">Sum over processes of <see cref="IsState.KeyRankChecksum"/>: depends only on the computed key ranks.</param>
public readonly record struct IsResult(double Seconds, int Passed, int Expected, int Iterations, long TotalKeys, int Processes,
    long TimedLoopAllocatedBytes, long KeyRankChecksum) : Mitten.Bench.Common.IBenchmarkResult
{
    /// <summary>Whether partial and full verification succeeded.</summary>
    public bool Verified => Passed == Expected;

    /// <summary>Millions of keys ranked per second, all processes together.</summary>
    public double MopsTotal => Iterations * (double)TotalKeys / Seconds / 1e6;
}

/// <summary>
/// The IS kernel (NPB IS, MPI version) over a communicator adapter. Generic over a struct so
/// the JIT specializes it per adapter; all changing state lives in <see cref="IsState"/>, so
/// <see cref="Run"/> can start from a fresh state or continue from a restored one.
/// No allocation happens per iteration.
/// </summary>
public sealed class IsBenchmark<TComm> where TComm : struct, IIsCommunicator
{
    private TComm comm;
    private readonly IsClass problem;
    private readonly int rank;
    private readonly int size;
    private readonly PhaseTimes? phases = PhaseTimes.FromEnvironment();

    /// <summary>A kernel for <paramref name="problem"/> on the group of <paramref name="communicator"/>.</summary>
    public IsBenchmark(TComm communicator, IsClass problem)
    {
        comm = communicator;
        this.problem = problem;
        rank = communicator.Rank;
        size = communicator.Size;
    }

    /// <summary>For tests: change one of process 0's keys after the warm-up so verification must fail.</summary>
    public bool CorruptKeyForTesting { get; init; }

    /// <summary>
    /// Before each run's timed iterations, wait until the JIT's background
    /// recompilations have stopped for this long (ms; 0: do not wait), then synchronize the
    /// processes (see <see cref="JitSettling"/>). Untimed; for runs that compare the kernels.
    /// </summary>
    public int JitSettleMilliseconds { get; init; }

    /// <summary>
    /// Whether <see cref="Run"/> synchronizes the processes (MPI_Barrier, untimed) right before the
    /// timed iterations, as bench/native/is.c does: without it, a process still busy with the
    /// previous run's report (rank 0) or a late warm-up makes the others' first timed Allreduce
    /// wait for it. Only for jobs where every process calls <see cref="Run"/> together (the plain
    /// program), not for a replacement that continues a migrated run.
    /// </summary>
    public bool BarrierBeforeTimedLoop { get; init; }

    /// <summary>A fresh state for this process.</summary>
    public IsState CreateState(int iterations = IsClass.MaxIterations) => new(problem, rank, size, iterations);

    /// <summary>
    /// Runs (or continues) the benchmark from <paramref name="state"/>: key generation and the
    /// untimed first iteration if not done yet, the timed iterations from
    /// <see cref="IsState.Iteration"/> on, then the full verification.
    /// Fully optimized from its first call (<see cref="MethodImplOptions.AggressiveOptimization"/>), as
    /// <see cref="TimedIteration"/>: called once per run and once per iteration, neither would
    /// reach the 30 calls that make tiered compilation optimize it within a job of a few runs,
    /// so the timed loop would run Tier0 code and then JIT its replacements mid-run.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public IsResult Run(IsState state)
    {
        Prepare(state);
        if (BarrierBeforeTimedLoop)
        {
            comm.Barrier();
        }
        phases?.Clear();
        TimedLoopCosts before = TimedLoopCosts.Now();
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        while (state.Iteration <= state.Iterations)
        {
            TimedIteration(state);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        TimedLoopCosts.Report(rank, before, TimedLoopCosts.Now());
        phases?.Report(rank);
        return Conclude(state, allocated);
    }

    /// <summary>
    /// Checks that <paramref name="state"/> belongs to this process, then generates the keys
    /// and runs the untimed first iteration if not done yet.
    /// </summary>
    public void Prepare(IsState state)
    {
        if (state.Rank != rank || state.Processes != size || state.ClassName != problem.Name)
        {
            throw new ArgumentException(
                $"the state is for rank {state.Rank} of {state.Processes}, class {state.ClassName}; this is rank {rank} of {size}, class {problem.Name}");
        }
        if (!state.KeysGenerated)
        {
            GenerateKeys(state);
            state.KeysGenerated = true;
        }
        if (!state.WarmupDone)
        {
            RankKeys(state, 1);
            state.PassedVerification = 0;
            state.TimedSeconds = 0;
            state.Iteration = 1;
            if (CorruptKeyForTesting && rank == 0)
            {
                CorruptOneKey(state);
            }
            state.WarmupDone = true;
        }
        CompileTimedPath();
        if (JitSettleMilliseconds > 0)
        {
            JitSettling.WaitUntilQuiet(JitSettleMilliseconds);
            comm.AllreduceSum(0); // every process starts its timed iterations together
        }
    }

    /// <summary>
    /// Compiles <see cref="TimedIteration"/> and the communicator's migration point now (untimed),
    /// so the JIT does not run inside the first timed iteration (RankKeys ran in the warm-up).
    /// </summary>
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2090", Justification = "JIT only (skipped under Native AOT); the methods looked up are called by the timed loop, so trimming keeps them.")]
    private static void CompileTimedPath()
    {
        if (timedPathCompiled || !RuntimeFeature.IsDynamicCodeSupported)
        {
            return; // Native AOT: compiled when published
        }
        RuntimeTypeHandle[] instantiation = [typeof(TComm).TypeHandle];
        RuntimeHelpers.PrepareMethod(typeof(IsBenchmark<TComm>).GetMethod(nameof(TimedIteration))!.MethodHandle, instantiation);
        RuntimeHelpers.PrepareMethod(typeof(TComm).GetMethod(nameof(IIsCommunicator.MigrationPoint))!.MethodHandle);
        RuntimeHelpers.PrepareMethod(typeof(TComm).GetMethod(nameof(IIsCommunicator.Wtime))!.MethodHandle);
        RuntimeHelpers.PrepareMethod(typeof(Mitten.GroupComm.Mpi).GetMethod(nameof(Mitten.GroupComm.Mpi.Wtime))!.MethodHandle);
        foreach (string property in new[] { nameof(IsState.Iteration), nameof(IsState.Iterations), nameof(IsState.TimedSeconds) })
        {
            foreach (System.Reflection.MethodInfo accessor in typeof(IsState).GetProperty(property)!.GetAccessors())
            {
                RuntimeHelpers.PrepareMethod(accessor.MethodHandle);
            }
        }
        timedPathCompiled = true;
    }

    private static bool timedPathCompiled;

    /// <summary>
    /// One timed iteration (the migration point at its top included); returns this process's
    /// time for it. <see cref="Prepare"/> must have run, and iterations must remain.
    /// Fully optimized from its first call (see <see cref="Run"/>), so the communicator's calls
    /// and the state's accessors are inlined into it instead of running as Tier0 methods.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double TimedIteration(IsState state)
    {
        double start = comm.Wtime();
        comm.MigrationPoint(state.Iteration);
        RankKeys(state, state.Iteration);
        double seconds = comm.Wtime() - start;
        state.TimedSeconds += seconds;
        state.Iteration++;
        return seconds;
    }

    /// <summary>After the timed iterations: the full verification and the result (collective).</summary>
    public IsResult Conclude(IsState state, long allocatedDuringIterations)
    {
        double seconds = comm.AllreduceMax(state.TimedSeconds);
        long allocatedMax = (long)comm.AllreduceMax(allocatedDuringIterations);
        FullVerify(state);
        int passed = comm.AllreduceSum(state.PassedVerification);
        long checksum = comm.AllreduceSum(state.KeyRankChecksum);
        return new IsResult(seconds, passed, IsClass.TestArraySize * state.Iterations + size, state.Iterations, problem.TotalKeys, size,
            allocatedMax, checksum);
    }

    /// <summary>This process's keys: 4 random numbers per key from its own point of the sequence.</summary>
    private void GenerateKeys(IsState state)
    {
        Span<int> keys = state.Keys;
        ulong seed = IsRandom.SeedFor(rank, size, 4 * problem.TotalKeys);
        double k = problem.MaxKey / 4;
        for (int i = 0; i < keys.Length; i++)
        {
            double x = IsRandom.Next(ref seed);
            x += IsRandom.Next(ref seed);
            x += IsRandom.Next(ref seed);
            x += IsRandom.Next(ref seed);
            keys[i] = (int)(k * x);
        }
    }

    /// <summary>Sets a large key of process 0 (past the ones the iterations overwrite) to 0.</summary>
    private static void CorruptOneKey(IsState state)
    {
        Span<int> keys = state.Keys;
        int maxKey = 1 << IsClass.Get(state.ClassName.ToString()).MaxKeyLog2;
        for (int i = 2 * IsClass.MaxIterations + 1; i < keys.Length; i++)
        {
            if (keys[i] >= maxKey / 2)
            {
                keys[i] = 0;
                return;
            }
        }
    }

    /// <summary>One iteration of the original's rank(): bucket sort, redistribution, ranking, partial verification.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RankKeys(IsState state, int iteration)
    {
        int shift = problem.MaxKeyLog2 - problem.BucketsLog2;
        int buckets = problem.Buckets;
        Span<int> keys = state.Keys;
        int localKeys = keys.Length;
        phases?.Start(comm.Wtime());

        if (rank == 0)
        {
            keys[iteration] = iteration;
            keys[iteration + IsClass.MaxIterations] = problem.MaxKey - iteration;
        }

        Span<int> bucketSizes = state.BucketSizes;
        Span<int> bucketTotals = state.BucketTotals;
        bucketSizes.Clear();

        // The partial-verification keys ride along in the slots after the bucket counts.
        for (int i = 0; i < IsClass.TestArraySize; i++)
        {
            long g = problem.TestIndex(i);
            if (g / localKeys == rank)
            {
                bucketSizes[buckets + i] = keys[(int)(g % localKeys)];
            }
        }

        // The passes over all keys index with key values, which are in [0, MaxKey) by
        // construction (generator and bucket ranges), so they run unchecked (IsKernels).
        Span<int> pointers = state.BucketPointers;
        int[] bucketKeys = state.BucketKeys;
        if (bucketKeys.Length < localKeys || pointers.Length < buckets || bucketSizes.Length < buckets)
        {
            throw new InvalidOperationException($"process {rank}: working arrays too small for {localKeys} keys in {buckets} buckets");
        }
        unsafe
        {
            fixed (int* keysPointer = keys, countsPointer = bucketSizes, pointersPointer = pointers, bucketKeysPointer = bucketKeys)
            {
                IsKernels.CountBuckets(keysPointer, localKeys, countsPointer, shift);
                IsKernels.ExclusivePrefixSum(countsPointer, pointersPointer, buckets);
                IsKernels.ScatterToBuckets(keysPointer, localKeys, pointersPointer, bucketKeysPointer, shift);
            }
        }

        phases?.Mark(PhaseTimes.Local, comm.Wtime());
        comm.AllreduceSum(bucketSizes, bucketTotals);
        phases?.Mark(PhaseTimes.Allreduce, comm.Wtime());

        // Buckets go to processes in order; process j gets buckets until the running global
        // total reaches (j + 1) * NUM_KEYS.
        Span<int> sendCounts = state.SendCounts;
        Span<int> sendDispls = state.SendDisplacements;
        Span<int> first = state.FirstBucket;
        Span<int> last = state.LastBucket;
        first.Clear();
        last.Clear();
        long globalSum = 0;
        int localSum = 0;
        int j = 0;
        sendDispls[0] = 0;
        for (int i = 0; i < buckets; i++)
        {
            globalSum += bucketTotals[i];
            localSum += bucketSizes[i];
            if (globalSum >= (long)(j + 1) * localKeys)
            {
                sendCounts[j] = localSum;
                if (j != 0)
                {
                    sendDispls[j] = sendDispls[j - 1] + sendCounts[j - 1];
                    first[j] = last[j - 1] + 1;
                }
                last[j++] = i;
                localSum = 0;
            }
        }
        // Processes left without buckets (many processes, few buckets) get an empty range.
        while (j < size)
        {
            sendCounts[j] = 0;
            sendDispls[j] = j == 0 ? 0 : sendDispls[j - 1] + sendCounts[j - 1];
            first[j] = 1;
            last[j] = 0;
            j++;
        }

        Span<int> receiveCounts = state.ReceiveCounts;
        Span<int> receiveDispls = state.ReceiveDisplacements;
        comm.Alltoall(sendCounts, receiveCounts);
        phases?.Mark(PhaseTimes.Alltoall, comm.Wtime());
        receiveDispls[0] = 0;
        for (int i = 1; i < size; i++)
        {
            receiveDispls[i] = receiveDispls[i - 1] + receiveCounts[i - 1];
        }
        int received = receiveDispls[size - 1] + receiveCounts[size - 1];
        if (received > state.ReceivedKeys.Length)
        {
            GrowBuffers(state, received);
        }
        Span<int> receivedKeys = state.ReceivedKeys;
        comm.Alltoallv(state.BucketKeys, sendCounts, sendDispls, receivedKeys, receiveCounts, receiveDispls);
        phases?.Mark(PhaseTimes.Alltoallv, comm.Wtime());

        int minKey = first[rank] << shift;
        int maxKey = ((last[rank] + 1) << shift) - 1;
        int range = maxKey - minKey + 1;

        // m: keys on lower processes; local: keys here (both from the global bucket sizes).
        long lesser = 0;
        for (int k = 0; k < rank; k++)
        {
            for (int i = first[k]; i <= last[k]; i++)
            {
                lesser += bucketTotals[i];
            }
        }
        int local = 0;
        for (int i = first[rank]; i <= last[rank]; i++)
        {
            local += bucketTotals[i];
        }

        // Count each key value, then prefix sums: prefix[v] = keys <= minKey + v on this process.
        Span<int> prefix = range > 0 ? state.KeyCounts.AsSpan(0, range) : [];
        prefix.Clear();
        if (local > receivedKeys.Length || (local > 0 && range <= 0))
        {
            throw new InvalidOperationException($"process {rank}: {local} keys for a range of {range} values and {receivedKeys.Length} slots");
        }
        unsafe
        {
            fixed (int* prefixPointer = prefix, receivedPointer = receivedKeys)
            {
                IsKernels.CountKeys(receivedPointer, local, prefixPointer, minKey);
                IsKernels.InclusivePrefixSum(prefixPointer, prefix.Length);
            }
        }

        // Partial verification: each test key is checked by the process whose range holds it.
        for (int i = 0; i < IsClass.TestArraySize; i++)
        {
            int k = bucketTotals[buckets + i];
            if (minKey <= k && k <= maxKey)
            {
                long keyRank = (k - 1 >= minKey ? prefix[k - 1 - minKey] : 0) + lesser;
                state.KeyRankChecksum += keyRank * (i + 1) * iteration;
                if (keyRank == problem.ExpectedRank(i, iteration))
                {
                    state.PassedVerification++;
                }
                else
                {
                    Console.WriteLine($"Failed partial verification: iteration {iteration}, processor {rank}, test key {i}");
                }
            }
        }

        state.LastLocalKeys = local;
        state.LastMinKey = minKey;
        state.LastLesser = lesser;
        phases?.Mark(PhaseTimes.KeyRank, comm.Wtime());
    }

    /// <summary>
    /// Places the last iteration's keys in sorted order using their ranks and checks the order
    /// here and across the boundary with the previous process (tag 1000).
    /// </summary>
    private void FullVerify(IsState state)
    {
        int local = state.LastLocalKeys;
        int minKey = state.LastMinKey;
        Span<int> received = state.ReceivedKeys.AsSpan(0, local);
        Span<int> prefix = state.KeyCounts;
        Span<int> sorted = state.BucketKeys.AsSpan(0, local);
        foreach (int key in received)
        {
            sorted[--prefix[key - minKey]] = key;
        }

        int previousLargest = 0;
        if (rank > 0)
        {
            previousLargest = comm.Recv(rank - 1, 1000);
        }
        if (rank < size - 1)
        {
            comm.Send(local > 0 ? sorted[local - 1] : previousLargest, rank + 1, 1000);
        }

        int outOfOrder = 0;
        if (rank > 0 && local > 0 && previousLargest > sorted[0])
        {
            outOfOrder++;
        }
        // Every key's final position enters the checksum (wrapping arithmetic: only equality matters).
        long checksum = 0;
        long position = state.LastLesser;
        for (int i = 0; i < local; i++)
        {
            checksum += sorted[i] * (position++ % 65521 + 1);
        }
        state.KeyRankChecksum += checksum;
        for (int i = 1; i < local; i++)
        {
            if (sorted[i - 1] > sorted[i])
            {
                outOfOrder++;
            }
        }
        if (outOfOrder != 0)
        {
            Console.WriteLine($"Processor {rank}:  Full_verify: number of keys out of sort: {outOfOrder}");
        }
        else
        {
            state.PassedVerification++;
        }
    }

    private static void GrowBuffers(IsState state, int needed)
    {
        int capacity = needed + needed / 4;
        // Send buffer first and padded, as IsState.AllocateWorkingArrays: the receive buffer at its page offset.
        var bucketKeys = new int[PagePlacement.PadLength(capacity)];
        var receivedKeys = new int[capacity];
        state.BucketKeys.AsSpan().CopyTo(bucketKeys);
        state.ReceivedKeys = receivedKeys;
        state.BucketKeys = bucketKeys;
        state.BufferGrowths++;
    }
}
