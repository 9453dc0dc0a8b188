using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mitten.Checkpoint.State;

/// <summary>
/// The checksum of the Checkpoint layer (state streams, the received-message-list, checkpoint
/// manifests): a Fletcher-style sum over 64-bit little-endian words in four independent lanes
/// (per lane a sum and a sum of sums, modulo 2^64), finished by a 64-bit mixer. Its value depends
/// only on the bytes, not on the machine: a 256-bit vector loop, a 128-bit one and a scalar
/// big-endian one compute the same number. It runs at memory speed (tens of GB/s from cache),
/// so checking a large block costs less than copying it. Any change confined to one 64-bit word
/// (a flipped bit, a damaged byte) changes that lane's sum for certain; a reordering of words
/// changes the sum of sums.
/// Data may be fed in pieces whose lengths are multiples of 32 bytes, the last piece excepted.
/// </summary>
internal struct Checksum
{
    private Vector256<ulong> sum;
    private Vector256<ulong> sumOfSums;
    private ulong length;

    /// <summary>The checksum of <paramref name="data"/> alone, for the frame or record kind <paramref name="kind"/>.</summary>
    public static ulong Of(ReadOnlySpan<byte> data, byte kind)
    {
        var checksum = new Checksum();
        checksum.Update(data);
        return checksum.Finish(0, kind);
    }

    /// <summary>Adds <paramref name="data"/>; every piece but the last must be a multiple of 32 bytes long.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Update(ReadOnlySpan<byte> data)
    {
        int whole = data.Length & ~31;
        if (!BitConverter.IsLittleEndian)
        {
            UpdatePortable(data[..whole]);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Update256(data[..whole]);
        }
        else
        {
            Update128(data[..whole]);
        }
        int rest = data.Length - whole;
        if (rest > 0)
        {
            Span<byte> tail = stackalloc byte[32];
            tail.Clear();
            data[whole..].CopyTo(tail);
            UpdatePortable(tail);
        }
        length += (ulong)data.Length;
    }

    /// <summary>
    /// Copies <paramref name="source"/> into <paramref name="destination"/> (at least as long) and adds
    /// the bytes as <see cref="Update"/> would, reading the source once: each 32-byte block is loaded
    /// into a register, summed there and stored from there. A separate checksum pass over a large
    /// block would read it a second time.
    /// </summary>
    /// <param name="source">The bytes to copy and sum.</param>
    /// <param name="destination">Where they go; it must not overlap <paramref name="source"/>.</param>
    /// <param name="bypassCache">
    /// Store with non-temporal (streaming) stores on x86: for a block much larger than the caches,
    /// ordinary stores first read every destination line into the cache (a third pass over memory)
    /// and evict useful data; streaming stores write whole lines straight to memory. Only worth it
    /// when the destination is too large to stay in the cache anyway.
    /// </param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public unsafe void UpdateCopying(ReadOnlySpan<byte> source, Span<byte> destination, bool bypassCache)
    {
        destination = destination[..source.Length];
        if (!BitConverter.IsLittleEndian || !Sse2.IsSupported)
        {
            // No x86 vectors (or a big-endian machine): copy and sum slice by slice, so the sum reads
            // each slice from the cache the copy just brought it into.
            while (source.Length > 0)
            {
                int n = Math.Min(source.Length, 64 * 1024);
                source[..n].CopyTo(destination);
                Update(source[..n]);
                source = source[n..];
                destination = destination[n..];
            }
            return;
        }
        int whole = source.Length & ~31;
        fixed (byte* s = source, d = destination)
        {
            if (Vector256.IsHardwareAccelerated && Avx.IsSupported)
            {
                CopyUpdate256(s, d, (nuint)whole, bypassCache);
            }
            else
            {
                CopyUpdate128(s, d, (nuint)whole, bypassCache);
            }
        }
        if (bypassCache)
        {
            Sse.StoreFence();               // streaming stores are weakly ordered: make them visible before anything written after them
        }
        length += (ulong)whole;
        source[whole..].CopyTo(destination[whole..]);
        Update(source[whole..]);            // the last partial block (if any), padded as Update pads it
    }

    /// <summary>
    /// Streaming stores need aligned addresses, but the checksum's 32-byte blocks count from the start
    /// of the data, which may sit anywhere relative to the destination's alignment. So the first
    /// <c>skew</c> bytes are copied with ordinary stores; from there on each 64-byte destination line
    /// is stored from source offset <c>skew + o</c>, while the sum adds the blocks at offset <c>o</c>.
    /// Both loads hit the same few source lines, already in the L1 cache.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void CopyUpdate256(byte* s, byte* d, nuint size, bool bypassCache)
    {
        Vector256<ulong> a = sum, b = sumOfSums;
        nuint o = 0;
        if (bypassCache)
        {
            nuint skew = Math.Min((nuint)(-(nint)d) & 63, size);
            Buffer.MemoryCopy(s, d, skew, skew);
            for (; o + skew + 64 <= size; o += 64)
            {
                a += Vector256.Load(s + o).AsUInt64();
                b += a;
                a += Vector256.Load(s + o + 32).AsUInt64();
                b += a;
                Avx.StoreAlignedNonTemporal(d + skew + o, Vector256.Load(s + skew + o));
                Avx.StoreAlignedNonTemporal(d + skew + o + 32, Vector256.Load(s + skew + o + 32));
            }
            Buffer.MemoryCopy(s + skew + o, d + skew + o, size - skew - o, size - skew - o);
        }
        else
        {
            for (; o + 64 <= size; o += 64)
            {
                Vector256<byte> v = Vector256.Load(s + o), w = Vector256.Load(s + o + 32);
                a += v.AsUInt64();
                b += a;
                a += w.AsUInt64();
                b += a;
                v.Store(d + o);
                w.Store(d + o + 32);
            }
            Buffer.MemoryCopy(s + o, d + o, size - o, size - o);
        }
        for (; o < size; o += 32)           // the blocks copied above but not yet summed
        {
            a += Vector256.Load(s + o).AsUInt64();
            b += a;
        }
        sum = a;
        sumOfSums = b;
    }

    /// <summary>The 128-bit form of <see cref="CopyUpdate256"/> (two 128-bit lanes per 32-byte block, as in <see cref="Update128"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void CopyUpdate128(byte* s, byte* d, nuint size, bool bypassCache)
    {
        Vector128<ulong> a0 = sum.GetLower(), a1 = sum.GetUpper(), b0 = sumOfSums.GetLower(), b1 = sumOfSums.GetUpper();
        nuint o = 0;
        if (bypassCache)
        {
            nuint skew = Math.Min((nuint)(-(nint)d) & 63, size);
            Buffer.MemoryCopy(s, d, skew, skew);
            for (; o + skew + 64 <= size; o += 64)
            {
                a0 += Vector128.Load(s + o).AsUInt64();
                a1 += Vector128.Load(s + o + 16).AsUInt64();
                b0 += a0;
                b1 += a1;
                a0 += Vector128.Load(s + o + 32).AsUInt64();
                a1 += Vector128.Load(s + o + 48).AsUInt64();
                b0 += a0;
                b1 += a1;
                byte* from = s + skew + o, to = d + skew + o;
                Sse2.StoreAlignedNonTemporal(to, Vector128.Load(from));
                Sse2.StoreAlignedNonTemporal(to + 16, Vector128.Load(from + 16));
                Sse2.StoreAlignedNonTemporal(to + 32, Vector128.Load(from + 32));
                Sse2.StoreAlignedNonTemporal(to + 48, Vector128.Load(from + 48));
            }
            Buffer.MemoryCopy(s + skew + o, d + skew + o, size - skew - o, size - skew - o);
        }
        else
        {
            for (; o + 32 <= size; o += 32)
            {
                Vector128<byte> v = Vector128.Load(s + o), w = Vector128.Load(s + o + 16);
                a0 += v.AsUInt64();
                a1 += w.AsUInt64();
                b0 += a0;
                b1 += a1;
                v.Store(d + o);
                w.Store(d + o + 16);
            }
        }
        for (; o < size; o += 32)           // the blocks copied above but not yet summed
        {
            a0 += Vector128.Load(s + o).AsUInt64();
            a1 += Vector128.Load(s + o + 16).AsUInt64();
            b0 += a0;
            b1 += a1;
        }
        sum = Vector256.Create(a0, a1);
        sumOfSums = Vector256.Create(b0, b1);
    }

    /// <summary>The checksum of everything fed so far, chained to <paramref name="previous"/> and the frame kind.</summary>
    public readonly ulong Finish(ulong previous, byte kind)
    {
        ulong h = Mix(previous ^ 0x9E3779B97F4A7C15UL ^ kind);
        h = Mix(h ^ length);
        for (int lane = 0; lane < 4; lane++)
        {
            h = Mix(h ^ sum.GetElement(lane));
        }
        for (int lane = 0; lane < 4; lane++)
        {
            h = Mix(h ^ sumOfSums.GetElement(lane));
        }
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Update256(ReadOnlySpan<byte> data)
    {
        ref byte p = ref MemoryMarshal.GetReference(data);
        nuint size = (nuint)data.Length;
        nuint pairs = size & ~(nuint)63;
        Vector256<ulong> a = sum, b = sumOfSums;
        nuint o = 0;
        for (; o < pairs; o += 64)
        {
            a += Vector256.LoadUnsafe(ref p, o).AsUInt64();
            b += a;
            a += Vector256.LoadUnsafe(ref p, o + 32).AsUInt64();
            b += a;
        }
        if (o < size)
        {
            a += Vector256.LoadUnsafe(ref p, o).AsUInt64();
            b += a;
        }
        sum = a;
        sumOfSums = b;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Update128(ReadOnlySpan<byte> data)
    {
        ref byte p = ref MemoryMarshal.GetReference(data);
        nuint size = (nuint)data.Length;
        Vector128<ulong> a0 = sum.GetLower(), a1 = sum.GetUpper(), b0 = sumOfSums.GetLower(), b1 = sumOfSums.GetUpper();
        for (nuint o = 0; o < size; o += 32)
        {
            a0 += Vector128.LoadUnsafe(ref p, o).AsUInt64();
            a1 += Vector128.LoadUnsafe(ref p, o + 16).AsUInt64();
            b0 += a0;
            b1 += a1;
        }
        sum = Vector256.Create(a0, a1);
        sumOfSums = Vector256.Create(b0, b1);
    }

    /// <summary>Whole 32-byte blocks read as little-endian words on any machine.</summary>
    private void UpdatePortable(ReadOnlySpan<byte> data)
    {
        Vector256<ulong> a = sum, b = sumOfSums;
        for (int o = 0; o < data.Length; o += 32)
        {
            ReadOnlySpan<byte> s = data.Slice(o, 32);
            a += Vector256.Create(
                BinaryPrimitives.ReadUInt64LittleEndian(s),
                BinaryPrimitives.ReadUInt64LittleEndian(s[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(s[16..]),
                BinaryPrimitives.ReadUInt64LittleEndian(s[24..]));
            b += a;
        }
        sum = a;
        sumOfSums = b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
