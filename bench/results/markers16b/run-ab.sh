#!/usr/bin/env bash
# The alternated A/B of this branch, spawn path (after a8-spare.txt and s16-spare.txt): markers16's ab16.sh, one build, rotating order per round.
R=bench/results/markers16b; A=bench/results/markers16/ab16.sh
bash $A 6 8 A 0 $R/a8-spawn.txt "off:MITTEN_EARLY_MARKERS=0" "early:MITTEN_EARLY_MARKERS=1,MITTEN_EARLY_DRAIN_NAP_US=0"
bash $A 6 16 S 0 $R/s16-spawn.txt "off:MITTEN_EARLY_MARKERS=0" "early:MITTEN_EARLY_MARKERS=1,MITTEN_EARLY_DRAIN_NAP_US=0"
