#!/bin/bash
# Acceptance 5 of issue 3: packet-buffer pool create/destroy time (simulated backend and the real
# DPDK EAL in --no-huge mode) and the hugepage memory numavs needs for the seed's configuration
# (2 ports, MTU 1500 and 9000) next to what OVS-DPDK 3.1 allocates for the same ports, as a
# ratio. Not part of ctest.
#
#   bench/numa/run.sh [BUILD_DIR]        (default build/numa; builds numa_pool_bench there)
#
# The OVS-DPDK 3.1 side comes from ../shared/anchors/ovs-dpdk/RESULTS.md: 799,014,912 bytes of
# heap measured for its 262,144-mbuf pool at MTU 1500 (dpdk/get-malloc-stats), and 262,144 x
# 10,176 bytes for MTU 9000 computed from the object layout measured at 1500 (see
# src/numa/pool_bench.cc). The benchmark starts its own EAL (--no-huge, unique --file-prefix)
# and shuts it down; it needs no hugepages.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/numa}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
fi
cmake --build "$build" --target numa_pool_bench -j2 > /dev/null
exec "$build/bench/numa_pool_bench" --benchmark_counters_tabular=true
