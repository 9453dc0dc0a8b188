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
/// Encodes a state graph into a state stream. Handed to <see cref="IMigratable.SaveState"/> and to
/// save functions given to <see cref="StateTypeRegistry"/>; created by <see cref="StateSerializer"/>.
/// </summary>
/// <remarks>
/// The walk is the dissertation's collection: every object gets a logical id the first time it is
/// met (so a shared object is written once and a cycle ends), the id and the object's type go where
/// the reference is, and the contents of arrays, collections and <see cref="IMigratable"/> classes
/// follow at once, while the object is still in the processor's cache, up to
/// <see cref="StreamFormat.InlineDepth"/> nested levels; deeper ones (and those met inside a value
/// written whole, such as a hand-registered type) go to a work stack and follow later, most recently
/// met first, so the depth of the graph does not use the call stack. The reader applies the same
/// rule, so it reads the contents in the same order.
/// </remarks>
public sealed partial class StateWriter
{
    private readonly Stream destination;
    private readonly StateTypeRegistry types;
    private readonly bool swap;
    private byte[] frame;                   // [header 5][payload][trailer 8], pooled; empty once released
    private readonly int payloadEnd;
    private int position;
    private ulong chain;
    private long bytes;
    private int frames;
    private long transferTicks;
    private readonly IdentityMap ids = new();
    private readonly PooledList<object> work = new();     // deferred objects whose contents are still to be written
    private readonly Dictionary<TypeCodec, int> typeIds = [];
    private Type? lastType;
    private TypeCodec? lastCodec;
    private int lastTypeId = -1;            // lastCodec's id in this stream's type table, -1 until written
    private int inlineDepth;                // deferred objects whose contents are being written where they were met
    private int inlineBlocked;              // > 0 while an inline (non-deferred) value is being written

    // Marks (see IStateMarked): one save at a time may write them.
    private static int markGate;
    private static uint lastMarkEpoch;      // changed only by the save that holds markGate
    private bool marking;
    private readonly ulong markEpoch;       // this save's epoch (never 0), in a mark's high half
    private readonly PooledList<MarkHit> markHits = new(16);  // objects found through marks, confirmed at the end
    private bool released;

    internal StateWriter(Stream destination, StateTypeRegistry types, StateWriteOptions options)
    {
        if (options.ChunkSize < StreamFormat.MinChunk || options.ChunkSize > StreamFormat.MaxChunk)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"ChunkSize must be between {StreamFormat.MinChunk} and {StreamFormat.MaxChunk}");
        }
        this.destination = destination;
        this.types = types;
        bool bigEndian = options.ByteOrder switch
        {
            StateByteOrder.BigEndian => true,
            StateByteOrder.LittleEndian => false,
            _ => !BitConverter.IsLittleEndian,
        };
        swap = bigEndian == BitConverter.IsLittleEndian;
        frame = ArrayPool<byte>.Shared.Rent(StreamFormat.DataHeaderSize + options.ChunkSize + StreamFormat.TrailerSize);
        payloadEnd = StreamFormat.DataHeaderSize + options.ChunkSize;
        position = StreamFormat.DataHeaderSize;

        Span<byte> header = stackalloc byte[StreamFormat.HeaderSize];
        header.Clear();
        StreamFormat.Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header[8..], StreamFormat.Version);
        header[10] = bigEndian ? (byte)2 : (byte)1;
        header[11] = (byte)IntPtr.Size;
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], options.ChunkSize);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], StreamFormat.BlockThreshold);
        var sum = new Checksum();
        sum.Update(header[..24]);
        chain = sum.Finish(0, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(header[24..], chain);
        Ship(header);

        marking = Interlocked.CompareExchange(ref markGate, 1, 0) == 0;
        if (marking)
        {
            uint epoch = unchecked(lastMarkEpoch + 1);
            if (epoch == 0)
            {
                epoch = 1;
            }
            lastMarkEpoch = epoch;
            markEpoch = epoch;
        }
    }

    /// <summary>
    /// Ends the save (also after an exception): gives the tables and the frame buffer back to their
    /// pools and lets the next save use the marks. The writer cannot be used afterwards.
    /// </summary>
    internal void Release()
    {
        if (released)
        {
            return;
        }
        released = true;
        ids.Release();
        work.Release();
        markHits.Release();
        byte[] pooled = frame;
        frame = [];                         // a writer kept and used after the save fails instead of writing into the pool
        ArrayPool<byte>.Shared.Return(pooled);
        if (marking)
        {
            marking = false;
            Volatile.Write(ref markGate, 0);
        }
    }

    internal long Bytes => bytes;
    internal int Frames => frames;
    internal int Objects => ids.Count;
    internal long TransferTicks => transferTicks;

    /// <summary>
    /// Writes one value: a primitive, string, enum, array, <c>List&lt;T&gt;</c>, <c>Dictionary&lt;K,V&gt;</c>,
    /// <c>ArraySegment&lt;T&gt;</c>, <c>Memory&lt;T&gt;</c>, <c>ReadOnlyMemory&lt;T&gt;</c>, or a registered type.
    /// References (also null) keep their identity within one stream.
    /// </summary>
    /// <exception cref="NotSupportedException">The value's type is not registered or not supported.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write<T>(T value)
    {
        if (typeof(T) == typeof(bool))
        {
            WriteRaw(Unsafe.As<T, bool>(ref value) ? (byte)1 : (byte)0);
        }
        else if (typeof(T) == typeof(byte) || typeof(T) == typeof(sbyte))
        {
            WriteRaw(Unsafe.As<T, byte>(ref value));
        }
        else if (typeof(T) == typeof(short) || typeof(T) == typeof(ushort) || typeof(T) == typeof(char))
        {
            WriteRaw(Unsafe.As<T, ushort>(ref value));
        }
        else if (typeof(T) == typeof(int) || typeof(T) == typeof(uint) || typeof(T) == typeof(float))
        {
            WriteRaw(Unsafe.As<T, uint>(ref value));
        }
        else if (typeof(T) == typeof(long) || typeof(T) == typeof(ulong) || typeof(T) == typeof(double))
        {
            WriteRaw(Unsafe.As<T, ulong>(ref value));
        }
        else if (!typeof(T).IsValueType)
        {
            WriteReference(value);
        }
        else
        {
            types.GetValueCodec<T>().WriteValue(this, value);
        }
    }

    /// <summary>
    /// Asks the processor to start loading <paramref name="value"/> into its cache: generated save
    /// code calls it for the later reference fields of an object, so that their cache misses
    /// overlap with the writing of the earlier ones. Only a hint; it never changes the stream.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(object? value)
    {
        if (Sse.IsSupported && value is not null)
        {
            Sse.Prefetch0((void*)Unsafe.As<object, nint>(ref value));
        }
    }

    internal void WriteReference(object? value)
    {
        if (value is null)
        {
            WriteVarint(0);
            return;
        }
        Type type = value.GetType();
        TypeCodec codec;
        if (type == lastType)
        {
            codec = lastCodec!;
        }
        else
        {
            codec = types.GetCodec(type);
            lastType = type;
            lastCodec = codec;
            lastTypeId = typeIds.GetValueOrDefault(codec, -1);
        }
        int id;
        if (marking && codec.Marked)
        {
            // A mark is this save's epoch and the object's id. One left by an earlier save has
            // another epoch and is ignored; one of this epoch is confirmed against this save's own
            // object list at the end (all at once, which costs far less than a lookup here).
            ref long mark = ref Unsafe.As<IStateMarked>(value).StateMark;
            ulong seen = (ulong)mark;
            if (seen >> 32 == markEpoch && (uint)((int)seen - 1) < (uint)ids.Count)
            {
                markHits.Add(new MarkHit(value, (int)seen));
                WriteVarint((uint)seen);
                return;
            }
            id = ids.Append(value);
            mark = (long)(markEpoch << 32 | (uint)id);
        }
        else
        {
            id = ids.GetOrAdd(value, out bool added);
            if (!added)
            {
                WriteVarint((ulong)id);
                return;
            }
        }
        WriteVarint((ulong)id);
        if (lastTypeId >= 0)
        {
            WriteVarint((ulong)lastTypeId);
        }
        else
        {
            WriteTypeRef(codec);            // descriptors name types but never objects, so lastCodec stays
            lastTypeId = typeIds[codec];
        }
        if (codec.Deferred)
        {
            if (codec.HasCreationData)
            {
                codec.WriteCreation(this, value);
            }
            if (inlineDepth < StreamFormat.InlineDepth && inlineBlocked == 0)
            {
                // The contents follow at once, while the object is still in the processor's cache
                // (the reader follows the same rule, so it reads them at the same place).
                inlineDepth++;
                codec.WriteContents(this, value);
                inlineDepth--;
            }
            else
            {
                work.Add(value);
            }
        }
        else
        {
            inlineBlocked++;
            codec.WriteContents(this, value);
            inlineBlocked--;
        }
    }

    internal void WriteTypeRef(TypeCodec codec)
    {
        if (typeIds.TryGetValue(codec, out int id))
        {
            WriteVarint((ulong)id);
            return;
        }
        id = typeIds.Count;
        typeIds.Add(codec, id);
        WriteVarint((ulong)id);
        codec.WriteDescriptor(this);
    }

    /// <summary>Writes the root and then the contents of every deferred object met, most recently met first.</summary>
    internal void WriteGraph<T>(T root)
    {
        if (typeof(T).IsValueType)
        {
            WriteTypeRef(types.GetCodec(typeof(T)));
        }
        Write(root);
        Type? type = null;
        TypeCodec? codec = null;
        while (work.Count > 0)
        {
            object value = work.Pop();
            if (value.GetType() != type)    // the codec is found again from the type, as when the object was met
            {
                type = value.GetType();
                codec = types.GetCodec(type);
            }
            codec!.WriteContents(this, value);
        }
        ConfirmMarks();
        FlushData();
        Span<byte> end = stackalloc byte[1 + 8 + 8];
        end[0] = StreamFormat.EndFrame;
        BinaryPrimitives.WriteInt32LittleEndian(end[1..], frames);
        BinaryPrimitives.WriteInt32LittleEndian(end[5..], ids.Count);
        var sum = new Checksum();
        sum.Update(end.Slice(1, 8));
        chain = sum.Finish(chain, StreamFormat.EndFrame);
        BinaryPrimitives.WriteUInt64LittleEndian(end[9..], chain);
        Ship(end);
        long start = Stopwatch.GetTimestamp();
        destination.Flush();
        transferTicks += Stopwatch.GetTimestamp() - start;
    }

    /// <summary>
    /// Confirms that every object found through a mark of this save's epoch is the object that was
    /// given that id. Only an object copied (with its mark) while this save was running can fail;
    /// the save then ends with an exception before the end frame, so no reader accepts the stream.
    /// </summary>
    private void ConfirmMarks()
    {
        for (int i = 0; i < markHits.Count; i++)
        {
            ref MarkHit hit = ref markHits[i];
            if (!ids.Holds(hit.Id, hit.Value))
            {
                throw new InvalidOperationException(
                    $"an object of type {hit.Value.GetType()} carries the mark of another object saved by this save: it was copied while the save was running (the graph must not change during a save)");
            }
        }
    }
}

/// <summary>An object found through its mark during a save, with the id the mark gave.</summary>
internal readonly record struct MarkHit(object Value, int Id);
