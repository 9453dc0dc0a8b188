using System.Buffers;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace Mitten.Checkpoint.State;

/// <summary>The framing of a state stream: varints, strings and element runs, frames, blocks and checksums, and shipping them to the destination (the object graph is in StateWriter.cs).</summary>
public sealed partial class StateWriter
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void WriteRaw<T>(T value) where T : unmanaged
    {
        if (payloadEnd - position < Unsafe.SizeOf<T>())
        {
            FlushData();
        }
        if (swap)
        {
            value = StreamFormat.Swap(value);
        }
        Unsafe.WriteUnaligned(ref frame[position], value);
        position += Unsafe.SizeOf<T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void WriteVarint(ulong value)
    {
        if (payloadEnd - position < 10)
        {
            FlushData();
        }
        Span<byte> room = frame.AsSpan(position, 10);   // one range check (it also fails once the writer is released)
        int n = 0;
        while (value >= 0x80)
        {
            room[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        room[n++] = (byte)value;
        position += n;
    }

    internal void WriteString(string value)
    {
        int count = Encoding.UTF8.GetByteCount(value);
        WriteVarint((ulong)count);
        if (count <= payloadEnd - position)
        {
            position += Encoding.UTF8.GetBytes(value, frame.AsSpan(position));
            return;
        }
        byte[] rented = ArrayPool<byte>.Shared.Rent(count);
        int n = Encoding.UTF8.GetBytes(value, rented);
        WriteBulk(rented.AsSpan(0, n), 1);
        ArrayPool<byte>.Shared.Return(rented);
    }

    /// <summary>Elements of an array or list: primitive ones as raw bytes, others one by one.</summary>
    internal void WriteElements<T>(ReadOnlySpan<T> elements)
    {
        if (BulkSize<T>.Value != 0)
        {
            WriteBulk(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(elements)), elements.Length * BulkSize<T>.Value), BulkSize<T>.Value);
            return;
        }
        foreach (T e in elements)
        {
            Write(e);
        }
    }


    private void WriteBulk(ReadOnlySpan<byte> data, int elementSize)
    {
        if (data.Length >= StreamFormat.BlockThreshold)
        {
            WriteBlock(data, elementSize);
            return;
        }
        while (data.Length > 0)
        {
            int room = (payloadEnd - position) / elementSize * elementSize;
            if (room == 0)
            {
                FlushData();
                continue;
            }
            int n = Math.Min(room, data.Length);
            if (swap)
            {
                StreamFormat.CopySwapped(data[..n], frame.AsSpan(position, n), elementSize);
            }
            else
            {
                data[..n].CopyTo(frame.AsSpan(position));
            }
            position += n;
            data = data[n..];
        }
    }

    private void WriteBlock(ReadOnlySpan<byte> data, int elementSize)
    {
        FlushData();
        Span<byte> header = stackalloc byte[StreamFormat.BlockHeaderSize];
        header[0] = StreamFormat.BlockFrame;
        BinaryPrimitives.WriteInt64LittleEndian(header[1..], data.Length);
        Ship(header);
        var sum = new Checksum();
        if (!swap && TryWriteIntoMemoryStream(data, ref sum))
        {
            data = default;
        }
        int slice = Math.Min(StreamFormat.SliceSize, (payloadEnd - StreamFormat.DataHeaderSize) & ~31);
        while (data.Length > 0)
        {
            int n = Math.Min(slice, data.Length);
            ReadOnlySpan<byte> piece = data[..n];
            if (swap)
            {
                Span<byte> scratch = frame.AsSpan(StreamFormat.DataHeaderSize, n);
                StreamFormat.CopySwapped(piece, scratch, elementSize);
                piece = scratch;
            }
            Ship(piece);                    // the copy brings the slice into cache, so the checksum reads it from there
            sum.Update(piece);
            data = data[n..];
        }
        chain = sum.Finish(chain, StreamFormat.BlockFrame);
        Span<byte> trailer = stackalloc byte[StreamFormat.TrailerSize];
        BinaryPrimitives.WriteUInt64LittleEndian(trailer, chain);
        Ship(trailer);
        frames++;
    }

    /// <summary>
    /// The fast path of a block into a <see cref="MemoryStream"/> (the usual destination of an
    /// in-memory checkpoint): the block is copied straight into the stream's buffer and summed in
    /// the same pass (<see cref="Checksum.UpdateCopying"/>), instead of a copy through
    /// <see cref="Stream.Write(ReadOnlySpan{byte})"/> followed by a checksum pass. Taken only when
    /// the buffer already has room, so nothing is reallocated. The bytes written are the same as on
    /// the other path.
    /// </summary>
    private bool TryWriteIntoMemoryStream(ReadOnlySpan<byte> data, ref Checksum sum)
    {
        // Exactly MemoryStream: a subclass may override Write or TryGetBuffer. A position past the end
        // is left to Write, which zero-fills the gap (and would zero-fill our bytes with it).
        if (destination.GetType() != typeof(MemoryStream))
        {
            return false;
        }
        var stream = (MemoryStream)destination;
        if (!stream.CanWrite || stream.Position > stream.Length || stream.Capacity - stream.Position < data.Length
            || !stream.TryGetBuffer(out ArraySegment<byte> buffer))
        {
            return false;
        }
        long start = Stopwatch.GetTimestamp();
        // TryGetBuffer's segment ends at Length, but its array holds the whole capacity after it.
        Span<byte> target = buffer.Array.AsSpan(buffer.Offset + (int)stream.Position, data.Length);
        sum.UpdateCopying(data, target, data.Length >= StreamFormat.BypassCacheSize);
        // Now let the stream account for the bytes: writing its own buffer onto itself moves Position
        // and Length without clearing anything (the position is not past the end), and the runtime's
        // memmove returns at once when source and destination are the same address.
        stream.Write(target);
        transferTicks += Stopwatch.GetTimestamp() - start;
        bytes += data.Length;
        return true;
    }

    private void FlushData()
    {
        int length = position - StreamFormat.DataHeaderSize;
        if (length == 0)
        {
            return;
        }
        frame[0] = StreamFormat.DataFrame;
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(1), length);
        var sum = new Checksum();
        sum.Update(frame.AsSpan(StreamFormat.DataHeaderSize, length));
        chain = sum.Finish(chain, StreamFormat.DataFrame);
        BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(position), chain);
        Ship(frame.AsSpan(0, position + StreamFormat.TrailerSize));
        frames++;
        position = StreamFormat.DataHeaderSize;
    }

    private void Ship(ReadOnlySpan<byte> data)
    {
        long start = Stopwatch.GetTimestamp();
        destination.Write(data);
        transferTicks += Stopwatch.GetTimestamp() - start;
        bytes += data.Length;
    }
}
