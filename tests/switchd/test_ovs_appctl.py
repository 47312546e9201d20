#!/usr/bin/env python3
"""switchd_ovs_appctl: appctl commands under OVS's names and output shapes.

Through the real ovs-appctl against a running numavs (the launcher in a private
namespace, DPDK without hugepages, two net_pcap ports on bridge br0):
  * dpdk/lcore-list says DPDK is not initialized before dpdk-init, then prints
    DPDK's lcore table;
  * ofproto/list prints the bridges, one per line;
  * after a few frames from 02:00:00:00:00:01 entered p0 (flow NORMAL),
    dpif/dump-flows br0 prints the datapath flow with in_port(p0) and
    dpif/dump-flows of an unknown bridge is an error;
  * bridge/dump-flows br0 prints the NORMAL rule with its counters in OVS's
    layout ("duration=Ns, n_packets=N, n_bytes=N, priority=0,actions=NORMAL");
  * fdb/show prints OpenFlow port numbers, and LOCAL for the bridge's own
    port (an entry added with fdb/add on br0).

  test_ovs_appctl.py --bindir DIR
"""
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from system import System, bindir_from_argv  # noqa: E402


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000, i, len(fr), len(fr)))
            f.write(fr)


def udp_frame(i):
    payload = bytes(18)
    udp = struct.pack("!HHHH", 1000, 2000, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + udp
    return bytes.fromhex("020000000002") + bytes.fromhex("020000000001") + b"\x08\x00" + ip


def main():
    harness.require_ovs_tools()
    if os.geteuid() != 0:
        harness.skip("needs root for network namespaces")
    f = harness.Failures()
    s = System(bindir_from_argv())
    work = tempfile.mkdtemp(prefix="numavs-appctl-")
    try:
        write_pcap(os.path.join(work, "in.pcap"), [udp_frame(i) for i in range(8)])
        write_pcap(os.path.join(work, "empty.pcap"), [])
        r = s.launcher("start")
        f.check(r.returncode == 0, "numavs start: %s%s" % (r.stdout, r.stderr))
        r = s.appctl("dpdk/lcore-list")
        f.check(r.returncode != 0 and "DPDK is not initialized" in r.stderr,
                "dpdk/lcore-list before dpdk-init: rc=%d %r" % (r.returncode, r.stderr))
        s.start_dpdk()
        r = s.appctl("dpdk/lcore-list")
        f.check(r.returncode == 0 and r.stdout.startswith("lcore 0, socket ") and "role RTE" in r.stdout,
                "dpdk/lcore-list: %r %r" % (r.stdout, r.stderr))
        s.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
        s.vsctl("add-br", "br1", "--", "set", "bridge", "br1", "datapath_type=netdev")
        r = s.appctl("ofproto/list")
        f.eq(r.stdout, "br0\nbr1\n", "ofproto/list")
        r = s.vsctl("add-port", "br0", "p1", "--", "set", "Interface", "p1", "type=dpdk",
                    "options:dpdk-devargs=net_pcap1,rx_pcap=%s/empty.pcap,tx_pcap=%s/out1.pcap" % (work, work))
        f.check(r.returncode == 0 and r.stderr == "", "add-port p1: %r" % r.stderr)
        r = s.vsctl("add-port", "br0", "p0", "--", "set", "Interface", "p0", "type=dpdk",
                    "options:dpdk-devargs=net_pcap0,rx_pcap=%s/in.pcap,tx_pcap=%s/out0.pcap" % (work, work))
        f.check(r.returncode == 0 and r.stderr == "", "add-port p0: %r" % r.stderr)
        flows = ""
        deadline = time.monotonic() + 20
        while "in_port(p0)" not in flows and time.monotonic() < deadline:
            time.sleep(0.3)
            flows = s.appctl("dpif/dump-flows", "br0").stdout
        f.check("in_port(p0)" in flows and "packets:8" in flows,
                "dpif/dump-flows br0 shows the flow from p0: %r" % flows)
        # br1's own kernel interface may send IPv6 chatter: only its flows, never p0's.
        other = s.appctl("dpif/dump-flows", "br1").stdout
        f.check(all(l.startswith("in_port(br1)") for l in other.splitlines()),
                "dpif/dump-flows br1: only br1's flows: %r" % other)
        r = s.appctl("dpif/dump-flows", "nosuch")
        f.check(r.returncode != 0 and "no such bridge" in r.stderr, "unknown bridge: %r" % r.stderr)
        r = s.appctl("bridge/dump-flows", "br0")
        f.check(re.fullmatch(r"duration=\d+s, n_packets=(\d+), n_bytes=\d+, priority=0,actions=NORMAL\n",
                             r.stdout) is not None and int(re.search(r"n_packets=(\d+)", r.stdout).group(1)) >= 8,
                "bridge/dump-flows br0: %r %r" % (r.stdout, r.stderr))
        p0 = s.get("Interface", "p0", "ofport")
        r = s.appctl("fdb/add", "br0", "br0", "0", "02:00:00:00:00:0b")
        f.check(r.returncode == 0, "fdb/add on the bridge's port: %r" % r.stderr)
        fdb = s.appctl("fdb/show", "br0").stdout
        f.check(fdb.startswith(" port  VLAN  MAC                Age\n"), "fdb/show header: %r" % fdb)
        f.check("%5s     0  02:00:00:00:00:01" % p0 in fdb, "fdb/show: learned on p0 (%s): %r" % (p0, fdb))
        f.check("LOCAL     0  02:00:00:00:00:0b  static" in fdb, "fdb/show prints LOCAL: %r" % fdb)
        f.check(s.switchd_alive(), "daemons alive")
    finally:
        s.close()
        subprocess.run(["rm", "-rf", work])
    f.finish("switchd_ovs_appctl")


if __name__ == "__main__":
    main()
