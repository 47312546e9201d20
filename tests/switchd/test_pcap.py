#!/usr/bin/env python3
"""switchd_pcap: exact forwarding on memory devices.

A pcap of mixed traffic (TCP, UDP, ICMP, ARP, IPv6, VLAN-tagged frames, a
runt) enters bridge br0 through a net_pcap port; two more net_pcap ports write
what leaves. The flow table replaces NORMAL with rules whose result is known
per packet template, so the expected output of each port is built alongside
the input: which packets, in input order, with VLAN tags pushed, changed or
stripped as the actions say. Both output files must equal it packet for
packet, and dump-flows must count the packets each rule took.

  test_pcap.py --bindir DIR
"""
import os
import random
import re
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from system import DPDK_ENV_ALLOW, System, bindir_from_argv  # noqa: E402

# WARN/ERR lines this test provokes on purpose (see harness.unexpected_log_lines): none.
LOG_ALLOW = DPDK_ENV_ALLOW

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")
BCAST = b"\xff" * 6

FLOWS = [
    "priority=200,tcp,tp_dst=80,actions=mod_vlan_vid:100,output:p1",
    "priority=100,ip,nw_dst=10.1.0.0/16,actions=output:p1",
    "priority=100,ipv6,actions=output:p2",
    "priority=90,arp,actions=output:p2,output:p1",
    "priority=50,udp,actions=strip_vlan,output:p2",
]


def eth(dst, src, ethertype, payload, vlan=None):
    tag = struct.pack("!HH", 0x8100, vlan) if vlan is not None else b""
    return dst + src + tag + struct.pack("!H", ethertype) + payload


def ipv4(src, dst, proto, l4):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0,
                      bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    return hdr + l4


def tcp(sport, dport, n):
    return struct.pack("!HHIIBBHHH", sport, dport, n, 0, 0x50, 0x18, 8192, 0, 0) + bytes(n % 200)


def udp(sport, dport, n):
    body = bytes(n % 300)
    return struct.pack("!HHHH", sport, dport, 8 + len(body), 0) + body


def ipv6_udp(n):
    l4 = udp(1000 + n % 50, 53, n)
    return struct.pack("!IHBB16s16s", 0x60000000, len(l4), 17, 64, b"\xfe\x80" + bytes(13) + b"\x01",
                       b"\xfe\x80" + bytes(13) + b"\x02") + l4


def arp(n):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, MAC_A, bytes([10, 1, 0, 1]), bytes(6),
                       bytes([10, 1, 0, n % 250 + 2]))


def push_vlan(frame, vid):
    return frame[:12] + struct.pack("!HH", 0x8100, vid) + frame[12:]


def strip_vlan(frame):
    return frame[:12] + frame[16:] if frame[12:14] == b"\x81\x00" else frame


def make_traffic(n):
    """Returns (packets, expected_p1, expected_p2, per-rule counts)."""
    rnd = random.Random(7)
    pkts, p1, p2 = [], [], []
    counts = {f: 0 for f in FLOWS}
    for i in range(n):
        kind = rnd.choice("ABCDEFGH")
        if kind == "A":    # TCP to port 80 in 10.1/16: rule 1 pushes VLAN 100 -> p1
            f = eth(MAC_B, MAC_A, 0x0800, ipv4("10.0.0.1", "10.1.2.3", 6, tcp(40000 + i % 100, 80, i)))
            pkts.append(f); p1.append(push_vlan(f, 100)); counts[FLOWS[0]] += 1
        elif kind == "B":  # TCP to port 22 in 10.1/16: rule 2 -> p1 as is
            f = eth(MAC_B, MAC_A, 0x0800, ipv4("10.0.0.1", "10.1.2.3", 6, tcp(40000, 22, i)))
            pkts.append(f); p1.append(f); counts[FLOWS[1]] += 1
        elif kind == "C":  # TCP elsewhere: no rule -> dropped
            f = eth(MAC_B, MAC_A, 0x0800, ipv4("10.0.0.1", "192.168.1.1", 6, tcp(40000, 443, i)))
            pkts.append(f)
        elif kind == "D":  # IPv6 UDP: rule 3 (beats udp at 50) -> p2
            f = eth(MAC_B, MAC_A, 0x86DD, ipv6_udp(i))
            pkts.append(f); p2.append(f); counts[FLOWS[2]] += 1
        elif kind == "E":  # ARP broadcast: rule 4 -> p2 and p1
            f = eth(BCAST, MAC_A, 0x0806, arp(i))
            pkts.append(f); p2.append(f); p1.append(f); counts[FLOWS[3]] += 1
        elif kind == "F":  # VLAN 5 UDP to 172.16/12: rule 5 strips the tag -> p2
            f = eth(MAC_B, MAC_A, 0x0800, ipv4("10.0.0.1", "172.16.0.1", 17, udp(5000, 6000 + i % 7, i)), vlan=5)
            pkts.append(f); p2.append(strip_vlan(f)); counts[FLOWS[4]] += 1
        elif kind == "G":  # UDP into 10.1/16: rule 2 (100) beats rule 5 (50) -> p1
            f = eth(MAC_B, MAC_A, 0x0800, ipv4("10.0.0.1", "10.1.5.5", 17, udp(5000, 53, i)))
            pkts.append(f); p1.append(f); counts[FLOWS[1]] += 1
        else:              # a runt: parsed safely, matches nothing -> dropped
            pkts.append(MAC_B + MAC_A[:4])
    return pkts, p1, p2, counts


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i // 1000, (i % 1000) * 1000, len(fr), len(fr)))
            f.write(fr)


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off, out = 24, []
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


def main():
    harness.require_ovs_tools()
    if os.geteuid() != 0:
        harness.skip("needs root for network namespaces")
    bindir = bindir_from_argv()
    f = harness.Failures()
    work = tempfile.mkdtemp(prefix="numavs-pcap-")
    pkts, want1, want2, counts = make_traffic(2000)
    write_pcap(os.path.join(work, "in.pcap"), pkts)
    write_pcap(os.path.join(work, "empty.pcap"), [])
    s = System(bindir, log_allow=LOG_ALLOW)
    try:
        # The bridge's internal port is a kernel interface in the switch's
        # namespace; keep the kernel from sending IPv6 chatter through it.
        for key in ("all", "default"):
            subprocess.run(["ip", "netns", "exec", s.netns, "sysctl", "-qw",
                            "net.ipv6.conf.%s.disable_ipv6=1" % key], check=True)
        s.start_dpdk()
        s.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
        # Outputs first, and the flow table, so that nothing is missed when p0 starts reading.
        for i in (1, 2):
            r = s.vsctl("add-port", "br0", "p%d" % i, "--", "set", "Interface", "p%d" % i, "type=dpdk",
                        "options:dpdk-devargs=net_pcap%d,rx_pcap=%s/empty.pcap,tx_pcap=%s/out%d.pcap"
                        % (i, work, work, i))
            f.check(r.returncode == 0 and r.stderr == "", "add-port p%d: %r" % (i, r.stderr))
        s.ofctl("del-flows", "br0")
        for fl in FLOWS:
            s.ofctl("add-flow", "br0", fl)
        r = s.vsctl("add-port", "br0", "p0", "--", "set", "Interface", "p0", "type=dpdk",
                    "options:dpdk-devargs=net_pcap0,rx_pcap=%s/in.pcap,tx_pcap=%s/out0.pcap" % (work, work))
        f.check(r.returncode == 0 and r.stderr == "", "add-port p0: %r" % r.stderr)
        # Wait until the rules have seen every packet that matches one.
        want_total = sum(counts.values())
        last = {}

        def counted():
            last["dump"] = dump = s.ofctl("dump-flows", "br0").stdout
            return sum(int(x) for x in re.findall(r"n_packets=(\d+)", dump)) >= want_total
        try:
            harness.wait_until(counted, "the rules counting %d packets" % want_total, timeout=30, interval=0.2)
        except AssertionError as e:
            f.check(False, "%s:\n%s" % (e, last.get("dump")))
        dump = last["dump"]
        f.eq(sum(int(x) for x in re.findall(r"n_packets=(\d+)", dump)), want_total, "packets counted by the rules")
        for fl, n in counts.items():
            m = re.search(r"n_packets=(\d+), n_bytes=\d+, %s" % re.escape(fl.replace(",actions=", " actions=")), dump)
            f.check(m is not None and int(m.group(1)) == n,
                    "rule %s: counted %s, want %d\n%s" % (fl, m.group(1) if m else "?", n, dump))
        # Where the cycles went and why packets were dropped, as a user asks for it.
        perf = s.appctl("dpif-netdev/pmd-perf-show")
        out = perf.stdout
        m = re.search(r"Packets: (\d+) in", out)
        f.check(m is not None and int(m.group(1)) == len(pkts), "pmd-perf-show packets:\n" + out)
        for stage in ("receive", "parse", "exact-match cache", "classifier", "slow path",
                      "actions", "transmit", "other", "total"):
            f.check(re.search(r"\n    %s +\d+\.\d\n" % re.escape(stage), out) is not None,
                    "pmd-perf-show has no '%s' stage:\n%s" % (stage, out))
        m = re.search(r"\n    total +(\d+\.\d)\n", out)
        f.check(m is not None and float(m.group(1)) > 0, "pmd-perf-show total cycles:\n" + out)
        dropped = len(pkts) - sum(counts.values())
        m = re.search(r"dropped by actions: (\d+)", out)
        f.check(m is not None and int(m.group(1)) == dropped,
                "pmd-perf-show drops by actions, want %d:\n%s" % (dropped, out))
        s.stop(f)  # closes the ports: net_pcap flushes its files
        got1 = read_pcap(os.path.join(work, "out1.pcap"))
        got2 = read_pcap(os.path.join(work, "out2.pcap"))
        f.eq(len(got1), len(want1), "packets out of p1")
        f.eq(len(got2), len(want2), "packets out of p2")
        for name, got, want in (("p1", got1, want1), ("p2", got2, want2)):
            for i, (g, w) in enumerate(zip(got, want)):
                if g != w:
                    f.check(False, "%s packet %d differs:\n got  %s\n want %s" % (name, i, g.hex(), w.hex()))
                    break
        f.eq(len(read_pcap(os.path.join(work, "out0.pcap"))), 0, "nothing goes back out of p0")
    finally:
        s.close()
        subprocess.run(["rm", "-rf", work])
    f.finish("switchd_pcap")


if __name__ == "__main__":
    main()
