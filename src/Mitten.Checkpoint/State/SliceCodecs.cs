using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mitten.Checkpoint.State;

// Slice codecs: ArraySegment, Memory and ReadOnlyMemory, each (array, offset, count).
internal sealed class SegmentCodec<T>(TypeCodec element) : ValueCodec<ArraySegment<T>>(typeof(ArraySegment<T>))
{
    public override void WriteDescriptor(StateWriter writer)
    {
        writer.WriteRaw(StreamFormat.KindSegment);
        writer.WriteTypeRef(element);
    }

    public override void WriteValue(StateWriter writer, ArraySegment<T> value) => Slices.Write(writer, value.Array, value.Offset, value.Count);

    public override ArraySegment<T> ReadValue(StateReader reader)
    {
        var (array, offset, count) = Slices.Read<T>(reader);
        return array is null ? default : new ArraySegment<T>(array, offset, count);
    }
}

internal sealed class MemoryCodec<T>(TypeCodec element) : ValueCodec<Memory<T>>(typeof(Memory<T>))
{
    public override void WriteDescriptor(StateWriter writer)
    {
        writer.WriteRaw(StreamFormat.KindMemory);
        writer.WriteTypeRef(element);
    }

    public override void WriteValue(StateWriter writer, Memory<T> value) => ReadOnlyMemoryCodec<T>.WriteMemory(writer, value);

    public override Memory<T> ReadValue(StateReader reader)
    {
        var (array, offset, count) = Slices.Read<T>(reader);
        return array is null ? default : new Memory<T>(array, offset, count);
    }
}

internal sealed class ReadOnlyMemoryCodec<T>(TypeCodec element) : ValueCodec<ReadOnlyMemory<T>>(typeof(ReadOnlyMemory<T>))
{
    public override void WriteDescriptor(StateWriter writer)
    {
        writer.WriteRaw(StreamFormat.KindReadOnlyMemory);
        writer.WriteTypeRef(element);
    }

    public override void WriteValue(StateWriter writer, ReadOnlyMemory<T> value) => WriteMemory(writer, value);

    internal static void WriteMemory(StateWriter writer, ReadOnlyMemory<T> value)
    {
        if (value.IsEmpty && !MemoryMarshal.TryGetArray(value, out _))
        {
            Slices.Write<T>(writer, null, 0, 0);
            return;
        }
        if (!MemoryMarshal.TryGetArray(value, out ArraySegment<T> segment))
        {
            throw new NotSupportedException("only Memory<T> over an array can be saved (this one is over native or pooled memory)");
        }
        Slices.Write(writer, segment.Array, segment.Offset, segment.Count);
    }

    public override ReadOnlyMemory<T> ReadValue(StateReader reader)
    {
        var (array, offset, count) = Slices.Read<T>(reader);
        return array is null ? default : new ReadOnlyMemory<T>(array, offset, count);
    }
}

/// <summary>A slice is the dissertation's pointer: (the array's logical id, offset) plus a count.</summary>
internal static class Slices
{
    public static void Write<T>(StateWriter writer, T[]? array, int offset, int count)
    {
        writer.WriteReference(array);
        if (array is not null)
        {
            writer.WriteVarint((ulong)offset);
            writer.WriteVarint((ulong)count);
        }
    }

    public static (T[]? Array, int Offset, int Count) Read<T>(StateReader reader)
    {
        object? o = reader.ReadReference();
        if (o is null)
        {
            return (null, 0, 0);
        }
        if (o is not T[] array)
        {
            throw new StateFormatException(StateProblem.SchemaMismatch, $"a slice of {StateReader.Describe(typeof(T))}[] refers to a {StateReader.Describe(o.GetType())}");
        }
        int offset = reader.ReadCount("slice offset");
        int count = reader.ReadCount("slice count");
        if ((long)offset + count > array.Length)
        {
            throw StateReader.Corrupt($"a slice [{offset}, +{count}) lies outside its array of {array.Length}");
        }
        return (array, offset, count);
    }
}
