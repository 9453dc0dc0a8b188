using System.Globalization;
using System.Runtime.InteropServices;

namespace Mitten.Protocol.Spares;

/// <summary>
/// Memory a spare makes ready, while idle, for the state it may receive (docs/PROTOCOL.md,
/// "Memory for the state"). On a virtual machine the first write to a page costs far more than
/// the copy (here about 35 µs per 4 KiB, with or without huge pages, whenever the hypervisor
/// has taken the page back), so a 64 MiB state restored into fresh arrays spent 70-90 % of its
/// time on the receiving side's first touches. A spare therefore maps and writes
/// <see cref="ConfiguredBytes"/> of anonymous memory (huge pages where the system allows) on a
/// background thread after its warm-up, and holds it. When a large array of the state is about
/// to be read (<see cref="Place"/>, called through the state receiver), the prepared pages are
/// moved into the array's range with <c>mremap</c> (page tables move, nothing is copied), so the
/// bytes arrive in memory that is already backed. Whatever the state needs beyond the prepared
/// memory is received as before; what is left unused is returned when the restore ends
/// (<see cref="Release"/>). MITTEN_RECEIVE_MEMORY_MIB sets the amount (default 64; 0 turns it off).
/// </summary>
internal static unsafe class ReceiveMemory
{
    private const long Page = 4096;
    private const long HugePage = 2L << 20;
    private const int MadvHugePage = 14;
    private const int MadvPopulateWrite = 23;
    private const int MremapMaymove = 1, MremapFixed = 2;
    private static readonly nint MapFailed = -1;

    /// <summary>The default amount: a spare holds this much memory while idle.</summary>
    internal const long DefaultBytes = 64L << 20;

    private static readonly Lock Gate = new();
    private static Prepared? prepared;
    private static Task? preparing;

    /// <summary>Bytes a spare prepares: MITTEN_RECEIVE_MEMORY_MIB (default 64), 0 off Linux or with the .NET heap on large pages.</summary>
    internal static long ConfiguredBytes { get; } = ReadConfiguredBytes();

    /// <summary>Bytes prepared and not yet placed or released.</summary>
    internal static long AvailableBytes
    {
        get
        {
            lock (Gate)
            {
                return prepared is { } p ? p.Back - p.Front : 0;
            }
        }
    }

    /// <summary>The prepared range not yet placed, [front, back) (0, 0 when none; for the tests).</summary>
    internal static (long Front, long Back) UnplacedRange
    {
        get
        {
            lock (Gate)
            {
                return prepared is { } p ? (p.Front, p.Back) : (0, 0);
            }
        }
    }

    /// <summary>Bytes placed into the state's arrays since the memory was prepared (for the trace and the tests).</summary>
    internal static long PlacedBytes { get; private set; }

    /// <summary>Milliseconds the last preparation took (mapping and writing every page).</summary>
    internal static double LastPrepareMs { get; private set; }

    /// <summary>
    /// Prepares <see cref="ConfiguredBytes"/> and the spare's state ring (<see cref="StateRing.PrepareForReceiving"/>)
    /// on a thread-pool thread (a spare after its warm-up); a receive that comes first does without.
    /// </summary>
    internal static void PrepareInBackground()
    {
        lock (Gate)
        {
            preparing ??= Task.Run(() =>
            {
                StateRing.PrepareForReceiving(); // the ring the moving rank writes into (StateRing): first, it is smaller
                _ = PrepareCore(ConfiguredBytes);
            });
        }
    }

    /// <summary>How long a receive waits for a preparation still in flight; past it the state is received without the rest of it.</summary>
    private static readonly TimeSpan PreparingLimit = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Before a receive: waits for a preparation started by <see cref="PrepareInBackground"/> that
    /// has not finished (a spare taken right after it started), at most <see cref="PreparingLimit"/>:
    /// the memory only saves first touches, so the receive goes on without it after that.
    /// </summary>
    internal static void AwaitPreparing()
    {
        Task? running;
        lock (Gate)
        {
            running = preparing;
        }
        _ = running?.Wait(PreparingLimit);
    }

    /// <summary>
    /// Maps <paramref name="bytes"/> (rounded up to 4 KiB, starting at a 2 MiB boundary) of anonymous memory, asks for huge pages,
    /// and writes every 4 KiB page once; returns the bytes prepared (0 if the mapping failed). Any
    /// memory prepared before and not used is released first.
    /// </summary>
    internal static long Prepare(long bytes)
    {
        Release();
        return PrepareCore(bytes);
    }

    private static long PrepareCore(long bytes)
    {
        if (bytes <= 0 || !OperatingSystem.IsLinux())
        {
            return 0;
        }
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        long length = RoundUp(bytes, Page);
        nuint mappingLength = (nuint)(length + HugePage); // room to align the start to a huge page
        nint mapping = Mmap(0, mappingLength, 3 /* PROT_READ | PROT_WRITE */, 0x22 /* MAP_PRIVATE | MAP_ANONYMOUS */, -1, 0);
        if (mapping == MapFailed)
        {
            return 0;
        }
        long aligned = RoundUp(mapping, HugePage);
        // Give back the alignment slack at once: from here on this class owns exactly
        // [Front, Back), so Release unmaps only that (see Release for why that matters).
        if (aligned > mapping)
        {
            _ = Munmap(mapping, (nuint)(aligned - mapping));
        }
        if (mapping + (long)mappingLength > aligned + length)
        {
            _ = Munmap((nint)(aligned + length), (nuint)(mapping + (long)mappingLength - (aligned + length)));
        }
        _ = Madvise((nint)aligned, (nuint)length, MadvHugePage); // huge pages where THP is "madvise"; harmless elsewhere
        _ = Madvise((nint)aligned, (nuint)length, MadvPopulateWrite); // one call for the faults (Linux 5.14+); the writes below do it otherwise
        // A write to every page: the hypervisor backs a page at its first write, and a populated
        // page it has not backed yet still costs that at the first write.
        for (long p = aligned; p < aligned + length; p += Page)
        {
            *(long*)p = 0;
        }
        lock (Gate)
        {
            prepared = new Prepared(aligned, aligned + length);
            PlacedBytes = 0;
        }
        LastPrepareMs = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return length;
    }

    /// <summary>
    /// Moves prepared pages into the whole 4 KiB pages of <paramref name="destination"/> (the
    /// elements of an array about to be overwritten whole): its 2 MiB-aligned middle from the
    /// front of the prepared memory in huge pages, its ends from the back in 4 KiB pages, as far
    /// as the prepared memory goes. Returns the bytes placed; 0 when nothing is prepared (or a
    /// background preparation has not finished), and a failed move stops placing, leaving the
    /// rest of the destination as it was.
    /// </summary>
    /// <param name="destination">The range to back with prepared pages.</param>
    /// <param name="smallToo">
    /// Also place a range that holds no whole 2 MiB page (all of it from the back, in 4 KiB
    /// pages). <see cref="RestoredArrays"/> asks for it: its alternative is clearing fresh memory,
    /// whose first touches cost far more (a 2 MiB array: 8-9 ms cleared against well under 1 ms
    /// placed). The state's own arrays do not: they are received into whatever backs them, and
    /// there cutting 4 KiB pieces out cost more than it saved (below).
    /// </param>
    internal static long Place(Span<byte> destination, bool smallToo = false)
    {
        if (destination.Length < Page)
        {
            return 0;
        }
        fixed (byte* data = destination)
        {
            if (!smallToo && RoundUp((long)data, HugePage) + HugePage > (long)data + destination.Length)
            {
                // No whole 2 MiB page inside: left to the runtime's own pages. Cutting 4 KiB pieces
                // out of the prepared huge pages (and out of the heap's) cost more than it saved:
                // a 1 MiB state restored 5-6 times slower with prepared memory than without.
                return 0;
            }
        }
        lock (Gate)
        {
            if (prepared is not { } p || p.Back - p.Front < Page)
            {
                return 0;
            }
            long placed = 0;
            fixed (byte* data = destination) // pinned while its pages are replaced
            {
                long start = RoundUp((long)data, Page), end = RoundDown((long)data + destination.Length, Page);
                long middleStart = RoundUp(start, HugePage), middleEnd = RoundDown(end, HugePage);
                long middle = middleStart < middleEnd ? Math.Min(middleEnd - middleStart, RoundDown(p.Back - p.Front, HugePage)) : 0;
                if (middle > 0 && p.Move(p.Front, middleStart, middle))
                {
                    p.Front += middle;
                    placed += middle;
                }
                else
                {
                    middleStart = middleEnd = start; // no middle: the whole range goes as ends
                    middle = 0;
                }
                placed += PlaceFromBack(p, start, middleStart);
                placed += PlaceFromBack(p, middleStart + middle, end);
            }
            PlacedBytes += placed;
            return placed;
        }
    }

    private static long PlaceFromBack(Prepared p, long start, long end)
    {
        long n = Math.Min(end - start, RoundDown(p.Back - p.Front, Page));
        if (n <= 0 || !p.Move(p.Back - n, start, n))
        {
            return 0;
        }
        p.Back -= n;
        return n;
    }

    /// <summary>Returns the prepared memory that was not placed and a state ring nobody used (after a restore, or before preparing again).</summary>
    internal static void Release()
    {
        Task? running;
        lock (Gate)
        {
            running = preparing;
            preparing = null;
        }
        running?.Wait(); // a preparation in flight: at most a few hundred ms of page writes, no wait of its own
        lock (Gate)
        {
            if (prepared is { } p)
            {
                // Only what is still ours: the pages moved out of [front, back) left holes that
                // the process may have mapped something else into since (a thread's stack, the
                // runtime's heap); unmapping the whole original range took those too, and the
                // runtime then crashed reading them (a test host, about one run in twenty).
                if (p.Back > p.Front)
                {
                    _ = Munmap((nint)p.Front, (nuint)(p.Back - p.Front));
                }
                prepared = null;
            }
        }
        StateRing.ReleasePrepared();
    }

    private static long ReadConfiguredBytes()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("DOTNET_GCLargePages") == "1")
        {
            return 0; // a heap on large pages is locked memory of its own: leave its pages alone
        }
        string? mib = Environment.GetEnvironmentVariable("MITTEN_RECEIVE_MEMORY_MIB");
        return mib is null ? DefaultBytes
            : long.TryParse(mib, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) && n >= 0 ? n << 20 : DefaultBytes;
    }

    /// <summary>Writes one byte of every page of the prepared memory not yet placed (KeepWarm, an idle spare); returns the pages.</summary>
    internal static long TouchPrepared()
    {
        lock (Gate)
        {
            return prepared is { } p && p.Back > p.Front ? KeepWarm.TouchPages((nint)p.Front, p.Back - p.Front) : 0;
        }
    }

    private static long RoundUp(long value, long unit) => (value + unit - 1) & ~(unit - 1);

    private static long RoundDown(long value, long unit) => value & ~(unit - 1);

    /// <summary>One prepared mapping: [Front, Back) is still unused and mapped; what was moved out of either end is no longer ours.</summary>
    private sealed class Prepared(long front, long back)
    {
        internal long Front { get; set; } = front;
        internal long Back { get; set; } = back;

        /// <summary>mremap(MREMAP_FIXED): the destination's old pages are dropped, the prepared ones take their place.</summary>
        internal bool Move(long from, long to, long length) =>
            Mremap((nint)from, (nuint)length, (nuint)length, MremapMaymove | MremapFixed, (nint)to) == (nint)to;
    }

    [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static extern nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [DllImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static extern int Munmap(nint address, nuint length);

    [DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int Madvise(nint address, nuint length, int advice);

    [DllImport("libc", EntryPoint = "mremap", SetLastError = true)]
    private static extern nint Mremap(nint oldAddress, nuint oldLength, nuint newLength, int flags, nint newAddress);
}
