#!/usr/bin/env bash
# Session 19's quiet run of the merged main (nothing else running, after the fresh-clone CI):
# the migration without and with a spare at 8 ranks (spawn19's header codec and restore warm-up),
# across two namespace hosts (xhost19's freeze_wait/lock_wait), IS A/B/C against C, the overhead.
. /work/main/scripts/dev/quiet-run.sh bench/results/session19-quiet
run migration-spawn scripts/bench.sh migration --ranks 8 --repeats 9
run migration-spares1 scripts/bench.sh migration --ranks 8 --repeats 7 --spares 1
run hosts2 scripts/bench.sh migration --hosts 2 --spares 1 --class B --ranks 4 --repeats 5
run iskernel scripts/bench.sh iskernel --classes "A B C" --ranks "1 2 4" --pairs 3
run overhead scripts/bench.sh overhead
log done
