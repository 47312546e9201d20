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

# WARN/ERR lines this test provokes on purpose (see harness.unexpected_log_lines): none.
LOG_ALLOW = []


def main():
    harness.require_ovs_tools()
    if os.geteuid() != 0:
        harness.skip("needs root for network namespaces")
    for tool in ("ping", "ethtool"):
        if not shutil.which(tool):
            harness.skip("%s is not installed (scripts/setup.sh installs it)" % tool)
    bindir = bindir_from_argv()
    ncpu = os.cpu_count() or 1
    f = harness.Failures()
    s = System(bindir, log_allow=LOG_ALLOW)
    pinger = None
    try:
        nsa, nsb = s.add_hosts()
        s.start_dpdk()
        s.bridge_to_hosts()
        # Warm up (ARP, MAC learning) until a ping is answered, then ping continuously while
        # reconfiguring.
        harness.wait_until(lambda: sh("ip", "netns", "exec", nsa, "ping", "-c", "1", "-W", "1", "10.0.0.2",
                                      check=False).returncode == 0, "a first ping answered", timeout=20)
        count = 200
        pinger = subprocess.Popen(["ip", "netns", "exec", nsa, "ping", "-c", str(count), "-i", "0.05",
                                   "-W", "2", "10.0.0.2"], stdout=subprocess.PIPE, text=True)
        masks = ["0x1", "0x2" if ncpu > 1 else "0x1", "0x3" if ncpu > 1 else "0x1", ""]
        for rnd in range(4):
            r = s.vsctl("add-port", "br0", "n%d" % rnd, "--", "set", "Interface", "n%d" % rnd, "type=dpdk",
                        "options:dpdk-devargs=net_null%d,no-rx=1" % rnd)
            f.check(r.returncode == 0 and r.stderr == "", "add net_null%d: %r" % (rnd, r.stderr))
            s.ofctl("add-flow", "br0", "priority=300,udp,tp_dst=%d,actions=drop" % (1000 + rnd))
            # ovs-vsctl returns once the daemon applied the change (cur_cfg caught up).
            s.vsctl("set", "Open_vSwitch", ".", "other_config:pmd-cpu-mask=%s" % masks[rnd]
                    if masks[rnd] else "other_config:pmd-cpu-mask=0x1")
            # Not a synchronisation: pings flow through each configuration for a while.
            time.sleep(0.4)
            s.ofctl("del-flows", "br0", "udp,tp_dst=%d" % (1000 + rnd))
            s.vsctl("del-port", "n%d" % rnd)
            time.sleep(0.4)  # likewise: traffic through this configuration
        s.vsctl("remove", "Open_vSwitch", ".", "other_config", "pmd-cpu-mask")
        out, _ = pinger.communicate(timeout=60)
        f.eq(pinger.returncode, 0, "ping's status (0: every ping answered)")
        pinger = None
        m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
        f.check(m is not None, "ping output: %r" % out[-300:])
        if m:
            f.eq(int(m.group(2)), int(m.group(1)), "pings answered while reconfiguring (sent %s)" % m.group(1))
        f.check(s.switchd_alive(), "numavs-switchd must survive the reconfigurations")
        rxq = s.appctl("dpif-netdev/pmd-rxq-show").stdout
        f.check("port: p0" in rxq and "port: p1" in rxq, "rx queues after the changes:\n%s" % rxq)
        s.stop(f)
    finally:
        if pinger:
            pinger.kill()
        s.close()
    f.finish("switchd_reconfig")


if __name__ == "__main__":
    main()
