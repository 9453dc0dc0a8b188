#!/usr/bin/env bash
# (Ran from the worktree /work/wc22 of the session's branch; the same script is now on main.)
# Session 22: the overhead benchmark once more (3 repetitions) on the final code (6b929dd), for issue 15's per-message goals.
. /work/main/scripts/dev/quiet-run.sh bench/results/session22-quiet
run overhead scripts/bench.sh overhead
log done
