using System.Globalization;
using System.Runtime.InteropServices;

namespace Mitten.Bench.IS;

/// <summary>
/// Where a timed iteration's time goes on this process, by phase, when IS_PHASE_TIMES=1 (else
/// <see cref="FromEnvironment"/> gives null and the kernel reads no clock besides its own):
/// local bucket sort (count, pointers, scatter), the Allreduce of the bucket sizes, the bucket
/// assignment and the Alltoall of the counts, the Alltoallv of the keys, and the local ranking
/// (key count, prefix sum, partial verification). bench/native/is.c takes the same marks at the
/// same places with the same clock (MPI_Wtime), so the two programs can be compared phase by
/// phase. Printed to stderr per process and run:
/// "PHASES impl=csharp rank= rep= local_ms= allreduce_ms= alltoall_ms= alltoallv_ms= keyrank_ms=
/// thread_cpu_ms= process_cpu_ms= vcsw= ivcsw=" (the last four over the timed iterations, from getrusage:
/// CPU time of the main thread and of the whole process, and the main thread's voluntary and
/// involuntary context switches), minflt (the process's minor page faults); and a line
/// "THREADS impl=csharp rank= rep= NAME:TID=MS ..." with the CPU time (ms) every other thread of the
/// process ran during the timed iterations (/proc/self/task/*/schedstat, read before and after).
/// </summary>
internal sealed unsafe class PhaseTimes
{
    /// <summary>The phases, in the order they are marked.</summary>
    internal const int Local = 0, Allreduce = 1, Alltoall = 2, Alltoallv = 3, KeyRank = 4;

    private readonly double[] sums = new double[5];
    private readonly double[] cpuSums = new double[5];
    private double last;
    private double lastCpu;
    private int run;
    private readonly long[] threadBefore = new long[18];
    private readonly long[] processBefore = new long[18];
    private Dictionary<int, (string Name, long Nanoseconds)> threadsBefore = [];

    /// <summary>A recorder when IS_PHASE_TIMES=1, else null.</summary>
    public static PhaseTimes? FromEnvironment() => Environment.GetEnvironmentVariable("IS_PHASE_TIMES") == "1" ? new PhaseTimes() : null;

    /// <summary>An iteration starts at <paramref name="now"/>.</summary>
    public void Start(double now)
    {
        last = now;
        lastCpu = ThreadCpuSeconds();
    }

    /// <summary>Phase <paramref name="phase"/> ended at <paramref name="now"/> (the next starts).</summary>
    public void Mark(int phase, double now)
    {
        sums[phase] += now - last;
        last = now;
        double cpu = ThreadCpuSeconds();
        cpuSums[phase] += cpu - lastCpu;
        lastCpu = cpu;
    }

    /// <summary>Forgets the sums and reads the resource counters (before a run's timed iterations).</summary>
    public void Clear()
    {
        Array.Clear(sums);
        Array.Clear(cpuSums);
        threadsBefore = ThreadCpu.Read(); // before the counters: its file reads are not the timed loop's
        Usage(RusageThread, threadBefore);
        Usage(RusageSelf, processBefore);
    }

    /// <summary>Prints this run's sums for <paramref name="rank"/>, then clears them.</summary>
    public void Report(int rank)
    {
        Span<long> thread = stackalloc long[18];
        Span<long> process = stackalloc long[18];
        Usage(RusageThread, thread);
        Usage(RusageSelf, process);
        Dictionary<int, (string Name, long Nanoseconds)> threadsAfter = ThreadCpu.Read();
        run++;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"PHASES impl=csharp rank={rank} rep={run} local_ms={sums[Local] * 1e3:F4} allreduce_ms={sums[Allreduce] * 1e3:F4} alltoall_ms={sums[Alltoall] * 1e3:F4} alltoallv_ms={sums[Alltoallv] * 1e3:F4} keyrank_ms={sums[KeyRank] * 1e3:F4} thread_cpu_ms={CpuMs(thread) - CpuMs(threadBefore):F3} process_cpu_ms={CpuMs(process) - CpuMs(processBefore):F3} vcsw={thread[16] - threadBefore[16]} ivcsw={thread[17] - threadBefore[17]} local_cpu_ms={cpuSums[Local] * 1e3:F4} allreduce_cpu_ms={cpuSums[Allreduce] * 1e3:F4} alltoall_cpu_ms={cpuSums[Alltoall] * 1e3:F4} alltoallv_cpu_ms={cpuSums[Alltoallv] * 1e3:F4} keyrank_cpu_ms={cpuSums[KeyRank] * 1e3:F4} minflt={process[8] - processBefore[8]}"));
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"THREADS impl=csharp rank={rank} rep={run} {ThreadCpu.Difference(threadsBefore, threadsAfter)}"));
        Clear();
    }

    private const int RusageSelf = 0, RusageThread = 1;

    // struct rusage on 64-bit Linux: ru_utime and ru_stime (seconds, microseconds each), then 14 longs (nvcsw 16, nivcsw 17).
    private static double CpuMs(ReadOnlySpan<long> u) => (u[0] + u[2]) * 1e3 + (u[1] + u[3]) / 1e3;

    private static void Usage(int who, Span<long> into)
    {
        fixed (long* p = into)
        {
            _ = GetResourceUsage(who, p);
        }
    }

    /// <summary>This thread's CPU time (clock_gettime(CLOCK_THREAD_CPUTIME_ID), as bench/native/is.c).</summary>
    private static double ThreadCpuSeconds()
    {
        long* ts = stackalloc long[2];
        _ = ClockGetTime(3, ts);
        return ts[0] + ts[1] * 1e-9;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, long* timespec);

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetResourceUsage(int who, long* usage);

    /// <summary>
    /// One "PLACEMENT impl=csharp rank= ..." line on stderr: the page offsets (address mod 4096) of the
    /// large arrays' first elements and the Alltoallv receive buffer's distance from its send buffer mod
    /// 4096 (bench/native/is.c prints the same for its buffers).
    /// </summary>
    public static void ReportPlacement(int rank, IsState state) =>
        Console.Error.WriteLine(System.FormattableString.Invariant(
            $"PLACEMENT impl=csharp rank={rank} keys={PagePlacement.Offset(state.Keys)} send={PagePlacement.Offset(state.BucketKeys)} receive={PagePlacement.Offset(state.ReceivedKeys)} counts={PagePlacement.Offset(state.KeyCounts)} receive_minus_send={PagePlacement.Distance(state.BucketKeys, state.ReceivedKeys)}"));
}
