#!/usr/bin/env bash
# The one entry point for benchmarks:  scripts/bench.sh NAME [options]
# Results (CSV + PNG) go to bench/results/; progress goes to stderr; the last line on
# stdout is the summary "NAME: key=value ...". See bench/RESULTS.md for measured figures.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
export TERM=dumb   # .NET prints terminal mode sequences into the output when TERM is a terminal

RESULTS=bench/results
TMP=$RESULTS/tmp
LOCK=/tmp/mitten-mpi-jobs.lock
export MITTEN_BENCH_LOCK=$LOCK MITTEN_BENCH_RESULTS=$PWD/$RESULTS

usage() {
  cat <<'EOF'
usage: scripts/bench.sh NAME [options]

names:
  pingpong    C reference (bench/native/pingpong.c) vs C# (bench/PingPong), alternating, 8 B .. 4 MiB
              options: --rounds R (5)  --measurements T (20)  --max-bytes N (4194304)  --min-ms M (5)
                       --thread-level single|funneled (single: MPI_Init in both programs)
  is          NAS IS (bench/IS): classes S W A at 1 2 4 8 ranks, repeated, median Mop/s
              options: --classes "S W A"  --ranks "1 2 4 8"  --repeats N (3)
  mpptest     Mpptest-style suite (bench/Mpptest): point-to-point on 2 ranks, collectives on 4
              options: --measurements T (10)  --quick  --compare plain|mitten (alternate two variants)
  checkpoint  checkpoint cost (bench/Checkpoint/run.sh)
  overhead    Mitten normal-execution overhead, patent Fig. 11 (bench/Mitten/run.sh overhead)
  migration   migration cost vs process count, patent Figs. 12-13 (bench/Mitten/run.sh migration)
              --hosts 2 (root): over namespace test hosts, cross-host against same-host in one run

Every name writes CSV and PNG files into bench/results/ and ends with one line "NAME: key=value ...".
EOF
}

NAME=${1:-}
[ $# -gt 0 ] && shift
case "$NAME" in
  pingpong|is|mpptest|checkpoint|overhead|migration) ;;
  -h|--help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac

mkdir -p "$RESULTS" "$TMP"

progress() { printf '[bench %s %s] %s\n' "$NAME" "$(date +%H:%M:%S)" "$*" >&2; }

# Builds the solution through setup.sh when the binding has never been built.
ensure_setup() {
  if [ ! -f src/GroupComm/bin/Release/net10.0/Mitten.GroupComm.dll ] || ! command -v mpicc >/dev/null 2>&1 \
      || ! command -v gnuplot >/dev/null 2>&1; then
    progress "build missing: running scripts/setup.sh"
    scripts/setup.sh >&2
  fi
}

# dotnet build of one project (Release); retried because other builds may hold files.
build_project() {
  local project=$1 attempt
  for attempt in 1 2 3 4; do
    if dotnet build "$project" -c Release -v q -nologo -clp:NoSummary >"$TMP/build.log" 2>&1; then
      return 0
    fi
    progress "build of $project failed (attempt $attempt), retrying"
    sleep 5
  done
  cat "$TMP/build.log" >&2
  echo "$NAME: error=build-failed project=$project"
  exit 1
}

# mpiexec under the machine-wide MPI job lock, with a time limit.
#   mpi_job SECONDS RANKS program args...
mpi_job() {
  local limit=$1 ranks=$2
  shift 2
  flock "$LOCK" timeout "$limit" mpiexec --oversubscribe -n "$ranks" "$@"
}

# Median of the numbers on stdin (one per line).
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# Minimum and maximum of the numbers on stdin.
minimum() { sort -g | awk 'NR == 1'; }  # reads all its input: head would make sort die of SIGPIPE under pipefail
maximum() { sort -g | tail -1; }

gnuplot_terminal() {
  if gnuplot -e "set terminal pngcairo" >/dev/null 2>&1; then
    echo "pngcairo size 900,600 font ',10'"
  else
    echo "png size 900,600"
  fi
}

# Runs a script another part of the project owns (checkpoint, overhead, migration).
run_hook() {
  local script=$1
  shift
  if [ ! -x "$script" ] && [ ! -f "$script" ]; then
    progress "$script does not exist yet"
    echo "$NAME: status=unavailable script=$script"
    exit 3
  fi
  ensure_setup
  # The hook runs its own MPI jobs and must take $MITTEN_BENCH_LOCK around each of them.
  exec bash "$script" "$@"
}

# ---------------------------------------------------------------------------------------------
# pingpong: C vs C#, alternating C, C#, C, C#, ... in one invocation.
bench_pingpong() {
  local rounds=5 measurements=20 max_bytes=4194304 min_ms=5 thread_level=single
  while [ $# -gt 0 ]; do
    case "$1" in
      --rounds) rounds=$2; shift 2 ;;
      --measurements) measurements=$2; shift 2 ;;
      --max-bytes) max_bytes=$2; shift 2 ;;
      --min-ms) min_ms=$2; shift 2 ;;
      --thread-level) thread_level=$2; shift 2 ;;
      *) echo "pingpong: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
  done
  ensure_setup
  progress "building bench/native/pingpong.c and bench/PingPong"
  mkdir -p bench/native/build
  mpicc -O2 -o bench/native/build/pingpong bench/native/pingpong.c
  build_project bench/PingPong/PingPong.csproj
  local csharp=bench/PingPong/bin/Release/net10.0/PingPong
  local args=(--measurements "$measurements" --max-bytes "$max_bytes" --min-ms "$min_ms" --thread-level "$thread_level")
  local raw=$RESULTS/pingpong.csv
  echo "round,impl,size_bytes,k,t,min_us,median_us,bw_min_MBps,bw_median_MBps" >"$raw"
  local alloc_file=$TMP/pingpong-alloc.txt
  : >"$alloc_file"
  local r
  for r in $(seq 1 "$rounds"); do
    progress "round $r/$rounds: C"
    mpi_job 300 2 bench/native/build/pingpong "${args[@]}" >"$TMP/pp-c.out" || { echo "pingpong: error=c-run-failed round=$r"; exit 1; }
    grep '^c,' "$TMP/pp-c.out" | sed "s/^/$r,/" >>"$raw"
    progress "round $r/$rounds: C#"
    mpi_job 300 2 "$csharp" "${args[@]}" >"$TMP/pp-cs.out" || { echo "pingpong: error=csharp-run-failed round=$r"; exit 1; }
    grep '^csharp,' "$TMP/pp-cs.out" | sed "s/^/$r,/" >>"$raw"
    grep '^alloc,' "$TMP/pp-cs.out" | cut -d, -f4 >>"$alloc_file"
  done

  # Per round and size: time ratio C#/C (min over T and median over T), then the median over rounds.
  local ratios=$RESULTS/pingpong-ratios.csv
  echo "size_bytes,c_min_us,csharp_min_us,time_ratio_min,time_ratio_median,bandwidth_ratio_min,c_bw_MBps,csharp_bw_MBps,rounds" >"$ratios"
  local sizes size
  sizes=$(awk -F, 'NR > 1 && $2 == "c" { print $3 }' "$raw" | sort -n -u)
  for size in $sizes; do
    local c_min cs_min tr_min tr_med bw_ratio c_bw cs_bw
    c_min=$(awk -F, -v s="$size" '$2 == "c" && $3 == s { print $6 }' "$raw" | median)
    cs_min=$(awk -F, -v s="$size" '$2 == "csharp" && $3 == s { print $6 }' "$raw" | median)
    c_bw=$(awk -F, -v s="$size" '$2 == "c" && $3 == s { print $8 }' "$raw" | median)
    cs_bw=$(awk -F, -v s="$size" '$2 == "csharp" && $3 == s { print $8 }' "$raw" | median)
    tr_min=$(awk -F, -v s="$size" '$3 == s { t[$1 "," $2] = $6 } END { for (k in t) { split(k, p, ","); if (p[2] == "c" && ((p[1] ",csharp") in t)) print t[p[1] ",csharp"] / t[k] } }' "$raw" | median)
    tr_med=$(awk -F, -v s="$size" '$3 == s { t[$1 "," $2] = $7 } END { for (k in t) { split(k, p, ","); if (p[2] == "c" && ((p[1] ",csharp") in t)) print t[p[1] ",csharp"] / t[k] } }' "$raw" | median)
    bw_ratio=$(awk -F, -v s="$size" '$3 == s { t[$1 "," $2] = $6 } END { for (k in t) { split(k, p, ","); if (p[2] == "c" && ((p[1] ",csharp") in t)) print t[k] / t[p[1] ",csharp"] } }' "$raw" | median)
    printf '%s,%s,%s,%.4f,%.4f,%.4f,%s,%s,%s\n' "$size" "$c_min" "$cs_min" "$tr_min" "$tr_med" "$bw_ratio" "$c_bw" "$cs_bw" "$rounds" >>"$ratios"
  done

  {
    echo "pingpong: $rounds rounds (C, C# alternating), T=$measurements measurements per size and round"
    printf '%10s %12s %12s %10s %10s %10s\n' size_B C_min_us Cs_min_us t_ratio t_ratio_med bw_ratio
    awk -F, 'NR > 1 { printf "%10s %12.4f %12.4f %10.4f %10.4f %10.4f\n", $1, $2, $3, $4, $5, $6 }' "$ratios"
  } >&2

  local latency_ratio bandwidth_ratio alloc
  latency_ratio=$(awk -F, 'NR == 2 { printf "%.3f", $4 }' "$ratios")
  bandwidth_ratio=$(awk -F, 'END { printf "%.3f", $6 }' "$ratios")
  alloc=$(maximum <"$alloc_file")
  alloc=$(awk -v a="$alloc" 'BEGIN { printf "%g", a }')

  local term
  term=$(gnuplot_terminal)
  gnuplot <<EOF
set terminal $term
set output '$RESULTS/pingpong.png'
set datafile separator ','
set multiplot layout 2,1 title 'Ping-pong half round trip, C (Open MPI) vs C# (Mitten.GroupComm), median over $rounds rounds of the minimum of $measurements'
set logscale xy
set xlabel 'message size (bytes)'
set ylabel 'time (us)'
set key top left
set grid
plot '$ratios' every ::1 using 1:2 with linespoints title 'C', '' every ::1 using 1:3 with linespoints title 'C#'
unset logscale y
set ylabel 'C# time / C time'
set yrange [0.8:1.5]
plot '$ratios' every ::1 using 1:4 with linespoints title 'ratio (min)', '' every ::1 using 1:5 with linespoints title 'ratio (median)', 1 notitle lc rgb 'gray'
unset multiplot
EOF
  progress "wrote $raw, $ratios, $RESULTS/pingpong.png"
  echo "pingpong: latency_ratio=$latency_ratio bandwidth_ratio=$bandwidth_ratio allocated_bytes_per_op=$alloc"
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

  local term plots=""
  term=$(gnuplot_terminal)
  for class in $classes; do
    [ -n "$plots" ] && plots="$plots, "
    plots="$plots'$summary' using (strcol(1) eq '$class' ? \$2 : 1/0):4:5:6 with yerrorlines title 'class $class'"
  done
  gnuplot <<EOF
set terminal $term
set output '$RESULTS/is.png'
set datafile separator ','
set title 'NAS IS (C# port, plain binding): median Mop/s over $repeats runs, bars = min..max'
set xlabel 'processes'
set ylabel 'Mop/s total'
set logscale x 2
set xrange [0.7:12]
set yrange [0:*]
set key top right
set grid
plot $plots
EOF
  progress "wrote $raw, $summary, $RESULTS/is.png"
  # The headline: class A on 4 ranks (or the last row when that was not measured).
  local line
  line=$(awk -F, '$1 == "A" && $2 == 4' "$summary")
  if [ -z "$line" ]; then line=$(tail -1 "$summary"); fi
  echo "$line" | awk -F, '{ printf "is: class=%s ranks=%s mops=%s verified=%s\n", $1, $2, $4, $9 }'
}

# ---------------------------------------------------------------------------------------------
# mpptest: the Mpptest-style suite; point-to-point on 2 ranks, collectives on 4.
bench_mpptest() {
  local extra=() measurements=10 prefix=mpptest
  while [ $# -gt 0 ]; do
    case "$1" in
      --measurements) measurements=$2; shift 2 ;;
      --quick) extra+=(--quick); shift ;;
      --compare) extra+=(--compare "$2"); prefix=mpptest-compare-$2; shift 2 ;;
      *) echo "mpptest: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
  done
  ensure_setup
  progress "building bench/Mpptest"
  build_project bench/Mpptest/Mpptest.csproj
  local program=bench/Mpptest/bin/Release/net10.0/Mpptest
  local out=$RESULTS/$prefix.txt
  : >"$out"
  progress "[1/2] point-to-point patterns on 2 ranks (pingpong nonblocking head-to-head halo bisection)"
  mpi_job 1200 2 "$program" --patterns p2p --measurements "$measurements" "${extra[@]}" >>"$out" \
    || { echo "mpptest: error=point-to-point-run-failed"; exit 1; }
  progress "[2/2] collective patterns on 4 ranks (barrier bcast reduce allreduce alltoall)"
  mpi_job 1200 4 "$program" --patterns collective --measurements "$measurements" "${extra[@]}" >>"$out" \
    || { echo "mpptest: error=collective-run-failed"; exit 1; }

  local csv=$RESULTS/$prefix.csv fit=$RESULTS/$prefix-fit.csv ratio=$RESULTS/$prefix-ratios.csv
  echo "pattern,variant,ranks,size_bytes,k,t,min_us,median_us,bw_MBps" >"$csv"
  grep '^CSV measure,' "$out" | cut -d, -f2- >>"$csv"
  echo "pattern,variant,ranks,latency_us,bandwidth_MBps" >"$fit"
  grep '^CSV fit,' "$out" | cut -d, -f2- >>"$fit"
  echo "pattern,variant,ranks,allocated_bytes_per_repetition" >"$RESULTS/$prefix-alloc.csv"
  grep '^CSV alloc,' "$out" | cut -d, -f2- >>"$RESULTS/$prefix-alloc.csv"
  if grep -q '^CSV ratio,' "$out"; then
    echo "pattern,variants,ranks,size_bytes,ratio_min,ratio_median" >"$ratio"
    grep '^CSV ratio,' "$out" | cut -d, -f2- >>"$ratio"
    echo "pattern,variants,ranks,geomean_min,geomean_median" >"$RESULTS/$prefix-geomean.csv"
    grep '^CSV geomean,' "$out" | cut -d, -f2- >>"$RESULTS/$prefix-geomean.csv"
  fi
  grep -v '^CSV ' "$out" >&2

  local term pattern variants variant plots
  term=$(gnuplot_terminal)
  for pattern in $(awk -F, 'NR > 1 { print $1 }' "$csv" | awk '!seen[$0]++'); do
    variants=$(awk -F, -v p="$pattern" 'NR > 1 && $1 == p { print $2 }' "$csv" | awk '!seen[$0]++')
    plots=""
    for variant in $variants; do
      # One data file per line, so gnuplot draws connected lines.
      local data=$TMP/$prefix-$pattern-$variant.dat
      awk -F, -v p="$pattern" -v v="$variant" 'NR > 1 && $1 == p && $2 == v { print ($4 > 0 ? $4 : 1), $7, $8 }' "$csv" >"$data"
      [ -n "$plots" ] && plots="$plots, "
      plots="$plots'$data' using 1:2 with linespoints title '$variant min', '' using 1:3 with linespoints dt 2 title '$variant median'"
    done
    gnuplot <<EOF
set terminal $term
set output '$RESULTS/$prefix-$pattern.png'
set title 'mpptest $pattern: time per operation vs size (size 0 drawn at 1 byte)'
$( [ "$pattern" = barrier ] && echo "set xrange [0.5:2]" )
set logscale xy
set xlabel 'message size (bytes)'
set ylabel 'time (us)'
set key top left
set grid
plot $plots
EOF
  done
  progress "wrote $out, $csv, $fit and $RESULTS/$prefix-<pattern>.png"
  awk -F, '$1 == "pingpong" && NR > 1 { printf "mpptest: latency_us=%.3f bandwidth_MBps=%.1f\n", $4, $5; exit }' "$fit"
}

case "$NAME" in
  pingpong) bench_pingpong "$@" ;;
  is) bench_is "$@" ;;
  mpptest) bench_mpptest "$@" ;;
  checkpoint) run_hook bench/Checkpoint/run.sh "$@" ;;
  overhead) run_hook bench/Mitten/run.sh overhead "$@" ;;
  migration) run_hook bench/Mitten/run.sh migration "$@" ;;
esac
