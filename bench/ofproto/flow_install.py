#!/usr/bin/python3
"""bench/ofproto: flow installation time, numavs against the real OVS-DPDK 3.1.

The real `ovs-ofctl` installs the same N-flow file into bridge br0 of each switch:

  * numavs: numavs-db + numavs-switchd started by the launcher (tests/switchd/system.py:
    private rundir and network namespace);
  * OVS: ovsdb-server + /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk with
    `--enable-dummy --disable-system` (dpdk-init=false: the DPDK build's ofproto, no EAL needed),
    its own rundir and network namespace.

Both bridges are datapath_type=netdev with dummy ports p1 and p2 (ofports 1 and 2). Modes:
`plain` is `ovs-ofctl add-flows br0 FILE` (OpenFlow 1.0 + NXM, ovs-ofctl's default: one flow_mod
per flow, pipelined, a barrier at the end); `bundle` is `ovs-ofctl -O OpenFlow14 --bundle
add-flows` (one atomic bundle). Each repetition starts from an empty table (del-flows), times
the ovs-ofctl command, and checks with dump-aggregate that N flows are installed. Prints
seconds min / median / max of the repetitions and the ratio of the medians (OVS / numavs: above
1 means numavs is faster). `--million` then installs 1,000,000 flows into numavs once (and
reports the daemon's resident memory).

  bench/ofproto/run.sh [--flows 100000] [--reps 3] [--modes plain,bundle] [--million]
                       [--switches ovs,numavs] [--bindir build/default/bin]
"""
import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "switchd"))
sys.path.insert(0, os.path.join(ROOT, "tests", "ovsdb"))
import harness  # noqa: E402
import system  # noqa: E402

OVS_VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def flow_lines(n):
    """N distinct table-0 flows in four match shapes (as a Neutron-like table has)."""
    out = []
    for i in range(n):
        a, b, c = (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff
        shape = i % 4
        prio = 100 + (i % 50)
        if shape == 0:
            out.append("priority=%d,ip,nw_dst=10.%d.%d.%d,actions=output:2" % (prio, a, b, c))
        elif shape == 1:
            out.append("priority=%d,tcp,nw_src=172.%d.%d.%d,tp_dst=%d,actions=output:1"
                       % (prio, 16 + a, b, c, 1 + (i % 60000)))
        elif shape == 2:
            out.append("priority=%d,in_port=1,dl_dst=02:00:%02x:%02x:%02x:01,actions=output:2" % (prio, a, b, c))
        else:
            out.append("priority=%d,udp,nw_dst=192.%d.%d.%d,tp_src=53,actions=drop" % (prio, 168 ^ a, b, c))
    return out


def run(cmd, env, timeout=1800, check=True):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd[:4]), r.returncode, (r.stderr or r.stdout).strip()))
    return r


class Ovs:
    """ovsdb-server + ovs-vswitchd-dpdk (dummy ports, no EAL) in a private rundir and netns."""
    name = "ovs"

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="numavs-bench-ofp-ovs-")
        self.env = harness.client_env(self.tmp)
        self.netns = "numavs-bofp-%d" % os.getpid()
        self.procs = []
        subprocess.run(["ip", "netns", "add", self.netns], check=True)

    def start(self):
        d, sock = self.tmp, os.path.join(self.tmp, "db.sock")
        run(["ovsdb-tool", "create", d + "/conf.db", OVS_SCHEMA], self.env)
        for cmd in (["ovsdb-server", d + "/conf.db", "--remote=punix:" + sock, "--unixctl=" + d + "/db.ctl",
                     "--log-file=" + d + "/ovsdb-server.log"],
                    ["ip", "netns", "exec", self.netns, OVS_VSWITCHD, "unix:" + sock, "--enable-dummy",
                     "--disable-system", "--unixctl=" + d + "/vswitchd.ctl", "--log-file=" + d + "/ovs-vswitchd.log",
                     "-vconsole:off"]):
            self.procs.append(subprocess.Popen(cmd, env=self.env, stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL, start_new_session=True))
            if cmd[0] == "ovsdb-server":
                harness.wait_until(lambda: os.path.exists(sock), "ovsdb-server's socket", 20)
                run(["ovs-vsctl", "--no-wait", "init", "--", "set", "Open_vSwitch", ".",
                     "other_config:dpdk-init=false"], self.env)
        add_bridge(self.env)
        harness.wait_until(lambda: os.path.exists(os.path.join(d, "br0.mgmt")), "OVS br0.mgmt", 30)

    def close(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        subprocess.run(["ip", "netns", "del", self.netns])
        shutil.rmtree(self.tmp, ignore_errors=True)

    def pid(self):
        return self.procs[1].pid if len(self.procs) > 1 else None


class Numavs:
    name = "numavs"

    def __init__(self, bindir):
        self.sys = system.System(bindir)
        self.tmp, self.env = self.sys.tmp, self.sys.env

    def start(self):
        self.sys.launcher("start")
        add_bridge(self.env)
        harness.wait_until(lambda: os.path.exists(os.path.join(self.tmp, "br0.mgmt")), "numavs br0.mgmt", 30)

    def close(self):
        f = harness.Failures()
        self.sys.stop(f)
        self.sys.close()

    def pid(self):
        try:
            return int(open(os.path.join(self.tmp, "numavs-switchd.pid")).read())
        except (OSError, ValueError):
            return None


def add_bridge(env):
    run(["ovs-vsctl", "--timeout=30", "add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev",
         "--", "add-port", "br0", "p1", "--", "set", "Interface", "p1", "type=dummy", "ofport_request=1",
         "--", "add-port", "br0", "p2", "--", "set", "Interface", "p2", "type=dummy", "ofport_request=2"], env)


def rss_mb(pid):
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, TypeError):
        pass
    return float("nan")


def install(sw, path, n, mode):
    """Seconds to install the file into an empty table; checks that n flows are there."""
    mgmt = "unix:%s/br0.mgmt" % sw.tmp
    run(["ovs-ofctl", "del-flows", mgmt], sw.env)
    cmd = ["ovs-ofctl"] + (["-O", "OpenFlow14", "--bundle"] if mode == "bundle" else []) + ["add-flows", mgmt, path]
    t0 = time.monotonic()
    run(cmd, sw.env)
    dt = time.monotonic() - t0
    agg = run(["ovs-ofctl", "dump-aggregate", mgmt], sw.env).stdout
    m = re.search(r"flow_count=(\d+)", agg)
    if not m or int(m.group(1)) != n:
        raise RuntimeError("%s: %d flows installed, want %d" % (sw.name, int(m.group(1)) if m else -1, n))
    return dt


def mmm(v):
    return "%.2f / %.2f / %.2f" % (min(v), statistics.median(v), max(v))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bindir", default=os.path.join(ROOT, "build", "default", "bin"))
    ap.add_argument("--flows", type=int, default=100000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--modes", default="plain,bundle")
    ap.add_argument("--switches", default="ovs,numavs")
    ap.add_argument("--million", action="store_true", help="then install 1,000,000 flows into numavs once")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/ofproto: run as root (network namespaces)")
    def on_signal(signum, frame):
        raise SystemExit(128 + signum)  # the finally blocks stop the daemons
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    modes = [m for m in args.modes.split(",") if m]
    switches = [s for s in args.switches.split(",") if s]
    work = tempfile.mkdtemp(prefix="numavs-bench-ofp-")
    path = os.path.join(work, "flows-%d.txt" % args.flows)
    with open(path, "w") as f:
        f.write("\n".join(flow_lines(args.flows)) + "\n")
    res, fails, rss = {}, {}, {}
    t_start = time.monotonic()
    try:
        for s in switches:
            sw = Numavs(args.bindir) if s == "numavs" else Ovs()
            try:
                sw.start()
                for mode in modes:
                    times = []
                    try:
                        for r in range(args.reps):
                            times.append(install(sw, path, args.flows, mode))
                            log("%s %s %d flows, rep %d: %.2f s" % (s, mode, args.flows, r + 1, times[-1]))
                        res[(s, mode)] = times
                    except (RuntimeError, subprocess.TimeoutExpired) as e:
                        fails[(s, mode)] = str(e).splitlines()[0][:200]
                        log("%s %s failed: %s" % (s, mode, fails[(s, mode)]))
                rss[s] = rss_mb(sw.pid())
                if s == "numavs" and args.million:
                    big = os.path.join(work, "flows-1000000.txt")
                    with open(big, "w") as f:
                        f.write("\n".join(flow_lines(1000000)) + "\n")
                    try:
                        dt = install(sw, big, 1000000, "plain")
                        res[("numavs-1M", "plain")] = [dt]
                        rss["numavs-1M"] = rss_mb(sw.pid())
                        log("numavs: 1,000,000 flows in %.1f s, RSS %.0f MB" % (dt, rss["numavs-1M"]))
                    except (RuntimeError, subprocess.TimeoutExpired) as e:
                        fails[("numavs-1M", "plain")] = str(e).splitlines()[0][:200]
            finally:
                sw.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out = ["## Flow installation: %s flows with the real ovs-ofctl, seconds min / median / max of %d"
           % ("{:,}".format(args.flows), args.reps), "",
           "| mode | OVS-DPDK 3.1 | numavs | OVS / numavs (medians) |", "|---|---|---|---|"]
    for mode in modes:
        cells, med = [], {}
        for s in ("ovs", "numavs"):
            if (s, mode) in res:
                med[s] = statistics.median(res[(s, mode)])
                cells.append(mmm(res[(s, mode)]))
            else:
                cells.append("failed: " + fails[(s, mode)] if (s, mode) in fails else "not run")
        ratio = "%.2f" % (med["ovs"] / med["numavs"]) if len(med) == 2 and med["numavs"] > 0 else "n/a"
        out.append("| %s | %s | %s | %s |" % ("add-flows" if mode == "plain" else "-O OpenFlow14 --bundle add-flows",
                                              cells[0], cells[1], ratio))
    out.append("")
    out.append("Resident memory after the runs: " + ", ".join("%s %.0f MB" % kv for kv in sorted(rss.items())))
    if ("numavs-1M", "plain") in res:
        out.append("numavs, 1,000,000 flows (add-flows): %.1f s" % res[("numavs-1M", "plain")][0])
    elif ("numavs-1M", "plain") in fails:
        out.append("numavs, 1,000,000 flows: FAILED: " + fails[("numavs-1M", "plain")])
    out.append("\nRun: %s, %.0f s, load average %s" % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                                    time.monotonic() - t_start, open("/proc/loadavg").read().split()[0]))
    print("\n".join(out))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
