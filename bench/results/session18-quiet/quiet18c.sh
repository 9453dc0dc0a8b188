#!/usr/bin/env bash
# Session 18's second quiet block, after proto18b was merged (the staying ranks' JIT-worker lowering
# 20 ms into the decision wait): 16 ranks, the spawn path at 8 ranks, two hosts.
. /work/main/scripts/dev/quiet-run.sh bench/results/session18-quiet
run ranks16-c scripts/bench.sh migration --ranks 16 --class S --repeats 5 --spares "0 1"
run migration-spawn-c scripts/bench.sh migration --ranks 8 --repeats 5
run hosts2-c scripts/bench.sh migration --hosts 2 --spares 1 --class B --ranks 4 --repeats 5
log done-c
