#!/usr/bin/env python3
"""switchd_first_day: the first day of an experienced OVS-DPDK operator, played with the real
ovs-vsctl, ovs-appctl (no -t) and ovsdb-client against numavs started by its launcher (in a
private network namespace and run directory; DPDK without hugepages). Each command's exit
status and output are checked against literal expectations:

  numavs start; ovs-vsctl init; dpdk-init; add-br with datapath_type=netdev; a dpdk port
  (net_pcap), two af_packet ports on veths to two hosts, a tap port (net_tap); mtu_request and
  options:n_rxq on the tap port; ovs-vsctl show and list Interface; ping between the hosts;
  get statistics; ovs-ofctl dump-flows; dpctl/dump-flows; fdb/show; dpctl/show;
  coverage/show; pmd-rxq-show; memory/show; ovsdb-client dump, monitor and transact;
  del-port; del-br; numavs stop with no unexpected WARN/ERR in the daemons' logs.

  test_first_day.py --bindir DIR
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from system import DPDK_ENV_ALLOW, System, bindir_from_argv, run, sh  # noqa: E402

LOG_ALLOW = DPDK_ENV_ALLOW + [
    # net_tap in this kernel and the EAL without hugepages say so at WARN.
    r"\|dpdk\|WARN\|",
]


def main():
    harness.require_ovs_tools()
    if os.geteuid() != 0:
        harness.skip("needs root for network namespaces")
    for tool in ("ping", "ethtool", "ovsdb-client"):
        if not shutil.which(tool):
            harness.skip("%s is not installed (scripts/setup.sh installs it)" % tool)
    f = harness.Failures()
    s = System(bindir_from_argv(), log_allow=LOG_ALLOW)
    work = tempfile.mkdtemp(prefix="numavs-first-day-")
    monitor = None

    def cmd(*argv, rc=0, out=None, err="", timeout=30):
        """Runs an operator's command; checks status, stdout (when given) and stderr."""
        r = run(list(argv), env=s.env, check=False, timeout=timeout)
        what = " ".join(argv)
        f.check(r.returncode == rc, "%s: status %d, want %d (stderr %r)" % (what, r.returncode, rc, r.stderr))
        if out is not None:
            f.eq(r.stdout, out, what)
        if err is not None:
            f.eq(r.stderr, err, what + " (stderr)")
        return r

    def vsctl(*args, **kw):
        return cmd("ovs-vsctl", "--timeout=20", *args, **kw)

    def appctl(*args, **kw):
        return cmd("ovs-appctl", *args, **kw)

    try:
        nsa, nsb = s.add_hosts()
        with open(os.path.join(work, "empty.pcap"), "wb") as fp:
            fp.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        r = s.launcher("start")
        f.check("Starting numavs-db" in r.stdout or r.stdout != "", "numavs start: %r" % r.stdout)
        vsctl("init", out="")
        s.prefix = "numavs-" + s.tag
        vsctl("set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
              'other_config:dpdk-extra="--no-huge -m 512 --no-pci --file-prefix=%s"' % s.prefix, out="")
        harness.wait_until(lambda: s.get("Open_vSwitch", ".", "dpdk_initialized") == "true",
                           "dpdk_initialized", timeout=20)
        vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev", out="")
        pcap = "net_pcap0,rx_pcap=%s/empty.pcap,tx_pcap=%s/out.pcap" % (work, work)
        vsctl("add-port", "br0", "dpdk0", "--", "set", "Interface", "dpdk0", "type=dpdk",
              "options:dpdk-devargs=" + pcap, out="")
        for i, peer in enumerate(s.peers):
            vsctl("add-port", "br0", "p%d" % i, "--", "set", "Interface", "p%d" % i, "type=dpdk",
                  "options:dpdk-devargs=net_af_packet%d,iface=%s" % (i, peer), out="")
        tap_if = "fdtap" + s.tag
        vsctl("add-port", "br0", "tap0", "--", "set", "Interface", "tap0", "type=dpdk",
              "options:dpdk-devargs=net_tap0,iface=" + tap_if, out="")
        vsctl("set", "Interface", "tap0", "mtu_request=1400", "options:n_rxq=2", out="")
        vsctl("get", "Interface", "tap0", "mtu", out="1400\n")
        vsctl("get", "Interface", "tap0", "status:n_rxq", out='"2"\n')
        r = sh("ip", "-n", s.netns, "link", "show", tap_if)
        f.check(" mtu 1400 " in r.stdout, "the kernel sees tap0's MTU: %r" % r.stdout)

        show = vsctl("show").stdout
        for want in ("    Bridge br0\n        datapath_type: netdev\n",
                     '        Port dpdk0\n            Interface dpdk0\n                type: dpdk\n'
                     '                options: {dpdk-devargs="%s"}\n' % pcap,
                     '        Port p0\n            Interface p0\n                type: dpdk\n'
                     '                options: {dpdk-devargs="net_af_packet0,iface=%s"}\n' % s.peers[0],
                     "        Port br0\n            Interface br0\n                type: internal\n"):
            f.check(want in show, "ovs-vsctl show has %r:\n%s" % (want, show))
        f.check("error:" not in show, "ovs-vsctl show reports no error:\n%s" % show)
        f.check(re.search(r'    ovs_version: "[^"]+"\n', show) is not None, "ovs_version in show:\n%s" % show)
        want = "".join("%-20s: %s\n" % kv for kv in (("name", "p0"), ("type", "dpdk"), ("admin_state", "up"),
                                                     ("link_state", "up"), ("error", "[]")))
        harness.wait_until(lambda: s.get("Interface", "p0", "link_state") == "up", "p0 link up")
        vsctl("--columns=name,type,admin_state,link_state,error", "list", "Interface", "p0", out=want)

        r = sh("ip", "netns", "exec", nsa, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.0.0.2", check=False)
        f.check(r.returncode == 0, "ping host a -> host b through br0:\n%s" % r.stdout)
        harness.wait_until(lambda: int(s.get("Interface", "p0", "statistics:rx_packets")) >= 3,
                           "statistics:rx_packets of p0", timeout=15)
        r = vsctl("get", "Interface", "p0", "statistics:rx_packets")
        f.check(re.fullmatch(r"\d+\n", r.stdout) is not None, "statistics:rx_packets: %r" % r.stdout)

        r = cmd("ovs-ofctl", "dump-flows", "br0")
        f.check(re.fullmatch(r"NXST_FLOW reply \(xid=0x[0-9a-f]+\):\n cookie=0x0, duration=[\d.]+s, table=0, n_packets=\d+, n_bytes=\d+, "
                             r"priority=0 actions=NORMAL\n", r.stdout) is not None, "ovs-ofctl dump-flows: %r" % r.stdout)
        p0, p1 = s.get("Interface", "p0", "ofport"), s.get("Interface", "p1", "ofport")
        mac_a = sh("ip", "-n", nsa, "-br", "link", "show", "h%s%s" % ("a", s.tag)).stdout.split()[2]
        r = appctl("dpctl/dump-flows")
        f.check(re.search(r"\nin_port\(%s\),eth\(src=%s,dst=[0-9a-f:]+\).*, packets:\d+, bytes:\d+, "
                          r"used:[\d.]+s, actions:%s\n" % (p0, mac_a, p1), r.stdout) is not None,
                "dpctl/dump-flows: %r" % r.stdout)
        r = appctl("fdb/show", "br0")
        f.check(r.stdout.startswith(" port  VLAN  MAC                Age\n") and
                re.search(r"\n%5s     0  %s +\d+\n" % (p0, mac_a), r.stdout) is not None,
                "fdb/show: %s learned on %s: %r" % (mac_a, p0, r.stdout))
        r = appctl("dpctl/show")
        for name, typ in (("dpdk0", "dpdk"), ("p0", "dpdk"), ("p1", "dpdk"), ("tap0", "dpdk"), ("br0", "tap")):
            f.check(re.search(r"\n  port \d+: %s \(%s[:)]" % (name, typ), r.stdout) is not None,
                    "dpctl/show lists %s: %r" % (name, r.stdout))
        f.check(r.stdout.startswith("netdev@ovs-netdev:\n  lookups: hit:"), "dpctl/show: %r" % r.stdout)
        r = appctl("coverage/show")
        f.check(r.stdout.startswith("Event coverage, avg rate over last: 5 seconds, last minute, last hour,  hash=")
                and re.search(r"\nbridge_reconfigure .*total: \d+\n", r.stdout) is not None,
                "coverage/show: %r" % r.stdout)
        r = appctl("dpif-netdev/pmd-rxq-show")
        f.check(re.match(r"Displaying last 60 seconds pmd usage %\npmd thread numa_id \d+ core_id \d+:\n", r.stdout) is not None and
                all(re.search(r"\n  port: %s +queue-id: +%d " % (p, q), r.stdout)
                    for p, q in (("p0", 0), ("p1", 0), ("tap0", 0), ("tap0", 1), ("dpdk0", 0))),
                "pmd-rxq-show: %r" % r.stdout)
        r = appctl("memory/show")
        f.check(r.stdout.strip() != "", "memory/show: %r" % r.stdout)

        r = cmd("ovsdb-client", "dump", "Open_vSwitch", "Bridge", "name", "datapath_type")
        f.check(r.stdout.startswith("Bridge table\n") and re.search(r"\nnetdev +br0 *\n", r.stdout) is not None,
                "ovsdb-client dump: %r" % r.stdout)
        monitor = subprocess.Popen(["ovsdb-client", "monitor", "Open_vSwitch", "Bridge", "name"], env=s.env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = []
        deadline = time.monotonic() + 15
        while not any(re.search(r"\binitial +br0\b", ln) for ln in lines) and time.monotonic() < deadline:
            lines.append(monitor.stdout.readline())
        vsctl("add-br", "br1", "--", "set", "bridge", "br1", "datapath_type=netdev", out="")
        while not any(re.search(r"\binsert +br1\b", ln) for ln in lines) and time.monotonic() < deadline:
            lines.append(monitor.stdout.readline())
        f.check(any(re.search(r"\ninitial +br0\b|^[0-9a-f-]{36} +initial +br0\b", ln) for ln in lines) and
                any(re.search(r"^[0-9a-f-]{36} +insert +br1\b", ln) for ln in lines),
                "ovsdb-client monitor saw br0 then br1's insert: %r" % lines)
        monitor.kill()
        monitor.wait()
        monitor = None
        cmd("ovsdb-client", "transact",
            '["Open_vSwitch",{"op":"select","table":"Bridge","where":[["name","==","br0"]],'
            '"columns":["datapath_type","name"]}]',
            out='[{"rows":[{"datapath_type":"netdev","name":"br0"}]}]\n')

        vsctl("del-port", "br0", "dpdk0", out="")
        vsctl("list-ports", "br0", out="p0\np1\ntap0\n")
        appctl("ofproto/list", out="br0\nbr1\n")
        vsctl("del-br", "br1", out="")
        vsctl("del-br", "br0", out="")
        vsctl("list-br", out="")
        appctl("ofproto/list", out="")
        r = appctl("dpctl/show")
        f.check(" port " not in r.stdout, "dpctl/show after del-br: %r" % r.stdout)
        f.check(s.switchd_alive(), "daemons alive")
        s.stop(f)
        f.check(not os.path.exists("/var/run/dpdk/" + s.prefix), "EAL runtime dir left behind")
    finally:
        if monitor:
            monitor.kill()
            monitor.wait()
        s.close()
        subprocess.run(["rm", "-rf", work])
    f.finish("switchd_first_day")


if __name__ == "__main__":
    main()
