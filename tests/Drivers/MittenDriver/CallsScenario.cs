using Mitten;
using Mitten.GroupComm;

namespace Mitten.Tests.Drivers;

internal sealed class CallsState
{
    public int Iteration;
    public long Checksum;
    public int Failures;

    public static IStateCodec<CallsState> Codec { get; } = StateCodec.FromDelegates<CallsState>(
        (s, stream) => { using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, true); w.Write(s.Iteration); w.Write(s.Checksum); w.Write(s.Failures); },
        stream => { using var r = new BinaryReader(stream); return new CallsState { Iteration = r.ReadInt32(), Checksum = r.ReadInt64(), Failures = r.ReadInt32() }; });
}

/// <summary>
/// The calls real codes use, each checked against values computed locally, with operations
/// blocked across other ranks' migration points (needs at least 3 ranks):
/// <list type="bullet">
/// <item>every rank sends its right neighbour a message at the end of iteration k, received in
/// k + 1 with Probe (odd k) or an Iprobe loop (even k) and a receive of the probed size: in
/// transit at each migration point, so a migration drains it and the probe finds it in the
/// received-message-list;</item>
/// <item>rank 0 ends iteration k with an Ssend to rank 1, received only after rank 1's next
/// migration point (rank 0 is blocked in it while rank 1 stops);</item>
/// <item>rank 2 ends iteration k with a blocking Probe and a WaitAny over receives of what ranks 1
/// and 0 send only after their next migration point (blocked across them);</item>
/// <item>a non-periodic halo exchange with Sendrecv (MPI_PROC_NULL at the ends), a periodic
/// Sendrecv_replace, Isend/Irecv to everyone completed by WaitSome, TestAny or TestAll, and
/// Gatherv, Scatterv, Allgatherv, Reduce_scatter_block and Exscan;</item>
/// <item>with --truncate-at K: rank 0 sends rank 1 a 10-element message in iteration K that rank
/// 1 receives into 5 elements after its next migration point (a MessageTruncatedException);</item>
/// <item>an Allreduce with a user-defined operation (Op.Create).</item>
/// </list>
/// The checksum folds in everything received, so it is the same with and without migrations.
/// </summary>
internal static class CallsScenario
{
    private const int SsendTag = 40, ToTwoTag = 41, ProbedTag = 42, FromZeroTag = 43, RingTag = 44, TruncatedTag = 45,
        HaloTag = 46, ReplaceTag = 47, SetTag = 48, TruncatedRequestTag = 49;

    private static CallsState state = new();
    private static MittenCommunicator comm = null!;

    internal static int Run(DriverOptions options)
    {
        using var session = MittenSession<CallsState>.Start(() => new CallsState(), CallsState.Codec);
        comm = session.Communicator;
        state = session.State;
        int rank = comm.Rank, size = comm.Size;
        if (size < 3)
        {
            throw new ArgumentException("the calls scenario needs at least 3 ranks");
        }
        int n = options.Iterations;
        Console.WriteLine(session.IsReplacement ? $"REPLACEMENT rank={rank} iteration={state.Iteration}" : $"START rank={rank}");
        if (session.IsReplacement)
        {
            // Rule: no communication before the first migration point on a replacement; it is refused, not hung.
            Check.Throws<InvalidOperationException>("replacement-communication-refused", () => comm.Send(1L, (rank + 1) % size, RingTag),
                e => e.Message.Contains("first migration point"));
            // The same for collectives, which must not count themselves when refused: the later
            // migrations compare every rank's collective count, and one too many here fails them.
            Check.Throws<InvalidOperationException>("replacement-barrier-refused", () => comm.Barrier(),
                e => e.Message.Contains("first migration point"));
            Check.Throws<InvalidOperationException>("replacement-allreduce-refused", () => comm.Allreduce(1L, Op.Sum),
                e => e.Message.Contains("first migration point"));
            Check.Throws<InvalidOperationException>("replacement-exscan-refused", () => comm.Exscan<long>([1L], new long[1], Op.Sum),
                e => e.Message.Contains("first migration point"));
        }
        while (state.Iteration < n)
        {
            session.MigrationPoint();
            int k = state.Iteration;
            foreach (var plan in options.Migrations)
            {
                if (plan.Iteration == k && rank == plan.Rank)
                {
                    session.RequestMigration(plan.Rank, plan.Host); // taken at its next migration point
                }
            }
            if (k > 0)
            {
                ReceiveWhatCrossedTheMigrationPoint(k - 1, options);
            }
            HaloExchange(k);
            RequestSets(k);
            Collectives(k);
            if (k + 1 < n)
            {
                SendAcrossTheMigrationPoint(k, options);
            }
            state.Iteration++;
        }
        Check.That("calls-ok", state.Failures == 0, $"{state.Failures} failed checks");
        multiplyModPrime.Free();
        Console.WriteLine($"RESULT rank={rank} checksum={state.Checksum}");
        foreach (var report in session.MigrationHistory)
        {
            Console.WriteLine($"MIGRATION rank={rank} {report}");
        }
        session.Finish();
        return 0;
    }

    private static long Value(int rank, int k, int i) => rank * 1_000_000L + k * 1000L + i;

    private static void Expect(bool ok, string what)
    {
        if (!ok)
        {
            state.Failures++;
            Console.WriteLine($"BAD rank={comm.Rank} it={state.Iteration} {what}");
        }
    }

    private static int RingLength(int sender, int k) => 1 + (k * 7 + sender) % 13;

    /// <summary>End of iteration k: messages received after the receivers' next migration point.</summary>
    private static void SendAcrossTheMigrationPoint(int k, DriverOptions options)
    {
        int rank = comm.Rank, size = comm.Size;
        long[] ring = new long[RingLength(rank, k)];
        for (int i = 0; i < ring.Length; i++)
        {
            ring[i] = Value(rank, k, i);
        }
        comm.Send<long>(ring, (rank + 1) % size, RingTag);
        if (rank == 0)
        {
            if (k == options.TruncateAt)
            {
                long[] big = new long[10];
                comm.Send<long>(big, 1, TruncatedTag);
                comm.Send<long>(big, 1, TruncatedRequestTag); // received by an Irecv + Wait
            }
            // Completes only once rank 1 receives it, after its next migration point.
            comm.Ssend<long>([1000L + k], 1, SsendTag);
        }
        if (rank == 2)
        {
            // Rank 1 sends these only after its next migration point (and after rank 0's Ssend completes).
            ReceiveProbed(1, ProbedTag, k + 1, blocking: true);
            long[] fromOne = new long[1], fromZero = new long[1];
            MittenRequest[] requests = [comm.Irecv<long>(fromOne, 1, ToTwoTag), comm.Irecv<long>(fromZero, 0, FromZeroTag)];
            bool[] seen = new bool[2];
            for (int j = 0; j < 2; j++)
            {
                int index = MittenRequest.WaitAny(requests, out ReceiveStatus status);
                Expect(index is 0 or 1 && !seen[index], $"waitany index {index}");
                if (index is 0 or 1)
                {
                    seen[index] = true;
                    Expect(status.Source == (index == 0 ? 1 : 0) && status.Count == 1, $"waitany status {status}");
                }
            }
            Expect(MittenRequest.WaitAny(requests, out ReceiveStatus none) == -1 && none.Source == -1, "waitany over spent requests");
            Expect(fromOne[0] == 2000L + k + 1 && fromZero[0] == 3000L + k + 1, $"waitany values {fromOne[0]} {fromZero[0]}");
            state.Checksum += fromOne[0] + 3 * fromZero[0];
        }
    }

    /// <summary>Start of iteration k + 1: what was sent at the end of iteration k, and what rank 2 waits for.</summary>
    private static void ReceiveWhatCrossedTheMigrationPoint(int k, DriverOptions options)
    {
        int rank = comm.Rank, size = comm.Size;
        if (rank == 1)
        {
            long got = comm.Recv<long>(0, SsendTag);
            Expect(got == 1000L + k, $"ssend value {got}");
            state.Checksum += got;
            if (k == options.TruncateAt)
            {
                long[] small = new long[5];
                try
                {
                    comm.Recv<long>(small, 0, TruncatedTag);
                    Expect(false, "a truncated receive did not throw");
                }
                catch (MessageTruncatedException e)
                {
                    Check.That("truncation", e.Message.Contains("truncated") && e.BufferBytes == 40 && e.SenderRank == 0 && e.Tag == TruncatedTag,
                        e.Message);
                    Console.WriteLine($"TRUNCATION rank=1 message_bytes={e.MessageBytes} from_mpi={e.InnerException is MpiException} message={e.Message}");
                }
                try
                {
                    comm.Irecv<long>(small, 0, TruncatedRequestTag).Wait();
                    Expect(false, "a truncated non-blocking receive did not throw");
                }
                catch (MessageTruncatedException e)
                {
                    Check.That("request-truncation", e.BufferBytes == 40 && e.SenderRank == 0 && e.Tag == TruncatedRequestTag, e.Message);
                    Console.WriteLine($"TRUNCATION-REQUEST rank=1 message_bytes={e.MessageBytes} from_mpi={e.InnerException is MpiException} message={e.Message}");
                }
            }
            comm.Send(2000L + k + 1, 2, ToTwoTag);
            long[] probed = new long[1 + (k + 1) % 5];
            for (int i = 0; i < probed.Length; i++)
            {
                probed[i] = Value(1, k + 1, i);
            }
            comm.Send<long>(probed, 2, ProbedTag);
        }
        if (rank == 0)
        {
            comm.Send(3000L + k + 1, 2, FromZeroTag);
        }
        ReceiveProbed((rank + size - 1) % size, RingTag, k, blocking: k % 2 == 1);
    }

    /// <summary>Probes for a message of unknown length from <paramref name="sender"/>, then receives exactly that many elements.</summary>
    private static void ReceiveProbed(int sender, int tag, int k, bool blocking)
    {
        ReceiveStatus probed;
        if (blocking)
        {
            probed = comm.Probe<long>(k % 3 == 0 ? MittenCommunicator.AnySource : sender, tag);
        }
        else
        {
            while (!comm.Iprobe<long>(sender, k % 3 == 0 ? MittenCommunicator.AnyTag : tag, out probed))
            {
                Thread.Yield();
            }
        }
        int expectedLength = tag == RingTag ? RingLength(sender, k) : 1 + k % 5;
        Expect(probed.Source == sender && probed.Tag == tag && probed.Count == expectedLength, $"probe {probed} expected {expectedLength} from {sender}");
        long[] buffer = new long[Math.Max(probed.Count, 0)];
        ReceiveStatus got = comm.Recv<long>(buffer, probed.Source, probed.Tag);
        Expect(got == probed, $"received {got} after probing {probed}");
        for (int i = 0; i < buffer.Length; i++)
        {
            Expect(buffer[i] == Value(sender, k, i), $"probed message element {i} = {buffer[i]}");
            state.Checksum += buffer[i] % 9973;
        }
    }

    /// <summary>A non-periodic halo exchange with Sendrecv, then a periodic shift with Sendrecv_replace.</summary>
    private static void HaloExchange(int k)
    {
        int rank = comm.Rank, size = comm.Size;
        int left = rank == 0 ? MittenCommunicator.ProcNull : rank - 1;
        int right = rank == size - 1 ? MittenCommunicator.ProcNull : rank + 1;
        const int Width = 600; // 4800 bytes: above the 4 KiB eager limit on shared memory
        double[] edge = new double[Width], halo = new double[Width];
        for (int i = 0; i < Width; i++)
        {
            edge[i] = Value(rank, k, i);
        }
        // Rightward: my right edge to the right, my left halo from the left.
        ReceiveStatus status = comm.Sendrecv<double, double>(edge, right, HaloTag, halo, left, HaloTag);
        if (left == MittenCommunicator.ProcNull)
        {
            Expect(status.Count == 0, $"sendrecv from MPI_PROC_NULL {status}");
        }
        else
        {
            Expect(status.Source == left && status.Count == Width && halo[Width - 1] == Value(left, k, Width - 1), $"sendrecv {status} {halo[Width - 1]}");
            state.Checksum += (long)halo[7] % 10007;
        }
        long[] shifted = new long[3 + k % 4];
        for (int i = 0; i < shifted.Length; i++)
        {
            shifted[i] = Value(rank, k, i);
        }
        int from = (rank + 1) % size;
        status = comm.Sendrecv_replace<long>(shifted, (rank + size - 1) % size, ReplaceTag, from, ReplaceTag);
        Expect(status.Source == from && status.Tag == ReplaceTag && status.Count == shifted.Length && shifted[^1] == Value(from, k, shifted.Length - 1),
            $"sendrecv_replace {status} {shifted[^1]}");
        state.Checksum += shifted[0] % 10009;
    }

    /// <summary>Receives from and sends to every other rank, completed by WaitSome, TestAny or TestAll by iteration.</summary>
    private static void RequestSets(int k)
    {
        int rank = comm.Rank, size = comm.Size;
        var buffers = new long[size][];
        var receives = new MittenRequest[size];
        var sends = new MittenRequest[size];
        for (int p = 0; p < size; p++)
        {
            buffers[p] = new long[2];
            if (p != rank)
            {
                receives[p] = comm.Irecv<long>(buffers[p], p, SetTag);
                sends[p] = comm.Isend<long>(new long[] { Value(rank, k, p), k }, p, SetTag);
            }
        }
        var statuses = new ReceiveStatus[size];
        int done = 0;
        switch (k % 3)
        {
            case 0:
                var indices = new int[size];
                var some = new ReceiveStatus[size];
                int count;
                while ((count = MittenRequest.WaitSome(receives, indices, some)) != -1)
                {
                    for (int j = 0; j < count; j++)
                    {
                        statuses[indices[j]] = some[j];
                        done++;
                    }
                }
                break;
            case 1:
                while (true)
                {
                    if (MittenRequest.TestAny(receives, out int index, out ReceiveStatus status))
                    {
                        if (index < 0)
                        {
                            break;
                        }
                        statuses[index] = status;
                        done++;
                    }
                    else
                    {
                        Thread.Yield();
                    }
                }
                break;
            default:
                while (!MittenRequest.TestAll(receives, statuses))
                {
                    Thread.Yield();
                }
                done = size - 1;
                break;
        }
        Expect(done == size - 1, $"request set completed {done} receives");
        MittenRequest.WaitAll(sends);
        for (int p = 0; p < size; p++)
        {
            if (p == rank)
            {
                continue;
            }
            Expect(receives[p].IsCompleted && statuses[p].Source == p && statuses[p].Count == 2 && buffers[p][0] == Value(p, k, rank),
                $"request set from {p}: {statuses[p]} {buffers[p][0]}");
            state.Checksum += buffers[p][0] % 10037;
        }
    }

    /// <summary>The v-collectives, Reduce_scatter_block and Exscan, checked against local computations.</summary>
    private static void Collectives(int k)
    {
        int rank = comm.Rank, size = comm.Size, root = k % size;
        int[] counts = new int[size], displacements = new int[size];
        int total = 0;
        for (int r = 0; r < size; r++)
        {
            counts[r] = 1 + (r + k) % 3;
            displacements[r] = total;
            total += counts[r];
        }
        long[] mine = new long[counts[rank]];
        for (int i = 0; i < mine.Length; i++)
        {
            mine[i] = Value(rank, k, i);
        }
        long[] expected = new long[total];
        for (int r = 0; r < size; r++)
        {
            for (int i = 0; i < counts[r]; i++)
            {
                expected[displacements[r] + i] = Value(r, k, i);
            }
        }
        long[] gathered = new long[total];
        comm.Gatherv<long>(mine, rank == root ? gathered : [], counts, displacements, root);
        if (rank == root)
        {
            Expect(gathered.AsSpan().SequenceEqual(expected), "gatherv");
        }
        long[] scattered = new long[counts[rank]];
        comm.Scatterv<long>(rank == root ? expected : [], counts, displacements, scattered, root);
        Expect(scattered.AsSpan().SequenceEqual(mine), "scatterv");
        long[] all = new long[total];
        comm.Allgatherv<long>(mine, all, counts, displacements);
        Expect(all.AsSpan().SequenceEqual(expected), "allgatherv");
        long[] contributions = new long[2 * size];
        for (int i = 0; i < contributions.Length; i++)
        {
            contributions[i] = rank + i + k;
        }
        long[] block = new long[2];
        comm.Reduce_scatter_block<long>(contributions, block, Op.Sum);
        long sumOfRanks = size * (size - 1L) / 2;
        Expect(block[0] == sumOfRanks + size * (2L * rank + k) && block[1] == sumOfRanks + size * (2L * rank + 1 + k), $"reduce_scatter_block {block[0]} {block[1]}");
        long[] prefix = [-1];
        comm.Exscan<long>([rank + 1L + k], prefix, Op.Sum);
        if (rank > 0)
        {
            Expect(prefix[0] == (long)rank * (rank + 1) / 2 + (long)rank * k, $"exscan {prefix[0]}");
        }
        state.Checksum += all.Sum() % 10039 + block[0] % 10061 + (rank > 0 ? prefix[0] : 0);
        // A user-defined operation: products modulo a prime (created again by a replacement: it is code, not state).
        long[] factors = [rank + 2L + k, 3L * rank + 1];
        long[] product = new long[2];
        comm.Allreduce<long>(factors, product, MultiplyModPrime);
        long want0 = 1, want1 = 1;
        for (int r = 0; r < size; r++)
        {
            want0 = want0 * (r + 2L + k) % Prime;
            want1 = want1 * (3L * r + 1) % Prime;
        }
        Expect(product[0] == want0 && product[1] == want1, $"user-defined allreduce {product[0]} {product[1]}, expected {want0} {want1}");
        state.Checksum += product[0] % 10067;
    }

    private const long Prime = 1_000_003;

    private static Op multiplyModPrime;

    private static unsafe Op MultiplyModPrime
    {
        get
        {
            if (!multiplyModPrime.IsUserDefined)
            {
                multiplyModPrime = Op.Create(&MultiplyModPrimeFunction, commutative: true);
            }
            return multiplyModPrime;
        }
    }

    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static unsafe void MultiplyModPrimeFunction(void* input, void* inputOutput, int* length, nint* datatype)
    {
        long* a = (long*)input, b = (long*)inputOutput;
        for (int i = 0; i < *length; i++)
        {
            b[i] = a[i] * b[i] % Prime;
        }
    }
}
