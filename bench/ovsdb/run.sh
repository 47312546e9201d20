#!/bin/bash
# numavs-db vs the real ovsdb-server: transactions per second and the wall time
# of 1,000 `ovs-vsctl --no-wait add-port`, both servers back to back for each
# measurement, 3 pairs by default (use --reps 8 or more on a shared machine),
# min/median/max, the ratio of the medians and of each pair. Not part of ctest.
#
#   bench/ovsdb/run.sh [--reps 3] [--clients 8[,32...]] [--txns 4000] [--ports 1000] [--only tps|add-port] [--durable]
#                      [--numavs-db build/default/bin/numavs-db]
#
# Needs the OVS tools (ovsdb-server, ovsdb-tool, ovs-vsctl, ovs-appctl) and a
# built numavs-db (cmake --build build/default --target numavs-db). Servers
# listen only on unix sockets in a private temp dir and are stopped by pid.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/bench.py" "$@"
