#!/usr/bin/env python3
"""switchd_reconfig: reconfiguration under traffic.

Host a pings host b through bridge br0 (two net_af_packet DPDK ports) at 20
packets per second while the configuration changes under it: ports are added
and removed (net_null devices), flows are added and deleted, and
other_config:pmd-cpu-mask moves the PMD threads between cores and back. No
ping may be lost (the untouched ports keep forwarding) and the daemon must
stay up. Run it with the ASan build's binaries too (the asan test preset does).

  test_reconfig.py --bindir DIR
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


def main():
    harness.require_ovs_tools()
    if os.geteuid() != 0:
        harness.skip("needs root for network namespaces")
    for tool in ("ping", "ethtool"):
        if not shutil.which(tool):
            harness.skip("%s is not installed (scripts/setup.sh installs it)" % tool)
    bindir = bindir_from_argv()
    ofctl = os.path.join(bindir, "numavs-ofctl")
    ncpu = os.cpu_count() or 1
    f = harness.Failures()
    s = System(bindir)
    pinger = None
    try:
        nsa, nsb = s.add_hosts()
        s.start_dpdk()
        s.bridge_to_hosts()
        # Warm up (ARP, MAC learning), then ping continuously while reconfiguring.
        sh("ip", "netns", "exec", nsa, "ping", "-c", "2", "-W", "2", "10.0.0.2", check=False)
        count = 200
        pinger = subprocess.Popen(["ip", "netns", "exec", nsa, "ping", "-c", str(count), "-i", "0.05",
                                   "-W", "2", "10.0.0.2"], stdout=subprocess.PIPE, text=True)
        env = s.env
        masks = ["0x1", "0x2" if ncpu > 1 else "0x1", "0x3" if ncpu > 1 else "0x1", ""]
        for rnd in range(4):
            r = s.vsctl("add-port", "br0", "n%d" % rnd, "--", "set", "Interface", "n%d" % rnd, "type=dpdk",
                        "options:dpdk-devargs=net_null%d,no-rx=1" % rnd)
            f.check(r.returncode == 0 and r.stderr == "", "add net_null%d: %r" % (rnd, r.stderr))
            subprocess.run([ofctl, "add-flow", "br0", "priority=300,udp,tp_dst=%d,actions=drop" % (1000 + rnd)],
                           env=env, check=False, timeout=20)
            r = s.vsctl("set", "Open_vSwitch", ".", "other_config:pmd-cpu-mask=%s" % masks[rnd]
                        if masks[rnd] else "other_config:pmd-cpu-mask=0x1")
            f.check(r.returncode == 0, "pmd-cpu-mask: %r" % r.stderr)
            time.sleep(0.4)
            subprocess.run([ofctl, "del-flows", "br0", "udp,tp_dst=%d" % (1000 + rnd)], env=env, check=False,
                           timeout=20)
            r = s.vsctl("del-port", "n%d" % rnd)
            f.check(r.returncode == 0, "del-port n%d: %r" % (rnd, r.stderr))
            time.sleep(0.4)
        s.vsctl("remove", "Open_vSwitch", ".", "other_config", "pmd-cpu-mask")
        out, _ = pinger.communicate(timeout=60)
        pinger = None
        m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
        f.check(m is not None, "ping output: %r" % out[-300:])
        if m:
            f.eq(int(m.group(2)), int(m.group(1)), "pings answered while reconfiguring (sent %s)" % m.group(1))
        f.check(s.switchd_alive(), "numavs-switchd must survive the reconfigurations")
        rxq = subprocess.run(["ovs-appctl", "-t", "numavs-switchd", "dpif-netdev/pmd-rxq-show"], env=env,
                             capture_output=True, text=True, timeout=20).stdout
        f.check("port: p0" in rxq and "port: p1" in rxq, "rx queues after the changes:\n%s" % rxq)
        s.launcher("stop")
        for line in s.log().splitlines():
            # numavs's own errors; DPDK's (module dpdk) include environmental
            # ones (net_tap: no multiq qdisc in this kernel).
            if ("|EMER|" in line or "|ERR|" in line) and "|dpdk|" not in line:
                f.check(False, line)
    finally:
        if pinger:
            pinger.kill()
        s.close()
    f.finish("switchd_reconfig")


if __name__ == "__main__":
    main()
