#!/usr/bin/env bash
# After quiet21.sh: the two configurations below 1.0 there (IS C/4, MG S/2 and S/4), with 5 pairs each.
# (Run with quiet-run.sh as of 3219453, whose run() kept this MITTEN_BENCH_RESULTS; today's run() puts
# each run's files in side/NAME instead.)
. /work/main/scripts/dev/quiet-run.sh bench/results/session21-quiet
export MITTEN_BENCH_RESULTS=bench/results/session21-quiet/side-kernels
mkdir -p "$MITTEN_BENCH_RESULTS"
run iskernel-c4 scripts/bench.sh iskernel --classes C --ranks 4 --pairs 5
run mgkernel-s scripts/bench.sh mgkernel --classes S --ranks "2 4" --pairs 5
log done
