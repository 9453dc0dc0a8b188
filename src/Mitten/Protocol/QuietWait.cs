using System.Diagnostics;
using System.Globalization;

namespace Mitten.Protocol;

/// <summary>
/// The pause between two polls of a wait in which a process only waits for another's work
/// during a migration's freeze (docs/PROTOCOL.md, "Waiting quietly"): the moving rank waiting
/// for the replacement's restore_complete and JOINED, the replacement waiting for COMMIT. Where
/// processes share cores, a waiter that keeps polling takes the processor from the ones doing
/// the work (the replacement restoring, the new group's collectives), so after
/// <see cref="SpinTicks"/> of polling (Thread.Yield between polls) it sleeps 1 ms between polls.
/// Deadlines are the callers' and unchanged; the answer is seen at most about a millisecond later.
/// </summary>
internal readonly struct QuietWait
{
    /// <summary>
    /// MITTEN_COMMIT_SPIN_MS (default 1): how long such a wait polls before it sleeps between
    /// polls; a negative value always polls (yielding), as before.
    /// </summary>
    internal static readonly long SpinTicks =
        double.TryParse(Environment.GetEnvironmentVariable("MITTEN_COMMIT_SPIN_MS"), NumberStyles.Float, CultureInfo.InvariantCulture, out double ms)
            ? (ms < 0 ? -1 : (long)(ms * Stopwatch.Frequency / 1000)) : Stopwatch.Frequency / 1000;

    private readonly long sleepAfter;

    private QuietWait(long sleepAfter) => this.sleepAfter = sleepAfter;

    /// <summary>A wait starting now.</summary>
    internal static QuietWait Start() => new(SpinTicks < 0 ? long.MaxValue : Stopwatch.GetTimestamp() + SpinTicks);

    /// <summary>Between two polls: yield while spinning, then sleep 1 ms.</summary>
    internal void Pause()
    {
        if (Stopwatch.GetTimestamp() > sleepAfter)
        {
            Thread.Sleep(1);
        }
        else
        {
            Thread.Yield();
        }
    }
}
