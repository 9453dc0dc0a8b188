#!/usr/bin/env bash
# Session 23: 15 more pairs of the two configurations below 1.0 in quiet23-kernels.sh (MG S/4, IS C/2), then 4 pairs of IS C/2 with phase times (kern17 ab.sh, into side/is-c2-phases.csv):
#   bench/results/kern17/ab.sh .../is-c2-phases.csv 4 "C:2" 3 c=IS_PHASE_TIMES=1@bench/native/build/is cs=DOTNET_TieredCompilation=0,IS_PHASE_TIMES=1@bench/IS/bin/Release/net10.0/IS
cd /work/main
. scripts/dev/quiet-run.sh bench/results/session23-quiet
run mgkernel-s4 scripts/bench.sh mgkernel --classes S --ranks 4 --pairs 15
run iskernel-c2 scripts/bench.sh iskernel --classes C --ranks 2 --pairs 15
log done
