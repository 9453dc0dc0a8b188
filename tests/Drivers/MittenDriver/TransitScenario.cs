using Mitten.GroupComm;

namespace Mitten.Tests.Drivers;

/// <summary>The state of one rank of the transit scenario: everything that must survive a move.</summary>
internal sealed class TransitState
{
    public int Iteration;
    public long[] NextExpected = [];   // per sender: next sequence number to receive
    public long[] NextToSend = [];     // per destination: next sequence number to send
    public long[] LastInStream = [];   // per (sender, tag): last sequence number received (tags carry even/odd numbers)
    public long Checksum;
    public long Received;
    public int Failures;

    public static Mitten.IStateCodec<TransitState> Codec { get; } = Mitten.StateCodec.FromDelegates<TransitState>(
        (s, stream) =>
        {
            ThrowIfFaulted("save");
            using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            w.Write(s.Iteration); w.Write(s.Checksum); w.Write(s.Received); w.Write(s.Failures);
            w.Write(s.NextExpected.Length);
            foreach (long v in s.NextExpected) { w.Write(v); }
            foreach (long v in s.NextToSend) { w.Write(v); }
            foreach (long v in s.LastInStream) { w.Write(v); }
        },
        stream =>
        {
            ThrowIfFaulted("restore");
            using var r = new BinaryReader(stream);
            var s = new TransitState { Iteration = r.ReadInt32(), Checksum = r.ReadInt64(), Received = r.ReadInt64(), Failures = r.ReadInt32() };
            int n = r.ReadInt32();
            s.NextExpected = new long[n];
            s.NextToSend = new long[n];
            for (int i = 0; i < n; i++) { s.NextExpected[i] = r.ReadInt64(); }
            for (int i = 0; i < n; i++) { s.NextToSend[i] = r.ReadInt64(); }
            s.LastInStream = new long[2 * n];
            for (int i = 0; i < 2 * n; i++) { s.LastInStream[i] = r.ReadInt64(); }
            return s;
        });

    /// <summary>MITTEN_DRIVER_CODEC_FAULT=save|restore: the codec throws there (a fault test).</summary>
    private static void ThrowIfFaulted(string operation)
    {
        if (Environment.GetEnvironmentVariable("MITTEN_DRIVER_CODEC_FAULT") == operation)
        {
            throw new InvalidOperationException($"test fault: the codec cannot {operation}");
        }
    }
}

/// <summary>
/// Every rank sends sequence-numbered messages (mixed tags and sizes, some large enough for
/// the rendezvous protocol) to every other rank in iteration k and receives them in
/// iteration k + 1, so messages are in transit at every migration point; an Allreduce per
/// iteration keeps collectives going. Checks: each message delivered exactly once, in
/// per-sender order, with intact contents; the checksum is independent of migrations.
/// </summary>
internal static class TransitScenario
{
    internal static int Run(DriverOptions options)
    {
        using var session = Mitten.MittenSession<TransitState>.Start(() => new TransitState(), TransitState.Codec,
            options.Telemetry ? TelemetryProbe.Attach() : null);
        // --on-split: everything on a derived communicator with the ranks reversed (made again by
        // a restarted job, and given back to a replacement, before the loop).
        var comm = options.OnSplit ? session.Communicator.Split(0, -session.Communicator.Rank)! : session.Communicator;
        int rank = comm.Rank, size = comm.Size;
        TransitState state = session.State;
        options.DrawRandomMigrations(size);
        bool restarted = Environment.GetEnvironmentVariable("MITTEN_RESTART_DIR") is not null;
        if (!session.IsReplacement && !restarted)
        {
            state.NextExpected = new long[size];
            state.NextToSend = new long[size];
            state.LastInStream = Enumerable.Range(0, 2 * size).Select(i => i % 2 == 0 ? -2L : -1L).ToArray();
        }
        if (restarted)
        {
            Console.WriteLine($"RESTARTED rank={rank} iteration={state.Iteration}");
        }
        else if (!session.IsReplacement)
        {
            Console.WriteLine($"START rank={rank} pid={Environment.ProcessId}");
        }
        else
        {
            Console.WriteLine($"REPLACEMENT rank={rank} pid={Environment.ProcessId} iteration={state.Iteration} t={Now}");
        }
        // Sends of the previous iteration, received by their targets in this one. They may be
        // outstanding across a migration point: a synchronization's drain completes them (and on
        // a replacement they do not exist).
        var previousSends = new List<Mitten.MittenRequest>();
        bool token = options.TokenReceiveExceptRank >= -1;
        bool tokenAcross = token && options.TokenReceiveExceptRank != rank;
        long[] tokenBuffer = new long[1];
        Mitten.MittenRequest? tokenReceive = null;
        while (state.Iteration <= options.Iterations)
        {
            session.MigrationPoint();
            int k = state.Iteration;
            if (token && k >= 1)
            {
                // The token of iteration k goes around the ring; its receive was posted before the
                // migration point (outstanding across it) unless this rank posts it only now.
                tokenReceive ??= comm.Irecv<long>(tokenBuffer, (rank + size - 1) % size, TokenTag);
                comm.Send((long)k, (rank + 1) % size, TokenTag);
                tokenReceive.Value.Wait();
                tokenReceive = null;
                if (tokenBuffer[0] != k)
                {
                    state.Failures++;
                    Console.WriteLine($"BAD rank={rank} token={tokenBuffer[0]} expected={k}");
                }
            }
            foreach (var plan in options.Migrations)
            {
                // Requested through the API by another rank than the one that moves.
                if (plan.Iteration == k && rank == (plan.Rank + 1) % size)
                {
                    comm_RequestMigration(session, plan);
                }
            }
            Trace($"rank {rank} it {k} mp done");
            if (k == options.CheckpointAt && session.Communicator.Rank == 0 && session.LastCheckpointEpoch < 0 && Environment.GetEnvironmentVariable("MITTEN_RESTART_DIR") is null)
            {
                session.RequestCheckpoint(options.CheckpointDirectory); // taken at the next migration point
            }
            if (k == options.CrashAt && Environment.GetEnvironmentVariable("MITTEN_RESTART_DIR") is null)
            {
                Console.WriteLine($"CRASH rank={rank} iteration={k} checkpoint_epoch={session.LastCheckpointEpoch}");
                Console.Out.Flush();
                System.Diagnostics.Process.GetCurrentProcess().Kill(); // SIGKILL: a crash after the checkpoint
            }
            var sends = new List<Mitten.MittenRequest>();
            if (k < options.Iterations)
            {
                SendIteration(comm, state, k, sends);
            }
            if (options.ComputeMilliseconds > 0 && rank != options.DelayRank)
            {
                Thread.Sleep(options.ComputeMilliseconds);
            }
            if (k > 0 && options.NonBlockingReceives)
            {
                ReceiveIterationNonBlocking(comm, state, k - 1);
                Event("recv", rank, k);
            }
            else if (k > 0)
            {
                ReceiveIteration(comm, state, k - 1);
                Event("recv", rank, k);
            }
            Trace($"rank {rank} it {k} received");
            Mitten.MittenRequest.WaitAll(previousSends);
            previousSends = sends;
            Trace($"rank {rank} it {k} sends done");
            state.Checksum = comm.Allreduce(state.Checksum % 1_000_003, Op.Sum) + k;
            Event("allreduce", rank, k);
            if (rank == options.DelayRank)
            {
                Thread.Sleep(options.DelayMilliseconds); // arrives at its migration point after the others
            }
            if (tokenAcross && k + 1 <= options.Iterations)
            {
                tokenReceive = comm.Irecv<long>(tokenBuffer, (rank + size - 1) % size, TokenTag);
            }
            state.Iteration++;
        }
        Mitten.MittenRequest.WaitAll(previousSends);
        long expectedPerSender = Enumerable.Range(0, options.Iterations).Sum(MessagesIn);
        bool complete = Enumerable.Range(0, size).Where(s => s != rank).All(s => state.NextExpected[s] == expectedPerSender);
        Check.That("all-delivered-once", complete && state.Failures == 0,
            $"expected {expectedPerSender} from each sender, got [{string.Join(",", state.NextExpected)}], failures={state.Failures}");
        Check.That("in-order", state.Failures == 0, $"{state.Failures} out-of-order or corrupted messages");
        Console.WriteLine($"RESULT rank={rank} checksum={state.Checksum} received={state.Received}");
        foreach (var report in session.MigrationHistory)
        {
            Console.WriteLine($"MIGRATION rank={rank} {report}");
        }
        Console.WriteLine($"END rank={rank} pid={Environment.ProcessId}");
        session.Finish();
        return 0;
    }

    private static void comm_RequestMigration(Mitten.MittenSession<TransitState> session, MigrationPlan plan) =>
        session.RequestMigration(plan.Rank, plan.Host);

    private static readonly bool Events = Environment.GetEnvironmentVariable("MITTEN_DRIVER_EVENTS") == "1";

    private static string Now => DateTime.UtcNow.ToString("HH:mm:ss.fff");

    /// <summary>Timestamped operation lines, to show other ranks communicating while one migrates.</summary>
    private static void Event(string kind, int rank, int iteration)
    {
        if (Events)
        {
            Console.WriteLine($"OP t={Now} rank={rank} op={kind} it={iteration}");
        }
    }

    private static readonly bool Tracing = Environment.GetEnvironmentVariable("MITTEN_DRIVER_TRACE") == "1";

    private static void Trace(string text)
    {
        if (Tracing)
        {
            Console.Error.WriteLine(text);
        }
    }

    // Iteration parity is in the tag, so a wildcard receive never takes the next iteration's message.
    private static int TagOf(int iteration, long sequence) => 10 + 2 * (iteration % 2) + (int)(sequence % 2);

    private static int MessagesIn(int iteration) => iteration % 3 + 1;

    private static int LengthOf(int iteration, int sender, long sequence) =>
        (sequence % 5 == 3) ? 40_000 + sender : 3 + (int)(sequence % 17);

    private static void SendIteration(Mitten.MittenCommunicator comm, TransitState state, int k, List<Mitten.MittenRequest> sends)
    {
        for (int dest = 0; dest < comm.Size; dest++)
        {
            if (dest == comm.Rank)
            {
                continue;
            }
            for (int m = 0; m < MessagesIn(k); m++)
            {
                long seq = state.NextToSend[dest]++;
                long[] payload = new long[LengthOf(k, comm.Rank, seq)];
                payload[0] = seq;
                payload[1] = comm.Rank;
                for (int i = 2; i < payload.Length; i++)
                {
                    payload[i] = seq * 31 + i + comm.Rank;
                }
                // Large messages go non-blocking (every rank sends before it receives); small ones blocking.
                if (payload.Length > 1000)
                {
                    sends.Add(comm.Isend<long>(payload, dest, TagOf(k, seq)));
                }
                else
                {
                    comm.Send<long>(payload, dest, TagOf(k, seq));
                }
            }
        }
    }

    private static void ReceiveIteration(Mitten.MittenCommunicator comm, TransitState state, int k)
    {
        long[] buffer = new long[50_000];
        int[] remaining = new int[comm.Size];
        for (int p = 0; p < comm.Size; p++)
        {
            remaining[p] = p == comm.Rank ? 0 : MessagesIn(k);
        }
        int expected = MessagesIn(k) * (comm.Size - 1);
        for (int i = 0; i < expected; i++)
        {
            // Mixed receive styles: wildcards, a specific sender, and a specific sender and tag
            // (its next message in order, whose tag is known from its sequence number).
            int next = Array.FindIndex(remaining, r => r > 0);
            long nextSeq = Math.Max(state.LastInStream[2 * next], state.LastInStream[2 * next + 1]) + 1;
            Trace($"rank {comm.Rank} it {k + 1} waiting style {i % 3} next {next} nextSeq {nextSeq}");
            var status = (i % 3) switch
            {
                0 => comm.Recv<long>(buffer, Mitten.MittenCommunicator.AnySource, TagOf(k, nextSeq)),
                1 => comm.Recv<long>(buffer, next, Mitten.MittenCommunicator.AnyTag),
                _ => comm.Recv<long>(buffer, next, TagOf(k, nextSeq)),
            };
            remaining[status.Source]--;
            Trace($"rank {comm.Rank} it {k + 1} got from {status.Source} seq {buffer[0]} tag {status.Tag} style {i % 3} remaining [{string.Join(",", remaining)}]");
            CheckMessage(comm, state, k, status, buffer);
        }
    }

    private const int TokenTag = 5;

    /// <summary>
    /// The same messages as <see cref="ReceiveIteration"/>, by non-blocking receives: all posted
    /// (per sender in sequence order, alternating a wildcard tag and the exact tag), then waited
    /// for in reverse order; matching follows the posting order, so each gets its sender's next message.
    /// </summary>
    private static void ReceiveIterationNonBlocking(Mitten.MittenCommunicator comm, TransitState state, int k)
    {
        var posted = new List<(Mitten.MittenRequest Request, long[] Buffer)>();
        for (int sender = 0; sender < comm.Size; sender++)
        {
            if (sender == comm.Rank)
            {
                continue;
            }
            long first = Math.Max(state.LastInStream[2 * sender], state.LastInStream[2 * sender + 1]) + 1;
            for (int j = 0; j < MessagesIn(k); j++)
            {
                long[] buffer = new long[LengthOf(k, sender, first + j) + 1];
                int tag = j % 2 == 0 ? Mitten.MittenCommunicator.AnyTag : TagOf(k, first + j);
                posted.Add((comm.Irecv<long>(buffer, sender, tag), buffer));
            }
        }
        var statuses = new Mitten.ReceiveStatus[posted.Count];
        for (int i = posted.Count - 1; i >= 0; i--)
        {
            statuses[i] = posted[i].Request.Wait();
        }
        for (int i = 0; i < posted.Count; i++)
        {
            CheckMessage(comm, state, k, statuses[i], posted[i].Buffer);
        }
    }

    private static void CheckMessage(Mitten.MittenCommunicator comm, TransitState state, int k, Mitten.ReceiveStatus status, long[] buffer)
    {
        int sender = (int)buffer[1];
        long seq = buffer[0];
        bool ok = sender == status.Source && status.Tag == TagOf(k, seq) && status.Count == LengthOf(k, sender, seq);
        for (int j = 2; j < status.Count && ok; j++)
        {
            ok = buffer[j] == seq * 31 + j + sender;
        }
        // Exactly once and in order per (sender, tag) stream: each is the previous + 2.
        int stream = 2 * sender + (int)(seq % 2);
        ok = ok && seq == state.LastInStream[stream] + 2;
        state.LastInStream[stream] = seq;
        if (!ok)
        {
            state.Failures++;
            Console.WriteLine($"BAD rank={comm.Rank} from={sender} seq={seq} tag={status.Tag} count={status.Count}");
        }
        state.NextExpected[sender] = Math.Max(state.NextExpected[sender], seq + 1);
        state.Received++;
        state.Checksum += seq * (sender + 1);
    }
}
