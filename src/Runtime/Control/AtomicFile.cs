using System.Text;

namespace Mitten.Runtime.Control;

/// <summary>
/// Writes a control file the way the contract says: to <c>name.tmp</c> first, then renamed
/// over the real name, so a reader never sees half a file; always owner-only (0600).
/// </summary>
internal static class AtomicFile
{
    /// <summary>The largest control file the runtime reads; anything bigger is malformed.</summary>
    public const int MaxReadBytes = 1 << 20;

    public static void Write(string path, string text)
    {
        string temporary = path + ".tmp";
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            Share = FileShare.None,
            UnixCreateMode = JobDirectory.FileMode,
        };
        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }
        File.SetUnixFileMode(temporary, JobDirectory.FileMode);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Appends one line to an owner-only file (created 0600).</summary>
    public static void AppendLine(string path, string line)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite,
            UnixCreateMode = JobDirectory.FileMode,
        };
        using var stream = new FileStream(path, options);
        stream.Write(Encoding.UTF8.GetBytes(line + "\n"));
    }

    /// <summary>Reads a control file, refusing one larger than <see cref="MaxReadBytes"/>.</summary>
    public static string ReadLimited(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length > MaxReadBytes)
        {
            throw new MalformedControlFileException($"{path}: {stream.Length} bytes, over the {MaxReadBytes} byte limit");
        }
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
