using Mitten.GroupComm;

namespace Mitten.Tests.Drivers;

/// <summary>
/// The binding's behaviour, checked on every rank. Each scenario runs unchanged under any
/// number of ranks (at least the minimum noted) and reports through <see cref="Check"/>.
/// </summary>
internal static class Scenarios
{
    private static Communicator World => Mpi.World;

    internal static void Environment()
    {
        Check.Equal("not-initialized-before", false, Mpi.IsInitialized);
        ThreadLevel provided = Mpi.Init(ThreadLevel.Funneled);
        Check.That("thread-level", provided >= ThreadLevel.Funneled, provided.ToString());
        Check.Equal("initialized", true, Mpi.IsInitialized);
        Check.Equal("not-finalized", false, Mpi.IsFinalized);
        double t0 = Mpi.Wtime();
        Thread.Sleep(20);
        double t1 = Mpi.Wtime();
        Check.That("wtime", t1 - t0 >= 0.015 && t1 - t0 < 5, $"{t1 - t0}");
        Check.That("wtick", Mpi.Wtick() > 0 && Mpi.Wtick() < 1);
        Check.Equal("processor-name", System.Net.Dns.GetHostName(), Mpi.ProcessorName);
        Check.That("version", Mpi.StandardVersion.Major >= 3, Mpi.StandardVersion.ToString());
        Check.Throws<InvalidOperationException>("init-twice", () => Mpi.Init());
        Console.WriteLine($"RANK {World.Rank} SIZE {World.Size}");
        Mpi.Finalize();
        Check.Equal("finalized", true, Mpi.IsFinalized);
    }

    internal static void Communicators()
    {
        int rank = World.Rank, size = World.Size;
        Check.That("world-rank", rank >= 0 && rank < size);
        Check.Equal("self-size", 1, Mpi.Self.Size);
        Check.Equal("self-rank", 0, Mpi.Self.Rank);
        Check.Equal("compare-identical", CompareResult.Identical, World.Compare(World));
        using (Communicator dup = World.Dup())
        {
            Check.Equal("dup-congruent", CompareResult.Congruent, World.Compare(dup));
            Check.Equal("dup-rank", rank, dup.Rank);
        }
        // Split by parity, ordered by descending rank.
        using (Communicator half = World.Split(rank % 2, -rank)!)
        {
            int expectedSize = (size + 1 - rank % 2) / 2;
            Check.Equal("split-size", expectedSize, half.Size);
            Check.Equal("split-rank", (expectedSize - 1) - rank / 2, half.Rank);
            Check.Equal("split-compare", size == 1 ? CompareResult.Congruent : CompareResult.Unequal, World.Compare(half));
        }
        Check.Equal("split-undefined", true, World.Split(-1, 0) is null);

        // A periodic 1-D ring and a 2 x (size / 2) grid (no reordering: a rank keeps its number).
        using (Communicator ring = World.CreateCartesian([size], [true])!)
        {
            Check.Equal("cart-rank", rank, ring.Rank);
            Check.Sequence<int>("cart-coords", [rank], ring.Coordinates(rank));
            (int source, int destination) = ring.Shift(0, 1);
            Check.Equal("cart-shift-source", (rank + size - 1) % size, source);
            Check.Equal("cart-shift-destination", (rank + 1) % size, destination);
        }
        if (size % 2 == 0)
        {
            using Communicator grid = World.CreateCartesian([2, size / 2], [false, true])!;
            Check.Sequence<int>("cart-grid-coords", [rank / (size / 2), rank % (size / 2)], grid.Coordinates(rank));
            (int up, int down) = grid.Shift(0, 1);
            Check.Equal("cart-edge", rank < size / 2 ? Mpi.ProcNull : rank - size / 2, up);
            Check.Equal("cart-edge-down", rank < size / 2 ? rank + size / 2 : Mpi.ProcNull, down);
        }
        using (Communicator? first = World.CreateCartesian([1], [false]))
        {
            Check.Equal("cart-left-out", rank != 0, first is null);
        }

        using Group group = World.Group;
        Check.Equal("group-size", size, group.Size);
        Check.Equal("group-rank", (int?)rank, group.Rank);
        int[] evens = Enumerable.Range(0, size).Where(r => r % 2 == 0).ToArray();
        using Group evenGroup = group.Include(evens);
        Check.Equal("group-incl-size", evens.Length, evenGroup.Size);
        Check.Equal("group-incl-rank", rank % 2 == 0 ? rank / 2 : (int?)null, evenGroup.Rank);
        using Group withoutZero = group.Exclude([0]);
        Check.Equal("group-excl-size", size - 1, withoutZero.Size);
        int[] translated = evenGroup.TranslateRanks(Enumerable.Range(0, evens.Length).ToArray(), group);
        Check.Sequence<int>("group-translate", evens, translated);
        int[] back = group.TranslateRanks([0], withoutZero);
        Check.Equal("group-translate-missing", -1, back[0]);

        using (Communicator? evenComm = World.Create(evenGroup))
        {
            Check.Equal("create-member", rank % 2 == 0, evenComm is not null);
            if (evenComm is not null)
            {
                Check.Equal("create-size", evens.Length, evenComm.Size);
                int sum = evenComm.Allreduce(rank, Op.Sum);
                Check.Equal("create-allreduce", evens.Sum(), sum);
            }
        }
        Check.Equal("world-not-inter", false, World.IsInter);

        Communicator freed = World.Dup();
        freed.Dispose();
        Check.Equal("freed-flag", true, freed.IsFreed);
        Check.Throws<ObjectDisposedException>("use-after-free", () => _ = freed.Rank);
        World.Dispose(); // predefined: must stay usable
        Check.Equal("world-survives-dispose", rank, World.Rank);
    }

    internal static void PointToPoint()
    {
        int rank = World.Rank, size = World.Size;
        int next = (rank + 1) % size, prev = (rank + size - 1) % size;

        // Ring with blocking send/receive (even ranks send first to avoid deadlock).
        int[] outgoing = [rank, rank * 10, rank * 100];
        int[] incoming = new int[3];
        if (rank % 2 == 0)
        {
            World.Send<int>(outgoing, next, 7);
            World.Recv<int>(incoming, prev, 7);
        }
        else
        {
            World.Recv<int>(incoming, prev, 7);
            World.Send<int>(outgoing, next, 7);
        }
        Check.Sequence<int>("ring-send-recv", [prev, prev * 10, prev * 100], incoming);

        // Sendrecv exchange, mixed element types.
        double[] got = new double[2];
        Status st = World.Sendrecv<double, double>([rank + 0.5, -rank], next, 11, got, prev, 11);
        Check.Sequence<double>("sendrecv", [prev + 0.5, -prev], got);
        Check.Equal("sendrecv-status-source", prev, st.Source);
        Check.Equal("sendrecv-status-tag", 11, st.Tag);
        Check.Equal("sendrecv-count", 2, st.GetCount<double>());

        // Synchronous send (non-blocking form, so a single rank can send to itself), and a
        // blocking one between distinct ranks.
        Request synchronous = World.Issend<long>(new[] { rank * 3L }, next, 12);
        Check.Equal("issend", prev * 3L, World.Recv<long>(prev, 12));
        synchronous.Wait();
        if (size > 1)
        {
            if (rank % 2 == 0)
            {
                World.Ssend<long>([rank * 5L], next, 16);
            }
            long v = World.Recv<long>(prev, 16);
            if (rank % 2 == 1)
            {
                World.Ssend<long>([rank * 5L], next, 16);
            }
            Check.Equal("ssend", prev * 5L, v);
        }

        // Non-blocking exchange with WaitAll.
        int[] sendBuf = Enumerable.Range(rank * 1000, 1000).ToArray();
        int[] recvBuf = new int[1000];
        Request[] reqs = [World.Irecv<int>(recvBuf, prev, 13), World.Isend<int>(sendBuf, next, 13)];
        Request.WaitAll(reqs);
        Check.That("isend-irecv-waitall", recvBuf[0] == prev * 1000 && recvBuf[999] == prev * 1000 + 999);
        Check.That("requests-completed", reqs.All(r => r.IsCompleted));

        // WaitAny / TestAny.
        int[] one = new int[1];
        Request r1 = World.Irecv<int>(one, prev, 14);
        World.Send(rank, next, 14);
        int idx = Request.WaitAny([r1], out Status anyStatus);
        Check.Equal("waitany-index", 0, idx);
        Check.Equal("waitany-value", prev, one[0]);
        Check.Equal("waitany-source", prev, anyStatus.Source);
        Request r2 = World.Irecv<int>(one, prev, 15);
        int early = Request.TestAny([r2], out _); // nobody sends tag 15 before the barrier
        Check.Equal("testany-nothing-yet", -1, early);
        World.Barrier();
        World.Send(rank + 1, next, 15);
        int found = -1;
        double deadline = Mpi.Wtime() + 10;
        while (found < 0 && Mpi.Wtime() < deadline)
        {
            found = Request.TestAny([r2], out _);
        }
        Check.Equal("testany-found", 0, found);
        Check.Equal("testany-value", prev + 1, one[0]);

        // Cancel a receive that will never match.
        Request never = World.Irecv<int>(new int[1], prev, 999);
        never.Cancel();
        Status cancelled = never.Wait();
        Check.Equal("cancel", true, cancelled.Cancelled);

        // Probe / Iprobe with wildcards, then receive by the probed size.
        World.Barrier();
        World.Send<short>([(short)rank, 1, 2, 3, 4], next, 20 + rank);
        Status probed = World.Probe(Mpi.AnySource, Mpi.AnyTag);
        Check.Equal("probe-source", prev, probed.Source);
        Check.Equal("probe-tag", 20 + prev, probed.Tag);
        Check.Equal("probe-count", 5, probed.GetCount<short>());
        short[] shorts = new short[probed.GetCount<short>()];
        World.Recv<short>(shorts, probed.Source, probed.Tag);
        Check.Equal("probe-recv", (short)prev, shorts[0]);
        World.Barrier();
        Check.Equal("iprobe-empty", false, World.Iprobe(Mpi.AnySource, Mpi.AnyTag, out _));
        World.Barrier();
        World.Send(rank, next, 30);
        bool seen = false;
        Status iprobed = default;
        deadline = Mpi.Wtime() + 10;
        while (!seen && Mpi.Wtime() < deadline)
        {
            seen = World.Iprobe(prev, Mpi.AnyTag, out iprobed);
        }
        Check.Equal("iprobe-found", true, seen);
        Check.Equal("iprobe-tag", 30, iprobed.Tag);
        Check.Equal("any-source-recv", prev, World.Recv<int>(Mpi.AnySource, 30));

        // Counts read from the status: element sizes 1, 2, 8 and a struct; a receive that got
        // fewer elements than its buffer holds; a byte count that is not whole elements.
        World.Barrier();
        World.Send<byte>(new byte[7], next, 35);
        World.Send<long>(new long[3], next, 36);
        World.Send<(int, double)>(new (int, double)[2], next, 37);
        World.Send<byte>(new byte[5], next, 38);
        Status sevenBytes = World.Recv<byte>(new byte[64], prev, 35);
        Check.Equal("count-bytes-short-receive", 7, sevenBytes.GetCount<byte>());
        Status threeLongs = World.Recv<long>(new long[10], prev, 36);
        Check.Equal("count-longs", 3, threeLongs.GetCount<long>());
        Check.Equal("count-longs-as-ints", 6, threeLongs.GetCount<int>());
        Status twoStructs = World.Recv<(int, double)>(new (int, double)[4], prev, 37);
        Check.Equal("count-structs", 2, twoStructs.GetCount<(int, double)>());
        Status fiveBytes = World.Recv<byte>(new byte[8], prev, 38);
        Check.Throws<InvalidOperationException>("count-not-whole-elements", () => fiveBytes.GetCount<short>());
        Check.Equal("count-not-cancelled", false, fiveBytes.Cancelled);

        // Structs travel as bytes.
        var point = (X: rank, Y: rank * 2.5);
        World.Send(point, next, 40);
        var pointIn = World.Recv<(int X, double Y)>(prev, 40);
        Check.Equal("struct-send", (prev, prev * 2.5), pointIn);
    }

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

    internal static void Spawn()
    {
        int rank = World.Rank, size = World.Size;
        string self = System.Environment.ProcessPath!;
        string wdir = Path.GetTempPath();
        using Info info = Info.Create();
        info.Set("wdir", wdir);
        info.Set("host", "localhost");
        Check.Equal("info-get", true, info.TryGet("wdir", out string got) && got == wdir);
        Check.Equal("info-missing", false, info.TryGet("no-such-key", out _));

        Communicator inter = World.Spawn(self, ["spawn-child", "hello world"], 2, info, 0, out int[] codes);
        Check.That("spawn-codes", codes.All(c => c == 0), string.Join(",", codes));
        Check.Equal("spawn-inter", true, inter.IsInter);
        Check.Equal("spawn-remote-size", 2, inter.RemoteSize);
        if (rank == 0)
        {
            inter.Send(1234, 0, 1);
        }
        using Communicator merged = inter.Merge(high: false);
        Check.Equal("merge-size", size + 2, merged.Size);
        Check.Equal("merge-rank", rank, merged.Rank);
        int total = merged.Allreduce(merged.Rank, Op.Sum);
        Check.Equal("merge-allreduce", (size + 2) * (size + 1) / 2, total);
        int[] dirs = new int[size + 2];
        merged.Allgather(merged.Rank < size ? 0 : 1, dirs);
        Check.Equal("merge-children-last", 2, dirs.Skip(size).Sum());
        inter.Disconnect();
        Check.Equal("disconnected", true, inter.IsFreed);
    }

    internal static void SpawnChild()
    {
        using Communicator parent = Communicator.GetParent() ?? throw new InvalidOperationException("no parent");
        int childRank = World.Rank;
        if (childRank == 0)
        {
            int value = parent.Recv<int>(0, 1);
            if (value != 1234)
            {
                throw new InvalidOperationException($"child got {value}");
            }
        }
        string cwd = Directory.GetCurrentDirectory().TrimEnd('/');
        if (cwd != Path.GetTempPath().TrimEnd('/'))
        {
            throw new InvalidOperationException($"wdir not applied: {cwd}");
        }
        using Communicator merged = parent.Merge(high: true);
        merged.Allreduce(merged.Rank, Op.Sum);
        int[] dirs = new int[merged.Size];
        merged.Allgather(1, dirs);
        parent.Disconnect();
    }

    internal static void Errors()
    {
        int rank = World.Rank, size = World.Size;
        Check.Throws<MpiException>("invalid-rank", () => World.Send(1, size + 5, 0), e => e.ErrorClass == MpiErrorClass.Rank);
        Check.Throws<MpiException>("invalid-tag", () => World.Send(1, 0, -7), e => e.ErrorClass == MpiErrorClass.Tag);
        Check.Throws<ArgumentOutOfRangeException>("negative-count",
            () => World.Gatherv<int>([1], new int[size], Enumerable.Repeat(-1, size).ToArray(), new int[size], rank));
        Check.Throws<ArgumentException>("short-receive-buffer", () => World.Allgather<int>([1, 2], new int[1]));
        Check.Throws<ArgumentException>("alltoall-short-receive", () => World.Alltoall<int>(new int[2 * size], new int[size]));
        Check.Throws<ArgumentException>("layout-length", () => World.Allgatherv<int>([1], new int[size], new int[size + 1], new int[size]));
        // Truncation: send 4 ints to ourselves, receive into 2.
        Request r = World.Isend<int>(new int[] { 1, 2, 3, 4 }, rank, 5);
        Check.Throws<MpiException>("truncate", () => World.Recv<int>(new int[2], rank, 5), e => e.ErrorClass == MpiErrorClass.Truncate);
        r.Wait();
        Communicator dup = World.Dup();
        dup.Dispose();
        Check.Throws<ObjectDisposedException>("use-after-free", () => dup.Barrier());
        Check.Throws<ObjectDisposedException>("disconnect-after-free", () => dup.Disconnect());
        Check.Throws<InvalidOperationException>("disconnect-world", () => World.Disconnect());
        Check.Throws<MpiException>("spawn-missing-executable",
            () => World.Spawn("/nonexistent/mitten-no-such-program", [], 1, null, 0, out _));
        // The job is still healthy afterwards.
        Check.Equal("survives", size, World.Allreduce(1, Op.Sum));
    }

    internal static void Allocation()
    {
        int rank = World.Rank, size = World.Size;
        if (size < 2)
        {
            return;
        }
        int peer = rank ^ 1;
        if (peer >= size)
        {
            World.Barrier();
            return;
        }
        byte[] buffer = new byte[64];
        for (int i = 0; i < 2000; i++)
        {
            PingPong(buffer, rank, peer);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10000; i++)
        {
            PingPong(buffer, rank, peer);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Check.Equal("zero-allocation-send-recv", 0L, allocated);
        World.Barrier();
    }

    private static void PingPong(byte[] buffer, int rank, int peer)
    {
        if (rank < peer)
        {
            World.Send<byte>(buffer, peer, 1);
            World.Recv<byte>(buffer, peer, 1);
        }
        else
        {
            World.Recv<byte>(buffer, peer, 1);
            World.Send<byte>(buffer, peer, 1);
        }
    }
}
