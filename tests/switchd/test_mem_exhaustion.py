#!/usr/bin/env python3
"""switchd_mem_exhaustion: DPDK memory runs out during reconfiguration under
traffic (issue 13, faults; the real backend: the EAL's no-hugepage heap held
to 256 MB with -m, as a tight dpdk-socket-limit holds a hugepage heap).

Host a pings host b every 10 ms through p0/p1 (net_af_packet) while ports
are added whose packet buffers do not fit (mtu_request=9000: a 210 MB pool),
and a port that fits has its MTU raised past what fits. Each refusal is one
line in that Interface's error column with the cause and the command that
fixes it; numavs-switchd never crashes, p0/p1 keep forwarding without losing
a ping, and once the ports go the memory serves again.

  test_mem_exhaustion.py --bindir DIR
"""
import os
import re
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from system import System, bindir_from_argv, sh  # noqa: E402

LOG_ALLOW = [
    r"\|dpdk\|(WARN|ERR)\|",  # DPDK's own lines from this environment (see test_forwarding.py)
    # The refusals this test provokes.
    r"could not allocate \d+ MB of packet buffers on NUMA node 0 for p[23]",
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
        s.prefix = "numavs-" + s.tag
        s.launcher("start")
        s.vsctl("set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
                'other_config:dpdk-extra="--no-huge -m 256 --no-pci --file-prefix=%s"' % s.prefix)
        harness.wait_until(lambda: s.get("Open_vSwitch", ".", "dpdk_initialized") == "true", "DPDK to start",
                           timeout=60)
        s.bridge_to_hosts()
        harness.wait_until(lambda: sh("ip", "netns", "exec", nsa, "ping", "-c", "1", "-W", "1", "10.0.0.2",
                                      check=False).returncode == 0, "ping through br0", timeout=30)
        out = open(os.path.join(s.tmp, "ping.out"), "w")
        ping = subprocess.Popen(["ip", "netns", "exec", nsa, "stdbuf", "-oL", "ping", "-i", "0.01", "-W", "2",
                                 "10.0.0.2"], stdout=out, stderr=subprocess.STDOUT)
        harness.wait_until(lambda: replies(s.read("ping.out")) >= 50, "50 ping replies")

        def refused(port, what):
            err = s.get("Interface", port, "error").replace('\\"', '"')
            harness.log("%s: %s" % (what, err))
            f.check("could not allocate" in err and "packet buffers" in err and "run: ovs-vsctl" in err
                    and "\\n" not in err, "%s: one line with the cause and the fix: %r" % (what, err))

        # A port whose pool does not fit.
        s.vsctl("add-port", "br0", "p2", "--", "set", "Interface", "p2", "type=dpdk",
                "options:dpdk-devargs=net_ring_p2", "mtu_request=9000")
        refused("p2", "add-port p2 with mtu_request=9000")
        # A port that fits, then its MTU raised past what fits.
        s.vsctl("add-port", "br0", "p3", "--", "set", "Interface", "p3", "type=dpdk",
                "options:dpdk-devargs=net_ring_p3")
        err3 = s.get("Interface", "p3", "error")
        harness.log("add-port p3 (1500): %s" % err3)
        s.vsctl("set", "Interface", "p3", "mtu_request=9000")
        refused("p3", "p3 mtu_request=9000")
        for port in ("p0", "p1"):
            f.eq(s.get("Interface", port, "error"), "[]", "%s untouched by the refusals" % port)
        f.check(s.switchd_alive(), "numavs-switchd runs after the refusals")
        got = replies(s.read("ping.out"))
        harness.wait_until(lambda: replies(s.read("ping.out")) >= got + 50, "50 replies after the refusals")
        # The ports go; what they could not get is not held.
        s.vsctl("del-port", "br0", "p2", "--", "del-port", "br0", "p3")
        s.vsctl("add-port", "br0", "p4", "--", "set", "Interface", "p4", "type=dpdk",
                "options:dpdk-devargs=net_ring_p4")
        f.eq(s.get("Interface", "p4", "error"), "[]", "a port that fits once the others are gone")
        ping.send_signal(signal.SIGINT)
        ping.wait(timeout=10)
        out.close()
        m = re.search(r"(\d+) packets transmitted, (\d+) received", s.read("ping.out"))
        f.check(m is not None, "ping's summary")
        if m:
            sent, got = int(m.group(1)), int(m.group(2))
            harness.log("ping across the refusals: %d sent, %d answered" % (sent, got))
            f.check(got >= sent - 1, "p0/p1 lost no packet: %d sent, %d answered" % (sent, got))
        s.stop(f)
    except Exception:
        harness.log("numavs-switchd's log, last lines:\n" + "\n".join(s.log().splitlines()[-30:]))
        raise
    finally:
        if ping is not None and ping.poll() is None:
            ping.kill()
            ping.wait()
        s.close()
    f.finish("switchd_mem_exhaustion")


if __name__ == "__main__":
    main()
