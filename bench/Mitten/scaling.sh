# Sourced by bench/Mitten/run.sh: the option checks of the migration experiment and the report
# of its scaling sweep (--spares "0 1": every phase at every rank count, with and without a
# spare; issue 12, "Scale to the patent's range").

# migration_check_options REPEATS REPEATS_LARGE RANKS CLASS MOVING ITERATION SPARES HOSTS TIMEOUT:
# returns non-zero, with one "migration: ..." line on stderr, for input that cannot run.
migration_check_options() {
  local repeats=$1 repeats_large=$2 ranks_list=$3 class=$4 moving=$5 iteration=$6 spares_list=$7 hosts=$8 timeout=$9
  local n seen=" "
  refuse() { echo "migration: $*" >&2; return 1; }
  [[ $repeats =~ ^[1-9][0-9]*$ ]] || { refuse "--repeats takes a positive integer, not '$repeats'"; return 1; }
  [ -z "$repeats_large" ] || [[ $repeats_large =~ ^[1-9][0-9]*$ ]] || { refuse "--repeats-large takes a positive integer, not '$repeats_large'"; return 1; }
  [[ $timeout =~ ^[1-9][0-9]*$ ]] || { refuse "--job-timeout takes a positive number of seconds, not '$timeout'"; return 1; }
  [[ $class =~ ^[SWABCswabc]$ ]] || { refuse "--class takes S, W, A, B or C, not '$class'"; return 1; }
  [[ $moving =~ ^[0-9]+$ ]] || { refuse "--rank takes a rank number, not '$moving'"; return 1; }
  [[ $iteration =~ ^[0-9]+$ ]] && [ "$iteration" -ge 1 ] && [ "$iteration" -le 10 ] || { refuse "--iteration takes 1..10 (IS has 10 timed iterations), not '$iteration'"; return 1; }
  [[ $hosts =~ ^[0-9]+$ ]] && [ "$hosts" -ne 1 ] || { refuse "--hosts takes 2 or more hosts, not '$hosts'"; return 1; }
  [ -n "${ranks_list// /}" ] || { refuse "--ranks needs at least one rank count"; return 1; }
  for n in $ranks_list; do
    # IS needs a power of two; 2 at least (a migration needs another rank), 1024 at most (buckets).
    [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 2 ] && [ "$n" -le 1024 ] && [ $((n & (n - 1))) -eq 0 ] \
      || { refuse "--ranks takes powers of two from 2 to 1024 (IS), not '$n'"; return 1; }
    [ "$moving" -lt "$n" ] || { refuse "--rank $moving does not exist at $n ranks"; return 1; }
    case "$seen" in *" $n "*) refuse "--ranks lists $n twice"; return 1 ;; esac
    seen="$seen$n "
  done
  seen=" "
  for n in $spares_list; do
    [[ $n =~ ^[0-9]+$ ]] && [ "$n" -le 16 ] || { refuse "--spares takes spare counts 0..16, not '$n'"; return 1; }
    case "$seen" in *" $n "*) refuse "--spares lists $n twice"; return 1 ;; esac
    seen="$seen$n "
  done
  if [ "$(echo "$spares_list" | wc -w)" -gt 1 ] && [ "$hosts" -gt 0 ]; then
    refuse "--spares with several counts (the scaling sweep) runs on this machine only: not with --hosts"
    return 1
  fi
  return 0
}

# migration_repeats_for RANKS REPEATS REPEATS_LARGE: repetitions at that rank count (REPEATS_LARGE from 32 ranks up).
migration_repeats_for() {
  if [ "$1" -ge 32 ] && [ "$3" -lt "$2" ]; then echo "$3"; else echo "$2"; fi
}

# The phases of the summary CSV (column, key, title): the timeline as the sweep reports it.
MIGRATION_PHASES="3:sync:synchronize 4:protocol:protocol-part 5:spawn:spawn-or-take 6:transfer:state-transfer 7:commit_resume:rebuild+resume 8:total:total 9:freeze:freeze"

# migration_scaling_report RAW SUMMARY CLASS RANKS VARIANTS RUNS FAILED: per phase and variant
# the least-squares slope of log(median) against log(ranks) (1 = linear) and the ratio
# median(largest) / median(smallest) against the linear ratio; writes FILES-growth.csv and
# FILES.png (log-log); prints the one summary line.
migration_scaling_report() {
  local raw=$1 summary=$2 class=$3 ranks_list=$4 variants=$5 runs=$6 failed=$7
  local base=${summary%-summary.csv}
  local growth=$base-growth.csv
  local lo hi
  lo=$(echo "$ranks_list" | tr ' ' '\n' | grep . | sort -n | head -1)
  hi=$(echo "$ranks_list" | tr ' ' '\n' | grep . | sort -n | tail -1)
  echo "phase,variant,spares,points,exponent,ratio,linear_ratio,faster_than_linear" >"$growth"
  local entry column key variant
  for entry in $MIGRATION_PHASES; do
    column=${entry%%:*}; key=${entry#*:}; key=${key%%:*}
    for variant in $variants; do
      awk -F, -v c="$column" -v w="$variant" -v k="$key" -v lo="$lo" -v hi="$hi" 'NR > 1 && $15 == w && $2 > 0 && $c + 0 > 0 {
          x = log($1); y = log($c); n++; sx += x; sy += y; sxx += x * x; sxy += x * y
          if ($1 == lo) a = $c; if ($1 == hi) b = $c; sp = $16 }
        END {
          e = (n >= 2 && n * sxx - sx * sx > 0) ? (n * sxy - sx * sy) / (n * sxx - sx * sx) : "nan"
          r = (a > 0 && b > 0) ? b / a : "nan"
          if (sp == "") sp = substr(w, 7)
          # Faster than linear: the fitted exponent above 1 (the ratio is shown beside it).
          printf "%s,%s,%s,%d,%s,%s,%s,%s\n", k, w, sp, n, (e == "nan" ? e : sprintf("%.3f", e)), (r == "nan" ? r : sprintf("%.2f", r)), hi / lo, (e != "nan" && e > 1) ? "yes" : "no" }' "$summary" >>"$growth"
    done
  done
  {
    echo "migration: growth of each phase from $lo to $hi ranks (slope of log median against log ranks; 1 = linear; ratio against $((hi / lo))x linear):"
    printf '  %-14s' phase
    for variant in $variants; do printf ' %22s' "$variant exp / ratio"; done
    printf '\n'
    for entry in $MIGRATION_PHASES; do
      key=${entry#*:}; key=${key%%:*}
      printf '  %-14s' "$key"
      for variant in $variants; do
        awk -F, -v k="$key" -v w="$variant" '$1 == k && $2 == w { printf " %13s / %6s", $5, $6 }' "$growth"
      done
      printf '\n'
    done
  } >&2

  # The plot: one line per phase and variant (colour = phase, dash = variant), log-log, and a
  # line proportional to the rank count through the first variant's total at the smallest count.
  local term plots="" i=0 dash k0 ticks
  term=$(gnuplot_terminal)
  ticks=$(echo "$ranks_list" | tr ' ' '\n' | grep . | sort -n | awk '{ printf "%s%s", (NR > 1 ? "," : ""), $1 }')
  for variant in $variants; do
    i=$((i + 1))
    awk -F, -v w="$variant" 'NR > 1 && $15 == w && $2 > 0' "$summary" | sort -t, -k1,1n >"$TMP/scaling-$variant.csv"
    dash=$i
    local label="${variant#spares} spares"
    case "$variant" in spares0) label="no spare" ;; spares1) label="1 spare" ;; esac
    for entry in $MIGRATION_PHASES; do
      column=${entry%%:*}; local title=${entry##*:} lt=$((column - 2))
      plots="$plots${plots:+, }'$TMP/scaling-$variant.csv' using 1:(\$$column > 0 ? \$$column : NaN) with linespoints lt $lt dt $dash pt $((i + 5)) title '$title, $label'"
    done
  done
  k0=$(awk -F, -v lo="$lo" -v w="$(echo "$variants" | awk '{ print $1 }')" 'NR > 1 && $15 == w && $1 == lo { print $8 / lo }' "$summary")
  [ -n "$k0" ] && plots="$plots, $k0 * x with lines lc rgb 'gray' dt 3 lw 2 title 'linear (through total at $lo ranks)'"
  gnuplot <<GNUPLOT 2>"$TMP/scaling-gnuplot.err" || progress "gnuplot failed: $(tail -2 "$TMP/scaling-gnuplot.err")"
set terminal ${term/900,600/1100,650}
set output '$base.png'
set datafile separator ','
set title "Migrating one rank of NAS IS class $class on $(nproc) cores (oversubscribed): each phase, medians\n(solid: spawn, dashed: warm spare; dotted gray: linear in the rank count)"
set logscale xy 2
set xtics ($ticks)
set xrange [$lo / 1.25:$hi * 1.25]
set format y '%g'
set xlabel 'processes'
set ylabel 'ms (log scale)'
set key outside right font ',8' spacing 0.9
set grid
plot $plots
GNUPLOT
  progress "wrote $raw, $summary, $growth, $base.png"

  # The summary line: per phase "exponent,exponent" (variants in order), the ratios, protocol at
  # 16 ranks (goal < 10 ms), what grows faster than linearly, runs and failures.
  local line="migration: sweep=yes class=$class ranks=$(echo "$ranks_list" | tr -s ' ' ',' | sed 's/^,//; s/,$//') spares=$(echo "$variants" | sed 's/spares//g' | tr -s ' ' ',' | sed 's/^,//; s/,$//')"
  local p16 p16max
  p16=$(for variant in $variants; do awk -F, -v w="$variant" 'NR > 1 && $15 == w && $1 == 16 { print $4 }' "$summary"; done | paste -sd, -)
  p16max=$(echo "$p16" | tr "," "\n" | awk "NF" | sort -g | tail -1)
  line="$line protocol_ms_16=${p16:-nan} protocol_goal_16=$(awk -v p="${p16max:-nan}" 'BEGIN { print (p == "nan" || p == "") ? "not-measured" : (p + 0 < 10 ? "met" : "missed") }')"
  for entry in $MIGRATION_PHASES; do
    key=${entry#*:}; key=${key%%:*}
    line="$line exp_$key=$(awk -F, -v k="$key" '$1 == k { print $5 }' "$growth" | paste -sd, -)"
  done
  for entry in $MIGRATION_PHASES; do
    key=${entry#*:}; key=${key%%:*}
    line="$line ratio_$key=$(awk -F, -v k="$key" '$1 == k { print $6 }' "$growth" | paste -sd, -)"
  done
  local faster verified
  faster=$(awk -F, 'NR > 1 && $8 == "yes" { printf "%s%s:%s", (n++ ? "," : ""), $1, $3 }' "$growth")
  verified=$(awk -F, 'NR > 1 && $18 != "yes" { bad = 1 } END { print bad ? "no" : "yes" }' "$raw")
  echo "$line linear_ratio=$((hi / lo)) faster_than_linear=${faster:-none} runs=$runs failed=$failed verified=$verified"
}
