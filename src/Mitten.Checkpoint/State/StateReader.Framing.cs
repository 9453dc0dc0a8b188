using System.Buffers;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace Mitten.Checkpoint.State;

/// <summary>The framing of a state stream: frames, blocks and checksums, varints, counts, strings and element runs (the object graph is in StateReader.cs).</summary>
public sealed partial class StateReader
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal T ReadRaw<T>() where T : unmanaged
    {
        if (end - position < Unsafe.SizeOf<T>())
        {
            Need(Unsafe.SizeOf<T>());
        }
        T value = Unsafe.ReadUnaligned<T>(ref frame[position]);
        position += Unsafe.SizeOf<T>();
        return swap ? StreamFormat.Swap(value) : value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong ReadVarint()
    {
        // Fast path for values of up to 4 bytes (ids, type ids, counts below 2^28) with the bytes
        // known to be in this frame: no per-byte frame check.
        if (end - position >= 4)
        {
            ReadOnlySpan<byte> p = frame.AsSpan(position, 4);
            uint b = p[0];
            if (b < 0x80)
            {
                position += 1;
                return b;
            }
            uint v = b & 0x7F;
            b = p[1];
            if (b < 0x80)
            {
                position += 2;
                return v | (b << 7);
            }
            v |= (b & 0x7F) << 7;
            b = p[2];
            if (b < 0x80)
            {
                position += 3;
                return v | (b << 14);
            }
            v |= (b & 0x7F) << 14;
            b = p[3];
            if (b < 0x80)
            {
                position += 4;
                return v | (b << 21);
            }
        }
        return ReadVarintSlow();
    }

    private ulong ReadVarintSlow()
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (position == end)
            {
                Need(1);
            }
            byte b = frame[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
        throw Corrupt("a variable-length integer is longer than 10 bytes");
    }

    /// <summary>A count or length from the stream, at most <see cref="int.MaxValue"/>.</summary>
    internal int ReadCount(string what)
    {
        ulong v = ReadVarint();
        if (v > (ulong)Array.MaxLength)
        {
            throw new StateFormatException(StateProblem.LimitExceeded, $"{what}: count {v} is larger than any array");
        }
        return (int)v;
    }

    /// <summary>
    /// Checks a count before allocating: it must fit the allocation budget and, on a seekable
    /// stream, the bytes left (each element takes at least <paramref name="minStreamBytes"/>).
    /// </summary>
    internal void Reserve(long count, long bytesPerElement, int minStreamBytes, string what)
    {
        long need;
        try
        {
            need = checked(count * Math.Max(bytesPerElement, 1));
        }
        catch (OverflowException)
        {
            throw new StateFormatException(StateProblem.LimitExceeded, $"{what}: {count} elements overflow the allocation size");
        }
        if (need > budget)
        {
            throw new StateFormatException(StateProblem.LimitExceeded, $"{what}: {count} elements ({need} bytes) exceed the remaining allocation limit of {budget} bytes");
        }
        if (sourceLength is long length && minStreamBytes > 0)
        {
            long left = length - source.Position + (end - position);
            if (count > left / minStreamBytes)
            {
                throw new StateFormatException(StateProblem.LimitExceeded, $"{what}: {count} elements cannot fit in the {left} bytes left in the stream");
            }
        }
        budget -= need;
    }

    internal string ReadString()
    {
        int count = ReadCount("string");
        if (count == 0)
        {
            return "";
        }
        Reserve(count, 2, 1, "string");
        try
        {
            if (end - position >= count)
            {
                string s = StrictUtf8.GetString(frame, position, count);
                position += count;
                return s;
            }
            byte[] rented = ArrayPool<byte>.Shared.Rent(count);
            ReadBulk(rented.AsSpan(0, count), 1);
            string result = StrictUtf8.GetString(rented, 0, count);
            ArrayPool<byte>.Shared.Return(rented);
            return result;
        }
        catch (DecoderFallbackException e)
        {
            throw new StateFormatException(StateProblem.Corrupted, "a string is not valid UTF-8", e);
        }
    }

    internal void ReadElements<T>(Span<T> elements)
    {
        if (BulkSize<T>.Value != 0)
        {
            Span<byte> raw = MemoryMarshal.CreateSpan(ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(elements)), elements.Length * BulkSize<T>.Value);
            ReadBulk(raw, BulkSize<T>.Value);
            if (typeof(T) == typeof(bool))
            {
                foreach (byte b in raw)
                {
                    if (b > 1)
                    {
                        throw Corrupt($"a bool holds {b}");
                    }
                }
            }
            return;
        }
        for (int i = 0; i < elements.Length; i++)
        {
            elements[i] = Read<T>();
        }
    }


    private void Need(int size)
    {
        if (position != end)
        {
            throw Corrupt($"a {size}-byte value is split across frames");
        }
        NextDataFrame();
        if (end - position < size)
        {
            throw Corrupt($"a {size}-byte value is split across frames");
        }
    }

    private void NextDataFrame()
    {
        byte kind = ReadFrameKind();
        if (kind != StreamFormat.DataFrame)
        {
            throw Corrupt(kind == StreamFormat.EndFrame
                ? "the stream ends (end marker) while the graph still needs data"
                : $"expected a data frame, found frame kind 0x{kind:x2}");
        }
        Span<byte> lengthBytes = stackalloc byte[4];
        Fill(lengthBytes, "a data frame header");
        int length = BinaryPrimitives.ReadInt32LittleEndian(lengthBytes);
        if (length <= 0 || length > maxPayload)
        {
            throw Corrupt($"data frame {frames} has an impossible length {length} (at most {maxPayload})");
        }
        Fill(frame.AsSpan(0, length + StreamFormat.TrailerSize), $"data frame {frames}");
        var sum = new Checksum();
        sum.Update(frame.AsSpan(0, length));
        chain = sum.Finish(chain, StreamFormat.DataFrame);
        if (chain != BinaryPrimitives.ReadUInt64LittleEndian(frame.AsSpan(length)))
        {
            throw new StateFormatException(StateProblem.Corrupted, $"checksum mismatch in data frame {frames} (stream offset about {bytes - length})");
        }
        frames++;
        position = 0;
        end = length;
    }

    private void ReadBulk(Span<byte> data, int elementSize)
    {
        if (data.Length >= blockThreshold)
        {
            ReadBlock(data, elementSize);
            return;
        }
        while (data.Length > 0)
        {
            if (position == end)
            {
                NextDataFrame();
            }
            int n = Math.Min((end - position) / elementSize * elementSize, data.Length);
            if (n == 0)
            {
                throw Corrupt("an array element is split across frames");
            }
            ReadOnlySpan<byte> piece = frame.AsSpan(position, n);
            if (swap)
            {
                StreamFormat.CopySwapped(piece, data, elementSize);
            }
            else
            {
                piece.CopyTo(data);
            }
            position += n;
            data = data[n..];
        }
    }

    private void ReadBlock(Span<byte> data, int elementSize)
    {
        if (position != end)
        {
            throw Corrupt($"{end - position} bytes are left in a data frame where a block should start");
        }
        byte kind = ReadFrameKind();
        if (kind != StreamFormat.BlockFrame)
        {
            throw Corrupt($"expected a block frame of {data.Length} bytes, found frame kind 0x{kind:x2}");
        }
        Span<byte> lengthBytes = stackalloc byte[8];
        Fill(lengthBytes, "a block frame header");
        long length = BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
        if (length != data.Length)
        {
            throw Corrupt($"block frame {frames} holds {length} bytes, the array needs {data.Length}");
        }
        var sum = new Checksum();
        Span<byte> rest = swap || !TryReadFromMemoryStream(data, ref sum) ? data : default;
        if (!rest.IsEmpty && source is IPreparesReadDestination prepares)
        {
            prepares.PrepareDestination(rest);
        }
        while (rest.Length > 0)
        {
            int n = Math.Min(StreamFormat.SliceSize, rest.Length);
            Span<byte> piece = rest[..n];
            Fill(piece, $"block frame {frames}");
            sum.Update(piece);
            if (swap)
            {
                StreamFormat.CopySwapped(piece, piece, elementSize);
            }
            rest = rest[n..];
        }
        chain = sum.Finish(chain, StreamFormat.BlockFrame);
        Fill(lengthBytes, $"block frame {frames}");
        if (chain != BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes))
        {
            throw new StateFormatException(StateProblem.Corrupted, $"checksum mismatch in block frame {frames} ({length} bytes)");
        }
        frames++;
    }

    /// <summary>
    /// The fast path of a block from a <see cref="MemoryStream"/>: the block is copied straight out of
    /// the stream's buffer into the array and summed in the same pass
    /// (<see cref="Checksum.UpdateCopying"/>), instead of a copy through <see cref="Stream.Read(Span{byte})"/>
    /// followed by a checksum pass over the array. Taken only when the whole block is there; a
    /// truncated stream goes the ordinary way, which reports it.
    /// </summary>
    private bool TryReadFromMemoryStream(Span<byte> data, ref Checksum sum)
    {
        if (source.GetType() != typeof(MemoryStream))   // exactly MemoryStream: a subclass may override Read or TryGetBuffer
        {
            return false;
        }
        var stream = (MemoryStream)source;
        if (!stream.CanRead || !stream.TryGetBuffer(out ArraySegment<byte> buffer))
        {
            return false;
        }
        long at = stream.Position;
        if (buffer.Count - at < data.Length)
        {
            return false;
        }
        long start = Stopwatch.GetTimestamp();
        // Cache-bypassing stores for a large array too: measured on the 64 MiB benchmark array, the
        // restore is faster and a pass over the array right after it is no slower (8, 24, 64 MiB).
        sum.UpdateCopying(buffer.AsSpan((int)at, data.Length), data, data.Length >= StreamFormat.BypassCacheSize);
        stream.Position = at + data.Length;
        transferTicks += Stopwatch.GetTimestamp() - start;
        bytes += data.Length;
        return true;
    }

    private byte ReadFrameKind()
    {
        Span<byte> kind = stackalloc byte[1];
        Fill(kind, "the next frame");
        return kind[0];
    }

    private void Fill(Span<byte> destination, string what)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            while (destination.Length > 0)
            {
                int n = source.Read(destination);
                if (n == 0)
                {
                    throw new StateFormatException(StateProblem.Truncated, $"the stream is truncated: it ends after {bytes} bytes, while reading {what}");
                }
                bytes += n;
                destination = destination[n..];
            }
        }
        finally
        {
            transferTicks += Stopwatch.GetTimestamp() - start;
        }
    }

    internal static StateFormatException Corrupt(string message) => new(StateProblem.Corrupted, "corrupt state stream: " + message);

    internal static string Describe(Type type) => type.FullName ?? type.Name;
}
