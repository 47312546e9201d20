#!/usr/bin/env python3
"""switchd_db_restart: restart the database under a running numavs-switchd
(issue 13, faults).

Host a pings host b every 10 ms through br0 (net_af_packet ports p0, p1)
while the database restarts three times: numavs-db (`numavs stop/start
--no-switchd`), then the real ovsdb-server (Debian) serving a copy of the
same database (`ovsdb-client backup`), started and then restarted in its
place. After each restart numavs-switchd reconnects and resyncs (a port added
afterwards is applied: ovs-vsctl waits for it), and p0/p1, whose
configuration did not change, lose no packet: every ping sent is answered
(the last one may be in flight when ping is stopped).

  test_db_restart.py --bindir DIR
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
from system import System, bindir_from_argv, sh  # noqa: E402

LOG_ALLOW = [
    r"\|dpdk\|(WARN|ERR)\|",  # DPDK's own lines from this environment (see test_forwarding.py)
    # numavs-switchd while the database is away: it says so and reconnects.
    r"\|ovsdb_idl\|WARN\|.*db\.sock: connection (closed|failed)",
    r"\|bridge\|WARN\|could not write the switch state to the database: not connected",
]


def replies(out):
    return len(re.findall(r"bytes from 10\.0\.0\.2", out))


class OvsdbServer:
    """The real ovsdb-server on the switch's db.sock, over `dbfile`."""

    def __init__(self, s, dbfile):
        self.s, self.dbfile, self.proc = s, dbfile, None
        self.logfile = os.path.join(s.tmp, "ovsdb-server-real.log")

    def start(self):
        sock = os.path.join(self.s.tmp, "db.sock")
        self.proc = subprocess.Popen(
            ["ovsdb-server", "--remote=punix:" + sock, "--pidfile=" + os.path.join(self.s.tmp, "real-ovsdb.pid"),
             "--unixctl=" + os.path.join(self.s.tmp, "real-ovsdb.ctl"), "--log-file=" + self.logfile, self.dbfile],
            env=self.s.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        harness.wait_until(lambda: self.proc.poll() is not None or
                           self.s.vsctl("--no-wait", "get", "Open_vSwitch", ".", "_uuid", check=False).returncode == 0,
                           "ovsdb-server to serve")
        if self.proc.poll() is not None:
            raise AssertionError("ovsdb-server exited: %s" % open(self.logfile).read())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def main():
    if os.geteuid() != 0:
        harness.skip("needs root (network namespaces)")
    harness.require_ovs_tools()
    if shutil.which("ovsdb-server") is None or shutil.which("ovsdb-client") is None:
        harness.skip("missing: ovsdb-server/ovsdb-client (apt-get install openvswitch-switch)")
    f = harness.Failures()
    s = System(bindir_from_argv(), log_allow=LOG_ALLOW)
    ping = real = None
    try:
        nsa, _ = s.add_hosts()
        s.start_dpdk()
        harness.wait_until(lambda: s.get("Open_vSwitch", ".", "dpdk_initialized") == "true", "DPDK to start",
                           timeout=60)
        s.bridge_to_hosts()
        harness.wait_until(lambda: sh("ip", "netns", "exec", nsa, "ping", "-c", "1", "-W", "1", "10.0.0.2",
                                      check=False).returncode == 0, "ping through br0", timeout=30)
        out = open(os.path.join(s.tmp, "ping.out"), "w")
        ping = subprocess.Popen(["ip", "netns", "exec", nsa, "stdbuf", "-oL", "ping", "-i", "0.01", "-W", "2", "10.0.0.2"],
                                stdout=out, stderr=subprocess.STDOUT)
        harness.wait_until(lambda: replies(s.read("ping.out")) >= 50, "50 ping replies")
        n = 2

        def resynced(what):
            nonlocal n
            t0 = time.monotonic()
            s.vsctl("add-port", "br0", "p%d" % n, "--", "set", "Interface", "p%d" % n, "type=internal")
            f.eq(s.get("Interface", "p%d" % n, "error"), "[]", "p%d applied after %s" % (n, what))
            harness.log("%s: numavs-switchd applied p%d %.2f s later; %d replies so far"
                        % (what, n, time.monotonic() - t0, replies(s.read("ping.out"))))
            n += 1
            got = replies(s.read("ping.out"))
            harness.wait_until(lambda: replies(s.read("ping.out")) >= got + 20, "ping replies after " + what)

        # numavs-db restarted.
        s.launcher("stop", "--no-switchd")
        time.sleep(0.5)  # the database is away for a while: the switch keeps forwarding
        s.launcher("start", "--no-switchd")
        resynced("numavs-db restarted")
        # The real ovsdb-server in its place, over a copy of the same database.
        ovsdb = os.path.join(s.tmp, "ovs-copy.db")
        with open(ovsdb, "w") as dbf:
            r = subprocess.run(["ovsdb-client", "backup", "unix:" + os.path.join(s.tmp, "db.sock"), "Open_vSwitch"],
                               env=s.env, stdout=dbf, stderr=subprocess.PIPE, text=True, timeout=30)
        f.eq(r.returncode, 0, "ovsdb-client backup: %s" % r.stderr)
        s.launcher("stop", "--no-switchd")
        real = OvsdbServer(s, ovsdb)
        real.start()
        resynced("ovsdb-server in numavs-db's place")
        real.stop()
        time.sleep(0.5)
        real.start()
        resynced("ovsdb-server restarted")
        before = replies(s.read("ping.out"))
        harness.wait_until(lambda: replies(s.read("ping.out")) >= before + 50, "50 more replies")
        ping.send_signal(signal.SIGINT)
        ping.wait(timeout=10)
        out.close()
        text = s.read("ping.out")
        m = re.search(r"(\d+) packets transmitted, (\d+) received", text)
        f.check(m is not None, "ping's summary: %r" % text[-300:])
        if m:
            sent, got = int(m.group(1)), int(m.group(2))
            harness.log("ping across three database restarts: %d sent, %d answered" % (sent, got))
            f.check(sent >= 200 and got >= sent - 1, "no packet lost: %d sent, %d answered" % (sent, got))
        for line in harness.unexpected_log_lines(open(real.logfile, errors="replace").read(),
                                                 [r"terminating with signal 15"]):
            f.check(False, "ovsdb-server log: unexpected %s" % line)
        real.stop()
        real = None
        s.launcher("start", "--no-switchd")
        s.stop(f)
    except Exception:
        harness.log("numavs-switchd's log, last lines:\n" + "\n".join(s.log().splitlines()[-40:]))
        raise
    finally:
        if ping is not None and ping.poll() is None:
            ping.kill()
            ping.wait()
        if real is not None:
            real.stop()
        s.close()
    f.finish("switchd_db_restart")


if __name__ == "__main__":
    main()
