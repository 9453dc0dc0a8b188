using System.Runtime.InteropServices;

namespace Mitten.Protocol;

/// <summary>
/// The moving rank opens the ring of the spare it is about to take before the freeze
/// (docs/PROTOCOL.md, "The state transfer", "A spare's ring opened ahead"). Measured on this
/// machine (a virtual machine): a process's first access to each page of another process's memory
/// file costs 5-15 µs even after MAP_POPULATE (2 MiB: 6-8 ms of the 4 MB IS A state's 8-12 ms
/// of writes into the ring), and finding, opening and mapping the ring took 1.6-4 ms. So at its
/// stop at the global superstep (it then only waits for the reports and drains) a thread-pool task
/// finds the first free spare's ring in /proc/PID/fd, maps its control page and its data
/// (MADV_POPULATE_WRITE) and reads one byte of every data page. It only reads: the ring is
/// claimed (Ready to Taken on the control page) exactly as before, after the spare answered TAKE
/// OK (<see cref="TryClaim"/>), so a spare that refuses, another writer, or a rollback find the
/// ring as they would have. The sender waits for the task at most <see cref="PreopenWait"/>;
/// whatever is not used (another spare taken, a spawn, an abort or rollback) is closed.
/// MITTEN_STATE_RING_PREOPEN=1 turns it on; off by default (no net gain on 2 shared cores).
/// </summary>
internal sealed unsafe partial class StateRing
{
    /// <summary>How long the sender waits for a pre-open still running before it opens the ring itself.</summary>
    internal static readonly TimeSpan PreopenWait = TimeSpan.FromSeconds(1);

    private const int MadvPopulateWrite = 23;

    private static readonly Lock PreopenGate = new();
    private static (int Pid, Task<StateRing?> Opening)? preopened;
    private nint preMapped;

    /// <summary>
    /// Whether the moving rank opens a spare's ring ahead (MITTEN_STATE_RING_PREOPEN=1; off by default: on 2
    /// shared cores the transfer and the freeze were shorter, but the synchronization it overlaps longer by as
    /// much, bench/RESULTS.md "spare15"; it needs the mapped writes).
    /// </summary>
    internal static bool PreopenEnabled { get; } = Environment.GetEnvironmentVariable("MITTEN_STATE_RING_PREOPEN") == "1" &&
        Environment.GetEnvironmentVariable("MITTEN_STATE_RING_MAP") != "0" && OperatingSystem.IsLinux();

    /// <summary>Milliseconds the last pre-open took on its thread (for the trace), -1 when none ran.</summary>
    internal static double LastPreopenMs { get; private set; } = -1;

    /// <summary>Whether a claim used a ring opened ahead (for the trace and the tests).</summary>
    internal static bool LastClaimWasPreopened { get; private set; }

    /// <summary>The data mapping made ahead, handed to the caller (who unmaps it); 0 when there is none.</summary>
    internal nint DetachPreMapped() => Interlocked.Exchange(ref preMapped, 0);

    /// <summary>Starts opening <paramref name="pid"/>'s prepared ring on a thread-pool thread (one at a time; a second call is ignored).</summary>
    internal static void PreopenInBackground(int pid)
    {
        if (!PreopenEnabled || !SparePrepares || pid <= 0)
        {
            return;
        }
        lock (PreopenGate)
        {
            if (preopened is null)
            {
                preopened = (pid, Task.Run(() => OpenAhead(pid)));
            }
        }
    }

    /// <summary>
    /// The ring pre-opened for <paramref name="pid"/>, not claimed, once its task has ended (waiting
    /// at most <see cref="PreopenWait"/>); null when there is none, it is another process's, or it
    /// is late (it is then closed when it ends).
    /// </summary>
    private static StateRing? TakePreopened(int pid)
    {
        (int Pid, Task<StateRing?> Opening)? taken;
        lock (PreopenGate)
        {
            taken = preopened;
            preopened = null;
        }
        if (taken is not { } p)
        {
            return null;
        }
        if (p.Pid == pid && Ended(p.Opening) && p.Opening.IsCompletedSuccessfully)
        {
            return p.Opening.Result;
        }
        Close(p.Opening);
        return null;
    }

    /// <summary>Closes a pre-opened ring nobody claimed (an abort, a rollback, a spawn instead of a spare).</summary>
    internal static void DropPreopened()
    {
        Task<StateRing?>? opening;
        lock (PreopenGate)
        {
            opening = preopened?.Opening;
            preopened = null;
        }
        if (opening is not null)
        {
            Close(opening);
        }
    }

    private static bool Ended(Task opening)
    {
        try
        {
            return opening.Wait(PreopenWait);
        }
        catch (AggregateException)
        {
            return true; // failed: not used
        }
    }

    private static void Close(Task<StateRing?> opening) =>
        _ = opening.ContinueWith(static t => (t.IsCompletedSuccessfully ? t.Result : null)?.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>Finds, opens, maps and touches <paramref name="pid"/>'s ring without claiming it; null on any failure.</summary>
    private static StateRing? OpenAhead(int pid)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        StateRing? ring = null;
        try
        {
            ring = OpenPreparedRings(pid, Name).FirstOrDefault();
            if (ring is null)
            {
                return null;
            }
            nint map = ring.MapData();
            if (map != 0)
            {
                _ = Madvise(map, (nuint)ring.DataBytes, MadvPopulateWrite); // writable page-table entries where the kernel can (5.14+); a failure only leaves that to the writes
                byte* data = (byte*)map;
                int sum = 0;
                for (long at = 0; at < ring.DataBytes; at += 4096)
                {
                    sum += Volatile.Read(ref data[at]); // a read only: the ring is not ours until claimed
                }
                GC.KeepAlive(sum);
                ring.preMapped = map;
            }
            LastPreopenMs = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            return ring;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or StateTransferException)
        {
            ring?.Dispose();
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int Madvise(nint address, nuint length, int advice);
}
