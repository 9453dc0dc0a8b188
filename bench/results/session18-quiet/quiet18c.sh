#!/usr/bin/env bash
# Session 18's second quiet block, after proto18b was merged (the staying ranks' JIT-worker lowering
# 20 ms into the decision wait): 16 ranks, the spawn path at 8 ranks, two hosts.
cd /work/main; . scripts/env.sh
export MITTEN_BENCH_RESULTS=bench/results/session18-quiet/side; mkdir -p $MITTEN_BENCH_RESULTS
out=bench/results/session18-quiet; mkdir -p $out
log() { echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) $*" | tee -a $out/log.txt; }
run() { local name=$1; shift; log "start $name: $*"; "$@" >$out/$name.out 2>$out/$name.err; log "end $name rc=$?: $(tail -1 $out/$name.out)"; }
git log --oneline -1 >> $out/log.txt
run ranks16-c scripts/bench.sh migration --ranks 16 --class S --repeats 5 --spares "0 1"
run migration-spawn-c scripts/bench.sh migration --ranks 8 --repeats 5
run hosts2-c scripts/bench.sh migration --hosts 2 --spares 1 --class B --ranks 4 --repeats 5
log done-c
