using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mitten.Bench.MG;

/// <summary>
/// The inner (x) loops of the MG operators, one row each, in methods of their own: a handful of
/// pointers and a native-sized index, all in registers (in one method with the y and z loops the
/// JIT spilled the row pointers to the stack and reloaded them in the inner loops), four points
/// per step with <see cref="Vector256{T}"/> where the hardware has it (the JIT does not vectorize
/// loops itself; the C baseline's compiler does). Every lane does the scalar expression's
/// operations in the same order, and vector additions and multiplications round as the scalar
/// ones (no fused multiply-add), so the results are bit for bit those of the scalar loops that
/// finish each row.
/// </summary>
internal static unsafe class MgRows
{
    private const MethodImplOptions Kernel = MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization;

    /// <summary>
    /// For x in [0, count): t1[x] = sum of the 4 face neighbours of c[x] in the y-z plane (y-, y+, z-, z+),
    /// t2[x] = sum of its 4 edge neighbours there (y-z-, y+z-, y-z+, y+z+).
    /// </summary>
    [MethodImpl(Kernel)]
    internal static void PlaneSums(double* c, nint sx, nint sxy, double* t1, double* t2, nint count)
    {
        double* ym = c - sx, yp = c + sx, zm = c - sxy, zp = c + sxy;
        double* ymzm = ym - sxy, ypzm = yp - sxy, ymzp = ym + sxy, ypzp = yp + sxy;
        nint x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; x <= count - 4; x += 4)
            {
                Vector256.Store(Vector256.Load(ym + x) + Vector256.Load(yp + x) + Vector256.Load(zm + x) + Vector256.Load(zp + x), t1 + x);
                Vector256.Store(Vector256.Load(ymzm + x) + Vector256.Load(ypzm + x) + Vector256.Load(ymzp + x) + Vector256.Load(ypzp + x), t2 + x);
            }
        }
        for (; x < count; x++)
        {
            t1[x] = ym[x] + yp[x] + zm[x] + zp[x];
            t2[x] = ymzm[x] + ypzm[x] + ymzp[x] + ypzp[x];
        }
    }

    /// <summary>For x in [1, mx]: rr[x] = vr[x] - A0 c[x] - A2 (t2[x] + t1[x-1] + t1[x+1]) - A3 (t2[x-1] + t2[x+1]) (rr may be vr).</summary>
    [MethodImpl(Kernel)]
    internal static void ResidualRow(double* c, double* vr, double* rr, double* t1, double* t2, nint mx)
    {
        const double A0 = -8.0 / 3.0, A2 = 1.0 / 6.0, A3 = 1.0 / 12.0;
        nint x = 1;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> a0 = Vector256.Create(A0), a2 = Vector256.Create(A2), a3 = Vector256.Create(A3);
            for (; x <= mx - 3; x += 4)
            {
                Vector256<double> r = Vector256.Load(vr + x) - a0 * Vector256.Load(c + x)
                    - a2 * (Vector256.Load(t2 + x) + Vector256.Load(t1 + x - 1) + Vector256.Load(t1 + x + 1))
                    - a3 * (Vector256.Load(t2 + x - 1) + Vector256.Load(t2 + x + 1));
                Vector256.Store(r, rr + x);
            }
        }
        for (; x <= mx; x++)
        {
            rr[x] = vr[x] - A0 * c[x] - A2 * (t2[x] + t1[x - 1] + t1[x + 1]) - A3 * (t2[x - 1] + t2[x + 1]);
        }
    }

    /// <summary>For x in [1, mx]: ur[x] += c0 c[x] + c1 (c[x-1] + c[x+1] + t1[x]) + c2 (t2[x] + t1[x-1] + t1[x+1]).</summary>
    [MethodImpl(Kernel)]
    internal static void SmoothRow(double* c, double* ur, double* t1, double* t2, nint mx, double c0, double c1, double c2)
    {
        nint x = 1;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> v0 = Vector256.Create(c0), v1 = Vector256.Create(c1), v2 = Vector256.Create(c2);
            for (; x <= mx - 3; x += 4)
            {
                Vector256<double> u = Vector256.Load(ur + x) + v0 * Vector256.Load(c + x)
                    + v1 * (Vector256.Load(c + x - 1) + Vector256.Load(c + x + 1) + Vector256.Load(t1 + x))
                    + v2 * (Vector256.Load(t2 + x) + Vector256.Load(t1 + x - 1) + Vector256.Load(t1 + x + 1));
                Vector256.Store(u, ur + x);
            }
        }
        for (; x <= mx; x++)
        {
            ur[x] = ur[x] + c0 * c[x] + c1 * (c[x - 1] + c[x + 1] + t1[x]) + c2 * (t2[x] + t1[x - 1] + t1[x + 1]);
        }
    }

    /// <summary>For j in [0, count): z1[j] = ym[j] + c[j], z2[j] = zm[j] + c[j], z3[j] = ymzm[j] + zm[j] + z1[j] (ym = c - sx, zm = c - sxy).</summary>
    [MethodImpl(Kernel)]
    internal static void CoarseSums(double* c, nint sx, nint sxy, double* z1, double* z2, double* z3, nint count)
    {
        double* ym = c - sx, zm = c - sxy, ymzm = ym - sxy;
        nint j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j <= count - 4; j += 4)
            {
                Vector256<double> cj = Vector256.Load(c + j), zmj = Vector256.Load(zm + j);
                Vector256<double> s1 = Vector256.Load(ym + j) + cj;
                Vector256.Store(s1, z1 + j);
                Vector256.Store(zmj + cj, z2 + j);
                Vector256.Store(Vector256.Load(ymzm + j) + zmj + s1, z3 + j);
            }
        }
        for (; j < count; j++)
        {
            z1[j] = ym[j] + c[j];
            z2[j] = zm[j] + c[j];
            z3[j] = ymzm[j] + zm[j] + z1[j];
        }
    }
    /// <summary>
    /// One coarse row of u = u + Q z, for j in [1, cx], i = 2j: f[i] += c[j], f[i-1] += (c[j-1] + c[j]) / 2,
    /// and on the rows between in y (fy), in z (fz), in both (fyz) the same with z1, z2, z3 and
    /// weights halved once, twice, three times. With AVX: four coarse points give eight
    /// consecutive fine points per row (even and odd values interleaved).
    /// </summary>
    [MethodImpl(Kernel)]
    internal static void InterpolateRow(double* c, double* z1, double* z2, double* z3, double* f, double* fy, double* fz, double* fyz, nint cx)
    {
        nint j = 1;
        if (Avx.IsSupported)
        {
            Vector256<double> half = Vector256.Create(0.5), quarter = Vector256.Create(0.25), eighth = Vector256.Create(0.125);
            for (; j <= cx - 3; j += 4)
            {
                Vector256<double> cj = Vector256.Load(c + j);
                AddInterleaved(f + 2 * j - 1, half * (Vector256.Load(c + j - 1) + cj), cj);
                Vector256<double> s1 = Vector256.Load(z1 + j);
                AddInterleaved(fy + 2 * j - 1, quarter * (Vector256.Load(z1 + j - 1) + s1), half * s1);
                Vector256<double> s2 = Vector256.Load(z2 + j);
                AddInterleaved(fz + 2 * j - 1, quarter * (Vector256.Load(z2 + j - 1) + s2), half * s2);
                Vector256<double> s3 = Vector256.Load(z3 + j);
                AddInterleaved(fyz + 2 * j - 1, eighth * (Vector256.Load(z3 + j - 1) + s3), quarter * s3);
            }
        }
        for (; j <= cx; j++)
        {
            nint i = 2 * j;
            f[i] += c[j];
            f[i - 1] += 0.5 * (c[j - 1] + c[j]);
            fy[i] += 0.5 * z1[j];
            fy[i - 1] += 0.25 * (z1[j - 1] + z1[j]);
            fz[i] += 0.5 * z2[j];
            fz[i - 1] += 0.25 * (z2[j - 1] + z2[j]);
            fyz[i] += 0.25 * z3[j];
            fyz[i - 1] += 0.125 * (z3[j - 1] + z3[j]);
        }
    }

    /// <summary>p[0..8) += (odd[0], even[0], odd[1], even[1], ..., odd[3], even[3]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddInterleaved(double* p, Vector256<double> odd, Vector256<double> even)
    {
        Vector256<double> low = Avx.UnpackLow(odd, even), high = Avx.UnpackHigh(odd, even); // (o0 e0 o2 e2), (o1 e1 o3 e3)
        Vector256.Store(Vector256.Load(p) + Avx.Permute2x128(low, high, 0x20), p);
        Vector256.Store(Vector256.Load(p + 4) + Avx.Permute2x128(low, high, 0x31), p + 4);
    }
    /// <summary>
    /// One coarse row of s = P r, for j in [1, cx], i = 2j: sr[j] = c[i] / 2 + (c[i-1] + c[i+1] + x1[i]) / 4
    /// + (x1[i-1] + x1[i+1] + y1[i]) / 8 + (y1[i-1] + y1[i+1]) / 16 (x1, y1: the fine row's <see cref="PlaneSums"/>).
    /// With AVX2: four coarse points per step from the even and odd fine points (reads up to fine index 2cx).
    /// </summary>
    [MethodImpl(Kernel)]
    internal static void RestrictRow(double* c, double* x1, double* y1, double* sr, nint cx)
    {
        nint j = 1;
        if (Avx2.IsSupported)
        {
            Vector256<double> half = Vector256.Create(0.5), quarter = Vector256.Create(0.25);
            Vector256<double> eighth = Vector256.Create(0.125), sixteenth = Vector256.Create(0.0625);
            for (; j <= cx - 4; j += 4)
            {
                nint i = 2 * j;
                Vector256<double> s = half * Evens(c + i)
                    + quarter * (Evens(c + i - 1) + Evens(c + i + 1) + Evens(x1 + i))
                    + eighth * (Evens(x1 + i - 1) + Evens(x1 + i + 1) + Evens(y1 + i))
                    + sixteenth * (Evens(y1 + i - 1) + Evens(y1 + i + 1));
                Vector256.Store(s, sr + j);
            }
        }
        for (; j <= cx; j++)
        {
            nint i = 2 * j;
            double x2 = x1[i];
            double y2 = y1[i];
            sr[j] = 0.5 * c[i] + 0.25 * (c[i - 1] + c[i + 1] + x2) + 0.125 * (x1[i - 1] + x1[i + 1] + y2) + 0.0625 * (y1[i - 1] + y1[i + 1]);
        }
    }

    /// <summary>(p[0], p[2], p[4], p[6]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Evens(double* p) =>
        Avx2.Permute4x64(Avx.UnpackLow(Vector256.Load(p), Vector256.Load(p + 4)), 0b11_01_10_00); // (p0 p4 p2 p6) -> (p0 p2 p4 p6)
}
