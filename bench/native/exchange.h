/* What the per-message micro-benchmarks of bench/native share (waitany.c, progress.c,
   blockwait.c): the nonblocking exchange and the blocking ping-pong of n bytes between ranks 0
   and 1 with the way a request or receive is completed passed in, Mitten's polled wait, the
   wait beside a standing "doorbell" receive, the time of a run (largest over ranks), and an
   order of doubles for qsort. */
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

/* The receive of n bytes from peer (tag 1) the way the variant says (MPI_Recv, posted and polled, ...). */
typedef void (*receive_message)(char *b, int n, int peer, int variant);

/* k round trips: rank 0 sends (MPI_Send, tag 1) and receives the bytes back; rank 1 the mirror. */
static inline void blocking_pingpong(char *s, char *r, int n, long k, int rank, receive_message receive, int variant)
{
    if (rank == 0) {
        for (long i = 0; i < k; i++) {
            MPI_Send(s, n, MPI_BYTE, 1, 1, MPI_COMM_WORLD);
            receive(r, n, 1, variant);
        }
    } else if (rank == 1) {
        for (long i = 0; i < k; i++) {
            receive(r, n, 0, variant);
            MPI_Send(s, n, MPI_BYTE, 0, 1, MPI_COMM_WORLD);
        }
    }
}

/* Mitten's polled wait: MPI_Test in a loop with a read of a flag (a synchronization's
   announcement) between tests; returns when the request completed or the flag is set. */
static inline void test_until_done_or_flag(MPI_Request *r, volatile int *flag)
{
    int done = 0;
    for (;;) {
        MPI_Test(r, &done, MPI_STATUS_IGNORE);
        if (done || *flag) return;
    }
}

/* A standing zero-byte receive (any source, tag 7) on a duplicate of MPI_COMM_WORLD: what a
   wait inside MPI would be woken by. Nobody sends to it in these benchmarks. */
struct doorbell {
    MPI_Comm control;
    MPI_Request request;
    char byte;
};

static inline void doorbell_post(struct doorbell *d)
{
    MPI_Irecv(&d->byte, 0, MPI_BYTE, MPI_ANY_SOURCE, 7, d->control, &d->request);
}

static inline void doorbell_open(struct doorbell *d)
{
    MPI_Comm_dup(MPI_COMM_WORLD, &d->control);
    doorbell_post(d);
}

/* MPI_Waitany over [*r, the doorbell] until *r completes; a doorbell that rang is posted again. */
static inline void wait_beside_doorbell(MPI_Request *r, struct doorbell *d)
{
    MPI_Request pair[2];
    pair[0] = *r;
    pair[1] = d->request;
    for (;;) {
        int index;
        MPI_Waitany(2, pair, &index, MPI_STATUS_IGNORE);
        if (index == 0) { *r = MPI_REQUEST_NULL; return; }
        doorbell_post(d);
        pair[1] = d->request;
    }
}

static inline void doorbell_close(struct doorbell *d)
{
    MPI_Cancel(&d->request);
    MPI_Wait(&d->request, MPI_STATUS_IGNORE);
    MPI_Comm_free(&d->control);
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
