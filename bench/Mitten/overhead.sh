# Sourced by bench/Mitten/run.sh (its helpers, globals and the checkout root as working directory):
# the overhead experiment without migrations (patent Fig. 11): NAS IS and the Mpptest patterns, plain against Mitten.

# ---------------------------------------------------------------------------------------------
overhead() {
  local repeats=60 repeats_small="" classes="A W" is_ranks=2 rounds=9 measurements=10 collective_ranks=2 quick=() repetitions=3
  local mg_classes="W A" mg_ranks=2 mg_repeats=30 only_mg=0 spare_pairs=7 only_spares=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --repeat) repetitions=$2; shift 2 ;;
      --repeats) repeats=$2; shift 2 ;;
      --repeats-small) repeats_small=$2; shift 2 ;;
      --is-classes) classes=$2; shift 2 ;;
      --is-ranks) is_ranks=$2; shift 2 ;;
      --mpptest-rounds) rounds=$2; shift 2 ;;
      --collective-ranks) collective_ranks=$2; shift 2 ;;
      --measurements) measurements=$2; shift 2 ;;
      --quick) quick=(--quick); shift ;;
      --mg-classes) mg_classes=$2; shift 2 ;;
      --mg-ranks) mg_ranks=$2; shift 2 ;;
      --mg-repeats) mg_repeats=$2; shift 2 ;;
      --only-mg) only_mg=1; shift ;;
      --spare-pairs) spare_pairs=$2; shift 2 ;;
      --only-spares) only_spares=1; shift ;;
      --hosts) hosts=$2; shift 2 ;;
      *) echo "overhead: unknown option $1" >&2; exit 2 ;;
    esac
  done
  [ -n "$repeats_small" ] || repeats_small=$((5 * repeats))
  build
  if [ "$only_mg" -eq 1 ]; then
    echo "overhead: mg_pct=$(overhead_mg "$mg_classes" "$mg_ranks" "$mg_repeats")"
    return
  fi
  if [ "$only_spares" -eq 1 ]; then
    local only
    only=$(overhead_idle_spares "$spare_pairs" A "$is_ranks")
    echo "overhead: spares_idle_pct=${only% *} spares_idle_range=${only#* } spare_pairs=$spare_pairs"
    return
  fi

  # K repetitions of the whole measurement, each in its own directory; the last one's files are
  # copied to $RESULTS under the usual names, the per-repetition figures are collected.
  local base=$RESULTS base_tmp=$TMP k line
  local reps_csv=$base/overhead-repetitions.csv by_rep=$base/overhead-mpptest-by-repetition.csv
  # plain_pingpong_8b_us: plain's 8-byte one-way time in that repetition's Mpptest jobs (median of the
  # minima): the machine's state. This machine switches for minutes between ~0.40 us and ~0.12 us
  # (bench/RESULTS.md, "ovh18"); Mitten's constant per-message cost is 2-3 % of the first and ~11 %
  # of the second, so a repetition's small-message figures are read against it.
  echo "repetition,is_pct,mpptest_pct,is_control_pct,mpptest_control_pct,startup_prejit_ms,startup_exercise_ms,plain_pingpong_8b_us" >"$reps_csv"
  echo "repetition,pattern,ranks,geomean_ratio_min,overhead_pct,control_ratio" >"$by_rep"
  for k in $(seq 1 "$repetitions"); do
    local dir=$base_tmp/overhead-rep$k
    rm -rf "$dir"
    mkdir -p "$dir/tmp"
    progress "repetition $k/$repetitions"
    if ! line=$(RESULTS=$dir TMP=$dir/tmp overhead_repetition); then
      echo "$line"
      exit 1
    fi
    progress "repetition $k/$repetitions: $line"
    local is_pct mpp_pct is_ctl mpp_ctl prejit exercise state
    is_pct=$(printf '%s\n' "$line" | sed -n 's/.*is_pct=\([-0-9.na]*\).*/\1/p')
    mpp_pct=$(printf '%s\n' "$line" | sed -n 's/.*mpptest_pct=\([-0-9.na]*\).*/\1/p')
    is_ctl=$(awk -F, 'NR > 1 { n++; s += log($4) } END { if (n) printf "%.2f", (exp(s / n) - 1) * 100; else print "nan" }' "$dir/overhead-is-control.csv")
    mpp_ctl=$(awk -F, '{ n++; s += log($4) } END { if (n) printf "%.2f", (exp(s / n) - 1) * 100; else print "nan" }' "$dir/tmp/mpp-control-per-size.csv")
    prejit=$(sed -n 's/^mitten-startup .*prejit_ms=\([0-9.]*\).*/\1/p' "$dir"/tmp/overhead-is.err 2>/dev/null | median)
    exercise=$(sed -n 's/^mitten-startup .*exercise_ms=\([0-9.]*\).*/\1/p' "$dir"/tmp/overhead-is.err 2>/dev/null | median)
    state=$({ awk -F, '$1 == "CSV measure" && $2 == "pingpong" && $3 == "plain" && $5 == "8" { print $8 }' "$dir/overhead-mpptest.txt" 2>/dev/null || true; } | median)
    echo "$k,$is_pct,$mpp_pct,$is_ctl,$mpp_ctl,$prejit,$exercise,$state" >>"$reps_csv"
    awk -F, -v k="$k" 'NR == FNR { if (FNR > 1) c[$1] = $4; next } FNR > 1 { printf "%s,%s,%s,%s,%s,%s\n", k, $1, $2, $4, $7, c[$1] }' \
      "$dir/overhead-mpptest-control.csv" "$dir/overhead-mpptest-summary.csv" >>"$by_rep"
  done
  local f
  for f in "$base_tmp/overhead-rep$repetitions"/overhead*; do
    [ -f "$f" ] && cp "$f" "$base/"
  done
  {
    echo "overhead: $repetitions repetitions (each: IS $repeats repetitions per class, $repeats_small for S and W, Mpptest $rounds rounds):"
    printf '  %4s %9s %12s %11s %16s %10s %22s\n' rep is_pct mpptest_pct is_control mpptest_control prejit_ms plain_pingpong_8B_us
    awk -F, 'NR > 1 { printf "  %4s %9s %12s %11s %16s %10s %22s\n", $1, $2, $3, $4, $5, $6, $8 }' "$reps_csv"
    echo "overhead: Mpptest per pattern, Mitten/plain in each repetition (goal: every pattern within 2 % in every one):"
    for pattern in $(awk -F, 'NR > 1 { print $2 }' "$by_rep" | awk '!seen[$0]++'); do
      awk -F, -v p="$pattern" 'NR > 1 && $2 == p { n++; v[n] = $5; if (n == 1 || $5 > w) w = $5; c = c sprintf(" %+.2f", $5) }
        END { printf "  %-12s worst %+.2f %% (repetitions:%s)\n", p, w, c }' "$by_rep"
    done
  } >&2
  local worst_is worst_mpp med_is med_mpp range_is range_mpp pattern_worst prejit_med exercise_med range_state
  range_state="$(awk -F, 'NR > 1 { print $8 }' "$reps_csv" | minimum)..$(awk -F, 'NR > 1 { print $8 }' "$reps_csv" | maximum)"
  worst_is=$(awk -F, 'NR > 1 { print $2 }' "$reps_csv" | maximum)
  worst_mpp=$(awk -F, 'NR > 1 { print $3 }' "$reps_csv" | maximum)
  med_is=$(awk -F, 'NR > 1 { print $2 }' "$reps_csv" | median)
  med_mpp=$(awk -F, 'NR > 1 { print $3 }' "$reps_csv" | median)
  range_is="$(awk -F, 'NR > 1 { print $2 }' "$reps_csv" | minimum)..$worst_is"
  range_mpp="$(awk -F, 'NR > 1 { print $3 }' "$reps_csv" | minimum)..$worst_mpp"
  pattern_worst=$(awk -F, 'NR > 1 { if (w == "" || $5 > w) { w = $5; p = $2 } } END { printf "%s:%+.2f", p, w }' "$by_rep")
  prejit_med=$(awk -F, 'NR > 1 && $6 != "nan" && $6 != "" { print $6 }' "$reps_csv" | median)
  exercise_med=$(awk -F, 'NR > 1 && $7 != "nan" && $7 != "" { print $7 }' "$reps_csv" | median)
  local mg_pct
  mg_pct=$(overhead_mg "$mg_classes" "$mg_ranks" "$mg_repeats")
  local idle="nan nan..nan"
  [ "$spare_pairs" -gt 0 ] && idle=$(overhead_idle_spares "$spare_pairs" A "$is_ranks")
  echo "overhead: is_pct=$worst_is mpptest_pct=$worst_mpp is_pct_median=$med_is is_pct_range=$range_is mpptest_pct_median=$med_mpp mpptest_pct_range=$range_mpp pattern_worst=$pattern_worst plain_pingpong_8b_us_range=$range_state repetitions=$repetitions startup_prejit_ms=$prejit_med startup_exercise_ms=$exercise_med mg_pct=$mg_pct spares_idle_pct=${idle% *} spares_idle_range=${idle#* }"
}

# One repetition of the overhead measurement (the options of overhead() in scope); writes its
# files into $RESULTS and ends with "overhead: is_pct=X mpptest_pct=Y" on stdout.
overhead_repetition() {
  # IS: one job per class, plain and Mitten alternating iteration by iteration inside it
  # (--interleave): a pair is one timed iteration of each variant, taken milliseconds apart.
  local is_raw=$RESULTS/overhead-is.csv
  echo "class,ranks,rep,variant,seconds,mops,verified" >"$is_raw"
  local is_ratios=$RESULTS/overhead-is-ratios.csv
  echo "class,ranks,rep,iteration,first,layout,plain_s,mitten_s,ratio" >"$is_ratios"
  local mp_csv=$RESULTS/overhead-migration-point.csv
  echo "class,ranks,us_per_migration_point" >"$mp_csv"
  # is_compare_job CLASS mitten|plain OUT: one IS --compare --interleave job (OUT.out, OUT.err); stops the benchmark if it fails.
  is_compare_job() {
    local class_repeats=$repeats
    case "$1" in S|W) class_repeats=$repeats_small ;; esac
    if ! MITTEN_STARTUP_REPORT=1 mpi_job 1800 "$is_ranks" "$IS" --class "$1" --compare "$2" --repeats "$class_repeats" --interleave >"$3.out" 2>"$3.err"; then
      tail -5 "$3.out" "$3.err" >&2 || true
      echo "overhead: error=is-$2-run-failed class=$1"
      exit 1
    fi
    if grep -q '^COMPARE .*verified=no' "$3.out"; then
      echo "overhead: error=is-verification-failed class=$1 variant=$2"
      exit 1
    fi
  }
  # iteration_pairs CLASS FILE: "class,ranks,rep,iteration,first,layout,plain_s,other_s,ratio" per COMPARE_ITER line after the warm-up repetition.
  iteration_pairs() {
    grep '^COMPARE_ITER ' "$2" | grep -v ' rep=0 ' | awk -v c="$1" -v r="$is_ranks" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[i] = kv[2] }
        printf "%s,%s,%s,%s,%s,%s,%s,%s,%.6f\n", c, r, v[2], v[3], v[4], v[5], v[6], v[7], v[7] / v[6]
      }'
  }
  local class
  for class in $classes; do
    progress "IS class $class on $is_ranks ranks: $( case "$class" in S|W) echo "$repeats_small" ;; *) echo "$repeats" ;; esac) repetitions, plain and Mitten alternating iteration by iteration, one job"
    is_compare_job "$class" mitten "$TMP/overhead-is"
    grep '^COMPARE ' "$TMP/overhead-is.out" | grep -v ' rep=0 ' | awk '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
        printf "%s,%s,%s,%s,%s,%s,%s\n", f["class"], f["ranks"], f["rep"], f["variant"], f["seconds"], f["mops"], f["verified"]
      }' >>"$is_raw"
    iteration_pairs "$class" "$TMP/overhead-is.out" >>"$is_ratios"
    sed -n 's/^COMPARE_MIGRATION_POINT .*us_per_call=\([0-9.]*\).*/\1/p' "$TMP/overhead-is.out" | sed "s/^/$class,$is_ranks,/" >>"$mp_csv"
  done
  # Per class: the figure (crossover_figure: block ratios, median per layout) and the spread of
  # the per-iteration ratios.
  local is_summary=$RESULTS/overhead-is-summary.csv
  echo "class,ranks,pairs,ratio,min_ratio,max_ratio,overhead_pct,plain_median_s,mitten_median_s,q1_ratio,q3_ratio,block_median_layout0,block_median_layout1,ratio_layouts_only" >"$is_summary"
  for class in $classes; do
    local sel fig lo hi pm mm n q1 q3
    sel=$(awk -F, -v c="$class" 'NR > 1 && $1 == c' "$is_ratios")
    n=$(printf '%s\n' "$sel" | grep -c . || true)
    [ "$n" -gt 0 ] || continue
    fig=$(printf '%s\n' "$sel" | cut -d, -f3,4,6,7,8 | crossover_figure)
    lo=$(printf '%s\n' "$sel" | cut -d, -f9 | minimum)
    hi=$(printf '%s\n' "$sel" | cut -d, -f9 | maximum)
    q1=$(printf '%s\n' "$sel" | cut -d, -f9 | quantile 0.25)
    q3=$(printf '%s\n' "$sel" | cut -d, -f9 | quantile 0.75)
    pm=$(printf '%s\n' "$sel" | cut -d, -f7 | median)
    mm=$(printf '%s\n' "$sel" | cut -d, -f8 | median)
    awk -v c="$class" -v r="$is_ranks" -v n="$n" -v f="$fig" -v lo="$lo" -v hi="$hi" -v pm="$pm" -v mm="$mm" -v q1="$q1" -v q3="$q3" \
      'BEGIN { split(f, g, ","); printf "%s,%s,%d,%.4f,%.4f,%.4f,%.2f,%.6f,%.6f,%.4f,%.4f,%.4f,%.4f,%.4f\n", c, r, n, g[1], lo, hi, (g[1] - 1) * 100, pm, mm, q1, q3, g[2], g[3], g[4] }' >>"$is_summary"
  done

  # IS control: the same comparison between two identical variants (plain on MPI_COMM_WORLD and
  # plain on a duplicate of it), so the Mitten figure can be read against the harness's own
  # noise floor and bias on this machine.
  local is_control=$RESULTS/overhead-is-control.csv
  echo "class,ranks,pairs,ratio,q1_ratio,q3_ratio,overhead_pct,block_median_layout0,block_median_layout1,ratio_layouts_only" >"$is_control"
  for class in $classes; do
    progress "IS class $class on $is_ranks ranks, control: plain and plain on a duplicate communicator, alternating iteration by iteration"
    is_compare_job "$class" plain "$TMP/overhead-is-control"
    iteration_pairs "$class" "$TMP/overhead-is-control.out" >"$TMP/is-control-ratios.txt"
    local cn cf cq1 cq3
    cn=$(grep -c . "$TMP/is-control-ratios.txt" || true)
    cf=$(cut -d, -f3,4,6,7,8 "$TMP/is-control-ratios.txt" | crossover_figure)
    cq1=$(cut -d, -f9 "$TMP/is-control-ratios.txt" | quantile 0.25)
    cq3=$(cut -d, -f9 "$TMP/is-control-ratios.txt" | quantile 0.75)
    awk -v c="$class" -v r="$is_ranks" -v n="$cn" -v f="$cf" -v q1="$cq1" -v q3="$cq3" \
      'BEGIN { split(f, g, ","); printf "%s,%s,%d,%.4f,%.4f,%.4f,%.2f,%.4f,%.4f,%.4f\n", c, r, n, g[1], q1, q3, (g[1] - 1) * 100, g[2], g[3], g[4] }' >>"$is_control"
  done

  # Mpptest: point-to-point on 2 ranks, collectives on --collective-ranks (2); each round is two pairs of jobs.
  local mpp_ratios=$RESULTS/overhead-mpptest-ratios.csv mpp_control_ratios=$RESULTS/overhead-mpptest-control-ratios.csv
  echo "round,pattern,ranks,size_bytes,ratio_min,ratio_median" >"$mpp_ratios"
  echo "round,pattern,ranks,size_bytes,ratio_min,ratio_median" >"$mpp_control_ratios"
  : >"$RESULTS/overhead-mpptest.txt"
  local round
  for round in $(seq 1 "$rounds"); do
    local group ranks variant
    for group in p2p collective; do
      ranks=2
      [ "$group" = collective ] && ranks=$collective_ranks
      # Each round runs the Mitten comparison and the control (plain against plain on a
      # duplicate communicator: the noise floor), in alternating order.
      for variant in $( [ $((round % 2)) -eq 1 ] && echo "mitten plain" || echo "plain mitten"); do
        progress "Mpptest round $round/$rounds: $group patterns on $ranks ranks, plain and $( [ "$variant" = mitten ] && echo Mitten || echo "plain-dup (control)") alternating (T=$measurements)"
        if ! mpi_job 1800 "$ranks" "$MPPTEST" --patterns "$group" --measurements "$measurements" --compare "$variant" "${quick[@]}" \
            >"$TMP/overhead-mpp.out" 2>"$TMP/overhead-mpp.err"; then
          tail -5 "$TMP/overhead-mpp.out" "$TMP/overhead-mpp.err" >&2 || true
          echo "overhead: error=mpptest-run-failed group=$group variant=$variant"
          exit 1
        fi
        { echo "# round $round, $group, --compare $variant"; cat "$TMP/overhead-mpp.out"; } >>"$RESULTS/overhead-mpptest.txt"
        grep '^CSV ratio,' "$TMP/overhead-mpp.out" | awk -F, -v r="$round" '{ printf "%s,%s,%s,%s,%s,%s\n", r, $2, $4, $5, $6, $7 }' \
          >>"$( [ "$variant" = mitten ] && echo "$mpp_ratios" || echo "$mpp_control_ratios")"
      done
    done
  done
  # The control's figure, computed as the headline below: per size the median over rounds of
  # the ratio of the minima, then the geometric mean (per pattern, and over everything).
  local mpp_control=$RESULTS/overhead-mpptest-control.csv
  : >"$TMP/mpp-control-per-size.csv"
  local ckey
  for ckey in $(awk -F, 'NR > 1 { print $2 "," $3 "," $4 }' "$mpp_control_ratios" | awk '!seen[$0]++'); do
    printf '%s,%s\n' "$ckey" "$(awk -F, -v k="$ckey" 'NR > 1 && ($2 "," $3 "," $4) == k { print $5 }' "$mpp_control_ratios" | median)" >>"$TMP/mpp-control-per-size.csv"
  done
  echo "pattern,ranks,sizes,geomean_ratio_min,overhead_pct" >"$mpp_control"
  awk -F, '{ n[$1]++; s[$1] += log($4); r[$1] = $2; if (!($1 in o)) { o[$1] = ++k; name[k] = $1 } }
    END { for (i = 1; i <= k; i++) { p = name[i]; printf "%s,%s,%d,%.4f,%.2f\n", p, r[p], n[p], exp(s[p] / n[p]), (exp(s[p] / n[p]) - 1) * 100 } }' \
    "$TMP/mpp-control-per-size.csv" >>"$mpp_control"
  # Per pattern and size: median over rounds of the ratio of the minima over T (mpptest's
  # figure: the least disturbed measurement) and of the ratio of the medians; per pattern:
  # geometric means over the sizes.
  local mpp_summary=$RESULTS/overhead-mpptest-summary.csv
  echo "pattern,ranks,sizes,geomean_ratio_min,min_size_ratio,max_size_ratio,overhead_pct,geomean_ratio_median" >"$mpp_summary"
  : >"$TMP/mpp-per-size.csv"
  local key
  for key in $(awk -F, 'NR > 1 { print $2 "," $3 "," $4 }' "$mpp_ratios" | awk '!seen[$0]++'); do
    printf '%s,%s,%s\n' "$key" \
      "$(awk -F, -v k="$key" 'NR > 1 && ($2 "," $3 "," $4) == k { print $5 }' "$mpp_ratios" | median)" \
      "$(awk -F, -v k="$key" 'NR > 1 && ($2 "," $3 "," $4) == k { print $6 }' "$mpp_ratios" | median)" >>"$TMP/mpp-per-size.csv"
  done
  local pattern
  for pattern in pingpong nonblocking head-to-head halo bisection barrier bcast reduce allreduce alltoall; do
    awk -F, -v p="$pattern" '$1 == p { n++; s += log($4); sm += log($5); r = $2; if (n == 1 || $4 < lo) lo = $4; if (n == 1 || $4 > hi) hi = $4 }
      END { if (n > 0) printf "%s,%s,%d,%.4f,%.4f,%.4f,%.2f,%.4f\n", p, r, n, exp(s / n), lo, hi, (exp(s / n) - 1) * 100, exp(sm / n) }' "$TMP/mpp-per-size.csv" >>"$mpp_summary"
  done

  {
    echo "overhead: IS, ratio Mitten/plain per pair of timed iterations (per block of two consecutive pairs, the ratio of the sums; the geometric mean of the two layouts' median block ratios; before session 21: of the two layouts' median per-pair ratios):"
    awk -F, 'NR > 1 { printf "  IS class %s, %s ranks: %.4f (layout median block ratios %.4f, %.4f; per-pair estimate as before session 21 %.4f; pairs: quartiles %.4f..%.4f, range %.4f..%.4f, %s of them) -> %+.2f%%; plain %.4f s, Mitten %.4f s per iteration (medians)\n", $1, $2, $4, $12, $13, $14, $10, $11, $5, $6, $3, $7, $8, $9 }' "$is_summary"
    echo "overhead: IS control, ratio plain-on-a-duplicate/plain (two identical variants: the comparison's noise floor):"
    awk -F, 'NR > 1 { printf "  IS class %s, %s ranks: %.4f (layout median block ratios %.4f, %.4f; per-pair estimate as before session 21 %.4f; pairs: quartiles %.4f..%.4f, %s of them) -> %+.2f%%\n", $1, $2, $4, $8, $9, $10, $5, $6, $3, $7 }' "$is_control"
    echo "overhead: IS, cost of one migration point (what Mitten adds per iteration besides a counter per collective), and the bound it sets:"
    awk -F, 'NR == FNR { if (FNR > 1) t[$1] = $8; next } FNR > 1 { printf "  class %s, %s ranks: %.2f us per migration point; 10 per run = %.4f%% of the plain median %.4f s\n", $1, $2, $3, 10 * $3 / 1e6 / t[$1] * 100, t[$1] }' "$is_summary" "$mp_csv"
    echo "overhead: Mpptest-style, geometric mean over sizes of the per-size ratio of the minima over T (median over $rounds rounds):"
    awk -F, 'NR == FNR { if (FNR > 1) c[$1] = $4; next }
      FNR > 1 { printf "  %-12s %s ranks: %.4f (sizes %.4f..%.4f) -> %+.2f%%   [ratio of medians: %.4f; control plain-dup/plain: %.4f]\n", $1, $2, $4, $5, $6, $7, $8, c[$1] }' "$mpp_control" "$mpp_summary"
    awk -F, '{ n++; s += log($4) } END { printf "overhead: Mpptest control (plain-dup/plain, the same way): %+.2f%%\n", (exp(s / n) - 1) * 100 }' "$TMP/mpp-control-per-size.csv"
  } >&2

  local term
  term=$(gnuplot_terminal)
  gnuplot <<EOF
set terminal $term
set output '$RESULTS/overhead.png'
set datafile separator ','
set multiplot layout 1,2 title 'Mitten overhead over the plain binding (ratio of times, same job, alternating)'
set ylabel 'Mitten time / plain time'
set grid ytics
set title 'NAS IS, $is_ranks ranks (box: quartiles, whiskers: range)'
set xrange [-0.6:$(echo "$classes" | wc -w) - 0.4]
set yrange [0:*]
set boxwidth 0.4
plot '$is_summary' every ::1 using 0:10:5:6:11:xticlabels(stringcolumn(1)) with candlesticks whiskerbars lc rgb 'steelblue' notitle, \
     '' every ::1 using 0:4 with points pt 7 lc rgb 'black' notitle, 1 lc rgb 'gray' notitle
set title 'Mpptest-style (geomean over sizes; bars: range)'
set xrange [-0.6:9.6]
set yrange [0.8:1.4]
set xtics rotate by -30
set boxwidth 0.6
set style fill solid 0.5 border -1
plot '$mpp_summary' every ::1 using 0:4:xticlabels(1) with boxes lc rgb 'orange' notitle, \
     '' every ::1 using 0:4:5:6 with yerrorbars pt 0 lc rgb 'black' notitle, 1 lc rgb 'gray' notitle
unset multiplot
EOF
  progress "wrote $is_raw, $is_ratios, $is_summary, $mpp_ratios, $mpp_summary, $RESULTS/overhead.png"

  local is_pct mpp_pct
  # Headline IS figure: the geometric mean over the classes of each class's figure (itself the
  # geometric mean of its two layouts' median block ratios, crossover_figure).
  is_pct=$(awk -F, 'NR > 1 { n++; s += log($4) } END { printf "%.2f", (exp(s / n) - 1) * 100 }' "$is_summary")
  local is_q1 is_q3
  is_q1=$(awk -F, 'NR > 1 { print $9 }' "$is_ratios" | quantile 0.25 | awk '{ printf "%.2f", ($1 - 1) * 100 }')
  is_q3=$(awk -F, 'NR > 1 { print $9 }' "$is_ratios" | quantile 0.75 | awk '{ printf "%.2f", ($1 - 1) * 100 }')
  progress "IS: $is_pct % (every iteration pair: quartiles $is_q1 % .. $is_q3 %)"
  # Headline Mpptest figure: geometric mean over every (pattern, size) of the ratio of the minima.
  mpp_pct=$(awk -F, '{ n++; s += log($4) } END { printf "%.2f", (exp(s / n) - 1) * 100 }' "$TMP/mpp-per-size.csv")
  echo "overhead: is_pct=$is_pct mpptest_pct=$mpp_pct"
}
