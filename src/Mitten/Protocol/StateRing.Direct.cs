using System.Globalization;
using System.Runtime.InteropServices;

namespace Mitten.Protocol;

/// <summary>
/// A spare's ring reached directly (docs/PROTOCOL.md, "The state transfer", "A spare's ring named
/// in its TAKE answer"). The spare keeps its prepared ring's data mapped in its own address space,
/// written through that mapping once while idle (so every page is present and writable there), and
/// names it in its TAKE answer (" ring=FD:ADDRESS", hexadecimal address). The moving rank then
/// opens /proc/PID/fd/FD at once (no scan of the spare's descriptors) and claims the ring as before
/// (Ready to Taken on the control page). The spare reads from its own mapping with a memory copy
/// instead of pread (pread's kernel copy into memory the kernel had not touched before cost 7-20
/// µs per 4 KiB page on this virtual machine; the copy in user mode does not). With
/// MITTEN_STATE_RING_VMWRITE=1 the writer copies into the spare's pages with process_vm_writev at
/// ADDRESS + ring offset instead of mapping the ring (no page faults in the writer, but the same
/// kernel first-copy cost on the state's pages: off by default). Any failure falls back: a ring that
/// cannot be opened by its name to the scan, a process_vm_writev that fails to the writer's own
/// mapping. MITTEN_STATE_RING_DIRECT=0 turns all of it off (the spare then answers a plain "OK").
/// </summary>
internal sealed unsafe partial class StateRing
{
    /// <summary>Whether the ring is reached directly (MITTEN_STATE_RING_DIRECT, default 1; Linux only).</summary>
    internal static bool DirectEnabled { get; } = Environment.GetEnvironmentVariable("MITTEN_STATE_RING_DIRECT") != "0" && OperatingSystem.IsLinux();

    /// <summary>
    /// Whether the writer copies with process_vm_writev into the spare's mapping (MITTEN_STATE_RING_VMWRITE=1; off by
    /// default): on this virtual machine the kernel's first copy out of each 4 KiB page of user memory it has not
    /// touched before costs 7-20 µs (4 MB of a fresh buffer: 7-21 ms, then 0.4-2 ms; 0.7 ms from huge pages), and the
    /// moving rank's state is such memory, so it ran slower than the writer's own mapping (bench/RESULTS.md, "spare16").
    /// </summary>
    internal static bool RemoteWrites { get; } = Environment.GetEnvironmentVariable("MITTEN_STATE_RING_VMWRITE") == "1";

    /// <summary>The word of a TAKE answer that names the ring.</summary>
    internal const string AnswerWord = " ring=";

    private static readonly Lock AnnouncedGate = new();
    private static (int Pid, int Descriptor, long Address)? announced;

    /// <summary>The owner's (a spare's) mapping of its own data pages, written once at preparation; 0 when there is none.</summary>
    private nint ownMapped;

    /// <summary>The owner's mapping of the data, for a reader that is the owner (memory copy instead of pread); 0 when none.</summary>
    internal nint OwnMapped => ownMapped;

    /// <summary>Where the owner has the data mapped (its address space), named in its TAKE answer; 0 when not known: the writer maps the ring itself.</summary>
    internal long RemoteAddress { get; private set; }

    /// <summary>
    /// Maps the data pages in the owner and writes every one through that mapping (a spare's
    /// preparation, off the critical path): present and writable in the owner's page tables. False
    /// when the mapping fails (the caller writes the pages with pwrite as before).
    /// </summary>
    private bool MapAndWriteForOwner()
    {
        nint map = Mmap(0, (nuint)DataBytes, 3 /* PROT_READ | PROT_WRITE */, 1 /* MAP_SHARED */, (int)File.DangerousGetHandle(), ControlBytes);
        if (map == -1)
        {
            return false;
        }
        new Span<byte>((void*)map, checked((int)DataBytes)).Clear();
        ownMapped = map;
        return true;
    }

    /// <summary>What a spare adds to its TAKE answer: " ring=FD:ADDRESS" for its prepared, ready, mapped ring; "" otherwise.</summary>
    internal static string AnswerNamingPreparedRing()
    {
        if (!DirectEnabled)
        {
            return "";
        }
        lock (Gate)
        {
            return prepared is { ownMapped: not 0 } ring && Volatile.Read(ref ring.control[0]) == Ready ? ring.NameWord() : "";
        }
    }

    /// <summary>" ring=FD:ADDRESS" for this ring (its owner's mapping).</summary>
    private string NameWord() => string.Create(CultureInfo.InvariantCulture, $"{AnswerWord}{Descriptor}:{(long)ownMapped:x}");

    /// <summary>
    /// The moving rank, with a TAKE answer: removes the ring's word from <paramref name="answer"/>
    /// and returns the rest; what it named is noted for <see cref="TryClaim"/> once the spare's
    /// process id is known (<see cref="NoteNamedRing"/>).
    /// </summary>
    internal static string SplitRingWord(string answer, out string? ringWord)
    {
        int at = answer.IndexOf(AnswerWord, StringComparison.Ordinal);
        ringWord = at < 0 ? null : answer[(at + AnswerWord.Length)..];
        return at < 0 ? answer : answer[..at];
    }

    /// <summary>Notes the ring process <paramref name="pid"/> named ("FD:ADDRESS"); nothing when it named none or the word is malformed.</summary>
    internal static void NoteNamedRing(int pid, string? ringWord)
    {
        lock (AnnouncedGate)
        {
            announced = null;
            if (DirectEnabled && pid > 0 && ringWord?.Split(':') is [var fd, var address] &&
                int.TryParse(fd, NumberStyles.Integer, CultureInfo.InvariantCulture, out int descriptor) &&
                long.TryParse(address, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long at) && at != 0)
            {
                announced = (pid, descriptor, at);
            }
        }
    }

    /// <summary>The ring <paramref name="pid"/> named in its TAKE answer, opened (not claimed); null when it named none or opening fails.</summary>
    private static StateRing? OpenNamed(int pid)
    {
        (int Pid, int Descriptor, long Address)? named;
        lock (AnnouncedGate)
        {
            named = announced;
            announced = null;
        }
        if (named is not { } n || n.Pid != pid)
        {
            return null;
        }
        try
        {
            StateRing? ring = OpenPreparedDescriptor(pid, n.Descriptor);
            if (ring is not null)
            {
                ring.RemoteAddress = n.Address;
            }
            return ring;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or StateTransferException)
        {
            return null;
        }
    }

    /// <summary>
    /// Copies <paramref name="data"/> into the owner's mapping at ring offset <paramref name="at"/>
    /// (process_vm_writev); false when the kernel refuses (the caller maps the ring instead).
    /// </summary>
    internal bool WriteRemote(ReadOnlySpan<byte> data, long at)
    {
        fixed (byte* source = data)
        {
            long done = 0;
            while (done < data.Length)
            {
                var local = new IoVector { Base = (nint)(source + done), Length = (nuint)(data.Length - done) };
                var remote = new IoVector { Base = (nint)(RemoteAddress + at + done), Length = (nuint)(data.Length - done) };
                nint n = ProcessVmWritev(OwnerPid, &local, 1, &remote, 1, 0);
                if (n <= 0)
                {
                    return false;
                }
                done += n;
            }
        }
        return true;
    }

    /// <summary>process_vm_writev and the owner's mapping once at start-up, on a small ring of this process's own (native stubs made before a migration).</summary>
    internal static void ExerciseDirectCalls()
    {
        if (!DirectEnabled)
        {
            return;
        }
        using StateRing ring = Create(8192, write: false, Name + "-warmup");
        if (ring.MapAndWriteForOwner())
        {
            // Both sides of a named ring once, on this process's own (compiled before a migration needs them):
            // the spare's answer, the taker's parsing and opening through /proc, process_vm_writev, the reader's copy.
            _ = AnswerNamingPreparedRing();
            _ = SplitRingWord("OK" + ring.NameWord(), out string? word);
            NoteNamedRing(Environment.ProcessId, word);
            using (StateRing? named = OpenNamed(Environment.ProcessId))
            {
                _ = named?.ClaimOpened(); // not READY: false, the ring is left as it is
            }
            ring.RemoteAddress = ring.ownMapped;
            _ = ring.WriteRemote(stackalloc byte[64], 0);
            new ReadOnlySpan<byte>((void*)ring.ownMapped, 64).CopyTo(stackalloc byte[64]);
        }
    }

    /// <summary>
    /// Writes one byte of every data page of this process's prepared ring through its own mapping, while it is
    /// still <see cref="Ready"/> (an idle spare before it answers a TAKE, Spares/KeepWarm.cs); returns the pages.
    /// </summary>
    internal static long TouchPreparedData()
    {
        lock (Gate)
        {
            return prepared is { ownMapped: not 0 } ring && Volatile.Read(ref ring.control[0]) == Ready
                ? Spares.KeepWarm.TouchPages(ring.ownMapped, ring.DataBytes) : 0;
        }
    }

    /// <summary>Unmaps the owner's mapping (from <see cref="Dispose"/>).</summary>
    private void UnmapOwn()
    {
        nint map = Interlocked.Exchange(ref ownMapped, 0);
        if (map != 0)
        {
            _ = Munmap(map, (nuint)DataBytes);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVector
    {
        public nint Base;
        public nuint Length;
    }

    [DllImport("libc", EntryPoint = "process_vm_writev", SetLastError = true)]
    private static extern nint ProcessVmWritev(int pid, IoVector* local, nuint localCount, IoVector* remote, nuint remoteCount, nuint flags);
}
