using System.Globalization;

namespace Mitten.Protocol.Spares;

/// <summary>
/// An idle spare keeps the memory it prepared for a state warm (docs/PROTOCOL.md, "Memory for the
/// state"). On this virtual machine memory a process has not accessed for about two seconds costs
/// again on its next access, as much as a first touch (about 2-4 µs per 4 KiB page: 4 MB copied
/// into prepared pages after 3 s idle took 9-18 ms against 0.2-0.4 ms after 0.1-1 s; a C test,
/// bench/RESULTS.md "spare17"), while pages touched every 0.1-1 s stay warm at ~0.15 ms per 16 MB
/// a round. A spare waits idle for seconds or minutes before it is taken, so the ring and the
/// prepared memory it wrote once were cold again when the state came, and the restore paid the
/// touches while the moving rank was frozen. Between polls of its doorbell the spare therefore
/// writes one byte of every page of its prepared ring's data and of its unplaced prepared memory
/// every <see cref="IntervalMs"/> (MITTEN_SPARE_KEEP_WARM_MS; off by default: in the IS benchmark
/// the spare is taken 0.5-1.5 s after its preparation, before the memory goes cold, and 12
/// alternated pairs did not show it faster there; it is for spares that idle longer).
/// It runs on the doorbell's thread, before a TAKE is answered, so no moving rank writes the ring
/// meanwhile (the ring is claimed only after the answer), and the prepared memory is this
/// process's alone. The contents of both are irrelevant until a state is written into them.
/// </summary>
internal static class KeepWarm
{
    /// <summary>Milliseconds between two rounds (MITTEN_SPARE_KEEP_WARM_MS, default 0: off; 500 keeps the memory warm on this VM).</summary>
    internal static int IntervalMs { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("MITTEN_SPARE_KEEP_WARM_MS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int ms)
            ? Math.Max(0, ms) : 0;

    /// <summary>Rounds done so far and their total milliseconds (for the trace and the tests).</summary>
    internal static (int Rounds, double Ms, long Pages) Spent => (rounds, ticks * 1000.0 / System.Diagnostics.Stopwatch.Frequency, pages);

    private static int rounds;
    private static long ticks, pages;

    /// <summary>One round: the prepared ring's data and the unplaced prepared memory, one byte written per 4 KiB page.</summary>
    internal static void Round()
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        pages += StateRing.TouchPreparedData() + ReceiveMemory.TouchPrepared();
        ticks += System.Diagnostics.Stopwatch.GetTimestamp() - start;
        rounds++;
    }

    /// <summary>Writes one byte in every 4 KiB page of [start, start + length) (its value unchanged); returns the pages.</summary>
    internal static unsafe long TouchPages(nint start, long length)
    {
        long n = 0;
        for (long at = 0; at < length; at += 4096, n++)
        {
            byte* p = (byte*)start + at;
            Volatile.Write(ref *p, Volatile.Read(ref *p));
        }
        return n;
    }
}
