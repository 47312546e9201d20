#!/bin/bash
# The main job: set up, build, and run numavs on its default configuration,
# showing it forwarding; then play the seed's story (docs/seed.md) on a
# simulated two-node machine.
#
# Two network namespaces ("hosts" a and b) are joined through a numavs bridge:
# each host has one end of a veth pair, the other ends are DPDK ports
# (net_af_packet) of bridge br0 in the switch's own namespace. The launcher
# starts numavs-db and numavs-switchd; the real ovs-vsctl applies the
# configuration; then ping and a TCP transfer (iperf3) cross the switch, a flow
# drops ICMP, and the statistics are shown. Everything lives in a temporary
# run directory and namespaces that are removed at the end; system OVS
# services are not touched. DPDK runs without hugepages so this works on any
# machine (see docs/memory.md for hugepage set-ups).
#
# The seed's story: OVS-DPDK 2.7 crashed when a port on NUMA node 1 was added
# with dpdk-socket-mem="1024,0" (its default then: memory on node 0 only). The
# machine here has one node, so numavs runs over the simulated two-node machine
# of tests/fixtures/sysfs/two-node (--sysfs-root: 1 GiB of hugepages per node,
# PCI device 0000:81:00.1 on node 1; DPDK's memory and devices simulated) and
# the real ovs-vsctl types the seed's commands.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
bash scripts/setup.sh
bash scripts/build.sh default >/dev/null
BIN=$ROOT/build/default/bin

TAG=$$
RUN=$(mktemp -d /tmp/numavs-demo.XXXXXX)
SEED_RUN=$(mktemp -d /tmp/numavs-demo-seed.XXXXXX)
use_dirs() { export OVS_RUNDIR=$1 OVS_LOGDIR=$1 OVS_DBDIR=$1 OVS_SYSCONFDIR=$1; }
use_dirs "$RUN"
NS_SW=numavs-demo-sw-$TAG NS_A=numavs-demo-a-$TAG NS_B=numavs-demo-b-$TAG
NS_SEED=numavs-demo-seed-$TAG
cleanup() {
  (use_dirs "$RUN"; ip netns exec "$NS_SW" "$BIN/numavs" stop >/dev/null 2>&1 || true)
  (use_dirs "$SEED_RUN"; ip netns exec "$NS_SEED" "$BIN/numavs" stop >/dev/null 2>&1 || true)
  for ns in "$NS_A" "$NS_B" "$NS_SW" "$NS_SEED"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$RUN" "$SEED_RUN" "/var/run/dpdk/numavs-demo-$TAG"
}
trap cleanup EXIT

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }
in_ns() { ip netns exec "$@"; }

# Two hosts and the switch's namespace.
for ns in "$NS_SW" "$NS_A" "$NS_B"; do ip netns add "$ns"; done
for h in a b; do
  ns=$([ $h = a ] && echo "$NS_A" || echo "$NS_B")
  ip link add "h$h-$TAG" type veth peer name "s$h-$TAG"
  ip link set "h$h-$TAG" netns "$ns"
  ip link set "s$h-$TAG" netns "$NS_SW"
  ip -n "$ns" addr add "10.0.0.$([ $h = a ] && echo 1 || echo 2)/24" dev "h$h-$TAG"
  ip -n "$ns" link set "h$h-$TAG" up
  # AF_PACKET hands over partial checksums; let the hosts' kernels fill them in.
  in_ns "$ns" ethtool -K "h$h-$TAG" tx off >/dev/null
  ip -n "$NS_SW" link set "s$h-$TAG" up
done

run in_ns "$NS_SW" "$BIN/numavs" start
run ovs-vsctl set Open_vSwitch . other_config:dpdk-init=true \
    "other_config:dpdk-extra=\"--no-huge -m 512 --no-pci --file-prefix=numavs-demo-$TAG\""
run ovs-vsctl add-br br0 -- set bridge br0 datapath_type=netdev
run ovs-vsctl add-port br0 dpdk0 -- set Interface dpdk0 type=dpdk \
    "options:dpdk-devargs=net_af_packet0,iface=sa-$TAG"
run ovs-vsctl add-port br0 dpdk1 -- set Interface dpdk1 type=dpdk \
    "options:dpdk-devargs=net_af_packet1,iface=sb-$TAG"
run ovs-vsctl show
run ovs-appctl -t numavs-switchd dpif-netdev/pmd-rxq-show

say "ping 10.0.0.2 from host a (through br0, flow NORMAL)"
in_ns "$NS_A" ping -c 3 -i 0.2 10.0.0.2
say "TCP from host a to host b for 2 s (iperf3)"
in_ns "$NS_B" iperf3 -s -1 >/dev/null 2>&1 &
sleep 0.5
in_ns "$NS_A" iperf3 -c 10.0.0.2 -t 2 | tail -4

run "$BIN/numavs-ofctl" add-flow br0 "priority=100,icmp,actions=drop"
say "ping again: ICMP is dropped now"
in_ns "$NS_A" ping -c 2 -i 0.2 -W 1 10.0.0.2 || true
run "$BIN/numavs-ofctl" dump-flows br0
run "$BIN/numavs-ofctl" dump-ports br0
run ovs-appctl -t numavs-switchd dpctl/dump-flows
run ovs-appctl -t numavs-switchd dpif-netdev/pmd-perf-show
run ovs-appctl -t numavs-switchd memory/show
run ovs-vsctl get Interface dpdk0 status
run in_ns "$NS_SW" "$BIN/numavs" stop

say "The seed's story (docs/seed.md) on a simulated two-node machine"
use_dirs "$SEED_RUN"
TWO_NODE=$ROOT/tests/fixtures/sysfs/two-node
ip netns add "$NS_SEED"
run in_ns "$NS_SEED" "$BIN/numavs" start "--sysfs-root=$TWO_NODE"
# What the seed ran with: DPDK's legacy memory and OVS 2.7's default
# dpdk-socket-mem, 1024 MB on node 0 and none on node 1.
run ovs-vsctl set Open_vSwitch . other_config:dpdk-init=true \
    'other_config:dpdk-extra="--legacy-mem"' 'other_config:dpdk-socket-mem="1024,0"'
# The seed's two commands, exactly.
run ovs-vsctl add-br br2 -- set bridge br2 datapath_type=netdev
run ovs-vsctl add-port br2 dpdk0 -- set Interface dpdk0 type=dpdk options:dpdk-devargs=0000:81:00.1
say "the daemon is alive (OVS 2.7 crashed here), and the port says why it is down"
run in_ns "$NS_SEED" "$BIN/numavs" status
run ovs-vsctl show
say "the fix the error names, and the restart it asks for"
run ovs-vsctl set Open_vSwitch . 'other_config:dpdk-socket-mem="1024,1024"'
run in_ns "$NS_SEED" "$BIN/numavs" restart "--sysfs-root=$TWO_NODE"
ovs-vsctl --timeout=15 set Open_vSwitch . external_ids:demo=seed  # waits until the restarted daemon applied the database
run ovs-vsctl show
run ovs-vsctl get Interface dpdk0 admin_state ofport error status:numa_id status:mempool_numa_id
run ovs-appctl -t numavs-switchd memory/show
run in_ns "$NS_SEED" "$BIN/numavs" stop
