#!/usr/bin/env bash
# Checkpoint cost benchmark; prints a markdown table and ends with
# "checkpoint: array_vs_memcpy=X graph_vs_json=Y".  Usage: bench/Checkpoint/run.sh [reps] [json-reps]
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build bench/Checkpoint/CheckpointBench.csproj -c Release -nologo -v q >&2
# No MPI job here, but take the machine lock so no MPI benchmark runs beside this one.
exec flock "${MITTEN_BENCH_LOCK:-/tmp/mitten-mpi-jobs.lock}" bench/Checkpoint/bin/Release/net10.0/CheckpointBench "$@"
