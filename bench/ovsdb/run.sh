#!/bin/bash
# numavs-db vs the real ovsdb-server: transactions per second and the wall time
# of 1,000 `ovs-vsctl --no-wait add-port`, both servers in the same run, 3 reps,
# min/median/max and the ratio numavs/ovsdb-server. Not part of ctest.
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
