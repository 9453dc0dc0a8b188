using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Mitten.Protocol.Spares;

/// <summary>
/// Transparent huge pages for the managed heap of a process that is about to receive a moving
/// rank's state (docs/PROTOCOL.md, "The state transfer"). The restore writes the state into
/// arrays the serializer has just allocated, i.e. into never-touched memory: with 4 KiB pages
/// that is one page fault per 4 KiB, which on a virtual machine costs several microseconds
/// each (a first touch ran at 35-360 MB/s here). With the system's THP mode at <c>madvise</c>
/// the heap's reservation is marked MADV_HUGEPAGE, so the restore faults one 2 MiB page at a
/// time (4 MiB restored with 10 faults instead of 1032). Only the madvise flag changes: nothing
/// is allocated or touched. The runtime keeps its heap in one reservation; the flag survives
/// the runtime's commits (mprotect) but not a decommit (which maps the range anew), so it is
/// set again right before each receive. MITTEN_HUGEPAGES=0 turns it off.
/// </summary>
internal static unsafe class HeapHugePages
{
    private const int MadvHugePage = 14;
    private static Task<long>? pending;

    /// <summary>Whether the heap is marked: MITTEN_HUGEPAGES is not 0, Linux, and THP is not "never".</summary>
    internal static bool Enabled { get; } = Environment.GetEnvironmentVariable("MITTEN_HUGEPAGES") != "0" && OperatingSystem.IsLinux() && ThpAvailable();

    /// <summary>Bytes marked by the last call (0 before any; negative: -errno of a failed madvise).</summary>
    internal static long LastAdvisedBytes { get; private set; }

    /// <summary>Milliseconds the last call took.</summary>
    internal static double LastAdviseMs { get; private set; }

    /// <summary>Starts marking the heap on a thread-pool thread (a spare just taken: overlaps the moving rank's connect and header).</summary>
    internal static void AdviseInBackground()
    {
        if (Enabled)
        {
            pending = Task.Run(Advise);
        }
    }

    /// <summary>How long a receive waits for a marking started in the background; past it the state is received into the heap as it is.</summary>
    private static readonly TimeSpan BackgroundLimit = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Before a receive: waits for a marking started by <see cref="AdviseInBackground"/> (it
    /// reads one file and makes one system call, no wait of its own), at most
    /// <see cref="BackgroundLimit"/> (the marking only saves page faults, so the receive goes on
    /// without it), or marks now.
    /// </summary>
    internal static void EnsureAdvised()
    {
        if (!Enabled)
        {
            return;
        }
        Task<long>? started = Interlocked.Exchange(ref pending, null);
        if (started is not null)
        {
            _ = started.Wait(BackgroundLimit);
        }
        else
        {
            Advise();
        }
    }

    /// <summary>
    /// Marks the run of adjacent anonymous mappings that holds the managed heap (found from a
    /// large object's address in /proc/self/maps) MADV_HUGEPAGE; returns the bytes marked, or
    /// -errno. Never throws: a failure only leaves the heap as it was.
    /// </summary>
    internal static long Advise()
    {
        if (!Enabled)
        {
            return 0;
        }
        long start = Stopwatch.GetTimestamp();
        long result;
        try
        {
            result = AdviseHeapRun();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            result = -1;
        }
        LastAdvisedBytes = result;
        LastAdviseMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return result;
    }

    private static long AdviseHeapRun()
    {
        // A large object: it lives in the heap's reservation like every array the restore makes.
        byte[] probe = new byte[128 * 1024];
        ulong address;
        fixed (byte* p = probe)
        {
            address = (ulong)p;
        }
        ulong runStart = 0, runEnd = 0;
        bool found = false;
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            // "start-end perms offset dev inode [path]"; anonymous mappings have no path.
            int dash = line.IndexOf('-');
            int space = line.IndexOf(' ', dash + 1);
            ulong s = ulong.Parse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            ulong e = ulong.Parse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            bool anonymous = IsAnonymous(line);
            if (found)
            {
                if (anonymous && s == runEnd)
                {
                    runEnd = e;
                    continue;
                }
                break;
            }
            if (!anonymous)
            {
                runStart = runEnd = 0;
                continue;
            }
            if (s != runEnd || runEnd == 0)
            {
                runStart = s;
            }
            runEnd = e;
            found = address >= s && address < e;
        }
        GC.KeepAlive(probe);
        if (!found)
        {
            return -1;
        }
        return Madvise((nint)runStart, (nuint)(runEnd - runStart), MadvHugePage) == 0
            ? (long)(runEnd - runStart)
            : -Marshal.GetLastPInvokeError();
    }

    /// <summary>An anonymous mapping's line has five fields (no path after the inode).</summary>
    private static bool IsAnonymous(string line)
    {
        int fields = 0;
        bool inField = false;
        foreach (char c in line)
        {
            if (c == ' ')
            {
                inField = false;
            }
            else if (!inField)
            {
                inField = true;
                if (++fields > 5)
                {
                    return false;
                }
            }
        }
        return true;
    }

    private static bool ThpAvailable()
    {
        try
        {
            string mode = File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled");
            return !mode.Contains("[never]", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>This process's minor page faults so far (getrusage), for the trace; -1 when unknown.</summary>
    internal static long MinorFaults()
    {
        long* usage = stackalloc long[18]; // struct rusage: two timevals, then 14 longs
        return GetRusage(0 /* RUSAGE_SELF */, usage) == 0 ? usage[8] : -1; // ru_minflt follows ru_maxrss, ru_ixrss, ru_idrss, ru_isrss
    }

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRusage(int who, long* usage);

    [DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int Madvise(nint address, nuint length, int advice);
}
