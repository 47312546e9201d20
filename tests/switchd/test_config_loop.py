#!/usr/bin/env python3
"""switchd_config_loop: numavs-switchd applies the database and writes back.

numavs-db (and, as a check of the protocol use, the real ovsdb-server) with
numavs-switchd in a private network namespace (its internal ports are TAP
devices). The REAL ovs-vsctl runs WITHOUT --no-wait, so every command returns
only once the daemon has applied it (cur_cfg caught up with next_cfg):
  * add-br: the bridge's internal port is a TAP in the namespace, ofport 65534;
  * dummy ports get ofports from 1, ofport_request is honoured;
  * the seed's dpdk port without dpdk-init: ovs-vsctl prints "Error detected
    while setting up 'dpdk0'" with the cause and the fix; Interface error holds
    it, ofport is -1, and the daemon serves everything else;
  * an unknown type and an out-of-range mtu_request get their own errors;
  * the database restarts: the daemon reconnects, leaves untouched ports alone
    and applies the next command;
  * del-port / del-br remove ports and the TAP; ovs-appctl dpif/show, version,
    exit work on the daemon's control socket.

  test_config_loop.py --numavs-db PATH [--numavs-switchd PATH]
  test_config_loop.py --bindir DIR
"""
import os
import subprocess
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
import harness  # noqa: E402


class Switchd:
    def __init__(self, binary, srv, netns):
        self.binary, self.srv, self.netns = binary, srv, netns
        self.ctl = os.path.join(srv.tmp, "switchd.ctl")
        self.log = os.path.join(srv.tmp, "switchd.log")
        self.proc = None

    def start(self):
        cmd = ["ip", "netns", "exec", self.netns, self.binary, srv_remote(self.srv),
               "--unixctl=" + self.ctl, "--log-file=" + self.log]
        self.proc = subprocess.Popen(cmd, env=self.srv.env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("numavs-switchd exited with %s; log:\n%s" % (self.proc.returncode,
                                                                                 self.read_log()))
            return os.path.exists(self.ctl)
        harness.wait_until(ready, "numavs-switchd's control socket %s" % self.ctl)

    def appctl(self, *args, check=True):
        return self.srv.run(["ovs-appctl", "-T", "10", "-t", self.ctl] + list(args), timeout=20, check=check)

    def read_log(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# WARN/ERR lines this test provokes on purpose (see harness.unexpected_log_lines).
SWITCHD_LOG_ALLOW = [
    # The seed's dpdk port added without dpdk-init: the error the test checks.
    r"\|bridge\|WARN\|bridge br0: could not open network device dpdk0: DPDK is not initialised",
    # x1 is added with type=frobnicate on purpose.
    r"\|bridge\|WARN\|bridge br0: could not open network device x1: unsupported interface type \"frobnicate\"",
    # d2 is added with mtu_request=20 on purpose.
    r"\|bridge\|WARN\|bridge br0: d2: mtu_request=20 is out of range",
    # The test restarts the database: the daemon loses it and retries until it is back.
    r"\|ovsdb_idl\|WARN\|unix:.*/db\.sock: connection closed \(connection closed by peer\); reconnecting",
    r"\|ovsdb_idl\|WARN\|unix:.*/db\.sock: connection failed \((No such file or directory|Connection refused)\); "
    r"retrying",
]
DB_LOG_ALLOW = []  # numavs-db: nothing in this test may warn


def srv_remote(srv):
    return "unix:" + srv.sock


def vsctl(srv, *args):
    # No --no-wait: returns once numavs-switchd has applied the change. Status 0 always: a
    # port the daemon could not set up is reported on stderr ("Error detected while setting
    # up"), as by ovs-vsctl with ovs-vswitchd, which the test checks.
    return srv.run(["ovs-vsctl", "--db=" + srv.remote(), "--timeout=15"] + list(args), timeout=30, check=True)


def get(srv, *args):
    r = srv.run(["ovs-vsctl", "--db=" + srv.remote(), "--timeout=15", "--no-wait", "get"] + list(args), check=True)
    return r.stdout.strip()


def link_exists(netns, name):
    return subprocess.run(["ip", "-n", netns, "link", "show", name],
                          capture_output=True).returncode == 0


def stop_and_check(kind, srv, sw, f):
    """`ovs-appctl exit` to numavs-switchd (status 0), then the database; then
    the WARN/ERR lines of both logs against the allow-lists."""
    sw.appctl("exit")
    try:
        sw.proc.wait(10)
    except subprocess.TimeoutExpired:
        f.check(False, "%s: numavs-switchd did not exit" % kind)
    f.check(sw.proc.returncode == 0, "%s: exit status %s" % (kind, sw.proc.returncode))
    for line in harness.unexpected_log_lines(sw.read_log(), SWITCHD_LOG_ALLOW):
        f.check(False, "%s: numavs-switchd logged: %s" % (kind, line))
    srv.stop()
    try:
        srv.check_log()
    except AssertionError as e:
        f.check(False, "%s: %s" % (kind, e))


def run(kind, numavs_db, switchd_bin, f, full):
    netns = "numavs-t-" + uuid.uuid4().hex[:8]
    subprocess.run(["ip", "netns", "add", netns], check=True)
    srv = harness.Server(kind, numavs_bin=numavs_db, log_allow=DB_LOG_ALLOW)
    sw = None
    try:
        srv.start()
        srv.vsctl("--no-wait", "init")
        sw = Switchd(switchd_bin, srv, netns)
        sw.start()
        r = vsctl(srv, "add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
        f.check(r.returncode == 0 and r.stderr == "", "%s: add-br: rc=%d %r" % (kind, r.returncode, r.stderr))
        f.eq(get(srv, "Interface", "br0", "ofport"), "65534", "%s: bridge internal port ofport" % kind)
        f.check(link_exists(netns, "br0"), "%s: TAP br0 missing in the namespace" % kind)
        f.eq(get(srv, "Open_vSwitch", ".", "cur_cfg"), get(srv, "Open_vSwitch", ".", "next_cfg"),
             "%s: cur_cfg caught up" % kind)
        r = vsctl(srv, "add-port", "br0", "d1", "--", "set", "Interface", "d1", "type=dummy")
        f.check(r.returncode == 0 and r.stderr == "", "%s: add-port d1: %r" % (kind, r.stderr))
        f.eq(get(srv, "Interface", "d1", "ofport"), "1", "%s: d1 ofport" % kind)
        f.eq(get(srv, "Interface", "d1", "admin_state"), "up", "%s: d1 admin_state" % kind)
        # The seed's command, without DPDK initialised.
        r = vsctl(srv, "add-port", "br0", "dpdk0", "--", "set", "Interface", "dpdk0", "type=dpdk",
                  "options:dpdk-devargs=0000:81:00.1")
        f.check(r.returncode == 0, "%s: seed add-port rc=%d" % (kind, r.returncode))
        f.check("Error detected while setting up 'dpdk0'" in r.stderr and "dpdk-init=true" in r.stderr,
                "%s: ovs-vsctl should report the dpdk0 error with its fix: %r" % (kind, r.stderr))
        err = get(srv, "Interface", "dpdk0", "error")
        f.check("dpdk-init=true" in err, "%s: Interface error: %r" % (kind, err))
        f.eq(get(srv, "Interface", "dpdk0", "ofport"), "-1", "%s: failed port ofport" % kind)
        if not full:
            stop_and_check(kind, srv, sw, f)
            return
        r = vsctl(srv, "add-port", "br0", "x1", "--", "set", "Interface", "x1", "type=frobnicate")
        f.check("unsupported interface type" in r.stderr, "%s: unknown type: %r" % (kind, r.stderr))
        r = vsctl(srv, "add-port", "br0", "d2", "--", "set", "Interface", "d2", "type=dummy",
                  "ofport_request=7", "mtu_request=20")
        f.check("mtu_request=20 is out of range" in r.stderr, "%s: bad mtu: %r" % (kind, r.stderr))
        r = vsctl(srv, "set", "Interface", "d2", "mtu_request=9000")
        f.check(r.returncode == 0, "%s: fixing mtu_request rc=%d %r" % (kind, r.returncode, r.stderr))
        f.eq(get(srv, "Interface", "d2", "ofport"), "7", "%s: ofport_request honoured" % kind)
        f.eq(get(srv, "Interface", "d2", "mtu"), "9000", "%s: mtu follows mtu_request" % kind)
        f.eq(get(srv, "Interface", "d2", "error"), "[]", "%s: error cleared once fixed" % kind)
        show = sw.appctl("dpif/show")
        f.check("d2 7: (dummy)" in show.stdout and "dpdk0 -: (error" in show.stdout,
                "%s: dpif/show: %r" % (kind, show.stdout))
        f.check(sw.appctl("version").stdout.startswith("numavs-switchd"), "%s: version" % kind)
        # Database restart: the daemon reconnects and leaves d1 alone.
        srv.stop()
        srv.start()
        r = vsctl(srv, "add-port", "br0", "d3", "--", "set", "Interface", "d3", "type=dummy")
        f.check(r.returncode == 0 and r.stderr == "", "%s: add-port after db restart: rc=%d %r" % (kind, r.returncode, r.stderr))
        f.eq(get(srv, "Interface", "d3", "ofport"), "2", "%s: d3 ofport" % kind)
        f.check("reopening interface d1" not in sw.read_log(), "%s: d1 was reopened on resync" % kind)
        r = vsctl(srv, "del-port", "d1")
        f.check(r.returncode == 0, "%s: del-port" % kind)
        r = vsctl(srv, "del-br", "br0")
        f.check(r.returncode == 0 and r.stderr == "", "%s: del-br: %r" % (kind, r.stderr))
        f.check(not link_exists(netns, "br0"), "%s: TAP br0 left behind" % kind)
        stop_and_check(kind, srv, sw, f)
    finally:
        if sw:
            sw.stop()
        srv.cleanup() if hasattr(srv, "cleanup") else None
        subprocess.run(["ip", "netns", "del", netns], capture_output=True)


def main():
    harness.require_ovs_tools()
    argv = sys.argv[1:]
    if "--bindir" in argv:  # the CTest form: every binary from one directory
        i = argv.index("--bindir")
        bindir = argv[i + 1]
        argv[i:i + 2] = ["--numavs-db", os.path.join(bindir, "numavs-db"),
                         "--numavs-switchd", os.path.join(bindir, "numavs-switchd")]
    switchd = None
    if "--numavs-switchd" in argv:
        i = argv.index("--numavs-switchd")
        switchd = argv[i + 1]
        del argv[i:i + 2]
    _, numavs_db = harness.parse_common_args(argv, kinds=("numavs",))
    switchd = switchd or os.path.join(os.path.dirname(numavs_db), "numavs-switchd")
    if os.geteuid() != 0:
        harness.skip("needs root for network namespaces and TAP devices")
    f = harness.Failures()
    run("numavs", numavs_db, switchd, f, full=True)
    run("ovsdb-server", numavs_db, switchd, f, full=False)
    f.finish("switchd_config_loop")


if __name__ == "__main__":
    main()
