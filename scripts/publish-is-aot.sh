#!/usr/bin/env bash
# scripts/publish-is-aot.sh OUT_DIR: publishes NAS IS (bench/IS) with Native AOT
# (`dotnet publish -p:MittenAot=true`, README "Publishing with Native AOT") into OUT_DIR, once, and
# again only when a file it is built from changed: a content hash of the sources, projects and
# build settings of src, bench/IS and bench/Common is kept in OUT_DIR/.source-hash. Prints the
# program's path on stdout; progress and errors go to stderr. gcc links it where no clang is
# installed. Used by `scripts/bench.sh migration --aot` (bench/Mitten/aot.sh) and NativeAotTests.
#
# Exit status: 0 published or up to date; 3 this machine cannot publish with Native AOT (no C
# compiler to link with, or the ILCompiler packages do not restore), the reason on stderr;
# 1 the publish failed otherwise (its log on stderr).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: scripts/publish-is-aot.sh OUT_DIR" >&2; exit 2; }
out=$1
cd "$(dirname "$0")/.."

# The hash covers each file's path and contents, in a fixed order, so a rename changes it too.
stamp=$(find src bench/IS bench/Common \( -name bin -o -name obj \) -prune -o -type f \
      \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.targets' \) -print \
    | cat - <(printf '%s\n' Directory.Build.props Directory.Build.targets Directory.Packages.props) \
    | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
if [ -x "$out/IS" ] && [ "$(cat "$out/.source-hash" 2>/dev/null)" = "$stamp" ]; then
  echo "Native AOT IS up to date in $out (sources $stamp)" >&2
  echo "$out/IS"
  exit 0
fi

linker=()
if ! command -v clang >/dev/null 2>&1; then
  command -v gcc >/dev/null 2>&1 || { echo "Native AOT needs clang or gcc to link; neither is on PATH" >&2; exit 3; }
  linker=(-p:CppCompilerAndLinker=gcc)
fi
echo "publishing IS with Native AOT into $out (sources $stamp)" >&2
mkdir -p "$out"
rm -f "$out/.source-hash"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! DOTNET_NOLOGO=1 timeout 600 dotnet publish bench/IS/IS.csproj -c Release -p:MittenAot=true "${linker[@]}" \
    -o "$out" -v q -nologo >"$log" 2>&1; then
  cat "$log" >&2
  # A missing toolchain package is this machine's limit; anything else is a defect.
  if grep -qE 'NU1101|NU1102|NETSDK1094' "$log"; then
    echo "the ILCompiler (Native AOT) packages cannot be restored here" >&2
    exit 3
  fi
  echo "dotnet publish -p:MittenAot=true of bench/IS failed (or took more than 10 minutes)" >&2
  exit 1
fi
echo "$stamp" >"$out/.source-hash"
echo "$out/IS"
