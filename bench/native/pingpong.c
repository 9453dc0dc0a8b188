/*
 * Native MPI ping-pong: the C reference for bench/PingPong (the C# program measures the
 * same thing the same way). Rank 0 sends n bytes to rank 1, rank 1 sends them back;
 * one measurement = K back-to-back round trips (K calibrated so a measurement lasts at
 * least ~1 ms) divided by 2K = the half round trip. T measurements per size, sizes
 * interleaved, each measurement started by a barrier; the calibration exchanges are the
 * warm-up and are not counted (each K is tried three times and the least time decides).
 * Output (rank 0, stdout), one CSV line per size:
 *   impl,size_bytes,k,t,min_us,median_us,bw_min_MBps,bw_median_MBps
 *
 * Usage: mpiexec -n 2 pingpong [--measurements T] [--min-ms M] [--max-bytes N] [--thread-level single|funneled]
 * (single = MPI_Init, the default; funneled = MPI_Init_thread(MPI_THREAD_FUNNELED), for comparison).
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SIZES 32

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

/* K round trips of n bytes between ranks 0 and 1; returns the elapsed seconds on rank 0. */
static double round_trips(char *buffer, int n, long k, int rank)
{
    MPI_Barrier(MPI_COMM_WORLD);
    double start = MPI_Wtime();
    if (rank == 0) {
        for (long i = 0; i < k; i++) {
            MPI_Send(buffer, n, MPI_BYTE, 1, 1, MPI_COMM_WORLD);
            MPI_Recv(buffer, n, MPI_BYTE, 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        }
    } else if (rank == 1) {
        for (long i = 0; i < k; i++) {
            MPI_Recv(buffer, n, MPI_BYTE, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(buffer, n, MPI_BYTE, 0, 1, MPI_COMM_WORLD);
        }
    }
    return MPI_Wtime() - start;
}

int main(int argc, char **argv)
{
    int measurements = 20;
    double min_seconds = 1e-3;
    long max_bytes = 4L << 20;
    int funneled = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--measurements") == 0) measurements = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--min-ms") == 0) min_seconds = atof(argv[i + 1]) / 1000.0;
        else if (strcmp(argv[i], "--max-bytes") == 0) max_bytes = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--thread-level") == 0) funneled = strcmp(argv[i + 1], "funneled") == 0;
    }
    if (measurements < 1) measurements = 1;

    if (funneled) {
        int provided;
        MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    } else {
        MPI_Init(&argc, &argv);
    }
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size != 2) {
        if (rank == 0) fprintf(stderr, "pingpong: needs exactly 2 ranks, got %d\n", size);
        MPI_Finalize();
        return 2;
    }

    /* Sizes: 8 B, then x4 steps, then the maximum (4 MiB by default). */
    long sizes[MAX_SIZES];
    int count = 0;
    for (long n = 8; n < max_bytes && count < MAX_SIZES - 1; n *= 4) sizes[count++] = n;
    sizes[count++] = max_bytes;

    char *buffer = malloc((size_t)max_bytes);
    memset(buffer, 1, (size_t)max_bytes);

    /* Calibration (also the warm-up): double K until K round trips last >= min_seconds. */
    long k[MAX_SIZES];
    for (int s = 0; s < count; s++) {
        long reps = 1;
        for (;;) {
            /* The least of three trials, so one descheduling on a busy machine does not fix K too small. */
            double elapsed = 1e30;
            for (int trial = 0; trial < 3; trial++) {
                double e = round_trips(buffer, (int)sizes[s], reps, rank);
                MPI_Bcast(&e, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
                if (e < elapsed) elapsed = e;
            }
            if (elapsed >= min_seconds || reps >= (1L << 24)) break;
            reps *= 2;
        }
        k[s] = reps;
    }

    /* T measurements per size, sizes interleaved. */
    double *times = malloc(sizeof(double) * (size_t)count * (size_t)measurements);
    for (int m = 0; m < measurements; m++) {
        for (int s = 0; s < count; s++) {
            double elapsed = round_trips(buffer, (int)sizes[s], k[s], rank);
            times[s * measurements + m] = elapsed / (2.0 * (double)k[s]);
        }
    }

    if (rank == 0) {
        for (int s = 0; s < count; s++) {
            double *t = times + s * measurements;
            qsort(t, (size_t)measurements, sizeof(double), compare_double);
            double min = t[0];
            double median = measurements % 2 ? t[measurements / 2] : 0.5 * (t[measurements / 2 - 1] + t[measurements / 2]);
            printf("c,%ld,%ld,%d,%.4f,%.4f,%.2f,%.2f\n", sizes[s], k[s], measurements, min * 1e6, median * 1e6,
                   sizes[s] / min / 1e6, sizes[s] / median / 1e6);
        }
        fflush(stdout);
    }
    free(times);
    free(buffer);
    MPI_Finalize();
    return 0;
}
