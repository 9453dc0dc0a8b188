using System.Runtime.InteropServices;

namespace Mitten.Protocol;

/// <summary>
/// A wake-up between the two processes of a state ring (docs/PROTOCOL.md, "The state transfer"):
/// a 32-bit counter and a "someone sleeps" flag on the ring's shared control page. The side that
/// makes progress (the writer publishing bytes, the reader crediting them) calls
/// <see cref="Raise"/>; the side that waits calls <see cref="Wait"/>, which spins briefly (the
/// other process is usually running on the other core and answers within microseconds) and then
/// sleeps in the kernel (<c>futex</c> on the shared page, so the wake-up crosses processes) until
/// raised or until the timeout, after which the caller checks its deadlines and the other side's
/// liveness and waits again. The sleep is what matters on a loaded machine: a waiter that polled
/// with <c>sched_yield</c> kept its core busy and took CPU time from the process it waited for.
/// Where futex is not available (not Linux x64/arm64) the wait is a short sleep.
/// </summary>
internal readonly unsafe struct RingSignal
{
    private const int FutexWait = 0, FutexWake = 1; // shared (not FUTEX_PRIVATE_FLAG): two processes map the page

    /// <summary>How long a waiter spins before it sleeps: about the time one 256 KiB slice takes to copy.</summary>
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 20_000; // 50 µs

    private static readonly long FutexCall = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 when OperatingSystem.IsLinux() => 202,
        Architecture.Arm64 when OperatingSystem.IsLinux() => 98,
        _ => -1,
    };

    private readonly int* counter;
    private readonly int* sleeping;

    /// <summary>The signal whose counter and flag are the two 32-bit words at <paramref name="words"/> (on the shared page).</summary>
    internal RingSignal(int* words)
    {
        counter = words;
        sleeping = words + 1;
    }

    /// <summary>
    /// After the caller's shared word changed (published bytes, a credit): bumps the counter and,
    /// if the other side sleeps on it, wakes it (one system call only then).
    /// </summary>
    internal void Raise()
    {
        _ = Interlocked.Increment(ref *counter); // a full barrier: the caller's word is visible before the flag is read
        if (Volatile.Read(ref *sleeping) != 0 && FutexCall > 0)
        {
            _ = Futex(FutexCall, counter, FutexWake, int.MaxValue, null, null, 0);
        }
    }

    /// <summary>One wake call with nobody asleep (at start-up: the native call's stub is made before a migration needs it).</summary>
    internal void Exercise()
    {
        if (FutexCall > 0)
        {
            _ = Futex(FutexCall, counter, FutexWake, int.MaxValue, null, null, 0);
        }
    }

    /// <summary>
    /// Waits until <paramref name="ready"/> holds, <see cref="Raise"/> is called, or
    /// <paramref name="timeoutMs"/> passes; returns whether <paramref name="ready"/> held when it
    /// returned. Spurious returns are allowed (the caller loops).
    /// </summary>
    internal bool Wait(Func<bool> ready, int timeoutMs)
    {
        long spinUntil = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
        var spinner = new SpinWait();
        do
        {
            if (ready())
            {
                return true;
            }
            if (spinner.Count < 10)
            {
                spinner.SpinOnce(sleep1Threshold: -1); // pause instructions, no yield to the scheduler
            }
            else
            {
                Thread.SpinWait(50);
            }
        }
        while (System.Diagnostics.Stopwatch.GetTimestamp() < spinUntil);

        int seen = Volatile.Read(ref *counter);
        Interlocked.Exchange(ref *sleeping, 1); // a full barrier before the second look
        try
        {
            if (ready())
            {
                return true;
            }
            if (FutexCall < 0)
            {
                Thread.Sleep(1);
            }
            else
            {
                long* timeout = stackalloc long[2] { timeoutMs / 1000, timeoutMs % 1000 * 1_000_000L };
                // Returns at once if the counter moved since it was read (EAGAIN): no wake-up is lost.
                _ = Futex(FutexCall, counter, FutexWait, seen, timeout, null, 0);
            }
        }
        finally
        {
            // One waiter per signal (the writer waits on the reader's, the reader on the writer's).
            Volatile.Write(ref *sleeping, 0);
        }
        return ready();
    }

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long Futex(long number, int* address, int operation, int value, long* timeout, int* address2, int value3);
}
