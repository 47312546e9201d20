#!/usr/bin/env python3
"""Per-transaction latency behind bench/ovsdb's transactions-per-second figure.

8 client processes x 500 transactions (the tps mix: even ones mutate
Open_vSwitch.other_config and commit, odd ones insert and delete a Queue row
and commit nothing), against numavs-db and then the real ovsdb-server; prints
transactions/s and the latency percentiles of each kind, so a gap in
transactions/s can be traced to commit acknowledgement (fsync) or to the rest,
and the server's CPU time (all its threads, user+system) and context switches
(voluntary/involuntary, all threads) per transaction; then the whole
machine's idle share, interrupts and context switches per transaction (the
kernel's share of a sync: AIO workers, block-device interrupts, wake-ups), and
numavs-db's commits per fdatasync group.

  bench/ovsdb/latency.py [--numavs-db build/default/bin/numavs-db] [--clients 8] [--txns 500]
                         [--reps 1] [--ack-before-sync]
"""
import argparse
import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "ovsdb"))
import harness  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import tps_ops  # noqa: E402  (the same transaction mix as the tps benchmark)


def client(sock, idx, m, start_at, out):
    c = harness.RpcClient(sock, timeout=60)
    while time.time() < start_at:
        time.sleep(0.001)
    commits, others = [], []
    t0 = time.monotonic()
    c0 = time.process_time()
    for j in range(m):
        ops = tps_ops(idx, j)
        t = time.perf_counter()
        c.transact("Open_vSwitch", *ops)
        (commits if j % 2 == 0 else others).append((time.perf_counter() - t) * 1000)
    out.put((time.monotonic() - t0, commits, others, time.process_time() - c0))
    c.close()


def server_counters(pid):
    """(cpu seconds, voluntary, involuntary context switches) of all threads of pid."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    vol = invol = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        vol += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches:"):
                        invol += int(line.split()[1])
        except FileNotFoundError:
            pass
    return cpu, vol, invol


def machine_counters():
    """(busy jiffies, idle jiffies, interrupts, context switches) of the whole machine."""
    with open("/proc/stat") as f:
        lines = f.read().splitlines()
    cpu = [int(x) for x in lines[0].split()[1:]]
    idle = cpu[3] + cpu[4]
    intr = ctxt = 0
    for line in lines:
        if line.startswith("intr "):
            intr = int(line.split()[1])
        elif line.startswith("ctxt "):
            ctxt = int(line.split()[1])
    return sum(cpu) - idle, idle, intr, ctxt


def commits_per_flush(srv):
    """numavs-db only: commits / fdatasync groups, from memory/show."""
    if srv.kind != "numavs":
        return ""
    r = srv.appctl("memory/show", check=False)
    out = ""
    for line in r.stdout.splitlines():
        if line.startswith("transactions:"):
            f = dict(kv.split(":") for kv in line.split())
            if int(f["flushes"]):
                out += ", %.2f commits per flush" % (int(f["commits"]) / int(f["flushes"]))
        elif line.startswith("syncs:"):
            out += "\n%-12s %s" % ("", line)
    return out


def pct(v, p):
    return v[min(len(v) - 1, len(v) * p // 100)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--numavs-db", default=harness.default_numavs_bin())
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--txns", type=int, default=500)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--kinds", default="numavs,ovsdb-server")
    ap.add_argument("--ack-before-sync", action="store_true",
                    help="run numavs-db with --ack-before-sync (ovsdb-server's durability)")
    a = ap.parse_args()
    harness.require_ovs_tools()
    for kind in (a.kinds.split(",")) * a.reps:
        srv = harness.Server(kind, numavs_bin=a.numavs_db,
                             args=["--ack-before-sync"] if kind == "numavs" and a.ack_before_sync else ())
        with srv:
            srv.vsctl("--no-wait", "init")
            q = multiprocessing.Queue()
            start = time.time() + 0.5
            before = server_counters(srv.pid)
            procs = [multiprocessing.Process(target=client, args=(srv.sock, i, a.txns, start, q))
                     for i in range(a.clients)]
            for p in procs:
                p.start()
            time.sleep(max(0.0, start - time.time()))
            mbefore = machine_counters()  # from the clients' start, not their spawning
            res = [q.get(timeout=600) for _ in procs]
            for p in procs:
                p.join(30)
            after = server_counters(srv.pid)
            mafter = machine_counters()
            wall = max(r[0] for r in res)
            commits = sorted(x for r in res for x in r[1])
            others = sorted(x for r in res for x in r[2])
            n = a.clients * a.txns
            print("%-12s %7.0f txn/s  commit p50 %.2f p90 %.2f ms  no-commit p50 %.2f p90 %.2f ms  "
                  "server %.0f us CPU, %.2f+%.2f cs per txn" % (
                      kind, n / wall, pct(commits, 50), pct(commits, 90), pct(others, 50),
                      pct(others, 90), (after[0] - before[0]) * 1e6 / n, (after[1] - before[1]) / n,
                      (after[2] - before[2]) / n), flush=True)
            busy, idle, intr, ctxt = (y - x for x, y in zip(mbefore, mafter))
            hz = os.sysconf("SC_CLK_TCK")
            print("%-12s machine: %.0f%% idle, %.0f us CPU (clients %.0f us), %.2f interrupts, %.2f context "
                  "switches per txn%s" % (
                      "", 100.0 * idle / max(1, busy + idle), busy / hz * 1e6 / n,
                      sum(r[3] for r in res) * 1e6 / n, intr / n, ctxt / n, commits_per_flush(srv)),
                  flush=True)


if __name__ == "__main__":
    main()
