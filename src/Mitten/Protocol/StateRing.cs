using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Mitten.Protocol;

/// <summary>
/// The memory file the shared-memory route streams the state through (docs/PROTOCOL.md, "The
/// state transfer"): one control page, then a ring of <see cref="DataBytes"/> bytes that the
/// stream goes round and round. Stream offset <c>s</c> lives at file offset
/// <c>ControlBytes + s % DataBytes</c>. The control page holds the words shared by both
/// processes (mapped MAP_SHARED), as 64-bit words: the ring's state (<see cref="Fresh"/>, <see cref="Ready"/>,
/// <see cref="Taken"/>), the stream offset up to which the reader has consumed the bytes (its
/// credit: the writer may write up to consumed + DataBytes), the reader's process id, the
/// stream offset up to which the writer has written (<see cref="Written"/>: the reader may read
/// up to it), whether the stream is complete; at word 8 and 9 the two wake-ups
/// (<see cref="RingSignal"/>: the writer's, raised at every publication, and the reader's, at
/// every credit), on which a waiting side sleeps in the kernel.
/// <para>
/// The point of a ring is warm pages: on a virtual machine a first write to memory the host has
/// taken back costs about 35 µs per 4 KiB page, and a new memory file per transfer paid that on
/// every byte of the state. A ring's pages are written once and reused. A warm spare prepares one
/// while idle (<see cref="PrepareForReceiving"/>: allocated and every page written, then marked
/// ready), and the moving rank that takes the spare claims it through /proc (<see cref="TryClaim"/>);
/// without one (a spawned replacement, a spare still preparing) the moving rank makes a ring of
/// its own, whose first lap is cold and later laps warm. MITTEN_STATE_RING_BYTES sets the data
/// size (default 2 MiB, at least 8 KiB); MITTEN_STATE_RING_PREPARED=0 stops spares from preparing one.
/// The writer maps a prepared ring and copies into it in user mode (<see cref="MapData"/>): on this
/// VM a kernel copy (pwrite) out of state memory the kernel had not touched before cost about 9 µs
/// per 4 KiB, and a first touch of each page of the ring's mapping costs as much, so the ring is
/// small (its pages are touched once per transfer) and the state is read only in user mode.
/// </para>
/// </summary>
internal sealed unsafe partial class StateRing : IDisposable
{
    /// <summary>Bytes before the data: the control page.</summary>
    internal const long ControlBytes = 4096;

    internal const long DefaultDataBytes = 2L << 20;

    /// <summary>The memory file's name (seen as "/memfd:NAME (deleted)" in /proc/PID/fd).</summary>
    internal const string Name = "mitten-state-ring";

    /// <summary>Ring states (control word 0): being prepared, prepared and free to claim, claimed by a writer.</summary>
    internal const long Fresh = 0, Ready = 1, Taken = 2;

    private static readonly Lock Gate = new();
    private static StateRing? prepared;

    private readonly long* control;

    /// <summary>The data size: MITTEN_STATE_RING_BYTES (default 2 MiB), rounded up to 4 KiB, at least 8 KiB.</summary>
    internal static long ConfiguredDataBytes { get; } =
        long.TryParse(Environment.GetEnvironmentVariable("MITTEN_STATE_RING_BYTES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) && n > 0
            ? Math.Max(8192, (n + 4095) & ~4095L) : DefaultDataBytes;

    /// <summary>Whether a spare prepares a ring while idle (MITTEN_STATE_RING_PREPARED, default 1).</summary>
    internal static bool SparePrepares { get; } = Environment.GetEnvironmentVariable("MITTEN_STATE_RING_PREPARED") != "0" && OperatingSystem.IsLinux();

    private StateRing(SafeFileHandle file, int descriptor, int ownerPid, long dataBytes, bool wasPrepared)
    {
        File = file;
        Descriptor = descriptor;
        OwnerPid = ownerPid;
        DataBytes = dataBytes;
        WasPrepared = wasPrepared;
        nint map = Mmap(0, (nuint)ControlBytes, 3 /* PROT_READ | PROT_WRITE */, 1 /* MAP_SHARED */, (int)file.DangerousGetHandle(), 0);
        if (map == -1)
        {
            int errno = Marshal.GetLastPInvokeError();
            file.Dispose();
            throw new StateTransferException($"mapping the state ring's control page failed (errno {errno})");
        }
        control = (long*)map;
    }

    /// <summary>The file (pread/pwrite at <see cref="ControlBytes"/> + ring offset).</summary>
    internal SafeFileHandle File { get; }

    /// <summary>The file's descriptor number in <see cref="OwnerPid"/>'s process (for /proc/PID/fd/FD).</summary>
    internal int Descriptor { get; }

    /// <summary>The process that created the file.</summary>
    internal int OwnerPid { get; }

    /// <summary>Bytes of the ring (the stream wraps after this many).</summary>
    internal long DataBytes { get; }

    /// <summary>Whether every page was written before this transfer (a spare's ring): the writer's pages are warm from the first byte.</summary>
    internal bool WasPrepared { get; }

    /// <summary>The reader's credit: the stream offset up to which it has consumed the bytes.</summary>
    internal long Consumed
    {
        get => Volatile.Read(ref control[1]);
        set => Volatile.Write(ref control[1], value);
    }

    /// <summary>The writer's publication: the stream offset up to which the bytes are in the ring (the reader may read up to it).</summary>
    internal long Written
    {
        get => Volatile.Read(ref control[3]);
        set => Volatile.Write(ref control[3], value);
    }

    /// <summary>Set by the writer (after the last <see cref="Written"/>) when the stream has ended.</summary>
    internal bool Complete
    {
        get => Volatile.Read(ref control[4]) != 0;
        set => Volatile.Write(ref control[4], value ? 1 : 0);
    }

    /// <summary>Raised by the writer after every publication; the reader sleeps on it when it has read everything written.</summary>
    internal RingSignal WriterSignal => new((int*)(control + 8));

    /// <summary>Raised by the reader after every credit; the writer sleeps on it when the ring is full.</summary>
    internal RingSignal ReaderSignal => new((int*)(control + 9));

    /// <summary>
    /// Maps the data pages into this process (shared, page tables filled at once), for a writer
    /// that copies into them instead of pwrite; 0 when the mapping fails. The caller unmaps it
    /// with <see cref="UnmapData"/>.
    /// </summary>
    internal nint MapData()
    {
        nint map = Mmap(0, (nuint)DataBytes, 3 /* PROT_READ | PROT_WRITE */, 1 | 0x8000 /* MAP_SHARED | MAP_POPULATE */, (int)File.DangerousGetHandle(), ControlBytes);
        return map == -1 ? 0 : map;
    }

    /// <summary>Unmaps what <see cref="MapData"/> mapped.</summary>
    internal void UnmapData(nint map) => _ = Munmap(map, (nuint)DataBytes);

    /// <summary>The reader's process id (0 until it has opened the ring).</summary>
    internal int ReaderPid
    {
        get => (int)Volatile.Read(ref control[2]);
        set => Volatile.Write(ref control[2], value);
    }

    /// <summary>What the channel of the header says about this ring: "PID:FD:BYTES".</summary>
    internal string Address => string.Create(CultureInfo.InvariantCulture, $"{OwnerPid}:{Descriptor}:{DataBytes}");

    /// <summary>
    /// A new ring of <paramref name="dataBytes"/> in this process; with <paramref name="write"/> its
    /// pages are allocated and every one written now (a spare while idle), otherwise they are
    /// allocated as the writer reaches them (see <see cref="Allocate"/>).
    /// </summary>
    internal static StateRing Create(long dataBytes, bool write, string name = Name)
    {
        int fd = MemfdCreate(name, 1 /* MFD_CLOEXEC */);
        if (fd < 0)
        {
            throw new StateTransferException($"memfd_create failed (errno {Marshal.GetLastPInvokeError()})");
        }
        var file = new SafeFileHandle(fd, ownsHandle: true);
        if (Ftruncate(fd, ControlBytes + dataBytes) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            file.Dispose();
            throw new StateTransferException($"sizing the state ring failed (errno {errno})");
        }
        var ring = new StateRing(file, fd, Environment.ProcessId, dataBytes, write);
        if (write)
        {
            _ = ring.Allocate(0, dataBytes);
            if (DirectEnabled && dataBytes <= int.MaxValue && ring.MapAndWriteForOwner())
            {
                return ring; // every page written through the owner's mapping, which stays (StateRing.Direct.cs)
            }
            // A write to every page: the hypervisor backs a page at its first write.
            byte[] zeros = new byte[1 << 20];
            for (long at = 0; at < dataBytes; at += zeros.Length)
            {
                RandomAccess.Write(file, zeros.AsSpan(0, (int)Math.Min(zeros.Length, dataBytes - at)), ControlBytes + at);
            }
        }
        return ring;
    }

    /// <summary>Allocates the data pages [at, at + length) in one call (fallocate); false where that is not supported (the writes allocate then).</summary>
    internal bool Allocate(long at, long length) => Fallocate((int)File.DangerousGetHandle(), 0, ControlBytes + at, length) == 0;

    /// <summary>
    /// Prepares this process's ring for a state it may receive (a spare after its warm-up, on a
    /// thread-pool thread; the benchmark's stand-in spare before each transfer): created, every
    /// page written, then marked <see cref="Ready"/> for a writer to claim. At most one is held.
    /// </summary>
    internal static void PrepareForReceiving()
    {
        if (!SparePrepares)
        {
            return;
        }
        lock (Gate)
        {
            if (prepared is not null)
            {
                return;
            }
        }
        StateRing ring;
        try
        {
            ring = Create(ConfiguredDataBytes, write: true);
        }
        catch (Exception e) when (e is StateTransferException or IOException)
        {
            return; // the moving rank makes a ring of its own
        }
        lock (Gate)
        {
            prepared = ring;
        }
        Volatile.Write(ref ring.control[0], Ready); // only now can a writer claim it
    }

    /// <summary>The ring this process prepared, if its descriptor is <paramref name="descriptor"/> (the receiver then owns it).</summary>
    internal static StateRing? TakePrepared(int descriptor)
    {
        lock (Gate)
        {
            if (prepared is { } ring && ring.Descriptor == descriptor)
            {
                prepared = null;
                return ring;
            }
            return null;
        }
    }

    /// <summary>Closes a prepared ring nobody used (after a restore by another route, or before preparing again).</summary>
    internal static void ReleasePrepared()
    {
        StateRing? ring;
        lock (Gate)
        {
            ring = prepared;
            prepared = null;
        }
        ring?.Dispose();
    }

    /// <summary>
    /// The writer's side: finds the ring process <paramref name="pid"/> prepared (a memory file named
    /// <paramref name="name"/> among its descriptors), opens it through /proc and claims it
    /// (<see cref="Ready"/> to <see cref="Taken"/>, atomically on the shared control page). Null
    /// when there is none, it is not ready, or anything fails: the caller makes its own.
    /// </summary>
    internal static StateRing? TryClaim(int pid, string name = Name)
    {
        LastClaimWasPreopened = false;
        LastClaimWasNamed = false;
        if (pid <= 0 || !OperatingSystem.IsLinux())
        {
            return null;
        }
        if (name == Name && TakePreopened(pid) is { } ahead)
        {
            // Opened, mapped and touched while the group synchronized (StateRing.Preopen.cs): only the claim is left.
            if (ahead.ClaimOpened())
            {
                LastClaimWasPreopened = true;
                return ahead;
            }
            ahead.Dispose(); // not ready or claimed by another writer: the scan below finds the same answer
        }
        if (name == Name && OpenNamed(pid) is { } named)
        {
            // Named by the spare in its TAKE answer (StateRing.Direct.cs): no scan of its descriptors.
            if (named.ClaimOpened())
            {
                LastClaimWasNamed = true;
                return named;
            }
            named.Dispose();
        }
        try
        {
            foreach (StateRing ring in OpenPreparedRings(pid, name))
            {
                if (ring.ClaimOpened())
                {
                    return ring;
                }
                ring.Dispose();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or StateTransferException)
        {
        }
        return null;
    }

    /// <summary>
    /// Opens, one at a time, the rings process <paramref name="pid"/> prepared (memory files named
    /// <paramref name="name"/> among its descriptors, through /proc), unclaimed; the caller keeps or
    /// disposes each. Failures to read /proc or open a file are raised to the caller.
    /// </summary>
    private static IEnumerable<StateRing> OpenPreparedRings(int pid, string name)
    {
        string wanted = "/memfd:" + name + " (deleted)";
        foreach (string entry in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            if (new FileInfo(entry).LinkTarget != wanted)
            {
                continue;
            }
            if (OpenPreparedDescriptor(pid, int.Parse(Path.GetFileName(entry), CultureInfo.InvariantCulture)) is { } ring)
            {
                yield return ring;
            }
        }
    }

    /// <summary>
    /// Opens descriptor <paramref name="descriptor"/> of process <paramref name="pid"/> (through
    /// /proc) as a prepared ring, unclaimed; null when the file is too short to hold a ring.
    /// Failures to open it are raised to the caller, with the file closed.
    /// </summary>
    private static StateRing? OpenPreparedDescriptor(int pid, int descriptor)
    {
        SafeFileHandle file = System.IO.File.OpenHandle($"/proc/{pid}/fd/{descriptor}", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        long length = RandomAccess.GetLength(file);
        if (length <= ControlBytes)
        {
            file.Dispose();
            return null;
        }
        try
        {
            return new StateRing(file, descriptor, pid, length - ControlBytes, wasPrepared: true);
        }
        catch
        {
            file.Dispose(); // the ring did not take the file over
            throw;
        }
    }

    /// <summary>Claims an opened prepared ring (<see cref="Ready"/> to <see cref="Taken"/>, atomically on the shared control page) and resets it for this transfer; false when it is not ready.</summary>
    private bool ClaimOpened()
    {
        if (Interlocked.CompareExchange(ref control[0], Taken, Ready) != Ready)
        {
            return false;
        }
        Consumed = 0;
        Written = 0;
        Complete = false;
        ReaderPid = OwnerPid; // the owner reads it; it says so again when it opens
        return true;
    }

    /// <summary>Whether the last claim used the ring the spare named in its TAKE answer (for the trace and the tests).</summary>
    internal static bool LastClaimWasNamed { get; private set; }

    /// <summary>A ring of this process's own for one transfer, claimed at once (cold: its pages are allocated as the writer reaches them).</summary>
    internal static StateRing CreateForSending()
    {
        StateRing ring = Create(ConfiguredDataBytes, write: false);
        ring.control[0] = Taken;
        return ring;
    }

    /// <summary>The reader's side: the ring named by a channel's "PID:FD:BYTES" (its own prepared ring, or another process's through /proc).</summary>
    internal static StateRing OpenForReading(int pid, int descriptor, long dataBytes)
    {
        if (pid == Environment.ProcessId && TakePrepared(descriptor) is { } own)
        {
            return own;
        }
        SafeFileHandle file = System.IO.File.OpenHandle($"/proc/{pid}/fd/{descriptor}", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        return new StateRing(file, descriptor, pid, dataBytes, wasPrepared: false);
    }

    /// <summary>Whether process <paramref name="pid"/> is alive (not gone, not a zombie).</summary>
    internal static bool IsAlive(int pid)
    {
        try
        {
            string stat = System.IO.File.ReadAllText($"/proc/{pid}/stat");
            int end = stat.LastIndexOf(')');
            return end < 0 || end + 2 >= stat.Length || stat[end + 2] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    public void Dispose()
    {
        if (!File.IsClosed)
        {
            nint ahead = DetachPreMapped();
            if (ahead != 0)
            {
                UnmapData(ahead);
            }
            UnmapOwn();
            _ = Munmap((nint)control, (nuint)ControlBytes);
            File.Dispose();
        }
    }

    [DllImport("libc", EntryPoint = "memfd_create", SetLastError = true)]
    private static extern int MemfdCreate(string name, uint flags);

    [DllImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static extern int Ftruncate(int fd, long length);

    [DllImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static extern int Fallocate(int fd, int mode, long offset, long length);

    [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static extern nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [DllImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static extern int Munmap(nint address, nuint length);
}
