#!/usr/bin/env python3
"""switchd_vhost_mq: a guest with two queue pairs (testpmd virtio-user queues=2, --rxq=2 --txq=2).

numavs-switchd learns the queue pairs from the guest: Interface.status n_rxq says 2,
`dpif-netdev/pmd-rxq-show` lists queues 0 and 1 of the port. Two PMDs (pmd-cpu-mask=0x3)
and the flow in_port=vhu0,actions=in_port make a loop: testpmd (mac forwarding) starts with
a burst on each of its tx queues (start tx_first); each frame comes back to the guest on the
tx queue of the PMD that received it. Both queues carry traffic: the port's rx_q0/rx_q1 and
testpmd's rx_q0/rx_q1 counters are all non-zero.

  test_vhost_mq.py --bindir DIR
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
from system import DPDK_ENV_ALLOW, System, bindir_from_argv, sh  # noqa: E402
from test_vhost import NR_HUGE, PAGES, Guest, wait_for  # noqa: E402

LOG_ALLOW = [
    # librte_vhost as client retries until testpmd's socket exists.
    r"\|dpdk\|WARN\|VHOST_CONFIG: \(\S+\) failed to connect: No such file or directory",
] + DPDK_ENV_ALLOW


def main():
    harness.require_ovs_tools()
    if os.geteuid() != 0:
        harness.skip("needs root for hugepages, mounts and network namespaces")
    if not shutil.which("dpdk-testpmd"):
        harness.skip("dpdk-testpmd is not installed (Debian package dpdk; scripts/setup.sh installs it)")
    if not os.path.exists(NR_HUGE):
        harness.skip("the kernel has no 2 MB hugepages")
    bindir = bindir_from_argv()
    f = harness.Failures()
    s = System(bindir, log_allow=LOG_ALLOW)
    old_pages = int(open(NR_HUGE).read())
    hugedir = os.path.join(s.tmp, "huge")
    mounted = False
    guest = None
    try:
        with open(NR_HUGE, "w") as h:
            h.write(str(old_pages + PAGES))
        if int(open(NR_HUGE).read()) < old_pages + PAGES:
            raise AssertionError("could not reserve %d 2 MB hugepages" % PAGES)
        os.makedirs(hugedir)
        sh("mount", "-t", "hugetlbfs", "-o", "pagesize=2M", "nodev", hugedir)
        mounted = True
        sock = os.path.join(s.tmp, "vhu0.sock")
        s.start_dpdk()
        s.vsctl("set", "Open_vSwitch", ".", "other_config:pmd-cpu-mask=0x3")
        s.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
        s.vsctl("add-port", "br0", "vhu0", "--", "set", "Interface", "vhu0", "type=dpdkvhostuserclient",
                "options:vhost-server-path=%s" % sock)
        s.ofctl("add-flow", "br0", "in_port=vhu0,actions=in_port")
        guest = Guest(s.tmp, s.tag, sock, "02:00:00:00:00:01", hugedir, queues=2)

        def status():
            return s.get("Interface", "vhu0", "status")
        ok = wait_for("2 queues", lambda: 'n_rxq="2"' in status() and "status=connected" in status()
                      or guest.p.poll() is not None, timeout=30)
        f.check(ok and guest.p.poll() is None, "vhu0 should be connected with n_rxq 2: %s\n%s"
                % (status(), guest.text()[-2000:]))
        rxq = s.appctl("dpif-netdev/pmd-rxq-show").stdout
        for q in (0, 1):
            f.check(re.search(r"port: vhu0\s+queue-id:\s+%d" % q, rxq), "pmd-rxq-show lacks queue %d: %s" % (q, rxq))
        guest.cmd("start tx_first")
        time.sleep(2)
        guest.cmd("stop")
        time.sleep(0.5)

        def port_q():
            m = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", s.get("Interface", "vhu0", "statistics"))}
            return m if m.get("rx_q0_good_packets", 0) > 0 and m.get("rx_q1_good_packets", 0) > 0 else None
        m = wait_for("stats", port_q, timeout=12)
        f.check(m is not None, "both rx queues of vhu0 should count packets: %s"
                % s.get("Interface", "vhu0", "statistics"))
        before = guest.text().count("rx_q1_good_packets")
        guest.cmd("show port xstats 0")
        wait_for("xstats", lambda: guest.text().count("rx_q1_good_packets") > before, timeout=5)
        t = guest.text()
        gq = {q: int(re.findall(r"rx_q%d_good_packets:\s+(\d+)" % q, t)[-1]) if
              re.findall(r"rx_q%d_good_packets:\s+(\d+)" % q, t) else 0 for q in (0, 1)}
        f.check(gq[0] > 0 and gq[1] > 0, "the guest should receive on both queues: %s" % gq)
        print("vhu0 rx per queue: %s, %s; guest rx per queue: %d, %d" %
              ((m or {}).get("rx_q0_good_packets"), (m or {}).get("rx_q1_good_packets"), gq[0], gq[1]))
        guest.stop()
        guest = None
        s.vsctl("del-port", "br0", "vhu0")
        s.stop(f)
    finally:
        if guest:
            guest.stop()
        if mounted:
            subprocess.run(["umount", hugedir])
        s.close()
        try:
            with open(NR_HUGE, "w") as h:
                h.write(str(old_pages))
        except OSError as e:
            print("could not give back hugepages: %s" % e)
    f.finish("switchd_vhost_mq")


if __name__ == "__main__":
    main()
