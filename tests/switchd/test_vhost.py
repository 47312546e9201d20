#!/usr/bin/env python3
"""switchd_vhost: a guest behind a dpdkvhostuserclient port, with the kernel as the other peer.

The "VM" is dpdk-testpmd with net_virtio_user0 as vhost-user SERVER (server=1) on
2 MB hugepages (a private hugetlbfs, --single-file-segments); numavs-switchd is the
client (Interface type dpdkvhostuserclient, options:vhost-server-path). The
bridge's other port is net_af_packet on a veth whose peer is in namespace "a".
testpmd forwards in `mac` mode with its peer address set to host a's MAC, so every
frame host a sends (to an unknown MAC: NORMAL floods it to the guest) comes back to
host a through NORMAL. Checked packet for packet: testpmd's RX/TX counters, the
port's Interface.statistics (tx_packets/rx_packets) and the frames host a gets
back are all N; the status columns (mode, status, socket, numa, features,
num_of_vrings, vring sizes, mempool). Then: kill -9 numavs-switchd and start it
again with testpmd running: traffic resumes with no command to the guest;
restart testpmd: the port goes disconnected, then connected, and forwards again.
Bad options (no path, missing directory, not a socket, tx-retries-max=33, a path
another port uses) give their errors while the good port keeps forwarding. Then
server mode (dpdkvhostuser): numavs listens on $OVS_RUNDIR/vsock/vhs0
(other_config:vhost-sock-dir=vsock), testpmd connects as client, forwards both
ways, quits (disconnected) and a new testpmd connects and forwards; del-port
removes the socket.

Hugepages reserved here are given back, the hugetlbfs is unmounted, testpmd is
stopped by pid.

  test_vhost.py --bindir DIR
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from system import DPDK_ENV_ALLOW, System, bindir_from_argv, sh  # noqa: E402

NR_HUGE = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
PAGES = 160  # 320 MB: testpmd's -m 256 plus slack
N = 500      # frames per round
LOG_ALLOW = [
    # The five bad ports of step 2, each refused with its error.
    r"\|bridge\|WARN\|bridge br0: could not open network device bad[1-5]: ",
    # librte_vhost as client retries while the guest's socket is absent (guest restarts).
    r"\|dpdk\|WARN\|VHOST_CONFIG: \(\S+\) failed to connect: No such file or directory",
    # After numavs-switchd is killed mid-traffic, the new one finds the rings ahead of it.
    r"\|dpdk\|WARN\|VHOST_CONFIG: \(\S+\) last_used_idx \(\d+\) and vq->used->idx \(\d+\) mismatches",
    r"\|dpdk\|WARN\|VHOST_CONFIG: \(\S+\) some packets maybe resent for Tx and dropped for Rx",
] + DPDK_ENV_ALLOW
ETHERTYPE = 0x88B5

# Sends N frames of ETHERTYPE from IFACE to an unknown MAC and counts those that come
# back addressed to IFACE (testpmd in mac mode rewrites dst to --eth-peer).
PEER_SCRIPT = r"""
import socket, struct, sys, time
iface, n, etype = sys.argv[1], int(sys.argv[2]), int(sys.argv[3], 16)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(etype))
s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE: keep every frame until read
s.bind((iface, etype))
mac = s.getsockname()[4]
s.settimeout(0.2)
got = 0
for i in range(n):
    s.send(bytes.fromhex("020000000099") + mac + struct.pack("!HI", etype, i) + bytes(50))
    if i % 50 == 49:
        time.sleep(0.01)
deadline = time.time() + 3
while time.time() < deadline:
    try:
        f, addr = s.recvfrom(2048)
    except socket.timeout:
        continue
    if addr[2] == socket.PACKET_HOST and f[12:14] == struct.pack("!H", etype):
        got += 1
print(got)
"""


class Guest:
    """dpdk-testpmd as a virtio-user guest, serving the vhost-user socket."""

    def __init__(self, tmp, tag, sock, peer_mac, hugedir, server=True, queues=1):
        self.out_path = os.path.join(tmp, "testpmd-%d.out" % int(time.time() * 1000))
        self.out = open(self.out_path, "w")
        self.prefix = "vguest-" + tag
        cmd = ["stdbuf", "-o0", "dpdk-testpmd", "-l", "0,1", "--no-pci", "--file-prefix", self.prefix,
               "--huge-dir", hugedir, "--single-file-segments", "-m", "256",
               "--vdev=net_virtio_user0,path=%s,server=%d,queues=%d" % (sock, int(server), queues), "--",
               "-i", "--forward-mode=mac", "--eth-peer=0,%s" % peer_mac, "--total-num-mbufs=4096",
               "--txd=256", "--rxd=256", "--rxq=%d" % queues, "--txq=%d" % queues]
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=self.out, stderr=subprocess.STDOUT,
                                  text=True)

    def cmd(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def text(self):
        with open(self.out_path) as f:
            return f.read()

    def stats(self):
        """(rx, tx) packets of port 0 as testpmd counts them."""
        before = self.text().count("RX-packets:")
        self.cmd("show port stats 0")
        deadline = time.time() + 5
        while time.time() < deadline:
            t = self.text()
            if t.count("RX-packets:") > before:
                rx = re.findall(r"RX-packets:\s+(\d+)", t)[-1]
                m = re.findall(r"TX-packets:\s+(\d+)", t)
                if len(m) > before:
                    return int(rx), int(m[-1])
            time.sleep(0.1)
        raise AssertionError("testpmd did not print its statistics:\n" + self.text()[-2000:])

    def stop(self):
        if self.p.poll() is None:
            try:
                self.cmd("quit")
                self.p.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                os.kill(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self.out.close()
        subprocess.run(["rm", "-rf", "/var/run/dpdk/" + self.prefix])


def wait_for(what, fn, timeout=20):
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
        got_pages = int(open(NR_HUGE).read())
        if got_pages < old_pages + PAGES:
            raise AssertionError("could not reserve %d 2 MB hugepages (have %d of %d)"
                                 % (PAGES, got_pages - old_pages, PAGES))
        os.makedirs(hugedir)
        sh("mount", "-t", "hugetlbfs", "-o", "pagesize=2M", "nodev", hugedir)
        mounted = True
        (nsa, _) = s.add_hosts()
        host_if = "ha" + s.tag
        sh("ip", "netns", "exec", nsa, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        sh("ip", "netns", "exec", s.netns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        host_mac = sh("ip", "netns", "exec", nsa, "cat", "/sys/class/net/%s/address" % host_if).stdout.strip()
        sock = os.path.join(s.tmp, "vhu0.sock")
        s.start_dpdk()
        s.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
        r = s.vsctl("add-port", "br0", "p0", "--", "set", "Interface", "p0", "type=dpdk",
                    "options:dpdk-devargs=net_af_packet0,iface=%s" % s.peers[0])
        f.check(r.returncode == 0, "add-port p0: %r" % r.stderr)
        r = s.vsctl("add-port", "br0", "vhu0", "--", "set", "Interface", "vhu0", "type=dpdkvhostuserclient",
                    "options:vhost-server-path=%s" % sock)
        f.check(r.returncode == 0 and r.stderr == "", "add-port vhu0: %r" % r.stderr)
        types = s.get("Open_vSwitch", ".", "iface_types")
        f.check("dpdkvhostuserclient" in types, "iface_types: %s" % types)
        st = wait_for("status", lambda: "disconnected" in s.get("Interface", "vhu0", "status"))
        f.check(st, "vhu0 without a guest: %s / error %s"
                % (s.get("Interface", "vhu0", "status"), s.get("Interface", "vhu0", "error")))

        def status():
            return s.get("Interface", "vhu0", "status")

        def connected():
            return 'status=connected' in status() and s.get("Interface", "vhu0", "link_state") == "up"

        def traffic(label, guest_base, port_base=(0, 0), port="vhu0"):
            n_back = int(sh("ip", "netns", "exec", nsa, "python3", "-c", PEER_SCRIPT, host_if, str(N),
                            "%x" % ETHERTYPE, timeout=60).stdout.strip())
            rx, tx = guest.stats()
            f.check(rx - guest_base[0] == N and tx - guest_base[1] == N,
                    "%s: testpmd received %d and sent %d, want %d each" % (label, rx - guest_base[0],
                                                                          tx - guest_base[1], N))
            f.check(n_back == N, "%s: host a got %d of %d frames back" % (label, n_back, N))

            def port_counts():
                st = s.get("Interface", port, "statistics")
                m = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", st)}
                want = (m.get("tx_packets", 0) - port_base[0], m.get("rx_packets", 0) - port_base[1])
                return m if want == (N, N) else None
            m = wait_for("statistics", port_counts, timeout=12)
            f.check(m is not None, "%s: vhu0 statistics should count %d each way: %s"
                    % (label, N, s.get("Interface", port, "statistics")))
            print("%s: %d frames each way; testpmd rx %d tx %d; host a got %d back" % (label, N, rx, tx, n_back))
            return (rx, tx), m

        # 1. The guest comes up: connected, status columns, traffic both ways.
        guest = Guest(s.tmp, s.tag, sock, host_mac, hugedir)
        ok = wait_for("connected", lambda: connected() or guest.p.poll() is not None, timeout=30)
        ok = ok and guest.p.poll() is None
        f.check(ok, "vhu0 never connected: %s\nswitchd log:\n%s\ntestpmd:\n%s\nhugepages: %s"
                % (status(), s.log()[-3000:], guest.text()[-2000:],
                   sh("grep", "-i", "huge", "/proc/meminfo").stdout))
        if not ok:
            raise AssertionError("no guest connection")
        st = status()
        for key in ("mode=client", sock, 'numa="0"', 'num_of_vrings="2"', "vring_0_size=",
                    "vring_1_size=", 'features="0x', "mempool=",
                    'numa_source="guest memory (rte_vhost_get_numa_node)"'):
            f.check(key in st, "vhu0 status lacks %s: %s" % (key, st))
        for i in (0, 1):
            f.check(re.search(r'vring_%d_enabled="?true' % i, st), "vring %d not enabled: %s" % (i, st))
        guest.cmd("start")
        time.sleep(0.5)
        base, stats = traffic("first guest", (0, 0))
        for key in ("ovs_tx_retries", "ovs_tx_failure_drops", "ovs_tx_mtu_exceeded_drops"):
            f.check(key in stats, "statistics lack %s: %s" % (key, stats))
        show = s.appctl("vhost/show").stdout
        f.check(re.search(r"vhu0 \(dpdkvhostuserclient, bridge br0\): client socket %s, connected, "
                          r"guest NUMA node 0 .*\n  rxq 0: pmd core \d+ \(NUMA node 0\)" % re.escape(sock), show),
                "vhost/show: %r" % show)
        rxq = s.appctl("dpif-netdev/pmd-rxq-show").stdout
        f.check(re.search(r"port: vhu0\s+queue-id:\s+0", rxq), "pmd-rxq-show: %s" % rxq)

        # 2. Bad options: errors, the good port keeps forwarding.
        notsock = os.path.join(s.tmp, "plain-file")
        open(notsock, "w").close()
        bad = {"bad1": [], "bad2": ["options:vhost-server-path=/nonexistent-dir/x.sock"],
               "bad3": ["options:vhost-server-path=%s" % notsock],
               "bad4": ["options:vhost-server-path=%s/bad4.sock" % s.tmp, "options:tx-retries-max=33"],
               "bad5": ["options:vhost-server-path=%s" % sock]}
        want = {"bad1": "vhost-server-path is required", "bad2": "does not exist",
                "bad3": "is not a socket", "bad4": "is invalid (0 to 32)",
                "bad5": "already used by interface vhu0"}
        for name, opts in bad.items():
            s.vsctl("add-port", "br0", name, "--", "set", "Interface", name, "type=dpdkvhostuserclient", *opts,
                    check=False)
        for name in bad:
            err = wait_for("error", lambda: s.get("Interface", name, "error").strip('"') or None, timeout=10)
            f.check(err and want[name] in err, "%s: error %r, want %r" % (name, err, want[name]))
        for name in bad:
            s.vsctl("del-port", "br0", name)
        f.check(connected(), "vhu0 after the bad ports: %s" % status())

        # 3. kill -9 numavs-switchd, start it again: traffic resumes, testpmd untouched.
        pid = int(open(os.path.join(s.tmp, "numavs-switchd.pid")).read())
        n_conn = s.log().count("vhu0: guest ready")
        os.kill(pid, signal.SIGKILL)
        wait_for("gone", lambda: not os.path.exists("/proc/%d" % pid), timeout=10)
        t0 = time.time()
        r = s.launcher("start", check=False)
        f.check(r.returncode == 0, "numavs start after kill -9: %s%s" % (r.stdout, r.stderr))
        # The row still says connected (the killed daemon wrote it): wait for the new
        # daemon's own connection to the guest.
        ok = wait_for("reconnected", lambda: s.log().count("vhu0: guest ready") > n_conn
                      and 'pid %d' % pid not in s.launcher("status", check=False).stdout, timeout=30)
        ok = ok and wait_for("status", connected, timeout=15)
        f.check(ok, "vhu0 did not reconnect after the restart: %s\n%s" % (status(), s.log()[-3000:]))
        print("switchd restart: guest connected again after %.1f s" % (time.time() - t0))
        base, _ = traffic("after kill -9 of numavs-switchd", base)
        f.check(guest.p.poll() is None, "testpmd died during the switch's restart")

        # 4. Restart the guest: disconnected, then connected, forwarding again.
        m = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", s.get("Interface", "vhu0", "statistics"))}
        guest.stop()
        ok = wait_for("disconnected", lambda: "status=disconnected" in status(), timeout=15)
        f.check(ok, "vhu0 should be disconnected after testpmd quit: %s" % status())
        f.check(s.get("Interface", "vhu0", "link_state") == "down", "link_state with no guest")
        guest = Guest(s.tmp, s.tag, sock, host_mac, hugedir)
        ok = wait_for("connected again", connected, timeout=30)
        f.check(ok, "vhu0 did not reconnect to the new guest: %s" % status())
        guest.cmd("start")
        time.sleep(0.5)
        traffic("new guest", (0, 0), (m.get("tx_packets", 0), m.get("rx_packets", 0)))

        # 5. Server mode: numavs listens on $OVS_RUNDIR/<vhost-sock-dir>/vhs0, the guest
        #    (testpmd as virtio-user client) connects; a guest restart reconnects; the
        #    socket goes with the port.
        guest.stop()
        guest = None
        s.vsctl("del-port", "br0", "vhu0")
        os.makedirs(os.path.join(s.tmp, "vsock"))
        s.vsctl("set", "Open_vSwitch", ".", "other_config:vhost-sock-dir=vsock")
        ssock = os.path.join(s.tmp, "vsock", "vhs0")
        r = s.vsctl("add-port", "br0", "vhs0", "--", "set", "Interface", "vhs0", "type=dpdkvhostuser")
        f.check(r.returncode == 0 and r.stderr == "", "add-port vhs0: %r" % r.stderr)
        f.check(wait_for("socket", lambda: os.path.exists(ssock), timeout=15),
                "no server socket %s: error %s" % (ssock, s.get("Interface", "vhs0", "error")))

        def sstatus():
            return s.get("Interface", "vhs0", "status")

        def sconnected():
            return "status=connected" in sstatus() and s.get("Interface", "vhs0", "link_state") == "up"
        f.check("mode=server" in sstatus() and ssock in sstatus(), "vhs0 status: %s" % sstatus())
        for round_ in ("server mode", "server mode, new guest"):
            guest = Guest(s.tmp, s.tag, ssock, host_mac, hugedir, server=False)
            ok = wait_for("connected", lambda: sconnected() or guest.p.poll() is not None, timeout=30)
            ok = ok and guest.p.poll() is None
            f.check(ok, "%s: vhs0 never connected: %s\n%s" % (round_, sstatus(), guest.text()[-2000:]))
            if not ok:
                break
            m = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", s.get("Interface", "vhs0", "statistics"))}
            guest.cmd("start")
            time.sleep(0.5)
            traffic(round_, (0, 0), (m.get("tx_packets", 0), m.get("rx_packets", 0)), port="vhs0")
            if round_ == "server mode":
                guest.stop()
                guest = None
                f.check(wait_for("disconnected", lambda: "status=disconnected" in sstatus(), timeout=15),
                        "vhs0 should be disconnected after the guest quit: %s" % sstatus())
        s.vsctl("del-port", "br0", "vhs0")
        f.check(wait_for("socket removed", lambda: not os.path.exists(ssock), timeout=15),
                "%s still exists after del-port" % ssock)
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
    f.finish("switchd_vhost")


if __name__ == "__main__":
    main()
