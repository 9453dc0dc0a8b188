#!/usr/bin/env bash
# The one entry point for benchmarks:  scripts/bench.sh NAME [options]
# Results (CSV + PNG) go to bench/results/; progress goes to stderr; the last line on
# stdout is the summary "NAME: key=value ...". See bench/RESULTS.md for measured figures.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
export TERM=dumb   # .NET prints terminal mode sequences into the output when TERM is a terminal

# MITTEN_BENCH_RESULTS=DIR sends the results elsewhere (a side run that must not replace the
# recorded figures); relative to the checkout's root when not absolute.
RESULTS=${MITTEN_BENCH_RESULTS:-bench/results}
case "$RESULTS" in /*) ;; *) RESULTS=$PWD/$RESULTS ;; esac
mkdir -p "$RESULTS"
TMP=$RESULTS/tmp
LOCK=/tmp/mitten-mpi-jobs.lock
export MITTEN_BENCH_LOCK=$LOCK MITTEN_BENCH_RESULTS=$RESULTS

usage() {
  cat <<'EOF'
usage: scripts/bench.sh NAME [options]

names:
  pingpong    C reference (bench/native/pingpong.c) vs C# (bench/PingPong), alternating, 8 B .. 4 MiB
              options: --rounds R (5)  --measurements T (20)  --max-bytes N (4194304)  --min-ms M (5)
                       --thread-level single|funneled (single: MPI_Init in both programs)
  is          NAS IS (bench/IS): classes S W A at 1 2 4 8 ranks, repeated, median Mop/s
              options: --classes "S W A"  --ranks "1 2 4 8"  --repeats N (3)
  iskernel    NAS IS in C (bench/native/is.c, mpicc -O3 -march=native) vs the C# port (bench/IS), alternating,
              the same key sets; per pair the ratio of the medians over in-job repetitions, C# Mop/s / C Mop/s
              options: --classes "S W A B"  --ranks "1 2 4"  --pairs P (5)  --repeats R (runs per job;
                       default 21 at class S, whose runs take milliseconds, and 3 at the others)
              the C# jobs run with KERNEL_CSHARP_ENV (default DOTNET_TieredCompilation=0: compiled once,
              optimized, no recompiles during the timed loops; "" for the runtime's defaults)
  mgkernel    NAS MG in C (bench/native/mg.c, mpicc -O3 -march=native -ffp-contract=off) vs the C# port (bench/MG),
              alternating as iskernel; both must verify with the same final norm; the JIT listing of the kernels
              options: --classes "S W A"  --ranks "1 2 4"  --pairs P (5)  --repeats R (as iskernel)
  mg          NAS MG (bench/MG): plain and through Mitten alternating in one job per class and process
              count (MG --compare mitten), median Mop/s of each; every run must verify
              options: --classes "S W A"  --ranks "1 2 4"  --repeats N (3); class C alone defaults to
                       --ranks "2 4" --repeats 1 (3.6 GB of grids, about a minute per run)
                       --sweep (also class S at every power of two 1..64, one run of each variant)
  mpptest     Mpptest-style suite (bench/Mpptest): point-to-point on 2 ranks, collectives on 4
              options: --measurements T (10)  --quick  --compare plain|mitten (alternate two variants)
  checkpoint  checkpoint cost (bench/Checkpoint/run.sh)
  overhead    Mitten normal-execution overhead, patent Fig. 11 (bench/Mitten/run.sh overhead)
              options: --repeat K (3)  --repeats R (60: IS repetitions per class; classes S and W: --repeats-small, 5R)
                       --spare-pairs P (7; idle warm spares, 0 skips)  --only-spares  --only-mg
  migration   migration cost vs process count, patent Figs. 12-13 (bench/Mitten/run.sh migration)
              options: --repeats R (5)  --ranks "2 4 8"  --class A  --hosts H (same-host vs cross-host, root)
                       --spares S (S warm spares, MITTEN_SPARES: the moving rank takes one instead of spawning;
                                   with --hosts they start on each variant's target host)
                       --spares "0 1" (scaling sweep: both at every rank count, alternating; log-log plot, per-phase growth)
                       --repeats-large R2 (repetitions from 32 ranks up)  --job-timeout SECONDS (900)
              e.g. scripts/bench.sh migration --ranks "2 4 8 16 32 64" --class S --repeats 3 --spares "0 1"
                   scripts/bench.sh migration --hosts 2 --spares 1 --class B --ranks 4 --repeats 5
  plots       redraw is.png, mg.png and the mpptest plots from the results already in bench/results
              (no run); the Mitten-vs-plain mpptest plots come from overhead-mpptest.txt
  statetransfer  a migration's state transfer (bench/StateTransfer/run.sh): 1..256 MiB double[] and the 1M-node
              graph from a rank to a spawned process, MB/s next to memcpy and a plain TCP socket, alternating
              options: --rounds R (5)  --sizes "1 16 64 256"  --graph-nodes N (1000000)
  soak        randomized traffic with concurrent migrations until N commit; counts lost requests, hangs,
              lost/duplicated/reordered/corrupted messages, wrong results (bench/Soak/run.sh)
              options: --migrations N (1000)  --quick (20)  --seed S (one job)  --max-jobs J  --stall-seconds T (90)

Every name writes CSV and PNG files into bench/results/ (or $MITTEN_BENCH_RESULTS) and ends with one line "NAME: key=value ...".
EOF
}

NAME=${1:-}
[ $# -gt 0 ] && shift
case "$NAME" in
  pingpong|is|iskernel|mgkernel|mg|mpptest|checkpoint|overhead|migration|soak|plots|statetransfer) ;;
  -h|--help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac

mkdir -p "$RESULTS" "$TMP"

progress() { printf '[bench %s %s] %s\n' "$NAME" "$(date +%H:%M:%S)" "$*" >&2; }

# Builds the solution through setup.sh when the binding has never been built.
ensure_setup() {
  if [ ! -f src/Mitten.GroupComm/bin/Release/net10.0/Mitten.GroupComm.dll ] || ! command -v mpicc >/dev/null 2>&1 \
      || ! command -v gnuplot >/dev/null 2>&1; then
    progress "build missing: running scripts/setup.sh"
    scripts/setup.sh >&2
  fi
}

# dotnet build of one project (Release); retried because other builds may hold files.
build_project() {
  local project=$1 attempt
  for attempt in 1 2 3 4; do
    if dotnet build "$project" -c Release -v q -nologo -clp:NoSummary >"$TMP/build.log" 2>&1; then
      return 0
    fi
    progress "build of $project failed (attempt $attempt), retrying"
    sleep 5
  done
  cat "$TMP/build.log" >&2
  echo "$NAME: error=build-failed project=$project"
  exit 1
}

# mpiexec under the machine-wide MPI job lock, with a time limit.
#   mpi_job SECONDS RANKS program args...
mpi_job() {
  local limit=$1 ranks=$2
  shift 2
  flock "$LOCK" timeout "$limit" mpiexec --oversubscribe -n "$ranks" "$@"
}

# median, quantile, minimum, maximum of the numbers on stdin (one per line).
. scripts/bench/stats.sh

gnuplot_terminal() {
  if gnuplot -e "set terminal pngcairo" >/dev/null 2>&1; then
    echo "pngcairo size 900,600 font ',10'"
  else
    echo "png size 900,600"
  fi
}

# The rank counts up to the machine's cores are joined by lines; the oversubscribed ones (more
# ranks than cores: they share cores, so their times are no speed-up) stand alone, hollow.
CORES=$(nproc)


# Runs a script another part of the project owns (checkpoint, overhead, migration).
run_hook() {
  local script=$1
  shift
  if [ ! -x "$script" ] && [ ! -f "$script" ]; then
    progress "$script does not exist yet"
    echo "$NAME: status=unavailable script=$script"
    exit 3
  fi
  ensure_setup
  # The hook runs its own MPI jobs and must take $MITTEN_BENCH_LOCK around each of them.
  exec bash "$script" "$@"
}

# The benchmarks themselves, by family (each file sourced here).
. scripts/bench/p2p.sh
. scripts/bench/nas.sh
. scripts/bench/kernels.sh

case "$NAME" in
  pingpong) bench_pingpong "$@" ;;
  is) bench_is "$@" ;;
  mg) bench_mg "$@" ;;
  iskernel) bench_iskernel "$@" ;;
  mgkernel) bench_mgkernel "$@" ;;
  mpptest) bench_mpptest "$@" ;;
  checkpoint) run_hook bench/Checkpoint/run.sh "$@" ;;
  overhead) run_hook bench/Mitten/run.sh overhead "$@" ;;
  migration) run_hook bench/Mitten/run.sh migration "$@" ;;
  soak) run_hook bench/Soak/run.sh "$@" ;;
  plots)
    [ -f "$RESULTS/is-summary.csv" ] && plot_is "$RESULTS/is-summary.csv" "$(awk -F, 'NR == 2 { print $3 }' "$RESULTS/is-summary.csv")"
    [ -f "$RESULTS/mg-summary.csv" ] && plot_mg "$RESULTS/mg-summary.csv"
    [ -f "$RESULTS/mpptest.txt" ] && bench/Mpptest/plot.sh "$RESULTS/mpptest.txt" "$RESULTS/mpptest"
    [ -f "$RESULTS/overhead-mpptest.txt" ] && bench/Mpptest/plot.sh "$RESULTS/overhead-mpptest.txt" "$RESULTS/mpptest-mitten"
    [ -f "$RESULTS/mpptest-compare-plain.txt" ] && bench/Mpptest/plot.sh "$RESULTS/mpptest-compare-plain.txt" "$RESULTS/mpptest-compare-plain"
    echo "plots: is=$RESULTS/is.png mg=$RESULTS/mg.png mpptest=$RESULTS/mpptest-<pattern>.png mitten_vs_plain=$RESULTS/mpptest-mitten-<pattern>.png"
    ;;
  statetransfer) run_hook bench/StateTransfer/run.sh "$@" ;;
esac
