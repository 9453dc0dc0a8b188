#!/bin/bash
# Alternated A/B over two namespace hosts (scripts/hosts.sh up 2 first): IS class CLASS (B) on 4 ranks,
# 2 per host, rank 1 moves h1 -> h2 at iteration 5 with a warm spare on h2 (as scripts/bench.sh
# migration --hosts 2 --spares 1 runs its cross-host variant). PAIRS pairs, which goes first alternates;
# every job's whole output in OUTDIR/LABEL-PAIR.txt, one line per job with the MIGRATION fields and load.
#   bench/results/xhost19/alt-hosts.sh PAIRS OUTDIR LABEL_A "K=V ..." LABEL_B "K=V ..." [IS-ARGUMENTS]
pairs=$1; out=$2; la=$3; ea=$4; lb=$5; eb=$6; shift 6
root="$(cd "$(dirname "$0")/../../.." && pwd)"
. "$root/scripts/env.sh"
eval "$(bash "$root/scripts/hosts.sh" env)"
mkdir -p "$out"
hf="$out/hostfile"; printf 'h1 slots=2\nh2 slots=2\n' >"$hf"
args=("$@"); [ ${#args[@]} -gt 0 ] || args=(--class B --migrate 1@5:h2)
for i in $(seq 1 "$pairs"); do
  if [ $((i % 2)) -eq 1 ]; then order="A B"; else order="B A"; fi
  for v in $order; do
    if [ $v = A ]; then l=$la; e=$ea; else l=$lb; e=$eb; fi
    f="$out/$l-$i.txt"
    load=$(cut -d' ' -f1 /proc/loadavg)
    (cd "$root" && env MITTEN_SPARES=${MITTEN_SPARES:-1} MITTEN_SPARE_HOSTS=${MITTEN_SPARE_HOSTS:-h2} $e flock /tmp/mitten-mpi-jobs.lock timeout 300 \
      mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n 4 --hostfile "$hf" \
      ${IS_BINARY:-bench/IS/bin/Release/net10.0/IS} "${args[@]}" >"$f" 2>&1)
    rc=$?
    m=$(grep -a "MIGRATION rank=" "$f" | tr ' ' '\n' | grep -E "^(from|to|protocol_ms|freeze_wait_ms|lock_wait_ms|synchronized_ms|spare_taken_ms|spawned_ms|resumed_ms|freeze_ms)=" | tr '\n' ' ')
    v2=$(grep -ao "verified=yes" "$f" | head -1)
    echo "$l pair=$i rc=$rc $m ${v2:-verified=no} load=$load"
  done
done
