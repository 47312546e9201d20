#!/usr/bin/env python3
"""switchd_appctl_dp: the datapath and device commands of ovs-appctl, as OVS 3.1 names and
prints them, through the real ovs-appctl with no -t (numavs in a private namespace, DPDK
without hugepages):
  * before DPDK starts, memory/show answers (and says DPDK is not initialized); an unknown
    command gets OVS's error text and ovs-appctl's status 2;
  * after 8 frames from a net_pcap port p0 (flow NORMAL): dpctl/show counts the lookups
    (hit + missed >= 8, missed >= 1, lost 0), flows and masks, lists the ports with their
    datapath numbers (= ofport), types and queue configuration, -s their counters;
    dpctl/dump-flows prints port numbers under a "flow-dump from pmd" header, -m names,
    a ufid, every field with its mask and dp:ovs; a datapath argument other than
    netdev@ovs-netdev is an error; upcall/show counts the megaflows;
  * coverage/show and coverage/read-counter show real counts (upcalls, reconfigurations,
    ports added, transactions), on numavs-db too (-t ovsdb-server);
  * netdev-dpdk/set-admin-state n0 down stops a net_null port's traffic (its rx counter and
    the output port's tx counter stop; admin_state "down"), up restarts it;
  * netdev-dpdk/detach refuses a device an interface uses, succeeds after del-port.

  test_appctl_dp.py --bindir DIR
"""
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from system import DPDK_ENV_ALLOW, System, bindir_from_argv, run  # noqa: E402


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000, i, len(fr), len(fr)))
            f.write(fr)


def udp_frame(i):
    udp = struct.pack("!HHHH", 1000, 2000, 26, 0) + bytes(18)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + udp
    return bytes.fromhex("020000000002") + bytes.fromhex("020000000001") + b"\x08\x00" + ip


def main():
    harness.require_ovs_tools()
    if os.geteuid() != 0:
        harness.skip("needs root for network namespaces")
    f = harness.Failures()
    s = System(bindir_from_argv(), log_allow=DPDK_ENV_ALLOW)
    work = tempfile.mkdtemp(prefix="numavs-appctl-dp-")

    def appctl(*args, check=True, target=None):
        t = ["-t", target] if target else []
        return run(["ovs-appctl"] + t + list(args), env=s.env, check=check, timeout=20)

    try:
        write_pcap(os.path.join(work, "in.pcap"), [udp_frame(i) for i in range(8)])
        write_pcap(os.path.join(work, "empty.pcap"), [])
        s.launcher("start")
        r = appctl("memory/show")
        f.check("DPDK is not initialized" in r.stdout, "memory/show before DPDK: %r" % r.stdout)
        r = appctl("no-such-command", check=False)
        f.check(r.returncode == 2 and r.stderr ==
                '"no-such-command" is not a valid command (use "list-commands" to see a list of valid '
                'commands)\novs-appctl: ovs-vswitchd: server returned an error\n',
                "unknown command: rc=%d %r" % (r.returncode, r.stderr))
        s.start_dpdk()
        s.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
        s.vsctl("add-port", "br0", "p1", "--", "set", "Interface", "p1", "type=dpdk",
                "options:dpdk-devargs=net_pcap1,rx_pcap=%s/empty.pcap,tx_pcap=%s/out1.pcap" % (work, work))
        s.vsctl("add-port", "br0", "p0", "--", "set", "Interface", "p0", "type=dpdk",
                "options:dpdk-devargs=net_pcap0,rx_pcap=%s/in.pcap,tx_pcap=%s/out0.pcap" % (work, work))
        p0, p1 = s.get("Interface", "p0", "ofport"), s.get("Interface", "p1", "ofport")
        harness.wait_until(lambda: "packets:8" in appctl("dpctl/dump-flows").stdout,
                           "the flow from p0 with 8 packets", timeout=20)

        show = appctl("dpctl/show").stdout
        m = re.match(r"netdev@ovs-netdev:\n  lookups: hit:(\d+) missed:(\d+) lost:0\n  flows: (\d+)\n"
                     r"  masks: hit:(\d+) total:(\d+) hit/pkt:[\d.]+\n", show)
        f.check(m is not None, "dpctl/show header: %r" % show)
        if m:
            hit, missed, flows, mask_hit, masks = map(int, m.groups())
            f.check(hit + missed >= 8 and missed >= 1 and flows >= 1 and masks >= 1 and mask_hit >= 1,
                    "dpctl/show counts: %r" % show)
        f.check(re.search(r"\n  port %s: p0 \(dpdk: configured_rx_queues=1, configured_rxq_descriptors=2048, "
                          r"configured_tx_queues=\d+, configured_txq_descriptors=2048, mtu=1500, "
                          r"requested_rx_queues=1, .*rx_csum_offload=(true|false)\)\n" % p0, show) is not None,
                "dpctl/show port p0 (%s): %r" % (p0, show))
        f.check(re.search(r"\n  port \d+: br0 \(tap", show) is not None, "dpctl/show br0: %r" % show)
        r = appctl("dpctl/show", "-s", "netdev@ovs-netdev")
        f.check(re.search(r"p0 \(dpdk.*\n    RX packets:8 errors:\d+ dropped:\d+ overruns:\? frame:\?\n"
                          r"    TX packets:\d+ errors:\d+ dropped:\? aborted:\? carrier:\?\n"
                          r"    collisions:\?\n    RX bytes:\d+  TX bytes:\d+", r.stdout) is not None,
                "dpctl/show -s: %r" % r.stdout)
        r = appctl("dpctl/show", "system@ovs-system", check=False)
        f.check(r.returncode == 2 and "opening datapath system@ovs-system failed (No such device)" in r.stderr,
                "dpctl/show of another datapath: %r" % r.stderr)

        dump = appctl("dpctl/dump-flows").stdout
        f.check(re.match(r"flow-dump from pmd on cpu core: \d+\n", dump) is not None
                and re.search(r"\nin_port\(%s\),eth\(src=02:00:00:00:00:01,dst=02:00:00:00:00:02\)"
                              r".*, packets:8, bytes:\d+, used:[\d.]+s, actions:(\d+,)*%s\b" % (p0, p1),
                              dump) is not None,
                "dpctl/dump-flows (port numbers): %r" % dump)
        dump = appctl("dpctl/dump-flows", "-m", "netdev@ovs-netdev").stdout
        f.check(re.search(r"\nufid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}, "
                          r"in_port\(p0\),eth\(src=02:00:00:00:00:01,dst=02:00:00:00:00:02\),vlan\(tci=0/0x1fff\),"
                          r"eth_type\(0/0\), packets:8, bytes:\d+, used:[\d.]+s, dp:ovs, actions:p1,br0\n", dump)
                is not None,
                "dpctl/dump-flows -m: %r" % dump)
        r = appctl("dpctl/dump-flows", "nosuch", check=False)
        f.check(r.returncode == 2 and "datapath not found" in r.stderr, "dump-flows nosuch: %r" % r.stderr)
        f.eq(appctl("dpctl/dump-flows", "type=offloaded").stdout, "", "dump-flows type=offloaded")
        r = appctl("dpctl/dump-flows", "-x", check=False)
        f.check(r.returncode == 2 and "Unrecognized option -x" in r.stderr, "dump-flows -x: %r" % r.stderr)
        f.eq(appctl("dpctl/dump-dps").stdout, "netdev@ovs-netdev\n", "dpctl/dump-dps")

        up = appctl("upcall/show").stdout
        m = re.match(r"netdev@ovs-netdev:\n  flows         : \(current (\d+)\) \(avg \d+\) \(max (\d+)\) "
                     r"\(limit \d+\)\n  dump duration : \d+ms\n  ufid enabled : true\n\n(  \d+: \(keys \d+\)\n)+$", up)
        f.check(m is not None and int(m.group(1)) >= 1 and int(m.group(2)) >= 1, "upcall/show: %r" % up)

        cov = appctl("coverage/show").stdout
        f.check(cov.startswith("Event coverage, avg rate over last: 5 seconds, last minute, last hour,  hash="),
                "coverage/show header: %r" % cov)
        for name, least in (("xlate_actions", 1), ("dpif_flow_put", 1), ("bridge_reconfigure", 2),
                            ("dpif_port_add", 3), ("txn_success", 1), ("unixctl_received", 5)):
            m = re.search(r"\n%s +[\d.]+/sec +[\d.]+/sec +[\d.]+/sec   total: (\d+)\n" % name, cov)
            f.check(m is not None and int(m.group(1)) >= least, "coverage/show %s >= %d: %r" % (name, least, cov))
        f.check(re.search(r"\n\d+ events never hit\n$", cov) is not None, "coverage/show tail: %r" % cov)
        n = appctl("coverage/read-counter", "dpif_flow_put").stdout
        f.check(re.fullmatch(r"[1-9]\d*\n", n) is not None, "coverage/read-counter: %r" % n)
        r = appctl("coverage/read-counter", "nosuch", check=False)
        f.check(r.returncode == 2 and r.stderr.startswith("No such counter\n"), "read-counter nosuch: %r" % r.stderr)
        r = appctl("coverage/show", target="ovsdb-server")
        f.check(re.search(r"\nunixctl_received .*total: [1-9]", r.stdout) is not None,
                "numavs-db coverage/show: %r" % r.stdout)

        # Admin state: n0 (net_null, endless packets) -> n1 by a flow; down stops the traffic.
        s.vsctl("add-br", "br2", "--", "set", "bridge", "br2", "datapath_type=netdev")
        for i in (0, 1):
            s.vsctl("add-port", "br2", "n%d" % i, "--", "set", "Interface", "n%d" % i, "type=dpdk",
                    "options:dpdk-devargs=net_null%d" % i)
        s.ofctl("del-flows", "br2")
        s.ofctl("add-flow", "br2", "in_port=n0,actions=output:n1")

        def counters():
            t = appctl("dpctl/show", "-s").stdout
            rx = re.search(r": n0 \(dpdk.*\n    RX packets:(\d+)", t)
            tx = re.search(r": n1 \(dpdk.*\n.*\n    TX packets:(\d+)", t)
            return int(rx.group(1)), int(tx.group(1))

        harness.wait_until(lambda: counters()[1] > 1000, "n1 sends what n0 receives", timeout=15)
        r = appctl("netdev-dpdk/set-admin-state", "n0", "down")
        f.eq(r.stdout, "OK", "set-admin-state n0 down")
        harness.wait_until(lambda: s.get("Interface", "n0", "admin_state") == "down", "admin_state down")
        a = counters()
        time.sleep(0.5)
        b = counters()
        f.check(a == b, "no traffic while n0 is down: %s then %s" % (a, b))
        f.eq(s.get("Interface", "n1", "admin_state"), "up", "n1 stays up")
        appctl("netdev-dpdk/set-admin-state", "n0", "up")
        harness.wait_until(lambda: counters()[1] > b[1] + 1000, "traffic again once n0 is up", timeout=15)
        harness.wait_until(lambda: s.get("Interface", "n0", "admin_state") == "up", "admin_state up")
        r = appctl("netdev-dpdk/set-admin-state", "br0", "down", check=False)
        f.check(r.returncode == 2 and r.stderr.startswith("Not a DPDK Interface\n"), "admin-state br0: %r" % r.stderr)
        r = appctl("netdev-dpdk/set-admin-state", "n0", "sideways", check=False)
        f.check(r.returncode == 2 and r.stderr.startswith("Invalid Admin State\n"), "admin-state bad: %r" % r.stderr)

        r = appctl("netdev-dpdk/detach", "net_null1", check=False)
        f.check(r.returncode == 2 and r.stderr.startswith(
            "Device 'net_null1' is being used by the following interfaces: n1. Remove them before detaching.\n"),
            "detach while used: %r" % r.stderr)
        s.vsctl("del-port", "br2", "n1")
        r = appctl("netdev-dpdk/detach", "net_null1")
        f.eq(r.stdout, "All devices shared with device 'net_null1' have been detached", "detach after del-port")
        r = appctl("netdev-dpdk/detach", "net_nosuch9", check=False)
        f.check(r.returncode == 2 and r.stderr.startswith("Device 'net_nosuch9' not found in DPDK\n"),
                "detach unknown: %r" % r.stderr)
        f.check(s.switchd_alive(), "daemons alive")
        s.stop(f)
    finally:
        s.close()
        subprocess.run(["rm", "-rf", work])
    f.finish("switchd_appctl_dp")


if __name__ == "__main__":
    main()
