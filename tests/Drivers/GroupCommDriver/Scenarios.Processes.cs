using Mitten.GroupComm;

namespace Mitten.Tests.Drivers;

/// <summary>Spawned processes, error reporting and allocation (<see cref="Scenarios"/>).</summary>
internal static partial class Scenarios
{
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
