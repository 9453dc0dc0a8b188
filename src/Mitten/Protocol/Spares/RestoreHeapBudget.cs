using System.Globalization;
using System.Runtime;

namespace Mitten.Protocol.Spares;

/// <summary>
/// Heap set aside, while a spare is idle, for the allocations of its restore (docs/PROTOCOL.md,
/// "Memory for the state"). A spare's heap has hardly been used when it is taken, so the runtime's
/// allowance for large objects is small: the state's arrays and the application's working arrays
/// (IS class A: 4.2 MB of state and 16.7 MB of arrays) made it run two full collections inside
/// the freeze (bench/RESULTS.md, "Where a spare migration's freeze goes"). Before it waits for a
/// TAKE the spare starts a no-GC region (<see cref="GC.TryStartNoGCRegion(long, long)"/>) large
/// enough for the prepared receive memory plus a margin, so the collection that makes room runs
/// while idle; the region ends right after the restore (<see cref="EndAfterRestore"/>). An idle
/// spare allocates little, but if it or the restore allocates more than the region holds the
/// runtime collects as usual and leaves the region by itself: nothing depends on it but time.
/// MITTEN_SPARE_NO_GC=0 turns it off.
/// </summary>
internal static class RestoreHeapBudget
{
    private const long Margin = 16L << 20;

    /// <summary>Starts the region (a spare, after its warm-up, before it waits for a call), unless it is off or already on.</summary>
    internal static void StartWhileIdle()
    {
        if (Environment.GetEnvironmentVariable("MITTEN_SPARE_NO_GC") == "0" || GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
        {
            return;
        }
        long large = Math.Max(ReceiveMemory.ConfiguredBytes, 16L << 20) + Margin;
        long total = large + Margin;
        try
        {
            bool started = GC.TryStartNoGCRegion(total, large);
            ProtocolTrace.Write(-1, string.Create(CultureInfo.InvariantCulture, $"spare: {(started ? "set aside" : "could not set aside")} {total >> 20} MiB of heap for the restore"));
        }
        catch (ArgumentOutOfRangeException e)
        {
            ProtocolTrace.Write(-1, string.Create(CultureInfo.InvariantCulture, $"spare: no heap set aside for the restore ({total >> 20} MiB refused: {e.Message})"));
        }
    }

    /// <summary>Ends the region if it is still on (the restore is over; from here the process is a rank).</summary>
    internal static void EndAfterRestore()
    {
        if (GCSettings.LatencyMode != GCLatencyMode.NoGCRegion)
        {
            return;
        }
        try
        {
            GC.EndNoGCRegion();
        }
        catch (InvalidOperationException)
        {
            // The runtime left the region already (a collection ran): nothing to end.
        }
    }
}
