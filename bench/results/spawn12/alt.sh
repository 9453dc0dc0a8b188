#!/bin/bash
# alt.sh PAIRS OUTDIR: main vs spawn12, IS class A 8 ranks --migrate 1@5, alternating, MITTEN_TRACE=1
# "spawn12" is /work/wt/spawn12 built with warmup-before-init.patch applied (alt1: the first version, without nice and
# heap marking; alt2: with nice 10; alt3: the patch as stored; alt4, alt5: the compile of the receive only, as committed);
# "main" is /work/main (bff2098) built. Summaries: pairs.py DIR.
pairs=$1; out=$2; mkdir -p $out
. /work/wt/spawn12/scripts/env.sh
export MITTEN_TRACE=1 MITTEN_STARTUP_REPORT=1
for i in $(seq 1 $pairs); do
  if [ $((i % 2)) -eq 1 ]; then order="main spawn12"; else order="spawn12 main"; fi
  for v in $order; do
    d=/work/main; [ $v = spawn12 ] && d=/work/wt/spawn12
    f=$out/$v-$i.txt
    (cd $d && echo "load=$(cut -d' ' -f1 /proc/loadavg) start=$(date -u +%T)" > $f && flock /tmp/mitten-mpi-jobs.lock timeout 300 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -x MITTEN_TRACE -x MITTEN_STARTUP_REPORT -n 8 \
      bench/IS/bin/Release/net10.0/IS --class A --migrate 1@5 >> $f 2>&1)
    m=$(grep -a "^MIGRATION rank=" $f | tr ' ' '\n' | grep -E "^(synchronized_ms|spawned_ms|restored_ms|resumed_ms|freeze_ms)=" | tr '\n' ' ')
    c=$(grep -a "state restored" $f | grep -o "application codec [0-9.]* ms")
    s=$(grep -a "mitten-startup replacement" $f | grep -o "process_ms=[0-9]* before_init_ms=[0-9.]* mpi_init_ms=[0-9.]*")
    echo "$i $v $m | $c | $s | $(grep -ao 'verified=yes' $f | head -1) $(head -1 $f)"
  done
done
