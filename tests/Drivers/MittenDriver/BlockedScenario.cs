using Mitten.GroupComm;

namespace Mitten.Tests.Drivers;

internal sealed class BlockedState
{
    public int Iteration;
    public long Sum;

    public static Mitten.IStateCodec<BlockedState> Codec { get; } = Mitten.StateCodec.FromDelegates<BlockedState>(
        (s, stream) => { using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, true); w.Write(s.Iteration); w.Write(s.Sum); },
        stream => { using var r = new BinaryReader(stream); return new BlockedState { Iteration = r.ReadInt32(), Sum = r.ReadInt64() }; });
}

/// <summary>
/// Rank 1 receives, in iteration k, the message rank 0 sends only in iteration k + 1 (after
/// its next migration point): when rank 0 migrates, rank 1 is blocked on a partner that is
/// waiting at the synchronization point. It must be woken, its receive repeated on the new
/// group, and the program must complete with the same result. Other ranks only compute
/// and take part in the collectives. With --irecv rank 1's receives are MittenCommunicator.Irecv
/// + MittenRequest.Wait, so it is blocked in the request's wait instead.
/// </summary>
internal static class BlockedScenario
{
    internal static int Run(DriverOptions options)
    {
        using var session = Mitten.MittenSession<BlockedState>.Start(() => new BlockedState(), BlockedState.Codec);
        var comm = session.Communicator;
        int rank = comm.Rank;
        var state = session.State;
        int n = options.Iterations;
        bool restarted = Environment.GetEnvironmentVariable("MITTEN_RESTART_DIR") is { Length: > 0 };
        // Rank 1 waits across its migration point (for the message rank 0 sends only after its
        // next one) in iterations below BlockedUntil - 1; from BlockedUntil on it receives each
        // iteration's message within the iteration.
        int until = Math.Min(options.BlockedUntil, n);
        if (rank == 1 && !session.IsReplacement && !restarted)
        {
            state.Sum += Receive(comm, options.NonBlockingReceives); // message 0, sent in rank 0's first iteration
        }
        while (state.Iteration < n)
        {
            session.MigrationPoint();
            int k = state.Iteration;
            foreach (var plan in options.Migrations)
            {
                if (plan.Iteration == k && rank == plan.Rank)
                {
                    session.RequestMigration(plan.Rank, plan.Host);
                }
            }
            if (k == options.CheckpointAt && rank == 0 && !restarted)
            {
                session.RequestCheckpoint(options.CheckpointDirectory); // taken at a later migration point
            }
            if (k == options.CrashAt && !restarted)
            {
                Console.WriteLine($"CRASH rank={rank} iteration={k} checkpoint_epoch={session.LastCheckpointEpoch}");
                Console.Out.Flush();
                System.Diagnostics.Process.GetCurrentProcess().Kill();
            }
            if (rank == 0)
            {
                Thread.Sleep(options.ComputeMilliseconds); // the partner is already waiting
                comm.Send(1000L + k, 1, 5);
            }
            state.Sum += comm.Allreduce((long)k, Op.Sum);
            if (rank == 1 && k >= until && k > 0)
            {
                state.Sum += Receive(comm, options.NonBlockingReceives); // message k, sent in this iteration
            }
            if (rank == 1 && k + 1 < n && k + 1 < until)
            {
                // Waits for message k + 1, which rank 0 sends only after its next migration point.
                state.Sum += Receive(comm, options.NonBlockingReceives);
            }
            state.Iteration++;
        }
        Console.WriteLine($"RESULT rank={rank} sum={state.Sum}");
        foreach (var report in session.MigrationHistory)
        {
            Console.WriteLine($"MIGRATION rank={rank} {report}");
        }
        Console.WriteLine($"CHECKPOINT rank={rank} epoch={session.LastCheckpointEpoch}");
        Check.That("completed", true);
        session.Finish();
        return 0;
    }

    /// <summary>Rank 0's next message: a blocking receive, or (<paramref name="nonBlocking"/>) a request and its wait.</summary>
    private static long Receive(Mitten.MittenCommunicator comm, bool nonBlocking)
    {
        if (!nonBlocking)
        {
            return comm.Recv<long>(0, 5);
        }
        long[] one = new long[1];
        comm.Irecv<long>(one, 0, 5).Wait();
        return one[0];
    }
}
