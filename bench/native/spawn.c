/*
 * The floor of a spawn migration's launch: a C program that spawns one copy of itself, as
 * Mitten's moving rank spawns its replacement (MPI_Comm_spawn on MPI_COMM_SELF, one process,
 * "env" info key with the settings given by --env), and the child's first message back.
 * The parent prints one line (stdout):
 *   spawn: init_ms=... spawn_ms=... child_start_ms=... child_init_ms=... first_msg_ms=... connect_ms=...
 * init_ms: the parent's MPI_Init; spawn_ms: MPI_Comm_spawn's return; child_start_ms: the child's
 * main() entered, after the spawn call began; child_init_ms: the child's MPI_Init;
 * first_msg_ms: the child's first message received, after the spawn call began (all wall clock,
 * one host); connect_ms: a port opened by the child and MPI_Comm_connect/accept between the two
 * (what the replacement's join does after its restore), 0 without --connect.
 *
 * With more ranks, rank 0 spawns and the others wait as Mitten's waiting ranks do (a probe, then
 * 1 ms of sleep, until rank 0 is done), so the spawn competes only with the job's launcher.
 *
 * Usage: mpiexec -n N spawn [--env "NAME=value\nNAME=value"] [--connect]
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    double entered = now_ms();
    const char *env = NULL;
    int child = 0, connect = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--env") == 0 && i + 1 < argc) {
            env = argv[++i];
        } else if (strcmp(argv[i], "--child") == 0) {
            child = 1;
        } else if (strcmp(argv[i], "--connect") == 0) {
            connect = 1;
        }
    }
    MPI_Init(&argc, &argv);
    double initialized = now_ms();
    if (child) {
        MPI_Comm parent;
        MPI_Comm_get_parent(&parent);
        double times[2] = { entered, initialized };
        MPI_Send(times, 2, MPI_DOUBLE, 0, 1, parent);
        if (connect) {
            char port[MPI_MAX_PORT_NAME];
            MPI_Comm joined;
            MPI_Open_port(MPI_INFO_NULL, port);
            MPI_Send(port, MPI_MAX_PORT_NAME, MPI_CHAR, 0, 2, parent);
            MPI_Comm_accept(port, MPI_INFO_NULL, 0, MPI_COMM_SELF, &joined);
            MPI_Barrier(joined);
            MPI_Comm_disconnect(&joined);
            MPI_Close_port(port);
        }
        MPI_Comm_disconnect(&parent);
        MPI_Finalize();
        return 0;
    }
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank != 0) {
        int done = 0;
        while (!done) {
            MPI_Iprobe(0, 9, MPI_COMM_WORLD, &done, MPI_STATUS_IGNORE);
            if (!done) {
                usleep(1000);
            }
        }
        MPI_Recv(NULL, 0, MPI_BYTE, 0, 9, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Finalize();
        return 0;
    }
    MPI_Info info;
    MPI_Info_create(&info);
    if (env != NULL && env[0] != '\0') {
        /* the command line carries "\n" as two characters; the info value takes newlines */
        char *value = strdup(env);
        for (char *p = value; (p = strstr(p, "\\n")) != NULL;) {
            *p = '\n';
            memmove(p + 1, p + 2, strlen(p + 2) + 1);
        }
        MPI_Info_set(info, "env", value);
        free(value);
    }
    char *child_argv[] = { "--child", connect ? "--connect" : NULL, NULL };
    MPI_Comm inter;
    double spawn_start = now_ms();
    MPI_Comm_spawn(argv[0], child_argv, 1, info, 0, MPI_COMM_SELF, &inter, MPI_ERRCODES_IGNORE);
    double spawned = now_ms();
    double times[2];
    MPI_Recv(times, 2, MPI_DOUBLE, 0, 1, inter, MPI_STATUS_IGNORE);
    double first = now_ms();
    double connect_ms = 0;
    if (connect) {
        char port[MPI_MAX_PORT_NAME];
        MPI_Comm joined;
        MPI_Recv(port, MPI_MAX_PORT_NAME, MPI_CHAR, 0, 2, inter, MPI_STATUS_IGNORE);
        double c0 = now_ms();
        MPI_Comm_connect(port, MPI_INFO_NULL, 0, MPI_COMM_SELF, &joined);
        MPI_Barrier(joined);
        connect_ms = now_ms() - c0;
        MPI_Comm_disconnect(&joined);
    }
    printf("spawn: init_ms=%.1f spawn_ms=%.1f child_start_ms=%.1f child_init_ms=%.1f first_msg_ms=%.1f connect_ms=%.1f\n",
           initialized - entered, spawned - spawn_start, times[0] - spawn_start, times[1] - times[0], first - spawn_start, connect_ms);
    MPI_Comm_disconnect(&inter);
    MPI_Info_free(&info);
    for (int r = 1; r < size; r++) {
        MPI_Send(NULL, 0, MPI_BYTE, r, 9, MPI_COMM_WORLD);
    }
    MPI_Finalize();
    return 0;
}
