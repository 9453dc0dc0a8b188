using System.Globalization;
using System.Runtime.InteropServices;

namespace Mitten.Protocol;

/// <summary>
/// For the trace only (MITTEN_TRACE=1): the calling thread's processor time, minor page faults
/// and context switches between two points (getrusage RUSAGE_THREAD), so a transport's wall time
/// can be told apart into its own work, page faults, and time it was not running (involuntary
/// switches: preempted by other processes on the shared cores). Linux only; elsewhere empty.
/// </summary>
internal unsafe struct ThreadUsage
{
    private const int RusageThread = 1;

    private long startTicks;
    private long cpuMicros, minorFaults, voluntary, involuntary;
    private bool started;

    /// <summary>Whether anything was recorded.</summary>
    internal readonly bool Started => started;

    /// <summary>Starts the span (once; later calls do nothing).</summary>
    internal void Begin()
    {
        if (started || !OperatingSystem.IsLinux())
        {
            return;
        }
        started = true;
        startTicks = System.Diagnostics.Stopwatch.GetTimestamp();
        Read(out cpuMicros, out minorFaults, out voluntary, out involuntary);
    }

    /// <summary>"wall W ms, cpu C ms, minor faults F, switches V voluntary / I involuntary" from <see cref="Begin"/> to now.</summary>
    internal readonly string Describe()
    {
        if (!started)
        {
            return "no usage";
        }
        double wall = System.Diagnostics.Stopwatch.GetElapsedTime(startTicks).TotalMilliseconds;
        Read(out long cpu, out long faults, out long vol, out long invol);
        return string.Create(CultureInfo.InvariantCulture,
            $"wall {wall:F2} ms, cpu {(cpu - cpuMicros) / 1000.0:F2} ms, minor faults {faults - minorFaults}, switches {vol - voluntary} voluntary / {invol - involuntary} involuntary");
    }

    private static void Read(out long cpuMicros, out long minorFaults, out long voluntary, out long involuntary)
    {
        long* usage = stackalloc long[18]; // struct rusage on 64-bit Linux: two timevals, then 14 longs
        if (Getrusage(RusageThread, usage) != 0)
        {
            cpuMicros = minorFaults = voluntary = involuntary = 0;
            return;
        }
        cpuMicros = usage[0] * 1_000_000 + usage[1] + usage[2] * 1_000_000 + usage[3];
        minorFaults = usage[4 + 4];
        voluntary = usage[4 + 12];
        involuntary = usage[4 + 13];
    }

    /// <summary>The calling thread's processor time in nanoseconds (clock_gettime CLOCK_THREAD_CPUTIME_ID; a system call); 0 off Linux.</summary>
    internal static long ThreadCpuNanos()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }
        long* time = stackalloc long[2];
        return ClockGettime(3 /* CLOCK_THREAD_CPUTIME_ID */, time) == 0 ? time[0] * 1_000_000_000 + time[1] : 0;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGettime(int clock, long* time);

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int Getrusage(int who, long* usage);
}
