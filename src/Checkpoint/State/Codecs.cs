using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mitten.Checkpoint.State;

/// <summary>
/// How one type is written and read: its entry in the stream's type table (the dissertation's
/// type-information table) and its save and restore functions.
/// </summary>
internal abstract class TypeCodec
{
    protected TypeCodec(Type type, bool deferred = false, bool creationData = false, bool createsExactType = false)
    {
        Type = type;
        CreatedTypeHandle = createsExactType ? type.TypeHandle.Value : 0;
        Deferred = deferred;
        HasCreationData = creationData;
        Marked = !type.IsValueType && typeof(IStateMarked).IsAssignableFrom(type);
    }

    public Type Type { get; }

    /// <summary>
    /// True when an object of this type is created first (from <see cref="WriteCreation"/>'s data)
    /// and filled later, most recently met first (see <see cref="StateWriter"/>); false when it is written and read whole where it is met.
    /// </summary>
    public bool Deferred { get; }

    /// <summary>True when <see cref="WriteCreation"/> writes something (a deferred object's length or count).</summary>
    public bool HasCreationData { get; }

    /// <summary>True for classes whose generated code implements <see cref="IStateMarked"/>.</summary>
    public bool Marked { get; }

    /// <summary>
    /// The type handle of every object <see cref="Create"/> makes, when that is always exactly
    /// <see cref="Type"/> (so the reader need not ask the new object); 0 when not known.
    /// </summary>
    public nint CreatedTypeHandle { get; }

    public abstract void WriteDescriptor(StateWriter writer);

    public virtual void WriteCreation(StateWriter writer, object value) { }

    public virtual object Create(StateReader reader) => throw new InvalidOperationException();

    public abstract void WriteContents(StateWriter writer, object value);

    public virtual void ReadContents(StateReader reader, object value) => throw new InvalidOperationException();

    public virtual object ReadInline(StateReader reader) => throw new InvalidOperationException();
}

/// <summary>A value type; written inline where it is met (boxed, it is an inline reference).</summary>
internal abstract class ValueCodec<T>(Type type) : TypeCodec(type)
{
    public abstract void WriteValue(StateWriter writer, T value);

    public abstract T ReadValue(StateReader reader);

    public override void WriteContents(StateWriter writer, object value) => WriteValue(writer, (T)value);

    public override object ReadInline(StateReader reader) => ReadValue(reader)!;
}

internal sealed class PrimitiveCodec<T>(byte code) : ValueCodec<T>(typeof(T))
{
    public byte Code { get; } = code;

    public override void WriteDescriptor(StateWriter writer)
    {
        writer.WriteRaw(StreamFormat.KindPrimitive);
        writer.WriteRaw(Code);
    }

    public override void WriteValue(StateWriter writer, T value)
    {
        if (typeof(T) == typeof(decimal))
        {
            Span<int> bits = stackalloc int[4];
            decimal.GetBits(Unsafe.As<T, decimal>(ref value), bits);
            foreach (int b in bits)
            {
                writer.WriteRaw(b);
            }
        }
        else if (typeof(T) == typeof(nint) || typeof(T) == typeof(nuint))
        {
            writer.WriteRaw((long)Unsafe.As<T, nint>(ref value));
        }
        else
        {
            writer.Write(value);
        }
    }

    public override T ReadValue(StateReader reader)
    {
        if (typeof(T) == typeof(decimal))
        {
            Span<int> bits = stackalloc int[4];
            for (int i = 0; i < 4; i++)
            {
                bits[i] = reader.ReadRaw<int>();
            }
            decimal d;
            try
            {
                d = new decimal(bits);
            }
            catch (ArgumentException e)
            {
                throw new StateFormatException(StateProblem.Corrupted, "corrupt state stream: invalid decimal", e);
            }
            return Unsafe.As<decimal, T>(ref d);
        }
        if (typeof(T) == typeof(nint) || typeof(T) == typeof(nuint))
        {
            long v = reader.ReadRaw<long>();
            if (IntPtr.Size == 4 && (v > int.MaxValue || v < int.MinValue) && typeof(T) == typeof(nint))
            {
                throw new StateFormatException(StateProblem.LimitExceeded, $"native integer {v} does not fit this process's word size");
            }
            nint n = (nint)v;
            return Unsafe.As<nint, T>(ref n);
        }
        return reader.Read<T>();
    }
}

internal sealed class StringCodec() : TypeCodec(typeof(string))
{
    public override void WriteDescriptor(StateWriter writer) => writer.WriteRaw(StreamFormat.KindString);

    public override void WriteContents(StateWriter writer, object value) => writer.WriteString((string)value);

    public override object ReadInline(StateReader reader) => reader.ReadString();
}

/// <summary>Stands for "any object" as the element type of a container; never has instances.</summary>
internal sealed class ObjectCodec() : TypeCodec(typeof(object))
{
    public override void WriteDescriptor(StateWriter writer) => writer.WriteRaw(StreamFormat.KindObject);

    public override void WriteContents(StateWriter writer, object value) =>
        throw new NotSupportedException("a bare System.Object has no state to save");

    public override object ReadInline(StateReader reader) =>
        throw new StateFormatException(StateProblem.Corrupted, "corrupt state stream: an object of type System.Object");
}

/// <summary>Common part of registered (named) types.</summary>
internal interface INamedCodec
{
    string Name { get; }
    string Schema { get; }
}

internal static class NamedDescriptor
{
    public static void Write(StateWriter writer, TypeCodec codec, INamedCodec named, bool isEnum)
    {
        writer.WriteRaw(StreamFormat.KindNamed);
        writer.WriteRaw((byte)((codec.Type.IsValueType ? 1 : 0) | (isEnum ? 2 : 0)));
        writer.WriteString(named.Name);
        writer.WriteString(named.Schema);
    }
}

internal sealed class EnumCodec<T, TUnderlying>(string name) : ValueCodec<T>(typeof(T)), INamedCodec
    where T : struct, Enum
    where TUnderlying : unmanaged
{
    public string Name { get; } = name;

    public string Schema { get; } = typeof(TUnderlying).Name + ":" + string.Join(",",
        Enum.GetNames<T>().Zip(Enum.GetValues<T>(), (n, v) => n + "=" + Unsafe.As<T, TUnderlying>(ref v).ToString()));

    public override void WriteDescriptor(StateWriter writer) => NamedDescriptor.Write(writer, this, this, true);

    public override void WriteValue(StateWriter writer, T value) => writer.Write(Unsafe.As<T, TUnderlying>(ref value));

    public override T ReadValue(StateReader reader)
    {
        TUnderlying raw = reader.Read<TUnderlying>();
        return Unsafe.As<TUnderlying, T>(ref raw);
    }
}

internal sealed class MigratableStructCodec<T>(string name) : ValueCodec<T>(typeof(T)), INamedCodec
    where T : struct, IMigratable
{
    public string Name { get; } = name;

    public string Schema { get; } = T.StateSchema;

    public override void WriteDescriptor(StateWriter writer) => NamedDescriptor.Write(writer, this, this, false);

    public override void WriteValue(StateWriter writer, T value) => value.SaveState(writer);

    public override T ReadValue(StateReader reader)
    {
        T value = default;
        value.RestoreState(reader);
        return value;
    }
}

internal sealed class MigratableClassCodec<T>(string name) : TypeCodec(typeof(T), deferred: true, createsExactType: true), INamedCodec
    where T : class, IMigratable
{
    public string Name { get; } = name;

    public string Schema { get; } = T.StateSchema;

    public override void WriteDescriptor(StateWriter writer) => NamedDescriptor.Write(writer, this, this, false);

    public override object Create(StateReader reader) => RuntimeHelpers.GetUninitializedObject(typeof(T));

    // The value is a T (it was met or created as one), so the interface cast can be skipped.
    public override void WriteContents(StateWriter writer, object value) => Unsafe.As<IMigratable>(value).SaveState(writer);

    public override void ReadContents(StateReader reader, object value) => Unsafe.As<IMigratable>(value).RestoreState(reader);
}

/// <summary>A type registered with save and restore functions (struct or class); written whole where met.</summary>
internal sealed class FunctionCodec<T>(string name, Action<StateWriter, T> save, Func<StateReader, T> restore)
    : ValueCodec<T>(typeof(T)), INamedCodec
{
    public string Name { get; } = name;

    public string Schema => "";

    public override void WriteDescriptor(StateWriter writer) => NamedDescriptor.Write(writer, this, this, false);

    public override void WriteValue(StateWriter writer, T value) => save(writer, value);

    public override T ReadValue(StateReader reader) =>
        restore(reader) ?? throw new InvalidOperationException($"the restore function of {Name} returned null");
}

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
