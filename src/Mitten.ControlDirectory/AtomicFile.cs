using System.Text;

namespace Mitten.ControlDirectory;

/// <summary>
/// The one writer of control files: to a temporary name next to the file, flushed to disk
/// (fsync), then renamed over the real name, so a reader never sees half a file and a crash
/// never leaves an empty one; always owner-only (0600).
/// </summary>
internal static class AtomicFile
{
    /// <summary>Owner read/write/search: every directory of the contract.</summary>
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Owner read/write: every file of the contract.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The largest control file a reader accepts; anything bigger is malformed.</summary>
    public const int MaxReadBytes = 1 << 20;

    /// <summary>The longest <c>events.jsonl</c> line a reader accepts.</summary>
    public const int MaxEventLineBytes = 64 * 1024;

    /// <summary>
    /// Writes <paramref name="bytes"/> as <paramref name="path"/> atomically and, unless
    /// <paramref name="durable"/> is false, durably (fsync before the rename). Only a rank's
    /// status heartbeat, rewritten every second and at every migration phase, skips the fsync:
    /// it costs 8 ms (median; 22 ms p90) on this machine's disk, inside a migration's freeze,
    /// and a crash loses nothing the next heartbeat does not rewrite.
    /// </summary>
    public static void Write(string path, ReadOnlySpan<byte> bytes, bool durable = true)
    {
        // The process id keeps two writers of one file (ranks rewriting locations.json) off each other's temporary.
        string temporary = path + "." + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".tmp";
        var options = new FileStreamOptions { Mode = System.IO.FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }
        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: durable);
            }
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, FileMode); // exact, even over an old temporary
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>Writes text (UTF-8) as <paramref name="path"/> atomically and durably.</summary>
    public static void Write(string path, string text) => Write(path, Encoding.UTF8.GetBytes(text), durable: true);

    /// <summary>
    /// Appends one line with a single write to an owner-only file (created 0600), so lines of
    /// several processes appending at once never interleave.
    /// </summary>
    public static void AppendLine(string path, ReadOnlySpan<byte> line)
    {
        var options = new FileStreamOptions { Mode = System.IO.FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite, BufferSize = 0 };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }
        byte[] buffer = new byte[line.Length + 1];
        line.CopyTo(buffer);
        buffer[^1] = (byte)'\n';
        using var stream = new FileStream(path, options);
        stream.Write(buffer);
    }

    /// <summary>
    /// Reads a control file; null when it is larger than <see cref="MaxReadBytes"/>
    /// (<paramref name="length"/> says how large).
    /// </summary>
    public static byte[]? ReadLimited(string path, out long length)
    {
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = System.IO.FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, Options = FileOptions.None,
        });
        length = stream.Length;
        if (length > MaxReadBytes)
        {
            return null;
        }
        byte[] bytes = new byte[length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Creates a directory with mode 0700 (and its missing parents); <paramref name="tightenExisting"/> also sets it on one that exists.</summary>
    public static void CreateOwnerOnlyDirectory(string path, bool tightenExisting)
    {
        bool existed = Directory.Exists(path);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        Directory.CreateDirectory(path, DirectoryMode);
        if (!existed || tightenExisting)
        {
            File.SetUnixFileMode(path, DirectoryMode); // exact, whatever the umask
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
