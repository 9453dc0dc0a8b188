using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mitten.Checkpoint.State;

/// <summary>
/// Layout of a state stream. Framing fields are little-endian; primitive values inside frames
/// are in the writer's byte order (recorded in the header).
/// <code>
/// header (32 bytes): "MTNSTATE" | version u16 | byte order u8 (1 little, 2 big) | word size u8
///                    | max data payload u32 | block threshold u32 | reserved u32 | checksum u64
/// data frame:  'D' | length u32 | payload | checksum u64
/// block frame: 'B' | length u64 | raw primitive array bytes | checksum u64
/// end frame:   'E' | frames u32 | objects u32 | checksum u64
/// </code>
/// Each frame's checksum covers its payload and is chained to the previous frame's (the first to
/// the header's), so a dropped, repeated, reordered or altered frame is detected.
/// </summary>
internal static class StreamFormat
{
    public static ReadOnlySpan<byte> Magic => "MTNSTATE"u8;
    public const ushort Version = 3;   // 2: deferred contents follow most-recently-met first; 3: up to InlineDepth levels inline
    /// <summary>
    /// A deferred object's contents follow its creation data at once while fewer than this many
    /// deferred objects are being written inline around it (and no inline value is); deeper ones
    /// go to the work stack. Writer and reader count alike, so they agree on where contents are.
    /// </summary>
    public const int InlineDepth = 64;
    public const int HeaderSize = 32;
    public const byte DataFrame = (byte)'D';
    public const byte BlockFrame = (byte)'B';
    public const byte EndFrame = (byte)'E';
    public const int DataHeaderSize = 5;
    public const int BlockHeaderSize = 9;
    public const int TrailerSize = 8;
    public const int MinChunk = 4 * 1024;
    public const int MaxChunk = 16 * 1024 * 1024;
    /// <summary>Primitive arrays of at least this many bytes travel as block frames.</summary>
    public const int BlockThreshold = 16 * 1024;
    /// <summary>Blocks are checksummed and copied in slices of this size (a multiple of 32).</summary>
    public const int SliceSize = 256 * 1024;
    /// <summary>
    /// Blocks of at least this size are copied into or out of a memory stream's buffer with stores
    /// that bypass the cache: they are larger than a core's L2 cache and a good part of the shared
    /// L3, so ordinary stores would mostly evict other data (and first read every line they write).
    /// </summary>
    public const int BypassCacheSize = 4 * 1024 * 1024;

    /// <summary>Descriptor kinds in the type table.</summary>
    public const byte KindPrimitive = 1, KindString = 2, KindNamed = 3, KindArray = 4, KindList = 5,
        KindDictionary = 6, KindSegment = 7, KindMemory = 8, KindReadOnlyMemory = 9, KindObject = 10;

    /// <summary>Copies whole elements of <paramref name="elementSize"/> bytes, reversing each one's bytes.</summary>
    public static void CopySwapped(ReadOnlySpan<byte> source, Span<byte> destination, int elementSize)
    {
        switch (elementSize)
        {
            case 2:
                BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ushort>(source), MemoryMarshal.Cast<byte, ushort>(destination));
                break;
            case 4:
                BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(source), MemoryMarshal.Cast<byte, uint>(destination));
                break;
            case 8:
                BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ulong>(source), MemoryMarshal.Cast<byte, ulong>(destination));
                break;
            default:
                source.CopyTo(destination);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Swap<T>(T value) where T : unmanaged
    {
        if (Unsafe.SizeOf<T>() == 2)
        {
            ushort v = BinaryPrimitives.ReverseEndianness(Unsafe.As<T, ushort>(ref value));
            return Unsafe.As<ushort, T>(ref v);
        }
        if (Unsafe.SizeOf<T>() == 4)
        {
            uint v = BinaryPrimitives.ReverseEndianness(Unsafe.As<T, uint>(ref value));
            return Unsafe.As<uint, T>(ref v);
        }
        if (Unsafe.SizeOf<T>() == 8)
        {
            ulong v = BinaryPrimitives.ReverseEndianness(Unsafe.As<T, ulong>(ref value));
            return Unsafe.As<ulong, T>(ref v);
        }
        return value;
    }
}

/// <summary>Element size of primitive types whose arrays are copied as raw bytes (0 otherwise).</summary>
internal static class BulkSize<T>
{
    public static readonly int Value =
        typeof(T) == typeof(byte) || typeof(T) == typeof(sbyte) || typeof(T) == typeof(bool) ? 1 :
        typeof(T) == typeof(short) || typeof(T) == typeof(ushort) || typeof(T) == typeof(char) ? 2 :
        typeof(T) == typeof(int) || typeof(T) == typeof(uint) || typeof(T) == typeof(float) ? 4 :
        typeof(T) == typeof(long) || typeof(T) == typeof(ulong) || typeof(T) == typeof(double) ? 8 : 0;
}
