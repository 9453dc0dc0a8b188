using System.Runtime.InteropServices;

namespace Mitten.ControlDirectory;

/// <summary>
/// What kind of file a path names, without opening it (opening a FIFO blocks until a writer
/// comes). On Linux this is <c>statx</c> without following a symbolic link; elsewhere a
/// best effort from the file's attributes.
/// </summary>
internal static partial class FileKind
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int ModeOffset = 28;    // u16 stx_mode in struct statx (fixed layout on every Linux architecture)
    private const int TypeMask = 0xF000;  // S_IFMT
    private const int RegularType = 0x8000; // S_IFREG

    /// <summary>True when <paramref name="path"/> is a regular file (not a FIFO, socket, device, link or directory).</summary>
    public static bool IsRegularFile(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            Span<byte> buffer = stackalloc byte[256];
            if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, ref MemoryMarshal.GetReference(buffer)) != 0)
            {
                return false; // gone, or not readable: nothing to open either
            }
            int mode = BitConverter.ToUInt16(buffer[ModeOffset..]);
            return (mode & TypeMask) == RegularType;
        }
        var info = new FileInfo(path);
        return info.Exists && info.LinkTarget is null;
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int directory, string path, int flags, uint mask, ref byte buffer);
}
