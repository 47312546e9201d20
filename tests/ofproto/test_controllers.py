#!/usr/bin/env python3
"""ofproto_controllers: Bridge.controller, protocols and fail_mode of numavs-switchd.

numavs (launcher, private netns and rundir) with bridge br0 (dummy ports p1, p2),
configured with the real ovs-vsctl; a controller written here (raw OpenFlow 1.3 over a
socket made inside the switch's namespace) and the real ovs-ofctl:
  * active tcp:127.0.0.1:PORT: numavs connects, negotiates, answers FEATURES_REQUEST;
    Controller.is_connected goes true, the first controller flushed the table (no
    NORMAL flow in dump-flows); the controller closes: is_connected false,
    status:sec_since_disconnect; it listens again: numavs reconnects within
    max_backoff (1 s) and is_connected is true again;
  * the inactivity probe (inactivity_probe=1000): numavs sends ECHO_REQUEST to a silent
    controller, then drops it;
  * passive ptcp:0 (status:bound_port tells the port): 100 connections at once each
    negotiate and get an echo answered, and the real ovs-ofctl works over it while a
    peer that never reads sits on another connection;
  * role request (master) shows as Controller.role=master;
  * protocols=OpenFlow13: ovs-ofctl's default OF1.0 is refused, -O OpenFlow13 works;
  * fail_mode=secure without controllers: no NORMAL flow; back to standalone: the
    NORMAL flow returns.

  test_controllers.py --bindir DIR
"""
import ctypes
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "switchd"))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
import harness  # noqa: E402
import system  # noqa: E402

F = harness.Failures()
check = F.check

LOG_ALLOW = []


def in_netns(ns, fn):
    """fn() run on a thread inside network namespace `ns` (sockets it makes stay there)."""
    out = {}

    def run():
        try:
            fd = os.open("/run/netns/" + ns, os.O_RDONLY)
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
                raise OSError(ctypes.get_errno(), "setns " + ns)
            os.close(fd)
            out["v"] = fn()
        except Exception as e:  # noqa: BLE001 - handed to the caller
            out["e"] = e
    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "e" in out:
        raise out["e"]
    return out["v"]


def hdr(version, type_, length, xid=1):
    return struct.pack("!BBHI", version, type_, length, xid)


class Peer:
    """One OpenFlow connection seen from the controller's side."""

    def __init__(self, s, timeout=5.0):
        self.s = s
        self.s.settimeout(timeout)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def recv(self):
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

    def negotiate(self, version=4):
        self.send(hdr(version, 0, 16) + struct.pack("!HHI", 1, 8, 1 << version))
        m = self.recv()
        assert m and m[1] == 0, m
        return m

    def eof(self, timeout=10.0):
        self.s.settimeout(timeout)
        try:
            while True:
                if self.recv() is None:
                    return True
        except (socket.timeout, ConnectionResetError):
            return False

    def close(self):
        self.s.close()


def ctl_get(sysm, column):
    r = sysm.vsctl("--no-wait", "get", "controller", "br0", column, check=False)
    return r.stdout.strip() if r.returncode == 0 else ""


def wait_connected(sysm, want, timeout=15):
    word = "true" if want else "false"
    try:
        harness.wait_until(lambda: ctl_get(sysm, "is_connected") == word,
                           "Controller.is_connected=" + word, timeout=timeout)
        return True
    except AssertionError as e:
        check(False, str(e) + " (status %s)" % ctl_get(sysm, "status"))
        return False


def active_tcp(sysm):
    lsock = in_netns(sysm.netns, lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    port = lsock.getsockname()[1]
    lsock.listen(4)
    lsock.settimeout(15)
    target = "tcp:127.0.0.1:%d" % port
    sysm.vsctl("set-controller", "br0", target, "--", "set", "controller", "br0", "max_backoff=1000",
               "inactivity_probe=0")
    p = Peer(lsock.accept()[0])
    p.negotiate(4)
    p.send(hdr(4, 5, 8, 77))  # FEATURES_REQUEST
    m = p.recv()
    check(m is not None and m[1] == 6 and m[4:8] == struct.pack("!I", 77), "features reply")
    wait_connected(sysm, True)
    flows = subprocess.run(["ovs-ofctl", "dump-flows", "br0"], env=sysm.env, capture_output=True,
                           text=True, timeout=20)
    check(flows.returncode == 0 and "NORMAL" not in flows.stdout,
          "the first controller flushes the NORMAL flow: " + flows.stdout + flows.stderr)
    check("ACTIVE" in ctl_get(sysm, "status"), "status:state=ACTIVE: " + ctl_get(sysm, "status"))
    # The controller goes: not connected, then it reconnects when it listens again.
    p.close()
    wait_connected(sysm, False)
    check("sec_since_disconnect" in ctl_get(sysm, "status"), "status after the disconnect")
    t0 = time.monotonic()
    p = Peer(lsock.accept()[0])
    p.negotiate(4)
    harness.log("reconnected after %.2f s" % (time.monotonic() - t0))
    wait_connected(sysm, True)
    # Inactivity probe: an echo request, then a disconnect if nothing comes back.
    sysm.vsctl("set", "controller", "br0", "inactivity_probe=1000")
    p.s.settimeout(8)
    m = p.recv()
    check(m is not None and m[1] == 2, "ECHO_REQUEST from the inactivity probe")
    check(p.eof(), "silent controller dropped after the probe")
    p = Peer(lsock.accept()[0])
    p.negotiate(4)
    # Role request: master.
    p.send(hdr(4, 24, 24, 9) + struct.pack("!IIQ", 2, 0, 1))
    m = p.recv()
    while m is not None and m[1] == 2:  # echo requests of the probe
        p.send(hdr(4, 3, 8, struct.unpack("!I", m[4:8])[0]))
        m = p.recv()
    check(m is not None and m[1] == 25, "role reply")
    harness.wait_until(lambda: ctl_get(sysm, "role") == "master", "Controller.role=master")
    p.close()
    lsock.close()


def passive_many(sysm):
    sysm.vsctl("set-controller", "br0", "ptcp:0:127.0.0.1")
    port = harness.wait_until(
        lambda: (lambda s: s.split('bound_port="')[1].split('"')[0] if 'bound_port="' in s else None)(
            ctl_get(sysm, "status")), "status:bound_port")
    port = int(port)
    mk = lambda: socket.create_connection(("127.0.0.1", port), timeout=10)  # noqa: E731
    # A peer that asks for a lot and never reads.
    staller = in_netns(sysm.netns, mk)
    staller.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    staller.sendall(hdr(4, 0, 16) + struct.pack("!HHI", 1, 8, 1 << 4))
    for i in range(3000):
        try:
            staller.send(hdr(4, 18, 16, i) + struct.pack("!HH4x", 13, 0))  # port desc requests
        except BlockingIOError:
            break
    t0 = time.monotonic()
    peers = [Peer(in_netns(sysm.netns, mk)) for _ in range(100)]
    for p in peers:
        p.negotiate(4)
    for i, p in enumerate(peers):
        p.send(hdr(4, 2, 12, i) + b"ping")
    ok = 0
    for i, p in enumerate(peers):
        m = p.recv()
        ok += m is not None and m[1] == 3 and m[8:] == b"ping"
    check(ok == 100, "100 connections at once: %d answered" % ok)
    harness.log("100 passive connections served in %.2f s" % (time.monotonic() - t0))
    wait_connected(sysm, True)
    r = subprocess.run(["ip", "netns", "exec", sysm.netns, "ovs-ofctl", "-O", "OpenFlow13", "show",
                        "tcp:127.0.0.1:%d" % port], env=sysm.env, capture_output=True, text=True,
                       timeout=20)
    check(r.returncode == 0 and "(p1)" in r.stdout, "ovs-ofctl over ptcp: " + r.stdout + r.stderr)
    for p in peers:
        p.close()
    staller.close()


def protocols_and_fail_mode(sysm):
    sysm.vsctl("del-controller", "br0")
    sysm.vsctl("set", "bridge", "br0", "protocols=OpenFlow13")
    r = subprocess.run(["ovs-ofctl", "show", "br0"], env=sysm.env, capture_output=True, text=True,
                       timeout=20)
    check(r.returncode != 0, "protocols=OpenFlow13: OF1.0 must be refused")
    r = subprocess.run(["ovs-ofctl", "-O", "OpenFlow13", "dump-flows", "br0"], env=sysm.env,
                       capture_output=True, text=True, timeout=20)
    check(r.returncode == 0 and "actions=NORMAL" in r.stdout,
          "no controller, standalone: the NORMAL flow is back: " + r.stdout + r.stderr)
    sysm.vsctl("set", "bridge", "br0", "fail_mode=secure")
    r = subprocess.run(["ovs-ofctl", "-O", "OpenFlow13", "dump-flows", "br0"], env=sysm.env,
                       capture_output=True, text=True, timeout=20)
    check(r.returncode == 0 and "NORMAL" not in r.stdout, "secure: no NORMAL flow: " + r.stdout)
    sysm.vsctl("remove", "bridge", "br0", "fail_mode", "secure", "--", "clear", "bridge", "br0",
               "protocols")
    r = subprocess.run(["ovs-ofctl", "dump-flows", "br0"], env=sysm.env, capture_output=True,
                       text=True, timeout=20)
    check(r.returncode == 0 and "actions=NORMAL" in r.stdout, "standalone again: " + r.stdout)


def main():
    bindir = system.bindir_from_argv()
    if not shutil.which("ovs-ofctl"):
        harness.skip("the real ovs-ofctl is missing (Debian openvswitch-common)")
    sysm = system.System(bindir, log_allow=LOG_ALLOW)
    try:
        system.sh("ip", "-n", sysm.netns, "link", "set", "lo", "up")  # tcp: over loopback
        r = sysm.launcher("start")
        check(r.returncode == 0, "numavs start: " + r.stdout + r.stderr)
        sysm.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev",
                   "--", "add-port", "br0", "p1", "--", "set", "Interface", "p1", "type=dummy",
                   "--", "add-port", "br0", "p2", "--", "set", "Interface", "p2", "type=dummy")
        for step in (active_tcp, passive_many, protocols_and_fail_mode):
            t0 = time.monotonic()
            step(sysm)
            harness.log("%s: checked (%.2f s)" % (step.__name__, time.monotonic() - t0))
        check(sysm.switchd_alive(), "numavs-switchd died:\n" + sysm.log()[-3000:])
        sysm.stop(F)
    except BaseException:
        harness.log("numavs-switchd log (tail):\n" + sysm.log()[-4000:])
        raise
    finally:
        sysm.close()
    if F.items:
        harness.log("%d failure(s)" % len(F.items))
        return 1
    harness.log("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
