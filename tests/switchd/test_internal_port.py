#!/usr/bin/env python3
"""switchd_internal_port: the bridge's internal port keeps its kernel interface.

With DPDK running (no hugepages; the internal port is a net_tap device), through
the real ovs-vsctl and `ip` in the switch's network namespace:
  * br0's MAC is stable (derived from the name), equals Interface mac_in_use,
    and datapath_id is that MAC;
  * an IPv4 address added to br0 survives mtu_request=2000 (the kernel
    interface is the same: same ifindex, same MAC, MTU 2000) and back to 1500;
  * other_config:hwaddr gives br0 that MAC (and datapath_id), the address kept;
  * after `numavs restart` br0 has the same MAC again.

  test_internal_port.py --bindir DIR
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from system import DPDK_ENV_ALLOW, System, bindir_from_argv, sh  # noqa: E402


def link(s):
    """(ifindex, mac, mtu, has 192.0.2.1) of br0 in the switch's namespace, or None."""
    r = sh("ip", "-n", s.netns, "-o", "addr", "show", "dev", "br0", check=False)
    l = sh("ip", "-n", s.netns, "-o", "link", "show", "dev", "br0", check=False)
    if l.returncode != 0:
        return None
    m = re.match(r"(\d+): .* mtu (\d+) .* link/ether ([0-9a-f:]{17})", l.stdout)
    if not m:
        return None
    return (m.group(1), m.group(3), int(m.group(2)), "192.0.2.1/24" in r.stdout)


def main():
    harness.require_ovs_tools()
    if os.geteuid() != 0:
        harness.skip("needs root for network namespaces and TAP devices")
    f = harness.Failures()
    s = System(bindir_from_argv(), log_allow=DPDK_ENV_ALLOW)
    try:
        s.start_dpdk()
        s.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
        harness.wait_until(lambda: s.get("Open_vSwitch", ".", "dpdk_initialized") == "true", "DPDK up", 30)
        # Once DPDK runs the internal port is a net_tap device.
        harness.wait_until(lambda: "net_tap" in s.get("Interface", "br0", "status"), "br0 on net_tap", 20)
        mac = s.get("Interface", "br0", "mac_in_use").strip('"')
        f.check(re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", mac) is not None, "mac_in_use: %r" % mac)
        f.check(int(mac[:2], 16) & 2 == 2, "a locally administered default MAC: %s" % mac)
        f.eq(s.get("Bridge", "br0", "datapath_id"), '"0000%s"' % mac.replace(":", ""), "datapath_id = MAC")
        before = link(s)
        f.check(before is not None and before[1] == mac, "kernel br0 MAC %r vs %s" % (before, mac))
        sh("ip", "-n", s.netns, "addr", "add", "192.0.2.1/24", "dev", "br0")

        for mtu in (2000, 1500):
            s.vsctl("set", "Interface", "br0", "mtu_request=%d" % mtu)
            harness.wait_until(lambda: s.get("Interface", "br0", "mtu") == str(mtu), "mtu %d" % mtu, 20)
            got = harness.wait_until(lambda: (link(s) or [0, 0, 0])[2] == mtu and link(s), "kernel mtu", 10)
            f.eq(got, (before[0], mac, mtu, True), "br0 after mtu_request=%d (ifindex, MAC, MTU, address)" % mtu)
            f.eq(s.get("Interface", "br0", "mac_in_use").strip('"'), mac, "mac_in_use after MTU %d" % mtu)

        s.vsctl("set", "Bridge", "br0", "other_config:hwaddr=00:1b:21:0a:0b:0c")
        harness.wait_until(lambda: (link(s) or [0, ""])[1] == "00:1b:21:0a:0b:0c", "hwaddr applied", 20)
        f.eq(link(s), (before[0], "00:1b:21:0a:0b:0c", 1500, True), "br0 after hwaddr")
        harness.wait_until(lambda: s.get("Bridge", "br0", "datapath_id") == '"0000001b210a0b0c"',
                           "datapath_id from hwaddr", 10)
        s.vsctl("remove", "Bridge", "br0", "other_config", "hwaddr")
        harness.wait_until(lambda: (link(s) or [0, ""])[1] == mac, "default MAC back", 20)

        r = s.launcher("restart")
        f.check(r.returncode == 0, "numavs restart: %s%s" % (r.stdout, r.stderr))
        # The new daemon creates the interface again: the same MAC (as soon as it runs).
        harness.wait_until(lambda: s.switchd_alive(), "daemons up after restart", 20)
        s.vsctl("set", "Open_vSwitch", ".", "external_ids:wait=1")  # applied by the new daemon
        harness.wait_until(lambda: "net_tap" in s.get("Interface", "br0", "status"), "br0 after restart", 30)
        after = harness.wait_until(lambda: link(s), "br0 exists after restart", 10)
        f.eq(after[1], mac, "br0 MAC kept across a restart")
        f.eq(s.get("Interface", "br0", "mac_in_use").strip('"'), mac, "mac_in_use after restart")
        f.check(s.switchd_alive(), "daemons alive")
        s.stop(f)
    except AssertionError:
        harness.log("br0 error: %s\nswitchd log tail:\n%s" % (s.get("Interface", "br0", "error"),
                                                            "\n".join(s.log().splitlines()[-25:])))
        raise
    finally:
        s.close()
    f.finish("switchd_internal_port")


if __name__ == "__main__":
    main()
