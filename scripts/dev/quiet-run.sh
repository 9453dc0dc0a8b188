# Sourced by a session's quiet-run script (bench/results/sessionN-quiet/quiet*.sh):
#   . scripts/dev/quiet-run.sh bench/results/sessionN-quiet
# Works from the checkout's root with scripts/env.sh loaded, sends the benchmarks' own result files
# to OUT/side/NAME, one directory per run (MITTEN_BENCH_RESULTS, so a run does not replace the tracked
# figures, nor a second run of the same benchmark the first one's; delete their tmp/ before
# committing), records the commit in OUT/log.txt, and defines
#   log TEXT            a line with the time and load average, to the screen and OUT/log.txt
#   run NAME CMD ...    CMD's stdout/stderr into OUT/NAME.out/.err, its result files into
#                       OUT/side/NAME, its start and end (with the exit status and the output's
#                       last line) logged
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
. scripts/env.sh
quiet_out=$1
export MITTEN_BENCH_RESULTS=$quiet_out/side
mkdir -p "$MITTEN_BENCH_RESULTS"
log() { echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) $*" | tee -a "$quiet_out/log.txt"; }
run() {
  local name=$1 rc; shift
  log "start $name: $*"
  mkdir -p "$quiet_out/side/$name"
  MITTEN_BENCH_RESULTS=$quiet_out/side/$name "$@" >"$quiet_out/$name.out" 2>"$quiet_out/$name.err"
  rc=$?
  log "end $name rc=$rc: $(tail -1 "$quiet_out/$name.out")"
}
git log --oneline -1 >>"$quiet_out/log.txt"
