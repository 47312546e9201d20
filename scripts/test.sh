#!/bin/bash
# The whole test suite: set-up, release build + every test (unit and
# integration), then the unit tests again under ASan+UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh default
ctest --preset default -j2 --timeout 600
bash scripts/build.sh asan
ctest --preset asan -j2 --timeout 600
echo "numavs: all tests passed"
