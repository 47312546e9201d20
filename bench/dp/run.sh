#!/bin/bash
# Datapath throughput, issue 5's table in one command: Mpps per PMD core of numavs-switchd, the
# real OVS-DPDK 3.1 (ovs-vswitchd-dpdk) and dpdk-testpmd io forwarding (the ceiling) for 1, 1,000,
# 100,000 and 1,000,000 flows x the rule cases output rule / NORMAL with a static FDB entry /
# 1,000 IPv4 rules / 10,000 mixed rules, all in one run on net_pcap (infinite rx) -> net_null,
# control on CPU 0 and one PMD on CPU 1. Prints min/median/max, ratios, cycles per packet (numavs
# by stage), megaflows/subtables, rules hit, and each switch's packet-buffer memory and p0
# no-buffer drops; see bench/dp/README.md. The full run takes about 25 min (printed at start).
# Not part of ctest.
#
#   bench/dp/run.sh [--quick] [--windows 3] [--window 10] [--warmup 5] [--flows 1,1000,100000,1000000]
#                   [--cases port,normal-fdb,rules1000,rules10k[,normal]] [--switches testpmd,ovs,numavs]
#                   [--hugepages 2048] [--out DIR] [--bindir build/default/bin]
#   bench/dp/run.sh --vhost [--quick] [--flows 1,1000] [--switches ovs,numavs]   (vhost-user PVP row)
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
# --vhost: the vhost-user PVP row instead (vhost.py: OVS-DPDK and numavs through a testpmd guest).
script=bench.py
args=()
for a in "$@"; do
  if [ "$a" = --vhost ]; then script=vhost.py; else args+=("$a"); fi
done
printf '%s\n' "${args[@]}" | grep -q -- '^--bindir' || args+=(--bindir "$bindir")
exec /usr/bin/python3 "$here/$script" "${args[@]}"
