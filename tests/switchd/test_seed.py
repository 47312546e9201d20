#!/usr/bin/env python3
"""switchd_seed: the seed scenario end to end (../../../shared/seed/).

The simulated two-node machine (tests/fixtures/sysfs/two-node: 1 GiB of 2 MB
hugepages on each node, PCI device 0000:81:00.1 on node 1), the launcher
(`numavs start --sysfs-root=...`) running numavs-db and numavs-switchd in a
private network namespace, and the REAL ovs-vsctl typing the seed's commands.

legacy: dpdk-init=true, dpdk-extra="--legacy-mem", dpdk-socket-mem="1024,0"
  (the seed's DPDK 16.11 behaviour). add-port dpdk0 must not kill the daemon;
  ovs-vsctl reports the error; `get Interface dpdk0 error` is the one line with
  cause and fix; after the fix and the restart the error asks for (done with
  the launcher) the port is up with its pool on NUMA node 1.
dynamic: the same commands with DPDK's default dynamic memory bring the port
  up on node 1 at once.

  test_seed.py --bindir DIR   (numavs, numavs-db, numavs-switchd, numavs-vsctl)
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from system import System, bindir_from_argv  # noqa: E402

FIXTURE = os.path.normpath(os.path.join(HERE, "..", "fixtures", "sysfs", "two-node"))
SEED_ERROR = ('could not allocate 49 MB of packet buffers on NUMA node 1 for dpdk0: node 1 has 0 MB '
              'reserved for DPDK (dpdk-socket-mem="1024,0", legacy memory); run: ovs-vsctl set '
              'Open_vSwitch . other_config:dpdk-socket-mem="1024,1024" (then restart numavs-switchd)')


# WARN/ERR lines each scenario provokes on purpose (see harness.unexpected_log_lines).
SEED_ERROR_RE = r"could not allocate 49 MB of packet buffers on NUMA node 1 for dpdk0: node 1 has 0 MB reserved"
LOG_ALLOW = {
    "legacy": [
        # The seed's failure, which the scenario reproduces: the pool registry's error and the
        # bridge's report of it, when the port is added and when the configuration changes
        # before the restart.
        r"\|numa_pool\|ERR\|" + SEED_ERROR_RE,
        r"\|bridge\|WARN\|bridge br2: " + SEED_ERROR_RE,
        # The fix the error asks for needs the restart the scenario then does.
        r"\|netdev_dpdk\|WARN\|dpdk-socket-mem changed from \"1024,0\" to \"1024,1024\"; it takes effect when "
        r"numavs-switchd restarts",
    ],
    "dynamic": [],  # the port comes up at once: nothing may warn
}


def scenario(f, bindir, legacy):
    kind = "legacy" if legacy else "dynamic"
    s = System(bindir, log_allow=LOG_ALLOW[kind])
    try:
        r = s.launcher("start", "--sysfs-root=" + FIXTURE)
        f.check(r.returncode == 0, "%s: numavs start: %s%s" % (kind, r.stdout, r.stderr))
        conf = ["other_config:dpdk-init=true"]
        if legacy:
            conf += ['other_config:dpdk-extra="--legacy-mem"', 'other_config:dpdk-socket-mem="1024,0"']
        r = s.vsctl("set", "Open_vSwitch", ".", *conf)
        f.check(r.returncode == 0 and r.stderr == "", "%s: dpdk config: %r" % (kind, r.stderr))
        f.eq(s.get("Open_vSwitch", ".", "dpdk_initialized"), "true", "%s: dpdk_initialized" % kind)
        # The seed's commands.
        r = s.vsctl("add-br", "br2", "--", "set", "bridge", "br2", "datapath_type=netdev")
        f.check(r.returncode == 0 and r.stderr == "", "%s: add-br: %r" % (kind, r.stderr))
        r = s.vsctl("add-port", "br2", "dpdk0", "--", "set", "Interface", "dpdk0", "type=dpdk",
                    "options:dpdk-devargs=0000:81:00.1")
        f.check(r.returncode == 0, "%s: add-port rc=%d" % (kind, r.returncode))
        f.check(s.switchd_alive(), "%s: the daemons must survive add-port" % kind)
        if legacy:
            f.check("Error detected while setting up 'dpdk0'" in r.stderr,
                    "legacy: ovs-vsctl should report the error: %r" % r.stderr)
            err = s.vsctl("get", "Interface", "dpdk0", "error")
            f.eq(err.stdout.strip(), '"%s"' % SEED_ERROR.replace('"', '\\"'), "legacy: the one-line error")
            f.eq(s.get("Interface", "dpdk0", "ofport"), "-1", "legacy: failed port ofport")
            r = s.vsctl("--no-wait", "set", "Open_vSwitch", ".", 'other_config:dpdk-socket-mem="1024,1024"')
            f.check(r.returncode == 0, "legacy: the fix: %r" % r.stderr)
            r = s.launcher("restart", "--sysfs-root=" + FIXTURE)
            f.check(r.returncode == 0, "legacy: numavs restart: %s%s" % (r.stdout, r.stderr))
            # Wait for the restarted daemon to apply the database.
            s.vsctl("set", "Open_vSwitch", ".", "external_ids:seed-test=1")
        else:
            f.check(r.stderr == "", "dynamic: add-port should succeed: %r" % r.stderr)
        f.eq(s.get("Interface", "dpdk0", "error"), "[]", "%s: no error after the fix" % kind)
        f.check(s.get("Interface", "dpdk0", "ofport") not in ("-1", "[]"), "%s: port has an ofport" % kind)
        f.eq(s.get("Interface", "dpdk0", "status:numa_id"), '"1"', "%s: port on NUMA node 1" % kind)
        f.eq(s.get("Interface", "dpdk0", "status:mempool_numa_id"), '"1"', "%s: pool on NUMA node 1" % kind)
        mem = s.appctl("memory/show")
        f.check("ports: dpdk0" in mem.stdout and "NUMA node 1" in mem.stdout,
                "%s: memory/show should list the pool of dpdk0: %r" % (kind, mem.stdout))
        s.stop(f)
    finally:
        s.close()


def main():
    harness.require_ovs_tools()
    if os.geteuid() != 0:
        harness.skip("needs root for network namespaces")
    bindir = bindir_from_argv()
    f = harness.Failures()
    scenario(f, bindir, legacy=True)
    scenario(f, bindir, legacy=False)
    f.finish("switchd_seed")


if __name__ == "__main__":
    main()
