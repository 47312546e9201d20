#!/usr/bin/env python3
"""Datapath throughput: numavs-switchd vs OVS-DPDK 3.1 vs dpdk-testpmd (driven by run.sh).

One run measures, for each flow count N (default 1, 1000, 100000):
  testpmd   io forwarding p0 -> p1 (the ceiling: no switching at all)
  ovs       ovs-vswitchd-dpdk 3.1 with rule cases port, normal, rules1000
  numavs    numavs-switchd with the same rule cases
on identical devices and cores:
  p0 = net_pcap0,rx_pcap=flowsN.pcap,infinite_rx=1   (source, replays the file from memory)
  p1 = net_null0,no-rx=1                             (sink, frees what it is sent)
  DPDK main lcore and the switch's control threads on CPU 0, one PMD (forwarding lcore) on CPU 1,
  hugepages from a private hugetlbfs mount, a private --file-prefix, --no-pci.

Rule cases:
  port       in_port=p0,actions=output:p1
  normal     actions=NORMAL with no FDB entry: p1 (net_null) never receives, so the destination
             MAC is never learned: NORMAL floods, i.e. outputs to every
             other port (p1 and the bridge's LOCAL port). OVS is driven the same way.
  normal-fdb NORMAL with a static FDB entry for the destination MAC on p1 (fdb/add in both
             switches, as in ../shared/anchors/ovs-dpdk), so no flooding.
  rules1000  priority=100,ip,nw_dst=10.1.X.Y,actions=output:p1 for 1000 addresses + priority=0,
             actions=drop (every packet matches one of the 1000 rules).

Per (switch, N, case): warm up, then W windows of T seconds; each window's rate is
delta(p1 tx packets) / delta(t), with t the midpoint of the counter read. The PMD thread's
CPU time over the window (/proc/PID/task/TID/schedstat) is recorded too, so the report also
gives Mpps per second of PMD CPU time, which takes out time slices lost to other processes on a
shared machine. pmd-stats are cleared before and saved after every window.

Everything lives in one work directory (default /tmp/numavs-bench-dp.PID); processes are
stopped by the pid this script recorded; hugepages and mounts are restored on exit.
"""
import argparse
import csv
import json
import os
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time

HP_FILE = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
OVS_VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
SRC_MAC = bytes.fromhex("020000000001")
DST_MAC = bytes.fromhex("020000000002")
ALL_CASES = ("port", "normal", "normal-fdb", "rules1000")
CASE_TITLE = {"port": "output rule", "normal": "NORMAL (flood)", "normal-fdb": "NORMAL (fdb/add)",
              "rules1000": "1000 IPv4 rules", "io": "io fwd"}


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


# ---------------------------------------------------------------- traffic ----
def ip_checksum(hdr):
    s = sum((hdr[i] << 8) | hdr[i + 1] for i in range(0, len(hdr), 2))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def write_pcap(path, nflows, min_pkts=1024):
    """60-byte (64 on the wire) Ethernet/IPv4/UDP frames, flow i = (10.0.0.0 + i//1000 ->
    10.1.0.0 + i%1000, udp 1024 + i%50000 -> 5001): every flow distinct, nw_dst takes
    min(N, 1000) values. The flow list is repeated until the file has min_pkts packets."""
    frames = []
    for i in range(nflows):
        src, dst = (10 << 24) | (i // 1000), (10 << 24) | (1 << 16) | (i % 1000)
        ip = bytearray(struct.pack("!BBHHHBBHII", 0x45, 0, 46, 0, 0, 64, 17, 0, src, dst))
        struct.pack_into("!H", ip, 10, ip_checksum(ip))
        udp = struct.pack("!HHHH", 1024 + i % 50000, 5001, 26, 0) + bytes(18)
        frames.append(DST_MAC + SRC_MAC + b"\x08\x00" + bytes(ip) + udp)
    reps = max(1, -(-min_pkts // nflows))
    rec = struct.pack("<IIII", 0, 0, 60, 60)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for _ in range(reps):
            for fr in frames:
                f.write(rec + fr)
    return reps * nflows


def rules1000(out_port):
    r = ["priority=100,ip,nw_dst=10.1.%d.%d,actions=output:%s" % (d >> 8, d & 255, out_port)
         for d in range(1000)]
    return r + ["priority=0,actions=drop"]


# ---------------------------------------------------------------- helpers ----
def run(cmd, env=None, check=True, timeout=120):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError("%s failed (rc %d): %s%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr))
    return r.stdout


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def stop_pid(pid, name, grace=10.0):
    """TERM, wait, then KILL: only ever the pid we recorded."""
    if not pid or not pid_alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + grace
    while time.monotonic() < end and pid_alive(pid):
        time.sleep(0.1)
    if pid_alive(pid):
        log("%s (pid %d) did not exit on TERM; sending KILL" % (name, pid))
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)


def read_pidfile(path):
    try:
        return int(open(path).read().strip())
    except (OSError, ValueError):
        return None


def thread_cpu_ns(pid, tid):
    try:
        return int(open("/proc/%d/task/%d/schedstat" % (pid, tid)).read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def remove_tap(name):
    """Delete the bridge's TAP if a switch left it behind (the name is unique to this run)."""
    if os.path.exists("/sys/class/net/" + name):
        subprocess.run(["ip", "link", "del", name], capture_output=True)


def kernel_note(pid):
    """The kernel's line about a crashed pid (segfault ... in LIBRARY), if dmesg has one."""
    r = subprocess.run(["dmesg"], capture_output=True, text=True)
    lines = [l.split("] ", 1)[-1] for l in r.stdout.splitlines() if "[%d]" % pid in l]
    return " (kernel: %s)" % lines[-1] if lines else ""


def find_thread(pid, pattern, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            for tid in os.listdir("/proc/%d/task" % pid):
                comm = open("/proc/%d/task/%s/comm" % (pid, tid)).read().strip()
                if re.match(pattern, comm):
                    return int(tid)
        except OSError:
            pass
        time.sleep(0.2)
    return None


class Unixctl:
    """A persistent ovs-appctl-protocol (JSON-RPC 1.0) connection to a control socket."""

    def __init__(self, path, timeout=60):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = ""
        self.next_id = 0
        self.dec = json.JSONDecoder()

    def call(self, method, *params):
        self.next_id += 1
        self.sock.sendall(json.dumps({"method": method, "params": list(params), "id": self.next_id}).encode())
        while True:
            s = self.buf.lstrip()
            if s:
                try:
                    msg, end = self.dec.raw_decode(s)
                    self.buf = s[end:]
                    if msg.get("id") != self.next_id:
                        continue
                    if msg.get("error") is not None:
                        raise RuntimeError("%s: %s" % (method, msg["error"]))
                    return msg.get("result") or ""
                except ValueError:
                    pass
            data = self.sock.recv(1 << 16)
            if not data:
                raise RuntimeError("%s: control socket closed" % method)
            self.buf += data.decode()

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------- environment ----
class Env:
    """Work dir, private hugetlbfs, hugepage reservation; undone by close()."""

    def __init__(self, args):
        self.dir = os.path.abspath(args.workdir or "/tmp/numavs-bench-dp.%d" % os.getpid())
        self.hugedir = os.path.join(self.dir, "hugepages")
        self.prefix = "numavs-bench-dp-%d" % os.getpid()
        # The bridge's LOCAL port is a kernel TAP of this name: unique, so that concurrent tests'
        # bridges (br0) do not collide with ours.
        self.bridge = "bdp%d" % (os.getpid() % 1000000)
        self.orig_hp = None
        self.mounted = False
        self.want_hp = args.hugepages
        self.keep = args.keep_workdir
        self.cleanups = []  # callables, run in reverse order by close()

    def open(self):
        os.makedirs(self.hugedir, exist_ok=True)
        self.orig_hp = int(open(HP_FILE).read())
        want = max(self.orig_hp, self.want_hp)
        with open(HP_FILE, "w") as f:
            f.write(str(want))
        got = int(open(HP_FILE).read())
        log("2 MB hugepages: %d reserved (was %d, asked %d)" % (got, self.orig_hp, want))
        if got < self.want_hp:
            raise RuntimeError("could reserve only %d of %d hugepages" % (got, self.want_hp))
        run(["mount", "-t", "hugetlbfs", "-o", "pagesize=2M", "nodev", self.hugedir])
        self.mounted = True

    def clean_hugepages(self):
        if os.path.isdir(self.hugedir):
            for f in os.listdir(self.hugedir):
                try:
                    os.unlink(os.path.join(self.hugedir, f))
                except OSError:
                    pass
        shutil.rmtree("/var/run/dpdk/" + self.prefix, ignore_errors=True)

    def close(self):
        while self.cleanups:
            fn = self.cleanups.pop()
            try:
                fn()
            except Exception as e:  # keep undoing the rest
                log("cleanup: %s" % e)
        self.clean_hugepages()
        if self.mounted:
            subprocess.run(["umount", self.hugedir])
            self.mounted = False
        if self.orig_hp is not None:
            with open(HP_FILE, "w") as f:
                f.write(str(self.orig_hp))
            log("2 MB hugepages restored to %s" % open(HP_FILE).read().strip())
            self.orig_hp = None
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- switches ----
class Switch:
    name = "?"
    pmd_comm = r"."

    def __init__(self, env, out):
        self.env, self.out = env, out
        self.br = env.bridge
        self.pid = None
        self.pmd_tid = None

    def pmd_cpu_ns(self):
        return thread_cpu_ns(self.pid, self.pmd_tid) if self.pmd_tid else None

    def clear_stats(self):
        pass

    def save_stats(self, path):
        pass


class OvsLike(Switch):
    """Common parts of numavs-switchd and ovs-vswitchd-dpdk: both read the same keys."""

    def other_config(self):
        return ["other_config:dpdk-init=true", "other_config:dpdk-lcore-mask=0x1",
                "other_config:pmd-cpu-mask=0x2", "other_config:dpdk-hugepage-dir=" + self.env.hugedir,
                "other_config:dpdk-extra=--file-prefix=%s --no-pci" % self.env.prefix]

    def vsctl(self, *a):
        return run(["ovs-vsctl", "--db=unix:" + self.db_sock, "--timeout=60"] + list(a), env=self.penv)

    def add_ports(self, pcap):
        self.vsctl("--no-wait", "add-br", self.br, "--", "set", "bridge", self.br, "datapath_type=netdev",
                   "--", "add-port", self.br, "p0", "--", "set", "Interface", "p0", "type=dpdk",
                   "ofport_request=1", "options:dpdk-devargs=net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap,
                   "--", "add-port", self.br, "p1", "--", "set", "Interface", "p1", "type=dpdk",
                   "ofport_request=2", "options:dpdk-devargs=net_null0,no-rx=1")

    def local_port_state(self):
        """The bridge's LOCAL port as the kernel sees it (a TAP named like the bridge)."""
        try:
            flags = int(open("/sys/class/net/%s/flags" % self.br).read(), 16)
            return "TAP %s, admin %s" % (self.br, "up" if flags & 1 else "down")
        except OSError:
            return "no kernel device"

    def wait_ports(self):
        end = time.monotonic() + 60
        while True:
            if self.pid and not pid_alive(self.pid):
                raise RuntimeError("%s died while opening the ports%s" % (self.daemon, kernel_note(self.pid)))
            errs = [self.vsctl("--if-exists", "get", "Interface", p, "error").strip() for p in ("p0", "p1")]
            ofp = [self.vsctl("--if-exists", "get", "Interface", p, "ofport").strip() for p in ("p0", "p1")]
            if all(e in ("[]", "") for e in errs) and all(o not in ("[]", "", "-1") for o in ofp):
                return
            if any(e not in ("[]", "") for e in errs) or time.monotonic() > end:
                raise RuntimeError("%s: ports not up: error=%s ofport=%s" % (self.name, errs, ofp))
            time.sleep(0.2)


class Numavs(OvsLike):
    name = "numavs"
    daemon = "numavs-switchd"
    pmd_comm = r"pmd-c01"

    def __init__(self, env, out, bindir):
        super().__init__(env, out)
        self.bindir = bindir
        self.run_dir = os.path.join(env.dir, "numavs")
        self.db_sock = os.path.join(self.run_dir, "db.sock")
        self.penv = dict(os.environ, OVS_RUNDIR=self.run_dir, OVS_LOGDIR=self.run_dir, OVS_DBDIR=self.run_dir)
        self.ctl = None

    def launcher(self, *a):
        return run([os.path.join(self.bindir, "numavs")] + list(a), env=self.penv)

    def start(self, nflows, pcap):
        shutil.rmtree(self.run_dir, ignore_errors=True)
        os.makedirs(self.run_dir)
        self.env.cleanups.append(self.stop)
        self.launcher("start", "--no-switchd")
        self.vsctl("--no-wait", "set", "Open_vSwitch", ".", *self.other_config())
        self.add_ports(pcap)
        self.launcher("start")
        self.pid = read_pidfile(os.path.join(self.run_dir, "numavs-switchd.pid"))
        self.ctl = Unixctl(os.path.join(self.run_dir, "numavs-switchd.%d.ctl" % self.pid))
        self.wait_ports()
        self.pmd_tid = find_thread(self.pid, self.pmd_comm)

    def stop(self):
        if self.ctl:
            self.ctl.close()
            self.ctl = None
        if os.path.isdir(self.run_dir):
            r = subprocess.run([os.path.join(self.bindir, "numavs"), "stop"], env=self.penv,
                               capture_output=True, text=True)
            if r.returncode != 0:  # the launcher failed: stop by pidfile ourselves
                for d in ("numavs-switchd", "numavs-db"):
                    stop_pid(read_pidfile(os.path.join(self.run_dir, d + ".pid")), d)
            remove_tap(self.br)
            log_src = os.path.join(self.run_dir, "numavs-switchd.log")
            if os.path.exists(log_src):
                shutil.copy(log_src, os.path.join(self.out, "numavs-switchd-%s.log" % self.tag))
            shutil.rmtree(self.run_dir, ignore_errors=True)
        self.env.clean_hugepages()
        self.pid = None

    def install(self, case):
        c = self.ctl
        c.call("ofctl/del-flows", self.br)
        if case == "port":
            c.call("ofctl/add-flow", self.br, "in_port=p0,actions=output:p1")
        elif case in ("normal", "normal-fdb"):
            # Flooding copies every packet to the bridge's LOCAL TAP too. OVS leaves that TAP down;
            # keep numavs's down as well so that both do the same work.
            if self.local_port_state().endswith("admin up"):
                subprocess.run(["ip", "link", "set", self.br, "down"], capture_output=True)
                log("numavs: set the bridge's LOCAL TAP %s down, as OVS leaves it" % self.br)
            c.call("fdb/flush", self.br)
            c.call("ofctl/add-flow", self.br, "actions=NORMAL")
            if case == "normal-fdb":
                c.call("fdb/add", self.br, "p1", "0", "02:00:00:00:00:02")
        elif case == "rules1000":
            for r in rules1000("p1"):
                c.call("ofctl/add-flow", self.br, r)
        else:
            return False
        return True

    def read_counts(self):
        txt = self.ctl.call("ofctl/dump-ports", self.br)
        rx = re.search(r"port +p0: rx pkts=(\d+)", txt)
        tx = re.search(r"port +p1: rx .*\n\s*tx pkts=(\d+)", txt)
        if not rx or not tx:
            raise RuntimeError("numavs: cannot parse dump-ports:\n" + txt)
        return int(rx.group(1)), int(tx.group(1))

    def clear_stats(self):
        self.ctl.call("dpif-netdev/pmd-stats-clear")

    def save_stats(self, path):
        with open(path, "w") as f:
            f.write(self.ctl.call("dpif-netdev/pmd-stats-show"))
            f.write("\n--- dpctl/dump-flows (first 20 lines)\n")
            f.write("\n".join(self.ctl.call("dpctl/dump-flows").splitlines()[:20]) + "\n")


class Ovs(OvsLike):
    name = "ovs"
    daemon = "ovs-vswitchd-dpdk"
    pmd_comm = r"pmd-c01"

    def __init__(self, env, out):
        super().__init__(env, out)
        self.run_dir = os.path.join(env.dir, "ovs")
        self.db_sock = os.path.join(self.run_dir, "db.sock")
        self.penv = dict(os.environ, OVS_RUNDIR=self.run_dir, OVS_DBDIR=self.run_dir, OVS_LOGDIR=self.run_dir,
                         OVS_SYSCONFDIR=self.run_dir, OVS_PKGDATADIR="/usr/share/openvswitch")
        self.ctl = None
        self.db_pid = None

    def start(self, nflows, pcap):
        shutil.rmtree(self.run_dir, ignore_errors=True)
        os.makedirs(self.run_dir)
        self.env.cleanups.append(self.stop)
        d = self.run_dir
        run(["ovsdb-tool", "create", d + "/conf.db", OVS_SCHEMA], env=self.penv)
        run(["ovsdb-server", d + "/conf.db", "--remote=punix:" + self.db_sock, "--pidfile=" + d + "/ovsdb-server.pid",
             "--log-file=" + d + "/ovsdb-server.log", "--unixctl=" + d + "/ovsdb-server.ctl", "--detach"],
            env=self.penv)
        self.db_pid = read_pidfile(d + "/ovsdb-server.pid")
        self.vsctl("--no-wait", "init")
        self.vsctl("--no-wait", "set", "Open_vSwitch", ".", *self.other_config())
        run([OVS_VSWITCHD, "unix:" + self.db_sock, "--pidfile=" + d + "/ovs-vswitchd.pid",
             "--log-file=" + d + "/ovs-vswitchd.log", "--unixctl=" + d + "/ovs-vswitchd.ctl", "--detach",
             "--no-chdir", "-vconsole:off"], env=self.penv, timeout=180)
        self.pid = read_pidfile(d + "/ovs-vswitchd.pid")
        self.ctl = Unixctl(d + "/ovs-vswitchd.ctl")
        self.add_ports(pcap)
        self.wait_ports()
        self.pmd_tid = find_thread(self.pid, self.pmd_comm)

    def stop(self):
        if self.ctl:
            self.ctl.close()
            self.ctl = None
        d = self.run_dir
        if os.path.isdir(d):
            if self.pid and pid_alive(self.pid):
                # OVS makes the bridge's TAP persistent; deleting the bridge first removes it.
                subprocess.run(["ovs-vsctl", "--db=unix:" + self.db_sock, "--timeout=30", "--if-exists", "del-br",
                                self.br], env=self.penv, capture_output=True)
            stop_pid(read_pidfile(d + "/ovs-vswitchd.pid"), "ovs-vswitchd-dpdk")
            stop_pid(read_pidfile(d + "/ovsdb-server.pid"), "ovsdb-server")
            if os.path.exists(d + "/ovs-vswitchd.log"):
                shutil.copy(d + "/ovs-vswitchd.log", os.path.join(self.out, "ovs-vswitchd-%s.log" % self.tag))
            shutil.rmtree(d, ignore_errors=True)
        remove_tap(self.br)
        self.env.clean_hugepages()
        self.pid = None

    def ofctl(self, *a):
        return run(["ovs-ofctl"] + list(a[:1]) + ["unix:%s/%s.mgmt" % (self.run_dir, self.br)] + list(a[1:]), env=self.penv)

    def install(self, case):
        self.ofctl("del-flows")
        if case == "port":
            self.ofctl("add-flow", "in_port=1,actions=output:2")
        elif case in ("normal", "normal-fdb"):
            self.ctl.call("fdb/flush")
            self.ofctl("add-flow", "actions=NORMAL")
            if case == "normal-fdb":
                self.ctl.call("fdb/add", self.br, "p1", "0", "02:00:00:00:00:02")
        elif case == "rules1000":
            path = os.path.join(self.run_dir, "rules1000.txt")
            with open(path, "w") as f:
                f.write("\n".join(rules1000("2")) + "\n")
            self.ofctl("add-flows", path)
        else:
            return False
        # Flush megaflows and their ukeys so the datapath learns the new rules; the revalidator
        # keeps still-valid old megaflows otherwise (dpctl/del-flows would leave ukeys behind).
        self.ctl.call("revalidator/purge")
        return True

    def read_counts(self):
        txt = self.ofctl("dump-ports")
        rx = re.search(r"port +1: rx pkts=(\d+)", txt)
        tx = re.search(r"port +2: rx .*\n\s*tx pkts=(\d+)", txt)
        if not rx or not tx:
            raise RuntimeError("ovs: cannot parse dump-ports:\n" + txt)
        return int(rx.group(1)), int(tx.group(1))

    def clear_stats(self):
        self.ctl.call("dpif-netdev/pmd-stats-clear")

    def save_stats(self, path):
        with open(path, "w") as f:
            f.write(self.ctl.call("dpif-netdev/pmd-stats-show"))
            f.write("\n--- dpctl/dump-flows (first 20 lines)\n")
            f.write("\n".join(self.ctl.call("dpctl/dump-flows").splitlines()[:20]) + "\n")


class Testpmd(Switch):
    name = "testpmd"
    pmd_comm = r"rte-worker-1|lcore-worker-1"

    def __init__(self, env, out, mbufs):
        super().__init__(env, out)
        self.proc = None
        self.lines = []
        self.cv = threading.Condition()
        self.mbufs = mbufs

    def _reader(self, f):
        for line in f:
            with self.cv:
                self.lines.append(line)
                self.cv.notify_all()
        with self.cv:
            self.cv.notify_all()

    def _wait_for(self, pattern, start, timeout=20.0):
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                for i in range(start, len(self.lines)):
                    m = re.search(pattern, self.lines[i])
                    if m:
                        return i, m
                left = end - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise RuntimeError("testpmd: no %r in its output (log %s)" % (pattern, self.logpath))
                self.cv.wait(left)

    def send(self, cmd):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()

    def start(self, nflows, pcap):
        e = self.env
        self.cmd = ["stdbuf", "-oL", "dpdk-testpmd", "-l", "0,1", "--main-lcore", "0", "--file-prefix=" + e.prefix,
                    "--no-pci", "--huge-dir", e.hugedir, "--in-memory",
                    "--vdev", "net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap, "--vdev", "net_null0,no-rx=1",
                    "--", "-i", "--disable-link-check", "--nb-cores=1", "--rxq=1", "--txq=1", "--total-num-mbufs=%d" % self.mbufs,
                    "--forward-mode=io"]
        self.logpath = os.path.join(self.out, "testpmd-%s.log" % self.tag)
        self.lines = []
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.pid = self.proc.pid  # stdbuf execs testpmd, so this is testpmd's pid
        e.cleanups.append(self.stop)
        threading.Thread(target=self._reader, args=(self.proc.stdout,), daemon=True).start()
        self._wait_for(r"^Port 1: ", 0, 120)  # configured; cmdline reads stdin once it starts
        self.send("start")
        self._wait_for(r"io packet forwarding", 0, 60)
        self.pmd_tid = find_thread(self.pid, self.pmd_comm)
        if not self.pmd_tid:
            log("testpmd: no forwarding thread among %s" % [open("/proc/%d/task/%s/comm" % (self.pid, t)).read().strip()
                                                            for t in os.listdir("/proc/%d/task" % self.pid)])

    def install(self, case):
        return case == "io"

    def read_counts(self):
        with self.cv:
            start = len(self.lines)
        self.send("show port stats all")
        i, m0 = self._wait_for(r"NIC statistics for port 0", start)
        i, rx = self._wait_for(r"RX-packets:\s*(\d+)", i)
        i, m1 = self._wait_for(r"NIC statistics for port 1", i)
        i, tx = self._wait_for(r"TX-packets:\s*(\d+)", i)
        return int(rx.group(1)), int(tx.group(1))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                self.send("stop")
                self.send("quit")
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                log("testpmd (pid %d) did not quit; sending KILL" % self.proc.pid)
                self.proc.kill()
                self.proc.wait(5)
        if self.proc:
            with open(self.logpath, "w") as f:
                f.write(" ".join(self.cmd) + "\n" + "".join(self.lines))
        self.proc = None
        self.env.clean_hugepages()
        self.pid = None


# ---------------------------------------------------------------- measurement ----
def measure(sw, nflows, case, args, writer):
    """Warm up, then args.windows windows; returns the list of per-window rows."""
    time.sleep(args.warmup)
    rows = []
    for w in range(1, args.windows + 1):
        sw.clear_stats()
        a = time.monotonic()
        rx0, tx0 = sw.read_counts()
        b = time.monotonic()
        c0 = sw.pmd_cpu_ns()
        time.sleep(args.window)
        c1 = sw.pmd_cpu_ns()
        a1 = time.monotonic()
        rx1, tx1 = sw.read_counts()
        b1 = time.monotonic()
        dt = (a1 + b1) / 2 - (a + b) / 2
        share = (c1 - c0) / 1e9 / dt if c0 is not None and c1 is not None else float("nan")
        tag = "%s-%d-%s-w%d" % (sw.name, nflows, case, w)
        sw.save_stats(os.path.join(args.out, "pmd-stats-%s.txt" % tag))
        row = {"switch": sw.name, "flows": nflows, "case": case, "window": w,
               "tx_mpps": (tx1 - tx0) / dt / 1e6, "rx_mpps": (rx1 - rx0) / dt / 1e6, "seconds": dt,
               "pmd_cpu_share": share, "load1": open("/proc/loadavg").read().split()[0]}
        row["tx_mpps_per_pmd_cpu_s"] = row["tx_mpps"] / share if share == share and share > 0 else float("nan")
        writer.writerow({k: ("%.4f" % v if isinstance(v, float) else v) for k, v in row.items()})
        log("%-7s flows=%-6d %-10s w%d: %7.3f Mpps tx (p0 rx %7.3f), PMD on CPU %3.0f%% -> %7.3f Mpps/PMD-CPU-s"
            % (sw.name, nflows, case, w, row["tx_mpps"], row["rx_mpps"], 100 * share, row["tx_mpps_per_pmd_cpu_s"]))
        rows.append(row)
    return rows


def flow_actions(path):
    """The datapath flows' actions in a saved pmd-stats file, e.g. 'actions:p1 (1 flow)'."""
    try:
        acts = re.findall(r"actions:(\S+)", open(path).read())
    except OSError:
        return "?"
    return ", ".join("actions:%s (%d flows)" % (a, acts.count(a)) for a in sorted(set(acts))) or "none"


def git_describe(path):
    r = subprocess.run(["git", "-C", path, "describe", "--always", "--dirty"], capture_output=True, text=True)
    d = subprocess.run(["git", "-C", path, "status", "--porcelain", "--", "src", "apps"], capture_output=True,
                       text=True)
    changed = len(d.stdout.splitlines())
    return "at %s%s" % (r.stdout.strip() or "?", " (%d files under src/ apps/ differ from it)" % changed
                        if changed else "")


def fmt3(v):
    return "%.2f" % v if v == v else "n/a"


def summarize(results, failures, args):
    """results: {(switch, flows, case): [rows]}, failures: {(switch, flows): why} -> markdown."""
    def stat(sw, n, c, key="tx_mpps"):
        rows = results.get((sw, n, c))
        if not rows:
            return None
        v = sorted(r[key] for r in rows)
        return v[0], statistics.median(v), v[-1]

    def mmm(s):
        return "–" if s is None else "%s / **%s** / %s" % (fmt3(s[0]), fmt3(s[1]), fmt3(s[2]))

    def ratio(a, b):
        return "–" if a is None or b is None or not b[1] else "%.2f" % (a[1] / b[1])

    out = []
    out.append("Mpps forwarded to p1 (64 B frames), one PMD core; min / **median** / max of %d windows of %g s "
               "after %g s warm-up. Ratios are of medians." % (args.windows, args.window, args.warmup))
    out.append("")
    out.append("| flows | rules | numavs | OVS-DPDK 3.1 | testpmd io (ceiling) | numavs/OVS | numavs/testpmd | OVS/testpmd |")
    out.append("|---|---|---|---|---|---|---|---|")
    for n in args.flows:
        tp = stat("testpmd", n, "io")
        for c in args.cases:
            nv, ov = stat("numavs", n, c), stat("ovs", n, c)
            if nv is None and ov is None and ("numavs", n) not in failures and ("ovs", n) not in failures:
                continue
            cells = [mmm(nv) if ("numavs", n) not in failures else "did not run (1)",
                     mmm(ov) if ("ovs", n) not in failures else "did not run (2)"]
            out.append("| %d | %s | %s | %s | %s | %s | %s | %s |" % (
                n, CASE_TITLE[c], cells[0], cells[1], mmm(tp), ratio(nv, ov), ratio(nv, tp), ratio(ov, tp)))
    out.append("")
    out.append("The same, per second of PMD CPU time (Mpps / share of CPU 1 the PMD thread got, from "
               "/proc/.../schedstat): takes out time slices lost to other processes; median of windows.")
    out.append("")
    out.append("| flows | rules | numavs | OVS | testpmd | numavs/OVS | numavs/testpmd | PMD CPU share numavs / OVS / testpmd |")
    out.append("|---|---|---|---|---|---|---|---|")
    for n in args.flows:
        tp = stat("testpmd", n, "io", "tx_mpps_per_pmd_cpu_s")
        tps = stat("testpmd", n, "io", "pmd_cpu_share")
        for c in args.cases:
            nv, ov = stat("numavs", n, c, "tx_mpps_per_pmd_cpu_s"), stat("ovs", n, c, "tx_mpps_per_pmd_cpu_s")
            if nv is None and ov is None:
                continue
            ns, os_ = stat("numavs", n, c, "pmd_cpu_share"), stat("ovs", n, c, "pmd_cpu_share")
            shares = " / ".join("–" if s is None else "%.0f%%" % (100 * s[1]) for s in (ns, os_, tps))
            out.append("| %d | %s | %s | %s | %s | %s | %s | %s |" % (
                n, CASE_TITLE[c], "–" if nv is None else fmt3(nv[1]), "–" if ov is None else fmt3(ov[1]),
                "–" if tp is None else fmt3(tp[1]), ratio(nv, ov), ratio(nv, tp), shares))
    out.append("")
    drops = []
    for (sw, n, c), rows in sorted(results.items()):
        for r in rows:
            if sw != "testpmd" and r["rx_mpps"] > 0 and abs(r["rx_mpps"] - r["tx_mpps"]) / r["rx_mpps"] > 0.01 \
                    and c != "rules1000":
                drops.append("%s %d %s w%d: p0 rx %.3f vs p1 tx %.3f Mpps" % (sw, n, c, r["window"], r["rx_mpps"],
                                                                             r["tx_mpps"]))
    if drops:
        out.append("p0 rx and p1 tx differ by more than 1% in: " + "; ".join(drops))
        out.append("")
    if failures:
        out.append("Did not run: " + "; ".join("(%d) %s at %d flows: %s" % (1 if sw == "numavs" else 2, sw, n, why)
                                               for (sw, n), why in sorted(failures.items())))
        out.append("")
    out.append("Notes:")
    out.append("* NORMAL (flood): no FDB entry, and p1 (net_null, no-rx) never sends a frame, so "
               "the destination MAC 02:00:00:00:00:02 is never learned and NORMAL floods to every other port: p1 "
               "and the bridge's LOCAL port, a kernel TAP that is down (OVS leaves it down; the script sets "
               "numavs's down too). OVS is driven the same way (no FDB entry). The datapath flows listed below "
               "show what each switch did; the rate counts p1 only. The row measures the lookup plus the cost of "
               "a flooded copy to a down TAP.")
    if "normal-fdb" in args.cases:
        out.append("* NORMAL (fdb/add): a static FDB entry for the destination on p1 (fdb/add) in both "
                   "switches, as in ../shared/anchors/ovs-dpdk: known-unicast NORMAL, no flooding.")
    out.append("* testpmd io forwarding does no lookup at all; its one number per flow count is the ceiling for "
               "every rule case. At 100,000 flows the source itself (100k scattered mbufs) costs more.")
    out.append("* Same machine, same run, interleaved per flow count (testpmd, OVS, numavs): compare ratios, "
               "not absolute numbers.")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bindir", required=True, help="numavs binaries (build/default/bin)")
    ap.add_argument("--flows", default="1,1000,100000", help="comma-separated flow counts")
    ap.add_argument("--cases", default="port,normal,rules1000,normal-fdb",
                    help="comma-separated rule cases: " + ",".join(ALL_CASES))
    ap.add_argument("--switches", default="testpmd,ovs,numavs", help="any of testpmd,ovs,numavs (run in this order)")
    ap.add_argument("--windows", type=int, help="measurement windows per case (default 3; --quick 2)")
    ap.add_argument("--window", type=float, help="seconds per window (default 10; --quick 1.5)")
    ap.add_argument("--warmup", type=float, help="seconds of traffic before the first window (default 5; --quick 1)")
    ap.add_argument("--quick", action="store_true", help="short windows: the whole run in under 3 min")
    ap.add_argument("--hugepages", type=int, default=2048, help="2 MB pages to have reserved during the run")
    ap.add_argument("--mbufs", type=int, default=262144, help="testpmd --total-num-mbufs (OVS's default pool)")
    ap.add_argument("--out", help="results directory (default bench/dp/results/YYYYmmdd-HHMMSS)")
    ap.add_argument("--workdir", help="scratch directory (default /tmp/numavs-bench-dp.PID)")
    ap.add_argument("--keep-workdir", action="store_true")
    args = ap.parse_args()
    for k, full, quick in (("windows", 3, 2), ("window", 10.0, 1.5), ("warmup", 5.0, 1.0)):
        if getattr(args, k) is None:
            setattr(args, k, quick if args.quick else full)
    args.flows = [int(x) for x in args.flows.split(",") if x]
    args.cases = [c for c in args.cases.split(",") if c]
    for c in args.cases:
        if c not in ALL_CASES:
            ap.error("unknown case %s" % c)
    switches = [s for s in args.switches.split(",") if s]
    here = os.path.dirname(os.path.abspath(__file__))
    args.out = os.path.abspath(args.out or os.path.join(here, "results", time.strftime("%Y%m%d-%H%M%S")))
    os.makedirs(args.out, exist_ok=True)
    if os.geteuid() != 0:
        sys.exit("bench/dp: must run as root (hugepages, hugetlbfs mount)")
    for s in switches:
        need = {"numavs": os.path.join(args.bindir, "numavs-switchd"), "ovs": OVS_VSWITCHD,
                "testpmd": shutil.which("dpdk-testpmd") or "dpdk-testpmd"}[s]
        if not os.access(need, os.X_OK):
            sys.exit("bench/dp: %s is missing (run scripts/setup.sh and scripts/build.sh default)" % need)

    env = Env(args)

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    results = {}
    dp_actions = {}
    failures = {}
    local_state = {}
    build_note = ""
    t_start = time.monotonic()
    fcsv = open(os.path.join(args.out, "results.csv"), "w", newline="")
    writer = csv.DictWriter(fcsv, fieldnames=["switch", "flows", "case", "window", "tx_mpps", "rx_mpps", "seconds",
                                              "pmd_cpu_share", "load1", "tx_mpps_per_pmd_cpu_s"])
    writer.writeheader()
    try:
        os.makedirs(env.dir, exist_ok=True)
        env.open()
        # Others may rebuild the build tree while this runs: use a copy of the binaries taken now.
        bindir = os.path.join(env.dir, "bin")
        shutil.copytree(args.bindir, bindir)
        build_note = "numavs binaries: copy of %s taken at start (newest %s UTC); repository %s" % (
            args.bindir, time.strftime("%H:%M:%S", time.gmtime(max(
                os.path.getmtime(os.path.join(bindir, f)) for f in os.listdir(bindir)))), git_describe(here))
        log(build_note)
        local_state = {}
        for n in args.flows:
            pcap = os.path.join(env.dir, "flows%d.pcap" % n)
            cnt = write_pcap(pcap, n)
            log("%s: %d flows, %d packets" % (pcap, n, cnt))
            for s in switches:
                sw = {"numavs": lambda: Numavs(env, args.out, bindir), "ovs": lambda: Ovs(env, args.out),
                      "testpmd": lambda: Testpmd(env, args.out, args.mbufs)}[s]()
                sw.tag = "%d" % n
                log("=== %s, %d flows ===" % (s, n))
                t0 = time.monotonic()
                try:
                    sw.start(n, pcap)
                except Exception as e:
                    log("%s failed to start: %s; skipping it for %d flows" % (s, e, n))
                    failures[(s, n)] = str(e)
                    sw.stop()
                    env.cleanups.remove(sw.stop) if sw.stop in env.cleanups else None
                    continue
                log("%s up in %.1f s (PMD thread %s)" % (s, time.monotonic() - t0, sw.pmd_tid))
                if hasattr(sw, "local_port_state"):
                    local_state.setdefault(s, set()).add(sw.local_port_state())
                for c in (["io"] if s == "testpmd" else args.cases):
                    if not sw.install(c):
                        continue
                    results[(s, n, c)] = measure(sw, n, c, args, writer)
                    fcsv.flush()
                    if c.startswith("normal"):
                        dp_actions[(s, n, c)] = flow_actions(
                            os.path.join(args.out, "pmd-stats-%s-%d-%s-w%d.txt" % (s, n, c, args.windows)))
                sw.stop()
                env.cleanups.remove(sw.stop) if sw.stop in env.cleanups else None
    finally:
        fcsv.close()
        env.close()
    text = summarize(results, failures, args)
    if dp_actions:
        text += "\n* Datapath flows in the NORMAL cases (last window): " + "; ".join(
            "%s %d %s: %s" % (k[0], k[1], k[2], v) for k, v in sorted(dp_actions.items()))
    text += "\n* " + build_note
    text += "\n* The bridge's LOCAL port right after start: " + "; ".join(
        "%s: %s" % (k, ", ".join(sorted(v))) for k, v in sorted(local_state.items()))
    text += "\n\nRun: %s, %.0f s; results in %s\n" % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                                        time.monotonic() - t_start, args.out)
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
