# Sourced by scripts/bench.sh, bench/Mitten/figures.sh and bench/StateTransfer/run.sh: the statistics of the
# benchmarks' summaries, in one place. Pure functions of stdin (no globals, no files).

# median, quantile Q, minimum, maximum: of the numbers on stdin, one per line ("nan" when there are none).
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# quantile Q: the Q-quantile (0..1, linear interpolation) of the numbers on stdin.
quantile() { sort -g | awk -v q="$1" '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit } p = 1 + q * (NR - 1); i = int(p); f = p - i; print (i < NR) ? v[i] + f * (v[i + 1] - v[i]) : v[i] }'; }
minimum() { sort -g | awk 'NR == 1'; }  # reads all its input: head would make sort die of SIGPIPE under pipefail
maximum() { sort -g | tail -1; }
