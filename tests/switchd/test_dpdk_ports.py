#!/usr/bin/env python3
"""switchd_dpdk_ports: real DPDK ports (EAL in no-hugepage mode) from ovs-vsctl.

The launcher runs numavs-db and numavs-switchd in a private network namespace.
dpdk-init=true with dpdk-extra="--no-huge -m 512 --no-pci --file-prefix=UNIQUE"
starts the real EAL; then net_null and net_ring vdevs are added as dpdk ports
(up, with driver, queues and a pool in Interface.status), a vdev that does not
exist and a bad n_rxq get errors naming the fix while the other ports keep
running, a port is deleted and its device added again under another name, and
stopping the daemon removes the EAL's runtime directory.

  test_dpdk_ports.py --bindir DIR
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from system import System, bindir_from_argv  # noqa: E402

# WARN/ERR lines this test provokes on purpose (see harness.unexpected_log_lines).
LOG_ALLOW = [
    # The port "bad" names a vdev that does not exist.
    r"\|bridge\|WARN\|bridge br0: could not open network device bad: DPDK could not attach \"net_bogus0\"",
    # q0 is added with n_rxq=0 (then fixed).
    r"\|bridge\|WARN\|bridge br0: q0: options:n_rxq=\"0\" is invalid",
    # "dup" names the device n0b already holds.
    r"\|bridge\|WARN\|bridge br0: could not open network device dup: \"net_null0\" is already in use",
]


def main():
    harness.require_ovs_tools()
    if os.geteuid() != 0:
        harness.skip("needs root for network namespaces and the EAL")
    bindir = bindir_from_argv()
    f = harness.Failures()
    s = System(bindir, log_allow=LOG_ALLOW)
    try:
        s.start_dpdk()
        prefix = s.prefix
        f.eq(s.get("Open_vSwitch", ".", "dpdk_initialized"), "true", "dpdk_initialized")
        f.check(s.get("Open_vSwitch", ".", "dpdk_version").startswith('"DPDK 22.11'), "dpdk_version")
        f.check(os.path.isdir("/var/run/dpdk/" + prefix), "EAL runtime dir missing while running")
        s.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
        r = s.vsctl("add-port", "br0", "n0", "--", "set", "Interface", "n0", "type=dpdk",
                    "options:dpdk-devargs=net_null0")
        f.check(r.returncode == 0 and r.stderr == "", "add net_null0: %r" % r.stderr)
        r = s.vsctl("add-port", "br0", "r0", "--", "set", "Interface", "r0", "type=dpdk",
                    "options:dpdk-devargs=net_ring0", "options:n_rxq=2")
        f.check(r.returncode == 0 and r.stderr == "", "add net_ring0: %r" % r.stderr)
        f.eq(s.get("Interface", "n0", "status:driver_name"), "net_null", "n0 driver")
        f.eq(s.get("Interface", "r0", "status:n_rxq"), '"2"', "r0 queues")
        f.eq(s.get("Interface", "r0", "link_state"), "up", "r0 link")
        f.check(s.get("Interface", "r0", "status:mempool").startswith("vsmp"), "r0 pool in status")
        r = s.vsctl("add-port", "br0", "bad", "--", "set", "Interface", "bad", "type=dpdk",
                    "options:dpdk-devargs=net_bogus0")
        f.check("DPDK could not attach \"net_bogus0\"" in r.stderr, "bogus vdev error: %r" % r.stderr)
        r = s.vsctl("add-port", "br0", "q0", "--", "set", "Interface", "q0", "type=dpdk",
                    "options:dpdk-devargs=net_null1", "options:n_rxq=0")
        f.check("options:n_rxq=\"0\" is invalid" in r.stderr, "bad n_rxq error: %r" % r.stderr)
        r = s.vsctl("set", "Interface", "q0", "options:n_rxq=1")
        f.eq(s.get("Interface", "q0", "error"), "[]", "q0 up after fixing n_rxq")
        f.eq(s.get("Interface", "n0", "admin_state"), "up", "n0 untouched by the failures")
        r = s.vsctl("del-port", "n0")
        f.check(r.returncode == 0, "del-port n0")
        r = s.vsctl("add-port", "br0", "n0b", "--", "set", "Interface", "n0b", "type=dpdk",
                    "options:dpdk-devargs=net_null0")
        f.check(r.returncode == 0 and r.stderr == "", "re-adding net_null0 under another name: %r" % r.stderr)
        r = s.vsctl("add-port", "br0", "dup", "--", "set", "Interface", "dup", "type=dpdk",
                    "options:dpdk-devargs=net_null0")
        f.check("already in use" in r.stderr, "a device used twice: %r" % r.stderr)
        # net_pcap with infinite_rx=1 preloads its whole file into the pool: a file of
        # more packets than a default pool holds must size the pool, not crash DPDK.
        big = os.path.join(s.tmp, "big.pcap")
        with open(big, "wb") as fh:
            fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            frame = bytes.fromhex("020000000002020000000001") + b"\x08\x00" + bytes(46)
            for i in range(30000):
                fh.write(struct.pack("<IIII", 1700000000, i, len(frame), len(frame)) + frame)
        r = s.vsctl("add-port", "br0", "pc", "--", "set", "Interface", "pc", "type=dpdk",
                    "options:dpdk-devargs=net_pcap0,rx_pcap=%s,infinite_rx=1" % big)
        f.check(r.returncode == 0 and r.stderr == "", "net_pcap infinite_rx with 30000 packets: %r" % r.stderr)
        f.check(s.switchd_alive(), "numavs-switchd must survive a preloading pcap device")
        s.vsctl("del-port", "pc")
        mem = s.appctl("memory/show")
        f.check("ports: " in mem.stdout and "r0" in mem.stdout, "memory/show: %r" % mem.stdout[-300:])
        s.stop(f)
        f.check(not os.path.exists("/var/run/dpdk/" + prefix), "EAL runtime dir left behind")
    finally:
        s.close()
    f.finish("switchd_dpdk_ports")


if __name__ == "__main__":
    main()
