#!/usr/bin/env python3
"""switchd_vhost_flags: other_config:vhost-iommu-support and vhost-postcopy-support, as in OVS.

Both are read once, when DPDK starts (numavs-switchd's dpdk_init), and decide the flags a
vhost-user socket is registered with (RTE_VHOST_USER_IOMMU_SUPPORT,
RTE_VHOST_USER_POSTCOPY_SUPPORT). What each port reports is read back from librte_vhost
after registration (the VIRTIO_F_IOMMU_PLATFORM feature bit and the PAGEFAULT protocol
feature it then offers), in Interface.status vhost_iommu_support / vhost_postcopy_support,
and the driver's settings head `ovs-appctl vhost/show`; the daemon logs them at start.

1. Both true at DPDK start: a dpdkvhostuser port says true/true; vhost/show says so.
2. vhost-iommu-support=false while running: logged as needing a restart; nothing changes.
3. Restart numavs-switchd with --mlockall (post-copy still asked for): post-copy is refused
   (ERR in the log, the status says why and the fix), IOMMU now false.
4. An invalid value ("yes"): a WARN naming the key, the status says false and why.

  test_vhost_flags.py --bindir DIR
"""
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from system import DPDK_ENV_ALLOW, System, bindir_from_argv  # noqa: E402

LOG_ALLOW = [
    # Step 2: the change needs a restart, which the daemon says.
    r"\|netdev_dpdk\|WARN\|vhost-iommu-support changed from \"true\" to \"false\"; it takes effect when "
    r"numavs-switchd restarts",
    # Step 3: post-copy and --mlockall together are refused, as OVS refuses them.
    r"\|netdev_dpdk\|ERR\|vhost-user post-copy support refused: other_config:vhost-postcopy-support=true "
    r"and --mlockall",
    # Step 4: the invalid value (set while running: the restart note first).
    r"\|netdev_dpdk\|WARN\|vhost-postcopy-support changed from \"true\" to \"yes\"; it takes effect when "
    r"numavs-switchd restarts",
    r"\|netdev_dpdk\|WARN\|other_config:vhost-postcopy-support=\"yes\" is invalid \(true or false\)",
] + DPDK_ENV_ALLOW


def wait_for(fn, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.25)
    return None


def main():
    harness.require_ovs_tools()
    if os.geteuid() != 0:
        harness.skip("needs root for network namespaces and DPDK")
    bindir = bindir_from_argv()
    f = harness.Failures()
    s = System(bindir, log_allow=LOG_ALLOW)
    try:
        s.prefix = "numavs-" + s.tag
        s.launcher("start")
        s.vsctl("set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
                'other_config:dpdk-extra="--no-huge -m 512 --no-pci --file-prefix=%s"' % s.prefix,
                "other_config:vhost-iommu-support=true", "other_config:vhost-postcopy-support=true")
        s.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
        r = s.vsctl("add-port", "br0", "vhs0", "--", "set", "Interface", "vhs0", "type=dpdkvhostuser")
        f.check(r.returncode == 0 and r.stderr == "", "add-port vhs0: %r" % r.stderr)

        def keys():
            st = s.get("Interface", "vhs0", "status")
            out = []
            for k in ("vhost_iommu_support", "vhost_postcopy_support"):
                m = re.search(r'%s=("(?:[^"\\]|\\.)*"|[^,}]*)' % k, st)
                out.append(m.group(1).strip('"') if m else "")
            return tuple(out)

        # 1. Both on.
        got = wait_for(lambda: keys() if keys()[0] != "" else None) or keys()
        f.eq(got, ("true", "true"), "both asked for at DPDK start")
        show = s.appctl("vhost/show").stdout
        f.check(show.startswith("vhost-user driver: IOMMU support true, post-copy support true\n"),
                "vhost/show: %r" % show)
        log = s.log()
        f.check("vhost-user IOMMU support enabled" in log and "vhost-user post-copy support enabled" in log,
                "the start-up log should say both are enabled:\n" + log[-2000:])

        # 2. A live change needs a restart: said, and nothing changes.
        s.vsctl("set", "Open_vSwitch", ".", "other_config:vhost-iommu-support=false")
        f.check(wait_for(lambda: "vhost-iommu-support changed from" in s.log()),
                "no restart note for vhost-iommu-support")
        f.eq(keys(), ("true", "true"), "a live change takes effect at restart only")

        # 3. Restart with --mlockall: post-copy refused, IOMMU now off.
        s.launcher("stop", "--no-db")
        s.launcher("start", "--", "--mlockall")
        s.vsctl("set", "Open_vSwitch", ".", "external_ids:flags-test=1")  # wait for the new daemon
        got = wait_for(lambda: keys() if keys()[0] == "false" else None) or keys()
        f.eq(got[0], "false", "IOMMU after the restart")
        f.check(got[1].startswith("false (not available: numavs-switchd runs with --mlockall") and
                "restart it without --mlockall" in got[1], "post-copy with --mlockall: %r" % got[1])
        locked = [ln for ln in open("/proc/%s/status" % open(os.path.join(s.tmp, "numavs-switchd.pid"))
                                    .read().strip()) if ln.startswith("VmLck")]
        f.check(locked and int(locked[0].split()[1]) > 0, "--mlockall did not lock memory: %s" % locked)
        f.check("post-copy support refused" in s.log(), "no ERR line for post-copy with --mlockall")

        # 4. An invalid value: a warning and the status says so.
        s.vsctl("set", "Open_vSwitch", ".", "other_config:vhost-postcopy-support=yes")
        s.launcher("stop", "--no-db")
        s.launcher("start")
        s.vsctl("set", "Open_vSwitch", ".", "external_ids:flags-test=2")
        got = wait_for(lambda: keys() if "yes" in keys()[1] else None) or keys()
        f.check(got[1].startswith('false (other_config:vhost-postcopy-support=\\"yes\\" is not true or false'),
                "invalid value: %r" % got[1])
        s.vsctl("del-port", "br0", "vhs0")
        s.stop(f)
    finally:
        s.close()
    f.finish("switchd_vhost_flags")


if __name__ == "__main__":
    main()
