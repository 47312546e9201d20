#!/bin/bash
# Datapath throughput, acceptance 5 of issue 4: Mpps per PMD core of numavs-switchd, the real
# OVS-DPDK 3.1 (ovs-vswitchd-dpdk) and dpdk-testpmd io forwarding (the ceiling), for 1, 1,000 and
# 100,000 flows and the rule cases output rule / NORMAL / 1,000 IPv4 rules, all in one run on
# net_pcap (infinite rx) -> net_null, control on CPU 0 and one PMD on CPU 1. Prints a table with
# ratios; see bench/dp/README.md. Not part of ctest.
#
#   bench/dp/run.sh [--quick] [--windows 3] [--window 10] [--warmup 5] [--flows 1,1000,100000]
#                   [--cases port,normal,rules1000,normal-fdb] [--switches testpmd,ovs,numavs]
#                   [--hugepages 2048] [--out DIR] [--bindir build/default/bin]
#
# Needs root, scripts/setup.sh's packages (openvswitch-switch-dpdk, dpdk) and a built numavs
# (bash scripts/build.sh default). Never touches the system's Open vSwitch services: every
# daemon runs from a private directory with its own pidfile and DPDK --file-prefix, and is
# stopped by its pid; hugepages are reserved for the run and given back on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "bench/dp: run as root" >&2; exit 1; }
# The driver, ovsdb servers and the switches' control threads all stay on CPU 0; each switch
# puts its one PMD (testpmd: its forwarding lcore) on CPU 1.
if [ -z "${NUMAVS_BENCH_DP_PINNED:-}" ]; then
  NUMAVS_BENCH_DP_PINNED=1 exec taskset -c 0 "$0" "$@"
fi
bindir=$root/build/default/bin
for a in "$@"; do case $a in --bindir=*) bindir=${a#*=} ;; esac; done
args=("$@")
printf '%s\n' "$@" | grep -q -- '^--bindir' || args+=(--bindir "$bindir")
exec /usr/bin/python3 "$here/bench.py" "${args[@]}"
