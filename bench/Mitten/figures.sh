# Sourced by bench/Mitten/run.sh, and by tests/Mitten.Bench.Tests (CrossoverFigureTests) on its own:
# the statistics the Mitten experiments' figures are made of. Pure functions of their input (no
# globals, no files), so that a test can feed them data with a known answer.

# median, quantile, minimum, maximum (scripts/bench/stats.sh, shared with scripts/bench.sh).
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/bench/stats.sh"

# crossover_figure: the figure of an interleaved comparison (IS, MG --compare --interleave) from
# "rep,iteration,layout,plain_s,other_s" lines, one per pair of timed iterations. Within a
# repetition the order alternates pair by pair (P O, O P, P O, ...), so each block of two
# consecutive pairs (iterations 1-2, 3-4, ...) holds one first and one second iteration of each
# variant; the block's ratio is its two other-variant times over its two plain times, which
# cancels an effect of the order (bench/RESULTS.md "ovh21": on IS class W the pair's first
# iteration ran 5-20 % slower or faster than its second, the sign changing from run to run) and
# the time one rank's lateness carries from an iteration into the next. The figure is the
# geometric mean over the two layouts (which state each variant used, swapped every repetition)
# of the median block ratio. A block missing a pair is left out. Prints "figure,layout-0 median
# block ratio,layout-1 median block ratio,layouts' median per-pair ratios' geometric mean" (the
# last: the figure as computed before session 21, kept for comparison).
crossover_figure() {
  local data layout medians="" per_pair=""
  data=$(cat)
  for layout in 0 1; do
    medians="$medians $(printf '%s\n' "$data" | awk -F, -v l="$layout" '$3 == l { k = $1 "," int(($2 - 1) / 2); n[k]++; p[k] += $4; o[k] += $5 }
      END { for (k in n) if (n[k] == 2 && p[k] > 0) printf "%.6f\n", o[k] / p[k] }' | median)"
    per_pair="$per_pair $(printf '%s\n' "$data" | awk -F, -v l="$layout" '$3 == l && $4 > 0 { print $5 / $4 }' | median)"
  done
  awk -v m="$medians" -v q="$per_pair" 'BEGIN { split(m, b, " "); split(q, c, " ")
      printf "%.6f,%.6f,%.6f,%.6f\n", sqrt(b[1] * b[2]), b[1], b[2], sqrt(c[1] * c[2]) }'
}
