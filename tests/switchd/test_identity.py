#!/usr/bin/env python3
"""switchd_identity: the columns ovs-vswitchd and ovs-ctl fill, filled by numavs.

Through the launcher and the real ovs-vsctl, as a user reads them:
  * ovs_version, external_ids:system-id (a random UUID kept in
    $OVS_SYSCONFDIR/openvswitch/system-id.conf, the same after a restart),
    external_ids:rundir/hostname, system_type/system_version (/etc/os-release);
  * dpdk_version before DPDK is started (dpdk_initialized false);
  * Bridge datapath_id (16 hex digits, stable across a restart; other_config:
    datapath-id and other_config:hwaddr honoured, an invalid datapath-id
    ignored as OVS does) and datapath_version;
  * Datapath.capabilities of a Datapath row named in Open_vSwitch.datapaths
    (ovs-vsctl list-dp-cap).

  test_identity.py --bindir DIR
"""
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from system import System, bindir_from_argv  # noqa: E402


def os_release():
    vals = {}
    with open("/etc/os-release") as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                vals[k] = v.strip('"')
    return vals.get("ID", "unknown"), vals.get("VERSION_ID", "unknown")


def wait_for(fn, want, timeout=10):
    end = time.time() + timeout
    got = fn()
    while got != want and time.time() < end:
        time.sleep(0.2)
        got = fn()
    return got


def main():
    harness.require_ovs_tools()
    if os.geteuid() != 0:
        harness.skip("needs root for network namespaces")
    f = harness.Failures()
    s = System(bindir_from_argv())
    try:
        r = s.launcher("start")
        f.check(r.returncode == 0, "numavs start: %s%s" % (r.stdout, r.stderr))
        version = s.vsctl("--version").stdout  # the real ovs-vsctl answers
        f.check("Open vSwitch" in version, "ovs-vsctl --version: %r" % version)
        f.eq(s.get("Open_vSwitch", ".", "ovs_version"), '"0.1.0"', "ovs_version")
        with open(os.path.join(s.tmp, "openvswitch", "system-id.conf")) as fh:
            sysid = fh.read().strip()
        f.check(harness.UUID_RE.fullmatch(sysid) is not None, "system-id.conf: %r" % sysid)
        f.eq(s.get("Open_vSwitch", ".", "external_ids:system-id"), '"%s"' % sysid, "system-id")
        f.eq(s.get("Open_vSwitch", ".", "external_ids:rundir"), '"%s"' % s.tmp, "rundir")
        f.eq(s.get("Open_vSwitch", ".", "external_ids:hostname").strip('"'), os.uname().nodename,
             "hostname")
        os_id, os_ver = os_release()
        f.eq(s.get("Open_vSwitch", ".", "system_type").strip('"'), os_id, "system_type")
        f.eq(s.get("Open_vSwitch", ".", "system_version").strip('"'), os_ver, "system_version")
        # dpdk_version at start, before dpdk-init, as ovs-vswitchd.
        f.eq(s.get("Open_vSwitch", ".", "dpdk_initialized"), "false", "dpdk_initialized")
        f.check(re.fullmatch(r'"DPDK 22\.11[.0-9]*"', s.get("Open_vSwitch", ".", "dpdk_version")),
                "dpdk_version before DPDK starts: %r" % s.get("Open_vSwitch", ".", "dpdk_version"))

        r = s.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
        f.check(r.returncode == 0 and r.stderr == "", "add-br: %r" % r.stderr)
        dpid = s.get("Bridge", "br0", "datapath_id")
        f.check(re.fullmatch(r'"[0-9a-f]{16}"', dpid) is not None, "datapath_id: %r" % dpid)
        f.eq(s.get("Bridge", "br0", "datapath_version"), '"<built-in>"', "datapath_version")
        s.vsctl("set", "bridge", "br0", "other_config:hwaddr=00:1b:21:0a:0b:0c")
        f.eq(wait_for(lambda: s.get("Bridge", "br0", "datapath_id"), '"0000001b210a0b0c"'),
             '"0000001b210a0b0c"', "datapath_id from other_config:hwaddr")
        s.vsctl("set", "bridge", "br0", "other_config:datapath-id=00000000cafe0001")
        f.eq(wait_for(lambda: s.get("Bridge", "br0", "datapath_id"), '"00000000cafe0001"'),
             '"00000000cafe0001"', "other_config:datapath-id honoured")
        s.vsctl("set", "bridge", "br0", "other_config:datapath-id=cafe")  # invalid: ignored
        f.eq(wait_for(lambda: s.get("Bridge", "br0", "datapath_id"), '"0000001b210a0b0c"'),
             '"0000001b210a0b0c"', "an invalid datapath-id is ignored")
        s.vsctl("remove", "bridge", "br0", "other_config", "datapath-id", "--",
                "remove", "bridge", "br0", "other_config", "hwaddr")
        f.eq(wait_for(lambda: s.get("Bridge", "br0", "datapath_id"), dpid), dpid,
             "datapath_id back to the default")

        r = s.vsctl("--", "--id=@d", "create", "Datapath", "external_ids:by=test", "--",
                    "set", "Open_vSwitch", ".", "datapaths:netdev=@d")
        f.check(r.returncode == 0, "create Datapath: %r" % r.stderr)
        caps = ""
        end = time.time() + 10
        while "recirc" not in caps and time.time() < end:
            caps = s.vsctl("list-dp-cap", "netdev").stdout
            time.sleep(0.2)
        for want in ("max_vlan_headers=1", "recirc=false", "ct_state=false", "ct_zone=false",
                     "max_mpls_depth=0", "ufid=false"):
            f.check(want in caps.split(), "list-dp-cap netdev lacks %s: %r" % (want, caps))

        r = s.launcher("restart")
        f.check(r.returncode == 0, "numavs restart: %s%s" % (r.stdout, r.stderr))
        s.vsctl("set", "Open_vSwitch", ".", "external_ids:wait=1")  # applied by the new daemon
        f.eq(s.get("Open_vSwitch", ".", "external_ids:system-id"), '"%s"' % sysid,
             "system-id kept across a restart")
        f.eq(s.get("Bridge", "br0", "datapath_id"), dpid, "datapath_id kept across a restart")
        f.check(s.switchd_alive(), "daemons alive")
    finally:
        s.close()
    f.finish("switchd_identity")


if __name__ == "__main__":
    main()
