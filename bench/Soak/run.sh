#!/usr/bin/env bash
# The soak benchmark (issue 10). Usually run as: scripts/bench.sh soak [options]
#
#   --migrations N     run jobs until N migrations have committed (default 1000)
#   --quick            a short run: --migrations 20
#   --seed S           run exactly one job, the one of seed S (reproduces a failure)
#   --base-seed B      job k of this run gets seed B*1000+k (default 1)
#   --max-jobs J       stop after J jobs even if the target is not reached (default N)
#   --stall-seconds T  a job whose ranks and journal show no progress for T s is hung (default 90)
#   --deadline-scale F multiply every job's deadline (60 s + 8 s per request + 1 s per iteration) by F
#   --no-trace         do not set MITTEN_TRACE=1 (the protocol trace is kept for failed jobs)
#
# Each job: bench/Soak (randomized mixed traffic, every payload checked; concurrent and
# self-requested migrations to localhost) at 3 to 8 ranks (from the seed), under
# flock $MITTEN_BENCH_LOCK, with a fresh control directory (MITTEN_JOB_DIR) and a deadline;
# a job past its deadline or stalled is a hang: its process group is killed. Then
# "Soak analyze" counts the job: every issued request must have exactly one outcome.
# Failures (command, seed, where each rank was, stderr tail) go to bench/results/soak-failures.txt,
# per-job counts to bench/results/soak.csv, the job's reasons for rollbacks and refusals to
# bench/results/soak-rollbacks.txt, failed jobs' files stay in bench/results/tmp/soak/.
# Ends with: soak: migrations=N rolled_back=R refused=F requests=Q lost_requests=L lost_messages=M
#            duplicated=D reordered=O corrupted=C wrong_results=W hangs=H
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
export TERM=dumb

LOCK=${MITTEN_BENCH_LOCK:-/tmp/mitten-mpi-jobs.lock}
RESULTS=${MITTEN_BENCH_RESULTS:-$PWD/bench/results}
TMP=$RESULTS/tmp/soak
SOAK=$PWD/bench/Soak/bin/Release/net10.0/Soak
FAILURES=$RESULTS/soak-failures.txt
CSV=$RESULTS/soak.csv
OUTCOMES=$RESULTS/soak-rollbacks.txt

target=1000 one_seed="" base_seed=1 max_jobs="" stall=90 scale=1 trace=1
while [ $# -gt 0 ]; do
  case "$1" in
    --migrations) target=$2; shift 2 ;;
    --quick) target=20; shift ;;
    --seed) one_seed=$2; shift 2 ;;
    --base-seed) base_seed=$2; shift 2 ;;
    --max-jobs) max_jobs=$2; shift 2 ;;
    --stall-seconds) stall=$2; shift 2 ;;
    --deadline-scale) scale=$2; shift 2 ;;
    --no-trace) trace=0; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "soak: unknown option $1" >&2; sed -n '2,13p' "$0" >&2; exit 2 ;;
  esac
done
[ -n "$max_jobs" ] || max_jobs=$target
[ -n "$one_seed" ] && max_jobs=1

progress() { printf '[bench soak %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

progress "building bench/Soak"
for attempt in 1 2 3 4; do
  if dotnet build bench/Soak/Soak.csproj -c Release -v q -nologo -clp:NoSummary >"$RESULTS/tmp/soak-build.log" 2>&1; then break; fi
  [ "$attempt" = 4 ] && { cat "$RESULTS/tmp/soak-build.log" >&2; echo "soak: error=build-failed"; exit 1; }
  progress "build failed (attempt $attempt), retrying"; sleep 5
done
mkdir -p "$TMP"

declare -A total=()
keys="committed rolled_back refused requests lost_requests unresolved conflicting no_outcome_file lost_messages duplicated reordered corrupted wrong_results"
for k in $keys hangs failed_jobs stragglers jobs; do total[$k]=0; done
{
  echo "# soak failures: scripts/bench.sh soak $*"
  echo "# started $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "# reproduce one job with: scripts/bench.sh soak --seed S  (MITTEN_TRACE=1 is set in each job)"
} >"$FAILURES"
: >"$OUTCOMES"
echo "seed,ranks,iterations,requests,seconds,exit_code,hung,committed,rolled_back,refused,lost_requests,unresolved,conflicting,no_outcome_file,lost_messages,duplicated,reordered,corrupted,wrong_results,stragglers" >"$CSV"

# Kills the processes of a job that outlived it: those whose environment names its control directory.
kill_stragglers() {
  local control=$1 p n=0
  for p in /proc/[0-9]*; do
    if grep -qzxF "MITTEN_JOB_DIR=$control" "$p/environ" 2>/dev/null; then
      kill -KILL "${p#/proc/}" 2>/dev/null && n=$((n + 1))
    fi
  done
  echo "$n"
}

# Where a hung job is: each rank's progress file, status files, last events, its processes.
snapshot() {
  local dir=$1 pgid=$2
  echo "--- where each rank was (logs/progress.R) ---"
  cat "$dir"/logs/progress.* 2>/dev/null || echo "(none)"
  echo "--- rank status files (control/ranks/R.json) ---"
  for f in "$dir"/control/ranks/*.json; do [ -f "$f" ] && { cat "$f"; echo; }; done
  echo "--- last 15 events (control/events.jsonl) ---"
  tail -15 "$dir/control/events.jsonl" 2>/dev/null || echo "(none)"
  echo "--- processes of the job (process group $pgid and any process with its MITTEN_JOB_DIR) ---"
  local p pids=""
  for p in /proc/[0-9]*; do
    if grep -qzxF "MITTEN_JOB_DIR=$dir/control" "$p/environ" 2>/dev/null; then pids+="${p#/proc/},"; fi
  done
  ps -o pid,ppid,pgid,stat,etime,time,wchan:20,args -p "${pids%,}${pids:+,}$pgid" 2>/dev/null | cut -c1-200 || true
}

job=0
while :; do
  if [ "${total[committed]}" -ge "$target" ] && [ -z "$one_seed" ]; then break; fi
  if [ "$job" -ge "$max_jobs" ]; then
    [ -z "$one_seed" ] && progress "stopping after $max_jobs jobs (--max-jobs) with ${total[committed]} of $target migrations"
    break
  fi
  job=$((job + 1))
  seed=${one_seed:-$((base_seed * 1000 + job))}
  shape=$("$SOAK" plan --seed "$seed")
  ranks=$(sed -E 's/.*ranks=([0-9]+).*/\1/' <<<"$shape")
  iterations=$(sed -E 's/.*iterations=([0-9]+).*/\1/' <<<"$shape")
  requests=$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$shape")
  deadline=$(awk -v q="$requests" -v i="$iterations" -v s="$scale" 'BEGIN { printf "%d", (60 + 8 * q + i) * s }')
  dir=$TMP/seed-$seed
  rm -rf "$dir"
  mkdir -p -m 700 "$dir/control"
  mkdir -p "$dir/logs"
  cmd=(mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n "$ranks" "$SOAK" run --seed "$seed" --log-dir "$dir/logs")
  printf 'MITTEN_JOB_DIR=%s MITTEN_TRACE=%s %s\n' "$dir/control" "$trace" "${cmd[*]}" >"$dir/command"

  exec 9>>"$LOCK"
  flock 9
  start=$(date +%s)
  envs=(MITTEN_JOB_DIR="$dir/control")
  [ "$trace" = 1 ] && envs+=(MITTEN_TRACE=1)
  env "${envs[@]}" setsid "${cmd[@]}" >"$dir/stdout" 2>"$dir/stderr" 9>&- </dev/null &
  pid=$!
  hung=0 reason=""
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    now=$(date +%s)
    if [ $((now - start)) -gt "$deadline" ]; then hung=1; reason="deadline of ${deadline} s exceeded"; break; fi
    last=$({ stat -c %Y "$dir"/logs/progress.* "$dir/control/events.jsonl" 2>/dev/null || true; } | sort -n | tail -1)
    [ -n "$last" ] || last=$start
    if [ $((now - start)) -gt "$stall" ] && [ $((now - last)) -gt "$stall" ]; then hung=1; reason="no progress for ${stall} s"; break; fi
  done
  if [ "$hung" = 1 ]; then
    snapshot "$dir" "$pid" >"$dir/hang.txt" 2>&1
    kill -TERM -- "-$pid" 2>/dev/null || true
    sleep 3
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rc=0
  wait "$pid" || rc=$?
  seconds=$(($(date +%s) - start))
  sleep 1
  stragglers=$(kill_stragglers "$dir/control")
  flock -u 9
  exec 9>&-

  analysis=$("$SOAK" analyze --control "$dir/control" --logs "$dir/logs" --ranks "$ranks" --iterations "$iterations" --exit-code "$rc" --hung "$hung")
  counts=$(grep '^soak-job:' <<<"$analysis")
  declare -A c=()
  for kv in ${counts#soak-job:}; do c[${kv%%=*}]=${kv#*=}; done
  for k in $keys; do total[$k]=$((total[$k] + ${c[$k]:-0})); done
  total[jobs]=$((total[jobs] + 1))
  total[hangs]=$((total[hangs] + hung))
  total[stragglers]=$((total[stragglers] + stragglers))
  echo "$seed,$ranks,$iterations,$requests,$seconds,$rc,$hung,${c[committed]},${c[rolled_back]},${c[refused]},${c[lost_requests]},${c[unresolved]},${c[conflicting]},${c[no_outcome_file]},${c[lost_messages]},${c[duplicated]},${c[reordered]},${c[corrupted]},${c[wrong_results]},$stragglers" >>"$CSV"

  problems=""
  [ "$hung" = 1 ] && problems+=" HANG ($reason)"
  [ "$hung" = 0 ] && [ "$rc" != 0 ] && problems+=" exit-code=$rc"
  for k in lost_requests conflicting lost_messages duplicated reordered corrupted wrong_results; do
    [ "${c[$k]:-0}" != 0 ] && problems+=" $k=${c[$k]}"
  done
  [ "$stragglers" != 0 ] && problems+=" stragglers=$stragglers (processes left after mpiexec ended, killed)"
  progress "job $job seed=$seed ranks=$ranks iterations=$iterations: ${seconds}s committed=${c[committed]} rolled_back=${c[rolled_back]} refused=${c[refused]} requests=${c[requests]} lost=${c[lost_requests]}${problems:+ |$problems} (total ${total[committed]}/$target)"
  # Why requests were rolled back or refused (the job's own messages), kept for every job.
  grep -E '^mitten: .*(rolled back|refused|rejected|not started)' "$dir/stderr" | sed "s/^/seed $seed: /" >>"$OUTCOMES" || true
  if [ -n "$problems" ]; then
    total[failed_jobs]=$((total[failed_jobs] + 1))
    {
      echo
      echo "=== job $job seed=$seed ranks=$ranks iterations=$iterations requests=$requests (${seconds} s):$problems"
      echo "reproduce: scripts/bench.sh soak --seed $seed"
      echo "command:   $(cat "$dir/command")"
      echo "files:     $dir (control/ = MITTEN_JOB_DIR, logs/, stdout, stderr$([ "$hung" = 1 ] && echo ', hang.txt'))"
      echo "counts:    $counts"
      grep '^detail:' <<<"$analysis" | head -60 || true
      [ "$hung" = 1 ] && cat "$dir/hang.txt"
      echo "--- stderr tail ---"
      grep -v '^\[' "$dir/stderr" | tail -40 || true
      echo "--- last protocol trace line of each rank ---"
      for ((r = 0; r < ranks; r++)); do grep "^\[mitten [0-9:.]* r$r pid" "$dir/stderr" | tail -1 || true; done
      echo "--- protocol trace tail ---"
      grep '^\[' "$dir/stderr" | tail -30 || true
    } >>"$FAILURES"
  else
    rm -rf "$dir"
  fi
done

progress "$job jobs, ${total[failed_jobs]} with problems (details: $FAILURES); requests without an outcome file: ${total[no_outcome_file]}; unresolved in hung jobs: ${total[unresolved]}; conflicting outcomes: ${total[conflicting]}; stragglers: ${total[stragglers]}"
echo "soak: migrations=${total[committed]} rolled_back=${total[rolled_back]} refused=${total[refused]} requests=${total[requests]} lost_requests=${total[lost_requests]} lost_messages=${total[lost_messages]} duplicated=${total[duplicated]} reordered=${total[reordered]} corrupted=${total[corrupted]} wrong_results=${total[wrong_results]} hangs=${total[hangs]}"
