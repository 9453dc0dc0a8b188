#!/usr/bin/env bash
# Plots of the Mpptest-style suite, one PNG per pattern, from the "CSV measure," lines of one or
# more runs (rounds) of bench/Mpptest:   bench/Mpptest/plot.sh TEXT OUTPUT_PREFIX
# Every variant the runs measured is drawn next to the others (plain, mitten; plain-dup, the
# plain binding on a duplicate communicator, is the noise floor of a comparison, drawn thin and
# grey). A point is the median over the rounds of each round's median time; the bar under it
# goes from the least to the largest of those round medians (the spread), so a difference
# smaller than the bars is noise. With one round the bar is that round's min..median.
set -euo pipefail
text=$1
prefix=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if gnuplot -e "set terminal pngcairo" >/dev/null 2>&1; then term="pngcairo size 900,600 font ',10'"; else term="png size 900,600"; fi

# pattern,variant,ranks,size_bytes,k,t,min_us,median_us,bw_MBps -> per (pattern, variant, size):
# size (0 drawn at 1 byte), median of the round medians, low, high, rounds
grep '^CSV measure,' "$text" | cut -d, -f2- | awk -F, '
  { key = $1 SUBSEP $2 SUBSEP $4; n[key]++; med[key, n[key]] = $8; least[key] = (n[key] == 1 || $7 < least[key]) ? $7 : least[key] }
  END {
    for (key in n) {
      split(key, k, SUBSEP)
      m = n[key]
      for (i = 1; i <= m; i++) v[i] = med[key, i]
      for (i = 2; i <= m; i++) { x = v[i]; j = i - 1; while (j > 0 && v[j] > x) { v[j + 1] = v[j]; j-- } v[j + 1] = x }
      middle = (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
      low = (m > 1) ? v[1] : least[key]
      printf "%s %s %s %s %s %s %d\n", k[1], k[2], (k[3] > 0 ? k[3] : 1), middle, low, v[m], m
    }
  }' | sort -k1,1 -k2,2 -k3,3g >"$tmp/all"

for pattern in $(cut -d' ' -f1 "$tmp/all" | awk '!seen[$0]++'); do
  plots=""
  rounds=$(awk -v p="$pattern" '$1 == p { print $7 }' "$tmp/all" | sort -g | tail -1)
  for variant in $(awk -v p="$pattern" '$1 == p { print $2 }' "$tmp/all" | awk '!seen[$0]++'); do
    awk -v p="$pattern" -v v="$variant" '$1 == p && $2 == v { print $3, $4, $5, $6 }' "$tmp/all" >"$tmp/$pattern-$variant.dat"
    case "$variant" in
      plain) style="lc rgb '#1f77b4' lw 2 pt 7" ;;
      mitten) style="lc rgb '#d62728' lw 2 pt 5" ;;
      plain-dup) style="lc rgb 'gray' lw 1 pt 1 dt 2" ;;
      *) style="lw 1" ;;
    esac
    [ -n "$plots" ] && plots="$plots, "
    plots="$plots'$tmp/$pattern-$variant.dat' using 1:2:3:4 with yerrorlines $style title '$variant'"
  done
  spread="bars: least..largest of the $rounds round medians"
  [ "$rounds" -le 1 ] && spread="bars: min..median of the one run"
  gnuplot <<GNUPLOT
set terminal $term
set output '${prefix}-${pattern}.png'
set title "mpptest $pattern: median time per operation vs size ($spread; size 0 drawn at 1 byte)"
$( [ "$pattern" = barrier ] && echo "set xrange [0.5:2]" )
set logscale xy
set xlabel 'message size (bytes)'
set ylabel 'time (us)'
set key top left
set grid
plot $plots
GNUPLOT
done
echo "plotted $(cut -d' ' -f1 "$tmp/all" | awk '!seen[$0]++' | wc -l) patterns into ${prefix}-<pattern>.png" >&2
