#!/bin/bash
# alt.sh ROUNDS OUTDIR LABEL=DIR[:ENV=V,...] ...   one job per variant per round, order rotating
rounds=$1; out=$2; shift 2; mkdir -p $out
cd /work/wt/spawn15; . scripts/env.sh
variants=("$@"); n=${#variants[@]}
for ((r=1; r<=rounds; r++)); do
  for ((k=0; k<n; k++)); do
    v=${variants[$(( (k + r) % n ))]}
    label=${v%%=*}; rest=${v#*=}; dir=${rest%%:*}; envs=""; [[ $rest == *:* ]] && envs=${rest#*:}
    envargs=(); xargs_=()
    IFS=',' read -ra kv <<< "$envs"; for e in "${kv[@]}"; do [ -n "$e" ] && envargs+=("$e") && xargs_+=(-x "${e%%=*}"); done
    load=$(cut -d' ' -f1 /proc/loadavg)
    flock /tmp/mitten-mpi-jobs.lock timeout 200 env "${envargs[@]}" MITTEN_TRACE=${TRACE:-0} mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -x MITTEN_TRACE "${xargs_[@]}" -n 8 $dir/IS --class A --migrate 1@5 > $out/$label-$r.out 2> $out/$label-$r.err
    line=$(grep -o 'MIGRATION rank=.*' $out/$label-$r.out | head -1)
    ver=$(grep -c "Verification: *SUCCESSFUL\|verified" $out/$label-$r.out)
    echo "round=$r label=$label load=$load ver=$ver $line" | tee -a $out/summary.txt
  done
done
