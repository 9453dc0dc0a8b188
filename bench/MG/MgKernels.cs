using System.Runtime.CompilerServices;

namespace Mitten.Bench.MG;

/// <summary>
/// The MG operators on one box: interior points 1..m per dimension plus a ghost layer (index 0
/// and m + 1), stored x fastest at a pointer. Every operator writes only interior points; the
/// caller fills the ghosts afterwards. Row temporaries (sums over the y/z neighbours of each x)
/// follow the original's loop structure, and operator coefficients that are zero are left out
/// (c1 of A, c3 of S), as in the original.
/// </summary>
internal static unsafe class MgKernels
{
    /// <summary>r = v - A u (r and v may be the same box).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Residual(double* u, double* v, double* r, int mx, int my, int mz, double* t1, double* t2)
    {
        const double A0 = -8.0 / 3.0, A2 = 1.0 / 6.0, A3 = 1.0 / 12.0;
        int sx = mx + 2, sxy = sx * (my + 2);
        for (int z = 1; z <= mz; z++)
        {
            for (int y = 1; y <= my; y++)
            {
                int row = y * sx + z * sxy;
                double* c = u + row;
                double* ym = c - sx, yp = c + sx, zm = c - sxy, zp = c + sxy;
                double* ymzm = ym - sxy, ypzm = yp - sxy, ymzp = ym + sxy, ypzp = yp + sxy;
                for (int x = 0; x < sx; x++)
                {
                    t1[x] = ym[x] + yp[x] + zm[x] + zp[x];
                    t2[x] = ymzm[x] + ypzm[x] + ymzp[x] + ypzp[x];
                }
                double* vr = v + row, rr = r + row;
                for (int x = 1; x <= mx; x++)
                {
                    rr[x] = vr[x] - A0 * c[x] - A2 * (t2[x] + t1[x - 1] + t1[x + 1]) - A3 * (t2[x - 1] + t2[x + 1]);
                }
            }
        }
    }

    /// <summary>u = u + S r (the smoother with coefficients <paramref name="c0"/>, <paramref name="c1"/>, <paramref name="c2"/>; c3 is 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Smooth(double* r, double* u, int mx, int my, int mz, double c0, double c1, double c2, double* t1, double* t2)
    {
        int sx = mx + 2, sxy = sx * (my + 2);
        for (int z = 1; z <= mz; z++)
        {
            for (int y = 1; y <= my; y++)
            {
                int row = y * sx + z * sxy;
                double* c = r + row;
                double* ym = c - sx, yp = c + sx, zm = c - sxy, zp = c + sxy;
                double* ymzm = ym - sxy, ypzm = yp - sxy, ymzp = ym + sxy, ypzp = yp + sxy;
                for (int x = 0; x < sx; x++)
                {
                    t1[x] = ym[x] + yp[x] + zm[x] + zp[x];
                    t2[x] = ymzm[x] + ypzm[x] + ymzp[x] + ypzp[x];
                }
                double* ur = u + row;
                for (int x = 1; x <= mx; x++)
                {
                    ur[x] = ur[x] + c0 * c[x] + c1 * (c[x - 1] + c[x + 1] + t1[x]) + c2 * (t2[x] + t1[x - 1] + t1[x + 1]);
                }
            }
        }
    }

    /// <summary>
    /// s = P r: coarse interior point j (array index j, 1-based) gets the weighted sum of the 27
    /// fine points around fine array index 2j (global fine point 2j' + 1 for coarse j' = j - 1).
    /// Reads the fine box's upper ghosts.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Restrict(double* r, int fx, int fy, double* s, int cx, int cy, int cz, double* x1, double* y1)
    {
        int fsx = fx + 2, fsxy = fsx * (fy + 2);
        int csx = cx + 2, csxy = csx * (cy + 2);
        for (int j3 = 1; j3 <= cz; j3++)
        {
            for (int j2 = 1; j2 <= cy; j2++)
            {
                double* c = r + 2 * j2 * fsx + 2 * j3 * fsxy;
                double* ym = c - fsx, yp = c + fsx, zm = c - fsxy, zp = c + fsxy;
                double* ymzm = ym - fsxy, ypzm = yp - fsxy, ymzp = ym + fsxy, ypzp = yp + fsxy;
                for (int i = 1; i <= 2 * cx + 1; i++)
                {
                    x1[i] = ym[i] + yp[i] + zm[i] + zp[i];
                    y1[i] = ymzm[i] + ypzm[i] + ymzp[i] + ypzp[i];
                }
                double* sr = s + j2 * csx + j3 * csxy;
                for (int j1 = 1; j1 <= cx; j1++)
                {
                    int i = 2 * j1;
                    double x2 = x1[i];
                    double y2 = y1[i];
                    sr[j1] = 0.5 * c[i]
                        + 0.25 * (c[i - 1] + c[i + 1] + x2)
                        + 0.125 * (x1[i - 1] + x1[i + 1] + y2)
                        + 0.0625 * (y1[i - 1] + y1[i + 1]);
                }
            }
        }
    }

    /// <summary>
    /// u = u + Q z: fine array index 2j coincides with coarse array index j, fine index 2j - 1
    /// lies between coarse j - 1 and j (weights 1, 1/2, 1/4, 1/8 by the number of dimensions
    /// in which the fine point lies between). Reads the coarse box's lower ghosts.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Interpolate(double* z, int cx, int cy, int cz, double* u, int fx, int fy, double* z1, double* z2, double* z3)
    {
        int csx = cx + 2, csxy = csx * (cy + 2);
        int fsx = fx + 2, fsxy = fsx * (fy + 2);
        for (int j3 = 1; j3 <= cz; j3++)
        {
            for (int j2 = 1; j2 <= cy; j2++)
            {
                double* c = z + j2 * csx + j3 * csxy;
                double* ym = c - csx, zm = c - csxy, ymzm = ym - csxy;
                for (int j1 = 0; j1 <= cx; j1++)
                {
                    z1[j1] = ym[j1] + c[j1];
                    z2[j1] = zm[j1] + c[j1];
                    z3[j1] = ymzm[j1] + zm[j1] + z1[j1];
                }
                double* f = u + 2 * j2 * fsx + 2 * j3 * fsxy; // coincident in y and z
                double* fy1 = f - fsx;                           // between in y
                double* fz1 = f - fsxy;                          // between in z
                double* fyz = fy1 - fsxy;                        // between in y and z
                for (int j1 = 1; j1 <= cx; j1++)
                {
                    int i = 2 * j1;
                    f[i] += c[j1];
                    f[i - 1] += 0.5 * (c[j1 - 1] + c[j1]);
                    fy1[i] += 0.5 * z1[j1];
                    fy1[i - 1] += 0.25 * (z1[j1 - 1] + z1[j1]);
                    fz1[i] += 0.5 * z2[j1];
                    fz1[i - 1] += 0.25 * (z2[j1 - 1] + z2[j1]);
                    fyz[i] += 0.25 * z3[j1];
                    fyz[i - 1] += 0.125 * (z3[j1 - 1] + z3[j1]);
                }
            }
        }
    }

    /// <summary>Sum of squares and largest magnitude over the interior.</summary>
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
    /// points, so three axis passes in order fill edges and corners too.
    /// </summary>
    internal static int CopyPlane(double* box, int mx, int my, int mz, int axis, int plane, double* buffer, bool toBuffer)
    {
        int sx = mx + 2, sxy = sx * (my + 2);
        // (a, b): the two other axes; ranges per axis: full 0..m+1 if it comes before 'axis', else 1..m.
        int aLow, aHigh, aStride, bLow, bHigh, bStride, planeStride;
        switch (axis)
        {
            case 0: aLow = 1; aHigh = my; aStride = sx; bLow = 1; bHigh = mz; bStride = sxy; planeStride = 1; break;
            case 1: aLow = 0; aHigh = mx + 1; aStride = 1; bLow = 1; bHigh = mz; bStride = sxy; planeStride = sx; break;
            default: aLow = 0; aHigh = mx + 1; aStride = 1; bLow = 0; bHigh = my + 1; bStride = sx; planeStride = sxy; break;
        }
        int n = 0;
        double* p0 = box + plane * planeStride;
        for (int b = bLow; b <= bHigh; b++)
        {
            double* p = p0 + b * bStride + aLow * aStride;
            int count = aHigh - aLow + 1;
            if (aStride == 1)
            {
                if (toBuffer)
                {
                    Buffer.MemoryCopy(p, buffer + n, (long)count * sizeof(double), (long)count * sizeof(double));
                }
                else
                {
                    Buffer.MemoryCopy(buffer + n, p, (long)count * sizeof(double), (long)count * sizeof(double));
                }
                n += count;
            }
            else if (toBuffer)
            {
                for (int a = 0; a < count; a++)
                {
                    buffer[n++] = p[a * aStride];
                }
            }
            else
            {
                for (int a = 0; a < count; a++)
                {
                    p[a * aStride] = buffer[n++];
                }
            }
        }
        return n;
    }

    /// <summary>Periodic ghosts of one axis from this box itself (the whole grid along that axis is here).</summary>
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
