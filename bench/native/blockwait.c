/*
 * Micro-benchmark for issue 15 (branch ovh19): how a blocking receive could wait, in a 2-rank
 * ping-pong (rank 0 sends n bytes with MPI_Send and receives them back; rank 1 the mirror), the
 * receive done five ways on both ranks:
 *   recv      MPI_Recv (what a plain program does)
 *   wait      MPI_Irecv + MPI_Wait
 *   waitany   MPI_Irecv + MPI_Waitany over [request, a standing zero-byte "doorbell" receive]
 *             (any source, its own tag, on a duplicated communicator, posted once; never sent to)
 *   test      MPI_Irecv + an MPI_Test loop reading a volatile flag between tests (Mitten's wait)
 *   test1any  MPI_Irecv + one MPI_Test, then MPI_Waitany as waitany (wait15's order)
 *   waitcb    MPI_Irecv + MPI_Wait with a callback registered in Open MPI's progress loop
 *             (opal_progress_register, libopen-pal) that reads a volatile flag: what a wait that
 *             is interrupted from inside MPI would cost (the callback never fires here)
 *   waitcblp  the same with the callback registered as low-priority (opal_progress_register_lp:
 *             called only on a progress call that found no event, every 8th such call)
 *   waitcbreg waitcblp with the callback registered before and unregistered after each MPI_Wait
 *             (what a wait would cost that keeps the callback out of every other MPI call)
 * One measurement = K round trips (K calibrated on recv to >= min-ms), the variants in rotating
 * order per measurement, T measurements per size. Output (rank 0), per size and variant:
 *   variant,size,k,min_ns,p10_ns,median_ns   (ns per one-way message = time / 2K)
 * then per size the differences to recv in ns (min / 10th percentile / median).
 * Build: mpicc -O2 -o blockwait bench/native/blockwait.c -lopen-pal
 * Usage: mpiexec -n 2 blockwait [--measurements T] [--min-ms M] [--sizes 0,8,64]
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exchange.h"

enum { RECV, WAIT, WAITANY, TEST, TEST1ANY, WAITCB, WAITCBLP, WAITCBREG, VARIANTS };
static const char *names[VARIANTS] = { "recv", "wait", "waitany", "test", "test1any", "waitcb", "waitcblp", "waitcbreg" };

/* Open MPI 4.1's libopen-pal: a function called on every opal_progress() */
typedef int (*opal_progress_callback_t)(void);
extern int opal_progress_register(opal_progress_callback_t cb);
extern int opal_progress_register_lp(opal_progress_callback_t cb);
extern int opal_progress_unregister(opal_progress_callback_t cb);
static long flag_reads_that_fired = 0;
static volatile int sync_flag = 0;
static struct doorbell doorbell;

static int progress_check(void)
{
    if (sync_flag) flag_reads_that_fired++; /* a real one would cancel the waited receive */
    return 0;
}

static void receive(char *b, int n, int peer, int variant)
{
    if (variant == RECV) {
        MPI_Recv(b, n, MPI_BYTE, peer, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        return;
    }
    MPI_Request r;
    MPI_Irecv(b, n, MPI_BYTE, peer, 1, MPI_COMM_WORLD, &r);
    if (variant == WAIT || variant == WAITCB || variant == WAITCBLP) {
        MPI_Wait(&r, MPI_STATUS_IGNORE);
    } else if (variant == WAITCBREG) {
        opal_progress_register_lp(progress_check);
        MPI_Wait(&r, MPI_STATUS_IGNORE);
        opal_progress_unregister(progress_check);
    } else if (variant == WAITANY) {
        wait_beside_doorbell(&r, &doorbell);
    } else if (variant == TEST) {
        test_until_done_or_flag(&r, &sync_flag);
    } else {
        int done = 0;
        MPI_Test(&r, &done, MPI_STATUS_IGNORE);
        if (!done) wait_beside_doorbell(&r, &doorbell);
    }
}

static double run(int variant, char *b, int n, long k, int rank)
{
    if (variant == WAITCB) opal_progress_register(progress_check);
    if (variant == WAITCBLP) opal_progress_register_lp(progress_check);
    MPI_Barrier(MPI_COMM_WORLD);
    double start = MPI_Wtime();
    blocking_pingpong(b, b, n, k, rank, receive, variant);
    double t = elapsed_max(start);
    if (variant == WAITCB || variant == WAITCBLP) opal_progress_unregister(progress_check);
    return t;
}

int main(int argc, char **argv)
{
    int T = 21;
    double min_ms = 2;
    int sizes[16] = { 0, 8, 64 }, nsizes = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--measurements")) T = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--min-ms")) min_ms = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--sizes")) {
            nsizes = 0;
            for (char *p = strtok(argv[i + 1], ","); p && nsizes < 16; p = strtok(NULL, ","))
                sizes[nsizes++] = atoi(p);
        }
    }
    if (T > 512) T = 512;
    if (T < 1) T = 1;
    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    doorbell_open(&doorbell);
    char *b = calloc(1, 65536);
    static double all[VARIANTS][512];
    double mins[VARIANTS], p10s[VARIANTS], meds[VARIANTS];
    if (rank == 0) printf("variant,size,k,min_ns,p10_ns,median_ns\n");
    for (int z = 0; z < nsizes; z++) {
        int n = sizes[z];
        long k = 16;
        for (;;) {
            double t = 1e9;
            for (int a = 0; a < 3; a++) {
                double u = run(RECV, b, n, k, rank);
                if (u < t) t = u;
            }
            long ok = t * 1e3 >= min_ms;
            MPI_Bcast(&ok, 1, MPI_LONG, 0, MPI_COMM_WORLD);
            if (ok) break;
            k *= 2;
        }
        for (int m = 0; m < T; m++)
            for (int v = 0; v < VARIANTS; v++) {
                int w = (v + m) % VARIANTS;
                all[w][m] = run(w, b, n, k, rank) / (2.0 * k) * 1e9;
            }
        for (int v = 0; v < VARIANTS; v++) {
            qsort(all[v], T, sizeof(double), compare_doubles);
            mins[v] = all[v][0];
            p10s[v] = all[v][T / 10];
            meds[v] = all[v][T / 2];
            if (rank == 0) printf("%s,%d,%ld,%.1f,%.1f,%.1f\n", names[v], n, k, mins[v], p10s[v], meds[v]);
        }
        if (rank == 0) {
            printf("delta_ns_vs_recv,%d", n);
            for (int v = 1; v < VARIANTS; v++)
                printf(",%s=%+.1f/%+.1f/%+.1f", names[v], mins[v] - mins[RECV], p10s[v] - p10s[RECV], meds[v] - meds[RECV]);
            printf("\n");
        }
        fflush(stdout);
    }
    doorbell_close(&doorbell);
    free(b);
    MPI_Finalize();
    return 0;
}
