/*
 * xhost19: does a passive-target MPI_Fetch_and_op on a rank that computes (no MPI calls) complete
 * before that rank next enters MPI? Rank 1 busy-loops BUSY ms per round; rank 0 waits 5 ms into
 * the round, then times MPI_Fetch_and_op + MPI_Win_flush on rank 1's word (lock_all held, as
 * Mitten's superstep window). Thread level from XH_THREAD (single|multiple).
 * Build: mpicc -O2 -o /tmp/osc-progress bench/results/xhost19/osc-progress.c
 * Run:   mpiexec -n 2 --hostfile H /tmp/osc-progress [ROUNDS (10)] [BUSY_MS (40)]
 * Output (rank 0): one line, the per-round times (ms) and their median.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *level = getenv("XH_THREAD");
    int required = level && strcmp(level, "multiple") == 0 ? MPI_THREAD_MULTIPLE : MPI_THREAD_SINGLE, provided;
    MPI_Init_thread(&argc, &argv, required, &provided);
    int rounds = argc > 1 ? atoi(argv[1]) : 10;
    double busy = argc > 2 ? atof(argv[2]) : 40;
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    long word = 0;
    MPI_Win win;
    if (MPI_Win_create(&word, sizeof word, sizeof word, MPI_INFO_NULL, MPI_COMM_WORLD, &win) != MPI_SUCCESS) {
        fprintf(stderr, "rank %d: MPI_Win_create failed\n", rank);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    MPI_Win_lock_all(0, win);
    double *times = calloc(rounds, sizeof *times);
    volatile double sink = 0;
    for (int r = 0; r < rounds; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == 1) {
            double end = now_ms() + busy;
            while (now_ms() < end) {
                sink += 1;
            }
        } else if (rank == 0) {
            double start = now_ms() + 5;
            while (now_ms() < start) {
            }
            long one = 1, old;
            double t0 = now_ms();
            MPI_Fetch_and_op(&one, &old, MPI_LONG, 1, 0, MPI_BOR, win);
            MPI_Win_flush(1, win);
            times[r] = now_ms() - t0;
        }
    }
    if (rank == 0) {
        char name[MPI_MAX_PROCESSOR_NAME];
        int len;
        MPI_Get_processor_name(name, &len);
        printf("thread=%s provided=%d busy_ms=%.0f host0=%s times_ms=", level ? level : "single", provided, busy, name);
        for (int r = 0; r < rounds; r++) {
            printf("%s%.2f", r ? "," : "", times[r]);
        }
        qsort(times, rounds, sizeof *times, cmp);
        printf(" median_ms=%.2f\n", times[rounds / 2]);
    }
    MPI_Win_unlock_all(win);
    MPI_Win_free(&win);
    MPI_Finalize();
    return 0;
}
