#!/bin/bash
# The main job: set up, build, and run numavs on an embedded default
# configuration. Today that is the configuration database: numavs-db is
# started on a private run directory, the seed scenario's configuration is
# applied with the REAL ovs-vsctl and with numavs-vsctl, and the result is
# shown. (Forwarding arrives with numavs-switchd; see README.)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
bash scripts/setup.sh
bash scripts/build.sh default >/dev/null
BIN=$ROOT/build/default/bin

RUN=$(mktemp -d /tmp/numavs-demo.XXXXXX)
export OVS_RUNDIR=$RUN OVS_LOGDIR=$RUN
cleanup() {
  if [ -f "$RUN/numavs-db.pid" ]; then kill "$(cat "$RUN/numavs-db.pid")" 2>/dev/null || true; fi
  sleep 0.2
  rm -rf "$RUN"
}
trap cleanup EXIT

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }

run "$BIN/numavs-db" create "$RUN/conf.db" schema/vswitch.ovsschema
run "$BIN/numavs-db" --remote=punix:"$RUN/db.sock" --pidfile --log-file --detach "$RUN/conf.db"
DB=--db=unix:$RUN/db.sock

run ovs-vsctl "$DB" --no-wait init
run ovs-vsctl "$DB" --no-wait add-br br2 -- set bridge br2 datapath_type=netdev
run ovs-vsctl "$DB" --no-wait add-port br2 dpdk0 -- set Interface dpdk0 type=dpdk \
    options:dpdk-devargs=0000:81:00.1
run ovs-vsctl "$DB" --no-wait set Open_vSwitch . other_config:dpdk-socket-mem="1024,1024"
run ovs-vsctl "$DB" show
run ovs-vsctl "$DB" get Interface dpdk0 options
if [ -x "$BIN/numavs-vsctl" ]; then
  run "$BIN/numavs-vsctl" "$DB" --no-wait add-port br2 dpdk1 -- set Interface dpdk1 type=dpdk \
      options:dpdk-devargs=0000:81:00.0
  run "$BIN/numavs-vsctl" "$DB" list-ports br2
fi
run ovs-appctl -t numavs-db memory/show
run ovs-appctl -t numavs-db ovsdb-server/compact
say "tail of the numavs-db log ($RUN/numavs-db.log)"
tail -n 5 "$RUN/numavs-db.log"
run ovs-appctl -t numavs-db exit
