using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;

namespace Mitten.Bench.IS;

/// <summary>
/// What happened in a process during one run's timed iterations besides the kernel: methods
/// the JIT compiled (and its time), garbage collections and minor page faults. Counts, not
/// times, so they do not depend on the machine's load; printed to stderr per rank when
/// IS_TIMED_LOOP_COSTS=1 ("TIMED_LOOP_COSTS rank= jit_methods= jit_ms= gcs= minor_faults=").
/// </summary>
internal readonly record struct TimedLoopCosts(long JitMethods, TimeSpan JitTime, int Collections, long MinorFaults)
{
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("IS_TIMED_LOOP_COSTS") == "1";

    /// <summary>The counters now (zeros when the report is off, so the timed path pays nothing).</summary>
    public static TimedLoopCosts Now() => Enabled
        ? new(JitInfo.GetCompiledMethodCount(currentThread: false), JitInfo.GetCompilationTime(currentThread: false),
              GC.CollectionCount(0), ReadMinorFaults())
        : default;

    /// <summary>Prints the difference between two readings for <paramref name="rank"/> (this method's own compile falls outside them).</summary>
    public static void Report(int rank, TimedLoopCosts before, TimedLoopCosts after)
    {
        if (!Enabled)
        {
            return;
        }
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"TIMED_LOOP_COSTS rank={rank} jit_methods={after.JitMethods - before.JitMethods} jit_ms={(after.JitTime - before.JitTime).TotalMilliseconds:F2} gcs={after.Collections - before.Collections} minor_faults={after.MinorFaults - before.MinorFaults}"));
    }

    /// <summary>This process's minor page faults so far (getrusage; no allocation, so the reading itself calls no runtime helper the JIT could promote).</summary>
    private static unsafe long ReadMinorFaults()
    {
        long* usage = stackalloc long[18]; // struct rusage on 64-bit Linux: 2 timevals, then 14 longs
        return GetResourceUsage(0, usage) == 0 ? usage[8] : -1; // ru_utime, ru_stime (2 longs each), ru_maxrss, ru_ixrss, ru_idrss, ru_isrss, then ru_minflt
    }

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern unsafe int GetResourceUsage(int who, long* usage);
}
