#!/usr/bin/env python3
"""numavs-db vs ovsdb-server benchmark (driven by run.sh; not part of ctest).

Two measurements, each against both servers in the same run, repeated:
  tps        N client processes x M small transactions each, one at a time
             per client (send, wait for the reply): alternately a mutate of
             Open_vSwitch other_config and an insert+delete of a Queue row.
             Result: committed transactions per second over all clients.
             --clients takes a list (8,32): one result per client count.
  add-port   wall time for P `ovs-vsctl --no-wait add-port br0 pK`, one
             process per port, one after the other (as users do).
Each server runs in its default mode on a fresh DB in a temp dir on the
same file system. Prints min/median/max and the ratio numavs/ovsdb-server,
and, before and after the runs, the load average and the fdatasync latency of
a small append in that file system: numavs-db waits for one per commit group
and ovsdb-server for none, so the tps ratio depends on it (on a shared VM it
went from 0.1 ms to ~4 ms while other processes wrote to the disk).
"""
import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "ovsdb"))
import harness  # noqa: E402

DB = "Open_vSwitch"


DURABLE = False  # --durable: every transaction asks for a durable commit
ACK_BEFORE_SYNC = False  # --ack-before-sync: numavs-db acknowledges written commits, as ovsdb-server


def tps_ops(idx, j):
    """Transaction j of client idx: even ones mutate Open_vSwitch.other_config
    (a commit), odd ones insert and delete a Queue row (nothing to commit).
    With --durable each ends with {"op": "commit", "durable": true}, which
    makes ovsdb-server fsync before replying, as numavs-db always does."""
    ops = _tps_ops(idx, j)
    if DURABLE:
        ops.append({"op": "commit", "durable": True})
    return ops


def _tps_ops(idx, j):
    if j % 2 == 0:
        return [{"op": "mutate", "table": "Open_vSwitch", "where": [],
                 "mutations": [["other_config", "delete", ["set", ["bench-%d" % idx]]],
                               ["other_config", "insert", ["map", [["bench-%d" % idx, str(j)]]]]]}]
    return [{"op": "insert", "table": "Queue", "uuid-name": "q",
             "row": {"external_ids": ["map", [["bench", "%d-%d" % (idx, j)]]]}},
            {"op": "delete", "table": "Queue", "where": [["_uuid", "==", ["named-uuid", "q"]]]}]


def tps_client(sock, idx, m, start_at, out):
    c = harness.RpcClient(sock, timeout=60)
    while time.time() < start_at:
        time.sleep(0.001)
    t0 = time.monotonic()
    errors = 0
    for j in range(m):
        r = c.transact(DB, *tps_ops(idx, j))
        res = r.get("result")
        if r.get("error") is not None or not isinstance(res, list) or any(
                isinstance(x, dict) and "error" in x for x in res):
            errors += 1
    out.put((idx, time.monotonic() - t0, errors))
    c.close()


def bench_tps(srv, n, m):
    q = multiprocessing.Queue()
    start_at = time.time() + 0.5
    procs = [multiprocessing.Process(target=tps_client, args=(srv.sock, i, m, start_at, q)) for i in range(n)]
    for p in procs:
        p.start()
    results = [q.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(30)
    wall = max(r[1] for r in results)
    errors = sum(r[2] for r in results)
    if errors:
        raise SystemExit("%s: %d transactions failed" % (srv.kind, errors))
    return n * m / wall


def bench_add_port(srv, ports):
    srv.vsctl("--no-wait", "add-br", "br0")
    t0 = time.monotonic()
    for k in range(ports):
        r = subprocess.run(["ovs-vsctl", "--db=" + srv.remote(), "--timeout=60", "--no-wait", "add-port",
                            "br0", "p%d" % k], env=srv.env, capture_output=True, text=True, timeout=120)
        if r.returncode != 0 or r.stderr:
            raise SystemExit("%s: add-port p%d failed rc=%d: %s" % (srv.kind, k, r.returncode, r.stderr))
    wall = time.monotonic() - t0
    r = srv.vsctl("list-ports", "br0")
    if len(r.stdout.split()) != ports:
        raise SystemExit("%s: %d ports after adding %d" % (srv.kind, len(r.stdout.split()), ports))
    return wall


def fresh(kind, numavs_bin):
    srv = harness.Server(kind, numavs_bin=numavs_bin,
                         args=["--ack-before-sync"] if kind == "numavs" and ACK_BEFORE_SYNC else ())
    srv.start()
    srv.vsctl("--no-wait", "init")
    return srv


def fsync_probe(tmpdir, n=50):
    """p50 and p90 in ms of fdatasync after a 300-byte append in tmpdir, as
    numavs-db does per commit group: the floor of its commit latency, and what
    varies most on a shared machine (about 0.1 ms on an idle disk, several ms
    while other processes write)."""
    path = os.path.join(tmpdir, "fsync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    lat = []
    try:
        for _ in range(n):
            os.write(fd, b"x" * 300)
            t = time.perf_counter()
            os.fdatasync(fd)
            lat.append((time.perf_counter() - t) * 1000)
    finally:
        os.close(fd)
        os.unlink(path)
    lat.sort()
    return lat[n // 2], lat[n * 9 // 10]


def summary(vals):
    return min(vals), statistics.median(vals), max(vals)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--numavs-db", default=harness.default_numavs_bin())
    ap.add_argument("--reps", type=int, default=3,
                    help="pairs of runs; on a shared machine use 8 or more for the tps ratio")
    ap.add_argument("--clients", default="8",
                    help="client processes for tps; a comma-separated list runs each count")
    ap.add_argument("--txns", type=int, default=4000,
                    help="transactions per client (windows of a few seconds: shorter ones are noisy here)")
    ap.add_argument("--ports", type=int, default=1000)
    ap.add_argument("--only", choices=["tps", "add-port"], default=None)
    ap.add_argument("--durable", action="store_true",
                    help="tps transactions ask for a durable commit (ovsdb-server then fsyncs too)")
    ap.add_argument("--ack-before-sync", action="store_true",
                    help="run numavs-db with --ack-before-sync: commits acknowledged once written, as"
                         " ovsdb-server does by default (same durability)")
    a = ap.parse_args()
    global DURABLE, ACK_BEFORE_SYNC
    DURABLE = a.durable
    ACK_BEFORE_SYNC = a.ack_before_sync
    harness.require_ovs_tools()
    if not os.access(a.numavs_db, os.X_OK):
        raise SystemExit("numavs-db not found: %s (build it: cmake --build build/default --target numavs-db)"
                         % a.numavs_db)
    kinds = ["numavs", "ovsdb-server"]
    client_counts = [int(x) for x in a.clients.split(",") if x]
    res = {(("tps", c), k): [] for k in kinds for c in client_counts}
    res.update({("add-port", k): [] for k in kinds})
    print("numavs-db: %s" % a.numavs_db)
    print("schema: %s" % harness.schema_path())
    if a.durable:
        print("--durable: every tps transaction ends with a durable commit, so both servers fsync"
              " before replying (the add-port runs are unchanged).")
    if a.durable:
        pass
    elif a.ack_before_sync:
        print("--ack-before-sync: both servers acknowledge a commit once it is written to the file"
              " (numavs-db then fsyncs it within 10 ms; ovsdb-server leaves it to the kernel).")
    else:
        print("NOTE: durability differs. ovsdb-server does not fsync each commit by default (it writes"
              " the log and replies; data reaches the disk when the kernel flushes it), whereas"
              " numavs-db fsyncs every commit before replying (its default, used here; --durable or"
              " --ack-before-sync compare them at equal durability).")
    tmp_probe = harness.Server("ovsdb-server")
    print("temp dir file system: %s" % subprocess.run(["df", "-h", "--output=source,fstype,target",
                                                        tmp_probe.tmp], capture_output=True,
                                                       text=True).stdout.splitlines()[-1])
    print("fdatasync of a 300-byte append there: p50 %.2f ms, p90 %.2f ms" % fsync_probe(tmp_probe.tmp))
    tmp_probe.cleanup()
    print("cpus: %d, reps: %d, load average: %.2f %.2f %.2f" % ((os.cpu_count(), a.reps) + os.getloadavg()),
          flush=True)
    def run(kind, what, arg):
        srv = fresh(kind, a.numavs_db)
        try:
            v = bench_tps(srv, arg, a.txns) if what == "tps" else bench_add_port(srv, arg)
            srv.stop()
        finally:
            srv.cleanup()
        return v

    for rep in range(a.reps):
        # The two servers back to back for each measurement (a pair: the
        # machine's load drifts less between them than across the whole run),
        # in alternating order so that neither always goes first.
        order = kinds if rep % 2 == 0 else kinds[::-1]
        for clients in (client_counts if a.only in (None, "tps") else []):
            for kind in order:
                v = run(kind, "tps", clients)
                res[(("tps", clients), kind)].append(v)
                print("rep %d %-12s tps (%d clients x %d txns): %8.0f txn/s" % (
                    rep + 1, kind, clients, a.txns, v), flush=True)
        if a.only in (None, "add-port"):
            for kind in order:
                v = run(kind, "add-port", a.ports)
                res[("add-port", kind)].append(v)
                print("rep %d %-12s add-port x%d: %8.2f s" % (rep + 1, kind, a.ports, v), flush=True)
    probe = harness.Server("ovsdb-server")
    print("after the runs: fdatasync p50 %.2f ms, p90 %.2f ms; load average %.2f %.2f %.2f" % (
        fsync_probe(probe.tmp) + os.getloadavg()))
    probe.cleanup()
    print()
    print("%-34s %-12s %10s %10s %10s" % ("metric", "server", "min", "median", "max"))
    rows = [(("tps", c), "txn/s, %d clients x %d txns" % (c, a.txns)) for c in client_counts]
    rows.append(("add-port", "seconds for %d add-port" % a.ports))
    for metric, label in rows:
        if not res[(metric, "numavs")]:
            continue
        for kind in kinds:
            lo, med, hi = summary(res[(metric, kind)])
            print("%-34s %-12s %10.2f %10.2f %10.2f" % (label, kind, lo, med, hi))
        ratio = statistics.median(res[(metric, "numavs")]) / statistics.median(res[(metric, "ovsdb-server")])
        better = "lower is better" if metric == "add-port" else "higher is better"
        print("%-34s ratio numavs/ovsdb-server (medians): %.2f  (%s)" % ("", ratio, better))
        pairs = [x / y for x, y in zip(res[(metric, "numavs")], res[(metric, "ovsdb-server")])]
        print("%-34s ratio of each pair: min %.2f median %.2f max %.2f; numavs-db ahead in %d of %d" % (
            "", min(pairs), statistics.median(pairs), max(pairs),
            sum(1 for r in pairs if (r < 1 if metric == "add-port" else r > 1)), len(pairs)))


if __name__ == "__main__":
    main()
