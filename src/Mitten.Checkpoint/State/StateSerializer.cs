using System.Diagnostics;

namespace Mitten.Checkpoint.State;

/// <summary>
/// Saves a state graph to a machine-independent, self-describing, checksummed stream and
/// restores it. The stream is produced in chunks while the graph is being collected, so a
/// destination such as a socket or pipe ships data while collection goes on; the reader
/// restores from a source that is still arriving and reads exactly one state stream from it.
/// </summary>
public static class StateSerializer
{
    private static readonly StateWriteOptions DefaultWrite = new();

    /// <summary>Saves the graph reachable from <paramref name="root"/> to <paramref name="destination"/>.</summary>
    /// <exception cref="NotSupportedException">The graph holds a type that is not registered or not supported.</exception>
    /// <exception cref="InvalidOperationException">An object was copied, with its mark, while the save ran (the graph changed during the save); the stream is left without its end frame, so no reader accepts it.</exception>
    public static void Save<T>(T root, Stream destination, StateTypeRegistry types) =>
        Save(root, destination, types, DefaultWrite);

    /// <summary>Saves the graph and reports the bytes written, the collection time and the time spent shipping chunks.</summary>
    /// <exception cref="NotSupportedException">The graph holds a type that is not registered or not supported.</exception>
    /// <exception cref="InvalidOperationException">An object was copied, with its mark, while the save ran (the graph changed during the save); the stream is left without its end frame, so no reader accepts it.</exception>
    public static StateSaveReport Save<T>(T root, Stream destination, StateTypeRegistry types, StateWriteOptions options)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(options);
        long start = Stopwatch.GetTimestamp();
        var writer = new StateWriter(destination, types, options);
        try
        {
            writer.WriteGraph(root);
            long total = Stopwatch.GetTimestamp() - start;
            return new StateSaveReport
            {
                Bytes = writer.Bytes,
                Chunks = writer.Frames,
                Objects = writer.Objects,
                TransferTime = Stopwatch.GetElapsedTime(0, writer.TransferTicks),
                CollectTime = Stopwatch.GetElapsedTime(0, total - writer.TransferTicks),
            };
        }
        finally
        {
            writer.Release();
        }
    }

    /// <summary>Restores a graph saved with <see cref="Save{T}(T, Stream, StateTypeRegistry)"/>.</summary>
    /// <exception cref="StateFormatException">The stream is truncated, corrupt, of another format, names an unregistered type, or does not match this program's types.</exception>
    public static T Restore<T>(Stream source, StateTypeRegistry types) => Restore<T>(source, types, null, out _);

    /// <summary>Restores a graph, with limits, and reports where the time went.</summary>
    /// <exception cref="StateFormatException">The stream is truncated, corrupt, of another format, names an unregistered type, or does not match this program's types.</exception>
    public static T Restore<T>(Stream source, StateTypeRegistry types, StateReadOptions? options, out StateRestoreReport report)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(types);
        long start = Stopwatch.GetTimestamp();
        var reader = new StateReader(source, types, options ?? new StateReadOptions());
        try
        {
            T root = reader.ReadGraph<T>();
            long total = Stopwatch.GetTimestamp() - start;
            report = new StateRestoreReport
            {
                Bytes = reader.Bytes,
                Objects = reader.Objects,
                WriterByteOrder = reader.WriterByteOrder,
                WriterWordSize = reader.WriterWordSize,
                TransferTime = Stopwatch.GetElapsedTime(0, reader.TransferTicks),
                RestoreTime = Stopwatch.GetElapsedTime(0, total - reader.TransferTicks),
            };
            return root;
        }
        finally
        {
            reader.Release();
        }
    }
}
