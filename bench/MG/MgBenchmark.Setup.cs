namespace Mitten.Bench.MG;

public sealed unsafe partial class MgBenchmark<TComm>
{
    private const int Charges = 10;

    /// <summary>
    /// v: zero except +1 at the 10 grid points with the largest random numbers and -1 at the
    /// 10 with the smallest (one number per point, x fastest, point (0,0,0) taking the first
    /// number of the sequence). Each process generates its own box by jumping ahead, keeps its
    /// 10 largest and smallest, and all candidates are gathered to choose globally (collective).
    /// </summary>
    private void BuildRightHandSide(MgState state)
    {
        MgGrid g = state.Grid;
        int k = g.TopLevel;
        long n = problem.Size;
        int mx = g.Local(k, 0), my = g.Local(k, 1), mz = g.Local(k, 2);
        int x0 = g.Start(k, 0), y0 = g.Start(k, 1), z0 = g.Start(k, 2);
        // Candidates: [largest values, their indices, smallest values, their indices], 10 each.
        var largest = new Candidates(Charges, keepLargest: true);
        var smallest = new Candidates(Charges, keepLargest: false);
        for (int z = 0; z < mz; z++)
        {
            for (int y = 0; y < my; y++)
            {
                long first = x0 + n * (y0 + y + n * (z0 + z));
                ulong x = MgRandom.Jump(MgRandom.Seed, first);
                for (int i = 0; i < mx; i++)
                {
                    x = MgRandom.Next(x);
                    double value = x * MgRandom.Scale;
                    largest.Offer(value, first + i);
                    smallest.Offer(value, first + i);
                }
            }
        }
        const int Block = 4 * Charges;
        var send = new double[Block];
        largest.CopyTo(send.AsSpan(0, 2 * Charges));
        smallest.CopyTo(send.AsSpan(2 * Charges, 2 * Charges));
        var all = new double[Block * size];
        comm.Allgather(send, all);
        var globalLargest = new Candidates(Charges, keepLargest: true);
        var globalSmallest = new Candidates(Charges, keepLargest: false);
        for (int q = 0; q < size; q++)
        {
            for (int i = 0; i < Charges; i++)
            {
                int b = q * Block;
                if (all[b + Charges + i] >= 0)
                {
                    globalLargest.Offer(all[b + i], (long)all[b + Charges + i]);
                }
                if (all[b + 3 * Charges + i] >= 0)
                {
                    globalSmallest.Offer(all[b + 2 * Charges + i], (long)all[b + 3 * Charges + i]);
                }
            }
        }
        Array.Clear(state.V);
        int sx = mx + 2, sxy = sx * (my + 2);
        foreach (var (candidates, charge) in new[] { (globalSmallest, -1.0), (globalLargest, 1.0) })
        {
            foreach (long index in candidates.Indices)
            {
                if (index < 0)
                {
                    continue;
                }
                int gx = (int)(index % n), gy = (int)(index / n % n), gz = (int)(index / (n * n));
                int lx = gx - x0, ly = gy - y0, lz = gz - z0;
                if (lx >= 0 && lx < mx && ly >= 0 && ly < my && lz >= 0 && lz < mz)
                {
                    state.V[lx + 1 + sx * (ly + 1) + sxy * (lz + 1)] = charge;
                }
            }
        }
        fixed (double* v = state.V)
        {
            Halo(state, v, k);
        }
    }

    /// <summary>The <c>capacity</c> largest (or smallest) values offered, with their grid indices (index -1: empty slot).</summary>
    private sealed class Candidates
    {
        private readonly double[] values;
        private readonly long[] indices;
        private readonly bool keepLargest;

        internal Candidates(int capacity, bool keepLargest)
        {
            this.keepLargest = keepLargest;
            values = new double[capacity];
            indices = new long[capacity];
            Array.Fill(values, keepLargest ? double.NegativeInfinity : double.PositiveInfinity);
            Array.Fill(indices, -1L);
        }

        internal IReadOnlyList<long> Indices => indices;

        /// <summary>Keeps the value if it beats the worst kept one (sorted best first; ties keep the lower index).</summary>
        internal void Offer(double value, long index)
        {
            int last = values.Length - 1;
            if (!Better(value, index, values[last], indices[last]))
            {
                return;
            }
            int i = last;
            while (i > 0 && Better(value, index, values[i - 1], indices[i - 1]))
            {
                values[i] = values[i - 1];
                indices[i] = indices[i - 1];
                i--;
            }
            values[i] = value;
            indices[i] = index;
        }

        private bool Better(double value, long index, double than, long thanIndex) =>
            thanIndex < 0 || (keepLargest ? value > than : value < than) || (value == than && index < thanIndex);

        /// <summary>Values then indices (as doubles: exact below 2^53).</summary>
        internal void CopyTo(Span<double> target)
        {
            for (int i = 0; i < values.Length; i++)
            {
                target[i] = values[i];
                target[values.Length + i] = indices[i];
            }
        }
    }
}
