using Mitten.GroupComm;

namespace Mitten.Tests.Drivers;

/// <summary>Collective calls and one-sided windows (<see cref="Scenarios"/>).</summary>
internal static partial class Scenarios
{
    internal static void Collectives()
    {
        int rank = World.Rank, size = World.Size;
        World.Barrier();
        Check.That("barrier", true);

        int[] b = rank == 0 ? [5, 6, 7] : new int[3];
        World.Bcast<int>(b, 0);
        Check.Sequence<int>("bcast", [5, 6, 7], b);
        Check.Equal("bcast-value", 42, World.Bcast(rank == size - 1 ? 42 : 0, size - 1));

        double[] sum = new double[2];
        World.Reduce<double>([rank, 1.0], sum, Op.Sum, 0);
        if (rank == 0)
        {
            Check.Sequence<double>("reduce-sum", [size * (size - 1) / 2.0, size], sum);
        }
        long[] all = new long[2];
        World.Allreduce<long>([rank, -rank], all, Op.Max);
        Check.Sequence<long>("allreduce-max", [size - 1, 0], all);
        Check.Equal("allreduce-min", 0, World.Allreduce(rank, Op.Min));
        Check.Equal("allreduce-prod", Enumerable.Range(1, size).Aggregate(1L, (p, x) => p * x), World.Allreduce(rank + 1L, Op.Product));
        Check.Equal("allreduce-band", 0, World.Allreduce(1 << rank, Op.BitwiseAnd) & (size > 1 ? -1 : 0));
        Check.Equal("allreduce-bor", (1 << size) - 1, World.Allreduce(1 << rank, Op.BitwiseOr));
        Check.Equal("allreduce-land", size == 1 || rank < 0, World.Allreduce(rank == 0, Op.LogicalAnd));
        Check.Equal("allreduce-lor", true, World.Allreduce(rank == 0, Op.LogicalOr));
        int[] inPlace = [rank, 1];
        World.AllreduceInPlace<int>(inPlace, Op.Sum);
        Check.Sequence<int>("allreduce-in-place", [size * (size - 1) / 2, size], inPlace);

        int[] gathered = new int[2 * size];
        World.Gather<int>([rank, rank * rank], rank == 0 ? gathered : [], 0);
        if (rank == 0)
        {
            Check.Sequence<int>("gather", Enumerable.Range(0, size).SelectMany(r => new[] { r, r * r }).ToArray(), gathered);
        }
        // Gatherv: rank r sends r+1 copies of r.
        int[] counts = Enumerable.Range(1, size).ToArray();
        int[] displs = counts.Select((c, i) => counts.Take(i).Sum()).ToArray();
        int[] vbuf = new int[counts.Sum()];
        World.Gatherv<int>(Enumerable.Repeat(rank, rank + 1).ToArray(), vbuf, counts, displs, 0);
        int[] expectedV = Enumerable.Range(0, size).SelectMany(r => Enumerable.Repeat(r, r + 1)).ToArray();
        if (rank == 0)
        {
            Check.Sequence<int>("gatherv", expectedV, vbuf);
        }
        int[] scatterSrc = Enumerable.Range(0, 2 * size).ToArray();
        int[] piece = new int[2];
        World.Scatter<int>(scatterSrc, piece, 0);
        Check.Sequence<int>("scatter", [2 * rank, 2 * rank + 1], piece);
        int[] vpiece = new int[rank + 1];
        World.Scatterv<int>(expectedV, counts, displs, vpiece, 0);
        Check.Sequence<int>("scatterv", Enumerable.Repeat(rank, rank + 1).ToArray(), vpiece);
        int[] ag = new int[size];
        World.Allgather(rank * 3, ag);
        Check.Sequence<int>("allgather", Enumerable.Range(0, size).Select(r => r * 3).ToArray(), ag);
        int[] agv = new int[counts.Sum()];
        World.Allgatherv<int>(Enumerable.Repeat(rank, rank + 1).ToArray(), agv, counts, displs);
        Check.Sequence<int>("allgatherv", expectedV, agv);

        // Alltoall: element i goes to rank i and says who sent it.
        int[] a2aSend = Enumerable.Range(0, size).Select(dest => rank * 100 + dest).ToArray();
        int[] a2aRecv = new int[size];
        World.Alltoall<int>(a2aSend, a2aRecv);
        Check.Sequence<int>("alltoall", Enumerable.Range(0, size).Select(src => src * 100 + rank).ToArray(), a2aRecv);
        // Alltoallv: rank r sends (dest+1) copies of r to each dest.
        int[] sc = Enumerable.Range(0, size).Select(d => d + 1).ToArray();
        int[] sd = sc.Select((c, i) => sc.Take(i).Sum()).ToArray();
        int[] sbuf = Enumerable.Repeat(rank, sc.Sum()).ToArray();
        int[] rcnt = Enumerable.Repeat(rank + 1, size).ToArray();
        int[] rdsp = Enumerable.Range(0, size).Select(i => i * (rank + 1)).ToArray();
        int[] rbuf = new int[size * (rank + 1)];
        World.Alltoallv<int>(sbuf, sc, sd, rbuf, rcnt, rdsp);
        Check.Sequence<int>("alltoallv", Enumerable.Range(0, size).SelectMany(s => Enumerable.Repeat(s, rank + 1)).ToArray(), rbuf);

        int[] scan = new int[1];
        World.Scan<int>([rank + 1], scan, Op.Sum);
        Check.Equal("scan", (rank + 1) * (rank + 2) / 2, scan[0]);
        int[] exscan = new int[1];
        World.Exscan<int>([rank + 1], exscan, Op.Sum);
        if (rank > 0)
        {
            Check.Equal("exscan", rank * (rank + 1) / 2, exscan[0]);
        }
        int[] rsIn = Enumerable.Range(0, 2 * size).ToArray();
        int[] rsOut = new int[2];
        World.ReduceScatterBlock<int>(rsIn, rsOut, Op.Sum);
        Check.Sequence<int>("reduce-scatter-block", [2 * rank * size, (2 * rank + 1) * size], rsOut);
        Check.Throws<NotSupportedException>("reduce-struct-rejected", () => World.Allreduce((1, 2), Op.Sum));
    }

    internal static void Windows()
    {
        int rank = World.Rank, size = World.Size;
        using Window<long> win = Window<long>.Allocate(World, 4);
        Check.Equal("win-allocate-length", 4, win.Length);
        Check.That("win-allocate-zeroed", win.Local.IndexOfAnyExcept(0L) < 0);
        win.Local[0] = rank * 10;
        win.Sync();
        World.Barrier();

        // Exclusive lock, put into the next rank's slot 1.
        int next = (rank + 1) % size;
        win.Lock(next, LockType.Exclusive);
        win.Put([rank + 1000L], next, 1);
        win.Unlock(next);
        World.Barrier();
        win.Lock(rank, LockType.Exclusive);
        long mine = win.Local[1];
        win.Unlock(rank);
        Check.Equal("put-exclusive", (rank + size - 1) % size + 1000L, mine);

        // Shared lock, read everyone's slot 0.
        long[] seen = new long[size];
        for (int r = 0; r < size; r++)
        {
            win.Lock(r, LockType.Shared);
            win.Get(seen.AsSpan(r, 1), r, 0);
            win.Unlock(r);
        }
        Check.Sequence<long>("get-shared", Enumerable.Range(0, size).Select(r => r * 10L).ToArray(), seen);

        // lock_all, accumulate into rank 0 slot 2, fetch-and-op counter on rank 0 slot 3.
        World.Barrier();
        win.LockAll();
        win.Accumulate([rank + 1L], 0, 2, Op.Sum);
        long ticket = win.FetchAndOp(1L, 0, 3, Op.Sum);
        win.Flush(0);
        win.FlushAll();
        win.FlushLocal(0);
        win.FlushLocalAll();
        win.UnlockAll();
        World.Barrier();
        long[] tickets = new long[size];
        World.Allgather(ticket, tickets);
        Check.Sequence<long>("fetch-and-op-unique", Enumerable.Range(0, size).Select(i => (long)i).ToArray(), tickets.Order().ToArray());
        if (rank == 0)
        {
            win.Lock(0, LockType.Shared);
            Check.Equal("accumulate-sum", size * (size + 1L) / 2, win.Local[2]);
            Check.Equal("fetch-and-op-total", (long)size, win.Local[3]);
            win.Unlock(0);
        }

        // get_accumulate and compare_and_swap on rank 0 slot 0 (value 0 at start).
        World.Barrier();
        win.Lock(0, LockType.Exclusive);
        long[] old = new long[1];
        win.GetAccumulate([1L], old, 0, 0, Op.Sum);
        win.Unlock(0);
        World.Barrier();
        win.Lock(0, LockType.Shared);
        long[] after = new long[1];
        win.Get(after, 0, 0);
        win.Unlock(0);
        Check.Equal("get-accumulate-total", (long)size, after[0]);
        Check.That("get-accumulate-old", old[0] >= 0 && old[0] < size, $"{old[0]}");
        World.Barrier();
        // Each rank tries to claim slot 1 of rank 0 with CAS from 0 -> rank+1; exactly one wins.
        if (rank == 0)
        {
            win.Lock(0, LockType.Exclusive);
            win.Local[1] = 0;
            win.Unlock(0);
        }
        World.Barrier();
        win.Lock(0, LockType.Exclusive);
        long previous = win.CompareAndSwap(rank + 1L, 0L, 0, 1);
        win.Unlock(0);
        int winners = World.Allreduce(previous == 0 ? 1 : 0, Op.Sum);
        Check.Equal("compare-and-swap-one-winner", 1, winners);

        // Overlapped operations on every rank: each rank adds 1 to slot 2 of everyone (all
        // started, then one flush), then reads slots 2..3 of everyone in one overlapped get.
        World.Barrier();
        win.LockAll();
        win.FetchAndOpEach(0L, [rank], 2, Op.Replace, new long[1]); // own slot 2 := 0
        win.UnlockAll();
        World.Barrier();
        int[] everyone = Enumerable.Range(0, size).ToArray();
        long[] previousValues = new long[size];
        win.LockAll();
        win.FetchAndOpEach(1L, everyone, 2, Op.Sum, previousValues);
        win.UnlockAll();
        World.Barrier();
        long[] allPrevious = new long[size * size];
        World.Allgather<long>(previousValues, allPrevious);
        bool permutations = Enumerable.Range(0, size).All(target =>
            Enumerable.Range(0, size).Select(r => allPrevious[r * size + target]).Order().SequenceEqual(Enumerable.Range(0, size).Select(i => (long)i)));
        Check.That("fetch-and-op-each-atomic", permutations, string.Join(",", allPrevious));
        long[] blocks = new long[2 * size];
        win.LockAll();
        win.GetEach(everyone, 2, blocks);
        win.UnlockAll();
        Check.That("get-each", Enumerable.Range(0, size).All(t => blocks[2 * t] == size), string.Join(",", blocks));
        Check.Throws<ArgumentException>("fetch-and-op-each-lengths", () => win.FetchAndOpEach(1L, everyone, 2, Op.Sum, new long[size + 1]));
        World.Barrier();

        // A window over a managed array.
        double[] memory = new double[3];
        using (Window<double> created = Window<double>.Create(World, memory))
        {
            World.Barrier();
            created.Lock(next, LockType.Exclusive);
            created.Put([rank + 0.25], next, 2);
            created.Unlock(next);
            World.Barrier();
            created.Lock(rank, LockType.Shared);
            double value = memory[2];
            created.Unlock(rank);
            Check.Equal("win-create-put", (rank + size - 1) % size + 0.25, value);
        }
        Window<int> freed = Window<int>.Allocate(World, 1);
        freed.Dispose();
        Check.Throws<ObjectDisposedException>("win-use-after-free", () => freed.Lock(0));
    }
}
