# Sourced by bench/Mitten/run.sh (its helpers, globals and the checkout root as working directory):
# the Native AOT build of NAS IS for `migration --aot` (README, "Publishing with Native AOT").

# publish_is_aot: publishes bench/IS with Native AOT (-p:MittenAot=true) into $AOT_DIR
# (bench/IS/bin/aot) once, and again only when a source it is built from changed (a content hash
# of those files is kept next to the binary); prints the program's path. gcc links it where no
# clang is installed.
AOT_DIR=${MITTEN_AOT_DIR:-bench/IS/bin/aot}
publish_is_aot() {
  local stamp linker=()
  stamp=$(find src bench/IS bench/Common Directory.Build.props Directory.Build.targets Directory.Packages.props \
      \( -name bin -o -name obj \) -prune -o -type f \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.targets' \) -print \
    | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
  if [ -x "$AOT_DIR/IS" ] && [ "$(cat "$AOT_DIR/.source-hash" 2>/dev/null)" = "$stamp" ]; then
    progress "Native AOT IS up to date in $AOT_DIR ($stamp)"
    echo "$AOT_DIR/IS"
    return
  fi
  command -v clang >/dev/null 2>&1 || linker=(-p:CppCompilerAndLinker=gcc)
  progress "publishing IS with Native AOT into $AOT_DIR (sources $stamp)"
  rm -f "$AOT_DIR/.source-hash"
  if ! dotnet publish bench/IS/IS.csproj -c Release -p:MittenAot=true "${linker[@]}" -o "$AOT_DIR" -v q -nologo >"$TMP/aot-publish.log" 2>&1; then
    cat "$TMP/aot-publish.log" >&2
    echo "migration: error=aot-publish-failed"
    exit 1
  fi
  echo "$stamp" >"$AOT_DIR/.source-hash"
  echo "$AOT_DIR/IS"
}
