#!/usr/bin/env python3
"""Datapath throughput: numavs-switchd vs OVS-DPDK 3.1 vs dpdk-testpmd (driven by run.sh).

One run measures, for each flow count N (default 1, 1000, 100000, 1000000):
  testpmd   io forwarding p0 -> p1 (the ceiling: no switching at all)
  ovs       ovs-vswitchd-dpdk 3.1 with the rule cases below
  numavs    numavs-switchd with the same rule cases
on identical devices and cores:
  p0 = net_pcap0,rx_pcap=flowsN.pcap,infinite_rx=1   (source, replays the file from memory)
  p1 = net_null0,no-rx=1                             (sink, frees what it is sent)
  DPDK main lcore and the switch's control threads on CPU 0, one PMD (forwarding lcore) on CPU 1,
  hugepages from a private hugetlbfs mount, a private --file-prefix, --no-pci.

Rule cases (default: port, normal-fdb, rules1000, rules10k):
  port       in_port=p0,actions=output:p1
  normal-fdb NORMAL with a static FDB entry for the destination MAC on p1 (fdb/add in both
             switches, as in ../shared/anchors/ovs-dpdk), so no flooding.
  rules1000  priority=100,ip,nw_dst=10.1.X.Y,actions=output:p1 for 1000 addresses + priority=0,
             actions=drop (every packet matches one of the 1000 rules).
  rules10k   10,000 rules in 16 masks (nw_dst /8 ... /32, some with nw_proto and tp_dst, an
             nw_src group), priorities 300..603; the traffic hits 235 of them in 9 masks, longest
             prefix first (see rules10k()); all forward to p1, priority=0 drops.
  normal     (not in the default set) actions=NORMAL with no FDB entry: p1 (net_null) never
             receives, so the destination MAC is never learned and NORMAL floods to p1 and the
             bridge's LOCAL port. OVS is driven the same way.

Per (switch, N, case): warm up, then W windows of T seconds; each window's rate is
delta(p1 tx packets) / delta(t), with t the midpoint of the counter read. The PMD thread's
CPU time over the window (/proc/PID/task/TID/schedstat) is recorded too, so the report also
gives Mpps per second of PMD CPU time, which takes out time slices lost to other processes on a
shared machine. pmd-stats are cleared before and saved after every window (OVS: pmd-stats-show's
"avg cycles per packet"; numavs: dpif-netdev/pmd-perf-show's cycles per packet by stage).
After the last window: the datapath's megaflows and subtables, and for the rule cases how many
rules the traffic hit. After the last case: each switch's packet-buffer memory and p0's
no-buffer drops.

Everything lives in one work directory (default /tmp/numavs-bench-dp.PID); processes are
stopped by the pid this script recorded; hugepages and mounts are restored on exit.
"""
import argparse
import codecs
import csv
import fcntl
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
HP_STATE = "/run/numavs-bench-dp.hugepages"  # shared by concurrent runs (see Env._holders)
OVS_VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
SRC_MAC = bytes.fromhex("020000000001")
DST_MAC = bytes.fromhex("020000000002")
ALL_CASES = ("port", "normal", "normal-fdb", "rules1000", "rules10k")
DEFAULT_CASES = "port,normal-fdb,rules1000,rules10k"
DEFAULT_FLOWS = "1,1000,100000,1000000"
CASE_TITLE = {"port": "output rule", "normal": "NORMAL (flood)", "normal-fdb": "NORMAL (fdb/add)",
              "rules1000": "1000 IPv4 rules", "rules10k": "10k mixed rules", "io": "io fwd"}
RULE_CASES = ("rules1000", "rules10k")


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
    min(N, 1000) values. The flow list is repeated until the file has min_pkts packets.
    The same frames as ../shared/anchors/ovs-dpdk/gen_pcap.py (its scapy template has IP id 1)."""
    reps = max(1, -(-min_pkts // nflows))
    rec = struct.pack("<IIII", 0, 0, 60, 60)
    head = DST_MAC + SRC_MAC + b"\x08\x00"
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        chunk = []
        for i in range(nflows):
            src, dst = (10 << 24) | (i // 1000), (10 << 24) | (1 << 16) | (i % 1000)
            ip = bytearray(struct.pack("!BBHHHBBHII", 0x45, 0, 46, 1, 0, 64, 17, 0, src, dst))  # id 1 as scapy
            struct.pack_into("!H", ip, 10, ip_checksum(ip))
            udp = struct.pack("!HHHH", 1024 + i % 50000, 5001, 26, 0) + bytes(18)
            chunk.append(rec + head + bytes(ip) + udp)
        frames = b"".join(chunk)
        for _ in range(reps):
            f.write(frames)
    return reps * nflows


def rules1000(out_port):
    r = ["priority=100,ip,nw_dst=10.1.%d.%d,actions=output:%s" % (d >> 8, d & 255, out_port)
         for d in range(1000)]
    return r + ["priority=0,actions=drop"]


def ip4(a):
    return "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)


TRAFFIC_DST = (10 << 24) | (1 << 16)  # flow i goes to 10.1.0.0 + i % 1000


def rules10k(out_port, total=10000):
    """10,000 rules (the last one priority=0,actions=drop) in 16 masks, all to out_port.

    Each group is one mask: nw_dst of one prefix length, some with nw_proto and tp_dst, one
    on nw_src. The traffic (nw_dst 10.1.0.0 + d, d < 1000, UDP to port 5001) hits, longest
    prefix first (priority 400 + prefix length, the ACL-like groups above):
      d   0.. 99  udp,nw_dst=/32,tp_dst=5001   priority 600   100 rules
      d 100..199  ip,nw_dst=/32                priority 432   100 rules
      d 200..255  ip,nw_dst=/30                priority 430    14 rules
      d 256..511  ip,nw_dst=/28                priority 428    16 rules (10.1.1.0/24)
      d 512..767  ip,nw_dst=/24                priority 424     1 rule  (10.1.2.0/24)
      d 768..895  ip,nw_dst=/25                priority 425     1 rule  (10.1.3.0/25)
      d 896..959  ip,nw_dst=/26                priority 426     1 rule  (10.1.3.128/26)
      d 960..991  ip,nw_dst=/27                priority 427     1 rule  (10.1.3.192/27)
      d 992..999  ip,nw_dst=/16                priority 416     1 rule  (10.1.0.0/16)
    so 235 rules in 9 masks can be hit (1,000 flows and more hit all of them). The other rules of
    each group lie elsewhere (172.16/12, 100.64/10, 20-79/8, 150/8, 160/8) at priority base..base+3,
    or on the traffic's addresses with another protocol or port (tcp,tp_dst=80 /32 at 550;
    udp,tp_dst=53 /24 at 540; icmp /16 at 450), so they are probed and miss; the nw_src /24 group
    (300) is below every hit and never needs probing."""
    T = TRAFFIC_DST
    S = lambda plen: 1 << (32 - plen)  # noqa: E731
    # (priority, match template, prefix length, hit networks, shadow networks, rules, decoy base)
    groups = [
        (600, "udp,nw_dst={a},tp_dst=5001", 32, [T + d for d in range(100)], [], 1500, 0xAC100000),
        (550, "tcp,nw_dst={a},tp_dst=80", 32, [], [T + d for d in range(1000)], 1500, 0xAC110000),
        (540, "udp,nw_dst={a},tp_dst=53", 24, [], [T + (k << 8) for k in range(4)], 400, 0xAC140000),
        (450, "icmp,nw_dst={a}", 16, [], [T], 200, 0x96000000),
        (432, "ip,nw_dst={a}", 32, [T + d for d in range(100, 200)], [], None, 0xAC120000),
        (430, "ip,nw_dst={a}", 30, [T + d for d in range(200, 256, 4)], [], 1000, 0xAC130000),
        (428, "ip,nw_dst={a}", 28, [T + 256 + 16 * k for k in range(16)], [], 1000, 0xAC160000),
        (427, "ip,nw_dst={a}", 27, [T + 960], [], 200, 0xAC1E0000),
        (426, "ip,nw_dst={a}", 26, [T + 896], [], 200, 0xAC1D0000),
        (425, "ip,nw_dst={a}", 25, [T + 768], [], 300, 0xAC1C0000),
        (424, "ip,nw_dst={a}", 24, [T + 512], [], 800, 0xAC180000),
        (420, "ip,nw_dst={a}", 20, [], [], 200, 0x64400000),
        (416, "ip,nw_dst={a}", 16, [T], [], 100, 0x64800000),
        (412, "ip,nw_dst={a}", 12, [], [], 100, 0x14000000),
        (408, "ip,nw_dst={a}", 8, [], [], 50, 0x1E000000),
        (300, "ip,nw_src={a}", 24, [], [], 200, 0xA0000000),
    ]
    fixed = sum(g[5] for g in groups if g[5] is not None)
    rules = []
    for prio, tmpl, plen, hits, shadows, count, base in groups:
        count = count if count is not None else total - 1 - fixed
        nets = hits + shadows
        k = 0
        while len(nets) < count:
            a = base + k * S(plen)
            assert (a >> 24) != 10 and a < (224 << 24), ip4(a)
            nets.append(a)
            k += 1
        for j, a in enumerate(nets):
            p = prio if j < len(hits) + len(shadows) else prio + j % 4
            addr = ip4(a) if plen == 32 else "%s/%d" % (ip4(a), plen)
            rules.append("priority=%d,%s,actions=output:%s" % (p, tmpl.format(a=addr), out_port))
    rules.append("priority=0,actions=drop")
    assert len(rules) == total, len(rules)
    return rules


def rule_mask(match):
    """A rule's match without its values: 'priority=600,udp,nw_dst=10.1.0.5,tp_dst=5001' ->
    'udp,nw_dst/32,tp_dst' (rules with the same text here share one mask)."""
    out = []
    for f in match.split(","):
        f = f.strip()
        if not f:
            continue
        k, eq, v = f.partition("=")
        if k in ("priority", "cookie", "duration", "table", "n_packets", "n_bytes", "idle_age",
                 "hard_age", "idle_timeout", "hard_timeout", "importance", "reset_counts", "out_port"):
            continue
        if not eq:
            out.append(k)
        elif k in ("nw_dst", "nw_src"):
            out.append("%s/%s" % (k, v.split("/", 1)[1] if "/" in v else "32"))
        else:
            out.append(k + ("/" + v.split("/", 1)[1] if "/" in v else ""))
    return ",".join(out) or "(all)"


def rules_hit(dump):
    """ofctl dump-flows text -> {'rules', 'hit', 'masks', 'masks_hit', 'drop_hits'}."""
    rules = hit = drop_hits = 0
    masks, masks_hit = set(), set()
    for line in dump.splitlines():
        m = re.search(r"n_packets=(\d+)", line)
        a = line.find(" actions=")
        if not m or a < 0:
            continue
        head = line[:a]
        match = head.rsplit(", ", 1)[-1]
        pm = re.search(r"priority=(\d+)", head)
        prio = int(pm.group(1)) if pm else 32768
        n = int(m.group(1))
        if prio == 0:
            drop_hits += n
            continue
        rules += 1
        mk = rule_mask(match)
        masks.add(mk)
        if n:
            hit += 1
            masks_hit.add(mk)
    return {"rules": rules, "hit": hit, "masks": len(masks), "masks_hit": len(masks_hit),
            "drop_hits": drop_hits}


def dp_flow_masks(dump):
    """dpctl/dump-flows text -> (megaflows, distinct masks). A flow's mask is its match with the
    values removed and partial masks kept: 'ipv4(dst=10.1.0.0/255.255.255.0,frag=no)' ->
    'ipv4(dst=/255.255.255.0,frag=)'."""
    n, masks = 0, set()
    for line in dump.splitlines():
        if "actions:" not in line:
            continue
        n += 1
        match = re.split(r",? (?:packets|actions):", line, 1)[0].strip()
        masks.add(re.sub(r"([=(])[^,()=/]+(/[^,()]+)?", lambda m: m.group(1) + (m.group(2) or ""), match))
    return n, len(masks)


# ---------------------------------------------------------------- stats parsing ----
def pmd_section(text):
    """The first 'pmd thread ...' section of a pmd-*-show text."""
    m = re.search(r"(?ms)^pmd thread.*?(?=^\S|\Z)", text)
    return m.group(0) if m else ""


def ovs_cycles(text):
    """OVS pmd-stats-show -> avg cycles per packet of the PMD (None if absent)."""
    m = re.search(r"avg cycles per packet:\s*([\d.]+)", pmd_section(text))
    return float(m.group(1)) if m else None


def numavs_perf(text):
    """numavs dpif-netdev/pmd-perf-show -> {'stages': {name: cycles}, 'megaflows', 'subtables',
    'packets'}; fields it lacks are missing (older builds lack the command)."""
    sec = pmd_section(text)
    out = {"stages": {}}
    lines = sec.splitlines()
    i = 0
    while i < len(lines):
        s = lines[i].strip()
        if s.startswith("Cycles per packet by stage"):
            ind = len(lines[i]) - len(lines[i].lstrip())
            i += 1
            while i < len(lines):
                l = lines[i]
                parts = l.strip().rsplit(None, 1)
                if len(l) - len(l.lstrip()) <= ind or len(parts) != 2:
                    break
                try:
                    out["stages"][parts[0]] = float(parts[1])
                except ValueError:
                    break
                i += 1
            continue
        m = re.match(r"Megaflows:\s*(\d+)\s+in\s+(\d+)\s+subtables?", s)
        if m:
            out["megaflows"], out["subtables"] = int(m.group(1)), int(m.group(2))
        m = re.match(r"Packets:\s*(\d+)", s)
        if m:
            out["packets"] = int(m.group(1))
        i += 1
    if out["stages"]:
        tot = out["stages"].get("total")
        out["cycles"] = tot if tot is not None else sum(out["stages"].values())
    return out


def kv_map(text):
    """ovs-vsctl's map output '{a=1, b="x"}' -> {'a': '1', 'b': 'x'}."""
    return {k: v.strip('"') for k, v in re.findall(r'([\w.:-]+)=("[^"]*"|[^,}]*)', text)}


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
        self.utf8 = codecs.getincrementaldecoder("utf-8")()

    def call(self, method, *params):
        self.next_id += 1
        self.sock.sendall(json.dumps({"method": method, "params": list(params), "id": self.next_id}).encode())
        check = True
        while True:
            s = self.buf.lstrip()
            # A reply ends with '}': only then try to parse (a big reply comes in many pieces).
            if s and check:
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
            data = self.sock.recv(1 << 20)
            if not data:
                raise RuntimeError("%s: control socket closed" % method)
            self.buf += self.utf8.decode(data)
            check = data.rstrip().endswith(b"}")

    def call_opt(self, method, *params):
        """call(), or None when the switch does not know the command (or it fails)."""
        try:
            return self.call(method, *params)
        except RuntimeError as e:
            log("%s: %s" % (method, str(e).splitlines()[0][:200]))
            return None

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

    def _holders(self, fn):
        """Runs fn(state) under an exclusive lock on HP_STATE, the reservation shared by all runs of
        this bench on the machine: {"base": nr_hugepages before the first of them, "pids": [...]}.
        Overlapping runs (other people's) then leave nr_hugepages at base when the last one ends,
        instead of each restoring what it saw at its own start."""
        with open(HP_STATE + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                st = json.load(open(HP_STATE))
            except (OSError, ValueError):
                st = {}
            st["pids"] = [p for p in st.get("pids", []) if p != os.getpid() and pid_alive(p)]
            r = fn(st)
            with open(HP_STATE + ".tmp", "w") as f:
                json.dump(st, f)
            os.replace(HP_STATE + ".tmp", HP_STATE)
            return r

    def open(self):
        os.makedirs(self.hugedir, exist_ok=True)

        def join(st):
            have = int(open(HP_FILE).read())
            if not st["pids"] or "base" not in st:  # the first run: remember the machine's setting
                st["base"] = have
            st["pids"].append(os.getpid())
            if have < self.want_hp:
                with open(HP_FILE, "w") as f:
                    f.write(str(self.want_hp))
            return have, st["base"], len(st["pids"])
        self.orig_hp, base, n = self._holders(join)
        got = int(open(HP_FILE).read())
        log("2 MB hugepages: %d reserved (was %d; %d before any run of this bench; runs now: %d)"
            % (got, self.orig_hp, base, n))
        if got < self.want_hp:
            raise RuntimeError("could reserve only %d of %d hugepages" % (got, self.want_hp))
        run(["mount", "-t", "hugetlbfs", "-o", "pagesize=2M", "nodev", self.hugedir])
        self.mounted = True

    def ensure_hugepages(self):
        """Before each switch starts: another run that ended meanwhile may have given the pages back."""
        if self.orig_hp is None:
            return
        have = int(open(HP_FILE).read())
        if have < self.want_hp:
            with open(HP_FILE, "w") as f:
                f.write(str(self.want_hp))
            log("2 MB hugepages: %d reserved, raised again to %s" % (have, open(HP_FILE).read().strip()))

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
            def leave(st):
                if not st["pids"]:  # the last run gives the pages back
                    with open(HP_FILE, "w") as f:
                        f.write(str(st["base"]))
                return len(st["pids"])
            others = self._holders(leave)
            log("2 MB hugepages %s: %s" % ("restored" if not others else "left for %d other run(s)" % others,
                                          open(HP_FILE).read().strip()))
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

    def window_stats(self, path):
        """Saves the PMD statistics of the window just ended; returns {'cycles', 'stages'}."""
        return {}

    def case_summary(self, case, last):
        """After a case's last window (last = its window_stats): megaflows, subtables, rules hit."""
        return {}

    def memory(self):
        return {}

    def failure_detail(self):
        return ""

    def alive(self):
        return bool(self.pid) and pid_alive(self.pid)


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

    def wait_ports(self, timeout=60):
        end = time.monotonic() + timeout
        while True:
            if self.pid and not self.alive():
                raise RuntimeError("%s died while opening the ports%s" % (self.daemon, self.death_note()))
            errs = [self.vsctl("--if-exists", "get", "Interface", p, "error").strip() for p in ("p0", "p1")]
            ofp = [self.vsctl("--if-exists", "get", "Interface", p, "ofport").strip() for p in ("p0", "p1")]
            if all(e in ("[]", "") for e in errs) and all(o not in ("[]", "", "-1") for o in ofp):
                return
            if any(e not in ("[]", "") for e in errs) or time.monotonic() > end:
                raise RuntimeError("%s: ports not up: error=%s ofport=%s" % (self.name, errs, ofp))
            time.sleep(0.2)

    def death_note(self):
        return kernel_note(self.pid)

    def port_stats(self, port):
        """Interface.statistics from the database (both switches write it)."""
        return kv_map(self.vsctl("--if-exists", "get", "Interface", port, "statistics"))

    def rules_file(self, case, out_port):
        path = os.path.join(self.env.dir, "%s-%s.flows" % (self.name, case))
        with open(path, "w") as f:
            f.write("# %s: bench/dp rule case %s\n" % (self.name, case))
            f.write("\n".join(rules1000(out_port) if case == "rules1000" else rules10k(out_port)) + "\n")
        return path


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
        self.install_note = {}

    def launcher(self, *a):
        return run([os.path.join(self.bindir, "numavs")] + list(a), env=self.penv, timeout=300)

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
        self.wait_ports(60 if nflows < 1000000 else 240)
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

    def failure_detail(self):
        try:
            lines = open(os.path.join(self.run_dir, "numavs-switchd.log")).read().splitlines()
        except OSError:
            return ""
        errs = [l.split("|", 4)[-1] for l in lines if "|ERR|" in l or "|EMER|" in l]
        return "; ".join(errs[-3:])

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
        elif case in RULE_CASES:
            path = self.rules_file(case, "p1")
            t0 = time.monotonic()
            try:
                c.call("ofctl/add-flows", self.br, path)
                how = "ofctl/add-flows"
            except RuntimeError as e:
                if "add-flows" not in str(e):
                    raise
                # An older numavs-switchd without ofctl/add-flows: one call per rule.
                for r in (rules1000("p1") if case == "rules1000" else rules10k("p1")):
                    c.call("ofctl/add-flow", self.br, r)
                how = "one ofctl/add-flow per rule"
            self.install_note[case] = "%.2f s (%s)" % (time.monotonic() - t0, how)
            log("numavs: %s installed in %s" % (case, self.install_note[case]))
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

    def window_stats(self, path):
        stats = self.ctl.call("dpif-netdev/pmd-stats-show")
        perf = self.ctl.call_opt("dpif-netdev/pmd-perf-show") if not getattr(self, "no_perf", False) else None
        if perf is None:
            self.no_perf = True  # an older numavs-switchd: do not ask again
        with open(path, "w") as f:
            f.write(stats)
            if perf is not None:
                f.write("\n--- dpif-netdev/pmd-perf-show\n" + perf)
        p = numavs_perf(perf or "")
        m = re.search(r"megaflows:\s*(\d+)", pmd_section(stats))
        if "megaflows" not in p and m:
            p["megaflows"] = int(m.group(1))
        return p

    def case_summary(self, case, last):
        out = {k: last[k] for k in ("megaflows", "subtables") if k in last}
        flows = self.ctl.call_opt("dpctl/dump-flows")
        if flows is not None:
            n, masks = dp_flow_masks(flows)
            out.setdefault("megaflows", n)
            out["dump_masks"] = masks
            with open(os.path.join(self.out, "dpflows-numavs-%s-%s.txt" % (self.tag, case)), "w") as f:
                f.write(flows)
        if case in RULE_CASES:
            out["rules"] = rules_hit(self.ctl.call("ofctl/dump-flows", self.br))
        if case in self.install_note:
            out["install"] = self.install_note[case]
        return out

    def memory(self):
        """Pools as memory/show reports them (live), the planner's figures from the log, p0 stats."""
        m = {}
        js = self.ctl.call_opt("memory/show", "--format=json")
        if js:
            with open(os.path.join(self.out, "memory-numavs-%s.json" % self.tag), "w") as f:
                f.write(js)
            r = json.loads(js)
            pools = [p for n in r.get("nodes", []) for p in n.get("pools", [])]
            zones = [z for n in r.get("nodes", []) for z in n.get("memzones", [])]

            def live(p):
                # The pool's memzones: MP_<pool> (header, caches), RG_MP_<pool> (its ring),
                # MP_<pool>_<i> (the buffers), summed here independently of the pool's "bytes"
                # (which counts the same three since the fix to src/numa's DpdkBackend::Usage).
                b = sum(z["len"] for z in zones if z["name"] in ("MP_" + p["name"], "RG_MP_" + p["name"]) or
                        re.fullmatch(r"MP_%s_\d+" % re.escape(p["name"]), z["name"]))
                return b or p["bytes"]
            m["pools"] = [(p["name"], p["count"], p["element_size"], live(p)) for p in pools]
            m["pool_bytes"] = sum(x[3] for x in m["pools"])
            m["heap_bytes"] = sum(n.get("heap", {}).get("total_bytes", 0) for n in r.get("nodes", []))
        plan = {}
        try:
            for l in open(os.path.join(self.run_dir, "numavs-switchd.log")):
                g = re.search(r"created pool (\S+) on NUMA node \d+: (\d+) buffers of (\d+) bytes data room, (\d+) MB", l)
                if g:
                    plan[g.group(1)] = (int(g.group(2)), int(g.group(4)))
        except OSError:
            pass
        m["plan"] = plan
        st = self.port_stats("p0")
        m["rx_nombuf"] = st.get("rx_mbuf_allocation_errors")
        m["rx_missed"] = st.get("rx_dropped")
        return m


class Ovs(OvsLike):
    name = "ovs"
    daemon = "ovs-vswitchd-dpdk"
    pmd_comm = r"pmd-c01"

    def __init__(self, env, out):
        super().__init__(env, out)
        self.proc = None
        self.errpath = None
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
        # Not --detach: as its parent this script learns how it ended if it dies (a signal, or
        # glibc's message on stderr), which a detached daemon takes with it.
        self.errpath = d + "/ovs-vswitchd.stderr"
        with open(self.errpath, "w") as err:
            self.proc = subprocess.Popen(
                [OVS_VSWITCHD, "unix:" + self.db_sock, "--pidfile=" + d + "/ovs-vswitchd.pid",
                 "--log-file=" + d + "/ovs-vswitchd.log", "--unixctl=" + d + "/ovs-vswitchd.ctl", "--no-chdir",
                 # netdev_dpdk at debug level logs the pool it asks for ("Requesting a mempool of N mbufs").
                 "-vconsole:off", "-vnetdev_dpdk:file:dbg"], env=self.penv, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                start_new_session=True)
        self.pid = self.proc.pid
        end = time.monotonic() + 180
        while not os.path.exists(d + "/ovs-vswitchd.ctl"):
            if not self.alive():
                raise RuntimeError("ovs-vswitchd-dpdk exited at start-up%s" % self.death_note())
            if time.monotonic() > end:
                raise RuntimeError("ovs-vswitchd-dpdk: no control socket after 180 s")
            time.sleep(0.1)
        self.ctl = Unixctl(d + "/ovs-vswitchd.ctl")
        self.add_ports(pcap)
        self.wait_ports(60 if nflows < 1000000 else 240)
        self.pmd_tid = find_thread(self.pid, self.pmd_comm)

    def stop(self):
        if self.ctl:
            self.ctl.close()
            self.ctl = None
        d = self.run_dir
        if os.path.isdir(d):
            if self.alive():
                # OVS makes the bridge's TAP persistent; deleting the bridge first removes it.
                subprocess.run(["ovs-vsctl", "--db=unix:" + self.db_sock, "--timeout=30", "--if-exists", "del-br",
                                self.br], env=self.penv, capture_output=True)
            if self.proc:
                if self.proc.poll() is None:
                    self.proc.terminate()
                    try:
                        self.proc.wait(10)
                    except subprocess.TimeoutExpired:
                        log("ovs-vswitchd-dpdk (pid %d) did not exit on TERM; sending KILL" % self.proc.pid)
                        self.proc.kill()
                        self.proc.wait(5)
                self.proc = None
            stop_pid(read_pidfile(d + "/ovsdb-server.pid"), "ovsdb-server")
            if os.path.exists(d + "/ovs-vswitchd.log"):
                shutil.copy(d + "/ovs-vswitchd.log", os.path.join(self.out, "ovs-vswitchd-%s.log" % self.tag))
            shutil.rmtree(d, ignore_errors=True)
        remove_tap(self.br)
        self.env.clean_hugepages()
        self.pid = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def death_note(self):
        """How the vswitchd child ended: the signal or exit code, and the end of its stderr."""
        if not self.proc or self.proc.poll() is None:
            return ""
        rc = self.proc.returncode
        how = "killed by %s" % signal.Signals(-rc).name if rc < 0 else "exit code %d" % rc
        try:
            tail = [l.strip() for l in open(self.errpath).read().splitlines() if l.strip() and "|INFO|" not in l][-2:]
        except OSError:
            tail = []
        return " (%s%s)" % (how, "; stderr: " + " / ".join(tail) if tail else "")

    def failure_detail(self):
        """What OVS's log says about a port that did not come up (pool size, driver's complaint)."""
        try:
            text = open(os.path.join(self.run_dir, "ovs-vswitchd.log")).read()
        except OSError:
            return ""
        out = []
        pool = re.findall(r"mempool with (\d+) mbufs", text) or re.findall(r"Requesting a mempool of (\d+) mbufs", text)
        if pool:
            out.append("OVS's pool: %s mbufs" % pool[-1])
        errs = [l.split("|", 4)[-1] for l in text.splitlines() if "|ERR|" in l or "|EMER|" in l]
        seen = []
        for e in errs:
            if e not in seen:
                seen.append(e)
        return "; ".join(out + seen[:3])

    def ofctl(self, *a):
        """ovs-ofctl [OPTIONS] COMMAND BRIDGE-SOCKET [ARGS]."""
        i = next(k for k, x in enumerate(a) if not x.startswith("-") and (k == 0 or a[k - 1] != "-O"))
        return run(["ovs-ofctl"] + list(a[:i + 1]) + ["unix:%s/%s.mgmt" % (self.run_dir, self.br)] + list(a[i + 1:]),
                   env=self.penv, timeout=600)

    def install(self, case):
        self.ofctl("del-flows")
        if case == "port":
            self.ofctl("add-flow", "in_port=1,actions=output:2")
        elif case in ("normal", "normal-fdb"):
            self.ctl.call("fdb/flush")
            self.ofctl("add-flow", "actions=NORMAL")
            if case == "normal-fdb":
                self.ctl.call("fdb/add", self.br, "p1", "0", "02:00:00:00:00:02")
        elif case in RULE_CASES:
            t0 = time.monotonic()
            # One OpenFlow 1.4 bundle: committed at once (one flow_mod at a time takes OVS over a minute
            # for rules10k on this VM).
            self.ofctl("-O", "OpenFlow14", "--bundle", "add-flows", self.rules_file(case, "2"))
            self.install_s = time.monotonic() - t0
            log("ovs: %s installed in %.2f s (ovs-ofctl --bundle add-flows)" % (case, self.install_s))
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

    def window_stats(self, path):
        stats = self.ctl.call("dpif-netdev/pmd-stats-show")
        with open(path, "w") as f:
            f.write(stats)
        c = ovs_cycles(stats)
        return {} if c is None else {"cycles": c}

    def case_summary(self, case, last):
        out = {}
        flows = self.ctl.call_opt("dpctl/dump-flows")
        if flows is not None:
            out["megaflows"], out["subtables"] = dp_flow_masks(flows)
            with open(os.path.join(self.out, "dpflows-ovs-%s-%s.txt" % (self.tag, case)), "w") as f:
                f.write(flows)
        if case in RULE_CASES:
            out["rules"] = rules_hit(self.ofctl("dump-flows"))
            out["install"] = "%.2f s (ovs-ofctl --bundle add-flows)" % self.install_s
        return out

    def memory(self):
        """OVS's mempools (netdev-dpdk/get-mempool-info: size x total_obj_size), its DPDK heap
        (dpdk/get-malloc-stats) and p0's statistics."""
        m = {}
        pools = {}
        for port in ("p0", "p1"):
            txt = self.ctl.call_opt("netdev-dpdk/get-mempool-info", port) or ""
            for block in re.split(r"(?m)^mempool <", txt)[1:]:
                name = block.split(">", 1)[0]
                size = re.search(r"(?m)^\s+size=(\d+)", block)
                obj = re.search(r"total_obj_size=(\d+)", block)
                if size and obj:
                    pools[name] = (int(size.group(1)), int(obj.group(1)))
        m["pools"] = [(k, v[0], v[1], v[0] * v[1]) for k, v in sorted(pools.items())]
        m["pool_bytes"] = sum(v[0] * v[1] for v in pools.values())
        heap = self.ctl.call_opt("dpdk/get-malloc-stats") or ""
        m["heap_bytes"] = sum(int(x) for x in re.findall(r"Heap_size:(\d+)", heap))
        st = self.port_stats("p0")
        m["rx_nombuf"] = st.get("rx_mbuf_allocation_errors")
        m["rx_missed"] = st.get("rx_missed_errors", st.get("rx_dropped"))
        m["stats_keys"] = sorted(st)
        return m


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
                    "--", "-i", "--disable-link-check", "--nb-cores=1", "--rxq=1", "--txq=1",
                    "--total-num-mbufs=%d" % self.mbufs, "--forward-mode=io"]
        self.logpath = os.path.join(self.out, "testpmd-%s.log" % self.tag)
        self.lines = []
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.pid = self.proc.pid  # stdbuf execs testpmd, so this is testpmd's pid
        e.cleanups.append(self.stop)
        threading.Thread(target=self._reader, args=(self.proc.stdout,), daemon=True).start()
        self._wait_for(r"^Port 1: ", 0, 240)  # configured; cmdline reads stdin once it starts
        self.send("start")
        self._wait_for(r"io packet forwarding", 0, 60)
        self.pmd_tid = find_thread(self.pid, self.pmd_comm)
        if not self.pmd_tid:
            log("testpmd: no forwarding thread among %s" % [open("/proc/%d/task/%s/comm" % (self.pid, t)).read().strip()
                                                            for t in os.listdir("/proc/%d/task" % self.pid)])

    def failure_detail(self):
        with self.cv:
            errs = [l.strip() for l in self.lines if re.search(r"(?i)error|fail|not enough", l)]
        return "; ".join(errs[:3])

    def install(self, case):
        return case == "io"

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

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
    """Warm up, then args.windows windows; returns (per-window rows, the last window's stats)."""
    time.sleep(args.warmup)
    rows = []
    st = {}
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
        st = sw.window_stats(os.path.join(args.out, "pmd-stats-%s.txt" % tag))
        row = {"switch": sw.name, "flows": nflows, "case": case, "window": w,
               "tx_mpps": (tx1 - tx0) / dt / 1e6, "rx_mpps": (rx1 - rx0) / dt / 1e6, "seconds": dt,
               "pmd_cpu_share": share, "load1": open("/proc/loadavg").read().split()[0],
               "cycles_per_pkt": st.get("cycles", float("nan")),
               "stages": ";".join("%s=%g" % kv for kv in st.get("stages", {}).items())}
        row["tx_mpps_per_pmd_cpu_s"] = row["tx_mpps"] / share if share == share and share > 0 else float("nan")
        writer.writerow({k: ("%.4f" % v if isinstance(v, float) else v) for k, v in row.items()})
        row["stage_map"] = st.get("stages", {})
        log("%-7s flows=%-7d %-10s w%d: %7.3f Mpps tx (p0 rx %7.3f), PMD on CPU %3.0f%% -> %7.3f Mpps/PMD-CPU-s, "
            "%s cycles/pkt" % (sw.name, nflows, case, w, row["tx_mpps"], row["rx_mpps"], 100 * share,
                               row["tx_mpps_per_pmd_cpu_s"], fmt1(row["cycles_per_pkt"])))
        rows.append(row)
    return rows, st


def flow_actions(path):
    """The datapath flows' actions in a saved dump, e.g. 'actions:p1 (1 flow)'."""
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


def fmt1(v):
    return "-" if v is None or v != v else "%.1f" % v


def mb(b):
    return "-" if b is None else "{:,} MiB".format(int(round(b / 1048576.0)))


def short_reason(why):
    """A table cell's version of why a switch did not run."""
    need = re.search(r"At least (\d+) mbufs per queue is required", why)
    pool = re.search(r"pool: (\d+) mbufs", why)
    if need:
        return "n/a: %sp0's pcap needs %s mbufs%s" % ("crashed; " if "died" in why else "", "{:,}".format(int(need.group(1))),
                                                      ", pool has {:,}".format(int(pool.group(1))) if pool else "")
    if "died" in why:
        return "n/a: crashed"
    if "no packets" in why:
        return "n/a: no traffic"
    return "n/a: " + why[:60]


def estimate_s(args, switches):
    """Rough wall time of the run (calibrated on this 2-vCPU VM)."""
    per_case = args.warmup + args.windows * (args.window + 0.3) + 1
    t = 5.0
    for n in args.flows:
        t += n / 200000.0  # writing the pcap
        for s in switches:
            t += {"testpmd": 3, "ovs": 4, "numavs": 3}[s] + (5 if n >= 1000000 else 0)
            if s == "testpmd":
                t += per_case
                continue
            for c in args.cases:
                t += per_case + {"rules10k": 1}.get(c, 0)
            t += 2  # memory, stop
    return t


def summarize(results, info, failures, memory, args, notes):
    """results: {(switch, flows, case): [rows]}, info: {(switch, flows, case): case_summary},
    failures: {(switch, flows[, case]): why}, memory: {(switch, flows): memory()} -> markdown."""
    def rows(sw, n, c):
        return results.get((sw, n, c))

    def stat(sw, n, c, key="tx_mpps"):
        r = rows(sw, n, c)
        if not r:
            return None
        v = sorted(x[key] for x in r if x[key] == x[key])
        return (v[0], statistics.median(v), v[-1]) if v else None

    def why(sw, n, c):
        return failures.get((sw, n)) or failures.get((sw, n, c))

    def mmm(sw, n, c):
        s = stat(sw, n, c)
        if s is None:
            w = why(sw, n, c)
            return short_reason(w) if w else "–"
        return "%s / **%s** / %s" % (fmt3(s[0]), fmt3(s[1]), fmt3(s[2]))

    def ratio(a, b):
        return "–" if a is None or b is None or not b[1] else "%.2f" % (a[1] / b[1])

    def cyc(sw, n, c):
        s = stat(sw, n, c, "cycles_per_pkt")
        return "-" if s is None else fmt1(s[1])

    def mf(sw, n, c):
        i = info.get((sw, n, c))
        if not i or "megaflows" not in i:
            return "-"
        return "{:,} / {}".format(i["megaflows"], i.get("subtables", "-"))

    cases_run = [c for c in args.cases if any(k[2] == c for k in results) or
                 any(len(k) == 3 and k[2] == c for k in failures) or any(len(k) == 2 for k in failures)]
    out = []
    out.append("## Mpps forwarded to p1 (64 B frames, one PMD core)")
    out.append("")
    out.append("min / **median** / max of %d windows of %g s after %g s warm-up; ratios of medians. Cycles per "
               "packet: median over the windows (OVS: pmd-stats-show \"avg cycles per packet\"; numavs: pmd-perf-show "
               "\"total\"). Megaflows / subtables: the datapath's flows after the last window (OVS: dpctl/dump-flows, "
               "subtables = distinct masks; numavs: pmd-perf-show)." % (args.windows, args.window, args.warmup))
    out.append("")
    out.append("| flows | rules | numavs | OVS-DPDK 3.1 | testpmd io (ceiling) | numavs/OVS | numavs/testpmd | "
               "cycles/pkt numavs | cycles/pkt OVS | megaflows / subtables numavs | megaflows / subtables OVS |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in args.flows:
        tp = stat("testpmd", n, "io")
        for c in cases_run:
            nv, ov = stat("numavs", n, c), stat("ovs", n, c)
            if nv is None and ov is None and not why("numavs", n, c) and not why("ovs", n, c):
                continue
            out.append("| {:,} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                n, CASE_TITLE[c], mmm("numavs", n, c), mmm("ovs", n, c), mmm("testpmd", n, "io"),
                ratio(nv, ov), ratio(nv, tp), cyc("numavs", n, c), cyc("ovs", n, c), mf("numavs", n, c),
                mf("ovs", n, c)))
    out.append("")

    # numavs's cycles per stage.
    stages = []
    for k, rs in results.items():
        if k[0] == "numavs":
            for r in rs:
                for s in r.get("stage_map", {}):
                    if s not in stages:
                        stages.append(s)
    out.append("## numavs cycles per packet by stage (dpif-netdev/pmd-perf-show, median of windows)")
    out.append("")
    if not stages:
        out.append("numavs-switchd of this run has no dpif-netdev/pmd-perf-show (or it printed no stages): \"-\".")
    else:
        out.append("| flows | rules | " + " | ".join(stages) + " | OVS total |")
        out.append("|---|---|" + "---|" * (len(stages) + 1))
        for n in args.flows:
            for c in cases_run:
                r = rows("numavs", n, c)
                if not r:
                    continue
                cells = []
                for s in stages:
                    v = [x["stage_map"][s] for x in r if s in x.get("stage_map", {})]
                    cells.append(fmt1(statistics.median(v)) if v else "-")
                out.append("| {:,} | {} | {} | {} |".format(n, CASE_TITLE[c], " | ".join(cells), cyc("ovs", n, c)))
    out.append("")

    # Rule cases: how many rules the traffic hit.
    rr = [(n, c) for n in args.flows for c in cases_run if c in RULE_CASES and
          (info.get(("numavs", n, c), {}).get("rules") or info.get(("ovs", n, c), {}).get("rules"))]
    if rr:
        out.append("## Rule cases: rules the traffic hit (ofctl dump-flows n_packets > 0, after the last window)")
        out.append("")
        out.append("| flows | rules | numavs: hit / installed (masks hit / masks) | OVS: hit / installed (masks hit / masks) "
                   "| packets to priority=0 drop numavs / OVS | install time numavs / OVS |")
        out.append("|---|---|---|---|---|---|")

        def hit(sw, n, c):
            h = info.get((sw, n, c), {}).get("rules")
            return "-" if not h else "{:,} / {:,} ({} / {})".format(h["hit"], h["rules"], h["masks_hit"], h["masks"])

        def drops(sw, n, c):
            h = info.get((sw, n, c), {}).get("rules")
            return "-" if not h else "{:,}".format(h["drop_hits"])
        for n, c in rr:
            out.append("| {:,} | {} | {} | {} | {} / {} | {} / {} |".format(
                n, CASE_TITLE[c], hit("numavs", n, c), hit("ovs", n, c), drops("numavs", n, c), drops("ovs", n, c),
                info.get(("numavs", n, c), {}).get("install", "-"), info.get(("ovs", n, c), {}).get("install", "-")))
        out.append("")

    out.append("## The same per second of PMD CPU time")
    out.append("")
    out.append("Mpps / share of CPU 1 the PMD thread got (/proc/.../schedstat): takes out time slices lost to other "
               "processes; median of windows.")
    out.append("")
    out.append("| flows | rules | numavs | OVS | testpmd | numavs/OVS | numavs/testpmd | PMD CPU share numavs / OVS / testpmd |")
    out.append("|---|---|---|---|---|---|---|---|")
    for n in args.flows:
        tp = stat("testpmd", n, "io", "tx_mpps_per_pmd_cpu_s")
        tps = stat("testpmd", n, "io", "pmd_cpu_share")
        for c in cases_run:
            nv, ov = stat("numavs", n, c, "tx_mpps_per_pmd_cpu_s"), stat("ovs", n, c, "tx_mpps_per_pmd_cpu_s")
            if nv is None and ov is None:
                continue
            ns, os_ = stat("numavs", n, c, "pmd_cpu_share"), stat("ovs", n, c, "pmd_cpu_share")
            shares = " / ".join("–" if s is None else "%.0f%%" % (100 * s[1]) for s in (ns, os_, tps))
            out.append("| {:,} | {} | {} | {} | {} | {} | {} | {} |".format(
                n, CASE_TITLE[c], "–" if nv is None else fmt3(nv[1]), "–" if ov is None else fmt3(ov[1]),
                "–" if tp is None else fmt3(tp[1]), ratio(nv, ov), ratio(nv, tp), shares))
    out.append("")

    if memory:
        out.append("## Packet-buffer memory (hugepages) and p0's no-buffer drops")
        out.append("")
        out.append("Pools, measured live: numavs `memory/show --format=json`, each pool's memzones (buffers + ring + "
                   "header); OVS `netdev-dpdk/get-mempool-info` size x total_obj_size. Planner: numavs's log line "
                   "\"created pool ... N buffers ..., X MB\" (its planner's figure, MiB rounded up); \"= planner?\" "
                   "checks buffers and MiB (\"MB\" in numavs's texts are MiB). DPDK heap: all hugepage memory the EAL took (numavs memory/show, OVS "
                   "dpdk/get-malloc-stats Heap_size). Drops: p0's Interface.statistics after the last case "
                   "(rx_mbuf_allocation_errors = ethdev rx_nombuf; missed = imissed: numavs rx_dropped, OVS "
                   "rx_missed_errors).")
        out.append("")
        out.append("| flows | numavs pools (live) | numavs planner (buffers / MB) | = planner? | OVS pools | OVS/numavs "
                   "pools | DPDK heap numavs / OVS (OVS/numavs) | p0 rx no-buffer numavs / OVS | p0 rx missed numavs / OVS |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for n in args.flows:
            nm, om = memory.get(("numavs", n)), memory.get(("ovs", n))
            if not nm and not om:
                continue
            nm, om = nm or {}, om or {}

            def pools(m):
                if not m.get("pools"):
                    return "-"
                return " + ".join("{:,} x {:,} B".format(p[1], p[2]) for p in m["pools"]) + " = **" + \
                    mb(m["pool_bytes"]) + "**"
            plan = nm.get("plan", {})
            plan_txt = "{} MiB ({} buffers)".format(" + ".join("{:,}".format(v[1]) for v in plan.values()), " + ".join(
                "{:,}".format(v[0]) for v in plan.values())) if plan else "-"
            same = "-"
            if plan and nm.get("pools"):
                live = {p[0]: p for p in nm["pools"]}
                # The planner's figure is rounded up to whole MiB in its log line.
                ok = all(k in live and live[k][1] == v[0] and -(-live[k][3] // 1048576) == v[1]
                         for k, v in plan.items()) and len(plan) == len(live)
                same = "yes" if ok else "**no**"
            ratio_m = "%.1f" % (om["pool_bytes"] / nm["pool_bytes"]) if om.get("pool_bytes") and nm.get("pool_bytes") else "-"
            ratio_h = "%.1f" % (om["heap_bytes"] / nm["heap_bytes"]) if om.get("heap_bytes") and nm.get("heap_bytes") else "-"
            ovs_pools = pools(om) if om else short_reason(failures.get(("ovs", n), "")) if ("ovs", n) in failures else "-"
            out.append("| {:,} | {} | {} | {} | {} | {} | {} / {} ({}) | {} / {} | {} / {} |".format(
                n, pools(nm), plan_txt, same, ovs_pools, ratio_m, mb(nm.get("heap_bytes")), mb(om.get("heap_bytes")),
                ratio_h,
                nm.get("rx_nombuf", "-"), om.get("rx_nombuf", "-"), nm.get("rx_missed", "-"), om.get("rx_missed", "-")))
        out.append("")

    drops = []
    for (sw, n, c), rs in sorted(results.items()):
        for r in rs:
            if sw != "testpmd" and r["rx_mpps"] > 0 and abs(r["rx_mpps"] - r["tx_mpps"]) / r["rx_mpps"] > 0.01:
                drops.append("%s %d %s w%d: p0 rx %.3f vs p1 tx %.3f Mpps" % (sw, n, c, r["window"], r["rx_mpps"],
                                                                             r["tx_mpps"]))
    if drops:
        out.append("p0 rx and p1 tx differ by more than 1% in: " + "; ".join(drops))
        out.append("")
    if failures:
        out.append("Did not run / no result:")
        for k, w in sorted(failures.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            out.append("* %s at %s flows%s: %s" % (k[0], "{:,}".format(k[1]), " (%s)" % k[2] if len(k) > 2 else "", w))
        out.append("")
    out.append("Notes:")
    if "normal" in args.cases:
        out.append("* NORMAL (flood): no FDB entry, and p1 (net_null, no-rx) never sends a frame, so "
                   "the destination MAC 02:00:00:00:00:02 is never learned and NORMAL floods to every other port: p1 "
                   "and the bridge's LOCAL port, a kernel TAP that is down (OVS leaves it down; the script sets "
                   "numavs's down too). OVS is driven the same way (no FDB entry). The row measures the lookup plus "
                   "the cost of a flooded copy to a down TAP.")
    if "normal-fdb" in args.cases:
        out.append("* NORMAL (fdb/add): a static FDB entry for the destination on p1 (fdb/add) in both "
                   "switches, as in ../shared/anchors/ovs-dpdk: known-unicast NORMAL, no flooding.")
    if "rules10k" in args.cases:
        out.append("* 10k mixed rules: 10,000 rules in 16 masks (nw_dst /8../32, with nw_proto/tp_dst in three "
                   "groups, one nw_src group), priorities 300..603; the traffic hits up to 235 rules in 9 masks, "
                   "longest prefix first (bench.py rules10k()). All rules output to p1 (priority=0 drops).")
    out.append("* testpmd io forwarding does no lookup at all; its one number per flow count is the ceiling for "
               "every rule case. At 100,000 flows and more the source itself (scattered source mbufs) costs more.")
    out.append("* Same machine, same run, interleaved per flow count (testpmd, OVS, numavs): compare ratios, "
               "not absolute numbers.")
    for n in notes:
        out.append("* " + n)
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bindir", required=True, help="numavs binaries (build/default/bin)")
    ap.add_argument("--flows", default=DEFAULT_FLOWS, help="comma-separated flow counts (default %s)" % DEFAULT_FLOWS)
    ap.add_argument("--cases", default=DEFAULT_CASES,
                    help="comma-separated rule cases out of %s (default %s)" % (",".join(ALL_CASES), DEFAULT_CASES))
    ap.add_argument("--switches", default="testpmd,ovs,numavs", help="any of testpmd,ovs,numavs (run in this order)")
    ap.add_argument("--windows", type=int, help="measurement windows per case (default 3; --quick 2)")
    ap.add_argument("--window", type=float, help="seconds per window (default 10; --quick 1.5)")
    ap.add_argument("--warmup", type=float, help="seconds of traffic before the first window (default 5; --quick 1)")
    ap.add_argument("--quick", action="store_true", help="short windows (a smoke test)")
    ap.add_argument("--hugepages", type=int, default=2048, help="2 MB pages to have reserved during the run")
    ap.add_argument("--mbufs", type=int, default=262144,
                    help="testpmd --total-num-mbufs (OVS's default pool); raised to hold the pcap if it is bigger")
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
    for s in switches:
        if s not in ("testpmd", "ovs", "numavs"):
            ap.error("unknown switch %s" % s)
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

    est = estimate_s(args, switches)
    log("bench/dp: flows %s, cases %s, switches %s, %d x %g s windows after %g s warm-up: about %.0f min "
        "(finishing around %s)" % (",".join(map(str, args.flows)), ",".join(args.cases), ",".join(switches),
                                   args.windows, args.window, args.warmup, est / 60,
                                   time.strftime("%H:%M", time.localtime(time.time() + est))))
    env = Env(args)

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    results, info, failures, memory = {}, {}, {}, {}
    dp_actions = {}
    local_state = {}
    notes = []
    build_note = ""
    t_start = time.monotonic()
    fcsv = open(os.path.join(args.out, "results.csv"), "w", newline="")
    writer = csv.DictWriter(fcsv, fieldnames=["switch", "flows", "case", "window", "tx_mpps", "rx_mpps", "seconds",
                                              "pmd_cpu_share", "load1", "cycles_per_pkt", "stages",
                                              "tx_mpps_per_pmd_cpu_s"])
    writer.writeheader()
    try:
        os.makedirs(env.dir, exist_ok=True)
        env.open()
        # Others may rebuild the build tree while this runs: use a copy of the binaries taken now.
        bindir = os.path.join(env.dir, "bin")
        shutil.copytree(args.bindir, bindir)
        # The launcher finds the schema at BINDIR/../share/numavs (build tree and install alike).
        share = os.path.join(os.path.dirname(os.path.abspath(args.bindir)), "share")
        if os.path.isdir(share):
            shutil.copytree(share, os.path.join(env.dir, "share"))
        build_note = "numavs binaries: copy of %s taken at start (newest %s UTC); repository %s" % (
            args.bindir, time.strftime("%H:%M:%S", time.gmtime(max(
                os.path.getmtime(os.path.join(bindir, f)) for f in os.listdir(bindir)))), git_describe(here))
        log(build_note)
        for n in args.flows:
            pcap = os.path.join(env.dir, "flows%d.pcap" % n)
            t0 = time.monotonic()
            cnt = write_pcap(pcap, n)
            log("%s: %d flows, %d packets (%.1f s)" % (pcap, n, cnt, time.monotonic() - t0))
            mbufs = args.mbufs
            if cnt + 65536 > mbufs:
                mbufs = cnt + 65536
                notes.append("testpmd at {:,} flows had --total-num-mbufs={:,} (the pcap's {:,} packets + 65,536) "
                             "instead of {:,}, so that net_pcap can preload the file.".format(n, mbufs, cnt, args.mbufs))
            for s in switches:
                sw = {"numavs": lambda: Numavs(env, args.out, bindir), "ovs": lambda: Ovs(env, args.out),
                      "testpmd": lambda: Testpmd(env, args.out, mbufs)}[s]()
                sw.tag = "%d" % n
                log("=== %s, %d flows ===" % (s, n))
                t0 = time.monotonic()
                env.ensure_hugepages()
                try:
                    sw.start(n, pcap)
                except Exception as e:
                    detail = sw.failure_detail()
                    why = str(e) + (" -- %s: %s" % (s, detail) if detail else "")
                    log("%s failed to start: %s; skipping it for %d flows" % (s, why, n))
                    failures[(s, n)] = why
                    sw.stop()
                    env.cleanups.remove(sw.stop) if sw.stop in env.cleanups else None
                    continue
                log("%s up in %.1f s (PMD thread %s)" % (s, time.monotonic() - t0, sw.pmd_tid))
                if hasattr(sw, "local_port_state"):
                    local_state.setdefault(s, set()).add(sw.local_port_state())
                try:
                    for c in (["io"] if s == "testpmd" else args.cases):
                        if not sw.install(c):
                            continue
                        rows, last = measure(sw, n, c, args, writer)
                        fcsv.flush()
                        results[(s, n, c)] = rows
                        if max(r["tx_mpps"] for r in rows) <= 0:
                            detail = sw.failure_detail()
                            failures[(s, n, c)] = "no packets forwarded to p1 (p0 rx %.3f Mpps)%s" % (
                                max(r["rx_mpps"] for r in rows), " -- " + detail if detail else "")
                            del results[(s, n, c)]
                        info[(s, n, c)] = sw.case_summary(c, last)
                        log("%s %d %s: %s" % (s, n, c, {k: v for k, v in info[(s, n, c)].items()}))
                        if c.startswith("normal"):
                            dp_actions[(s, n, c)] = flow_actions(
                                os.path.join(args.out, "dpflows-%s-%d-%s.txt" % (s, n, c)))
                    if s != "testpmd":
                        memory[(s, n)] = sw.memory()
                        log("%s %d memory: %s" % (s, n, memory[(s, n)]))
                except Exception as e:
                    if isinstance(e, SystemExit):
                        raise
                    dead = sw.pid and not sw.alive()
                    detail = sw.failure_detail() if dead else ""
                    crash = sw.death_note() if dead and hasattr(sw, "death_note") else ""
                    why = "%s%s%s" % (e, crash, " -- " + detail if detail else "")
                    log("%s at %d flows failed during the measurement: %s" % (s, n, why))
                    failures[(s, n, c)] = why
                sw.stop()
                env.cleanups.remove(sw.stop) if sw.stop in env.cleanups else None
    finally:
        fcsv.close()
        env.close()
    text = summarize(results, info, failures, memory, args, notes)
    if dp_actions:
        text += "\n* Datapath flows in the NORMAL cases (last window): " + "; ".join(
            "%s %d %s: %s" % (k[0], k[1], k[2], v) for k, v in sorted(dp_actions.items()))
    text += "\n* " + build_note
    text += "\n* The bridge's LOCAL port right after start: " + "; ".join(
        "%s: %s" % (k, ", ".join(sorted(v))) for k, v in sorted(local_state.items()))
    text += "\n\nRun: %s, %.0f s (estimated %.0f s); results in %s\n" % (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), time.monotonic() - t_start, est, args.out)
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
