/*
 * Micro-benchmark for issue 15 (branch msg15): does a blocking receive / wait cost more when it
 * is posted non-blocking and polled (Mitten's way, so the rank can answer a migration) than
 * when MPI blocks in it, and does polling Open MPI's request completion directly close the gap?
 * Two patterns between ranks 0 and 1:
 *   pingpong     rank 0: Send, Recv; rank 1: Recv, Send (sends are MPI_Send in every variant,
 *                as Mitten sends <= 4 KiB eagerly)
 *   nonblocking  rank 0: Irecv, Isend, wait both; rank 1: Irecv, wait; Isend, wait
 * and three ways to complete a receive / request:
 *   block     MPI_Recv / MPI_Wait (the plain binding)
 *   test      MPI_Irecv, then MPI_Test in a loop reading a volatile flag between tests (Mitten now)
 *   progress  MPI_Irecv, then a loop: read the request's req_complete (Open MPI 4.1: offset 88
 *             in ompi_request_t, checked at start-up), else the flag, else opal_progress();
 *             once complete one MPI_Test (frees the request, gives the status)
 * One measurement = K iterations (K calibrated to >= min-ms with "block"), the variants
 * interleaved per measurement in rotating order, T measurements per size.
 * Output (rank 0): pattern,variant,size,k,median_us,min_us, then the ratios to block (medians).
 * Build: mpicc -O2 -o bench/native/build/progress bench/native/progress.c -lopen-pal
 * Usage: mpiexec -n 2 progress [--measurements T] [--min-ms M] [--patterns pingpong,nonblocking]
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exchange.h"

extern int opal_progress(void); /* libopen-pal, exported */

enum { BLOCK, TEST, PROGRESS, VARIANTS };
static const char *names[VARIANTS] = { "block", "test", "progress" };
static volatile int sync_flag = 0;
static size_t complete_offset = 88;

static inline int request_complete(MPI_Request r)
{
    return *(void *volatile *)((char *)r + complete_offset) == (void *)1;
}

static void complete(MPI_Request *r, int variant)
{
    int done = 0;
    if (variant == BLOCK) {
        MPI_Wait(r, MPI_STATUS_IGNORE);
    } else if (variant == TEST) {
        test_until_done_or_flag(r, &sync_flag);
    } else {
        while (!request_complete(*r)) {
            if (sync_flag) return;
            opal_progress();
        }
        MPI_Test(r, &done, MPI_STATUS_IGNORE);
    }
}

static void receive(char *r, int n, int source, int variant)
{
    if (variant == BLOCK) {
        MPI_Recv(r, n, MPI_BYTE, source, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        return;
    }
    MPI_Request q;
    MPI_Irecv(r, n, MPI_BYTE, source, 1, MPI_COMM_WORLD, &q);
    complete(&q, variant);
}

static double run(int pattern, int variant, char *s, char *r, int n, long k, int rank)
{
    MPI_Barrier(MPI_COMM_WORLD);
    double start = MPI_Wtime();
    if (pattern == 0) {
        blocking_pingpong(s, r, n, k, rank, receive, variant);
    } else {
        nonblocking_exchange(s, r, n, k, rank, complete, variant);
    }
    return elapsed_max(start);
}

/* The offset check: a receive nobody has sent to reads pending, after the matching send completed. */
static int check_offset(int rank)
{
    int ok = 1;
    char byte = 0;
    MPI_Request q;
    MPI_Irecv(&byte, 1, MPI_BYTE, rank ^ 1, 9, MPI_COMM_WORLD, &q);
    if (request_complete(q)) ok = 0;
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Send(&byte, 1, MPI_BYTE, rank ^ 1, 9, MPI_COMM_WORLD);
    while (!request_complete(q)) opal_progress();
    int done = 0;
    MPI_Test(&q, &done, MPI_STATUS_IGNORE);
    if (!done) ok = 0;
    return ok;
}

int main(int argc, char **argv)
{
    int T = 15;
    double min_ms = 5;
    const char *patterns = "pingpong,nonblocking";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--measurements")) T = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--min-ms")) min_ms = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--patterns")) patterns = argv[i + 1];
    }
    if (T > 64) T = 64;
    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (!check_offset(rank)) {
        fprintf(stderr, "progress: req_complete offset %zu failed the check\n", complete_offset);
        MPI_Abort(MPI_COMM_WORLD, 3);
    }
    int sizes[] = { 0, 8, 64, 512, 4096, 32768 };
    int nsizes = sizeof sizes / sizeof sizes[0];
    char *s = calloc(1, 65536), *r = calloc(1, 65536);
    if (rank == 0) printf("pattern,variant,size,k,median_us,min_us\n");
    for (int pattern = 0; pattern < 2; pattern++) {
        const char *pname = pattern == 0 ? "pingpong" : "nonblocking";
        if (!strstr(patterns, pname)) continue;
        for (int z = 0; z < nsizes; z++) {
            int n = sizes[z];
            long k = 16;
            for (;;) {
                double t = 1e9;
                for (int a = 0; a < 3; a++) {
                    double u = run(pattern, BLOCK, s, r, n, k, rank);
                    if (u < t) t = u;
                }
                long ok = t * 1e3 >= min_ms;
                MPI_Bcast(&ok, 1, MPI_LONG, 0, MPI_COMM_WORLD);
                if (ok) break;
                k *= 2;
            }
            double all[VARIANTS][64], med[VARIANTS];
            for (int m = 0; m < T; m++)
                for (int v = 0; v < VARIANTS; v++) {
                    int w = (v + m) % VARIANTS;
                    all[w][m] = run(pattern, w, s, r, n, k, rank) / k * 1e6;
                }
            for (int v = 0; v < VARIANTS; v++) {
                qsort(all[v], T, sizeof(double), compare_doubles);
                med[v] = all[v][T / 2];
                if (rank == 0) printf("%s,%s,%d,%ld,%.3f,%.3f\n", pname, names[v], n, k, med[v], all[v][0]);
            }
            if (rank == 0) printf("ratio,%s,%d,test/block=%.3f,progress/block=%.3f,progress/test=%.3f\n", pname, n,
                                  med[TEST] / med[BLOCK], med[PROGRESS] / med[BLOCK], med[PROGRESS] / med[TEST]);
            fflush(stdout);
        }
    }
    free(s); free(r);
    MPI_Finalize();
    return 0;
}
