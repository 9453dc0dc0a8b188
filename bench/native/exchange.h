/* What the per-message micro-benchmarks of bench/native share (waitany.c, progress.c): the
   nonblocking exchange of n bytes between ranks 0 and 1 with the way a request is completed
   passed in, the time of a run (largest over ranks), and an order of doubles for qsort. */
#ifndef MITTEN_EXCHANGE_H
#define MITTEN_EXCHANGE_H

#include <mpi.h>

/* Completes *r the way the variant says (MPI_Wait, a test loop, ...). */
typedef void (*complete_request)(MPI_Request *r, int variant);

/* k exchanges: rank 0 posts its receive and send, then completes both; rank 1 receives, then sends back. */
static inline void nonblocking_exchange(char *s, char *r, int n, long k, int rank, complete_request complete, int variant)
{
    MPI_Request a, b;
    if (rank == 0) {
        for (long i = 0; i < k; i++) {
            MPI_Irecv(r, n, MPI_BYTE, 1, 2, MPI_COMM_WORLD, &a);
            MPI_Isend(s, n, MPI_BYTE, 1, 2, MPI_COMM_WORLD, &b);
            complete(&a, variant);
            complete(&b, variant);
        }
    } else if (rank == 1) {
        for (long i = 0; i < k; i++) {
            MPI_Irecv(r, n, MPI_BYTE, 0, 2, MPI_COMM_WORLD, &a);
            complete(&a, variant);
            MPI_Isend(s, n, MPI_BYTE, 0, 2, MPI_COMM_WORLD, &b);
            complete(&b, variant);
        }
    }
}

/* The seconds since start, largest over the ranks of MPI_COMM_WORLD. */
static inline double elapsed_max(double start)
{
    double t = MPI_Wtime() - start, max;
    MPI_Allreduce(&t, &max, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return max;
}

static int compare_doubles(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

#endif
