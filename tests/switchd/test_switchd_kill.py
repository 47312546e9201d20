#!/usr/bin/env python3
"""switchd_kill: SIGKILL numavs-switchd under traffic, start it again with the
launcher (issue 13, faults).

Two hosts behind net_af_packet ports of br0 ping each other every 20 ms. The
switch is killed (its pidfile, control socket and the EAL's runtime directory
/var/run/dpdk/<prefix> stay behind), `numavs start` starts it again, and the
ports, their PMD assignment and forwarding come back from the database: the
ping counts replies again, and the runtime files of the dead process do not
block the restart.

  test_switchd_kill.py --bindir DIR
"""
import os
import re
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
]


def replies(out):
    return len(re.findall(r"bytes from 10\.0\.0\.2", out))


def main():
    if os.geteuid() != 0:
        harness.skip("needs root (network namespaces)")
    f = harness.Failures()
    s = System(bindir_from_argv(), log_allow=LOG_ALLOW)
    ping = None
    try:
        nsa, _ = s.add_hosts()
        s.start_dpdk()
        harness.wait_until(lambda: s.get("Open_vSwitch", ".", "dpdk_initialized") == "true", "DPDK to start",
                           timeout=60)
        s.bridge_to_hosts()
        harness.wait_until(lambda: sh("ip", "netns", "exec", nsa, "ping", "-c", "1", "-W", "1", "10.0.0.2",
                                      check=False).returncode == 0, "ping through br0", timeout=30)
        rxq_before = s.appctl("dpif-netdev/pmd-rxq-show").stdout
        out_path = os.path.join(s.tmp, "ping.out")
        out = open(out_path, "w")
        ping = subprocess.Popen(["ip", "netns", "exec", nsa, "ping", "-i", "0.02", "-W", "1", "10.0.0.2"],
                                stdout=out, stderr=subprocess.STDOUT)
        harness.wait_until(lambda: replies(s.read("ping.out")) >= 20, "20 ping replies before the kill")
        pid = int(s.read("numavs-switchd.pid").strip())
        os.kill(pid, signal.SIGKILL)
        harness.wait_until(lambda: not os.path.exists("/proc/%d" % pid), "numavs-switchd to die")
        before = replies(s.read("ping.out"))
        stale = [p for p in ("/var/run/dpdk/" + s.prefix, os.path.join(s.tmp, "numavs-switchd.pid"))
                 if os.path.exists(p)]
        harness.log("killed numavs-switchd (pid %d) after %d replies; left behind: %s" % (pid, before, stale))
        t0 = time.monotonic()
        r = s.launcher("start", check=False)
        f.eq(r.returncode, 0, "numavs start after the kill: %s%s" % (r.stdout, r.stderr))
        harness.wait_until(lambda: s.get("Open_vSwitch", ".", "dpdk_initialized") == "true",
                           "DPDK to start again", timeout=60)
        harness.wait_until(lambda: replies(s.read("ping.out")) >= before + 20, "ping replies after the restart",
                           timeout=30)
        harness.log("traffic resumed %.1f s after numavs start: %d replies before, %d now"
                    % (time.monotonic() - t0, before, replies(s.read("ping.out"))))
        f.check(s.switchd_alive(), "both daemons run")
        new_pid = int(s.read("numavs-switchd.pid").strip())
        f.check(new_pid != pid, "a new numavs-switchd runs")
        rxq_after = s.appctl("dpif-netdev/pmd-rxq-show").stdout
        for port in ("p0", "p1"):
            f.check(("port: %s" % port) in rxq_after, "%s polled by a PMD after the restart: %r" % (port, rxq_after))
        f.eq(len(re.findall(r"pmd thread", rxq_after)), len(re.findall(r"pmd thread", rxq_before)),
             "as many PMD threads as before the kill")
        for port in ("p0", "p1"):
            f.eq(s.get("Interface", port, "error"), "[]", "%s has no error after the restart" % port)
        ctls = [n for n in os.listdir(s.tmp) if n.startswith("numavs-switchd.") and n.endswith(".ctl")]
        f.eq(ctls, ["numavs-switchd.%d.ctl" % new_pid], "only the new daemon's control socket")
        ping.send_signal(signal.SIGINT)
        ping.wait(timeout=10)
        out.close()
        summary = [line for line in s.read("ping.out").splitlines() if "transmitted" in line]
        harness.log("ping: %s" % summary)
        s.stop(f)
    finally:
        if ping is not None and ping.poll() is None:
            ping.kill()
            ping.wait()
        s.close()
    f.finish("switchd_kill")


if __name__ == "__main__":
    main()
