# Sourced by bench/Mitten/run.sh (its helpers, globals and the checkout root as working directory):
# the Native AOT build of NAS IS for `migration --aot` (README, "Publishing with Native AOT").

# publish_is_aot: publishes bench/IS with Native AOT into $AOT_DIR (bench/IS/bin/aot) unless the
# copy there was built from the same sources (scripts/publish-is-aot.sh); prints the program's path.
AOT_DIR=${MITTEN_AOT_DIR:-bench/IS/bin/aot}
publish_is_aot() {
  local program
  if ! program=$(scripts/publish-is-aot.sh "$AOT_DIR"); then
    echo "migration: error=aot-publish-failed"
    exit 1
  fi
  echo "$program"
}
