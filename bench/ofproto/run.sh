#!/bin/bash
# Flow installation time, numavs against the real OVS-DPDK 3.1, with the real ovs-ofctl
# (flow_install.py; issue 12's table): N flows by add-flows and as one bundle, seconds
# min/median/max and the ratio, then optionally 1,000,000 flows into numavs. Not part of ctest.
#
#   bench/ofproto/run.sh [--flows 100000] [--reps 3] [--modes plain,bundle] [--million]
#                        [--switches ovs,numavs] [--bindir build/default/bin]
#
# Needs root (network namespaces), scripts/setup.sh's packages and a built numavs. Every daemon
# runs from a private directory and namespace and is stopped by its pid.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "bench/ofproto: run as root" >&2; exit 1; }
exec /usr/bin/python3 "$here/flow_install.py" "$@"
