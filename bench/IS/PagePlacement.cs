using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mitten.Bench.IS;

/// <summary>
/// Puts the Alltoallv receive buffer at the same offset in its page as the send buffer, as the C
/// baseline's buffers are (each its own <c>mmap</c> by <c>calloc</c>: both at offset 16).
/// <para>
/// Why: a forward copy whose destination is a few hundred bytes <em>ahead</em> of its source modulo
/// 4096 runs its loads against the stores it just made to addresses with the same low 12 bits (4K
/// aliasing), and the copy slows down. On this machine (AMD EPYC, glibc 2.36's <c>rep movsb</c>
/// memcpy) Open MPI's self-copy of the keys in <c>MPI_Alltoallv</c> (256 KB at S/1) took 0.065 ms per 10
/// calls with the receive buffer 312 bytes ahead against 0.044 with both at the same offset — the
/// same C program with only its buffers moved (bench/RESULTS.md, kern18). The C# port's two arrays
/// are allocated one after the other on the large-object heap, so the second one's data lands
/// <c>4 * length + gap</c> bytes after the first one's: 312 bytes ahead modulo 4096 at S, W and A.
/// </para>
/// <para>
/// What: <see cref="PadLength"/> lengthens the first array (by less than 1024 elements) so that the
/// next large object starts at the same page offset. It relies on the large-object heap placing
/// consecutive allocations one after the other with a fixed gap, which it measures once with two
/// throwaway arrays; if the gap does not look like that, or a garbage collection moved the
/// allocation point in between, the arrays stay where they land (correct, only the copy is slower).
/// <see cref="Offset"/> lets the caller report where they did land (IS_PHASE_TIMES=1).
/// </para>
/// </summary>
internal static class PagePlacement
{
    private const int Page = 4096;

    /// <summary>Large enough for the large-object heap (85,000 bytes and more), a multiple of 8.</summary>
    private const int ProbeBytes = 88 * 1024;

    /// <summary>
    /// Bytes from the end of one large array's data to the start of the next one's, or -1 if the
    /// two probes did not land one after the other.
    /// </summary>
    private static readonly int Gap = MeasureGap();

    /// <summary>
    /// <paramref name="length"/> or a little more (under 1024 elements more): the length of an
    /// <see cref="int"/> array after which the next large array allocated starts at the same page
    /// offset. <paramref name="length"/> unchanged when the gap could not be measured or when the
    /// IS_PAGE_PLACEMENT environment variable is 0 (to measure without it).
    /// </summary>
    public static int PadLength(int length)
    {
        if (Gap < 0 || Environment.GetEnvironmentVariable("IS_PAGE_PLACEMENT") == "0")
        {
            return length;
        }
        long bytes = RoundUp8(4L * length);
        long missing = (Page - (bytes + Gap) % Page) % Page; // a multiple of 8: the gap and the bytes are
        return checked((int)(length + (missing + 3) / 4));
    }

    /// <summary>The address of <paramref name="array"/>'s first element modulo 4096.</summary>
    public static int Offset<T>(T[] array) where T : unmanaged => (int)(Address(array) % Page);

    /// <summary>(second's first element - first's) modulo 4096: 0 when they are placed alike.</summary>
    public static int Distance<T>(T[] first, T[] second) where T : unmanaged =>
        (int)((Address(second) - Address(first)) % Page);

    private static unsafe ulong Address<T>(T[] array) where T : unmanaged =>
        (ulong)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));

    private static long RoundUp8(long bytes) => (bytes + 7) & ~7L;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int MeasureGap()
    {
        byte[] first = new byte[ProbeBytes];
        byte[] second = new byte[ProbeBytes];
        long gap = (long)(Address(second) - Address(first)) - ProbeBytes;
        GC.KeepAlive(first);
        return gap >= 0 && gap < Page && gap % 8 == 0 ? (int)gap : -1;
    }
}
