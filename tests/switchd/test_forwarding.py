#!/usr/bin/env python3
"""switchd_forwarding: real forwarding with the kernel as peer.

Two network namespaces, each with one end of a veth pair; the other ends sit
in the switch's namespace and are attached to bridge br0 as DPDK ports
(net_af_packet vdevs) by the REAL ovs-vsctl. With the default flow
(priority=0,actions=NORMAL) ping and a TCP transfer (iperf3) pass; after
`numavs-ofctl add-flow br0 "priority=100,icmp,actions=drop"` ping fails and TCP
still works; dump-flows counts the dropped pings. The bridge's internal port (a
kernel interface through DPDK's net_tap) answers ping too. The EAL runs in no-hugepage
mode. TX checksum offload is turned off on the namespace veths: packets read
from a veth with AF_PACKET carry partial checksums the receiving kernel would
drop (the same advice applies to OVS-DPDK with af_packet ports).

  test_forwarding.py --bindir DIR
"""
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from system import System, bindir_from_argv, sh  # noqa: E402

# WARN/ERR lines this test provokes on purpose (see harness.unexpected_log_lines): none.
LOG_ALLOW = []


def ping(ns, count=3, dst="10.0.0.2"):
    """ping's result; the caller asserts its status (0: replies, 1: none)."""
    return sh("ip", "netns", "exec", ns, "ping", "-c", str(count), "-i", "0.2", "-W", "1", dst,
              check=False)


def iperf(f, nsa, nsb, seconds=2):
    """Bytes a TCP transfer of `seconds` (traffic duration) moved from nsa to nsb."""
    srv = subprocess.Popen(["ip", "netns", "exec", nsb, "iperf3", "-s", "-1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        harness.wait_until(lambda: ":5201 " in sh("ip", "netns", "exec", nsb, "ss", "-Hltn").stdout,
                           "iperf3 server listening in %s" % nsb)
        r = sh("ip", "netns", "exec", nsa, "iperf3", "-c", "10.0.0.2", "-t", str(seconds), "-J",
               check=False, timeout=seconds + 20)
        f.eq(r.returncode, 0, "iperf3 client status (stderr %r)" % r.stderr[-300:])
        m = re.search(r'"sum_received":\s*\{[^}]*"bytes":\s*(\d+)', r.stdout)
        return int(m.group(1)) if m else 0
    finally:
        srv.kill()
        srv.wait()


def main():
    harness.require_ovs_tools()
    if os.geteuid() != 0:
        harness.skip("needs root for network namespaces")
    for tool in ("ping", "iperf3", "ethtool", "ss"):
        if not shutil.which(tool):
            harness.skip("%s is not installed (scripts/setup.sh installs it)" % tool)
    bindir = bindir_from_argv()
    f = harness.Failures()
    s = System(bindir, log_allow=LOG_ALLOW)
    try:
        nsa, nsb = s.add_hosts()
        s.start_dpdk()
        prefix = s.prefix
        for i, r in enumerate(s.bridge_to_hosts()):
            f.check(r.returncode == 0 and r.stderr == "", "add-port p%d: %r" % (i, r.stderr))
        # The bridge's internal port is a kernel interface (net_tap) carrying traffic too.
        sh("ip", "-n", s.netns, "addr", "add", "10.0.0.3/24", "dev", "br0")
        r = ping(nsa, dst="10.0.0.3")
        f.check(r.returncode == 0, "ping to the bridge's internal port failed:\n%s" % r.stdout)
        r = ping(nsa)
        f.check(r.returncode == 0, "ping through NORMAL failed:\n%s" % r.stdout)
        got = iperf(f, nsa, nsb)
        f.check(got > 1000000, "TCP through NORMAL moved only %d bytes" % got)
        s.ofctl("add-flow", "br0", "priority=100,icmp,actions=drop")
        r = ping(nsa, count=3)
        f.check(r.returncode == 1 and " 0 received" in r.stdout,
                "ping must fail (status 1, no reply) with the drop flow: status %d\n%s" % (r.returncode, r.stdout))
        got = iperf(f, nsa, nsb)
        f.check(got > 1000000, "TCP must still work with the ICMP drop flow (moved %d bytes)" % got)
        r = s.ofctl("dump-flows", "br0")
        m = re.search(r"n_packets=(\d+), n_bytes=\d+, priority=100,icmp actions=drop", r.stdout)
        f.check(m is not None and int(m.group(1)) >= 3,
                "dump-flows should count the 3 dropped pings:\n%s" % r.stdout)
        r = s.ofctl("add-flow", "br0", "priority=100,nw_dst=300.0.0.1,actions=drop", check=False)
        f.check(r.returncode == 1 and "300.0.0.1" in r.stderr, "bad flow: status %d, %r" % (r.returncode, r.stderr))
        s.ofctl("del-flows", "br0", "icmp")
        f.check(ping(nsa).returncode == 0, "ping must pass again after del-flows")
        s.appctl("fdb/add", "br0", "p1", "0", "02:00:00:00:00:42")
        fdb = s.appctl("fdb/show", "br0").stdout
        f.check(re.search(r"\s0\s+02:00:00:00:00:42\s+static", fdb), "fdb/add:\n%s" % fdb)
        stats = s.vsctl("--no-wait", "get", "Interface", "p0", "statistics").stdout
        f.check("rx_packets" in stats, "Interface statistics: %r" % stats)
        show = s.appctl("dpif-netdev/pmd-stats-show").stdout
        f.check("packets received" in show, "pmd-stats-show: %r" % show)
        s.stop(f)
        f.check(not os.path.exists("/var/run/dpdk/" + prefix), "EAL runtime dir left behind")
    finally:
        s.close()
    f.finish("switchd_forwarding")


if __name__ == "__main__":
    main()
