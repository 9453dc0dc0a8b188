#!/usr/bin/env bash
# (Ran from the worktree /work/wc22 of the session's branch; the same script is now on main.)
# Session 22: both kernel comparisons over every class and rank count issue 15 measures, 5 pairs,
# with the per-class runs per job of kernels.sh (21 at class S, 3 otherwise).
. /work/main/scripts/dev/quiet-run.sh bench/results/session22-quiet
run iskernel scripts/bench.sh iskernel --classes "S W A B C" --ranks "1 2 4" --pairs 5
run mgkernel scripts/bench.sh mgkernel --classes "S W A" --ranks "1 2 4" --pairs 5
log done
