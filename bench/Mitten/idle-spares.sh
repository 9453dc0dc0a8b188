# Sourced by bench/Mitten/run.sh: what idle warm spares cost a job that never migrates.
#
# overhead_idle_spares PAIRS CLASS RANKS: IS through Mitten (no migration), one job started with
# no spare and one started with a spare (MITTEN_SPARES=1) per pair, which goes first alternating.
# A spare is a process of its own, so the two cannot share one job as the other comparisons do;
# each job's figure is the median of its timed iterations (rank 0's ITERATION_TIMES), each pair's
# the ratio with / without. Writes overhead-idle-spares.csv and prints the median over the pairs
# of (ratio - 1) * 100 and the range "lo..hi", on one line: "PCT LO..HI".
overhead_idle_spares() {
  local pairs=$1 class=$2 ranks=$3 pair spares order
  local csv=$RESULTS/overhead-idle-spares.csv
  echo "pair,spares,iteration_median_ms,seconds,verified" >"$csv"
  for pair in $(seq 1 "$pairs"); do
    order="0 1"
    [ $((pair % 2)) -eq 0 ] && order="1 0"
    for spares in $order; do
      progress "idle spares: pair $pair/$pairs, IS class $class on $ranks ranks through Mitten with $spares spare(s)"
      if ! MITTEN_SPARES=$spares mpi_job 600 "$ranks" "$IS" --class "$class" --mitten \
          >"$TMP/overhead-spares.out" 2>"$TMP/overhead-spares.err"; then
        tail -5 "$TMP/overhead-spares.out" "$TMP/overhead-spares.err" >&2 || true
        progress "idle spares: the job with $spares spare(s) failed; pair $pair left out"
        continue
      fi
      local times seconds verified
      times=$(sed -n 's/^ITERATION_TIMES rank=0 .*ms=\([0-9.,]*\).*/\1/p' "$TMP/overhead-spares.out" | tr ',' '\n' | median)
      seconds=$(sed -n 's/^RESULT .*seconds=\([0-9.]*\).*/\1/p' "$TMP/overhead-spares.out" | head -1)
      verified=$(sed -n 's/^RESULT .*verified=\([a-z]*\).*/\1/p' "$TMP/overhead-spares.out" | head -1)
      echo "$pair,$spares,$times,${seconds:-nan},${verified:-no}" >>"$csv"
    done
  done
  if awk -F, 'NR > 1 && $5 != "yes" { bad = 1 } END { exit !bad }' "$csv"; then
    progress "idle spares: a run did not verify (see $csv)"
    echo "nan nan..nan"
    return
  fi
  local ratios
  ratios=$(awk -F, 'NR > 1 { t[$1 "," $2] = $3; p[$1] = 1 }
      END { for (k in p) if ((k ",0") in t && (k ",1") in t && t[k ",0"] > 0) printf "%.6f\n", t[k ",1"] / t[k ",0"] }' "$csv")
  if [ -z "$ratios" ]; then
    echo "nan nan..nan"
    return
  fi
  {
    echo "overhead: idle spares, IS class $class on $ranks ranks through Mitten, median iteration with a spare / without, per pair:"
    printf '%s\n' "$ratios" | awk '{ printf "  %.4f", $1 } END { print "" }'
  } >&2
  local med lo hi
  med=$(printf '%s\n' "$ratios" | median)
  lo=$(printf '%s\n' "$ratios" | minimum)
  hi=$(printf '%s\n' "$ratios" | maximum)
  awk -v m="$med" -v lo="$lo" -v hi="$hi" 'BEGIN { printf "%.2f %.2f..%.2f\n", (m - 1) * 100, (lo - 1) * 100, (hi - 1) * 100 }'
}
