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
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from system import System, bindir_from_argv, sh  # noqa: E402


def ping(ns, count=3):
    return sh("ip", "netns", "exec", ns, "ping", "-c", str(count), "-i", "0.2", "-W", "1", "10.0.0.2",
              check=False)


def iperf(nsa, nsb, seconds=2):
    srv = subprocess.Popen(["ip", "netns", "exec", nsb, "iperf3", "-s", "-1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        r = sh("ip", "netns", "exec", nsa, "iperf3", "-c", "10.0.0.2", "-t", str(seconds), "-J",
               check=False, timeout=seconds + 20)
        m = re.search(r'"sum_received":\s*\{[^}]*"bytes":\s*(\d+)', r.stdout)
        return int(m.group(1)) if m else 0
    finally:
        srv.kill()
        srv.wait()


def main():
    harness.require_ovs_tools()
    if os.geteuid() != 0:
        harness.skip("needs root for network namespaces")
    for tool in ("ping", "iperf3", "ethtool"):
        if not shutil.which(tool):
            harness.skip("%s is not installed (scripts/setup.sh installs it)" % tool)
    bindir = bindir_from_argv()
    ofctl = os.path.join(bindir, "numavs-ofctl")
    f = harness.Failures()
    s = System(bindir)
    try:
        nsa, nsb = s.add_hosts()
        s.start_dpdk()
        prefix = s.prefix
        for i, r in enumerate(s.bridge_to_hosts()):
            f.check(r.returncode == 0 and r.stderr == "", "add-port p%d: %r" % (i, r.stderr))
        env = dict(s.env)
        # The bridge's internal port is a kernel interface (net_tap) carrying traffic too.
        sh("ip", "-n", s.netns, "addr", "add", "10.0.0.3/24", "dev", "br0")
        r = sh("ip", "netns", "exec", nsa, "ping", "-c", "3", "-i", "0.2", "-W", "1", "10.0.0.3", check=False)
        f.check(r.returncode == 0, "ping to the bridge's internal port failed:\n%s" % r.stdout)
        r = ping(nsa)
        f.check(r.returncode == 0, "ping through NORMAL failed:\n%s" % r.stdout)
        got = iperf(nsa, nsb)
        f.check(got > 1000000, "TCP through NORMAL moved only %d bytes" % got)
        r = subprocess.run([ofctl, "add-flow", "br0", "priority=100,icmp,actions=drop"], env=env,
                           capture_output=True, text=True, timeout=20)
        f.check(r.returncode == 0, "add-flow: %r" % r.stderr)
        r = ping(nsa, count=3)
        f.check(r.returncode != 0 and " 0 received" in r.stdout, "ping must fail with the drop flow:\n%s" % r.stdout)
        got = iperf(nsa, nsb)
        f.check(got > 1000000, "TCP must still work with the ICMP drop flow (moved %d bytes)" % got)
        r = subprocess.run([ofctl, "dump-flows", "br0"], env=env, capture_output=True, text=True, timeout=20)
        m = re.search(r"n_packets=(\d+), n_bytes=\d+, priority=100,icmp actions=drop", r.stdout)
        f.check(m is not None and int(m.group(1)) >= 3,
                "dump-flows should count the 3 dropped pings:\n%s" % r.stdout)
        r = subprocess.run([ofctl, "add-flow", "br0", "priority=100,nw_dst=300.0.0.1,actions=drop"],
                           env=env, capture_output=True, text=True, timeout=20)
        f.check(r.returncode != 0 and "300.0.0.1" in r.stderr, "bad flow error: %r" % r.stderr)
        r = subprocess.run([ofctl, "del-flows", "br0", "icmp"], env=env, capture_output=True, text=True, timeout=20)
        f.check(r.returncode == 0, "del-flows: %r" % r.stderr)
        f.check(ping(nsa).returncode == 0, "ping must pass again after del-flows")
        r = subprocess.run(["ovs-appctl", "-t", "numavs-switchd", "fdb/add", "br0", "p1", "0",
                            "02:00:00:00:00:42"], env=env, capture_output=True, text=True, timeout=20)
        fdb = subprocess.run(["ovs-appctl", "-t", "numavs-switchd", "fdb/show", "br0"], env=env,
                             capture_output=True, text=True, timeout=20).stdout
        f.check(r.returncode == 0 and re.search(r"\s0\s+02:00:00:00:00:42\s+static", fdb),
                "fdb/add: %r\n%s" % (r.stderr, fdb))
        stats = s.vsctl("--no-wait", "get", "Interface", "p0", "statistics").stdout
        f.check("rx_packets" in stats, "Interface statistics: %r" % stats)
        show = subprocess.run(["ovs-appctl", "-t", "numavs-switchd", "dpif-netdev/pmd-stats-show"], env=env,
                              capture_output=True, text=True, timeout=20).stdout
        f.check("packets received" in show, "pmd-stats-show: %r" % show)
        s.launcher("stop")
        f.check(not os.path.exists("/var/run/dpdk/" + prefix), "EAL runtime dir left behind")
        for line in s.log().splitlines():
            # numavs's own errors; DPDK's (module dpdk) follow from the bad
            # devices this test adds on purpose.
            if ("|EMER|" in line or "|ERR|" in line) and "|dpdk|" not in line:
                f.check(False, line)
    finally:
        s.close()
    f.finish("switchd_forwarding")


if __name__ == "__main__":
    main()
