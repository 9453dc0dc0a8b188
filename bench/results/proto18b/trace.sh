#!/bin/bash
# One traced IS migration job (MITTEN_TRACE=1) with main's Release build; output to OUT.
#   trace.sh OUT RANKS CLASS SPARES [extra mpiexec args...]
# HOSTFILE=... runs over the namespace hosts (scripts/hosts.sh up 2; eval "$(scripts/hosts.sh env)").
out=$(realpath -m "$1"); n=$2; cls=$3; sp=$4; shift 4
IS=${IS_BINARY:-/work/main/bench/IS/bin/Release/net10.0/IS}
cd /work/wt/proto18b && . scripts/env.sh
echo "# $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg) n=$n class=$cls spares=$sp $*" >"$out"
env MITTEN_SPARES=$sp MITTEN_TRACE=1 flock /tmp/mitten-mpi-jobs.lock timeout 120 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 \
  -x MITTEN_SPARES -x MITTEN_TRACE ${MITTEN_SPARE_HOSTS:+-x MITTEN_SPARE_HOSTS} ${HOSTFILE:+--hostfile $HOSTFILE} -n $n $IS --class $cls "$@" >>"$out" 2>&1
echo "# rc=$? $(date -u +%T)" >>"$out"
grep -ao 'MIGRATION rank=.*' "$out" | head -1
grep -a "\[mitten" "$out" | grep -a "protocol step\|MIG_END\|initiate\|report \|sync " | head -80
