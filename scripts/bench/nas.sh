# Sourced by scripts/bench.sh (its helpers, globals and the checkout root as working directory);
# NAS IS and MG through their C# ports (is, mg) and their plots.

# IS: median Mop/s per class and rank count, bars from the least to the largest run.
#   plot_is SUMMARY REPEATS   (is-summary.csv: class,ranks,runs,median,min,max,...)
plot_is() {
  local summary=$1 repeats=$2 term plots="" class index=0
  term=$(gnuplot_terminal)
  for class in $(awk -F, 'NR > 1 { print $1 }' "$summary" | awk '!seen[$0]++'); do
    index=$((index + 1))
    [ -n "$plots" ] && plots="$plots, "
    plots="$plots'$summary' using (strcol(1) eq '$class' && \$2 <= $CORES ? \$2 : 1/0):4:5:6 with yerrorlines lc $index pt 7 title 'class $class', '' using (strcol(1) eq '$class' && \$2 > $CORES ? \$2 : 1/0):4:5:6 with yerrorbars lc $index pt 6 title 'class $class, oversubscribed'"
  done
  gnuplot <<GNUPLOT
set terminal $term
set output '$RESULTS/is.png'
set datafile separator ','
set title 'NAS IS (C# port, plain binding): median Mop/s over $repeats runs, bars = least..largest run'
set xlabel 'processes ($CORES cores; hollow points: oversubscribed, not joined)'
set offsets graph 0.04, graph 0.04, 0, 0
set ylabel 'Mop/s total'
set logscale x 2
set xrange [0.7:*]
set yrange [0:*]
set key top right
set grid
plot $plots
GNUPLOT
}

# MG: median Mop/s of plain and Mitten per class and rank count, bars from the least to the
# largest run of each (Mitten's when the summary has them).   plot_mg SUMMARY
plot_mg() {
  local summary=$1 term plots="" class index=0 mitten_bars joined alone
  term=$(gnuplot_terminal)
  mitten_bars=$(head -1 "$summary" | grep -c mitten_max_mops || true)
  for class in $(awk -F, 'NR > 1 { print $1 }' "$summary" | awk '!seen[$0]++'); do
    index=$((index + 1))
    joined="strcol(1) eq '$class' && \$2 <= $CORES ? \$2 : 1/0"
    alone="strcol(1) eq '$class' && \$2 > $CORES ? \$2 : 1/0"
    [ -n "$plots" ] && plots="$plots, "
    plots="$plots'$summary' using ($joined):4:7:8 with yerrorlines lc $index pt 7 title 'class $class plain', '' using ($alone):4:7:8 with yerrorbars lc $index pt 6 notitle"
    if [ "$mitten_bars" -gt 0 ]; then
      plots="$plots, '' using ($joined):5:11:12 with yerrorlines lc $index dt 2 pt 5 title 'class $class Mitten', '' using ($alone):5:11:12 with yerrorbars lc $index pt 4 notitle"
    else
      plots="$plots, '' using ($joined):5 with linespoints lc $index dt 2 pt 5 title 'class $class Mitten (no spread kept)', '' using ($alone):5 with points lc $index pt 4 notitle"
    fi
  done
  gnuplot <<GNUPLOT
set terminal $term
set output '$RESULTS/mg.png'
set datafile separator ','
set title 'NAS MG (C# port): median Mop/s, plain (solid) and through Mitten (dashed, no migration), alternating; bars = least..largest run'
set xlabel 'processes ($CORES cores; hollow points: oversubscribed, not joined)'
set offsets graph 0.04, graph 0.04, 0, 0
set ylabel 'Mop/s total'
set logscale x 2
set yrange [0:*]
set key top right
set grid
plot $plots
GNUPLOT
}

# ---------------------------------------------------------------------------------------------
# is: NAS IS classes x process counts, repeated (repetitions outermost so drift spreads evenly).
bench_is() {
  local classes="S W A" ranks_list="1 2 4 8" repeats=3
  while [ $# -gt 0 ]; do
    case "$1" in
      --classes) classes=$2; shift 2 ;;
      --ranks) ranks_list=$2; shift 2 ;;
      --repeats) repeats=$2; shift 2 ;;
      *) echo "is: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
  done
  ensure_setup
  progress "building bench/IS"
  build_project bench/IS/IS.csproj
  local program=bench/IS/bin/Release/net10.0/IS
  local raw=$RESULTS/is.csv
  echo "repeat,class,ranks,seconds,mops,mops_per_process,verified,passed,expected" >"$raw"
  local total=0 done_runs=0 rep class ranks
  for class in $classes; do for ranks in $ranks_list; do total=$((total + repeats)); done; done
  for rep in $(seq 1 "$repeats"); do
    for class in $classes; do
      for ranks in $ranks_list; do
        done_runs=$((done_runs + 1))
        progress "[$done_runs/$total] class $class, $ranks ranks, repetition $rep/$repeats"
        if ! mpi_job 900 "$ranks" "$program" --class "$class" >"$TMP/is.out" 2>"$TMP/is.err"; then
          progress "class $class on $ranks ranks failed:"
          tail -5 "$TMP/is.out" "$TMP/is.err" >&2 || true
        fi
        grep '^RESULT ' "$TMP/is.out" | awk -v rep="$rep" '{
            for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
            printf "%s,%s,%s,%s,%s,%s,%s,%s,%s\n", rep, f["class"], f["ranks"], f["seconds"], f["mops"], f["mops_per_process"], f["verified"], f["passed"], f["expected"]
          }' >>"$raw" || true
      done
    done
  done

  local summary=$RESULTS/is-summary.csv
  echo "class,ranks,runs,median_mops,min_mops,max_mops,spread_pct,median_seconds,verified" >"$summary"
  for class in $classes; do
    for ranks in $ranks_list; do
      local sel med lo hi secs verified runs
      sel=$(awk -F, -v c="$class" -v n="$ranks" '$2 == c && $3 == n' "$raw")
      runs=$(printf '%s\n' "$sel" | grep -c . || true)
      if [ "$runs" -eq 0 ]; then
        echo "$class,$ranks,0,nan,nan,nan,nan,nan,no" >>"$summary"
        continue
      fi
      med=$(printf '%s\n' "$sel" | cut -d, -f5 | median)
      lo=$(printf '%s\n' "$sel" | cut -d, -f5 | minimum)
      hi=$(printf '%s\n' "$sel" | cut -d, -f5 | maximum)
      secs=$(printf '%s\n' "$sel" | cut -d, -f4 | median)
      verified=yes
      if printf '%s\n' "$sel" | cut -d, -f7 | grep -qv yes || [ "$runs" -ne "$repeats" ]; then verified=no; fi
      awk -v c="$class" -v n="$ranks" -v r="$runs" -v m="$med" -v lo="$lo" -v hi="$hi" -v s="$secs" -v v="$verified" \
        'BEGIN { printf "%s,%s,%d,%.2f,%.2f,%.2f,%.1f,%.6f,%s\n", c, n, r, m, lo, hi, (hi - lo) / m * 100, s, v }' >>"$summary"
    done
  done
  {
    echo "is: median Mop/s over $repeats repetitions (spread = (max - min) / median)"
    printf '%6s %6s %12s %12s %12s %9s %9s\n' class ranks median_mops min_mops max_mops spread% verified
    awk -F, 'NR > 1 { printf "%6s %6s %12s %12s %12s %9s %9s\n", $1, $2, $4, $5, $6, $7, $9 }' "$summary"
  } >&2

  plot_is "$summary" "$repeats"
  progress "wrote $raw, $summary, $RESULTS/is.png"
  # The headline: class A on 4 ranks (or the last row when that was not measured).
  local line
  line=$(awk -F, '$1 == "A" && $2 == 4' "$summary")
  if [ -z "$line" ]; then line=$(tail -1 "$summary"); fi
  echo "$line" | awk -F, '{ printf "is: class=%s ranks=%s mops=%s verified=%s\n", $1, $2, $4, $9 }'
}

# ---------------------------------------------------------------------------------------------
# mg: NAS MG, plain and through Mitten (no migration) alternating inside one job per class and
# process count (MG --compare mitten: plain, mitten, then mitten, plain, ... after a warm-up pair).
bench_mg() {
  local classes="S W A" ranks_list="1 2 4" repeats=3 sweep=0 ranks_given=0 repeats_given=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --classes) classes=$2; shift 2 ;;
      --ranks) ranks_list=$2; ranks_given=1; shift 2 ;;
      --repeats) repeats=$2; repeats_given=1; shift 2 ;;
      --sweep) sweep=1; shift ;;
      *) echo "mg: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
  done
  ensure_setup
  progress "building bench/MG"
  build_project bench/MG/MG.csproj
  local program=bench/MG/bin/Release/net10.0/MG
  local raw=$RESULTS/mg.csv
  echo "class,ranks,rep,variant,seconds,mops,verified,allocated_bytes,rnm2" >"$raw"
  # The jobs: "class ranks repeats" per line.
  # Class C (512^3, 3.6 GB of grids, about 1 min per run on 2 cores) runs, unless told
  # otherwise, on 2 and 4 ranks with one repetition (a job: warm-up pair + 1 pair, about 5 min).
  local jobs="" class ranks class_ranks class_repeats
  for class in $classes; do
    class_ranks=$ranks_list class_repeats=$repeats
    if [ "$class" = C ]; then
      [ "$ranks_given" -eq 1 ] || class_ranks="2 4"
      [ "$repeats_given" -eq 1 ] || class_repeats=1
    fi
    for ranks in $class_ranks; do jobs="$jobs$class $ranks $class_repeats"$'\n'; done
  done
  if [ "$sweep" -eq 1 ]; then
    for ranks in 1 2 4 8 16 32 64; do jobs="${jobs}S $ranks 1"$'\n'; done
  fi
  local total done_runs=0 reps
  total=$(printf '%s' "$jobs" | grep -c .)
  while read -r class ranks reps; do
    [ -n "$class" ] || continue
    done_runs=$((done_runs + 1))
    progress "[$done_runs/$total] class $class, $ranks ranks: plain and Mitten alternating, $reps runs each after a warm-up pair"
    # Both variants yield the processor while waiting (mpi_yield_when_idle: Open MPI sets it itself
    # only when ranks outnumber cores; Mitten's waits yield after 64 polls), so a spinning plain
    # MPI_Wait does not lose to a yielding Mitten wait on this shared machine.
    if ! OMPI_MCA_mpi_yield_when_idle=1 flock "$LOCK" timeout 1800 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n "$ranks" \
        "$program" --class "$class" --compare mitten --repeats "$reps" >"$TMP/mg.out" 2>"$TMP/mg.err" </dev/null; then
      progress "class $class on $ranks ranks failed:"
      tail -5 "$TMP/mg.out" "$TMP/mg.err" >&2 || true
    fi
    grep '^COMPARE ' "$TMP/mg.out" | grep -v ' rep=0 ' | awk '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
        printf "%s,%s,%s,%s,%s,%s,%s,%s,%s\n", f["class"], f["ranks"], f["rep"], f["variant"], f["seconds"], f["mops"], f["verified"], f["allocated_bytes"], f["rnm2"]
      }' >>"$raw" || true
  done <<<"$jobs"

  local summary=$RESULTS/mg-summary.csv
  echo "class,ranks,runs,plain_median_mops,mitten_median_mops,mitten_over_plain,plain_min_mops,plain_max_mops,max_allocated_bytes,verified,mitten_min_mops,mitten_max_mops" >"$summary"
  while read -r class ranks reps; do
    [ -n "$class" ] || continue
    local sel runs pm mm lo hi mlo mhi alloc verified
    sel=$(awk -F, -v c="$class" -v n="$ranks" 'NR > 1 && $1 == c && $2 == n' "$raw")
    runs=$(printf '%s\n' "$sel" | grep -c . || true)
    if [ "$runs" -eq 0 ]; then
      echo "$class,$ranks,0,nan,nan,nan,nan,nan,nan,no,nan,nan" >>"$summary"
      continue
    fi
    pm=$(printf '%s\n' "$sel" | awk -F, '$4 == "plain" { print $6 }' | median)
    mm=$(printf '%s\n' "$sel" | awk -F, '$4 == "mitten" { print $6 }' | median)
    lo=$(printf '%s\n' "$sel" | awk -F, '$4 == "plain" { print $6 }' | minimum)
    hi=$(printf '%s\n' "$sel" | awk -F, '$4 == "plain" { print $6 }' | maximum)
    mlo=$(printf '%s\n' "$sel" | awk -F, '$4 == "mitten" { print $6 }' | minimum)
    mhi=$(printf '%s\n' "$sel" | awk -F, '$4 == "mitten" { print $6 }' | maximum)
    alloc=$(printf '%s\n' "$sel" | cut -d, -f8 | maximum)
    verified=yes
    if printf '%s\n' "$sel" | cut -d, -f7 | grep -qv yes || [ "$runs" -ne $((2 * reps)) ]; then verified=no; fi
    awk -v c="$class" -v n="$ranks" -v r="$runs" -v pm="$pm" -v mm="$mm" -v lo="$lo" -v hi="$hi" -v a="$alloc" -v v="$verified" -v mlo="$mlo" -v mhi="$mhi" \
      'BEGIN { printf "%s,%s,%d,%.2f,%.2f,%.4f,%.2f,%.2f,%s,%s,%.2f,%.2f\n", c, n, r, pm, mm, mm / pm, lo, hi, a, v, mlo, mhi }' >>"$summary"
  done <<<"$jobs"
  {
    echo "mg: median Mop/s, plain and Mitten (no migration) alternating in one job"
    printf '%6s %6s %5s %12s %12s %10s %12s %9s\n' class ranks runs plain_mops mitten_mops ratio alloc_bytes verified
    awk -F, 'NR > 1 { printf "%6s %6s %5s %12s %12s %10s %12s %9s\n", $1, $2, $3, $4, $5, $6, $9, $10 }' "$summary"
  } >&2

  plot_mg "$summary"
  progress "wrote $raw, $summary, $RESULTS/mg.png"
  # The headline: class A on 2 ranks (the machine's cores), or the last row measured.
  local line all_verified=yes
  line=$(awk -F, '$1 == "A" && $2 == 2' "$summary")
  if [ -z "$line" ]; then line=$(awk -F, 'NR > 1 && $2 == 2' "$summary" | tail -1); fi
  if [ -z "$line" ]; then line=$(tail -1 "$summary"); fi
  if awk -F, 'NR > 1 { print $10 }' "$summary" | grep -qv yes; then all_verified=no; fi
  echo "$line" | awk -F, -v all="$all_verified" '{ printf "mg: class=%s ranks=%s mops=%s mitten_mops=%s verified=%s all_verified=%s\n", $1, $2, $4, $5, $10, all }'
}
