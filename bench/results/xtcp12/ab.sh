#!/usr/bin/env bash
# ab.sh OUT PAIRS "ENV_A" "ENV_B" [extra env for both]: alternating cross-host IS B/4 jobs, one spare on h2, rank 1 h1 -> h2.
# Each line: pair variant load1 MIGRATION-line-fields + trace lines (if MITTEN_TRACE=1)
set -u
cd /work/wt/xtcp12; . scripts/env.sh
out=$1 pairs=$2 A=$3 B=$4 common=${5:-}
eval "$(bash scripts/hosts.sh env)"
hf=/tmp/xtcp12/hostfile; printf 'h1 slots=2\nh2 slots=2\n' >$hf
IS=bench/IS/bin/Release/net10.0/IS
for p in $(seq 1 $pairs); do
  order="A B"; [ $((p % 2)) -eq 0 ] && order="B A"
  for v in $order; do
    [ $v = A ] && e=$A || e=$B
    load=$(cut -d' ' -f1 /proc/loadavg)
    env $common $e MITTEN_SPARES=1 MITTEN_SPARE_HOSTS=h2 flock /tmp/mitten-mpi-jobs.lock timeout 180 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n 4 --hostfile $hf $IS --class B --migrate 1@5:h2 >/tmp/xtcp12/job.out 2>/tmp/xtcp12/job.err
    rc=$?
    m=$(grep -o '^MIGRATION rank=.*' /tmp/xtcp12/job.out | head -1)
    ver=$(grep -q '^RESULT .*verified=yes' /tmp/xtcp12/job.out && echo yes || echo no)
    echo "pair=$p variant=$v env=[$e] rc=$rc load=$load verified=$ver $m" | tee -a $out
    grep -E 'state written|state transport|state restored|early:|received-message-list' /tmp/xtcp12/job.err | sed 's/^/    /' >> $out
  done
done
