#!/usr/bin/python3
"""bench/dp vhost row: a vhost-user guest sends 64-byte frames into the switch and gets them back.

Shape, the same for numavs-switchd and the real OVS-DPDK 3.1 (ovs-vswitchd-dpdk):

    guest testpmd (flowgen, N flows) -> vh0 (dpdkvhostuserclient) -> switch: in_port=vh0,actions=in_port
                                     -> vh0 -> guest (flowgen frees what it receives)

Every packet crosses the vhost-user boundary twice (a dequeue and an enqueue by the switch's PMD,
as in a physical-virtual-physical set-up's virtual half; the physical half is bench.py's rows).
The "VM" is dpdk-testpmd with net_virtio_user0 as the vhost-user server (server=1, 2 MB pages,
--single-file-segments), its lcores on CPU 0 with the driver and the switches' control threads;
each switch has one PMD on CPU 1. The guest offers more than a switch forwards, so the rate is
the switch's: vh0's tx packets per second as the switch counts them (OpenFlow port stats), and
per PMD core that rate divided by the PMD thread's CPU share in the window. The bridge also has
p1 (net_null, no rx), so both switches run the same port set-up code as bench.py's rows.

Reuses bench.py's environment (hugepages, private hugetlbfs, DPDK prefixes), switches and
measurement windows; see README.md. Not part of ctest. Run through run.sh:

    bench/dp/run.sh --vhost [--quick] [--flows 1,1000] [--switches ovs,numavs] [--windows 3] ...
"""

import argparse
import csv
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench as B  # noqa: E402

GUEST_MBUFS = 32768


class Guest:
    """dpdk-testpmd as a virtio-user guest serving SOCK, forwarding everything back (io, loop)."""

    def __init__(self, env, out, tag, nflows):
        self.sock = os.path.join(env.dir, "vh0-%s.sock" % tag)
        self.prefix = env.prefix + "-guest"
        self.out_path = os.path.join(out, "guest-testpmd-%s.txt" % tag)
        self.env = env
        cmd = ["dpdk-testpmd", "--lcores=0@0,1@0", "--no-pci", "--file-prefix", self.prefix,
               "--huge-dir", env.hugedir, "--single-file-segments", "-m", "512",
               "--vdev=net_virtio_user0,path=%s,server=1,queues=1" % self.sock, "--",
               "--forward-mode=flowgen", "--flowgen-flows=%d" % nflows, "--nb-cores=1", "--auto-start",
               "--total-num-mbufs=%d" % GUEST_MBUFS, "--rxd=1024", "--txd=1024"]
        self.f = open(self.out_path, "w")
        # stdin stays open (a pipe): at EOF non-interactive testpmd would quit at once.
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=self.f, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        env.cleanups.append(self.stop)
        end = time.monotonic() + 60
        while not os.path.exists(self.sock):
            if self.p.poll() is not None:
                raise RuntimeError("guest testpmd exited at start-up (%d): %s" % (self.p.returncode, self.tail()))
            if time.monotonic() > end:
                raise RuntimeError("guest testpmd: no vhost-user socket after 60 s: " + self.tail())
            time.sleep(0.1)

    def tail(self):
        try:
            return " / ".join(open(self.out_path).read().splitlines()[-3:])
        except OSError:
            return ""

    def stop(self):
        if self.p is None:
            return
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)  # testpmd stops its ports and exits cleanly
            try:
                self.p.wait(15)
            except subprocess.TimeoutExpired:
                B.log("guest testpmd (pid %d) did not quit on SIGINT; sending KILL" % self.p.pid)
                self.p.kill()
                self.p.wait(5)
        self.p = None
        self.f.close()
        subprocess.run(["rm", "-rf", "/var/run/dpdk/" + self.prefix])
        try:
            os.unlink(self.sock)
        except OSError:
            pass


def setup_ports(sw, guest):
    """Replaces the switch's add_ports/wait_ports (bench.py: p0 pcap + p1 null): p1 + vh0, no p0."""
    def add_ports(pcap):
        sw.vsctl("--no-wait", "add-br", sw.br, "--", "set", "bridge", sw.br, "datapath_type=netdev",
                 "--", "add-port", sw.br, "p1", "--", "set", "Interface", "p1", "type=dpdk", "ofport_request=2",
                 "options:dpdk-devargs=net_null0,no-rx=1",
                 "--", "add-port", sw.br, "vh0", "--", "set", "Interface", "vh0", "type=dpdkvhostuserclient",
                 "ofport_request=3", "options:vhost-server-path=" + guest.sock)

    def wait_ports(timeout=60):
        end = time.monotonic() + timeout
        while True:
            if sw.pid and not sw.alive():
                raise RuntimeError("%s died while opening the ports%s" % (sw.daemon, sw.death_note()))
            ofp = [sw.vsctl("--if-exists", "get", "Interface", p, "ofport").strip() for p in ("p1", "vh0")]
            errs = [sw.vsctl("--if-exists", "get", "Interface", p, "error").strip() for p in ("p1", "vh0")]
            if any(e not in ("[]", "") for e in errs):
                raise RuntimeError("%s: port error %s" % (sw.name, errs))
            if all(o not in ("[]", "", "-1") for o in ofp):
                return
            if time.monotonic() > end:
                raise RuntimeError("%s: ports not up: ofport=%s" % (sw.name, ofp))
            time.sleep(0.2)

    def read_counts():
        """(vh0 rx, vh0 tx) packets as the switch counts them."""
        txt = sw.ctl.call("ofctl/dump-ports", sw.br) if isinstance(sw, B.Numavs) else sw.ofctl("dump-ports")
        name = "vh0" if isinstance(sw, B.Numavs) else "3"
        m = re.search(r"port +%s: rx pkts=(\d+).*\n\s*tx pkts=(\d+)" % name, txt)
        if not m:
            raise RuntimeError("%s: cannot parse dump-ports:\n%s" % (sw.name, txt))
        return int(m.group(1)), int(m.group(2))
    sw.add_ports, sw.wait_ports, sw.read_counts = add_ports, wait_ports, read_counts


def install_loop(sw):
    if isinstance(sw, B.Numavs):
        sw.ctl.call("ofctl/del-flows", sw.br)
        sw.ctl.call("ofctl/add-flow", sw.br, "in_port=vh0,actions=in_port")
    else:
        sw.ofctl("del-flows")
        sw.ofctl("add-flow", "in_port=3,actions=in_port")
        sw.ctl.call("revalidator/purge")


def wait_flowing(sw, guest, timeout=60):
    """Until vh0 transmits: the guest connected and the loop closed."""
    end = time.monotonic() + timeout
    _, tx0 = sw.read_counts()
    while True:
        if guest.p.poll() is not None:
            raise RuntimeError("guest testpmd exited (%d): %s" % (guest.p.returncode, guest.tail()))
        if not sw.alive():
            raise RuntimeError("%s died after the vhost port was added%s" % (sw.name, sw.death_note()))
        _, tx = sw.read_counts()
        if tx > tx0:
            return
        if time.monotonic() > end:
            st = sw.vsctl("--if-exists", "get", "Interface", "vh0", "status", "error").strip()
            raise RuntimeError("%s: nothing came back to the guest in %d s (vh0: %s)" % (sw.name, timeout, st))
        time.sleep(0.2)
    # The PMD thread may have been restarted when the port came up: find it again.
    sw.pmd_tid = B.find_thread(sw.pid, sw.pmd_comm)


def mmm(vals):
    return "%.3f / %.3f / %.3f" % (min(vals), statistics.median(vals), max(vals))


def summarize(results, failures, args):
    out = ["## vhost: guest testpmd flowgen -> vh0 -> switch (in_port=vh0,actions=in_port) -> vh0 -> guest, "
           "64-byte frames", "",
           "Mpps back to the guest per PMD core (vh0's tx rate / the PMD thread's CPU share), "
           "min / median / max of %d x %g s"
           % (args.windows, args.window), "",
           "| flows | OVS-DPDK 3.1 | numavs | numavs / OVS (medians) |", "|---|---|---|---|"]
    for n in args.flows:
        cells, med = [], {}
        for s in ("ovs", "numavs"):
            rows = results.get((s, n))
            if rows:
                v = [r["tx_mpps_per_pmd_cpu_s"] for r in rows]
                med[s] = statistics.median(v)
                cells.append(mmm(v))
            else:
                cells.append("failed: %s" % failures.get((s, n), "not run") if s in args.switches else "not run")
        ratio = "%.2f" % (med["numavs"] / med["ovs"]) if len(med) == 2 and med["ovs"] > 0 else "n/a"
        out.append("| {:,} | {} | {} | {} |".format(n, cells[0], cells[1], ratio))
    out += ["", "Raw vh0 tx Mpps (not divided by CPU share), min / median / max, and what the switch took in:", ""]
    for (s, n), rows in sorted(results.items()):
        out.append("* %s, %d flows: %s (vh0 rx %s; PMD CPU share %s; load1 %s)" % (
            s, n, mmm([r["tx_mpps"] for r in rows]), mmm([r["rx_mpps"] for r in rows]),
            "/".join("%.0f%%" % (100 * r["pmd_cpu_share"]) for r in rows), "/".join(r["load1"] for r in rows)))
    for k, why in sorted(failures.items()):
        out.append("* FAILED %s %d flows: %s" % (k[0], k[1], why))
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bindir", required=True)
    ap.add_argument("--flows", default="1,1000")
    ap.add_argument("--switches", default="ovs,numavs")
    ap.add_argument("--windows", type=int)
    ap.add_argument("--window", type=float)
    ap.add_argument("--warmup", type=float)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--hugepages", type=int, default=2048)
    ap.add_argument("--out")
    ap.add_argument("--workdir")
    ap.add_argument("--keep-workdir", action="store_true")
    args = ap.parse_args()
    for k, full, quick in (("windows", 3, 2), ("window", 10.0, 1.5), ("warmup", 5.0, 1.0)):
        if getattr(args, k) is None:
            setattr(args, k, quick if args.quick else full)
    args.flows = [int(x) for x in args.flows.split(",") if x]
    args.switches = [s for s in args.switches.split(",") if s]
    for s in args.switches:
        if s not in ("ovs", "numavs"):
            ap.error("unknown switch %s (vhost row: ovs, numavs)" % s)
    here = os.path.dirname(os.path.abspath(__file__))
    args.out = os.path.abspath(args.out or os.path.join(here, "results", "vhost-" + time.strftime("%Y%m%d-%H%M%S")))
    os.makedirs(args.out, exist_ok=True)
    if os.geteuid() != 0:
        sys.exit("bench/dp vhost: must run as root (hugepages, hugetlbfs mount)")
    env = B.Env(args)

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    results, failures = {}, {}
    t_start = time.monotonic()
    fcsv = open(os.path.join(args.out, "results.csv"), "w", newline="")
    writer = csv.DictWriter(fcsv, fieldnames=["switch", "flows", "case", "window", "tx_mpps", "rx_mpps",
                                                "seconds", "pmd_cpu_share", "load1", "cycles_per_pkt", "stages",
                                                "tx_mpps_per_pmd_cpu_s"])
    writer.writeheader()
    try:
        os.makedirs(env.dir, exist_ok=True)
        env.open()
        bindir = os.path.join(env.dir, "bin")
        shutil.copytree(args.bindir, bindir)
        share = os.path.join(os.path.dirname(os.path.abspath(args.bindir)), "share")
        if os.path.isdir(share):  # the launcher finds the schema at BINDIR/../share/numavs
            shutil.copytree(share, os.path.join(env.dir, "share"))
        for n in args.flows:
            for s in args.switches:
                sw = B.Numavs(env, args.out, bindir) if s == "numavs" else B.Ovs(env, args.out)
                sw.tag = "vhost-%d" % n
                B.log("=== vhost PVP: %s, %d flows ===" % (s, n))
                env.ensure_hugepages()
                guest = None
                try:
                    guest = Guest(env, args.out, "%s-%d" % (s, n), n)
                    setup_ports(sw, guest)
                    sw.start(n, None)
                    install_loop(sw)
                    wait_flowing(sw, guest)
                    rows, _ = B.measure(sw, n, "vhost-loop", args, writer)
                    fcsv.flush()
                    if max(r["tx_mpps"] for r in rows) <= 0:
                        failures[(s, n)] = "nothing came back to the guest"
                    else:
                        results[(s, n)] = rows
                except Exception as e:
                    if isinstance(e, SystemExit):
                        raise
                    detail = sw.failure_detail()
                    failures[(s, n)] = str(e) + (" -- " + detail if detail else "")
                    B.log("%s %d flows failed: %s" % (s, n, failures[(s, n)]))
                sw.stop()
                if sw.stop in env.cleanups:
                    env.cleanups.remove(sw.stop)
                if guest:
                    guest.stop()
                    if guest.stop in env.cleanups:
                        env.cleanups.remove(guest.stop)
    finally:
        fcsv.close()
        env.close()
    text = summarize(results, failures, args)
    text += "\nRun: %s, %.0f s; numavs %s; results in %s\n" % (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), time.monotonic() - t_start,
        B.git_describe(here), args.out)
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write(text)
    print(text)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
