/*
 * Micro-benchmark for issue 15: the cost of the three ways a Mitten wait could block, in the
 * Mpptest "nonblocking" pattern (rank 0: Irecv + Isend, wait both; rank 1: Irecv, wait; Isend,
 * wait), between ranks 0 and 1:
 *   wait     MPI_Wait on each request (what the plain binding does)
 *   test     MPI_Test in a loop with a read of a volatile flag between tests (Mitten's polled wait)
 *   waitany  MPI_Waitany over [request, a standing zero-byte wake receive] (any source, its own
 *            tag, on a duplicated communicator, posted once), repeated until the request completes
 * One measurement = K iterations (K calibrated to >= min-ms), variants interleaved per
 * measurement, T measurements per size. Output (rank 0): variant,size,k,median_us,min_us
 * per size, and the ratios to wait.
 * Usage: mpiexec -n 2 waitany [--measurements T] [--min-ms M]
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exchange.h"

enum { WAIT, TEST, WAITANY, VARIANTS };
static const char *names[VARIANTS] = { "wait", "test", "waitany" };
static volatile int sync_flag = 0;
static struct doorbell wake;

static void wait_one(MPI_Request *r, int variant)
{
    if (variant == WAIT) {
        MPI_Wait(r, MPI_STATUS_IGNORE);
    } else if (variant == TEST) {
        test_until_done_or_flag(r, &sync_flag);
    } else {
        wait_beside_doorbell(r, &wake);
    }
}

static double run(int variant, char *s, char *r, int n, long k, int rank)
{
    MPI_Barrier(MPI_COMM_WORLD);
    double start = MPI_Wtime();
    nonblocking_exchange(s, r, n, k, rank, wait_one, variant);
    return elapsed_max(start);
}

int main(int argc, char **argv)
{
    int T = 15;
    double min_ms = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--measurements")) T = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--min-ms")) min_ms = atof(argv[i + 1]);
    }
    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    doorbell_open(&wake);
    int sizes[] = { 0, 8, 64, 512, 4096, 32768 };
    int nsizes = sizeof sizes / sizeof sizes[0];
    char *s = calloc(1, 65536), *r = calloc(1, 65536);
    double *times = malloc(sizeof(double) * T);
    double med[VARIANTS];
    if (rank == 0) printf("variant,size,k,median_us,min_us\n");
    for (int z = 0; z < nsizes; z++) {
        int n = sizes[z];
        long k = 16;
        while (1) {
            double t = 1e9;
            for (int a = 0; a < 3; a++) {
                double u = run(WAIT, s, r, n, k, rank);
                if (u < t) t = u;
            }
            long ok = t * 1e3 >= min_ms;
            MPI_Bcast(&ok, 1, MPI_LONG, 0, MPI_COMM_WORLD);
            if (ok) break;
            k *= 2;
        }
        double all[VARIANTS][64];
        for (int m = 0; m < T && m < 64; m++)
            for (int v = 0; v < VARIANTS; v++)
                all[(v + m) % VARIANTS][m] = run((v + m) % VARIANTS, s, r, n, k, rank) / k * 1e6;
        for (int v = 0; v < VARIANTS; v++) {
            qsort(all[v], T, sizeof(double), compare_doubles);
            med[v] = all[v][T / 2];
            if (rank == 0) printf("%s,%d,%ld,%.3f,%.3f\n", names[v], n, k, med[v], all[v][0]);
        }
        if (rank == 0) printf("ratio,%d,test/wait=%.3f,waitany/wait=%.3f\n", n, med[TEST] / med[WAIT], med[WAITANY] / med[WAIT]);
        fflush(stdout);
    }
    doorbell_close(&wake);
    free(s); free(r); free(times);
    MPI_Finalize();
    return 0;
}
