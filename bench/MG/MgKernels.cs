using System.Runtime.CompilerServices;

namespace Mitten.Bench.MG;

/// <summary>
/// The MG operators on one box: interior points 1..m per dimension plus a ghost layer (index 0
/// and m + 1), stored x fastest at a pointer. Every operator writes only interior points; the
/// caller fills the ghosts afterwards. Row temporaries (sums over the y/z neighbours of each x)
/// follow the original's loop structure, and operator coefficients that are zero are left out
/// (c1 of A, c3 of S), as in the original. The x loops of the stencils are in <see cref="MgRows"/>
/// (vectorized); every method here is compiled fully optimized on first use (a class S run is
/// over before tiered compilation would have optimized the loops) and kept out of line.
/// <c>scripts/bench.sh mgkernel</c> compares these loops with the same ones in C
/// (<c>bench/native/mg.c</c>); bench/RESULTS.md records what the JIT makes of each.
/// </summary>
internal static unsafe class MgKernels
{
    private const MethodImplOptions Kernel = MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization;

    /// <summary>r = v - A u (r and v may be the same box).</summary>
    [MethodImpl(Kernel)]
    internal static void Residual(double* u, double* v, double* r, int mx, int my, int mz, double* t1, double* t2)
    {
        nint sx = mx + 2, sxy = sx * (my + 2);
        for (nint z = 1; z <= mz; z++)
        {
            for (nint y = 1; y <= my; y++)
            {
                nint row = y * sx + z * sxy;
                MgRows.PlaneSums(u + row, sx, sxy, t1, t2, sx);
                MgRows.ResidualRow(u + row, v + row, r + row, t1, t2, mx);
            }
        }
    }

    /// <summary>u = u + S r (the smoother with coefficients <paramref name="c0"/>, <paramref name="c1"/>, <paramref name="c2"/>; c3 is 0).</summary>
    [MethodImpl(Kernel)]
    internal static void Smooth(double* r, double* u, int mx, int my, int mz, double c0, double c1, double c2, double* t1, double* t2)
    {
        nint sx = mx + 2, sxy = sx * (my + 2);
        for (nint z = 1; z <= mz; z++)
        {
            for (nint y = 1; y <= my; y++)
            {
                nint row = y * sx + z * sxy;
                MgRows.PlaneSums(r + row, sx, sxy, t1, t2, sx);
                MgRows.SmoothRow(r + row, u + row, t1, t2, mx, c0, c1, c2);
            }
        }
    }

    /// <summary>
    /// s = P r: coarse interior point j (array index j, 1-based) gets the weighted sum of the 27
    /// fine points around fine array index 2j (global fine point 2j' + 1 for coarse j' = j - 1).
    /// Reads the fine box's upper ghosts.
    /// </summary>
    [MethodImpl(Kernel)]
    internal static void Restrict(double* r, int fx, int fy, double* s, int cx, int cy, int cz, double* x1, double* y1)
    {
        nint fsx = fx + 2, fsxy = fsx * (fy + 2);
        nint csx = cx + 2, csxy = csx * (cy + 2);
        for (nint j3 = 1; j3 <= cz; j3++)
        {
            for (nint j2 = 1; j2 <= cy; j2++)
            {
                double* c = r + 2 * j2 * fsx + 2 * j3 * fsxy;
                MgRows.PlaneSums(c + 1, fsx, fsxy, x1 + 1, y1 + 1, 2 * cx + 1);
                MgRows.RestrictRow(c, x1, y1, s + j2 * csx + j3 * csxy, cx);
            }
        }
    }

    /// <summary>
    /// u = u + Q z: fine array index 2j coincides with coarse array index j, fine index 2j - 1
    /// lies between coarse j - 1 and j (weights 1, 1/2, 1/4, 1/8 by the number of dimensions
    /// in which the fine point lies between). Reads the coarse box's lower ghosts.
    /// </summary>
    [MethodImpl(Kernel)]
    internal static void Interpolate(double* z, int cx, int cy, int cz, double* u, int fx, int fy, double* z1, double* z2, double* z3)
    {
        nint csx = cx + 2, csxy = csx * (cy + 2);
        nint fsx = fx + 2, fsxy = fsx * (fy + 2);
        for (nint j3 = 1; j3 <= cz; j3++)
        {
            for (nint j2 = 1; j2 <= cy; j2++)
            {
                double* c = z + j2 * csx + j3 * csxy;
                MgRows.CoarseSums(c, csx, csxy, z1, z2, z3, cx + 1);
                double* f = u + 2 * j2 * fsx + 2 * j3 * fsxy; // coincident in y and z
                double* fy1 = f - fsx;                           // between in y
                double* fz1 = f - fsxy;                          // between in z
                MgRows.InterpolateRow(c, z1, z2, z3, f, fy1, fz1, fy1 - fsxy, cx);
            }
        }
    }

    /// <summary>Sum of squares and largest magnitude over the interior (in order: the sum is not vectorized).</summary>
    [MethodImpl(Kernel)]
    internal static (double SumOfSquares, double Largest) Norms(double* r, int mx, int my, int mz)
    {
        int sx = mx + 2, sxy = sx * (my + 2);
        double sum = 0, largest = 0;
        for (int z = 1; z <= mz; z++)
        {
            for (int y = 1; y <= my; y++)
            {
                double* row = r + y * sx + z * sxy;
                for (int x = 1; x <= mx; x++)
                {
                    double a = row[x];
                    sum += a * a;
                    largest = Math.Max(largest, Math.Abs(a));
                }
            }
        }
        return (sum, largest);
    }

    /// <summary>
    /// The plane <paramref name="plane"/> (0..m + 1) of axis <paramref name="axis"/>, copied to or
    /// from <paramref name="buffer"/>; returns the number of elements. Axes before
    /// <paramref name="axis"/> include their ghosts (already filled), later ones only interior
    /// points, so three axis passes in order fill edges and corners too. The lines of the plane
    /// are copied by <see cref="CopyLine"/>, which walks a pointer by the stride: the x plane
    /// (stride sx) of a process grid split along x is the halo exchange's strided case.
    /// </summary>
    [MethodImpl(Kernel)]
    internal static int CopyPlane(double* box, int mx, int my, int mz, int axis, int plane, double* buffer, bool toBuffer)
    {
        nint sx = mx + 2, sxy = sx * (my + 2);
        // (a, b): the two other axes; ranges per axis: full 0..m+1 if it comes before 'axis', else 1..m.
        nint aLow, aHigh, aStride, bLow, bHigh, bStride, planeStride;
        switch (axis)
        {
            case 0: aLow = 1; aHigh = my; aStride = sx; bLow = 1; bHigh = mz; bStride = sxy; planeStride = 1; break;
            case 1: aLow = 0; aHigh = mx + 1; aStride = 1; bLow = 1; bHigh = mz; bStride = sxy; planeStride = sx; break;
            default: aLow = 0; aHigh = mx + 1; aStride = 1; bLow = 0; bHigh = my + 1; bStride = sx; planeStride = sxy; break;
        }
        nint count = aHigh - aLow + 1;
        double* line = box + plane * planeStride + bLow * bStride + aLow * aStride;
        double* packed = buffer;
        for (nint b = bLow; b <= bHigh; b++)
        {
            CopyLine(line, aStride, packed, count, toBuffer);
            line += bStride;
            packed += count;
        }
        return (int)(packed - buffer);
    }

    /// <summary>
    /// <paramref name="count"/> elements between <paramref name="packed"/> (contiguous) and the line at
    /// <paramref name="line"/> (every <paramref name="stride"/>-th element), in the direction <paramref name="toPacked"/> says.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyLine(double* line, nint stride, double* packed, nint count, bool toPacked)
    {
        if (stride == 1)
        {
            if (toPacked)
            {
                Buffer.MemoryCopy(line, packed, count * sizeof(double), count * sizeof(double));
            }
            else
            {
                Buffer.MemoryCopy(packed, line, count * sizeof(double), count * sizeof(double));
            }
        }
        else if (toPacked)
        {
            for (nint a = 0; a < count; a++, line += stride)
            {
                packed[a] = *line;
            }
        }
        else
        {
            for (nint a = 0; a < count; a++, line += stride)
            {
                *line = packed[a];
            }
        }
    }

    /// <summary>Periodic ghosts of one axis from this box itself (the whole grid along that axis is here).</summary>
    [MethodImpl(Kernel)]
    internal static void WrapAxis(double* box, int mx, int my, int mz, int axis)
    {
        int sx = mx + 2, sxy = sx * (my + 2);
        int m = axis == 0 ? mx : axis == 1 ? my : mz;
        int planeStride = axis == 0 ? 1 : axis == 1 ? sx : sxy;
        int total = sxy * (mz + 2);
        // Copy whole planes including ghost rows of the other axes (a superset of what is needed; harmless).
        for (int i = 0; i < total; i += planeStride * (m + 2))
        {
            for (int j = 0; j < planeStride; j++)
            {
                double* line = box + i + j;
                line[0] = line[m * planeStride];
                line[(m + 1) * planeStride] = line[planeStride];
            }
        }
    }
}
