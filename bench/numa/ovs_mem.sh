#!/bin/bash
# Live measurement for acceptance 5 of issue 3: the packet-buffer memory the real
# OVS-DPDK 3.1 allocates for the seed's configuration (two DPDK ports, MTU 1500 and
# MTU 9000) next to what numavs plans and allocates for the same two ports, as a ratio.
#
#   bench/numa/ovs_mem.sh [BIN_DIR]      (default build/default/bin)
#
# OVS side: its own ovsdb-server + ovs-vswitchd-dpdk in a private directory, real 2 MB
# hugepages (reserved here, restored on exit; OVS always runs the EAL with --in-memory,
# which cannot be combined with --no-huge), ports net_null0/net_null1 (no-rx=1), the
# second with mtu_request=9000. Read: `ovs-appctl netdev-dpdk/get-mempool-info PORT`
# (pool size and element size) and `dpdk/get-malloc-stats` (heap in use).
# numavs side: `numavs-mem --dpdk` creates the same two pools through the real EAL
# (no-huge mode) and reports them; `--plan` gives the planner's bytes.
# Needs root and the Debian package openvswitch-switch-dpdk. Not part of ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/build/default/bin}
AP=/tmp/numavs-ovsmem.$$
PREFIX=numavs-ovsmem-$$
HUGEDIR=$AP/hugepages
VSWITCHD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
HP=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
[ -x "$VSWITCHD" ] || { echo "ovs_mem.sh: $VSWITCHD missing (apt install openvswitch-switch-dpdk)"; exit 77; }
mkdir -p "$AP" "$HUGEDIR"
export OVS_RUNDIR=$AP OVS_DBDIR=$AP OVS_LOGDIR=$AP OVS_SYSCONFDIR=$AP
orig_hp=$(cat $HP)
cleanup() {
  for p in "$AP/ovs-vswitchd.pid" "$AP/ovsdb-server.pid"; do
    [ -f "$p" ] && kill -TERM "$(cat "$p")" 2>/dev/null || true
  done
  sleep 1
  mountpoint -q "$HUGEDIR" && { rm -f "$HUGEDIR"/* 2>/dev/null; umount "$HUGEDIR" || true; }
  echo "$orig_hp" > $HP
  rm -rf "$AP" "/var/run/dpdk/$PREFIX"
}
trap cleanup EXIT
echo 2048 > $HP
mount -t hugetlbfs -o pagesize=2M nodev "$HUGEDIR"
V() { ovs-vsctl --db=unix:$AP/db.sock --timeout=60 "$@"; }
A() { ovs-appctl -t $AP/ovs-vswitchd.ctl --timeout=60 "$@"; }
ovsdb-tool create $AP/conf.db /usr/share/openvswitch/vswitch.ovsschema
ovsdb-server $AP/conf.db --remote=punix:$AP/db.sock --pidfile=$AP/ovsdb-server.pid \
  --log-file=$AP/ovsdb-server.log --unixctl=$AP/ovsdb-server.ctl --detach
V --no-wait init
V --no-wait set Open_vSwitch . other_config:dpdk-init=true other_config:dpdk-lcore-mask=0x1 \
  other_config:pmd-cpu-mask=0x1 other_config:dpdk-hugepage-dir=$HUGEDIR \
  "other_config:dpdk-extra=--file-prefix=$PREFIX --no-pci"
$VSWITCHD unix:$AP/db.sock --pidfile=$AP/ovs-vswitchd.pid --log-file=$AP/ovs-vswitchd.log \
  --unixctl=$AP/ovs-vswitchd.ctl --detach --no-chdir -vconsole:off
V add-br br0 -- set bridge br0 datapath_type=netdev
V add-port br0 dpdk0 -- set Interface dpdk0 type=dpdk "options:dpdk-devargs=net_null0,no-rx=1"
V add-port br0 dpdk1 -- set Interface dpdk1 type=dpdk "options:dpdk-devargs=net_null1,no-rx=1" mtu_request=9000
sleep 1
pool_bytes() {  # PORT -> "mbufs elt_size bytes"
  A netdev-dpdk/get-mempool-info "$1" | awk '/^  size=/{sub("size=","");n=$1} /elt_size=/{for(i=1;i<=NF;i++) if($i ~ /^elt_size=/){split($i,a,"=");e=a[2]}} /total_obj_size=/{for(i=1;i<=NF;i++) if($i ~ /^total_obj_size=/){split($i,a,"=");t=a[2]}} END{printf "%d %d %.0f\n", n, t, n*t}'
}
read -r n0 o0 b0 < <(pool_bytes dpdk0)
read -r n1 o1 b1 < <(pool_bytes dpdk1)
heap=$(A dpdk/get-malloc-stats | awk '/Alloc_size:/{v=$0; sub(/.*Alloc_size:/,"",v); gsub(/[^0-9].*/,"",v); a+=v} END{printf "%.0f\n", a}')
ovs_total=$((b0 + b1))
plan=$("$bin/numavs-mem" --other-config=dpdk-init=true --port=dpdk0,net_null0,mtu=1500 \
       --port=dpdk1,net_null1,mtu=9000 --plan)
numavs_total=$("$bin/numavs-mem" --other-config=dpdk-init=true --port=dpdk0,net_null0,mtu=1500 \
       --port=dpdk1,net_null1,mtu=9000 --plan --format=json |
       python3 -c 'import json,sys; print(sum(p["bytes"] for p in json.load(sys.stdin)["pools"]))')
echo "OVS-DPDK 3.1 (measured live): dpdk0 MTU 1500: $n0 mbufs x $o0 B = $((b0/1048576)) MB;" \
     "dpdk1 MTU 9000: $n1 mbufs x $o1 B = $((b1/1048576)) MB; total $((ovs_total/1048576)) MB;" \
     "heap allocated $((heap/1048576)) MB"
echo "numavs plan:"
echo "$plan" | sed 's/^/  /'
echo "numavs total $((numavs_total/1048576)) MB"
python3 -c "print('ratio OVS/numavs (pool bytes): %.1f' % ($ovs_total/$numavs_total))"
