using System.Buffers;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace Mitten.Checkpoint.State;

/// <summary>
/// Decodes a state stream. Handed to <see cref="IMigratable.RestoreState"/> and to restore
/// functions given to <see cref="StateTypeRegistry"/>; created by <see cref="StateSerializer"/>.
/// It reads exactly the bytes of one state stream from its source, so other data may follow.
/// </summary>
public sealed partial class StateReader
{
    private static readonly object UnderConstruction = new();
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private readonly Stream source;
    private readonly StateTypeRegistry types;
    private readonly bool swap;
    private byte[] frame;                   // pooled; empty once released
    private readonly int maxPayload;
    private readonly int blockThreshold;
    private int position;
    private int end;
    private ulong chain;
    private long bytes;
    private int frames;
    private long transferTicks;
    private long budget;
    private readonly long? sourceLength;
    private readonly PooledList<RestoredObject> objects = new();  // by id; each with its exact type, so a reference to a known object is checked without touching it
    private readonly PooledList<(object Value, TypeCodec Codec)> pending = new();
    private readonly PooledList<BackReference> backReferences = new(16);  // fields to point at earlier objects once the graph is read (see ReadField)
    private readonly List<TypeCodec?> streamTypes = [];
    private ulong lastTypeId = ulong.MaxValue;  // the type id read last that named a complete descriptor, and its codec
    private TypeCodec? lastType;
    private readonly List<Action> finishers = [];
    private bool released;
    private int inlineDepth;                // as in StateWriter: deferred objects being filled where they were met
    private int inlineBlocked;              // > 0 while an inline (non-deferred) value is being read

    internal StateReader(Stream source, StateTypeRegistry types, StateReadOptions options)
    {
        this.source = source;
        this.types = types;
        budget = options.MaxAllocationBytes;
        if (source.CanSeek)
        {
            try
            {
                sourceLength = source.Length;
            }
            catch (NotSupportedException)
            {
                sourceLength = null;
            }
        }
        Span<byte> header = stackalloc byte[StreamFormat.HeaderSize];
        Fill(header, "the header");
        if (!header[..8].SequenceEqual(StreamFormat.Magic))
        {
            throw new StateFormatException(StateProblem.UnsupportedFormat, "not a state stream (the header does not start with MTNSTATE)");
        }
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(header[8..]);
        var sum = new Checksum();
        sum.Update(header[..24]);
        chain = sum.Finish(0, 0);
        if (chain != BinaryPrimitives.ReadUInt64LittleEndian(header[24..]))
        {
            throw new StateFormatException(StateProblem.Corrupted, "checksum mismatch in the stream header");
        }
        if (version != StreamFormat.Version)
        {
            throw new StateFormatException(StateProblem.UnsupportedFormat, $"state format version {version} is not supported (this reader knows version {StreamFormat.Version})");
        }
        WriterByteOrder = header[10] switch
        {
            1 => StateByteOrder.LittleEndian,
            2 => StateByteOrder.BigEndian,
            _ => throw new StateFormatException(StateProblem.Corrupted, $"unknown byte order code {header[10]} in the header"),
        };
        WriterWordSize = header[11];
        maxPayload = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        blockThreshold = BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
        if (maxPayload < StreamFormat.MinChunk || maxPayload > StreamFormat.MaxChunk || blockThreshold <= 0)
        {
            throw new StateFormatException(StateProblem.Corrupted, $"impossible chunk size {maxPayload} or block threshold {blockThreshold} in the header");
        }
        swap = (WriterByteOrder == StateByteOrder.BigEndian) == BitConverter.IsLittleEndian;
        frame = ArrayPool<byte>.Shared.Rent(maxPayload + StreamFormat.TrailerSize);
    }

    internal StateByteOrder WriterByteOrder { get; }
    internal int WriterWordSize { get; }
    internal long Bytes => bytes;
    internal int Objects => objects.Count;

    /// <summary>
    /// Runs the reader's own table and checksum code once with no stream (a spawned replacement
    /// does this while MPI_Init waits, before its state arrives): the shared pools of the tables'
    /// element types are created and their rent and return run, and the checksum's vector loop runs
    /// over zeros. No application data; nothing stays rented.
    /// </summary>
    internal static void WarmTables()
    {
        new PooledList<RestoredObject>(1).Release();
        new PooledList<(object Value, TypeCodec Codec)>(1).Release();
        new PooledList<BackReference>(1).Release();
        _ = Array.Empty<RestoredObject>();
        _ = Array.Empty<BackReference>();
        Span<byte> zeros = stackalloc byte[256];
        zeros.Clear();
        var sum = new Checksum();
        sum.Update(zeros);
        sum.Update(zeros[..5]);
        _ = sum.Finish(0, 0);
    }

    /// <summary>Gives the tables and the frame buffer back to their pools; the reader cannot be used afterwards.</summary>
    internal void Release()
    {
        if (released)
        {
            return;
        }
        released = true;
        objects.Release();
        pending.Release();
        backReferences.Release();
        byte[] pooled = frame;
        frame = [];                         // a reader kept and used after the restore fails instead of reading the pool
        position = end = 0;
        ArrayPool<byte>.Shared.Return(pooled);
    }

    internal long TransferTicks => transferTicks;

    /// <summary>Reads one value written by <see cref="StateWriter.Write{T}(T)"/> with the same <typeparamref name="T"/>.</summary>
    /// <exception cref="StateFormatException">The stream is truncated, corrupt, or does not hold a <typeparamref name="T"/> here.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Read<T>()
    {
        if (typeof(T) == typeof(bool))
        {
            byte b = ReadRaw<byte>();
            if (b > 1)
            {
                throw Corrupt($"a bool holds {b}");
            }
            bool v = b != 0;
            return Unsafe.As<bool, T>(ref v);
        }
        if (typeof(T) == typeof(byte) || typeof(T) == typeof(sbyte))
        {
            byte v = ReadRaw<byte>();
            return Unsafe.As<byte, T>(ref v);
        }
        if (typeof(T) == typeof(short) || typeof(T) == typeof(ushort) || typeof(T) == typeof(char))
        {
            ushort v = ReadRaw<ushort>();
            return Unsafe.As<ushort, T>(ref v);
        }
        if (typeof(T) == typeof(int) || typeof(T) == typeof(uint) || typeof(T) == typeof(float))
        {
            uint v = ReadRaw<uint>();
            return Unsafe.As<uint, T>(ref v);
        }
        if (typeof(T) == typeof(long) || typeof(T) == typeof(ulong) || typeof(T) == typeof(double))
        {
            ulong v = ReadRaw<ulong>();
            return Unsafe.As<ulong, T>(ref v);
        }
        if (!typeof(T).IsValueType)
        {
            object? o = ReadReference(out nint exact);
            return Expect<T>(o, exact);
        }
        return types.GetValueCodec<T>().ReadValue(this);
    }

    /// <summary>
    /// Reads a reference-typed field of <paramref name="owner"/> (a class instance; <paramref name="field"/>
    /// must be one of its fields), as <see cref="Read{T}"/> would, for generated restore code. A
    /// reference back to an object restored earlier is not looked up now: the field is set once the
    /// whole graph is read, together with all the others, so that the lookups of such references in
    /// the reader's object table (each a likely cache miss, in a table of one entry per object)
    /// overlap instead of stalling the restore one by one. Its type is checked then too; a mismatch
    /// still fails the restore before anything is returned.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ReadField<T>(object owner, ref T field)
    {
        if (typeof(T).IsValueType)
        {
            field = Read<T>();
            return;
        }
        ulong id = ReadVarint();
        // Only objects under construction (inside a value read whole, inlineBlocked > 0) need the
        // table entry checked at once; otherwise every earlier object is complete or being filled.
        if (id - 1 < (ulong)objects.Count && inlineBlocked == 0)
        {
            nint offset = Unsafe.ByteOffset(ref FieldsOf(owner), ref Unsafe.As<T, byte>(ref field));
            backReferences.Add(new BackReference(owner, typeof(T).TypeHandle.Value, (int)id, (int)offset));
            return;
        }
        object? o = ReadReference(id, out nint exact);
        field = Expect<T>(o, exact);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Expect<T>(object? o, nint exact)
    {
        if (o is null)
        {
            return default!;
        }
        if (exact == typeof(T).TypeHandle.Value)
        {
            return Unsafe.As<object, T>(ref o);
        }
        if (o is T t)
        {
            return t;
        }
        throw Mismatch(o, typeof(T));
    }

    private static StateFormatException Mismatch(object o, Type expected) =>
        new(StateProblem.SchemaMismatch, $"the stream holds a {Describe(o.GetType())} where the program reads a {Describe(expected)}");

    /// <summary>The first field of an object (an object's fields start at a fixed distance from its reference).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref byte FieldsOf(object o) => ref Unsafe.As<RawObject>(o).Data;

    /// <summary>
    /// Sets the fields recorded by <see cref="ReadField{T}"/>: independent table lookups in a tight
    /// loop (with the entries asked for a few iterations ahead), so their cache misses overlap.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // runs once per restore: straight to optimized code, not through on-stack replacement
    private unsafe void SetBackReferences()
    {
        const int Ahead = 16;
        int count = backReferences.Count;
        for (int i = 0; i < count; i++)
        {
            if (Sse.IsSupported && i + Ahead < count)
            {
                // Only a hint: the entry's address may be stale by the time it is loaded, which is harmless.
                Sse.Prefetch0(Unsafe.AsPointer(ref objects[backReferences[i + Ahead].Id - 1]));
            }
            ref BackReference r = ref backReferences[i];
            ref RestoredObject known = ref objects[r.Id - 1];
            object value = known.Value;
            if (known.TypeHandle != r.FieldType)
            {
                Type expected = Type.GetTypeFromHandle(RuntimeTypeHandle.FromIntPtr(r.FieldType))!;
                if (!expected.IsInstanceOfType(value))
                {
                    throw Mismatch(value, expected);
                }
            }
            Unsafe.As<byte, object>(ref Unsafe.AddByteOffset(ref FieldsOf(r.Owner), r.Offset)) = value;
        }
    }

    internal object? ReadReference() => ReadReference(out _);

    /// <summary>Reads a reference; <paramref name="exact"/> is the handle of the object's exact type (0 for null).</summary>
    internal object? ReadReference(out nint exact) => ReadReference(ReadVarint(), out exact);

    /// <summary>The rest of <see cref="ReadReference(out nint)"/>, once the object id <paramref name="id"/> is read.</summary>
    private object? ReadReference(ulong id, out nint exact)
    {
        if (id == 0)
        {
            exact = 0;
            return null;
        }
        if (id <= (ulong)objects.Count)
        {
            ref RestoredObject known = ref objects[(int)id - 1];
            if (ReferenceEquals(known.Value, UnderConstruction))
            {
                throw new StateFormatException(StateProblem.Corrupted,
                    "a reference leads back into an object that is still being restored by its restore function (cycles must pass through IMigratable types, arrays or collections)");
            }
            exact = known.TypeHandle;
            return known.Value;
        }
        if (id != (ulong)objects.Count + 1)
        {
            throw Corrupt($"object id {id} skips ahead of the {objects.Count} objects restored so far");
        }
        TypeCodec codec = ReadTypeRef();
        if (codec.Deferred)
        {
            // Creation data holds counts only, never references, so the object can take its id now.
            object created = codec.Create(this);
            exact = codec.CreatedTypeHandle;
            if (exact == 0)
            {
                exact = Type.GetTypeHandle(created).Value;
            }
            objects.Add(new RestoredObject(created, exact));
            if (inlineDepth < StreamFormat.InlineDepth && inlineBlocked == 0)
            {
                inlineDepth++;
                codec.ReadContents(this, created);
                inlineDepth--;
            }
            else
            {
                pending.Add((created, codec));
            }
            return created;
        }
        int index = objects.Count;
        objects.Add(new RestoredObject(UnderConstruction, 0));
        inlineBlocked++;
        object value = codec.ReadInline(this);
        inlineBlocked--;
        exact = Type.GetTypeHandle(value).Value;
        objects[index] = new RestoredObject(value, exact);
        return value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal TypeCodec ReadTypeRef()
    {
        ulong id = ReadVarint();
        return id == lastTypeId ? lastType! : ReadTypeRef(id);
    }

    private TypeCodec ReadTypeRef(ulong id)
    {
        if (id < (ulong)streamTypes.Count)
        {
            TypeCodec known = streamTypes[(int)id] ?? throw Corrupt("a type descriptor refers to itself");
            lastTypeId = id;
            lastType = known;
            return known;
        }
        if (id != (ulong)streamTypes.Count)
        {
            throw Corrupt($"type id {id} skips ahead of the {streamTypes.Count} types defined so far");
        }
        int index = streamTypes.Count;
        streamTypes.Add(null);
        TypeCodec codec = types.ResolveDescriptor(this);
        streamTypes[index] = codec;
        return codec;
    }

    /// <summary>Work to do once the whole graph exists (filling dictionaries, whose keys must be complete).</summary>
    internal void AtEnd(Action finisher) => finishers.Add(finisher);

    internal T ReadGraph<T>()
    {
        if (typeof(T).IsValueType)
        {
            TypeCodec rootType = ReadTypeRef();
            if (rootType.Type != typeof(T))
            {
                throw new StateFormatException(StateProblem.SchemaMismatch, $"the stream's root is a {Describe(rootType.Type)}, not a {Describe(typeof(T))}");
            }
        }
        T root = Read<T>();
        while (pending.Count > 0)           // the writer's work stack, in the same order
        {
            var (value, codec) = pending.Pop();
            codec.ReadContents(this, value);
        }
        if (position != end)
        {
            throw Corrupt($"{end - position} unread bytes are left in the last data frame");
        }
        Span<byte> endFrame = stackalloc byte[1 + 8 + 8];
        Fill(endFrame[..1], "the end marker");
        if (endFrame[0] != StreamFormat.EndFrame)
        {
            throw Corrupt($"expected the end marker after the last object, found frame kind 0x{endFrame[0]:x2}");
        }
        Fill(endFrame[1..], "the end marker");
        var sum = new Checksum();
        sum.Update(endFrame.Slice(1, 8));
        chain = sum.Finish(chain, StreamFormat.EndFrame);
        if (chain != BinaryPrimitives.ReadUInt64LittleEndian(endFrame[9..]))
        {
            throw new StateFormatException(StateProblem.Corrupted, "checksum mismatch in the end marker");
        }
        int writtenFrames = BinaryPrimitives.ReadInt32LittleEndian(endFrame[1..]);
        int writtenObjects = BinaryPrimitives.ReadInt32LittleEndian(endFrame[5..]);
        if (writtenFrames != frames || writtenObjects != objects.Count)
        {
            throw Corrupt($"the writer wrote {writtenFrames} frames and {writtenObjects} objects, this reader found {frames} and {objects.Count}");
        }
        SetBackReferences();                // before the finishers: a dictionary's keys must be complete
        foreach (Action finish in finishers)
        {
            finish();
        }
        return root;
    }
}

/// <summary>A field to point at the object with id <see cref="Id"/> once the graph is read: its owner, the field's type handle, and its distance from the owner's first field.</summary>
internal readonly record struct BackReference(object Owner, nint FieldType, int Id, int Offset);

/// <summary>Any object seen as its first field (see <see cref="StateReader"/>'s FieldsOf).</summary>
internal sealed class RawObject
{
    public byte Data;
}

/// <summary>An entry of the reader's object table: a restored object and the handle of its exact type (a plain number, so storing it needs no GC write barrier).</summary>
internal readonly record struct RestoredObject(object Value, nint TypeHandle);
