using System.Runtime.InteropServices;
using Mitten.GroupComm;

namespace Mitten.Bench.Soak;

/// <summary>
/// Every collective of the MittenCommunicator with data derived from (salt, rank, index), and
/// the result each rank must get, computed locally (the analytic value).
/// </summary>
internal static class Collectives
{
    private static readonly Op[] Operations = [Op.Sum, Op.Max, Op.Min, Op.BitwiseXor];

    /// <summary>Element <paramref name="index"/> of <paramref name="rank"/>'s contribution (40 bits, so sums never overflow).</summary>
    private static long Value(ulong salt, int rank, int index) => (long)(SoakRandom.Hash(salt, (ulong)rank, (ulong)index) & 0xFF_FFFF_FFFFUL);

    private static long Combine(int operation, long a, long b) => operation switch
    {
        0 => a + b,
        1 => Math.Max(a, b),
        2 => Math.Min(a, b),
        _ => a ^ b,
    };

    /// <summary>Alltoallv block size from <paramref name="source"/> to <paramref name="destination"/>.</summary>
    private static int BlockCount(PlannedCollective c, int source, int destination) =>
        (int)(SoakRandom.Hash(c.Salt, (ulong)source, (ulong)destination) % (ulong)(c.Count + 1));

    /// <summary>Runs <paramref name="c"/> on <paramref name="comm"/>; returns this rank's result buffer.</summary>
    public static long[] Run(MittenCommunicator comm, PlannedCollective c)
    {
        int me = comm.Rank, size = comm.Size, n = c.Count;
        long[] Mine(int count, Func<int, int> index) => Enumerable.Range(0, count).Select(j => Value(c.Salt, me, index(j))).ToArray();
        Op op = Operations[c.Operation];
        switch (c.Kind)
        {
            case CollectiveKind.Barrier:
                comm.Barrier();
                return [];
            case CollectiveKind.Bcast:
                long[] bcast = me == c.Root ? Mine(n, j => j) : new long[n];
                comm.Bcast<long>(bcast, c.Root);
                return bcast;
            case CollectiveKind.Reduce:
                long[] reduced = me == c.Root ? new long[n] : [];
                comm.Reduce<long>(Mine(n, j => j), reduced, op, c.Root);
                return reduced;
            case CollectiveKind.Allreduce:
                long[] all = new long[n];
                comm.Allreduce<long>(Mine(n, j => j), all, op);
                return all;
            case CollectiveKind.AllreduceInPlace:
                long[] inPlace = Mine(n, j => j);
                comm.AllreduceInPlace<long>(inPlace, op);
                return inPlace;
            case CollectiveKind.AllreduceValue:
                return [comm.Allreduce(Value(c.Salt, me, 0), op)];
            case CollectiveKind.Gather:
                long[] gathered = me == c.Root ? new long[n * size] : [];
                comm.Gather<long>(Mine(n, j => j), gathered, c.Root);
                return gathered;
            case CollectiveKind.Allgather:
                long[] allGathered = new long[n * size];
                comm.Allgather<long>(Mine(n, j => j), allGathered);
                return allGathered;
            case CollectiveKind.Scatter:
                long[] scattered = new long[n];
                comm.Scatter<long>(me == c.Root ? Mine(n * size, j => j) : [], scattered, c.Root);
                return scattered;
            case CollectiveKind.Alltoall:
                long[] exchanged = new long[n * size];
                comm.Alltoall<long>(Mine(n * size, j => j), exchanged);
                return exchanged;
            case CollectiveKind.Alltoallv:
                int[] sendCounts = new int[size], sendDispl = new int[size], receiveCounts = new int[size], receiveDispl = new int[size];
                for (int r = 0; r < size; r++)
                {
                    sendCounts[r] = BlockCount(c, me, r);
                    receiveCounts[r] = BlockCount(c, r, me);
                    if (r > 0)
                    {
                        sendDispl[r] = sendDispl[r - 1] + sendCounts[r - 1];
                        receiveDispl[r] = receiveDispl[r - 1] + receiveCounts[r - 1];
                    }
                }
                long[] send = new long[sendDispl[size - 1] + sendCounts[size - 1]];
                for (int d = 0; d < size; d++)
                {
                    for (int j = 0; j < sendCounts[d]; j++)
                    {
                        send[sendDispl[d] + j] = Value(c.Salt, me, d * n + j);
                    }
                }
                long[] received = new long[receiveDispl[size - 1] + receiveCounts[size - 1]];
                comm.Alltoallv<long>(send, sendCounts, sendDispl, received, receiveCounts, receiveDispl);
                return received;
            case CollectiveKind.Scan:
                long[] scanned = new long[n];
                comm.Scan<long>(Mine(n, j => j), scanned, op);
                return scanned;
            default:
                throw new InvalidOperationException($"unknown collective {c.Kind}");
        }
    }

    /// <summary>The result <paramref name="me"/> must get from <paramref name="c"/> in a group of <paramref name="size"/>.</summary>
    public static long[] Expected(PlannedCollective c, int me, int size)
    {
        int n = c.Count;
        long Reduced(int upTo, int j)
        {
            long v = Value(c.Salt, 0, j);
            for (int r = 1; r <= upTo; r++)
            {
                v = Combine(c.Operation, v, Value(c.Salt, r, j));
            }
            return v;
        }
        switch (c.Kind)
        {
            case CollectiveKind.Barrier:
                return [];
            case CollectiveKind.Bcast:
                return Enumerable.Range(0, n).Select(j => Value(c.Salt, c.Root, j)).ToArray();
            case CollectiveKind.Reduce:
                return me == c.Root ? Enumerable.Range(0, n).Select(j => Reduced(size - 1, j)).ToArray() : [];
            case CollectiveKind.Allreduce:
            case CollectiveKind.AllreduceInPlace:
                return Enumerable.Range(0, n).Select(j => Reduced(size - 1, j)).ToArray();
            case CollectiveKind.AllreduceValue:
                return [Reduced(size - 1, 0)];
            case CollectiveKind.Gather when me != c.Root:
                return [];
            case CollectiveKind.Gather:
            case CollectiveKind.Allgather:
                return Enumerable.Range(0, n * size).Select(k => Value(c.Salt, k / n, k % n)).ToArray();
            case CollectiveKind.Scatter:
                return Enumerable.Range(0, n).Select(j => Value(c.Salt, c.Root, me * n + j)).ToArray();
            case CollectiveKind.Alltoall:
                return Enumerable.Range(0, n * size).Select(k => Value(c.Salt, k / n, me * n + k % n)).ToArray();
            case CollectiveKind.Alltoallv:
                var result = new List<long>();
                for (int s = 0; s < size; s++)
                {
                    for (int j = 0; j < BlockCount(c, s, me); j++)
                    {
                        result.Add(Value(c.Salt, s, me * n + j));
                    }
                }
                return [.. result];
            case CollectiveKind.Scan:
                return Enumerable.Range(0, n).Select(j => Reduced(me, j)).ToArray();
            default:
                throw new InvalidOperationException($"unknown collective {c.Kind}");
        }
    }

    /// <summary>Hash of a result buffer, folded into the running result.</summary>
    public static ulong Hash(long[] result) => Payload.Fnv(MemoryMarshal.AsBytes(result.AsSpan())) ^ (ulong)result.Length;
}
