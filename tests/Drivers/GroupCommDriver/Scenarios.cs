using Mitten.GroupComm;

namespace Mitten.Tests.Drivers;

/// <summary>
/// The binding's behaviour, checked on every rank. Each scenario runs unchanged under any
/// number of ranks (at least the minimum noted) and reports through <see cref="Check"/>.
/// </summary>
internal static partial class Scenarios
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
}
