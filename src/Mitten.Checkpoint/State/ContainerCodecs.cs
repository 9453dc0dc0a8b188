using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mitten.Checkpoint.State;

// Container codecs: arrays, rectangular arrays, lists and dictionaries.
internal sealed class ArrayCodec<T>(TypeCodec element) : TypeCodec(typeof(T[]), deferred: true, creationData: true)
{
    public override void WriteDescriptor(StateWriter writer)
    {
        writer.WriteRaw(StreamFormat.KindArray);
        writer.WriteRaw((byte)1);
        writer.WriteTypeRef(element);
    }

    public override void WriteCreation(StateWriter writer, object value) => writer.WriteVarint((ulong)((T[])value).Length);

    public override object Create(StateReader reader)
    {
        int length = reader.ReadCount("array length");
        reader.Reserve(length, ElementBytes<T>(), MinStreamBytes<T>(), $"{StateReader.Describe(typeof(T))}[]");
        return BulkSize<T>.Value != 0 ? GC.AllocateUninitializedArray<T>(length) : new T[length];
    }

    public override void WriteContents(StateWriter writer, object value) => writer.WriteElements<T>((T[])value);

    public override void ReadContents(StateReader reader, object value) => reader.ReadElements<T>((T[])value);

    internal static long ElementBytes<TE>() => RuntimeHelpers.IsReferenceOrContainsReferences<TE>() && !typeof(TE).IsValueType ? IntPtr.Size : Math.Max(Unsafe.SizeOf<TE>(), 1);

    /// <summary>Least stream bytes one element takes (0 when an element may take none, like an empty struct).</summary>
    internal static int MinStreamBytes<TE>() => BulkSize<TE>.Value != 0 ? BulkSize<TE>.Value : typeof(TE).IsValueType ? 0 : 1;
}

/// <summary>Rectangular arrays (rank 2 and more); elements are contiguous in row-major order.</summary>
internal sealed class MultiArrayCodec<T>(TypeCodec element, int rank) : TypeCodec(element.Type.MakeArrayType(rank), deferred: true, creationData: true)
{
    public override void WriteDescriptor(StateWriter writer)
    {
        writer.WriteRaw(StreamFormat.KindArray);
        writer.WriteRaw((byte)rank);
        writer.WriteTypeRef(element);
    }

    public override void WriteCreation(StateWriter writer, object value)
    {
        var array = (Array)value;
        for (int d = 0; d < rank; d++)
        {
            if (array.GetLowerBound(d) != 0)
            {
                throw new NotSupportedException("arrays with non-zero lower bounds cannot be saved");
            }
            writer.WriteVarint((ulong)array.GetLength(d));
        }
    }

    public override object Create(StateReader reader)
    {
        var lengths = new int[rank];
        long total = 1;
        for (int d = 0; d < rank; d++)
        {
            lengths[d] = reader.ReadCount("array dimension");
            total *= lengths[d];
            if (total > Array.MaxLength)
            {
                throw new StateFormatException(StateProblem.LimitExceeded, $"a rank-{rank} array of {total}+ elements is larger than any array");
            }
        }
        reader.Reserve(total, ArrayCodec<T>.ElementBytes<T>(), ArrayCodec<T>.MinStreamBytes<T>(), StateReader.Describe(Type));
        return Array.CreateInstance(typeof(T), lengths);
    }

    public override void WriteContents(StateWriter writer, object value) => writer.WriteElements<T>(Elements((Array)value));

    public override void ReadContents(StateReader reader, object value) => reader.ReadElements(Elements((Array)value));

    private static Span<T> Elements(Array array) =>
        MemoryMarshal.CreateSpan(ref Unsafe.As<byte, T>(ref MemoryMarshal.GetArrayDataReference(array)), array.Length);
}

internal sealed class ListCodec<T>(TypeCodec element) : TypeCodec(typeof(List<T>), deferred: true, creationData: true)
{
    public override void WriteDescriptor(StateWriter writer)
    {
        writer.WriteRaw(StreamFormat.KindList);
        writer.WriteTypeRef(element);
    }

    public override void WriteCreation(StateWriter writer, object value) => writer.WriteVarint((ulong)((List<T>)value).Count);

    public override object Create(StateReader reader)
    {
        int count = reader.ReadCount("list count");
        reader.Reserve(count, ArrayCodec<T>.ElementBytes<T>(), ArrayCodec<T>.MinStreamBytes<T>(), $"List<{StateReader.Describe(typeof(T))}>");
        var list = new List<T>(count);
        CollectionsMarshal.SetCount(list, count);
        return list;
    }

    public override void WriteContents(StateWriter writer, object value) =>
        writer.WriteElements<T>(CollectionsMarshal.AsSpan((List<T>)value));

    public override void ReadContents(StateReader reader, object value) =>
        reader.ReadElements(CollectionsMarshal.AsSpan((List<T>)value));
}

internal sealed class DictionaryCodec<TKey, TValue>(TypeCodec key, TypeCodec value) : TypeCodec(typeof(Dictionary<TKey, TValue>), deferred: true, creationData: true)
    where TKey : notnull
{
    public override void WriteDescriptor(StateWriter writer)
    {
        writer.WriteRaw(StreamFormat.KindDictionary);
        writer.WriteTypeRef(key);
        writer.WriteTypeRef(value);
    }

    public override void WriteCreation(StateWriter writer, object value)
    {
        var dictionary = (Dictionary<TKey, TValue>)value;
        byte comparer;
        if (dictionary.Comparer == EqualityComparer<TKey>.Default || (typeof(TKey) == typeof(string) && ReferenceEquals(dictionary.Comparer, StringComparer.Ordinal)))
        {
            comparer = 0;
        }
        else if (ReferenceEquals(dictionary.Comparer, StringComparer.OrdinalIgnoreCase))
        {
            comparer = 1;
        }
        else
        {
            throw new NotSupportedException($"a dictionary with comparer {dictionary.Comparer.GetType()} cannot be saved (default, Ordinal and OrdinalIgnoreCase can)");
        }
        writer.WriteRaw(comparer);
        writer.WriteVarint((ulong)dictionary.Count);
    }

    public override object Create(StateReader reader)
    {
        byte comparer = reader.ReadRaw<byte>();
        if (comparer > 1 || (comparer == 1 && typeof(TKey) != typeof(string)))
        {
            throw StateReader.Corrupt($"unknown dictionary comparer code {comparer}");
        }
        int count = reader.ReadCount("dictionary count");
        reader.Reserve(count, 2 * (ArrayCodec<TKey>.ElementBytes<TKey>() + ArrayCodec<TValue>.ElementBytes<TValue>()) + 8, 0, StateReader.Describe(Type));
        return comparer == 1
            ? new Dictionary<TKey, TValue>(count, (IEqualityComparer<TKey>)(object)StringComparer.OrdinalIgnoreCase)
            : new Dictionary<TKey, TValue>(count);
    }

    public override void WriteContents(StateWriter writer, object value)
    {
        var dictionary = (Dictionary<TKey, TValue>)value;
        writer.WriteVarint((ulong)dictionary.Count);
        foreach (var (k, v) in dictionary)
        {
            writer.Write(k);
            writer.Write(v);
        }
    }

    public override void ReadContents(StateReader reader, object value)
    {
        var dictionary = (Dictionary<TKey, TValue>)value;
        int count = reader.ReadCount("dictionary count");
        if (count > dictionary.EnsureCapacity(0))
        {
            throw StateReader.Corrupt($"a dictionary announced with fewer entries holds {count}");
        }
        var keys = new TKey[count];
        var values = new TValue[count];
        for (int i = 0; i < count; i++)
        {
            keys[i] = reader.Read<TKey>();
            values[i] = reader.Read<TValue>();
        }
        // Keys may be objects that are filled later; hash them once the graph is complete.
        reader.AtEnd(() =>
        {
            for (int i = 0; i < count; i++)
            {
                if (keys[i] is null || !dictionary.TryAdd(keys[i], values[i]))
                {
                    throw StateReader.Corrupt($"a {StateReader.Describe(Type)} has a null or repeated key");
                }
            }
        });
    }
}
