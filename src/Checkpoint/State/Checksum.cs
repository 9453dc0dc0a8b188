using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Mitten.Checkpoint.State;

/// <summary>
/// A Fletcher-style checksum over 64-bit little-endian words in four independent lanes
/// (sum and sum of sums per lane), so it runs at memory speed with 128-bit vectors and its
/// value depends only on the bytes, not on the machine. Data may be fed in pieces whose
/// lengths are multiples of 32 bytes, the last piece excepted.
/// </summary>
internal struct Checksum
{
    private Vector128<ulong> sum0, sum1, sumOfSums0, sumOfSums1;
    private ulong length;

    public void Update(ReadOnlySpan<byte> data)
    {
        ref byte p = ref MemoryMarshal.GetReference(data);
        int blocks = data.Length / 32;
        Vector128<ulong> a0 = sum0, a1 = sum1, b0 = sumOfSums0, b1 = sumOfSums1;
        if (BitConverter.IsLittleEndian)
        {
            for (int i = 0; i < blocks; i++)
            {
                nuint o = (nuint)i * 32;
                a0 += Vector128.LoadUnsafe(ref p, o).AsUInt64();
                a1 += Vector128.LoadUnsafe(ref p, o + 16).AsUInt64();
                b0 += a0;
                b1 += a1;
            }
        }
        else
        {
            for (int i = 0; i < blocks; i++)
            {
                ReadOnlySpan<byte> s = data.Slice(i * 32, 32);
                a0 += Vector128.Create(BinaryPrimitives.ReadUInt64LittleEndian(s), BinaryPrimitives.ReadUInt64LittleEndian(s[8..]));
                a1 += Vector128.Create(BinaryPrimitives.ReadUInt64LittleEndian(s[16..]), BinaryPrimitives.ReadUInt64LittleEndian(s[24..]));
                b0 += a0;
                b1 += a1;
            }
        }
        int rest = data.Length - blocks * 32;
        if (rest > 0)
        {
            Span<byte> tail = stackalloc byte[32];
            tail.Clear();
            data[(blocks * 32)..].CopyTo(tail);
            a0 += Vector128.Create(BinaryPrimitives.ReadUInt64LittleEndian(tail), BinaryPrimitives.ReadUInt64LittleEndian(tail[8..]));
            a1 += Vector128.Create(BinaryPrimitives.ReadUInt64LittleEndian(tail[16..]), BinaryPrimitives.ReadUInt64LittleEndian(tail[24..]));
            b0 += a0;
            b1 += a1;
        }
        sum0 = a0; sum1 = a1; sumOfSums0 = b0; sumOfSums1 = b1;
        length += (ulong)data.Length;
    }

    /// <summary>The checksum of everything fed so far, chained to <paramref name="previous"/> and the frame kind.</summary>
    public readonly ulong Finish(ulong previous, byte kind)
    {
        ulong h = Mix(previous ^ 0x9E3779B97F4A7C15UL ^ kind);
        h = Mix(h ^ length);
        h = Mix(h ^ sum0.GetElement(0)); h = Mix(h ^ sum0.GetElement(1));
        h = Mix(h ^ sum1.GetElement(0)); h = Mix(h ^ sum1.GetElement(1));
        h = Mix(h ^ sumOfSums0.GetElement(0)); h = Mix(h ^ sumOfSums0.GetElement(1));
        h = Mix(h ^ sumOfSums1.GetElement(0)); h = Mix(h ^ sumOfSums1.GetElement(1));
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
