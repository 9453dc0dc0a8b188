# Sourced by bench/Mitten/run.sh (its helpers, globals and the checkout root as working directory):
# the migration experiment (patent Figs. 12-13): phases per process count, spares, hosts.

# ---------------------------------------------------------------------------------------------
migration() {
  local repeats=5 repeats_large="" ranks_list="2 4 8" class=A moving=1 iteration=5 spares_list="" job_timeout=900
  local mg_class=W mg_ranks=8 mg_moving=1 mg_iteration=2 only_mg=0 hosts=0 aot=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --repeats|--repeats-large|--ranks|--class|--rank|--iteration|--mg-class|--mg-ranks|--mg-rank|--mg-iteration|--hosts|--spares|--job-timeout)
        [ $# -ge 2 ] || { echo "migration: option $1 needs a value" >&2; exit 2; } ;;
    esac
    case "$1" in
      --repeats) repeats=$2; shift 2 ;;
      --repeats-large) repeats_large=$2; shift 2 ;;
      --ranks) ranks_list=$2; shift 2 ;;
      --class) class=$2; shift 2 ;;
      --rank) moving=$2; shift 2 ;;
      --iteration) iteration=$2; shift 2 ;;
      --mg-class) mg_class=$2; shift 2 ;;
      --mg-ranks) mg_ranks=$2; shift 2 ;;
      --mg-rank) mg_moving=$2; shift 2 ;;
      --mg-iteration) mg_iteration=$2; shift 2 ;;
      --only-mg) only_mg=1; shift ;;
      --aot) aot=1; shift ;;
      --hosts) hosts=$2; shift 2 ;;
      --spares) spares_list=$2; shift 2 ;;
      --job-timeout) job_timeout=$2; shift 2 ;;
      *) echo "migration: unknown option $1" >&2; exit 2 ;;
    esac
  done
  # Refuse what cannot run before building anything (bench/Mitten/scaling.sh).
  migration_check_options "$repeats" "$repeats_large" "$ranks_list" "$class" "$moving" "$iteration" "$spares_list" "$hosts" "$job_timeout" || exit 2
  [ -n "$repeats_large" ] || repeats_large=$repeats
  # One spare count: every job runs with it (MITTEN_SPARES), as before. Several ("0 1"): the
  # scaling sweep; each repetition runs every spare count at every rank count, alternating which
  # goes first, and the files are migration-scaling*.
  local sweep=0
  if [ "$(echo "$spares_list" | wc -w)" -gt 1 ]; then
    sweep=1
  elif [ -n "$spares_list" ]; then
    export MITTEN_SPARES=$spares_list
  fi
  build
  if [ "$aot" -eq 1 ]; then
    [ "$only_mg" -eq 0 ] || { echo "migration: --aot runs IS only, not --only-mg" >&2; exit 2; }
    IS=$(publish_is_aot)
  fi
  if [ "$only_mg" -eq 1 ]; then
    echo "migration: $(migration_mg "$mg_class" "$mg_ranks" "$mg_moving" "$mg_iteration" "$repeats")"
    return
  fi
  # --hosts H: the ranks run over H namespace test hosts (scripts/hosts.sh), spread evenly
  # (slots = ceil(N / H) per host), and every repetition runs two variants, alternating which
  # goes first: rank K moves to the host it is on (same-host) and to the next host (cross-host).
  # Without --hosts: one variant on this machine (local), as before.
  local variants="local"
  if [ "$hosts" -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || { echo "migration: error=hosts-needs-root"; exit 1; }
    local state=${MITTEN_HOSTS_STATE:-/tmp/mitten-hosts}
    if [ ! -f "$state/hostfile" ] || [ "$(wc -l <"$state/hostfile")" -lt "$hosts" ]; then
      trap 'bash scripts/hosts.sh down >&2' EXIT
      bash scripts/hosts.sh up "$hosts" >&2 || { echo "migration: error=hosts-up-failed"; exit 1; }
    fi
    eval "$(bash scripts/hosts.sh env)"
    variants="same-host cross-host"
  elif [ "$sweep" -eq 1 ]; then
    variants=$(for s in $spares_list; do printf 'spares%s ' "$s"; done)
  fi
  local files=migration
  [ "$sweep" -eq 1 ] && files=migration-scaling
  [ "$hosts" -gt 0 ] && files=migration-hosts   # its own files: a cross-host run does not replace the local figures
  [ "$aot" -eq 1 ] && files=$files-aot          # nor does a Native AOT run replace the JIT's
  local raw=$RESULTS/$files.csv
  echo "rep,class,ranks,moved_rank,iteration,sync_ms,protocol_ms,spawn_ms,transfer_ms,total_ms,freeze_ms,synchronized_ms,spawned_ms,restored_ms,committed_ms,resumed_ms,state_bytes,verified,variant,from,to,spares,job_s,load1,replacement,stopped_ms,freeze_from_stop_ms,freeze_wait_ms,lock_wait_ms" >"$raw"
  rm -f "$RESULTS/$files-failures.txt"   # written only when a job fails
  local total=0 done_runs=0 failed_runs=0 rep ranks variant nvariants started=$SECONDS
  nvariants=$(echo "$variants" | wc -w)
  for ranks in $ranks_list; do total=$((total + $(migration_repeats_for "$ranks" "$repeats" "$repeats_large") * nvariants)); done
  for rep in $(seq 1 "$repeats"); do
    for ranks in $ranks_list; do
      [ "$rep" -le "$(migration_repeats_for "$ranks" "$repeats" "$repeats_large")" ] || continue
      local order=$variants hostfile_args=() from="" to=""
      if [ "$hosts" -gt 0 ]; then
        local slots=$(( (ranks + hosts - 1) / hosts )) h
        : >"$TMP/migration-hostfile"
        for h in $(seq 1 "$hosts"); do echo "h$h slots=$slots" >>"$TMP/migration-hostfile"; done
        hostfile_args=(--hostfile "$TMP/migration-hostfile")
        from=h$(( moving / slots + 1 ))
        to=h$(( (moving / slots + 1) % hosts + 1 ))
      fi
      # Which variant goes first alternates with the repetition.
      [ $((rep % 2)) -eq 0 ] && order=$(echo "$variants" | awk '{ for (i = NF; i >= 1; i--) printf "%s ", $i }')
      for variant in $order; do
        done_runs=$((done_runs + 1))
        local target="" spares=${MITTEN_SPARES:-0} spare_hosts=${MITTEN_SPARE_HOSTS:-}
        case "$variant" in
          same-host) target=":$from" ;;
          cross-host) target=":$to" ;;
          spares*) spares=${variant#spares} ;;
        esac
        # Over hosts with spares: the spares start on the TARGET host of the variant (h1 for
        # same-host, h2 for cross-host), so the moving rank takes one there instead of spawning.
        [ -n "$target" ] && [ "$spares" -gt 0 ] && spare_hosts=${target#:}
        progress "[$done_runs/$total] IS class $class on $ranks ranks, spares $spares${spare_hosts:+ on $spare_hosts}, rank $moving moves at iteration $iteration${target:+ ($variant: $from -> ${target#:})} (repetition $rep/$repeats; $((SECONDS - started)) s so far)"
        local job_started=$SECONDS rc=0 load1
        load1=$(cut -d' ' -f1 /proc/loadavg)
        MITTEN_SPARES=$spares MITTEN_SPARE_HOSTS=$spare_hosts mpi_job "$job_timeout" "$ranks" "${hostfile_args[@]}" "$IS" --class "$class" --migrate "$moving@$iteration$target" >"$TMP/migration.out" 2>"$TMP/migration.err" || rc=$?
        local job_s=$((SECONDS - job_started))
        if [ "$rc" -ne 0 ]; then
          failed_runs=$((failed_runs + 1))
          local why="exit code $rc"
          [ "$rc" -eq 124 ] && why="timeout after $job_timeout s"
          progress "run failed ($why):"
          { echo "rep=$rep ranks=$ranks variant=$variant: $why"; tail -5 "$TMP/migration.out" "$TMP/migration.err"; } | tee -a "$RESULTS/$files-failures.txt" >&2 || true
          cp "$TMP/migration.out" "$TMP/migration-failed-$ranks-$variant-$rep.out" 2>/dev/null || true
          cp "$TMP/migration.err" "$TMP/migration-failed-$ranks-$variant-$rep.err" 2>/dev/null || true
          continue
        fi
        local verified
        verified=$(grep -q '^RESULT .*verified=yes' "$TMP/migration.out" && echo yes || echo no)
        grep '^MIGRATION rank=' "$TMP/migration.out" | awk -v rep="$rep" -v c="$class" -v n="$ranks" -v v="$verified" -v variant="$variant" -v sp="$spares" -v js="$job_s" -v ld="$load1" '{
            for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
            s = f["synchronized_ms"]; y = ("spawned_ms" in f) ? f["spawned_ms"] : f["spare_taken_ms"]; r = f["restored_ms"]
            st = ("stopped_ms" in f) ? f["stopped_ms"] : s
            printf "%s,%s,%s,%s,%s,%s,%s,%.1f,%.1f,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%.1f,%s,%s\n", rep, c, n, f["rank"], f["iteration"], s, f["protocol_ms"],
              y - s, r - y, f["resumed_ms"], f["freeze_ms"], s, y, r, f["committed_ms"], f["resumed_ms"], f["state_bytes"], v, variant, f["from"], f["to"], sp, js, ld,
              ("spare_taken_ms" in f) ? "spare" : "spawn", st, f["resumed_ms"] - st,
              ("freeze_wait_ms" in f) ? f["freeze_wait_ms"] : "nan", ("lock_wait_ms" in f) ? f["lock_wait_ms"] : "nan"
          }' >>"$raw"
        if grep -q '^MIGRATION rank=' "$TMP/migration.out"; then
          progress "  $(tail -1 "$raw" | awk -F, '{ printf "sync %s, protocol %s (freeze wait %s; lock wait %s), %s %s, transfer %s, total %s, freeze %s ms (from the stop %s ms); verified %s; job %s s", $6, $7, $28, $29, ($25 == "spare" ? "take" : "spawn"), $8, $9, $10, $11, $27, $18, $23 }'); load $load1 at start"
        else
          progress "no migration was reported in this run"
        fi
      done
    done
  done

  local summary=$RESULTS/$files-summary.csv
  echo "ranks,runs,sync_ms,protocol_ms,spawn_ms,transfer_ms,commit_resume_ms,total_ms,freeze_ms,total_min_ms,total_max_ms,spawn_share_pct,state_bytes,verified,variant,spares,freeze_wait_ms,lock_wait_ms" >"$summary"
  for variant in $variants; do
    for ranks in $ranks_list; do
      local sel runs
      sel=$(awk -F, -v n="$ranks" -v w="$variant" 'NR > 1 && $3 == n && $19 == w' "$raw")
      runs=$(printf '%s\n' "$sel" | grep -c . || true)
      local spares=${MITTEN_SPARES:-0}
      case "$variant" in spares*) spares=${variant#spares} ;; esac
      if [ "$runs" -eq 0 ]; then
        echo "$ranks,0,nan,nan,nan,nan,nan,nan,nan,nan,nan,nan,nan,no,$variant,$spares,nan,nan" >>"$summary"
        continue
      fi
      col() { printf '%s\n' "$sel" | cut -d, -f"$1" | median; }
      local s p y z t f lo hi bytes verified fw lw
      s=$(col 6); p=$(col 7); y=$(col 8); z=$(col 9); t=$(col 10); f=$(col 11); bytes=$(col 17); fw=$(col 28); lw=$(col 29)
      lo=$(printf '%s\n' "$sel" | cut -d, -f10 | minimum)
      hi=$(printf '%s\n' "$sel" | cut -d, -f10 | maximum)
      verified=yes
      if printf '%s\n' "$sel" | cut -d, -f18 | grep -qv yes; then verified=no; fi
      # Membership management = synchronized .. resumed; the spawn share is spawn / that.
      # commit_resume is the median of the runs' resumed - restored (not a difference of medians).
      local cr
      cr=$(printf '%s\n' "$sel" | awk -F, '{ print $16 - $14 }' | median)
      awk -v n="$ranks" -v r="$runs" -v s="$s" -v p="$p" -v y="$y" -v z="$z" -v cr="$cr" -v t="$t" -v f="$f" -v lo="$lo" -v hi="$hi" -v b="$bytes" -v v="$verified" -v w="$variant" -v sp="$spares" -v fw="$fw" -v lw="$lw" \
        'BEGIN { printf "%s,%d,%.1f,%.3f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%d,%s,%s,%s,%s,%s\n", n, r, s, p, y, z, cr, t, f, lo, hi, (t > s ? 100 * y / (t - s) : 0), b, v, w, sp, fw, lw }' >>"$summary"
    done
  done
  {
    echo "migration: IS class $class, rank $moving moved at iteration $iteration, medians (ms since the request was seen; runs per rank count in 'runs'):"
    printf '%11s %6s %6s %5s %9s %11s %11s %10s %10s %11s %13s %9s %9s %15s %11s %9s\n' variant spares ranks runs sync protocol freeze_wait lock_wait spawn/take transfer commit+resume total freeze total_min..max spawn_share verified
    awk -F, 'NR > 1 { printf "%11s %6s %6s %5s %9s %11s %11s %10s %10s %11s %13s %9s %9s %15s %10s%% %9s\n", $15, $16, $1, $2, $3, $4, $17, $18, $5, $6, $7, $8, $9, $10 ".." $11, $12, $14 }' "$summary"
  } >&2

  if [ "$sweep" -eq 1 ]; then
    # Growth per phase and variant, the log-log plot, and the one summary line (bench/Mitten/scaling.sh).
    migration_scaling_report "$raw" "$summary" "$class" "$ranks_list" "$variants" "$total" "$failed_runs" | sed "s/\$/$([ "$aot" -eq 1 ] && echo ' aot=1')/"
    return
  fi

  # The plot and the summary line are of the last variant (local, or cross-host).
  local term last_ranks shown
  term=$(gnuplot_terminal)
  last_ranks=$(echo "$ranks_list" | awk '{ print $NF }')
  shown=$(echo "$variants" | awk '{ print $NF }')
  awk -F, -v w="$shown" 'NR == 1 || $15 == w' "$summary" >"$TMP/migration-plot.csv"
  gnuplot <<GNUPLOT
set terminal $term
set output '$RESULTS/$files.png'
set datafile separator ','
set title 'Migrating one rank of NAS IS class $class ($shown): phases (median of $repeats runs)'
set style data histograms
set style histogram rowstacked
set style fill solid 0.7 border -1
set boxwidth 0.6
set xlabel 'processes'
set ylabel 'ms since the request was seen'
set key outside right
set grid ytics
plot '$TMP/migration-plot.csv' every ::1 using 3:xticlabels(1) title 'synchronize', '' every ::1 using 5 title 'spawn replacement', '' every ::1 using 6 title 'move + restore state', '' every ::1 using 7 title 'rebuild group + resume'
GNUPLOT
  progress "wrote $raw, $summary, $RESULTS/$files.png"
  local last
  last=$(awk -F, -v n="$last_ranks" -v w="$shown" 'NR > 1 && $1 == n && $15 == w' "$summary")
  if [ "$hosts" -eq 0 ]; then
    local mg_fields="aot=1"
    [ "$aot" -eq 1 ] || mg_fields=$(migration_mg "$mg_class" "$mg_ranks" "$mg_moving" "$mg_iteration" "$repeats")
    # transfer_MBps: the 64 MiB point of the state-transfer sweep to a spare (shared memory), from the last
    # `scripts/bench.sh statetransfer` run into the same results directory; nan when there is none.
    local sweep_mbps
    sweep_mbps=""
    if [ -f "$RESULTS/statetransfer-summary.csv" ]; then
      sweep_mbps=$(awk -F, '$1 == "mib64" && $2 == "shm" { print $5 }' "$RESULTS/statetransfer-summary.csv")
    fi
    echo "$last" | awk -F, -v mg="$mg_fields" -v spares="${MITTEN_SPARES:-0}" -v mbps="${sweep_mbps:-nan}" '{ printf "migration: ranks=%s spares=%s sync_ms=%s protocol_ms=%s freeze_wait_ms=%s lock_wait_ms=%s spawn_ms=%s transfer_ms=%s total_ms=%s freeze_ms=%s transfer_MBps=%s %s\n", $1, spares, $3, $4, $17, $18, $5, $6, $8, $9, mbps, mg }'
    return
  fi
  # Cross-host against same-host (no MG part with --hosts): per repetition the ratio of the two totals (and spawns), then their median.
  local same ratio spawn_ratio
  same=$(awk -F, -v n="$last_ranks" 'NR > 1 && $1 == n && $15 == "same-host"' "$summary")
  pair_ratio() {
    awk -F, -v n="$last_ranks" -v c="$1" 'NR > 1 && $3 == n { t[$1 "," $19] = $c } END {
        for (k in t) { split(k, p, ","); o = p[1] ",same-host"; if (p[2] == "cross-host" && (o in t) && t[o] > 0) print t[k] / t[o] } }' "$raw" | median
  }
  ratio=$(pair_ratio 10)
  spawn_ratio=$(pair_ratio 8)
  local freeze_ratio protocol_ratio spares_run=${MITTEN_SPARES:-0} taken load
  freeze_ratio=$(pair_ratio 11)
  protocol_ratio=$(pair_ratio 7)
  # How many runs (both variants, last rank count) took a spare, and the load average at the runs' starts (median, range).
  taken=$(awk -F, -v n="$last_ranks" 'NR > 1 && $3 == n { k++; if ($25 == "spare") t++ } END { printf "%d/%d", t, k }' "$raw")
  load=$(awk -F, 'NR > 1 { print $24 }' "$raw" | median)
  load="$load($(awk -F, 'NR > 1 { print $24 }' "$raw" | minimum)..$(awk -F, 'NR > 1 { print $24 }' "$raw" | maximum))"
  # With spares, spawn_ms is the take (synchronized .. spare_taken); take_ms names it so.
  printf '%s\n%s\n' "$last" "$same" | awk -F, -v h="$hosts" -v r="$ratio" -v sr="$spawn_ratio" -v fr="$freeze_ratio" -v pr="$protocol_ratio" -v sp="$spares_run" -v tk="$taken" -v ld="$load" -v cl="$class" 'NR == 1 { split($0, x, ",") } NR == 2 { split($0, y, ",") }
    END {
      w = (sp > 0) ? "take" : "spawn"
      printf "migration: hosts=%s class=%s ranks=%s spares=%s sync_ms=%s protocol_ms=%s freeze_wait_ms=%s lock_wait_ms=%s %s_ms=%s transfer_ms=%s commit_resume_ms=%s total_ms=%s freeze_ms=%s same_host_sync_ms=%s same_host_protocol_ms=%s same_host_freeze_wait_ms=%s same_host_lock_wait_ms=%s same_host_%s_ms=%s same_host_transfer_ms=%s same_host_commit_resume_ms=%s same_host_total_ms=%s same_host_freeze_ms=%s cross_vs_same_total=%s cross_vs_same_freeze=%s cross_vs_same_protocol=%s cross_vs_same_%s=%s", h, cl, x[1], sp, x[3], x[4], x[17], x[18], w, x[5], x[6], x[7], x[8], x[9], y[3], y[4], y[17], y[18], w, y[5], y[6], y[7], y[8], y[9], r, fr, pr, w, sr
      if (sp > 0) printf " spare_taken=%s", tk
      printf " load1=%s\n", ld }' | sed "s/\$/$([ "$aot" -eq 1 ] && echo ' aot=1')/"
}
