using System.Runtime.CompilerServices;

namespace Mitten.Bench.MG;

public sealed unsafe partial class MgBenchmark<TComm>
{
    private const int HaloTag = 100; // tags 100..105: axis 2a (upwards) and 2a + 1 (downwards)

    /// <summary>
    /// One V-cycle at the finest level, updating u in place: restrict the residual down to the
    /// bottom level, solve the coarsest levels on the whole grid (<see cref="BottomSolve"/>),
    /// then on the way up interpolate, recompute the residual and smooth at each level.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // this and the helpers below: optimized at once (a class S run is over before tiering would)
    private void VCycle(MgState state)
    {
        MgGrid g = state.Grid;
        int top = g.TopLevel, bottom = g.BottomLevel;
        fixed (double* u = state.U, r = state.R, v = state.V, a = t1, b = t2, c = t3)
        {
            for (int k = top; k > bottom; k--)
            {
                MgKernels.Restrict(r + g.Offset(k), g.Local(k, 0), g.Local(k, 1),
                    r + g.Offset(k - 1), g.Local(k - 1, 0), g.Local(k - 1, 1), g.Local(k - 1, 2), a, b);
                Halo(state, r + g.Offset(k - 1), k - 1);
            }
            BottomSolve(state, u, r);
            for (int k = bottom + 1; k < top; k++)
            {
                new Span<double>(u + g.Offset(k), g.Offset(k + 1) - g.Offset(k)).Clear();
                Interpolate(state, u, k, a, b, c);
                int mx = g.Local(k, 0), my = g.Local(k, 1), mz = g.Local(k, 2);
                MgKernels.Residual(u + g.Offset(k), r + g.Offset(k), r + g.Offset(k), mx, my, mz, a, b);
                Halo(state, r + g.Offset(k), k);
                MgKernels.Smooth(r + g.Offset(k), u + g.Offset(k), mx, my, mz, smoother0, smoother1, smoother2, a, b);
                Halo(state, u + g.Offset(k), k);
            }
            Interpolate(state, u, top, a, b, c);
        }
        Residual(state, top, fromV: true);
        fixed (double* u = state.U, r = state.R, a = t1, b = t2)
        {
            MgKernels.Smooth(r + g.Offset(top), u + g.Offset(top), g.Local(top, 0), g.Local(top, 1), g.Local(top, 2),
                smoother0, smoother1, smoother2, a, b);
            Halo(state, u + g.Offset(top), top);
        }
    }

    /// <summary>u(k) += Q u(k - 1), then the ghosts of u(k).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Interpolate(MgState state, double* u, int k, double* a, double* b, double* c)
    {
        MgGrid g = state.Grid;
        MgKernels.Interpolate(u + g.Offset(k - 1), g.Local(k - 1, 0), g.Local(k - 1, 1), g.Local(k - 1, 2),
            u + g.Offset(k), g.Local(k, 0), g.Local(k, 1), a, b, c);
        Halo(state, u + g.Offset(k), k);
    }

    /// <summary>r(k) = v - A u(k) at the finest level (fromV) or r(k) = r(k) - A u(k), then the ghosts of r(k).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Residual(MgState state, int k, bool fromV)
    {
        MgGrid g = state.Grid;
        fixed (double* u = state.U, r = state.R, v = state.V, a = t1, b = t2)
        {
            double* rk = r + g.Offset(k);
            MgKernels.Residual(u + g.Offset(k), fromV ? v : rk, rk, g.Local(k, 0), g.Local(k, 1), g.Local(k, 2), a, b);
            Halo(state, rk, k);
        }
    }

    /// <summary>Ghost fills (<see cref="Halo"/> calls) so far: with <see cref="MeasureHalo"/>, what the exchanges cost per iteration.</summary>
    public long HaloFills { get; private set; }

    /// <summary>
    /// Fills the ghosts of u at level <paramref name="k"/> <paramref name="count"/> times and
    /// returns this process's seconds per fill (for the comparison of the exchange's cost alone).
    /// </summary>
    public double MeasureHalo(MgState state, int k, int count)
    {
        MgGrid g = state.Grid;
        comm.Barrier();
        double start = comm.Wtime();
        fixed (double* u = state.U)
        {
            for (int i = 0; i < count; i++)
            {
                Halo(state, u + g.Offset(k), k);
            }
        }
        return (comm.Wtime() - start) / count;
    }

    /// <summary>
    /// Levels 1..bottom on the whole grid, on every process: gathers r(bottom), restricts down
    /// to level 1, smooths there, comes back up to the bottom level as the V-cycle does, and
    /// takes this process's box of u(bottom) and r(bottom) (ghosts included) from the result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BottomSolve(MgState state, double* u, double* r)
    {
        MgGrid g = state.Grid;
        int bottom = g.BottomLevel;
        int mx = g.Local(bottom, 0), my = g.Local(bottom, 1), mz = g.Local(bottom, 2);
        int block = g.BottomBlock;
        fixed (double* send = state.GatherSend, receive = state.GatherReceive, fu = state.FullU, fr = state.FullR,
               a = t1, b = t2, c = t3)
        {
            CopyBox(r + g.Offset(bottom), mx, my, mz, send, toPacked: true);
            comm.Allgather(new ReadOnlySpan<double>(send, block), new Span<double>(receive, block * g.Processes));
            int n = 1 << bottom;
            double* full = fr + g.FullOffset(bottom);
            for (int q = 0; q < g.Processes; q++)
            {
                int qx = q % g.ProcessDims[0], qy = q / g.ProcessDims[0] % g.ProcessDims[1], qz = q / (g.ProcessDims[0] * g.ProcessDims[1]);
                double* corner = full + qx * mx + (n + 2) * (qy * my + (n + 2) * qz * mz); // the box's ghost corner in the whole grid
                CopyBox(corner, mx, my, mz, receive + q * block, toPacked: false, n + 2, (n + 2) * (n + 2));
            }
            Wrap(full, n);
            for (int k = bottom; k > 1; k--)
            {
                int m = 1 << k;
                MgKernels.Restrict(fr + g.FullOffset(k), m, m, fr + g.FullOffset(k - 1), m / 2, m / 2, m / 2, a, b);
                Wrap(fr + g.FullOffset(k - 1), m / 2);
            }
            for (int k = 1; k <= bottom; k++)
            {
                int m = 1 << k;
                double* uk = fu + g.FullOffset(k), rk = fr + g.FullOffset(k);
                new Span<double>(uk, (m + 2) * (m + 2) * (m + 2)).Clear();
                if (k > 1)
                {
                    MgKernels.Interpolate(fu + g.FullOffset(k - 1), m / 2, m / 2, m / 2, uk, m, m, a, b, c);
                    Wrap(uk, m);
                    MgKernels.Residual(uk, rk, rk, m, m, m, a, b);
                    Wrap(rk, m);
                }
                MgKernels.Smooth(rk, uk, m, m, m, smoother0, smoother1, smoother2, a, b);
                Wrap(uk, m);
            }
            // This process's box with its ghosts, from the whole (periodic) grid.
            int sx = mx + 2, sy = my + 2;
            int fs = n + 2;
            double* ub = u + g.Offset(bottom), rb = r + g.Offset(bottom);
            double* uf = fu + g.FullOffset(bottom);
            int x0 = g.Start(bottom, 0), y0 = g.Start(bottom, 1), z0 = g.Start(bottom, 2);
            for (int z = 0; z <= mz + 1; z++)
            {
                int gz = (z0 + z - 1 + n) % n + 1;
                for (int y = 0; y <= my + 1; y++)
                {
                    int gy = (y0 + y - 1 + n) % n + 1;
                    for (int x = 0; x <= mx + 1; x++)
                    {
                        int gx = (x0 + x - 1 + n) % n + 1;
                        int from = gx + fs * (gy + fs * gz);
                        int to = x + sx * (y + sy * z);
                        ub[to] = uf[from];
                        rb[to] = full[from];
                    }
                }
            }
        }
    }

    /// <summary>
    /// Copies the interior of a box (strides of a box with ghosts unless given) to or from a packed array.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyBox(double* box, int mx, int my, int mz, double* packed, bool toPacked, int sx = -1, int sxy = -1)
    {
        if (sx < 0)
        {
            sx = mx + 2;
            sxy = sx * (my + 2);
        }
        int n = 0;
        for (int z = 1; z <= mz; z++)
        {
            for (int y = 1; y <= my; y++)
            {
                double* row = box + y * sx + z * sxy;
                for (int x = 1; x <= mx; x++)
                {
                    if (toPacked)
                    {
                        packed[n++] = row[x];
                    }
                    else
                    {
                        row[x] = packed[n++];
                    }
                }
            }
        }
    }

    /// <summary>The periodic ghosts of a whole-grid box of m^3 points.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Wrap(double* box, int m)
    {
        for (int axis = 0; axis < 3; axis++)
        {
            MgKernels.WrapAxis(box, m, m, m, axis);
        }
    }

    /// <summary>
    /// Fills the ghosts of <paramref name="box"/>, this process's box of level <paramref name="k"/>
    /// (of U, R or V): axis by axis, from the neighbours, or from the box itself where one
    /// process holds the whole axis.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Halo(MgState state, double* box, int k)
    {
        MgGrid g = state.Grid;
        HaloFills++;
        int mx = g.Local(k, 0), my = g.Local(k, 1), mz = g.Local(k, 2);
        for (int axis = 0; axis < 3; axis++)
        {
            if (g.ProcessDims[axis] == 1)
            {
                MgKernels.WrapAxis(box, mx, my, mz, axis);
                continue;
            }
            int m = axis == 0 ? mx : axis == 1 ? my : mz;
            int count;
            fixed (double* sl = state.SendLower, su = state.SendUpper)
            {
                count = MgKernels.CopyPlane(box, mx, my, mz, axis, 1, sl, toBuffer: true);
                MgKernels.CopyPlane(box, mx, my, mz, axis, m, su, toBuffer: true);
            }
            comm.Exchange(state.SendLower, state.SendUpper, state.ReceiveLower, state.ReceiveUpper, count,
                axis, HaloTag + 2 * axis);
            fixed (double* rl = state.ReceiveLower, ru = state.ReceiveUpper)
            {
                MgKernels.CopyPlane(box, mx, my, mz, axis, 0, rl, toBuffer: false);
                MgKernels.CopyPlane(box, mx, my, mz, axis, m + 1, ru, toBuffer: false);
            }
        }
    }
}
