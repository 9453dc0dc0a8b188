#!/bin/bash
# ab.sh OUTDIR PAIRS PATTERNS SIZES LABEL_A DIR_A LABEL_B DIR_B [COMPARE]: alternating Mpptest jobs of two builds
# (A B, then B A, ...), each `mpiexec -n 2 DIR/Mpptest --patterns PATTERNS --sizes SIZES --measurements $MEAS (20)
# --compare mitten` (or COMPARE). Keeps every job's output in OUTDIR/LABEL-N.out; one line per job on stdout:
# each pattern's geometric mean over sizes of Mitten/plain, ratio of minima / ratio of medians, and the load.
# HOG=1: during each job a busy loop runs on CPU 0 (taskset), where mpiexec binds rank 0 (a rank sharing its core).
# A DIR may be DIR:NAME=VALUE: that job runs with NAME=VALUE in every rank's environment (mpiexec -x).
out=$1 pairs=$2 patterns=$3 sizes=$4 la=$5 A=$6 lb=$7 B=$8 cmp=${9:-mitten}
mkdir -p "$out"
cd /work/wt/ovh18 && . scripts/env.sh
n=0
run() { # label dir
  n=$((n + 1))
  local f=$out/$1-$n.out dir=${2%%:*} envx=()
  [ "$dir" != "$2" ] && envx=(-x "${2#*:}")
  local job=(mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 "${envx[@]}" -n 2 $dir/Mpptest --patterns $patterns --sizes $sizes --measurements ${MEAS:-20} --compare $cmp)
  if [ "${HOG:-0}" = 1 ]; then
    timeout 900 flock /tmp/mitten-mpi-jobs.lock bash -c 'taskset -c 0 sh -c "while :; do :; done" & h=$!; "$@"; rc=$?; kill $h; exit $rc' hog "${job[@]}" >"$f" 2>/dev/null
  else
    timeout 900 flock /tmp/mitten-mpi-jobs.lock "${job[@]}" >"$f" 2>/dev/null
  fi
  echo "$1 $(date +%H:%M:%S) load=$(cut -d' ' -f1 /proc/loadavg) $(grep "CSV geomean" "$f" | awk -F, '{printf "%s=%s/%s ", $2, $5, $6}')"
}
for p in $(seq 1 $pairs); do
  if [ $((p % 2)) = 1 ]; then run $la $A; run $lb $B; else run $lb $B; run $la $A; fi
done
