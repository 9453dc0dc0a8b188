# Sourced by scripts/bench.sh (its helpers, globals and the checkout root as working directory);
# point-to-point and collective timing of the binding (pingpong, mpptest).

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
