#!/usr/bin/env bash
# Session 23: both kernel comparisons once more on af9a688 (the binding change touches Allreduce, which the IS port calls).
cd /work/main
. scripts/dev/quiet-run.sh bench/results/session23-quiet
run iskernel scripts/bench.sh iskernel --classes "S W A B C" --ranks "1 2 4" --pairs 5
run mgkernel scripts/bench.sh mgkernel --classes "S W A" --ranks "1 2 4" --pairs 5
log done
