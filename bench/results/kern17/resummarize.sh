set -uo pipefail
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# Minimum and maximum of the numbers on stdin.
minimum() { sort -g | awk 'NR == 1'; }  # reads all its input: head would make sort die of SIGPIPE under pipefail
maximum() { sort -g | awk 'END { print }'; }
progress() { echo "$*" >&2; }
gnuplot_terminal() { echo 'pngcairo'; }
RESULTS=/tmp/tmp.33r6n5MNuZ
. scripts/bench/kernels.sh
kernel_summary iskernel 'S W A B' '1 2 4' 5 3 checksums_equal 'NAS IS' 1
