using System.Runtime.InteropServices;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Mitten.Runtime;

/// <summary>The few libc calls the runtime needs: signals, user ids, process checks.</summary>
internal static partial class Native
{
    public const int SIGKILL = 9;
    public const int SIGUSR2 = 12;
    public const int SIGTERM = 15;
    private const int ESRCH = 3;

    public static uint EffectiveUserId => geteuid();

    public static bool IsRoot => geteuid() == 0;

    /// <summary>True when a process with this pid exists on this machine (kill(pid, 0)).</summary>
    public static bool ProcessExists(int pid)
    {
        if (pid <= 0)
        {
            return false;
        }
        if (kill(pid, 0) == 0)
        {
            return !IsZombie(pid);
        }
        // EPERM: it exists but belongs to someone else.
        return Marshal.GetLastPInvokeError() != ESRCH && Directory.Exists($"/proc/{pid}");
    }

    /// <summary>A process that ended but was not reaped yet (state Z in /proc/&lt;pid&gt;/stat) is gone too.</summary>
    private static bool IsZombie(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Sends <paramref name="signal"/>; false when the process does not exist or may not be signalled.</summary>
    public static bool Signal(int pid, int signal) => pid > 0 && kill(pid, signal) == 0;

    /// <summary>The owner uid of a file (statx), or null when it cannot be read.</summary>
    public static uint? OwnerOf(string path) => StatOwner(path);

    private static uint? StatOwner(string path)
    {
        // struct stat on Linux x86_64/arm64 differs; use statx with STATX_UID which has a stable layout.
        Span<byte> buffer = stackalloc byte[256];
        unsafe
        {
            fixed (byte* b = buffer)
            {
                // statx(dirfd=AT_FDCWD, path, flags=0, mask=STATX_UID(0x8), buf)
                if (statx(-100, path, 0, 0x8, b) != 0)
                {
                    return null;
                }
                // struct statx: u32 mask, u32 blksize, u64 attributes, u32 nlink, u32 uid, ...
                return BitConverter.ToUInt32(buffer[20..24]);
            }
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc")]
    private static partial uint geteuid();

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);
}
