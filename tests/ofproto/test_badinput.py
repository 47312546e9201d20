#!/usr/bin/env python3
"""ofproto_badinput: numavs-switchd's OpenFlow connections under bad and heavy input.

numavs (launcher, private netns and rundir) with bridge br0 (dummy ports p1, p2) and its
management socket br0.mgmt, driven by raw sockets and the real ovs-ofctl:
  * truncated headers, a header whose length is below 8 (OFPBRC_BAD_LEN, then the
    connection closes), a length that promises more than is sent, unknown message types
    (BAD_TYPE), a message in another version than negotiated (BAD_VERSION), a HELLO with
    no common version (HELLO_FAILED/INCOMPATIBLE, then close), a first message that is
    not a HELLO, an oversized match TLV list, a 256-deep pile of actions inside one
    instruction, an unknown Nicira action (BAD_VENDOR_TYPE);
  * 100 connections at once, each negotiating and answering an echo;
  * a peer that sends 300 flow-statistics requests over 2,000 flows and never reads:
    meanwhile ovs-ofctl on other connections still works, and the switch keeps serving
    after the peer goes;
and after all of it the daemon is alive and its control socket answers.

  test_badinput.py --bindir DIR
"""
import os
import shutil
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "switchd"))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
import harness  # noqa: E402
import system  # noqa: E402

F = harness.Failures()
check = F.check


# Log lines the daemons may write in this test (each with why).
LOG_ALLOW = []


def hdr(version, type_, length, xid=1):
    return struct.pack("!BBHI", version, type_, length, xid)


def hello(version, bitmap=None):
    if bitmap is None:
        return hdr(version, 0, 8)
    return hdr(version, 0, 16) + struct.pack("!HHI", 1, 8, bitmap)


class Peer:
    def __init__(self, path, timeout=5.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def recv(self):
        """The next whole message, or None at EOF."""
        while True:
            if len(self.buf) >= 8:
                ln = struct.unpack("!H", self.buf[2:4])[0]
                if len(self.buf) >= ln:
                    m, self.buf = self.buf[:ln], self.buf[ln:]
                    return m
            d = self.s.recv(65536)
            if not d:
                return None
            self.buf += d

    def negotiate(self, version):
        self.send(hello(version, 1 << version))
        m = self.recv()
        assert m and m[1] == 0, m
        return m

    def error(self):
        """(type, code) of the next message, which must be an OFPT_ERROR."""
        m = self.recv()
        if m is None or m[1] != 1:
            return None
        return struct.unpack("!HH", m[8:12])

    def eof(self):
        try:
            while True:
                m = self.recv()
                if m is None:
                    return True
        except (socket.timeout, ConnectionResetError):
            return False

    def close(self):
        self.s.close()


def flow_mod13(match_tlvs=b"", instructions=b"", xid=7):
    mlen = 4 + len(match_tlvs)
    match = struct.pack("!HH", 1, mlen) + match_tlvs + b"\0" * ((8 - mlen % 8) % 8)
    body = struct.pack("!QQBBHHHIIIHH", 0, 0, 0, 0, 0, 0, 0x8000, 0xffffffff, 0xffffffff,
                       0xffffffff, 0, 0) + match + instructions
    return hdr(4, 14, 8 + len(body), xid) + body


def malformed(path):
    # Truncated header, then close: nothing to answer, nothing breaks.
    p = Peer(path)
    p.negotiate(4)
    p.send(b"\x04\x02\x00")
    p.close()
    # Length below 8: BAD_LEN (1,6), then the connection closes.
    p = Peer(path)
    p.negotiate(4)
    p.send(hdr(4, 2, 4))
    check(p.error() == (1, 6), "length 4: expected OFPBRC_BAD_LEN")
    check(p.eof(), "length 4: the connection should close")
    # A length that promises more than is sent, then close.
    p = Peer(path)
    p.negotiate(4)
    p.send(hdr(4, 2, 1000) + b"x" * 20)
    p.close()
    # Unknown type; other version than negotiated; the connection stays usable.
    p = Peer(path)
    p.negotiate(4)
    p.send(hdr(4, 200, 8, 2))
    check(p.error() == (1, 1), "type 200: expected OFPBRC_BAD_TYPE")
    p.send(hdr(1, 2, 8, 3))
    check(p.error() == (1, 0), "version 1 on a 1.3 connection: expected OFPBRC_BAD_VERSION")
    p.send(hdr(4, 2, 12, 4) + b"ping")
    m = p.recv()
    check(m is not None and m[1] == 3 and m[8:] == b"ping", "echo after errors")
    # An oversized match: 70 register TLVs (more than 64 fields): BAD_MATCH (4,1).
    tlvs = b"".join(struct.pack("!II", 0x00010004 | ((i % 16) << 9), i) for i in range(70))
    p.send(flow_mod13(tlvs))
    # (the 17th register repeats reg0: DUP_FIELD may come before the 64-field bound)
    check(p.error() in ((4, 1), (4, 10)), "70 match fields: expected OFPBMC_BAD_LEN or DUP_FIELD")
    # A match length that runs past the message.
    fm = bytearray(flow_mod13(struct.pack("!II", 0x80000004, 1)))
    fm[50:52] = struct.pack("!H", 60000)
    p.send(bytes(fm))
    check(p.error() == (4, 1), "match length 60000: expected OFPBMC_BAD_LEN")
    # 256 pop_vlan actions in one apply-actions: accepted or refused, never a crash;
    # then an unknown Nicira action (subtype 35 = ct): BAD_ACTION/BAD_EXP_TYPE (2,3).
    acts = struct.pack("!HHI", 18, 8, 0) * 256
    p.send(flow_mod13(b"", struct.pack("!HHI", 4, 8 + len(acts), 0) + acts, xid=8))
    p.send(hdr(4, 20, 8, 9))  # barrier
    m = p.recv()
    check(m is not None and m[1] in (1, 21), "256 actions")
    if m is not None and m[1] == 1:
        p.recv()
    ct = struct.pack("!HHIH", 0xffff, 24, 0x2320, 35) + b"\0" * 14
    p.send(flow_mod13(b"", struct.pack("!HHI", 4, 8 + len(ct), 0) + ct, xid=10))
    check(p.error() == (2, 3), "Nicira ct action: expected OFPBAC_BAD_EXP_TYPE")
    p.close()
    # No common version: HELLO_FAILED/INCOMPATIBLE, then close.
    p = Peer(path)
    p.send(hello(3, 1 << 2 | 1 << 3))
    p.recv()  # our HELLO
    check(p.error() == (0, 0), "OF1.1/1.2-only hello: expected OFPHFC_INCOMPATIBLE")
    check(p.eof(), "incompatible hello: the connection should close")
    # A first message that is not a HELLO.
    p = Peer(path)
    p.send(hdr(4, 5, 8))
    p.recv()
    check(p.error() is not None, "features request before hello: expected an error")
    check(p.eof(), "no hello: the connection should close")
    # An unknown version in the HELLO (0x7f, no bitmap) negotiates down to 1.5.
    p = Peer(path)
    p.send(hdr(0x7f, 0, 8))
    m = p.recv()
    p.send(hdr(6, 2, 8, 5))
    m = p.recv()
    check(m is not None and m[0] == 6 and m[1] == 3, "hello 0x7f: echo in OpenFlow 1.5")
    p.close()


def many(path, n=100):
    peers = [Peer(path) for _ in range(n)]
    for p in peers:
        p.send(hello(4, 1 << 4))
    for i, p in enumerate(peers):
        p.send(hdr(4, 2, 12, i) + b"%04d" % i)
    ok = 0
    for i, p in enumerate(peers):
        m1 = p.recv()
        m2 = p.recv()
        ok += bool(m1 and m1[1] == 0 and m2 and m2[1] == 3 and m2[8:] == b"%04d" % i)
        p.close()
    check(ok == n, "%d connections: %d answered" % (n, ok))


def stalled_reader(sysm, path):
    flows = os.path.join(sysm.tmp, "many.txt")
    with open(flows, "w") as f:
        for i in range(2000):
            f.write("priority=10,tcp,nw_dst=10.%d.%d.0/24,tp_dst=%d,actions=output:2\n"
                    % (i // 250, i % 250, 1 + i % 60000))
    r = sysm.ofctl_real("add-flows", "br0", flows)
    check(r.returncode == 0, "add-flows 2000: " + r.stderr)
    r = sysm.ofctl_real("-O", "OpenFlow13", "dump-aggregate", "br0")
    want = "flow_count=%s" % (r.stdout.split("flow_count=")[-1].strip() or "?")
    check(r.returncode == 0 and want == "flow_count=2002", "2,000 flows + NORMAL + the 256-action "
          "flow: " + r.stdout)
    p = Peer(path)
    p.negotiate(4)
    req = struct.pack("!HHI", 1, 0, 0) + struct.pack("!B3xII4xQQ", 0xff, 0xffffffff, 0xffffffff, 0, 0) \
        + struct.pack("!HHI", 1, 4, 0)
    msg = hdr(4, 18, 8 + len(req)) + req
    p.s.setblocking(False)
    sent = 0
    for _ in range(300):  # about 60 MB of replies requested, never read
        try:
            p.s.send(msg)
            sent += 1
        except BlockingIOError:
            break
    t0 = time.monotonic()
    r = sysm.ofctl_real("-O", "OpenFlow13", "dump-aggregate", "br0")
    check(r.returncode == 0 and want in r.stdout,
          "dump-aggregate beside a stalled reader: rc=%d %s %s" % (r.returncode, r.stdout, r.stderr))
    r = sysm.ofctl_real("dump-flows", "br0", "tcp,nw_dst=10.0.5.0/24")
    check(r.returncode == 0 and r.stdout.count("actions=output:2") == 1,
          "dump-flows beside a stalled reader: " + r.stdout + r.stderr)
    harness.log("stalled reader (%d requests sent, none read): other clients served in %.2f s"
                % (sent, time.monotonic() - t0))
    p.close()
    r = sysm.ofctl_real("del-flows", "br0", "tcp")
    check(r.returncode == 0, "del-flows after the stalled reader: " + r.stderr)


def main():
    bindir = system.bindir_from_argv()
    if not shutil.which("ovs-ofctl"):
        harness.skip("the real ovs-ofctl is missing (Debian openvswitch-common)")
    sysm = system.System(bindir, log_allow=LOG_ALLOW)
    sysm.ofctl_real = lambda *a: __import__("subprocess").run(
        ["ovs-ofctl"] + list(a), env=sysm.env, capture_output=True, text=True, timeout=60)
    try:
        r = sysm.launcher("start")
        check(r.returncode == 0, "numavs start: " + r.stdout + r.stderr)
        r = sysm.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev",
                       "--", "add-port", "br0", "p1", "--", "set", "Interface", "p1", "type=dummy",
                       "--", "add-port", "br0", "p2", "--", "set", "Interface", "p2", "type=dummy")
        check(r.returncode == 0, "bridge setup: " + r.stderr)
        path = os.path.join(sysm.tmp, "br0.mgmt")
        deadline = time.monotonic() + 20
        while not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.05)
        t0 = time.monotonic()
        malformed(path)
        harness.log("malformed input: checked (%.2f s)" % (time.monotonic() - t0))
        t0 = time.monotonic()
        many(path)
        harness.log("100 connections at once: checked (%.2f s)" % (time.monotonic() - t0))
        stalled_reader(sysm, path)
        r = sysm.ofctl_real("show", "br0")
        check(r.returncode == 0 and "(p1)" in r.stdout, "show after everything: " + r.stderr)
        check(sysm.switchd_alive(), "numavs-switchd died:\n" + sysm.log()[-3000:])
        r = sysm.appctl("dpif/show")
        check(r.returncode == 0 and "br0" in r.stdout, "control socket after everything")
        sysm.stop(F)  # the daemons' logs: no unexpected WARN/ERR
    finally:
        sysm.close()
    if F.items:
        harness.log("%d failure(s)" % len(F.items))
        return 1
    harness.log("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
