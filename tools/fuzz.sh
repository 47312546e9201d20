#!/bin/bash
# Runs numavs's libFuzzer targets (docs/fuzzing.md).
#
#   tools/fuzz.sh --list                    the targets
#   tools/fuzz.sh TARGET MINUTES [--merge]  one target for MINUTES (configures and builds the
#                                           `fuzz` preset as needed), then a summary:
#                                           executions, executions/s, new corpus entries,
#                                           and whether any crash/leak/sanitizer report
#   tools/fuzz.sh --all MINUTES [--merge]   every target in turn (the long runs: --all 60)
#
# New corpus entries and crash inputs go to a work directory outside the repository,
# $NUMAVS_FUZZ_WORK/TARGET (default /tmp/numavs-fuzz/TARGET); --merge adds the entries that
# bring new coverage to tests/fuzz/corpus/TARGET. A crash input belongs, once fixed, in
# tests/fuzz/regressions/TARGET (the normal test suite replays it).
# Extra libFuzzer flags: NUMAVS_FUZZ_FLAGS (e.g. "-jobs=2 -workers=2"). The fuzzer runs
# under `nice -n 19`. Exit status: 0 no finding, 1 a finding, 2 usage or build error.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${NUMAVS_FUZZ_WORK:-/tmp/numavs-fuzz}

targets() {
  # One vs_add_fuzzer(NAME SOURCES FIRST-SOURCE ...) line per target; listed if its source exists.
  sed -nE 's/^[[:space:]]*vs_add_fuzzer\(([A-Za-z0-9_]+) SOURCES ([^ )]+).*/\1 \2/p' \
    tests/fuzz/CMakeLists.txt |
    while read -r name src; do
      src=${src//\$\{PROJECT_SOURCE_DIR\}/$ROOT}
      [[ $src = /* ]] || src=$ROOT/tests/fuzz/$src
      [ -f "$src" ] && echo "$name"
    done
}

usage() {
  sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

build() {
  if [ ! -f build/fuzz/build.ninja ]; then
    command -v clang++-16 >/dev/null || { echo "fuzz: clang++-16 missing (bash scripts/setup.sh)" >&2; exit 2; }
    cmake --preset fuzz >/dev/null
  fi
  nice -n 10 cmake --build build/fuzz --target "$@" -- -j2 >&2
}

# run TARGET MINUTES MERGE: runs, prints one summary line, returns 0/1.
run() {
  local t=$1 minutes=$2 merge=$3
  local exe=build/fuzz/fuzz/fuzz_$t dir=$WORK/$t
  mkdir -p "$dir/corpus" "$dir/artifacts"
  local flags=(-max_total_time=$((minutes * 60)) -print_final_stats=1 -timeout=25
               -rss_limit_mb=2048 -artifact_prefix="$dir/artifacts/")
  [ -f "tests/fuzz/dict/$t.dict" ] && flags+=(-dict="tests/fuzz/dict/$t.dict")
  local seeds=("tests/fuzz/corpus/$t")
  [ -d "tests/fuzz/regressions/$t" ] && seeds+=("tests/fuzz/regressions/$t")
  local before
  before=$(find "$dir/corpus" -type f | wc -l)
  echo "fuzz: $t for $minutes min, log $dir/log" >&2
  local rc=0
  # ovsdb_log writes its input as a file: in memory where possible.
  TMPDIR=$([ -d /dev/shm ] && echo /dev/shm || echo /tmp) \
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    nice -n 19 "$exe" "${flags[@]}" ${NUMAVS_FUZZ_FLAGS:-} "$dir/corpus" "${seeds[@]}" \
    >"$dir/log" 2>&1 || rc=$?
  local execs eps added finding
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$dir/log" | tail -1)
  eps=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+).*/\1/p' "$dir/log" | tail -1)
  [ -n "$eps" ] || eps=$(grep -oE 'exec/s: [0-9]+' "$dir/log" | tail -1 | grep -oE '[0-9]+' || true)
  added=$(( $(find "$dir/corpus" -type f | wc -l) - before ))
  finding=$(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|deadly signal|^==[0-9]+==ERROR' "$dir/log" || true)
  if [ "$rc" -ne 0 ] || [ -n "$finding" ]; then
    echo "$t: FINDING after ${execs:-?} executions (${eps:-?}/s): ${finding:-exit status $rc}"
    grep -E 'Test unit written to|^(SUMMARY|artifact_prefix)' "$dir/log" | sed 's/^/  /' || true
    return 1
  fi
  echo "$t: $minutes min, ${execs:-?} executions, ${eps:-?} exec/s, $added new corpus entries ($dir/corpus): no crash, leak or sanitizer report"
  if [ "$merge" = 1 ] && [ "$added" -gt 0 ]; then
    local n0
    n0=$(find "tests/fuzz/corpus/$t" -type f | wc -l)
    nice -n 19 "$exe" -merge=1 "tests/fuzz/corpus/$t" "$dir/corpus" >"$dir/merge.log" 2>&1
    echo "  merged: $(( $(find "tests/fuzz/corpus/$t" -type f | wc -l) - n0 )) entries added to tests/fuzz/corpus/$t"
  fi
  return 0
}

[ $# -ge 1 ] || usage
case $1 in
  --list) targets; exit 0 ;;
  -h|--help) usage ;;
esac
[ $# -ge 2 ] || usage
what=$1 minutes=$2 merge=0
[ "${3:-}" = --merge ] && merge=1
[[ $minutes =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: MINUTES must be a positive integer" >&2; exit 2; }
mapfile -t all < <(targets)
if [ "$what" = --all ]; then
  list=("${all[@]}")
else
  printf '%s\n' "${all[@]}" | grep -qx -- "$what" ||
    { echo "fuzz: unknown target '$what' (tools/fuzz.sh --list)" >&2; exit 2; }
  list=("$what")
fi
build "${list[@]/#/fuzz_}"
status=0
for t in "${list[@]}"; do
  run "$t" "$minutes" "$merge" || status=1
done
exit $status
