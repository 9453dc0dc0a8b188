/*
 * Why a spawned .NET replacement's MPI_Init is longer than a C program's (issue 12): one C parent
 * job spawns, in rotating order, one child per variant per round, as Mitten's moving rank spawns
 * its replacement (MPI_Comm_spawn on MPI_COMM_SELF, one process, the "env" info key), and times
 * both ends. With more ranks, rank 0 spawns and the others wait as Mitten's waiting ranks do
 * during a migration (a probe, then 1 ms of sleep), so the spawn competes with the launcher only.
 *
 * A variant is --variant 'LABEL|KIND|ENV|COMMAND ARG...':
 *   KIND probe:  the child sends its own clock readings (this program with --child, or
 *                bench/SpawnProbe, the same in C#), then disconnects and finalizes;
 *   KIND mitten: the child is a Mitten program started as a replacement (MITTEN_SPAWNED_REPLACEMENT=1
 *                in ENV): its first message is HELLO (tag 27, its pid), answered with ABANDON
 *                (tag 28), after which it leaves (exit 0); its own start-up line comes from
 *                MITTEN_STARTUP_REPORT=1 on standard error;
 *   ENV:         settings for the child, ';'-separated (the info key's newline-separated list);
 *   COMMAND:     the program and its arguments, separated by spaces ("self" is this program).
 * Every child gets OMPI_MCA_pml=ob1 besides ENV (what Mitten passes, Mpi.SpawnEnvironment).
 *
 * One line per spawn on stdout:
 *   spawnab: round=R variant=L pid=P spawn_ms= hello_ms= exec_ms= main_ms= load_ms= init_ms=
 *            init_cpu_ms= init_thread_cpu_ms= cpu_before_init_ms= threads= child_cpu_at_hello_ms=
 *            launcher_cpu_ms= idle_pct= load1=
 * spawn_ms: MPI_Comm_spawn's return; hello_ms: the child's first message received; exec_ms: the
 * child's process start (/proc/PID/stat, 10 ms resolution); main_ms: its main() entered (all
 * after the spawn call began, wall clock, one host); load_ms: main .. the MPI library loaded
 * (0 for C, whose loader maps it before main); init_ms: MPI_Init; init_cpu_ms and
 * init_thread_cpu_ms: the child's processor time in MPI_Init, whole process and the calling
 * thread; cpu_before_init_ms: the process's processor time when MPI_Init began; threads: the
 * process's threads when MPI_Init began; child_cpu_at_hello_ms: /proc/PID/stat user+system when
 * its first message arrived; launcher_cpu_ms: mpiexec's (this process's parent's) processor
 * time over the spawn call; idle_pct: the machine's idle share over it (/proc/stat).
 * The probe-only fields are -1 for a mitten child.
 *
 * --busy LABEL: during that variant's spawns (until its first message) the other ranks compute
 * instead of napping (as ranks blocked on a rank that spawns would spin).
 *
 * Usage: mpiexec -n N spawnab --rounds R [--pause-ms MS] [--busy LABEL]... --variant '...' [--variant '...']...
 * Build: mpicc -O2 -o spawnab bench/native/spawnab.c
 */
#define _GNU_SOURCE
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { MaxVariants = 16, MaxArgs = 32, ProbeFields = 10, HelloTag = 27, AbandonTag = 28 };

struct variant {
    char *label, *kind, *env, *command;
    int busy; /* the other ranks compute during this variant's spawns (--busy LABEL) */
    char *argv[MaxArgs];
};

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double clock_ms(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int threads_of(const char *pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%s/status", pid);
    FILE *f = fopen(path, "r");
    int threads = -1;
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "Threads: %d", &threads) == 1) {
            break;
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    return threads;
}

/* Fields 14+15 (utime, stime) and 22 (starttime) of /proc/PID/stat, in clock ticks. */
static int proc_stat(int pid, long long *cpu_ticks, long long *start_ticks)
{
    char path[64], buffer[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    size_t n = fread(buffer, 1, sizeof buffer - 1, f);
    fclose(f);
    buffer[n] = '\0';
    char *p = strrchr(buffer, ')');
    if (p == NULL) {
        return -1;
    }
    p += 2; /* field 3 (state) */
    long long values[23] = { 0 };
    for (int field = 3; field <= 22 && *p != '\0'; field++) {
        values[field] = strtoll(p, &p, 10);
        if (field == 3) { /* the state is a letter */
            while (*p == ' ') {
                p++;
            }
            p++;
        }
    }
    *cpu_ticks = values[14] + values[15];
    *start_ticks = values[22];
    return 0;
}

/* The machine's total and idle jiffies (first line of /proc/stat). */
static void machine_ticks(long long *total, long long *idle)
{
    long long v[10] = { 0 };
    FILE *f = fopen("/proc/stat", "r");
    if (f != NULL) {
        if (fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) < 4) {
            memset(v, 0, sizeof v);
        }
        fclose(f);
    }
    *total = 0;
    for (int i = 0; i < 8; i++) {
        *total += v[i];
    }
    *idle = v[3] + v[4];
}

static double boot_ms(void)
{
    char line[256];
    double btime = 0;
    FILE *f = fopen("/proc/stat", "r");
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "btime %lf", &btime) == 1) {
            break;
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    return btime * 1e3;
}

static double load1(void)
{
    double value = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
        if (fscanf(f, "%lf", &value) != 1) {
            value = -1;
        }
        fclose(f);
    }
    return value;
}

static int child_main(int argc, char **argv)
{
    double entered = now_ms();
    int threads = threads_of("self");
    double cpu0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID), thread0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
    double t0 = now_ms();
    MPI_Init(&argc, &argv);
    double t1 = now_ms();
    double cpu1 = clock_ms(CLOCK_PROCESS_CPUTIME_ID), thread1 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
    MPI_Comm parent;
    MPI_Comm_get_parent(&parent);
    double fields[ProbeFields] = { getpid(), entered, entered, t0, t1, cpu0, cpu1 - cpu0, thread1 - thread0, threads, 0 };
    MPI_Send(fields, ProbeFields, MPI_DOUBLE, 0, 1, parent);
    MPI_Comm_disconnect(&parent);
    MPI_Finalize();
    return 0;
}

static int parse_variant(char *text, struct variant *v, const char *self)
{
    char *fields[4];
    for (int i = 0; i < 4; i++) {
        fields[i] = strsep(&text, "|");
        if (fields[i] == NULL) {
            return -1;
        }
    }
    v->label = fields[0];
    v->kind = fields[1];
    v->env = fields[2];
    int n = 0;
    for (char *word = strtok(fields[3], " "); word != NULL && n < MaxArgs - 1; word = strtok(NULL, " ")) {
        v->argv[n++] = word;
    }
    v->argv[n] = NULL;
    if (n == 0 || (strcmp(v->kind, "probe") != 0 && strcmp(v->kind, "mitten") != 0)) {
        return -1;
    }
    v->command = strcmp(v->argv[0], "self") == 0 ? (char *)self : v->argv[0];
    if (strcmp(v->argv[0], "self") == 0) {
        v->argv[0] = "--child"; /* this program as the C child */
    } else {
        memmove(v->argv, v->argv + 1, n * sizeof v->argv[0]); /* MPI_Comm_spawn's argv has no program name */
    }
    return 0;
}

/* Tells ranks 1..size-1 to nap (0) or compute (1) until told otherwise. */
static void set_others(int size, int mode)
{
    for (int r = 1; r < size; r++) {
        MPI_Send(&mode, 1, MPI_INT, r, 8, MPI_COMM_WORLD);
    }
}

static void spawn_one(int round, struct variant *v, double boot, long ticks_per_s, int size)
{
    char env[4096];
    snprintf(env, sizeof env, "OMPI_MCA_pml=ob1%s%s", v->env[0] != '\0' ? "\n" : "", v->env);
    for (char *p = env; *p != '\0'; p++) {
        if (*p == ';') {
            *p = '\n';
        }
    }
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "env", env);
    int launcher = getppid();
    long long launcher0, launcher1, start, total0, idle0, total1, idle1;
    if (proc_stat(launcher, &launcher0, &start) != 0) {
        launcher0 = 0;
    }
    machine_ticks(&total0, &idle0);
    double load = load1();
    if (v->busy) {
        set_others(size, 1);
    }
    MPI_Comm inter;
    double begin = now_ms();
    MPI_Comm_spawn(v->command, v->argv, 1, info, 0, MPI_COMM_SELF, &inter, MPI_ERRCODES_IGNORE);
    double spawned = now_ms();
    if (proc_stat(launcher, &launcher1, &start) != 0) {
        launcher1 = launcher0;
    }
    machine_ticks(&total1, &idle1);
    double fields[ProbeFields];
    for (int i = 0; i < ProbeFields; i++) {
        fields[i] = -1;
    }
    MPI_Status status;
    int pid;
    if (strcmp(v->kind, "probe") == 0) {
        MPI_Recv(fields, ProbeFields, MPI_DOUBLE, 0, 1, inter, &status);
        pid = (int)fields[0];
    } else {
        char text[32] = { 0 };
        MPI_Recv(text, sizeof text - 1, MPI_CHAR, 0, HelloTag, inter, &status);
        pid = atoi(text);
    }
    double hello = now_ms();
    if (v->busy) {
        set_others(size, 0);
    }
    long long child_cpu = -1, child_start = 0;
    char pid_text[32];
    snprintf(pid_text, sizeof pid_text, "%d", pid);
    int threads_at_hello = threads_of(pid_text);
    if (proc_stat(pid, &child_cpu, &child_start) != 0) {
        child_cpu = -1;
    }
    double exec_ms = boot + child_start * 1e3 / ticks_per_s - begin;
    if (strcmp(v->kind, "probe") == 0) {
        MPI_Comm_disconnect(&inter);
    } else {
        char abandon = 1;
        MPI_Send(&abandon, 1, MPI_CHAR, 0, AbandonTag, inter);
        MPI_Comm_free(&inter); /* as Mitten's AbandonReplacement: freed, not disconnected */
    }
    /* Wait until the child is gone, so the next spawn does not compete with its exit. */
    for (int i = 0; i < 1000 && kill(pid, 0) == 0; i++) {
        long long c, s;
        char path[64], state = 0;
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        FILE *f = fopen(path, "r");
        if (f == NULL) {
            break;
        }
        if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1) {
            state = 0;
        }
        fclose(f);
        if (state == 'Z' || state == 'X' || proc_stat(pid, &c, &s) != 0) {
            break;
        }
        usleep(5000);
    }
    double window = (double)(total1 - total0);
    printf("spawnab: round=%d variant=%s pid=%d spawn_ms=%.1f hello_ms=%.1f exec_ms=%.1f main_ms=%.1f load_ms=%.1f init_ms=%.1f "
           "init_cpu_ms=%.1f init_thread_cpu_ms=%.1f cpu_before_init_ms=%.1f threads=%.0f threads_at_hello=%d child_cpu_at_hello_ms=%.0f "
           "launcher_cpu_ms=%.0f idle_pct=%.1f load1=%.2f\n",
           round, v->label, pid, spawned - begin, hello - begin, exec_ms,
           fields[1] < 0 ? -1 : fields[1] - begin, fields[1] < 0 ? -1 : fields[3] - fields[1], fields[1] < 0 ? -1 : fields[4] - fields[3],
           fields[6], fields[7], fields[5], fields[8], threads_at_hello, child_cpu < 0 ? -1 : child_cpu * 1e3 / ticks_per_s,
           (launcher1 - launcher0) * 1e3 / ticks_per_s, window > 0 ? 100.0 * (idle1 - idle0) / window : -1, load);
    fflush(stdout);
    MPI_Info_free(&info);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--child") == 0) {
            return child_main(argc, argv);
        }
    }
    struct variant variants[MaxVariants];
    int count = 0, rounds = 5, pause_ms = 300;
    const char *busy[MaxVariants];
    int busy_count = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            rounds = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--pause-ms") == 0 && i + 1 < argc) {
            pause_ms = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--variant") == 0 && i + 1 < argc && count < MaxVariants) {
            if (parse_variant(strdup(argv[++i]), &variants[count], argv[0]) != 0) {
                fprintf(stderr, "spawnab: bad variant '%s' (LABEL|probe or mitten|ENV|COMMAND ARG...)\n", argv[i]);
                return 2;
            }
            variants[count].busy = 0;
            count++;
        } else if (strcmp(argv[i], "--busy") == 0 && i + 1 < argc && busy_count < MaxVariants) {
            busy[busy_count++] = argv[++i];
        }
    }
    for (int k = 0; k < count; k++) {
        for (int b = 0; b < busy_count; b++) {
            variants[k].busy |= strcmp(variants[k].label, busy[b]) == 0;
        }
    }
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank != 0) {
        /* Nap (probe, 1 ms of sleep) as Mitten's waiting ranks do, or compute (probe every ~1 ms)
         * as ranks that keep running do, until rank 0 ends the job (tag 9). */
        int mode = 0;
        volatile double sink = 0;
        while (1) {
            int found = 0;
            MPI_Status status;
            MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &found, &status);
            if (found && status.MPI_TAG == 9) {
                MPI_Recv(NULL, 0, MPI_BYTE, 0, 9, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                break;
            }
            if (found) {
                MPI_Recv(&mode, 1, MPI_INT, 0, 8, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            } else if (mode == 0) {
                usleep(1000);
            } else {
                double until = now_ms() + 1;
                while (now_ms() < until) {
                    sink += 1e-9 * sink + 1;
                }
            }
        }
        MPI_Finalize();
        return 0;
    }
    if (count == 0) {
        fprintf(stderr, "spawnab: no --variant\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    double boot = boot_ms();
    long ticks_per_s = sysconf(_SC_CLK_TCK);
    char comm[64] = "?", path[64];
    snprintf(path, sizeof path, "/proc/%d/comm", getppid());
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        if (fgets(comm, sizeof comm, f) == NULL) {
            strcpy(comm, "?");
        }
        comm[strcspn(comm, "\n")] = '\0';
        fclose(f);
    }
    printf("spawnab: ranks=%d rounds=%d variants=%d launcher=%s\n", size, rounds, count, comm);
    for (int round = 0; round < rounds; round++) {
        for (int k = 0; k < count; k++) {
            spawn_one(round, &variants[(round + k) % count], boot, ticks_per_s, size); /* rotating order */
            usleep(pause_ms * 1000);
        }
    }
    for (int r = 1; r < size; r++) {
        MPI_Send(NULL, 0, MPI_BYTE, r, 9, MPI_COMM_WORLD);
    }
    MPI_Finalize();
    return 0;
}
