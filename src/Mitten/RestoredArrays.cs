using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Mitten.Protocol.Spares;

namespace Mitten;

/// <summary>
/// Large zeroed arrays for working memory that an application allocates anew while its state is
/// restored (for example in the after-restore step of <see cref="MigratableCodec"/>). Everywhere
/// it is the same as <c>new T[length]</c>; in a warm spare that is restoring a moving rank's
/// state, the array's pages are memory the spare wrote while it was idle (docs/PROTOCOL.md,
/// "Memory for the state"), so neither the restore nor the first iterations after it pay the
/// first write to fresh memory (on a virtual machine about 35 µs per 4 KiB page: 14 MB of new
/// arrays cost 100-500 ms here).
/// </summary>
/// <example>
/// <code>
/// BucketKeys = RestoredArrays.Allocate&lt;int&gt;(capacity); // instead of new int[capacity]
/// </code>
/// </example>
public static class RestoredArrays
{
    /// <summary>Below this size an array is allocated as usual (its first touch costs a few pages at most).</summary>
    internal const long MinimumBytes = 256 * 1024;

    private const long Page = 4096;

    /// <summary>
    /// A zeroed array of <paramref name="length"/> elements, as <c>new T[length]</c>; during a
    /// spare's restore, backed by memory the spare prepared (whole 4 KiB pages moved into the
    /// array's range, the partial pages at its ends cleared). Falls back to <c>new T[length]</c>
    /// when the array is small, nothing is prepared, or the prepared memory does not cover it.
    /// </summary>
    /// <typeparam name="T">An unmanaged element type.</typeparam>
    /// <param name="length">The number of elements (not negative).</param>
    public static T[] Allocate<T>(int length) where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        long bytes = (long)length * Unsafe.SizeOf<T>();
        if (bytes < MinimumBytes || ReceiveMemory.AvailableBytes < bytes + Page)
        {
            return new T[length];
        }
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        T[] array = GC.AllocateUninitializedArray<T>(length); // a large object: not moved by the GC
        long allocated = System.Diagnostics.Stopwatch.GetTimestamp();
        PlaceOrClear(MemoryMarshal.AsBytes(array.AsSpan()));
        Interlocked.Add(ref AllocateTicks, allocated - start);
        Interlocked.Add(ref PlaceTicks, System.Diagnostics.Stopwatch.GetTimestamp() - allocated);
        return array;
    }

    /// <summary>
    /// Time in <see cref="Allocate{T}"/>'s runtime allocations and in its placing (or clearing) of
    /// the arrays that took the prepared-memory path, summed over the process's life, ms (for
    /// MITTEN_TRACE's restore line; in a replacement that is the restore's after-restore step).
    /// </summary>
    internal static (double AllocateMs, double PlaceMs) Spent =>
        (AllocateTicks * 1000.0 / System.Diagnostics.Stopwatch.Frequency, PlaceTicks * 1000.0 / System.Diagnostics.Stopwatch.Frequency);

    private static long AllocateTicks, PlaceTicks;

    /// <summary>
    /// Moves prepared (zeroed, written) pages into <paramref name="bytes"/> and clears what they
    /// do not cover; when the move does not cover every whole page (memory ran out, a failed
    /// <c>mremap</c>) the whole range is cleared, so the array is zero in every case.
    /// </summary>
    private static unsafe void PlaceOrClear(Span<byte> bytes)
    {
        fixed (byte* data = bytes)
        {
            long start = ((long)data + Page - 1) & ~(Page - 1);
            long end = ((long)data + bytes.Length) & ~(Page - 1);
            long placed = ReceiveMemory.Place(bytes, smallToo: true);
            if (end > start && placed == end - start)
            {
                bytes[..(int)(start - (long)data)].Clear();
                bytes[(int)(end - (long)data)..].Clear();
            }
            else
            {
                bytes.Clear();
            }
        }
    }

    /// <summary>Compiles <see cref="Allocate{T}"/> for the common element types (a spare while idle), so a restore does not wait for the JIT.</summary>
    internal static void Warm()
    {
        _ = Allocate<byte>(1);
        _ = Allocate<int>(1);
        _ = Allocate<long>(1);
        _ = Allocate<double>(1);
        Span<byte> none = [];
        PlaceOrClear(none);
    }
}
