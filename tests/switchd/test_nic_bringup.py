#!/usr/bin/env python3
"""switchd_nic_bringup: DPDK port bring-up proved on devices that enforce it.

net_tap (issue 11, acceptance 5): a `dpdk` port on net_tap with n_rxq=2 sets
PROMISC on its kernel interface (read from sysfs), reports mac_in_use,
link_speed and duplex, turns RSS and rx checksum offload on (status), spreads
200 UDP flows sent by the kernel over both rx queues (xstats rx_q0_packets and
rx_q1_packets in Interface.statistics, both queues in pmd-rxq-show), honours
other_config:pmd-rxq-affinity (queue 1 on core 1, that PMD isolated), counts
and drops frames with a bad UDP checksum (rx_csum_bad_drops), follows the
kernel side's link down/up in link_state; an mtu_request over the device's
limit gets an error naming the range and the fix, one inside it changes the
kernel interface's MTU.

net_af_packet on a veth (issue 13, defects 7 and 8): mtu_request=576 brings
the port up with MTU 576 on the kernel interface (the buffers are sized for
af_packet's frames, not the MTU); an MTU over the device's limit gets an
error naming the range and the fix; deleting the veth turns link_state down
with the reason in status, and recreating it re-attaches the port (frames
sent on the new veth are received).

  test_nic_bringup.py --bindir DIR
"""
import os
import re
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from system import System, bindir_from_argv, sh  # noqa: E402


def wait_for(fn, timeout=12.0):
    end = time.time() + timeout
    v = fn()
    while not v and time.time() < end:
        time.sleep(0.3)
        v = fn()
    return v


def stats(s, port):
    out = s.get("Interface", port, "statistics")
    return {k: int(v) for k, v in re.findall(r"([A-Za-z0-9_]+)=(\d+)", out)}


# Runs in the switch's namespace: sends frames through a kernel interface.
SENDER = r"""
import socket, struct, sys
mode, ifname = sys.argv[1], sys.argv[2]
if mode == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for port in range(1000, 1200):
        for _ in range(3):
            s.sendto(b"x" * 64, ("10.9.0.2", port))
    sys.exit(0)
def csum(b):
    if len(b) % 2: b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
udp_len = 8 + 32
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 1, 0, 64, 17, 0,
                 socket.inet_aton("10.9.0.1"), socket.inet_aton("10.9.0.2"))
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
n = int(sys.argv[4])
udp_ck = 0x1234 if sys.argv[3] == "bad" else 0
for i in range(n):
    udp = struct.pack("!HHHH", 5000, 6000 + i, udp_len, udp_ck) + b"y" * 32
    s.send(eth + ip + udp)
"""


def send(s, mode, ifname, kind="good", n=10):
    return sh("ip", "netns", "exec", s.netns, "python3", "-c", SENDER, mode, ifname, kind, str(n))


def main():
    harness.require_ovs_tools()
    if os.geteuid() != 0:
        harness.skip("needs root for network namespaces and the EAL")
    bindir = bindir_from_argv()
    f = harness.Failures()
    s = System(bindir)
    try:
        s.start_dpdk()
        s.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
        tap = "nt" + s.tag
        r = s.vsctl("add-port", "br0", "t0", "--", "set", "Interface", "t0", "type=dpdk",
                    "options:dpdk-devargs=net_tap_t0,iface=%s" % tap, "options:n_rxq=2")
        f.check(r.returncode == 0 and r.stderr == "", "add net_tap port: %r" % r.stderr)
        f.eq(s.get("Interface", "t0", "error"), "[]", "t0 error")

        def sysfs(name, key):
            r = sh("ip", "netns", "exec", s.netns, "cat", "/sys/class/net/%s/%s" % (name, key), check=False)
            return r.stdout.strip()
        flags = sysfs(tap, "flags")
        f.check(flags and int(flags, 16) & 0x100, "IFF_PROMISC not set on %s (flags %r)" % (tap, flags))
        f.eq(s.get("Interface", "t0", "status:promiscuous"), '"true"', "t0 promiscuous status")
        mac = s.get("Interface", "t0", "mac_in_use")
        f.eq(mac.strip('"'), sysfs(tap, "address"), "mac_in_use is the tap's address")
        f.check(wait_for(lambda: s.get("Interface", "t0", "link_speed") not in ("[]", "")),
                "link_speed not written")
        f.eq(s.get("Interface", "t0", "duplex"), "full", "t0 duplex")
        f.eq(s.get("Interface", "t0", "status:rss"), '"ip,tcp,udp"', "t0 RSS hash fields")
        f.eq(s.get("Interface", "t0", "status:rx_csum_offload"), '"true"', "t0 rx checksum offload")

        # 200 flows from the kernel through the tap land on both rx queues.
        sh("ip", "-n", s.netns, "addr", "add", "10.9.0.1/24", "dev", tap)
        sh("ip", "-n", s.netns, "link", "set", tap, "up")
        sh("ip", "-n", s.netns, "neigh", "replace", "10.9.0.2", "lladdr", "02:00:00:00:00:02", "dev", tap)
        send(s, "udp", tap)
        q = wait_for(lambda: (lambda st: st if st.get("rx_q0_packets", 0) > 20 and
                              st.get("rx_q1_packets", 0) > 20 else None)(stats(s, "t0")))
        st = q or stats(s, "t0")
        f.check(q, "flows must land on both rx queues: rx_q0_packets=%s rx_q1_packets=%s" %
                (st.get("rx_q0_packets"), st.get("rx_q1_packets")))
        show = s.appctl("dpif-netdev/pmd-rxq-show").stdout
        f.check(re.search(r"port: t0\s+queue-id:\s+0", show) and re.search(r"port: t0\s+queue-id:\s+1", show),
                "pmd-rxq-show must list both queues of t0:\n%s" % show)

        # other_config:pmd-rxq-affinity as in OVS: queue 1 pinned to core 1, whose PMD
        # is then isolated; the other queues stay on core 0.
        s.vsctl("set", "Open_vSwitch", ".", "other_config:pmd-cpu-mask=0x3")
        s.vsctl("set", "Interface", "t0", "other_config:pmd-rxq-affinity=1:1")

        def core_block(core):
            show = s.appctl("dpif-netdev/pmd-rxq-show").stdout
            m = re.search(r"core_id %d:\n((?:  .*\n?)*)" % core, show)
            return m.group(1) if m else ""
        f.check(wait_for(lambda: "isolated : true" in core_block(1) and
                         re.search(r"port: t0\s+queue-id:\s+1", core_block(1)) and
                         re.search(r"port: t0\s+queue-id:\s+0", core_block(0))),
                "pmd-rxq-affinity 1:1 not honoured:\n%s" % s.appctl("dpif-netdev/pmd-rxq-show").stdout)
        f.check(not re.search(r"port: t0\s+queue-id:\s+0", core_block(1)), "queue 0 on the isolated core")
        s.vsctl("remove", "Interface", "t0", "other_config", "pmd-rxq-affinity")
        s.vsctl("remove", "Open_vSwitch", ".", "other_config", "pmd-cpu-mask")

        # Bad UDP checksums are counted and dropped, good ones are not.
        before = stats(s, "t0").get("rx_csum_bad_drops", -1)
        f.check(before >= 0, "rx_csum_bad_drops missing from statistics")
        send(s, "raw", tap, "good", 5)
        send(s, "raw", tap, "bad", 7)
        got = wait_for(lambda: stats(s, "t0").get("rx_csum_bad_drops", 0) - before >= 7)
        f.check(got and stats(s, "t0")["rx_csum_bad_drops"] - before == 7,
                "7 bad checksums must be counted (got %d)" % (stats(s, "t0").get("rx_csum_bad_drops", 0) - before))

        # Link down/up on the kernel side.
        sh("ip", "-n", s.netns, "link", "set", tap, "down")
        f.check(wait_for(lambda: s.get("Interface", "t0", "link_state") == "down", 8),
                "link_state must go down with the kernel interface")
        sh("ip", "-n", s.netns, "link", "set", tap, "up")
        f.check(wait_for(lambda: s.get("Interface", "t0", "link_state") == "up", 8),
                "link_state must come back up")
        f.check("interface t0: link state changed to down" in s.log(), "link change not logged")

        # mtu_request is checked against the device's range (net_tap in DPDK 22.11:
        # max_rx_pktlen 1522, so MTU 1504 at most), then changes the tap's MTU.
        s.vsctl("set", "Interface", "t0", "mtu_request=2000")
        err = s.get("Interface", "t0", "error")
        f.check("MTU 2000 is outside what the device (net_tap) accepts: 46 to 1504; run: ovs-vsctl "
                "set Interface t0 mtu_request=1504" in err, "too-large tap MTU error: %r" % err)
        s.vsctl("set", "Interface", "t0", "mtu_request=1400")
        f.check(wait_for(lambda: sysfs(tap, "mtu") == "1400"), "tap MTU is %r, not 1400 (error %s)" %
                (sysfs(tap, "mtu"), s.get("Interface", "t0", "error")))
        f.eq(s.get("Interface", "t0", "mtu"), "1400", "t0 mtu column")
        f.eq(s.get("Interface", "t0", "error"), "[]", "t0 error after mtu_request=1400")

        # net_af_packet on a veth: small MTU, too-large MTU, delete and recreate.
        va, vb = "va" + s.tag, "vb" + s.tag

        def make_veth():
            sh("ip", "-n", s.netns, "link", "add", va, "type", "veth", "peer", "name", vb)
            sh("ip", "-n", s.netns, "link", "set", va, "up")
            sh("ip", "-n", s.netns, "link", "set", vb, "up")
        make_veth()
        r = s.vsctl("add-port", "br0", "a0", "--", "set", "Interface", "a0", "type=dpdk",
                    "options:dpdk-devargs=net_af_packet9,iface=%s" % va, "mtu_request=576")
        f.check(r.returncode == 0 and r.stderr == "", "af_packet with mtu_request=576: %r" % r.stderr)
        f.eq(s.get("Interface", "a0", "error"), "[]", "a0 error with MTU 576")
        f.eq(s.get("Interface", "a0", "mtu"), "576", "a0 mtu")
        f.eq(sysfs(va, "mtu"), "576", "kernel MTU of the af_packet veth")
        r = s.vsctl("set", "Interface", "a0", "mtu_request=1700")
        err = s.get("Interface", "a0", "error")
        f.check("MTU 1700 is outside what the device (net_af_packet) accepts: 46 to 1500" in err and
                "mtu_request=1500" in err, "too-large MTU error: %r" % err)
        f.eq(s.get("Interface", "t0", "admin_state"), "up", "t0 keeps running")
        s.vsctl("set", "Interface", "a0", "mtu_request=576")
        f.check(wait_for(lambda: s.get("Interface", "a0", "link_state") == "up"), "a0 link up")
        sh("ip", "-n", s.netns, "link", "del", va)
        f.check(wait_for(lambda: s.get("Interface", "a0", "link_state") == "down", 8),
                "a0 must go down when its veth is deleted")
        f.check("does not exist" in s.get("Interface", "a0", "status:link_reason"),
                "link_reason: %r" % s.get("Interface", "a0", "status:link_reason"))
        make_veth()
        f.check(wait_for(lambda: s.get("Interface", "a0", "link_state") == "up", 15),
                "a0 must re-attach when the veth comes back")
        before = stats(s, "a0").get("rx_packets", 0)
        send(s, "raw", vb, "good", 20)
        f.check(wait_for(lambda: stats(s, "a0").get("rx_packets", 0) - before >= 20),
                "frames on the recreated veth not received (%d)" % (stats(s, "a0").get("rx_packets", 0) - before))
        for line in s.log().splitlines():
            if "|EMER|" in line:
                f.check(False, line)
            if "|WARN|" in line or "|ERR|" in line:
                harness.log(line)
    finally:
        s.close()
    f.finish("switchd_nic_bringup")


if __name__ == "__main__":
    main()
