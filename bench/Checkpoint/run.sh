#!/usr/bin/env bash
# Checkpoint cost benchmark (BenchmarkDotNet); prints markdown tables and ends with
# "checkpoint: array_vs_memcpy=X graph_vs_json=Y".
# Usage: bench/Checkpoint/run.sh [rounds=3] [--in-process]
# BenchmarkDotNet's default toolchain runs every benchmark in a process of its own (it generates
# and builds a small project each round, offline); --in-process uses InProcessEmitToolchain.
# BenchmarkDotNet's full log goes to bench/results/tmp/checkpoint-bdn/, the per-round medians to
# bench/results/checkpoint.csv.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build bench/Checkpoint/CheckpointBench.csproj -c Release -nologo -v q >&2
# No MPI job here, but take the machine lock so no MPI benchmark runs beside this one.
exec flock "${MITTEN_BENCH_LOCK:-/tmp/mitten-mpi-jobs.lock}" bench/Checkpoint/bin/Release/net10.0/CheckpointBench "$@"
