#!/bin/bash
# alt-env.sh ROUNDS OUTDIR LABEL='ENV ...' [LABEL='ENV ...']...: IS class A, 8 ranks, --migrate 1@5 (no spare),
# one job per variant per round, rotating order; each variant's ENV (space-separated NAME=value, or
# "-" for none) exported to every rank (-x); MITTEN_TRACE=1 MITTEN_STARTUP_REPORT=1 in all.
# IS_MIGRATE (default 1@5) and IS_DIR (default this tree's bench/IS build) may be set; a variant's
# ENV may hold WRAP=/path/script (the ranks are started through it; the replacement is not).
rounds=$1; out=$(realpath -m $2); shift 2; mkdir -p $out
cd "$(dirname "$0")/../../.." && . scripts/env.sh
is=${IS_DIR:-$PWD/bench/IS/bin/Release/net10.0}
labels=(); envs=()
for v in "$@"; do labels+=("${v%%=*}"); envs+=("${v#*=}"); done
n=${#labels[@]}
export MITTEN_TRACE=1 MITTEN_STARTUP_REPORT=1
for r in $(seq 1 $rounds); do
  for k in $(seq 0 $((n - 1))); do
    i=$(( (r + k) % n )); label=${labels[$i]}; e=${envs[$i]}
    f=$out/$label-$r.txt
    xs="-x MITTEN_TRACE -x MITTEN_STARTUP_REPORT"; settings=""
    wrap=""
    if [ "$e" != "-" ]; then for s in $e; do if [ "${s%%=*}" = WRAP ]; then wrap=${s#*=}; continue; fi; xs="$xs -x ${s%%=*}"; settings="$settings $s"; done; fi
    echo "variant=$label env=$e start=$(date -u +%T)" > $f
    flock /tmp/mitten-mpi-jobs.lock bash -c "echo load_at_start=\$(cut -d' ' -f1 /proc/loadavg) >> $f; env $settings timeout 200 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 $xs -n 8 $wrap $is/IS --class A --migrate ${IS_MIGRATE:-1@5} >> $f 2>&1"
    m=$(grep -a "^MIGRATION rank=" $f | tr ' ' '\n' | grep -E "^(synchronized_ms|spawned_ms|restored_ms|resumed_ms)=" | tr '\n' ' ')
    echo "$r $label $m $(grep -ao 'mpi_init_ms=[0-9.]*' $f) $(grep -ao 'verified=yes' $f | head -1) $(grep -a load_at_start $f)"
  done
done
