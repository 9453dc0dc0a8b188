using System.Diagnostics;
using System.Runtime;
using System.Runtime.CompilerServices;

namespace Mitten.Bench.IS;

/// <summary>
/// Tiered compilation promotes methods that ran often (the runtime's own helpers included) on a
/// background thread, 100 ms after the last new method was compiled. Started right after the
/// warm-up, that work lands in the first timed iterations, on the same cores as the ranks (seen
/// with IS_TIMED_LOOP_COSTS=1: 7-17 methods compiled in the first timed run at A/4, 1-3 in the
/// next). <see cref="WaitUntilQuiet"/> lets it finish first, as a C program is compiled before
/// it starts.
/// </summary>
internal static class JitSettling
{
    /// <summary>
    /// Whether methods can be recompiled in the background: false under Native AOT and with tiered
    /// compilation off (DOTNET_TieredCompilation=0, as scripts/bench.sh iskernel runs the C# jobs, or
    /// System.Runtime.TieredCompilation=false in the runtime configuration), where every method is
    /// compiled once, before its first call. Then there is nothing to wait for, and the wait itself
    /// costs the small classes: a process that slept 250 ms starts its timed loop with cold caches
    /// (IS S/1 and S/2 ran 9-10 % faster without it, bench/RESULTS.md, kern18).
    /// </summary>
    public static bool BackgroundCompilation =>
        RuntimeFeature.IsDynamicCodeCompiled
        && Environment.GetEnvironmentVariable("DOTNET_TieredCompilation") != "0"
        && !(AppContext.TryGetSwitch("System.Runtime.TieredCompilation", out bool tiered) && !tiered);

    /// <summary>Returns once no method was compiled for <paramref name="quietMilliseconds"/>, or after 10 times that at most.</summary>
    public static void WaitUntilQuiet(int quietMilliseconds)
    {
        long limit = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 10L * quietMilliseconds / 1000;
        long count = JitInfo.GetCompiledMethodCount(currentThread: false);
        long quietSince = Stopwatch.GetTimestamp();
        while (Stopwatch.GetTimestamp() < limit)
        {
            Thread.Sleep(Math.Min(20, quietMilliseconds));
            long now = JitInfo.GetCompiledMethodCount(currentThread: false);
            if (now != count)
            {
                count = now;
                quietSince = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetTimestamp() - quietSince >= Stopwatch.Frequency * quietMilliseconds / 1000)
            {
                return;
            }
        }
    }
}
