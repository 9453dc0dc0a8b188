#!/usr/bin/env bash
# Installs what Mitten needs (idempotent) and builds it.
#   Open MPI 4.1 (openmpi-bin, libopenmpi-dev: mpiexec, mpicc, libmpi.so.40), gnuplot for plots,
#   iproute2 and util-linux (ip, unshare, setsid: the namespace test hosts of scripts/hosts.sh),
#   the .NET SDK (expected on the machine), then a Release build of the solution.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v mpiexec >/dev/null 2>&1 || need+=(openmpi-bin)
command -v mpicc >/dev/null 2>&1 || need+=(libopenmpi-dev)
command -v gnuplot >/dev/null 2>&1 || need+=(gnuplot-nox)
command -v setsid >/dev/null 2>&1 && command -v unshare >/dev/null 2>&1 || need+=(util-linux)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: need root or sudo to install ${need[*]}" >&2; exit 1; }
    SUDO="sudo"
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v dotnet >/dev/null 2>&1 || { echo "setup: the .NET SDK (dotnet, 10.0) is required and not on PATH" >&2; exit 1; }

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
echo "setup: building (Release)"
dotnet build Mitten.sln -c Release -v quiet -nologo -clp:NoSummary 2>&1 | grep -E "error|warn" || true
dotnet build Mitten.sln -c Release -v quiet -nologo --no-restore >/dev/null 2>&1 || {
  echo "setup: build failed" >&2
  dotnet build Mitten.sln -c Release -nologo --no-restore 2>&1 | grep -E "error" | sort -u >&2
  exit 1
}
echo "setup: ready"
