#!/usr/bin/env bash
# (Ran from the worktree /work/wc22 of the session's branch; the same script is now on main.)
# Session 22, after 6b929dd (MG's CopyPlane): both kernel comparisons again over every class and rank count,
# MG with 7 pairs (its 4-rank class S jobs are the noisiest).
. /work/main/scripts/dev/quiet-run.sh bench/results/session22-quiet
run mgkernel2 scripts/bench.sh mgkernel --classes "S W A" --ranks "1 2 4" --pairs 7
run iskernel2 scripts/bench.sh iskernel --classes "S W A B C" --ranks "1 2 4" --pairs 5
log done
