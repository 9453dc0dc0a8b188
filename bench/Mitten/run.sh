#!/usr/bin/env bash
# Mitten experiments (patent 002, Figs. 11-13). Usually run through scripts/bench.sh.
#
#   bench/Mitten/run.sh overhead  [--repeat K (3)] [--repeats R (60)] [--repeats-small RS (5R)] [--is-classes "A W"] [--is-ranks N (2)]
#                                 [--mpptest-rounds M (9)] [--collective-ranks N (2)] [--measurements T (10)] [--quick]
#       NAS IS and the Mpptest-style patterns on the plain binding and through Mitten,
#       alternating in one job (IS: R repetitions after a warm-up one, each with fresh states,
#       the two variants alternating iteration by iteration, which goes first alternating too;
#       Mpptest: per size and measurement). IS: two states serve all repetitions and swap
#       variants each repetition (layout 0/1); classes S and W run RS repetitions (an iteration is
#       about 7 times shorter than class A's, so 5R takes about the time of class A's R and gives a
#       median of as many milliseconds of work, not 7 times fewer); per class, the geometric mean of the
#       two layouts' median ratio mitten / plain per block of two consecutive pairs (crossover_figure,
#       bench/Mitten/figures.sh); is_pct = their geometric mean over classes, minus 1. Mpptest:
#       point-to-point and collectives on 2 ranks (not oversubscribed; 4 ranks
#       on 2 cores measures time-sharing), M rounds; mpptest_pct = geometric mean over patterns
#       and sizes of the per-size median over rounds of the ratio of the minima, minus 1. Both
#       also run a control (plain against plain on a duplicate communicator, the same way) to
#       show the comparison's own noise floor.
#       The whole measurement is repeated K times in one invocation (--repeat), so one lucky
#       repetition cannot meet the goal: the summary reports the WORST repetition and the spread,
#       "overhead: is_pct=<worst> mpptest_pct=<worst> is_pct_median=... is_pct_range=lo..hi
#       mpptest_pct_median=... mpptest_pct_range=lo..hi pattern_worst=<pattern>:<pct>
#       plain_pingpong_8b_us_range=lo..hi (the machine state of the repetitions: plain's 8-byte one-way time,
#       ~0.40 or ~0.12 us here; bench/RESULTS.md "ovh18") repetitions=K
#       startup_prejit_ms=... mg_pct=..." (per-repetition figures: overhead-repetitions.csv, per pattern:
#       overhead-mpptest-by-repetition.csv; the other files are the last repetition's).
#       NAS MG (--mg-classes "W A", --mg-ranks 2, --mg-repeats 30), once after the K repetitions, the
#       same way as IS (MG --compare mitten|plain --interleave): mg_pct. --only-mg runs just the MG
#       part and ends with "overhead: mg_pct=Z".
#       Idle warm spares (--spare-pairs P (7); 0 skips): IS class A through Mitten without and with a
#       spare (MITTEN_SPARES=1), one job each per pair, alternating; spares_idle_pct = median over the
#       pairs of the ratio of the jobs' median iteration times, minus 1 (spares_idle_range: lo..hi).
#       --only-spares runs just that part: "overhead: spares_idle_pct=X spares_idle_range=lo..hi".
#   bench/Mitten/run.sh migration [--repeats R (5)] [--ranks "2 4 8"] [--class A] [--rank K (1)] [--iteration I (5)] [--hosts H] [--spares S (0)]
#                                 [--repeats-large R2 (R)] [--job-timeout SECONDS (900)] [--aot]
#       IS migrating rank K at iteration I, R times per rank count (R2 times from 32 ranks up); phase medians per rank count.
#       --spares S: every job (IS and MG) starts S warm spares (MITTEN_SPARES); the moving rank takes one
#       instead of spawning, and spawn_ms is then the time to take it (synchronized .. spare_taken).
#       --spares "0 1" (several counts): the scaling sweep (no MG part): every repetition runs each spare
#       count at each rank count, alternating which goes first; files migration-scaling*.csv/png (log-log,
#       one line per phase and variant); per phase the slope of log(median) against log(ranks) (1 = linear);
#       ends with "migration: sweep=yes class=C ranks=... spares=0,1 protocol_ms_16=P0,P1 protocol_goal_16=met|missed
#       exp_<phase>=E0,E1 ... ratio_<phase>=Q0,Q1 ... linear_ratio=L faster_than_linear=none|phase:spares,... runs= failed= verified=".
#       A job that fails or passes --job-timeout is recorded in migration*-failures.txt and the sweep goes on.
#       Then NAS MG (--mg-class W --mg-ranks 8 --mg-rank 1 --mg-iteration 2), the size SNOW moved 7.5 MB
#       for in 2.29 s, R times; --only-mg runs just the MG part.
#       Ends with "migration: ranks=8 spares=S sync_ms=S protocol_ms=P freeze_wait_ms=W lock_wait_ms=L spawn_ms=Y transfer_ms=Z total_ms=T
#       freeze_ms=F transfer_MBps=M mg_...=...". transfer_MBps: the 64 MiB point (shared memory, to a spare) of the last
#       `scripts/bench.sh statetransfer` sweep in the same results directory, nan if none was run there. freeze_wait_ms: the part of protocol_ms spent in the freeze's one-sided operations
#       (across hosts: waiting for the other host's ranks to next enter MPI, docs/PROTOCOL.md "Per-process state in
#       the window"); lock_wait_ms: the migration lock taken before it (not part of protocol_ms). Both in the CSVs too.
#       --aot: IS runs as a Native AOT program (scripts/publish-is-aot.sh publishes it into bench/IS/bin/aot,
#       again only when its sources changed; MITTEN_AOT_DIR names another directory); the summary line
#       ends with aot=1 and has no MG part; its files are migration*-aot.
#       --hosts H (root): over H namespace test hosts (scripts/hosts.sh; brought up, and down at the
#       end, when not up already), each repetition moving rank K to the host it is on (same-host)
#       and to the next host (cross-host), alternating which goes first; no MG part. The phases are
#       the cross-host medians (files migration-hosts*.csv/png); the line is "migration: hosts=H class=C ranks=N spares=S sync_ms= protocol_ms=
#       freeze_wait_ms= lock_wait_ms= spawn_ms= (take_ms= with spares) transfer_ms= commit_resume_ms= total_ms= freeze_ms= same_host_<each>_ms=
#       cross_vs_same_total= cross_vs_same_freeze= cross_vs_same_protocol= cross_vs_same_spawn|take= [spare_taken=K/N]
#       load1=median(min..max)" (ratios: medians of per-repetition ratios). With --spares S the spares
#       start on each variant's TARGET host (MITTEN_SPARE_HOSTS: h1 for same-host, h2 for cross-host),
#       so the moving rank takes one there; spare_taken counts the runs that did (the rest spawned).
#
# Results: CSV and PNG files in bench/results/ (or $MITTEN_BENCH_RESULTS); progress on stderr.
# Every MPI job runs under flock $MITTEN_BENCH_LOCK (default /tmp/mitten-mpi-jobs.lock).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
export TERM=dumb

LOCK=${MITTEN_BENCH_LOCK:-/tmp/mitten-mpi-jobs.lock}
RESULTS=${MITTEN_BENCH_RESULTS:-$PWD/bench/results}
TMP=$RESULTS/tmp
mkdir -p "$RESULTS" "$TMP"
IS=bench/IS/bin/Release/net10.0/IS
MPPTEST=bench/Mpptest/bin/Release/net10.0/Mpptest

NAME=${1:-}
[ $# -gt 0 ] && shift
case "$NAME" in
  overhead|migration) ;;
  *) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" >&2; exit 2 ;;   # the whole header above
esac

progress() { printf '[bench %s %s] %s\n' "$NAME" "$(date +%H:%M:%S)" "$*" >&2; }
. bench/Mitten/figures.sh   # median, quantile, minimum, maximum, crossover_figure

# mpi_job SECONDS RANKS program args...: one MPI job under the machine lock.
mpi_job() {
  local limit=$1 ranks=$2
  shift 2
  flock "$LOCK" timeout "$limit" mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n "$ranks" "$@"
}

build() {
  local project
  for project in bench/IS/IS.csproj bench/Mpptest/Mpptest.csproj bench/MG/MG.csproj; do
    local attempt ok=0
    for attempt in 1 2 3 4; do
      if dotnet build "$project" -c Release -v q -nologo -clp:NoSummary >"$TMP/mitten-build.log" 2>&1; then ok=1; break; fi
      progress "build of $project failed (attempt $attempt), retrying"
      sleep 5
    done
    if [ "$ok" -ne 1 ]; then
      cat "$TMP/mitten-build.log" >&2
      echo "$NAME: error=build-failed project=$project"
      exit 1
    fi
  done
}

. bench/Mitten/scaling.sh   # the migration options' checks and the scaling sweep's report
. bench/Mitten/idle-spares.sh   # what idle warm spares cost (overhead's last part)

gnuplot_terminal() {
  if gnuplot -e "set terminal pngcairo" >/dev/null 2>&1; then echo "pngcairo size 900,600 font ',10'"; else echo "png size 900,600"; fi
}

. bench/Mitten/overhead.sh    # overhead, overhead_repetition
. bench/Mitten/migration.sh   # migration
. bench/Mitten/aot.sh         # publish_is_aot (migration --aot)
. bench/Mitten/mg.sh          # overhead_mg, migration_mg (MG in both)


"$NAME" "$@"
