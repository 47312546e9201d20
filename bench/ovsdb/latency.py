#!/usr/bin/env python3
"""Per-transaction latency behind bench/ovsdb's transactions-per-second figure.

8 client processes x 500 transactions (the tps mix: even ones mutate
Open_vSwitch.other_config and commit, odd ones insert and delete a Queue row
and commit nothing), against numavs-db and then the real ovsdb-server; prints
transactions/s and the latency percentiles of each kind, so a gap in
transactions/s can be traced to commit acknowledgement (fsync) or to the rest.

  bench/ovsdb/latency.py [--numavs-db build/default/bin/numavs-db] [--clients 8] [--txns 500]
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
    for j in range(m):
        ops = tps_ops(idx, j)
        t = time.perf_counter()
        c.transact("Open_vSwitch", *ops)
        (commits if j % 2 == 0 else others).append((time.perf_counter() - t) * 1000)
    out.put((time.monotonic() - t0, commits, others))
    c.close()


def pct(v, p):
    return v[min(len(v) - 1, len(v) * p // 100)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--numavs-db", default=harness.default_numavs_bin())
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--txns", type=int, default=500)
    a = ap.parse_args()
    harness.require_ovs_tools()
    for kind in ("numavs", "ovsdb-server"):
        srv = harness.Server(kind, numavs_bin=a.numavs_db)
        with srv:
            srv.vsctl("--no-wait", "init")
            q = multiprocessing.Queue()
            start = time.time() + 0.5
            procs = [multiprocessing.Process(target=client, args=(srv.sock, i, a.txns, start, q))
                     for i in range(a.clients)]
            for p in procs:
                p.start()
            res = [q.get(timeout=600) for _ in procs]
            for p in procs:
                p.join(30)
            wall = max(r[0] for r in res)
            commits = sorted(x for r in res for x in r[1])
            others = sorted(x for r in res for x in r[2])
            print("%-12s %7.0f txn/s  commit p50 %.2f p90 %.2f ms  no-commit p50 %.2f p90 %.2f ms" % (
                kind, a.clients * a.txns / wall, pct(commits, 50), pct(commits, 90),
                pct(others, 50), pct(others, 90)))


if __name__ == "__main__":
    main()
