#!/bin/bash
# The whole test suite: set-up, release build + every test (unit and
# integration), then the unit tests again under ASan+UBSan.
# After each ctest run it prints the passed/failed/skipped counts and why each
# skipped test skipped (tests/support/ctest_summary.py). It fails when a test
# fails, and, when run as root (as CI is, on a machine scripts/setup.sh has
# set up), when any test skipped: only a missing prerequisite may skip, and
# there nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
fail_on_skip=()
if [[ $(id -u) == 0 ]]; then
  fail_on_skip=(--fail-on-skip)
fi

# run_ctest PRESET: ctest, then its summary; exits with ctest's status if it failed.
run_ctest() {
  local preset=$1 rc=0 t0=$SECONDS
  local junit=$PWD/build/$preset/ctest-junit.xml
  rm -f "$junit"
  ctest --preset "$preset" -j2 --timeout 600 --output-junit "$junit" || rc=$?
  echo "== ctest --preset $preset: $((SECONDS - t0)) s, exit status $rc"
  python3 tests/support/ctest_summary.py --name "$preset" "${fail_on_skip[@]}" "$junit" || {
    local s=$?
    [[ $rc != 0 ]] || rc=$s
  }
  if [[ $rc != 0 ]]; then
    echo "numavs: the $preset tests failed (status $rc)"
    exit "$rc"
  fi
}

bash scripts/setup.sh
bash scripts/build.sh default
run_ctest default
bash scripts/build.sh asan
run_ctest asan
if [[ ${#fail_on_skip[@]} != 0 ]]; then
  echo "numavs: all tests passed, none skipped"
else
  echo "numavs: all tests passed (not root: skips are allowed; the summaries above list them)"
fi
