#!/usr/bin/env bash
# The one entry point for benchmarks:  scripts/bench.sh NAME [options]
# Results (CSV + PNG) go to bench/results/; progress goes to stderr; the last line on
# stdout is the summary "NAME: key=value ...". See bench/RESULTS.md for measured figures.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
export TERM=dumb   # .NET prints terminal mode sequences into the output when TERM is a terminal

# MITTEN_BENCH_RESULTS=DIR sends the results elsewhere (a side run that must not replace the
# recorded figures); relative to the checkout's root when not absolute.
RESULTS=${MITTEN_BENCH_RESULTS:-bench/results}
case "$RESULTS" in /*) ;; *) RESULTS=$PWD/$RESULTS ;; esac
mkdir -p "$RESULTS"
TMP=$RESULTS/tmp
LOCK=/tmp/mitten-mpi-jobs.lock
export MITTEN_BENCH_LOCK=$LOCK MITTEN_BENCH_RESULTS=$RESULTS

usage() {
  cat <<'EOF'
usage: scripts/bench.sh NAME [options]

names:
  pingpong    C reference (bench/native/pingpong.c) vs C# (bench/PingPong), alternating, 8 B .. 4 MiB
              options: --rounds R (5)  --measurements T (20)  --max-bytes N (4194304)  --min-ms M (5)
                       --thread-level single|funneled (single: MPI_Init in both programs)
  is          NAS IS (bench/IS): classes S W A at 1 2 4 8 ranks, repeated, median Mop/s
              options: --classes "S W A"  --ranks "1 2 4 8"  --repeats N (3)
  iskernel    NAS IS in C (bench/native/is.c, mpicc -O3 -march=native) vs the C# port (bench/IS), alternating,
              the same key sets; per pair the ratio of the medians over in-job repetitions, C# Mop/s / C Mop/s
              options: --classes "S W A B"  --ranks "1 2 4"  --pairs P (5)  --repeats R (3, runs per job)
              the C# jobs run with KERNEL_CSHARP_ENV (default DOTNET_TieredCompilation=0: compiled once,
              optimized, no recompiles during the timed loops; "" for the runtime's defaults)
  mgkernel    NAS MG in C (bench/native/mg.c, mpicc -O3 -march=native -ffp-contract=off) vs the C# port (bench/MG),
              alternating as iskernel; both must verify with the same final norm; the JIT listing of the kernels
              options: --classes "S W A"  --ranks "1 2 4"  --pairs P (5)  --repeats R (3, runs per job)
  mg          NAS MG (bench/MG): plain and through Mitten alternating in one job per class and process
              count (MG --compare mitten), median Mop/s of each; every run must verify
              options: --classes "S W A"  --ranks "1 2 4"  --repeats N (3); class C alone defaults to
                       --ranks "2 4" --repeats 1 (3.6 GB of grids, about a minute per run)
                       --sweep (also class S at every power of two 1..64, one run of each variant)
  mpptest     Mpptest-style suite (bench/Mpptest): point-to-point on 2 ranks, collectives on 4
              options: --measurements T (10)  --quick  --compare plain|mitten (alternate two variants)
  checkpoint  checkpoint cost (bench/Checkpoint/run.sh)
  overhead    Mitten normal-execution overhead, patent Fig. 11 (bench/Mitten/run.sh overhead)
              options: --repeat K (3)  --repeats R (60: IS repetitions per class; classes S and W: --repeats-small, 5R)
                       --spare-pairs P (7; idle warm spares, 0 skips)  --only-spares  --only-mg
  migration   migration cost vs process count, patent Figs. 12-13 (bench/Mitten/run.sh migration)
              options: --repeats R (5)  --ranks "2 4 8"  --class A  --hosts H (same-host vs cross-host, root)
                       --spares S (S warm spares, MITTEN_SPARES: the moving rank takes one instead of spawning;
                                   with --hosts they start on each variant's target host)
                       --spares "0 1" (scaling sweep: both at every rank count, alternating; log-log plot, per-phase growth)
                       --repeats-large R2 (repetitions from 32 ranks up)  --job-timeout SECONDS (900)
              e.g. scripts/bench.sh migration --ranks "2 4 8 16 32 64" --class S --repeats 3 --spares "0 1"
                   scripts/bench.sh migration --hosts 2 --spares 1 --class B --ranks 4 --repeats 5
  plots       redraw is.png, mg.png and the mpptest plots from the results already in bench/results
              (no run); the Mitten-vs-plain mpptest plots come from overhead-mpptest.txt
  statetransfer  a migration's state transfer (bench/StateTransfer/run.sh): 1..256 MiB double[] and the 1M-node
              graph from a rank to a spawned process, MB/s next to memcpy and a plain TCP socket, alternating
              options: --rounds R (5)  --sizes "1 16 64 256"  --graph-nodes N (1000000)
  soak        randomized traffic with concurrent migrations until N commit; counts lost requests, hangs,
              lost/duplicated/reordered/corrupted messages, wrong results (bench/Soak/run.sh)
              options: --migrations N (1000)  --quick (20)  --seed S (one job)  --max-jobs J  --stall-seconds T (90)

Every name writes CSV and PNG files into bench/results/ (or $MITTEN_BENCH_RESULTS) and ends with one line "NAME: key=value ...".
EOF
}

NAME=${1:-}
[ $# -gt 0 ] && shift
case "$NAME" in
  pingpong|is|iskernel|mgkernel|mg|mpptest|checkpoint|overhead|migration|soak|plots|statetransfer) ;;
  -h|--help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac

mkdir -p "$RESULTS" "$TMP"

progress() { printf '[bench %s %s] %s\n' "$NAME" "$(date +%H:%M:%S)" "$*" >&2; }

# Builds the solution through setup.sh when the binding has never been built.
ensure_setup() {
  if [ ! -f src/Mitten.GroupComm/bin/Release/net10.0/Mitten.GroupComm.dll ] || ! command -v mpicc >/dev/null 2>&1 \
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

# The rank counts up to the machine's cores are joined by lines; the oversubscribed ones (more
# ranks than cores: they share cores, so their times are no speed-up) stand alone, hollow.
CORES=$(nproc)

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

  plot_is "$summary" "$repeats"
  progress "wrote $raw, $summary, $RESULTS/is.png"
  # The headline: class A on 4 ranks (or the last row when that was not measured).
  local line
  line=$(awk -F, '$1 == "A" && $2 == 4' "$summary")
  if [ -z "$line" ]; then line=$(tail -1 "$summary"); fi
  echo "$line" | awk -F, '{ printf "is: class=%s ranks=%s mops=%s verified=%s\n", $1, $2, $4, $9 }'
}

# ---------------------------------------------------------------------------------------------
# A C baseline against the C# port, shared by iskernel and mgkernel. Both programs take
# --class X --repeats R and print per repetition "RESULT impl=c|csharp rep=R class= ranks= seconds=
# mops= verified= FIELD=..." where FIELD (IS: key_rank_checksum, MG: rnm2) must be the same in both.

# What the JIT makes of the hot loops (a regression shows here): one run of class S with the
# listings of the kernels; per method its code size, memory operands on the stack frame
# ([rbp-..]/[rsp+..]: spills and reloads), unconditional jumps, and range-check failures.
#   kernel_jit_listing NAME PROGRAM "METHODS"   (writes NAME-jit.txt and NAME-jit.csv; METHODS: DOTNET_JitDisasm names)
kernel_jit_listing() {
  local name=$1 program=$2 methods=$3
  local jit=$RESULTS/$name-jit.txt jit_csv=$RESULTS/$name-jit.csv
  rm -f "$jit"   # the JIT appends to its file
  DOTNET_JitDisasm="$methods" DOTNET_JitStdOutFile="$jit" \
    mpi_job 120 1 "$program" --class S >/dev/null 2>&1 || progress "the JIT listing run failed"
  echo "method,code_bytes,stack_operands,unconditional_jumps,range_checks,tier" >"$jit_csv"
  # Only the kernel classes' methods (IsKernels, MgKernels, MgRows: a name may also match a wrapper), one
  # row per compilation (a method compiled at Tier0 and again optimized has two; tier: the JIT's).
  awk 'function flush() { if (m != "") printf "%s,%s,%d,%d,%d,%s\n", m, size, st, jm, rc, tier; m = "" }
       /^; Assembly listing for method/ { flush(); if ($0 !~ /(Kernels|Rows):/) next
         split($0, a, ":"); m = a[2]; sub(/\(.*/, "", m); tier = $0; sub(/.*\(/, "", tier); sub(/\).*/, "", tier)
         size = 0; st = 0; jm = 0; rc = 0; next }
       m == "" { next }
       /\[(rbp|rsp)[-+]/ && !/lea +rbp/ { st++ } /^ +jmp / { jm++ } /RNGCHKFAIL/ { rc++ }
       /^; Total bytes of code/ { size = $NF }
       END { flush() }' "$jit" >>"$jit_csv" 2>/dev/null || true
  {
    echo "$name: JIT listing of the kernels (DOTNET_JitDisasm, $jit):"
    awk -F, 'NR > 1 { printf "  %-20s %4s bytes, %s stack operands, %s jmp, %s range checks (%s)\n", $1, $2, $3, $4, $5, $6 }' "$jit_csv"
  } >&2
}

# The C# jobs' runtime settings (KERNEL_CSHARP_ENV, NAME=VALUE words; the default below):
# DOTNET_TieredCompilation=0 compiles every method once, fully optimized, before its first call
# (precompiled ReadyToRun code is used as it is), as the C program is compiled before it starts.
# With tiering on, methods the timed loop calls (Span.Clear's helpers, the binding's wrappers,
# MG's halo exchange) are call-counted and recompiled on the JIT's background thread during the
# first runs' timed iterations, which on 2 cores shared by 4 ranks costs the small classes up to
# half their Mop/s (bench/RESULTS.md, kern15). KERNEL_CSHARP_ENV="" measures with tiering.
KERNEL_CSHARP_ENV=${KERNEL_CSHARP_ENV-DOTNET_TieredCompilation=0}

# Alternates the two programs, C then C# in odd pairs, C# then C in even ones, per class and rank
# count; writes NAME.csv (pair,impl,class,ranks,rep,seconds,mops,verified,FIELD; FIELD printed
# with FORMAT, e.g. %.17g to compare doubles that C and .NET print differently).
#   kernel_alternate NAME C_PROGRAM CS_PROGRAM "CLASSES" "RANKS" PAIRS REPEATS FIELD FORMAT
kernel_alternate() {
  local name=$1 c_program=$2 cs_program=$3 classes=$4 ranks_list=$5 pairs=$6 repeats=$7 field=$8 format=$9
  local raw=$RESULTS/$name.csv
  echo "pair,impl,class,ranks,rep,seconds,mops,verified,$field" >"$raw"
  local total=0 done_jobs=0 pair class ranks impl
  for class in $classes; do for ranks in $ranks_list; do total=$((total + 2 * pairs)); done; done
  progress "C# jobs run with: ${KERNEL_CSHARP_ENV:-the default runtime settings}"
  for pair in $(seq 1 "$pairs"); do
    for class in $classes; do
      for ranks in $ranks_list; do
        local order="c csharp"
        [ $((pair % 2)) -eq 0 ] && order="csharp c"
        for impl in $order; do
          done_jobs=$((done_jobs + 1))
          progress "[$done_jobs/$total] pair $pair/$pairs class $class, $ranks ranks: $impl"
          local program=$c_program run_env=()
          [ "$impl" = csharp ] && program=$cs_program && read -r -a run_env <<<"$KERNEL_CSHARP_ENV"
          if ! mpi_job 1800 "$ranks" env "${run_env[@]}" "$program" --class "$class" --repeats "$repeats" >"$TMP/$name.out" 2>"$TMP/$name.err"; then
            progress "$impl class $class on $ranks ranks failed:"
            tail -5 "$TMP/$name.out" "$TMP/$name.err" >&2 || true
          fi
          grep '^RESULT impl=' "$TMP/$name.out" | awk -v pair="$pair" -v field="$field" -v format="$format" '{
              for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
              value = format == "%s" ? f[field] : sprintf(format, f[field] + 0)
              printf "%s,%s,%s,%s,%s,%s,%s,%s,%s\n", pair, f["impl"], f["class"], f["ranks"], f["rep"], f["seconds"], f["mops"], f["verified"], value
            }' >>"$raw" || true
        done
      done
    done
  done
}

# Per pair: C# median / C median over the job's repetitions; per class and ranks: the median
# over pairs; writes NAME-summary.csv and NAME.png, prints the table (stderr) and the summary
# line (stdout): "NAME: ratio= ratio_min= worst= [ratio_A1=] configs= verified= AGREE= jit_...".
#   kernel_summary NAME "CLASSES" "RANKS" PAIRS REPEATS AGREE TITLE WITH_A1(0|1)
kernel_summary() {
  local name=$1 classes=$2 ranks_list=$3 pairs=$4 repeats=$5 agree=$6 title=$7 with_a1=$8
  local raw=$RESULTS/$name.csv summary=$RESULTS/$name-summary.csv jit_csv=$RESULTS/$name-jit.csv class ranks pair
  echo "class,ranks,pairs,c_median_mops,csharp_median_mops,ratio_median,ratio_min,ratio_max,verified,$agree" >"$summary"
  for class in $classes; do
    for ranks in $ranks_list; do
      local ratios c_med cs_med verified same c cs
      ratios=$(for pair in $(seq 1 "$pairs"); do
          c=$(awk -F, -v p="$pair" -v c="$class" -v n="$ranks" '$1 == p && $2 == "c" && $3 == c && $4 == n { print $7 }' "$raw" | median)
          cs=$(awk -F, -v p="$pair" -v c="$class" -v n="$ranks" '$1 == p && $2 == "csharp" && $3 == c && $4 == n { print $7 }' "$raw" | median)
          awk -v c="$c" -v cs="$cs" 'BEGIN { if (c != "nan" && cs != "nan" && c > 0) printf "%.4f\n", cs / c }'
        done)
      c_med=$(awk -F, -v c="$class" -v n="$ranks" '$2 == "c" && $3 == c && $4 == n { print $7 }' "$raw" | median)
      cs_med=$(awk -F, -v c="$class" -v n="$ranks" '$2 == "csharp" && $3 == c && $4 == n { print $7 }' "$raw" | median)
      verified=$(awk -F, -v c="$class" -v n="$ranks" 'BEGIN { v = "yes"; k = 0 } $3 == c && $4 == n { k++; if ($8 != "yes") v = "no" } END { print (k == 0 ? "no" : v) }' "$raw")
      same=$(awk -F, -v c="$class" -v n="$ranks" '$3 == c && $4 == n { print $9 }' "$raw" | sort -u | awk 'END { print (NR == 1 ? "yes" : "no") }')
      if [ -z "$ratios" ]; then
        printf '%s,%s,0,%s,%s,nan,nan,nan,no,%s\n' "$class" "$ranks" "$c_med" "$cs_med" "$same" >>"$summary"
        continue
      fi
      printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$class" "$ranks" "$(printf '%s\n' "$ratios" | grep -c .)" "$c_med" "$cs_med" \
        "$(printf '%s\n' "$ratios" | median)" "$(printf '%s\n' "$ratios" | minimum)" "$(printf '%s\n' "$ratios" | maximum)" "$verified" "$same" >>"$summary"
    done
  done
  {
    echo "$name: C# / C Mop/s, median over $pairs alternating pairs (each job: median of $repeats runs)"
    printf '%6s %6s %12s %12s %9s %9s %9s %9s %9s\n' class ranks C_mops Cs_mops ratio r_min r_max verified "$agree"
    awk -F, 'NR > 1 { printf "%6s %6s %12s %12s %9s %9s %9s %9s %9s\n", $1, $2, $4, $5, $6, $7, $8, $9, $10 }' "$summary"
  } >&2

  local term
  term=$(gnuplot_terminal)
  gnuplot <<EOF || progress "gnuplot failed; no $RESULTS/$name.png"
set terminal $term
set output '$RESULTS/$name.png'
set datafile separator ','
set title '$title: C# port Mop/s / C baseline Mop/s, median over $pairs alternating pairs (bars: min..max)'
set xlabel 'class/ranks'
set ylabel 'C# / C'
set yrange [0.5:1.5]
set grid
set xtics rotate by -45
plot '$summary' every ::1 using 0:6:7:8:xtic(strcol(1).'/'.strcol(2)) with yerrorbars title 'ratio', 1 notitle lc rgb 'gray'
EOF
  progress "wrote $raw, $summary, $RESULTS/$name.png"
  # ratio: geometric mean over class/rank configurations; ratio_min: the worst configuration (the goal is >= 1 everywhere).
  awk -F, -v name="$name" -v agree="$agree" -v with_a1="$with_a1" '
       NR > 1 && $6 != "nan" { n++; lg += log($6); if (min == "" || $6 < min) { min = $6; worst = $1 "/" $2 }
                               if ($1 == "A" && $2 == 1) a1 = $6 }
       NR > 1 { if ($9 != "yes") v = "no"; if ($10 != "yes") k = "no" }
       END { printf "%s: ratio=%.3f ratio_min=%s worst=%s", name, (n ? exp(lg / n) : 0), (n ? min : "nan"), worst
             if (with_a1) printf " ratio_A1=%s", (a1 == "" ? "nan" : a1)
             printf " configs=%d verified=%s %s=%s", n, (v == "" ? "yes" : v), agree, (k == "" ? "yes" : k) }' "$summary"
  awk -F, 'NR > 1 { n++; st += $3; jm += $4; rc += $5 } END { printf " jit_methods=%d jit_stack_operands=%d jit_jumps=%d jit_range_checks=%d\n", n, st, jm, rc }' "$jit_csv"
}

# The options of iskernel and mgkernel, into the caller's classes, ranks_list, pairs and repeats.
kernel_options() {
  local name=$1
  shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --classes) classes=$2; shift 2 ;;
      --ranks) ranks_list=$2; shift 2 ;;
      --pairs) pairs=$2; shift 2 ;;
      --repeats) repeats=$2; shift 2 ;;
      *) echo "$name: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
  done
}

# iskernel: the C baseline of IS (bench/native/is.c) against the C# port, alternating C, C#,
# then C#, C, ... per pair, on the same key sets (the same generator; the key rank checksums
# must be equal). Each job runs the benchmark R times (--repeats) and the pair's ratio is
# C# median Mop/s / C median Mop/s; per class and rank count the median over pairs.
bench_iskernel() {
  local classes="S W A B" ranks_list="1 2 4" pairs=5 repeats=3
  kernel_options iskernel "$@"
  ensure_setup
  progress "building bench/native/is.c (mpicc -O3 -march=native) and bench/IS"
  mkdir -p bench/native/build
  mpicc -O3 -march=native -o bench/native/build/is bench/native/is.c
  build_project bench/IS/IS.csproj
  local c_program=bench/native/build/is cs_program=bench/IS/bin/Release/net10.0/IS
  kernel_jit_listing iskernel "$cs_program" 'CountBuckets ExclusivePrefixSum ScatterToBuckets CountKeys InclusivePrefixSum'
  kernel_alternate iskernel "$c_program" "$cs_program" "$classes" "$ranks_list" "$pairs" "$repeats" key_rank_checksum %s
  kernel_summary iskernel "$classes" "$ranks_list" "$pairs" "$repeats" checksums_equal 'NAS IS' 1
}

# mgkernel: the C baseline of MG (bench/native/mg.c) against the C# port (bench/MG, plain
# binding), alternating as iskernel; both must verify and give the same final L2 norm (rnm2,
# compared as doubles: the two programs do the same arithmetic in the same order).
# -ffp-contract=off: GNU C would fuse multiply-adds into FMAs, which the JIT does not, and the
# norms would differ in the last bits.
bench_mgkernel() {
  local classes="S W A" ranks_list="1 2 4" pairs=5 repeats=3
  kernel_options mgkernel "$@"
  ensure_setup
  progress "building bench/native/mg.c (mpicc -O3 -march=native -ffp-contract=off) and bench/MG"
  mkdir -p bench/native/build
  mpicc -O3 -march=native -ffp-contract=off -o bench/native/build/mg bench/native/mg.c -lm
  build_project bench/MG/MG.csproj
  local c_program=bench/native/build/mg cs_program=bench/MG/bin/Release/net10.0/MG
  kernel_jit_listing mgkernel "$cs_program" 'Residual Smooth Restrict Interpolate Norms CopyPlane WrapAxis PlaneSums ResidualRow SmoothRow RestrictRow CoarseSums InterpolateRow'
  kernel_alternate mgkernel "$c_program" "$cs_program" "$classes" "$ranks_list" "$pairs" "$repeats" rnm2 %.17g
  kernel_summary mgkernel "$classes" "$ranks_list" "$pairs" "$repeats" norms_equal 'NAS MG' 0
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

  bench/Mpptest/plot.sh "$out" "$RESULTS/$prefix"
  progress "wrote $out, $csv, $fit and $RESULTS/$prefix-<pattern>.png"
  awk -F, '$1 == "pingpong" && NR > 1 { printf "mpptest: latency_us=%.3f bandwidth_MBps=%.1f\n", $4, $5; exit }' "$fit"
}

case "$NAME" in
  pingpong) bench_pingpong "$@" ;;
  is) bench_is "$@" ;;
  mg) bench_mg "$@" ;;
  iskernel) bench_iskernel "$@" ;;
  mgkernel) bench_mgkernel "$@" ;;
  mpptest) bench_mpptest "$@" ;;
  checkpoint) run_hook bench/Checkpoint/run.sh "$@" ;;
  overhead) run_hook bench/Mitten/run.sh overhead "$@" ;;
  migration) run_hook bench/Mitten/run.sh migration "$@" ;;
  soak) run_hook bench/Soak/run.sh "$@" ;;
  plots)
    [ -f "$RESULTS/is-summary.csv" ] && plot_is "$RESULTS/is-summary.csv" "$(awk -F, 'NR == 2 { print $3 }' "$RESULTS/is-summary.csv")"
    [ -f "$RESULTS/mg-summary.csv" ] && plot_mg "$RESULTS/mg-summary.csv"
    [ -f "$RESULTS/mpptest.txt" ] && bench/Mpptest/plot.sh "$RESULTS/mpptest.txt" "$RESULTS/mpptest"
    [ -f "$RESULTS/overhead-mpptest.txt" ] && bench/Mpptest/plot.sh "$RESULTS/overhead-mpptest.txt" "$RESULTS/mpptest-mitten"
    [ -f "$RESULTS/mpptest-compare-plain.txt" ] && bench/Mpptest/plot.sh "$RESULTS/mpptest-compare-plain.txt" "$RESULTS/mpptest-compare-plain"
    echo "plots: is=$RESULTS/is.png mg=$RESULTS/mg.png mpptest=$RESULTS/mpptest-<pattern>.png mitten_vs_plain=$RESULTS/mpptest-mitten-<pattern>.png"
    ;;
  statetransfer) run_hook bench/StateTransfer/run.sh "$@" ;;
esac
