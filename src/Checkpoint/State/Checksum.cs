using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
