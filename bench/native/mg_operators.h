/*
 * The box operators of bench/native/mg.c (the C baseline of the C# port's MgKernels/MgRows):
 * residual, smoother, restriction, interpolation, and the plane copies and periodic wrap of the
 * halo. Included by mg.c only (static functions), so its one-line build stays as it is.
 * Same order of floating-point operations as the port; build with -ffp-contract=off.
 */
#ifndef MG_OPERATORS_H
#define MG_OPERATORS_H

/* ---------------------------------------------------------------------------------------------
 * The operators on one box: interior 1..m per dimension plus ghosts 0 and m + 1, x fastest. */

/* r = v - A u (r and v may be the same box). */
static void residual(const double *restrict u, const double *v, double *r, int mx, int my, int mz,
                     double *restrict t1, double *restrict t2)
{
    const double a0 = -8.0 / 3.0, a2 = 1.0 / 6.0, a3 = 1.0 / 12.0;
    int sx = mx + 2, sxy = sx * (my + 2);
    for (int z = 1; z <= mz; z++)
        for (int y = 1; y <= my; y++) {
            int row = y * sx + z * sxy;
            const double *c = u + row;
            const double *ym = c - sx, *yp = c + sx, *zm = c - sxy, *zp = c + sxy;
            const double *ymzm = ym - sxy, *ypzm = yp - sxy, *ymzp = ym + sxy, *ypzp = yp + sxy;
            for (int x = 0; x < sx; x++) {
                t1[x] = ym[x] + yp[x] + zm[x] + zp[x];
                t2[x] = ymzm[x] + ypzm[x] + ymzp[x] + ypzp[x];
            }
            const double *vr = v + row;
            double *rr = r + row;
            for (int x = 1; x <= mx; x++)
                rr[x] = vr[x] - a0 * c[x] - a2 * (t2[x] + t1[x - 1] + t1[x + 1]) - a3 * (t2[x - 1] + t2[x + 1]);
        }
}

/* u = u + S r (c3 = 0). */
static void smooth(const double *restrict r, double *restrict u, int mx, int my, int mz, double c0, double c1, double c2,
                   double *restrict t1, double *restrict t2)
{
    int sx = mx + 2, sxy = sx * (my + 2);
    for (int z = 1; z <= mz; z++)
        for (int y = 1; y <= my; y++) {
            int row = y * sx + z * sxy;
            const double *c = r + row;
            const double *ym = c - sx, *yp = c + sx, *zm = c - sxy, *zp = c + sxy;
            const double *ymzm = ym - sxy, *ypzm = yp - sxy, *ymzp = ym + sxy, *ypzp = yp + sxy;
            for (int x = 0; x < sx; x++) {
                t1[x] = ym[x] + yp[x] + zm[x] + zp[x];
                t2[x] = ymzm[x] + ypzm[x] + ymzp[x] + ypzp[x];
            }
            double *ur = u + row;
            for (int x = 1; x <= mx; x++)
                ur[x] = ur[x] + c0 * c[x] + c1 * (c[x - 1] + c[x + 1] + t1[x]) + c2 * (t2[x] + t1[x - 1] + t1[x + 1]);
        }
}

/* s = P r: coarse array index j gets the 27 fine points around fine array index 2j. */
static void restrict_residual(const double *restrict r, int fx, int fy, double *restrict s, int cx, int cy, int cz,
                              double *restrict x1, double *restrict y1)
{
    int fsx = fx + 2, fsxy = fsx * (fy + 2), csx = cx + 2, csxy = csx * (cy + 2);
    for (int j3 = 1; j3 <= cz; j3++)
        for (int j2 = 1; j2 <= cy; j2++) {
            const double *c = r + 2 * j2 * fsx + 2 * j3 * fsxy;
            const double *ym = c - fsx, *yp = c + fsx, *zm = c - fsxy, *zp = c + fsxy;
            const double *ymzm = ym - fsxy, *ypzm = yp - fsxy, *ymzp = ym + fsxy, *ypzp = yp + fsxy;
            for (int i = 1; i <= 2 * cx + 1; i++) {
                x1[i] = ym[i] + yp[i] + zm[i] + zp[i];
                y1[i] = ymzm[i] + ypzm[i] + ymzp[i] + ypzp[i];
            }
            double *sr = s + j2 * csx + j3 * csxy;
            for (int j1 = 1; j1 <= cx; j1++) {
                int i = 2 * j1;
                double x2 = x1[i], y2 = y1[i];
                sr[j1] = 0.5 * c[i] + 0.25 * (c[i - 1] + c[i + 1] + x2) + 0.125 * (x1[i - 1] + x1[i + 1] + y2)
                    + 0.0625 * (y1[i - 1] + y1[i + 1]);
            }
        }
}

/* u = u + Q z: fine array index 2j on coarse j, 2j - 1 between coarse j - 1 and j. */
static void interpolate(const double *restrict zc, int cx, int cy, int cz, double *restrict u, int fx, int fy,
                        double *restrict z1, double *restrict z2, double *restrict z3)
{
    int csx = cx + 2, csxy = csx * (cy + 2), fsx = fx + 2, fsxy = fsx * (fy + 2);
    for (int j3 = 1; j3 <= cz; j3++)
        for (int j2 = 1; j2 <= cy; j2++) {
            const double *c = zc + j2 * csx + j3 * csxy;
            const double *ym = c - csx, *zm = c - csxy, *ymzm = ym - csxy;
            for (int j1 = 0; j1 <= cx; j1++) {
                z1[j1] = ym[j1] + c[j1];
                z2[j1] = zm[j1] + c[j1];
                z3[j1] = ymzm[j1] + zm[j1] + z1[j1];
            }
            double *f = u + 2 * j2 * fsx + 2 * j3 * fsxy, *fy1 = f - fsx, *fz1 = f - fsxy, *fyz = fy1 - fsxy;
            for (int j1 = 1; j1 <= cx; j1++) {
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

/* The plane 'plane' of 'axis' to or from buffer (earlier axes with their ghosts); returns the element count. */
static int copy_plane(double *box, int mx, int my, int mz, int axis, int plane, double *buffer, int to_buffer)
{
    int sx = mx + 2, sxy = sx * (my + 2);
    int a_low, a_high, a_stride, b_low, b_high, b_stride, plane_stride;
    switch (axis) {
    case 0: a_low = 1; a_high = my; a_stride = sx; b_low = 1; b_high = mz; b_stride = sxy; plane_stride = 1; break;
    case 1: a_low = 0; a_high = mx + 1; a_stride = 1; b_low = 1; b_high = mz; b_stride = sxy; plane_stride = sx; break;
    default: a_low = 0; a_high = mx + 1; a_stride = 1; b_low = 0; b_high = my + 1; b_stride = sx; plane_stride = sxy; break;
    }
    int n = 0, count = a_high - a_low + 1;
    double *p0 = box + plane * plane_stride;
    for (int b = b_low; b <= b_high; b++) {
        double *p = p0 + b * b_stride + a_low * a_stride;
        if (a_stride == 1) {
            if (to_buffer) memcpy(buffer + n, p, sizeof(double) * (size_t)count);
            else memcpy(p, buffer + n, sizeof(double) * (size_t)count);
            n += count;
        } else if (to_buffer) {
            for (int a = 0; a < count; a++) buffer[n++] = p[a * a_stride];
        } else {
            for (int a = 0; a < count; a++) p[a * a_stride] = buffer[n++];
        }
    }
    return n;
}

/* Periodic ghosts of one axis from the box itself. */
static void wrap_axis(double *box, int mx, int my, int mz, int axis)
{
    int sx = mx + 2, sxy = sx * (my + 2);
    int m = axis == 0 ? mx : axis == 1 ? my : mz;
    int plane_stride = axis == 0 ? 1 : axis == 1 ? sx : sxy;
    int total = sxy * (mz + 2);
    for (int i = 0; i < total; i += plane_stride * (m + 2))
        for (int j = 0; j < plane_stride; j++) {
            double *line = box + i + j;
            line[0] = line[m * plane_stride];
            line[(m + 1) * plane_stride] = line[plane_stride];
        }
}

static void wrap(double *box, int m)
{
    for (int axis = 0; axis < 3; axis++) wrap_axis(box, m, m, m, axis);
}

#endif
