using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Mitten.Bench.Soak;

/// <summary>What a received payload turned out to be.</summary>
internal enum PayloadVerdict
{
    /// <summary>Exactly the expected message.</summary>
    Expected,
    /// <summary>An intact message of the same stream, but not the expected one (its sequence number is in <c>OtherSequence</c>).</summary>
    OtherMessage,
    /// <summary>Bytes that are not any intact message.</summary>
    Corrupted,
}

/// <summary>
/// Message contents derived from (job seed, sender, receiver, sequence number), so a receiver
/// can check every byte. Messages of at least <see cref="FramedBytes"/> bytes also carry a header
/// (magic, sender, receiver, sequence, iteration) and a trailing FNV-1a checksum of everything
/// before it, which identifies a message that arrived at the wrong receive.
/// </summary>
internal static class Payload
{
    /// <summary>Smallest message that carries a header and a checksum.</summary>
    public const int FramedBytes = 32;
    private const uint Magic = 0x4B414F53; // "SOAK"

    /// <summary>Writes the contents of message (sender, receiver, sequence) into <paramref name="buffer"/>.</summary>
    public static void Fill(Span<byte> buffer, ulong seed, int sender, int receiver, long sequence, int iteration)
    {
        var random = new SoakRandom(SoakRandom.Hash(seed, (ulong)sender, (ulong)receiver, (ulong)sequence));
        Span<ulong> words = MemoryMarshal.Cast<byte, ulong>(buffer);
        for (int i = 0; i < words.Length; i++)
        {
            words[i] = random.Next();
        }
        ulong last = random.Next();
        for (int i = words.Length * 8; i < buffer.Length; i++)
        {
            buffer[i] = (byte)last;
            last >>= 8;
        }
        if (buffer.Length >= FramedBytes)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(buffer, Magic);
            BinaryPrimitives.WriteInt32LittleEndian(buffer[4..], sender);
            BinaryPrimitives.WriteInt32LittleEndian(buffer[8..], receiver);
            BinaryPrimitives.WriteInt64LittleEndian(buffer[12..], sequence);
            BinaryPrimitives.WriteInt32LittleEndian(buffer[20..], iteration);
            BinaryPrimitives.WriteUInt64LittleEndian(buffer[^8..], Fnv(buffer[..^8]));
        }
    }

    /// <summary>
    /// Checks <paramref name="received"/> against message (sender, receiver, sequence) using
    /// <paramref name="scratch"/> (at least as long) for the expected bytes.
    /// </summary>
    public static PayloadVerdict Check(ReadOnlySpan<byte> received, int expectedBytes, Span<byte> scratch, ulong seed,
        int sender, int receiver, long sequence, int iteration, out long otherSequence)
    {
        otherSequence = -1;
        if (received.Length == expectedBytes)
        {
            Span<byte> expected = scratch[..expectedBytes];
            Fill(expected, seed, sender, receiver, sequence, iteration);
            if (received.SequenceEqual(expected))
            {
                return PayloadVerdict.Expected;
            }
        }
        // Not the expected bytes: an intact message of the same stream (sender -> receiver)?
        if (received.Length >= FramedBytes
            && BinaryPrimitives.ReadUInt32LittleEndian(received) == Magic
            && BinaryPrimitives.ReadUInt64LittleEndian(received[^8..]) == Fnv(received[..^8])
            && BinaryPrimitives.ReadInt32LittleEndian(received[4..]) == sender
            && BinaryPrimitives.ReadInt32LittleEndian(received[8..]) == receiver)
        {
            otherSequence = BinaryPrimitives.ReadInt64LittleEndian(received[12..]);
            return PayloadVerdict.OtherMessage;
        }
        return PayloadVerdict.Corrupted;
    }

    /// <summary>FNV-1a over the bytes, eight at a time.</summary>
    public static ulong Fnv(ReadOnlySpan<byte> bytes)
    {
        const ulong Prime = 0x100000001B3UL;
        ulong hash = 0xCBF29CE484222325UL;
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(bytes);
        foreach (ulong w in words)
        {
            hash = (hash ^ w) * Prime;
        }
        for (int i = words.Length * 8; i < bytes.Length; i++)
        {
            hash = (hash ^ bytes[i]) * Prime;
        }
        return hash;
    }
}
