using System.Diagnostics;
using System.Runtime.InteropServices;
using Mitten.GroupComm;

namespace Mitten.Tests.Drivers;

/// <summary>
/// <see cref="InterruptibleWait"/>: a receive blocked in MPI_Wait that a word of memory
/// interrupts (<see cref="Scenarios"/>). Each rank receives from itself, so every case is local.
/// </summary>
internal static partial class Scenarios
{
    private const long Flag = 1L << 62;

    internal static unsafe void Interruptible()
    {
        int rank = World.Rank;
        bool installed = InterruptibleWait.TryInstall(out string? reason);
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            // Elsewhere the binding has no hook: it says why and the caller polls.
            Check.That("hook-absent-says-why", !installed && reason is { Length: > 0 }, reason ?? "");
            return;
        }
        Check.That("hook-installed", installed && InterruptibleWait.IsInstalled, reason ?? "");
        Check.Equal("install-twice", true, InterruptibleWait.TryInstall(out _));
        long* word = (long*)NativeMemory.AllocZeroed(sizeof(long));
        int[] one = new int[1];
        try
        {
            // A message that arrives completes the wait normally; an unrelated bit does not interrupt.
            *word = 1;
            Request send = World.Isend<int>(new[] { rank + 40 }, rank, 1);
            long before = InterruptibleWait.Interrupts;
            Status got = WaitOne(word, one, rank, 1, out int rc);
            send.Wait();
            Check.Equal("message-rc", 0, rc);
            Check.Equal("message-not-cancelled", false, got.Cancelled);
            Check.Equal("message-value", rank + 40, one[0]);
            Check.Equal("message-source", rank, got.Source);
            Check.Equal("message-no-interrupt", before, InterruptibleWait.Interrupts);

            // The flag set while the receive waits (by another thread, as a remote one-sided
            // operation would be applied): the hook cancels it and MPI_Wait returns.
            *word = 0;
            var timer = Stopwatch.StartNew();
            var setter = new Thread(() =>
            {
                Thread.Sleep(200);
                Volatile.Write(ref *word, Flag);
            });
            setter.Start();
            got = WaitOne(word, one, rank, 2, out rc);
            double waitedMs = timer.Elapsed.TotalMilliseconds;
            setter.Join();
            Check.Equal("interrupted-rc", 0, rc);
            Check.Equal("interrupted-cancelled", true, got.Cancelled);
            Check.That("interrupted-after-the-flag", waitedMs >= 150 && waitedMs < 10_000, $"{waitedMs:F0} ms");
            Check.Equal("interrupted-counted", before + 1, InterruptibleWait.Interrupts);

            // A flag already set interrupts at once.
            timer.Restart();
            got = WaitOne(word, one, rank, 3, out rc);
            Check.Equal("preset-cancelled", true, got.Cancelled);
            Check.That("preset-prompt", timer.Elapsed.TotalMilliseconds < 1_000, $"{timer.Elapsed.TotalMilliseconds:F0} ms");

            // A receive MPI has already matched is not cancelled by the flag: its message is kept.
            World.Send(rank + 50, rank, 4); // eager: waits in this rank's unexpected queue
            got = WaitOne(word, one, rank, 4, out rc);
            Check.Equal("matched-not-cancelled", false, got.Cancelled);
            Check.Equal("matched-value", rank + 50, one[0]);

            // Nothing was lost or left behind: the cancelled receives took no message.
            *word = 0;
            World.Send(rank + 60, rank, 2);
            got = WaitOne(word, one, rank, 2, out rc);
            Check.Equal("after-cancel-value", rank + 60, one[0]);
            Check.Equal("iprobe-nothing-left", false, World.Iprobe(Mpi.AnySource, Mpi.AnyTag, out _));
        }
        finally
        {
            NativeMemory.Free(word);
        }
        World.Barrier();
    }

    private static unsafe Status WaitOne(long* word, int[] into, int source, int tag, out int rc)
    {
        fixed (int* p = into)
        {
            RequestHandle receive = RequestHandle.StartReceive(World, p, 1, source, tag);
            rc = receive.WaitUnlessFlagged(word, Flag, out Status status);
            return status;
        }
    }
}
