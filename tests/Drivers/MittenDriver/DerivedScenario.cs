using Mitten;
using Mitten.GroupComm;

namespace Mitten.Tests.Drivers;

internal sealed class DerivedState
{
    public int Iteration;
    public long Checksum;
    public int Failures;
    public int LateId = -1;

    public static IStateCodec<DerivedState> Codec { get; } = StateCodec.FromDelegates<DerivedState>(
        (s, stream) => { using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, true); w.Write(s.Iteration); w.Write(s.Checksum); w.Write(s.Failures); w.Write(s.LateId); },
        stream => { using var r = new BinaryReader(stream); return new DerivedState { Iteration = r.ReadInt32(), Checksum = r.ReadInt64(), Failures = r.ReadInt32(), LateId = r.ReadInt32() }; });
}

/// <summary>
/// Derived communicators and non-blocking collectives through Mitten (4 or more ranks), every
/// result checked against values computed locally:
/// <list type="bullet">
/// <item>setup (before the loop, so a replacement replays it): a 2-D Cartesian grid (periodic in
/// dimension 0), its rows and columns (SubGrid), a Split by parity with reversed keys, a Dup, a
/// Create of every rank but 0 in reverse order, a Dup freed at once and one freed in iteration 4;</item>
/// <item>each iteration: a Cartesian shift halo exchange (Sendrecv) in both dimensions, Allreduce
/// and Bcast on the rows, Allgather and Barrier on the columns, Allreduce on the split and on the
/// created sub-communicator with an Isend/Irecv ring on it, Iallreduce on the rows, Ibcast on the
/// columns and Ibarrier on the group (completed before the migration point);</item>
/// <item>at the end of each iteration, messages received after the next migration point (in
/// transit at it): the same tag on the group and on the Dup (isolation), three ordered messages
/// on the split;</item>
/// <item>a Split made in iteration 2 (after the first migration point) and found by its id from
/// the state afterwards;</item>
/// <item>in iteration 1 every rank starts an Ibarrier and calls MigrationPoint before completing
/// it: refused with an error (the rule), then completed;</item>
/// <item>with --blocked-row: row rank 0 ends each iteration receiving on its row from row rank 1,
/// which sends only after its next migration point (blocked on a derived communicator across it).</item>
/// </list>
/// </summary>
internal static class DerivedScenario
{
    private const int WorldTag = 5, SplitTag = 9, BlockedTag = 7, SubTag = 11, AcrossTag = 13;

    private static DerivedState state = new();
    private static MittenCommunicator comm = null!;

    internal static int Run(DriverOptions options, bool blockedRow)
    {
        using var session = MittenSession<DerivedState>.Start(() => new DerivedState(), DerivedState.Codec);
        comm = session.Communicator;
        state = session.State;
        int rank = comm.Rank, size = comm.Size;
        if (size < 4)
        {
            throw new ArgumentException("the derived scenario needs at least 4 ranks");
        }
        Console.WriteLine(session.IsReplacement ? $"REPLACEMENT rank={rank} iteration={state.Iteration}" : $"START rank={rank}");

        // Setup: on a replacement these calls return the communicators its predecessor made.
        int[] dims = MittenCommunicator.DimensionsFor(size, 2);
        MittenCommunicator grid = comm.CreateCartesian(dims, [true, false])!;
        MittenCommunicator row = grid.SubGrid([false, true]);
        MittenCommunicator column = grid.SubGrid([true, false]);
        MittenCommunicator split = comm.Split(rank % 2, -rank)!;
        MittenCommunicator dup = comm.Dup();
        int[] subRanks = Enumerable.Range(1, size - 1).Reverse().ToArray();
        MittenCommunicator? sub = comm.Create(subRanks);
        MittenCommunicator freedAtOnce = comm.Dup();
        if (!session.IsReplacement)
        {
            freedAtOnce.Free();
        }
        MittenCommunicator freedLater = comm.Dup();
        Check.That("derived-freed-before", freedAtOnce.IsFreed);
        Check.Throws<ObjectDisposedException>("derived-freed-refused", () => freedAtOnce.Barrier());
        Check.That("derived-sub-membership", (sub is null) == (rank == 0));
        int[] splitMembers = Enumerable.Range(0, size).Where(r => r % 2 == rank % 2).OrderByDescending(r => r).ToArray();
        Expect(split.Rank == Array.IndexOf(splitMembers, rank) && split.Size == splitMembers.Length, $"split rank {split.Rank}");
        Expect(grid.Rank == rank && row.Size == dims[1] && column.Size == dims[0], "grid shape");

        int n = options.Iterations;
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
            if (blockedRow && k > 0 && k - 1 == options.NbcAcross && rank == 1)
            {
                for (int r = 2; r < size; r++)
                {
                    if (grid.Coordinates(r)[1] != 0)
                    {
                        comm.Send(Value(1, k - 1, 13), r, AcrossTag);
                    }
                }
            }
            if (blockedRow && k > 0 && row.Rank == 1)
            {
                MittenCollectiveRequest? across = k - 1 == options.NbcAcross ? row.Ibarrier() : null; // row rank 0 started it last iteration
                row.Send(Value(rank, k - 1, 7), 0, BlockedTag);
                across?.Wait();
            }
            if (k == 1)
            {
                // The rule for non-blocking collectives: one still in progress at a migration point is refused there.
                MittenCollectiveRequest barrier = comm.Ibarrier();
                Check.Throws<InvalidOperationException>("nbc-outstanding-refused", session.MigrationPoint, e => e.Message.Contains("non-blocking collective"));
                barrier.Wait();
            }
            if (k > 0)
            {
                ReceiveInTransit(k - 1, dup, split, splitMembers);
            }
            Halo(grid, k);
            RowsAndColumns(grid, row, column, k);
            long splitMax = split.Allreduce((long)rank, Op.Max);
            Expect(splitMax == splitMembers.Max(), $"split max {splitMax}");
            state.Checksum += splitMax;
            if (sub is not null)
            {
                SubRing(sub, subRanks, k);
            }
            Late(k);
            if (k < 4)
            {
                freedLater.Barrier();
            }
            else if (k == 4)
            {
                freedLater.Free();
            }
            NonBlocking(row, column, k);
            if (k + 1 < n)
            {
                comm.Send(Value(rank, k, 5), (rank + 1) % size, WorldTag);
                dup.Send(Value(rank, k, 6), (rank + 1) % size, WorldTag);
                for (int i = 0; i < 3; i++)
                {
                    split.Send(Value(rank, k, 10 + i), (split.Rank + 1) % split.Size, SplitTag);
                }
                if (blockedRow && k == options.NbcAcross && rank >= 2 && row.Rank != 0)
                {
                    // Every other rank waits for rank 1 (directly, or through its row), so none passes
                    // its next migration point before rank 1's, where rank 1's migration starts: the
                    // group stops there, with rank 0 blocked below with its Ibarrier in progress.
                    long held = comm.Recv<long>(1, AcrossTag);
                    Expect(held == Value(1, k, 13), $"held by rank 1: {held}");
                }
                if (blockedRow && row.Rank == 0)
                {
                    // With --nbc-across K: blocked below with a non-blocking collective in progress (a migration then rolls back).
                    MittenCollectiveRequest? across = k == options.NbcAcross ? row.Ibarrier() : null;
                    long got = row.Recv<long>(1, BlockedTag); // row rank 1 sends it after its next migration point
                    across?.Wait();
                    Expect(got == Value(RowMember(grid, 1), k, 7), $"blocked row receive {got}");
                    state.Checksum += got;
                }
            }
            state.Iteration++;
        }
        Check.That("derived-ok", state.Failures == 0, $"{state.Failures} failed checks");
        Console.WriteLine($"RESULT rank={rank} checksum={state.Checksum}");
        foreach (var report in session.MigrationHistory)
        {
            Console.WriteLine($"MIGRATION rank={rank} {report}");
        }
        split.Free();
        sub?.Free();
        session.Finish();
        // After the session its communicators are freed: calls are refused, never made with a freed handle
        // (after MPI_Finalize that would end the process). A handle-form collective and an object-form one
        // on the group, and the same on a derived communicator the session freed.
        Check.Throws<ObjectDisposedException>("finished-group-bcast-refused", () => comm.Bcast(1L, 0));
        Check.Throws<ObjectDisposedException>("finished-group-reduce-refused", () => comm.Reduce<long>([1L], new long[1], Op.Sum, 0));
        Check.Throws<ObjectDisposedException>("finished-dup-allreduce-refused", () => dup.Allreduce(1L, Op.Sum));
        Check.Throws<ObjectDisposedException>("finished-grid-barrier-refused", () => grid.Barrier());
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

    private static int RowMember(MittenCommunicator grid, int column) => grid.CartesianRank([grid.Coordinates(grid.Rank)[0], column]);

    /// <summary>What the left neighbours sent at the end of iteration k: the Dup first (same tag as the group's), then the group, then the split in order.</summary>
    private static void ReceiveInTransit(int k, MittenCommunicator dup, MittenCommunicator split, int[] splitMembers)
    {
        int left = (comm.Rank + comm.Size - 1) % comm.Size;
        long onDup = dup.Recv<long>(MittenCommunicator.AnySource, WorldTag);
        long onWorld = comm.Recv<long>(MittenCommunicator.AnySource, WorldTag);
        Expect(onDup == Value(left, k, 6), $"dup got {onDup}");
        Expect(onWorld == Value(left, k, 5), $"group got {onWorld}");
        int splitLeft = splitMembers[(split.Rank + split.Size - 1) % split.Size];
        for (int i = 0; i < 3; i++)
        {
            long got = split.Recv<long>(MittenCommunicator.AnySource, SplitTag);
            Expect(got == Value(splitLeft, k, 10 + i), $"split message {i} got {got}");
            state.Checksum += got;
        }
        state.Checksum += onDup * 3 + onWorld;
    }

    private static void Halo(MittenCommunicator grid, int k)
    {
        for (int dimension = 0; dimension < 2; dimension++)
        {
            (int source, int destination) = grid.Shift(dimension, 1);
            long[] received = [-1];
            ReceiveStatus status = grid.Sendrecv<long, long>([Value(grid.Rank, k, 1 + dimension)], destination, 20 + dimension, received, source, 20 + dimension);
            if (source == MittenCommunicator.ProcNull)
            {
                Expect(status.Count == 0 && received[0] == -1, $"halo {dimension} from the edge");
            }
            else
            {
                Expect(received[0] == Value(source, k, 1 + dimension), $"halo {dimension} got {received[0]}");
            }
            state.Checksum += received[0] * (dimension + 2);
        }
    }

    private static void RowsAndColumns(MittenCommunicator grid, MittenCommunicator row, MittenCommunicator column, int k)
    {
        int[] here = grid.Coordinates(grid.Rank);
        long rowSum = row.Allreduce(Value(grid.Rank, k, 2), Op.Sum);
        long expected = 0;
        for (int j = 0; j < row.Size; j++)
        {
            expected += Value(grid.CartesianRank([here[0], j]), k, 2);
        }
        Expect(rowSum == expected && row.Rank == here[1], $"row sum {rowSum}");
        long[] root = [row.Rank == 0 ? Value(grid.Rank, k, 3) : 0];
        row.Bcast<long>(root, 0);
        Expect(root[0] == Value(grid.CartesianRank([here[0], 0]), k, 3), $"row bcast {root[0]}");
        column.Barrier();
        int[] members = new int[column.Size];
        column.Allgather<int>([grid.Rank], members);
        for (int i = 0; i < column.Size; i++)
        {
            Expect(members[i] == grid.CartesianRank([i, here[1]]), $"column member {i} is {members[i]}");
        }
        state.Checksum += rowSum + root[0] + members.Sum();
    }

    private static void SubRing(MittenCommunicator sub, int[] subRanks, int k)
    {
        int next = (sub.Rank + 1) % sub.Size, previous = (sub.Rank + sub.Size - 1) % sub.Size;
        long[] incoming = new long[1];
        MittenRequest receive = sub.Irecv<long>(incoming, previous, SubTag);
        MittenRequest send = sub.Isend<long>(new[] { Value(comm.Rank, k, 4) }, next, SubTag);
        MittenRequest.WaitAll(receive, send);
        Expect(incoming[0] == Value(subRanks[previous], k, 4), $"sub ring got {incoming[0]}");
        long sum = sub.Allreduce((long)comm.Rank, Op.Sum);
        Expect(sum == subRanks.Sum() && sub.Rank == Array.IndexOf(subRanks, comm.Rank), $"sub sum {sum}");
        state.Checksum += incoming[0] + sum;
    }

    /// <summary>A communicator made after the first migration point: found by its id (kept in the state) in later iterations.</summary>
    private static void Late(int k)
    {
        if (k == 2)
        {
            state.LateId = comm.Split(0, comm.Size - comm.Rank)!.Id;
        }
        if (k < 2)
        {
            return;
        }
        MittenCommunicator? late = comm.FindDerived(state.LateId);
        Expect(late is not null, $"no communicator {state.LateId}");
        if (late is null)
        {
            return;
        }
        long sum = late.Allreduce((long)late.Rank, Op.Sum);
        Expect(late.Rank == comm.Size - 1 - comm.Rank && sum == comm.Size * (comm.Size - 1) / 2, $"late rank {late.Rank} sum {sum}");
        state.Checksum += sum;
    }

    private static void NonBlocking(MittenCommunicator row, MittenCommunicator column, int k)
    {
        long[] rowSum = new long[1];
        MittenCollectiveRequest reduce = row.Iallreduce<long>([Value(comm.Rank, k, 8)], rowSum, Op.Sum);
        long[] fromRoot = [column.Rank == 0 ? Value(comm.Rank, k, 9) : 0];
        MittenCollectiveRequest broadcast = column.Ibcast<long>(fromRoot, 0);
        MittenCollectiveRequest barrier = comm.Ibarrier();
        MittenCollectiveRequest.WaitAll(reduce, broadcast, barrier);
        long expected = row.Allreduce(Value(comm.Rank, k, 8), Op.Sum);
        Expect(rowSum[0] == expected, $"Iallreduce {rowSum[0]} expected {expected}");
        long expectedRoot = column.Bcast(fromRoot[0], 0);
        Expect(fromRoot[0] == expectedRoot, $"Ibcast {fromRoot[0]}");
        state.Checksum += rowSum[0] + fromRoot[0];
    }
}
