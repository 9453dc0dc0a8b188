#!/usr/bin/env bash
# The state transfer of a migration (src/Mitten/Protocol/StateTransfer.cs). Usually run as
#   scripts/bench.sh statetransfer [--rounds R (5)] [--sizes "1 16 64 256"] [--graph-nodes N (1000000)]
# One job (mpiexec -n 1): the rank spawns one process of the same program, as a migration spawns
# its replacement, on this host; then per round, for every size of double[] state, the variants
# alternate (the order rotates each round): Mitten's shared-memory route (shm, the default for a
# replacement on the same host), Mitten's MPI-chunk route (mpi, the route across hosts), a plain
# TCP socket between the same two processes (tcp: the array's bytes into a fresh array),
# memcpy into a fresh array in the rank (on this VM mostly the first touch of new memory, about
# 35 µs per 4 KiB page, not the copy), and warmcpy: the same copy into an array written before
# the clock starts (the memory speed). Mitten's figures are the whole pipeline: the codec
# (MigratableCodec, the checkpoint serializer) captures into the transport while the other
# process restores into a new state; the time ends with the receiver's acknowledgement. Then the
# 1M-node graph of bench/Checkpoint by shm and mpi. The spawned process acts as a spare: before
# every transfer (untimed) it prepares its receiving memory (MITTEN_RECEIVE_MEMORY_MIB, default
# 64 MiB; 0 turns it off) as an idle spare does. stdout also has "phase," rows per shm/mpi transfer:
# ms from the start until the sender had written everything, the receiver had opened the channel,
# restored, read to the end, and the acknowledgement came, and the receiver's minor faults. Medians over the rounds (a warm-up round is
# not counted); MB = 10^6 bytes of payload.
# Ends with "statetransfer: mib64_MBps=<shm> memcpy_MBps=<64 MiB> tcp_MBps=<64 MiB> mpi_MBps=<64 MiB>
#   mib1_MBps= mib16_MBps= mib256_MBps= graph_MBps= graph_mpi_MBps= warmcpy_MBps=<64 MiB> rounds=R".
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
export TERM=dumb
LOCK=${MITTEN_BENCH_LOCK:-/tmp/mitten-mpi-jobs.lock}
RESULTS=${MITTEN_BENCH_RESULTS:-$PWD/bench/results}
mkdir -p "$RESULTS/tmp"
progress() { printf '[bench statetransfer %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
. scripts/bench/stats.sh   # median

rounds=5 sizes="1 16 64 256" nodes=1000000
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --graph-nodes) nodes=$2; shift 2 ;;
    *) echo "statetransfer: unknown option $1" >&2; exit 2 ;;
  esac
done

progress "building bench/StateTransfer"
dotnet build bench/StateTransfer/StateTransferBench.csproj -c Release -v q -nologo -clp:NoSummary >"$RESULTS/tmp/statetransfer-build.log" 2>&1 \
  || { cat "$RESULTS/tmp/statetransfer-build.log" >&2; echo "statetransfer: error=build-failed"; exit 1; }
raw=$RESULTS/statetransfer.csv
progress "$rounds rounds (+1 warm-up), sizes $sizes MiB, graph $nodes nodes; uptime: $(uptime | sed 's/.*load/load/')"
echo "round,case,variant,bytes,seconds,MBps" >"$raw"
flock "$LOCK" timeout 1800 mpiexec -n 1 bench/StateTransfer/bin/Release/net10.0/StateTransferBench \
    --rounds "$rounds" --sizes "$sizes" --graph-nodes "$nodes" >"$RESULTS/tmp/statetransfer.out" 2>"$RESULTS/tmp/statetransfer.err" \
  || { tail -20 "$RESULTS/tmp/statetransfer.err" >&2; echo "statetransfer: error=run-failed"; exit 1; }
grep '^row,' "$RESULTS/tmp/statetransfer.out" | cut -d, -f2- >>"$raw"

summary=$RESULTS/statetransfer-summary.csv
echo "case,variant,bytes,median_ms,median_MBps,runs" >"$summary"
for c in $(awk -F, 'NR > 1 { print $2 }' "$raw" | awk '!seen[$0]++'); do
  for v in shm mpi tcp memcpy warmcpy; do
    n=$(awk -F, -v c="$c" -v v="$v" '$2 == c && $3 == v' "$raw" | wc -l)
    [ "$n" -gt 0 ] || continue
    bytes=$(awk -F, -v c="$c" -v v="$v" '$2 == c && $3 == v { print $4 }' "$raw" | median)
    ms=$(awk -F, -v c="$c" -v v="$v" '$2 == c && $3 == v { print $5 * 1000 }' "$raw" | median)
    mbps=$(awk -F, -v c="$c" -v v="$v" '$2 == c && $3 == v { print $6 }' "$raw" | median)
    echo "$c,$v,$bytes,$ms,$mbps,$n" >>"$summary"
  done
done
{
  echo "statetransfer: median over $rounds rounds, MB/s (MB = 10^6 B of payload); shm/mpi = capture + transfer + restore"
  printf '%-8s %12s %10s %10s %10s %10s %10s\n' case bytes shm mpi tcp memcpy warmcpy
  for c in $(awk -F, 'NR > 1 { print $1 }' "$summary" | awk '!seen[$0]++'); do
    awk -F, -v c="$c" 'NR > 1 && $1 == c { b = $3; m[$2] = $5 } END { printf "%-8s %12d %10s %10s %10s %10s %10s\n", c, b, m["shm"], m["mpi"], (m["tcp"] == "" ? "-" : m["tcp"]), (m["memcpy"] == "" ? "-" : m["memcpy"]), (m["warmcpy"] == "" ? "-" : m["warmcpy"]) }' "$summary"
  done
} >&2
get() { awk -F, -v c="$1" -v v="$2" 'NR > 1 && $1 == c && $2 == v { printf "%.0f", $5; found = 1 } END { if (!found) printf "nan" }' "$summary"; }
echo "statetransfer: mib64_MBps=$(get mib64 shm) memcpy_MBps=$(get mib64 memcpy) tcp_MBps=$(get mib64 tcp) mpi_MBps=$(get mib64 mpi) mib1_MBps=$(get mib1 shm) mib16_MBps=$(get mib16 shm) mib256_MBps=$(get mib256 shm) graph_MBps=$(get graph shm) graph_mpi_MBps=$(get graph mpi) warmcpy_MBps=$(get mib64 warmcpy) rounds=$rounds"
