namespace Mitten.Checkpoint.State;

/// <summary>Byte order of the primitive values in a state stream.</summary>
public enum StateByteOrder
{
    /// <summary>The byte order of the machine writing the stream (no conversion when the reader is alike).</summary>
    Native,
    /// <summary>Least significant byte first.</summary>
    LittleEndian,
    /// <summary>Most significant byte first.</summary>
    BigEndian,
}

/// <summary>How <see cref="StateSerializer"/> writes a stream.</summary>
public sealed class StateWriteOptions
{
    /// <summary>Byte order of primitive values; a reader of the other order converts them. Default: native.</summary>
    public StateByteOrder ByteOrder { get; init; } = StateByteOrder.Native;

    /// <summary>
    /// Size of the chunks handed to the destination stream while collection goes on (bytes, 4 KiB .. 16 MiB).
    /// Default 256 KiB.
    /// </summary>
    public int ChunkSize { get; init; } = 256 * 1024;
}

/// <summary>Limits applied while restoring.</summary>
public sealed class StateReadOptions
{
    /// <summary>
    /// Most bytes the restore may allocate for arrays, lists, dictionaries and strings together.
    /// Default: the memory available to the process. On a seekable stream every count is also
    /// checked against the bytes that remain in it.
    /// </summary>
    public long MaxAllocationBytes { get; init; } = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
}

/// <summary>What a save did and where its time went.</summary>
public sealed class StateSaveReport
{
    /// <summary>Bytes written to the destination.</summary>
    public long Bytes { get; init; }
    /// <summary>Chunks (frames) written.</summary>
    public int Chunks { get; init; }
    /// <summary>Distinct objects (reference-type nodes of the graph) written.</summary>
    public int Objects { get; init; }
    /// <summary>Time spent walking the graph and encoding it (excludes <see cref="TransferTime"/>).</summary>
    public TimeSpan CollectTime { get; init; }
    /// <summary>Time spent inside the destination stream's Write and Flush (shipping the chunks).</summary>
    public TimeSpan TransferTime { get; init; }
}

/// <summary>What a restore did and where its time went.</summary>
public sealed class StateRestoreReport
{
    /// <summary>Bytes read from the source.</summary>
    public long Bytes { get; init; }
    /// <summary>Distinct objects created.</summary>
    public int Objects { get; init; }
    /// <summary>Byte order the writer used.</summary>
    public StateByteOrder WriterByteOrder { get; init; }
    /// <summary>Pointer size (bytes) of the writing process.</summary>
    public int WriterWordSize { get; init; }
    /// <summary>Time spent waiting inside the source stream's Read (data still arriving).</summary>
    public TimeSpan TransferTime { get; init; }
    /// <summary>Time spent decoding and rebuilding the graph (excludes <see cref="TransferTime"/>).</summary>
    public TimeSpan RestoreTime { get; init; }
}
