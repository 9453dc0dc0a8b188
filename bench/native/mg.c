/*
 * NAS MG (multigrid) in C over MPI: the C baseline of the C# port in bench/MG (specification:
 * /work/shared/specs/npb-mg.md). Written for this project from the C# port, step by step, so
 * that scripts/bench.sh mgkernel compares the same work: the same decomposition (factors of
 * two over x, y, z; rank = x + Px (y + Py z); a periodic MPI Cartesian communicator with
 * extents z, y, x), the same per-process boxes with one ghost layer stored x fastest in one
 * flat array per quantity, the same operators with the same row temporaries and the same
 * order of floating-point operations (so the norms are bit for bit the port's), the same halo
 * exchange (axis by axis: receives, sends, wait), the same gathered bottom solve on the whole
 * coarse grid, the same right-hand side from the exact integer form of the NPB generator.
 *
 * Build: mpicc -O3 -march=native -ffp-contract=off -o mg bench/native/mg.c
 *   (-ffp-contract=off: GNU C fuses a * b + c into one FMA by default, which rounds once
 *   instead of twice; the JIT does not, and the norms would differ in the last bits.)
 * Usage: mpiexec -n NP mg --class S|W|A|B|C [--repeats R]
 * Each repetition does the port's untimed set-up and warm-up, the timed residual, nit
 * iterations and the final norms; rank 0 prints per repetition
 *   RESULT impl=c rep=R class=S ranks=1 iterations=4 seconds=... mops=... mops_per_process=... verified=yes rnm2=... rnmu=... grid=cartesian:1x1x1
 * (rnm2 and rnmu with 17 significant digits: they read back as the exact doubles).
 */
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "baseline_cli.h"

typedef struct {
    char name;
    int log2_size, iterations, smoother_b;
    double verification;
} mg_class;

static const mg_class classes[] = {
    { 'S', 5, 4, 0, 0.5307707005734e-04 }, { 'W', 7, 4, 0, 0.6467329375339e-05 }, { 'A', 8, 4, 0, 0.2433365309069e-05 },
    { 'B', 8, 20, 1, 0.1800564401355e-05 }, { 'C', 9, 20, 1, 0.5706732285740e-06 },
};

#define MULTIPLIER 1220703125ULL
#define SEED 314159265ULL
#define MASK ((1ULL << 46) - 1)
#define SCALE (1.0 / (double)(1LL << 46))
#define CHARGES 10
#define HALO_TAG 100

/* (value * a^steps) mod 2^46. */
static uint64_t jump(uint64_t value, long steps)
{
    uint64_t result = value & MASK, square = MULTIPLIER;
    while (steps > 0) {
        if (steps & 1) result = (result * square) & MASK;
        square = (square * square) & MASK;
        steps >>= 1;
    }
    return result;
}

#include "mg_operators.h"

/* ---------------------------------------------------------------------------------------------
 * One process's decomposition and arrays. */

typedef struct {
    const mg_class *c;
    int rank, size, n, top, bottom;
    int dims[3], coords[3], lower[3], upper[3];
    int offsets[12], full_offsets[12];
    double smoother[3];
    MPI_Comm grid;
    double *u, *r, *v, *full_u, *full_r, *send_lower, *send_upper, *receive_lower, *receive_upper, *gather_send,
        *gather_receive, *t1, *t2, *t3;
} mg;

static int local(const mg *s, int k, int d) { return (1 << k) / s->dims[d]; }
static int start_of(const mg *s, int k, int d) { return s->coords[d] * local(s, k, d); }

static double *allocate(size_t count)
{
    double *p = calloc(count ? count : 1, sizeof(double));
    if (!p) {
        fprintf(stderr, "mg: out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 3);
    }
    return p;
}

static int log2_of(int value)
{
    int l = 0;
    while ((1 << (l + 1)) <= value) l++;
    return l;
}

/* The decomposition (as MgGrid) and the Cartesian communicator (as PlainMgCommunicator); 0 when it does not fit. */
static int set_up(mg *s)
{
    int l = log2_of(s->size);
    s->dims[0] = 1 << ((l + 2) / 3);
    s->dims[1] = 1 << ((l + 1) / 3);
    s->dims[2] = 1 << (l / 3);
    s->n = 1 << s->c->log2_size;
    s->top = s->c->log2_size;
    int largest = s->dims[0] > s->dims[1] ? s->dims[0] : s->dims[1];
    largest = largest > s->dims[2] ? largest : s->dims[2];
    s->bottom = log2_of(largest) > 1 ? log2_of(largest) : 1;
    if (s->bottom >= s->top) return 0;
    s->coords[0] = s->rank % s->dims[0];
    s->coords[1] = s->rank / s->dims[0] % s->dims[1];
    s->coords[2] = s->rank / (s->dims[0] * s->dims[1]);
    int cart_dims[3] = { s->dims[2], s->dims[1], s->dims[0] }, periods[3] = { 1, 1, 1 };
    MPI_Cart_create(MPI_COMM_WORLD, 3, cart_dims, periods, 0, &s->grid);
    for (int d = 0; d < 3; d++) {
        int p[3] = { s->coords[0], s->coords[1], s->coords[2] };
        p[d] = (s->coords[d] + s->dims[d] - 1) % s->dims[d];
        int expected_lower = p[0] + s->dims[0] * (p[1] + s->dims[1] * p[2]);
        p[d] = (s->coords[d] + 1) % s->dims[d];
        int expected_upper = p[0] + s->dims[0] * (p[1] + s->dims[1] * p[2]);
        MPI_Cart_shift(s->grid, 2 - d, 1, &s->lower[d], &s->upper[d]);
        if (s->lower[d] != expected_lower || s->upper[d] != expected_upper) {
            fprintf(stderr, "mg: rank %d: the Cartesian neighbours along axis %d are %d/%d, the decomposition's %d/%d\n",
                    s->rank, d, s->lower[d], s->upper[d], expected_lower, expected_upper);
            MPI_Abort(MPI_COMM_WORLD, 3);
        }
    }
    s->offsets[s->bottom] = 0;
    for (int k = s->bottom; k <= s->top; k++)
        s->offsets[k + 1] = s->offsets[k] + (local(s, k, 0) + 2) * (local(s, k, 1) + 2) * (local(s, k, 2) + 2);
    s->full_offsets[1] = 0;
    for (int k = 1; k <= s->bottom; k++) {
        int e = (1 << k) + 2;
        s->full_offsets[k + 1] = s->full_offsets[k] + e * e * e;
    }
    const double *sm = s->c->smoother_b ? (const double[]){ -3.0 / 17.0, 1.0 / 33.0, -1.0 / 61.0 }
                                        : (const double[]){ -3.0 / 8.0, 1.0 / 32.0, -1.0 / 64.0 };
    memcpy(s->smoother, sm, sizeof s->smoother);
    int all = s->offsets[s->top + 1], x = local(s, s->top, 0) + 2, y = local(s, s->top, 1) + 2, z = local(s, s->top, 2) + 2;
    int face = x * y > y * z ? x * y : y * z;
    face = face > x * z ? face : x * z;
    int block = local(s, s->bottom, 0) * local(s, s->bottom, 1) * local(s, s->bottom, 2);
    s->u = allocate((size_t)all);
    s->r = allocate((size_t)all);
    s->v = allocate((size_t)(all - s->offsets[s->top]));
    s->full_u = allocate((size_t)s->full_offsets[s->bottom + 1]);
    s->full_r = allocate((size_t)s->full_offsets[s->bottom + 1]);
    s->send_lower = allocate((size_t)face);
    s->send_upper = allocate((size_t)face);
    s->receive_lower = allocate((size_t)face);
    s->receive_upper = allocate((size_t)face);
    s->gather_send = allocate((size_t)block);
    s->gather_receive = allocate((size_t)block * (size_t)s->size);
    s->t1 = allocate((size_t)s->n + 2);
    s->t2 = allocate((size_t)s->n + 2);
    s->t3 = allocate((size_t)s->n + 2);
    return 1;
}

/* ---------------------------------------------------------------------------------------------
 * The halo exchange, the bottom solve, the V-cycle (as MgBenchmark.Cycle.cs). */

/* The ghosts of this process's box of level k: axis by axis, from the neighbours or the box itself. */
static void halo(mg *s, double *box, int k)
{
    int mx = local(s, k, 0), my = local(s, k, 1), mz = local(s, k, 2);
    for (int axis = 0; axis < 3; axis++) {
        if (s->dims[axis] == 1) {
            wrap_axis(box, mx, my, mz, axis);
            continue;
        }
        int m = axis == 0 ? mx : axis == 1 ? my : mz, tag = HALO_TAG + 2 * axis;
        int count = copy_plane(box, mx, my, mz, axis, 1, s->send_lower, 1);
        copy_plane(box, mx, my, mz, axis, m, s->send_upper, 1);
        MPI_Request requests[4];
        MPI_Irecv(s->receive_lower, count, MPI_DOUBLE, s->lower[axis], tag, s->grid, &requests[0]);
        MPI_Irecv(s->receive_upper, count, MPI_DOUBLE, s->upper[axis], tag + 1, s->grid, &requests[1]);
        MPI_Isend(s->send_upper, count, MPI_DOUBLE, s->upper[axis], tag, s->grid, &requests[2]);
        MPI_Isend(s->send_lower, count, MPI_DOUBLE, s->lower[axis], tag + 1, s->grid, &requests[3]);
        MPI_Waitall(4, requests, MPI_STATUSES_IGNORE);
        copy_plane(box, mx, my, mz, axis, 0, s->receive_lower, 0);
        copy_plane(box, mx, my, mz, axis, m + 1, s->receive_upper, 0);
    }
}

/* The interior of a box (strides sx, sxy) to or from a packed array. */
static void copy_box(double *box, int mx, int my, int mz, double *packed, int to_packed, int sx, int sxy)
{
    int n = 0;
    for (int z = 1; z <= mz; z++)
        for (int y = 1; y <= my; y++) {
            double *row = box + y * sx + z * sxy;
            for (int x = 1; x <= mx; x++) {
                if (to_packed) packed[n++] = row[x];
                else row[x] = packed[n++];
            }
        }
}

/* Levels 1..bottom on the whole grid on every process: gather r(bottom), down to level 1, back up, take this box. */
static void bottom_solve(mg *s)
{
    int b = s->bottom, mx = local(s, b, 0), my = local(s, b, 1), mz = local(s, b, 2);
    int block = mx * my * mz, n = 1 << b, fs = n + 2;
    copy_box(s->r + s->offsets[b], mx, my, mz, s->gather_send, 1, mx + 2, (mx + 2) * (my + 2));
    MPI_Allgather(s->gather_send, block, MPI_DOUBLE, s->gather_receive, block, MPI_DOUBLE, s->grid);
    double *full = s->full_r + s->full_offsets[b];
    for (int q = 0; q < s->size; q++) {
        int qx = q % s->dims[0], qy = q / s->dims[0] % s->dims[1], qz = q / (s->dims[0] * s->dims[1]);
        double *corner = full + qx * mx + fs * (qy * my + fs * qz * mz);
        copy_box(corner, mx, my, mz, s->gather_receive + (size_t)q * block, 0, fs, fs * fs);
    }
    wrap(full, n);
    for (int k = b; k > 1; k--) {
        int m = 1 << k;
        restrict_residual(s->full_r + s->full_offsets[k], m, m, s->full_r + s->full_offsets[k - 1], m / 2, m / 2, m / 2, s->t1, s->t2);
        wrap(s->full_r + s->full_offsets[k - 1], m / 2);
    }
    for (int k = 1; k <= b; k++) {
        int m = 1 << k;
        double *uk = s->full_u + s->full_offsets[k], *rk = s->full_r + s->full_offsets[k];
        memset(uk, 0, sizeof(double) * (size_t)(m + 2) * (m + 2) * (m + 2));
        if (k > 1) {
            interpolate(s->full_u + s->full_offsets[k - 1], m / 2, m / 2, m / 2, uk, m, m, s->t1, s->t2, s->t3);
            wrap(uk, m);
            residual(uk, rk, rk, m, m, m, s->t1, s->t2);
            wrap(rk, m);
        }
        smooth(rk, uk, m, m, m, s->smoother[0], s->smoother[1], s->smoother[2], s->t1, s->t2);
        wrap(uk, m);
    }
    int sx = mx + 2, sy = my + 2;
    double *ub = s->u + s->offsets[b], *rb = s->r + s->offsets[b], *uf = s->full_u + s->full_offsets[b];
    int x0 = start_of(s, b, 0), y0 = start_of(s, b, 1), z0 = start_of(s, b, 2);
    for (int z = 0; z <= mz + 1; z++) {
        int gz = (z0 + z - 1 + n) % n + 1;
        for (int y = 0; y <= my + 1; y++) {
            int gy = (y0 + y - 1 + n) % n + 1;
            for (int x = 0; x <= mx + 1; x++) {
                int gx = (x0 + x - 1 + n) % n + 1;
                int from = gx + fs * (gy + fs * gz), to = x + sx * (y + sy * z);
                ub[to] = uf[from];
                rb[to] = full[from];
            }
        }
    }
}

/* r(k) = v - A u(k) (from_v, the finest level) or r(k) - A u(k), then the ghosts of r(k). */
static void level_residual(mg *s, int k, int from_v)
{
    double *rk = s->r + s->offsets[k];
    residual(s->u + s->offsets[k], from_v ? s->v : rk, rk, local(s, k, 0), local(s, k, 1), local(s, k, 2), s->t1, s->t2);
    halo(s, rk, k);
}

/* u(k) += Q u(k - 1), then the ghosts of u(k). */
static void level_interpolate(mg *s, int k)
{
    interpolate(s->u + s->offsets[k - 1], local(s, k - 1, 0), local(s, k - 1, 1), local(s, k - 1, 2), s->u + s->offsets[k],
                local(s, k, 0), local(s, k, 1), s->t1, s->t2, s->t3);
    halo(s, s->u + s->offsets[k], k);
}

static void v_cycle(mg *s)
{
    int top = s->top, bottom = s->bottom;
    for (int k = top; k > bottom; k--) {
        restrict_residual(s->r + s->offsets[k], local(s, k, 0), local(s, k, 1), s->r + s->offsets[k - 1], local(s, k - 1, 0),
                          local(s, k - 1, 1), local(s, k - 1, 2), s->t1, s->t2);
        halo(s, s->r + s->offsets[k - 1], k - 1);
    }
    bottom_solve(s);
    for (int k = bottom + 1; k < top; k++) {
        memset(s->u + s->offsets[k], 0, sizeof(double) * (size_t)(s->offsets[k + 1] - s->offsets[k]));
        level_interpolate(s, k);
        int mx = local(s, k, 0), my = local(s, k, 1), mz = local(s, k, 2);
        double *uk = s->u + s->offsets[k], *rk = s->r + s->offsets[k];
        residual(uk, rk, rk, mx, my, mz, s->t1, s->t2);
        halo(s, rk, k);
        smooth(rk, uk, mx, my, mz, s->smoother[0], s->smoother[1], s->smoother[2], s->t1, s->t2);
        halo(s, uk, k);
    }
    level_interpolate(s, top);
    level_residual(s, top, 1);
    double *ut = s->u + s->offsets[top];
    smooth(s->r + s->offsets[top], ut, local(s, top, 0), local(s, top, 1), local(s, top, 2), s->smoother[0], s->smoother[1],
           s->smoother[2], s->t1, s->t2);
    halo(s, ut, top);
}

/* ---------------------------------------------------------------------------------------------
 * The right-hand side (as MgBenchmark.Setup.cs) and the run (as MgBenchmark.cs). */

/* The CHARGES largest (or smallest) values offered with their grid indices, best first (index -1: empty). */
typedef struct {
    double values[CHARGES];
    long indices[CHARGES];
    int keep_largest;
} candidates;

static void candidates_init(candidates *c, int keep_largest)
{
    c->keep_largest = keep_largest;
    for (int i = 0; i < CHARGES; i++) {
        c->values[i] = keep_largest ? -INFINITY : INFINITY;
        c->indices[i] = -1;
    }
}

static int better(const candidates *c, double value, long index, double than, long than_index)
{
    return than_index < 0 || (c->keep_largest ? value > than : value < than) || (value == than && index < than_index);
}

static void offer(candidates *c, double value, long index)
{
    int i = CHARGES - 1;
    if (!better(c, value, index, c->values[i], c->indices[i])) return;
    while (i > 0 && better(c, value, index, c->values[i - 1], c->indices[i - 1])) {
        c->values[i] = c->values[i - 1];
        c->indices[i] = c->indices[i - 1];
        i--;
    }
    c->values[i] = value;
    c->indices[i] = index;
}

static void build_right_hand_side(mg *s)
{
    int k = s->top, mx = local(s, k, 0), my = local(s, k, 1), mz = local(s, k, 2);
    int x0 = start_of(s, k, 0), y0 = start_of(s, k, 1), z0 = start_of(s, k, 2);
    long n = s->n;
    candidates largest, smallest;
    candidates_init(&largest, 1);
    candidates_init(&smallest, 0);
    for (int z = 0; z < mz; z++)
        for (int y = 0; y < my; y++) {
            long first = x0 + n * (y0 + y + n * (z0 + z));
            uint64_t x = jump(SEED, first);
            for (int i = 0; i < mx; i++) {
                x = (MULTIPLIER * x) & MASK;
                double value = (double)x * SCALE;
                offer(&largest, value, first + i);
                offer(&smallest, value, first + i);
            }
        }
    enum { BLOCK = 4 * CHARGES };
    double send[BLOCK];
    for (int i = 0; i < CHARGES; i++) {
        send[i] = largest.values[i];
        send[CHARGES + i] = (double)largest.indices[i];
        send[2 * CHARGES + i] = smallest.values[i];
        send[3 * CHARGES + i] = (double)smallest.indices[i];
    }
    double *all = allocate((size_t)BLOCK * s->size);
    MPI_Allgather(send, BLOCK, MPI_DOUBLE, all, BLOCK, MPI_DOUBLE, s->grid);
    candidates global_largest, global_smallest;
    candidates_init(&global_largest, 1);
    candidates_init(&global_smallest, 0);
    for (int q = 0; q < s->size; q++)
        for (int i = 0; i < CHARGES; i++) {
            int b = q * BLOCK;
            if (all[b + CHARGES + i] >= 0) offer(&global_largest, all[b + i], (long)all[b + CHARGES + i]);
            if (all[b + 3 * CHARGES + i] >= 0) offer(&global_smallest, all[b + 2 * CHARGES + i], (long)all[b + 3 * CHARGES + i]);
        }
    free(all);
    int sx = mx + 2, sxy = sx * (my + 2);
    memset(s->v, 0, sizeof(double) * (size_t)(s->offsets[k + 1] - s->offsets[k]));
    const candidates *sets[2] = { &global_smallest, &global_largest };
    for (int set = 0; set < 2; set++)
        for (int i = 0; i < CHARGES; i++) {
            long index = sets[set]->indices[i];
            if (index < 0) continue;
            int gx = (int)(index % n), gy = (int)(index / n % n), gz = (int)(index / (n * n));
            int lx = gx - x0, ly = gy - y0, lz = gz - z0;
            if (lx >= 0 && lx < mx && ly >= 0 && ly < my && lz >= 0 && lz < mz)
                s->v[lx + 1 + sx * (ly + 1) + sxy * (lz + 1)] = set == 0 ? -1.0 : 1.0;
        }
    halo(s, s->v, k);
}

/* The L2 norm and largest magnitude of the finest residual (collective). */
static void norms(mg *s, double *rnm2, double *rnmu)
{
    int k = s->top, mx = local(s, k, 0), my = local(s, k, 1), mz = local(s, k, 2), sx = mx + 2, sxy = sx * (my + 2);
    const double *r = s->r + s->offsets[k];
    double sum = 0, largest = 0, total, max;
    for (int z = 1; z <= mz; z++)
        for (int y = 1; y <= my; y++) {
            const double *row = r + y * sx + z * sxy;
            for (int x = 1; x <= mx; x++) {
                double a = row[x];
                sum += a * a;
                largest = fmax(largest, fabs(a));
            }
        }
    MPI_Allreduce(&sum, &total, 1, MPI_DOUBLE, MPI_SUM, s->grid);
    MPI_Allreduce(&largest, &max, 1, MPI_DOUBLE, MPI_MAX, s->grid);
    double n = s->n;
    *rnm2 = sqrt(total / (n * n * n));
    *rnmu = max;
}

/* One whole run from fresh arrays: set-up and warm-up (untimed), then the timed part; returns the maximum time over processes. */
static double run(mg *s, double *rnm2, double *rnmu)
{
    size_t all = (size_t)s->offsets[s->top + 1];
    memset(s->u, 0, sizeof(double) * all);
    memset(s->r, 0, sizeof(double) * all);
    build_right_hand_side(s);
    level_residual(s, s->top, 1);
    v_cycle(s);
    level_residual(s, s->top, 1);
    memset(s->u, 0, sizeof(double) * all);
    memset(s->r, 0, sizeof(double) * all);
    build_right_hand_side(s);

    double timed = 0, start = MPI_Wtime();
    level_residual(s, s->top, 1);
    norms(s, rnm2, rnmu);
    timed += MPI_Wtime() - start;
    for (int iteration = 1; iteration <= s->c->iterations; iteration++) {
        start = MPI_Wtime();
        v_cycle(s);
        level_residual(s, s->top, 1);
        timed += MPI_Wtime() - start;
    }
    start = MPI_Wtime();
    norms(s, rnm2, rnmu);
    timed += MPI_Wtime() - start;
    double max_seconds;
    MPI_Allreduce(&timed, &max_seconds, 1, MPI_DOUBLE, MPI_MAX, s->grid);
    return max_seconds;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    mg s;
    memset(&s, 0, sizeof s);
    MPI_Comm_rank(MPI_COMM_WORLD, &s.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &s.size);
    char name = 'S';
    int repeats = 1;
    if (!parse_class_args(argc, argv, s.rank, "mg", &name, &repeats)) {
        MPI_Finalize();
        return 2;
    }
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
        if (classes[i].name == name) s.c = &classes[i];
    if (!s.c || s.size < 1 || (s.size & (s.size - 1)) || repeats < 1) {
        if (s.rank == 0) fprintf(stderr, "mg: unknown class %c, a process count that is not a power of two, or repeats < 1\n", name);
        MPI_Finalize();
        return 2;
    }
    if (!set_up(&s)) {
        if (s.rank == 0) fprintf(stderr, "mg: class %c (%d^3) is too small for %d processes\n", name, 1 << s.c->log2_size, s.size);
        MPI_Finalize();
        return 2;
    }
    int status = 0;
    for (int rep = 1; rep <= repeats; rep++) {
        double rnm2, rnmu;
        double seconds = run(&s, &rnm2, &rnmu);
        int verified = fabs(rnm2 - s.c->verification) / s.c->verification <= 1e-8;
        if (!verified) status = 1;
        double mops = 58.0 * s.c->iterations * (double)s.n * s.n * s.n / seconds / 1e6;
        if (s.rank == 0) {
            printf("RESULT impl=c rep=%d class=%c ranks=%d iterations=%d seconds=%.6f mops=%.2f mops_per_process=%.2f "
                   "verified=%s rnm2=%.17g rnmu=%.17g grid=cartesian:%dx%dx%d\n",
                   rep, s.c->name, s.size, s.c->iterations, seconds, mops, mops / s.size, verified ? "yes" : "no", rnm2, rnmu,
                   s.dims[2], s.dims[1], s.dims[0]);
            fflush(stdout);
        }
    }
    MPI_Comm_free(&s.grid);
    MPI_Finalize();
    return status;
}
