#!/usr/bin/env python3
"""ovsdb_bad_input: malformed and hostile input, with 100 well-behaved clients
running transact + monitor the whole time. Written against RFC 7047 and what
ovsdb-server 3.1 answers, and run against both servers (parametrised).

Checked:
  * invalid JSON / invalid JSON-RPC: that connection is closed (EOF within 5 s),
    nothing else is affected;
  * a 64 MiB message: an error reply or a clean disconnect, server keeps serving;
  * unknown method: reply error exactly "unknown method";
  * unknown database (JSON-RPC error object), table, column (result error
    objects), ill-typed ops, constraint / referential-integrity / index
    violations: the error string of each RFC error object and the shape of
    the result array (successful results, the error, null padding, the extra
    commit-time error element) and atomicity (nothing of a failed
    transaction is visible);
  * clients vanishing mid-message or with requests in flight;
  * 100 concurrent clients (transact + monitor) whose every request is
    answered correctly and whose monitors see every insert, throughout.

  test_bad_input.py --numavs-db PATH [--server numavs] [--server ovsdb-server]
"""
import json
import os
import random
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

DB = "Open_vSwitch"
N_CLIENTS = int(os.environ.get("NUMAVS_BAD_INPUT_CLIENTS", "100"))
BIG = 64 << 20
BOGUS_UUID = "12345678-1234-1234-1234-123456789012"

# numavs-db may warn about what the hostile clients do, nothing else (T4).
LOG_ALLOW = [
    r"\|WARN\|.*([Pp]arse|JSON|json|syntax|[Pp]rotocol|too (large|long|big)|exceed|[Ll]imit|size|"
    r"EOF|[Cc]losing|closed|dropped|[Dd]isconnect|reset|[Bb]roken pipe|truncated|invalid|"
    r"not a JSON object|must have|unexpected|UTF-8|utf-8|[Mm]alformed)",
]


def err_of(x):
    """'ok' for a successful op result, the error string for an error object, None for null."""
    if x is None:
        return None
    if isinstance(x, dict) and "error" in x:
        return x["error"]
    return "ok"


# (name, ops, expected shape of the result array). Shapes are what
# ovsdb-server 3.1 returns; they follow RFC 7047 4.1.3: results up to the
# failing op, its error, null for the ops not executed, and one extra error
# element when the ops succeeded but the commit failed.
TXN_CASES = [
    ("unknown table", [{"op": "insert", "table": "NoSuchTable", "row": {}}], ["syntax error"]),
    ("unknown column in insert", [{"op": "insert", "table": "Bridge", "row": {"nope": 1}}], ["unknown column"]),
    ("unknown column in select", [{"op": "select", "table": "Bridge", "where": [], "columns": ["nope"]}],
     ["syntax error"]),
    ("unknown column in where", [{"op": "select", "table": "Bridge", "where": [["nope", "==", 1]]}],
     ["unknown column"]),
    ("unknown op", [{"op": "frobnicate"}], ["syntax error"]),
    ("op missing", [{}], ["syntax error"]),
    ("integer given for string column, mid-transaction",
     [{"op": "comment", "comment": "a"}, {"op": "insert", "table": "Bridge", "row": {"name": 1}},
      {"op": "comment", "comment": "b"}], ["ok", "syntax error", None]),
    ("string given for integer column",
     [{"op": "mutate", "table": "Open_vSwitch", "where": [], "mutations": [["next_cfg", "+=", "x"]]}],
     ["syntax error"]),
    ("boolean given for integer column", [{"op": "insert", "table": "Queue", "row": {"dscp": True}}],
     ["syntax error"]),
    ("bad uuid", [{"op": "select", "table": "Open_vSwitch", "where": [["_uuid", "==", ["uuid", "bad"]]]}],
     ["syntax error"]),
    ("bad mutator",
     [{"op": "mutate", "table": "Open_vSwitch", "where": [], "mutations": [["next_cfg", "frob", 1]]}],
     ["unknown mutator"]),
    ("mutate immutable column",
     [{"op": "mutate", "table": "Bridge", "where": [], "mutations": [["name", "+=", 1]]}],
     ["constraint violation"]),
    ("bad where function", [{"op": "select", "table": "Bridge", "where": [["name", "frob", "x"]]}],
     ["unknown function"]),
    ("ordering function on a string", [{"op": "select", "table": "Bridge", "where": [["name", "<", "x"]]}],
     ["syntax error"]),
    ("set too big (0..1 column)",
     [{"op": "insert", "table": "Interface", "row": {"name": "i", "ofport_request": ["set", [1, 2]]}}],
     ["syntax error"]),
    ("set too big (0..4096 column)",
     [{"op": "insert", "table": "Bridge", "row": {"name": "x", "flood_vlans": ["set", list(range(5000))]}}],
     ["syntax error"]),
    ("map value of wrong type",
     [{"op": "insert", "table": "Interface", "row": {"name": "x", "options": ["map", [["a", 1]]]}}],
     ["syntax error"]),
    ("integer out of range", [{"op": "insert", "table": "Interface", "row": {"name": "i", "ofport_request": 0}}],
     ["constraint violation"]),
    ("integer out of range (dscp)", [{"op": "insert", "table": "Queue", "row": {"dscp": 64}}],
     ["constraint violation"]),
    ("enum violation", [{"op": "insert", "table": "Bridge", "row": {"name": "x", "fail_mode": "nope"}}],
     ["constraint violation"]),
    ("maxRows violation", [{"op": "insert", "table": "Open_vSwitch", "row": {}}],
     ["ok", "constraint violation"]),
    ("referential integrity violation",
     [{"op": "insert", "table": "Bridge", "row": {"name": "x", "ports": ["uuid", BOGUS_UUID]}},
      {"op": "comment", "comment": "c"}], ["ok", "ok", "referential integrity violation"]),
    ("duplicate index value",
     [{"op": "insert", "table": "Bridge", "uuid-name": "a", "row": {"name": "dup"}},
      {"op": "insert", "table": "Bridge", "uuid-name": "b", "row": {"name": "dup"}},
      {"op": "mutate", "table": "Open_vSwitch", "where": [],
       "mutations": [["bridges", "insert", ["set", [["named-uuid", "a"], ["named-uuid", "b"]]]]]}],
     ["ok", "ok", "ok", "constraint violation"]),
    ("wait timed out",
     [{"op": "wait", "table": "Open_vSwitch", "where": [], "columns": ["next_cfg"], "until": "==",
       "rows": [{"next_cfg": 12345}], "timeout": 0}], ["timed out"]),
    ("abort", [{"op": "insert", "table": "Queue", "row": {"dscp": 1}}, {"op": "abort"}],
     ["ok", "aborted"]),
]

# (name, method, params, expected error string) for JSON-RPC level errors.
RPC_CASES = [
    ("unknown method", "frobnicate", [], "unknown method"),
    ("transact unknown database", "transact", ["NoSuchDb", {"op": "comment", "comment": "x"}], "unknown database"),
    ("get_schema unknown database", "get_schema", ["NoSuchDb"], "unknown database"),
    ("monitor unknown database", "monitor", ["NoSuchDb", None, {}], "unknown database"),
    ("monitor unknown table", "monitor", [DB, None, {"NoSuchTable": {}}], "syntax error"),
    ("monitor unknown column", "monitor", [DB, None, {"Bridge": {"columns": ["nope"]}}], "syntax error"),
    ("transact without database", "transact", [], "syntax error"),
]

# Raw byte strings after which the server must close that connection.
BAD_STREAMS = [
    ("truncated JSON then garbage", b'{"id":1,"method":"echo","params":[}'),
    ("not an object", b"[1,2]"),
    ("invalid UTF-8", b"\xff\xfe{}"),
    ("request without method", b'{"id":1}'),
    ("request without params", b'{"id":1,"method":"echo"}'),
    ("non-string method", b'{"id":1,"method":5,"params":[]}'),
]


class Background:
    """N clients, each: monitor Queue, then insert rows (one per transaction)
    until told to stop, checking every reply and that its own monitor reports
    every row it inserted."""

    def __init__(self, srv, n, min_iters=3, max_iters=40, pace=0.8):
        self.srv, self.n = srv, n
        self.min_iters, self.max_iters, self.pace = min_iters, max_iters, pace
        self.stop = threading.Event()
        self.errors = []
        self.inserted = {}
        self.lock = threading.Lock()
        self.ready = threading.Barrier(n + 1, timeout=60)
        self.threads = [threading.Thread(target=self.client, args=(i,), daemon=True) for i in range(n)]

    def fail(self, i, msg):
        with self.lock:
            self.errors.append("client %d: %s" % (i, msg))

    def client(self, i):
        rng = random.Random(i)
        mine = {}
        try:
            c = self.srv.connect(timeout=30)
            r = c.call("monitor", [DB, "bg%d" % i, {"Queue": {"columns": ["external_ids"]}}])
            if r.get("error") is not None or not isinstance(r.get("result"), dict):
                self.fail(i, "monitor reply %s" % harness._short(r))
                return
        except Exception as e:  # noqa: BLE001
            self.fail(i, "setup: %r" % e)
            try:
                self.ready.wait()
            except threading.BrokenBarrierError:
                pass
            return
        try:
            self.ready.wait()
        except threading.BrokenBarrierError:
            pass
        try:
            seen = {}
            n = 0
            while n < self.max_iters and (n < self.min_iters or not self.stop.is_set()):
                tag = "c%d-%d" % (i, n)
                r = c.transact(DB, {"op": "insert", "table": "Queue",
                                    "row": {"external_ids": ["map", [["bg", tag]]]}})
                res = r.get("result")
                if r.get("error") is not None or not isinstance(res, list) or len(res) != 1 \
                        or not isinstance(res[0], dict) or "uuid" not in res[0]:
                    self.fail(i, "insert %s: reply %s" % (tag, harness._short(r)))
                    return
                mine[res[0]["uuid"][1]] = tag
                n += 1
                # Wait (bounded) until the monitor reported this row.
                deadline = time.monotonic() + 20
                uuid = res[0]["uuid"][1]
                while True:
                    for note in c.notifications:
                        if note.get("method") == "update" and note["params"][0] == "bg%d" % i:
                            for u, ch in note["params"][1].get("Queue", {}).items():
                                if "new" in ch:
                                    seen[u] = dict(ch["new"]["external_ids"][1])
                    c.notifications.clear()
                    if uuid in seen:
                        break
                    left = deadline - time.monotonic()
                    if left <= 0:
                        self.fail(i, "monitor never reported row %s (%s)" % (uuid, tag))
                        return
                    try:
                        c.read_some(left)
                    except socket.timeout:
                        pass
                if seen[uuid] != {"bg": tag}:
                    self.fail(i, "monitor reported %s for %s" % (seen[uuid], tag))
                self.stop.wait(self.pace * rng.uniform(0.5, 1.5))
            # Everything we inserted is there.
            uuids = sorted(mine)
            r = c.transact(DB, {"op": "select", "table": "Queue",
                                "where": [["_uuid", "includes", ["set", [["uuid", u] for u in uuids]]]]
                                if False else [], "columns": ["_uuid", "external_ids"]})
            rows = {row["_uuid"][1]: dict(row["external_ids"][1]) for row in r["result"][0]["rows"]}
            for u, tag in mine.items():
                if rows.get(u) != {"bg": tag}:
                    self.fail(i, "row %s (%s) missing or wrong in final select: %s" % (u, tag, rows.get(u)))
            c.close()
            with self.lock:
                self.inserted[i] = len(mine)
        except Exception as e:  # noqa: BLE001
            self.fail(i, "after %d inserts: %r" % (len(mine), e))

    def start(self):
        for t in self.threads:
            t.start()
        self.ready.wait()

    def finish(self, timeout=120):
        self.stop.set()
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.1, deadline - time.monotonic()))
        alive = sum(t.is_alive() for t in self.threads)
        if alive:
            self.errors.append("%d background clients still running after %ds" % (alive, timeout))


def select_names(c, table="Bridge"):
    r = c.transact(DB, {"op": "select", "table": table, "where": [], "columns": ["name"]})
    return sorted(row["name"] for row in r["result"][0]["rows"])


def sessions(srv):
    """Client sessions the server has open (`sessions:N` of memory/show, both servers)."""
    out = srv.appctl("memory/show").stdout
    m = re.search(r"sessions:(\d+)", out)
    if not m:
        raise AssertionError("%s memory/show has no sessions count: %r" % (srv.kind, out))
    return int(m.group(1))


def run(kind, numavs_bin, f):
    srv = harness.Server(kind, numavs_bin=numavs_bin, log_allow=LOG_ALLOW)
    with srv:
        srv.vsctl("--no-wait", "init")
        srv.vsctl("--no-wait", "add-br", "br0")
        bystander = srv.connect()
        t0 = time.monotonic()
        bg = Background(srv, N_CLIENTS)
        bg.start()
        harness.log("%s: %d background clients connected and monitoring (%.1fs)" % (kind, N_CLIENTS,
                                                                                    time.monotonic() - t0))

        def bystander_ok(after):
            try:
                r = bystander.call("echo", ["ping", after])
                f.eq(r.get("result"), ["ping", after], "%s: bystander echo after %s" % (kind, after))
                f.eq(select_names(bystander), ["br0"], "%s: bystander select after %s" % (kind, after))
            except Exception as e:  # noqa: BLE001
                f.check(False, "%s: bystander failed after %s: %r" % (kind, after, e))

        # --- invalid JSON / JSON-RPC ------------------------------------------
        for name, raw in BAD_STREAMS:
            c = srv.connect()
            c.send_raw(raw)
            f.check(c.wait_eof(5.0), "%s: %s: connection not closed within 5 s" % (kind, name))
            f.check(c._buf.strip() == "", "%s: %s: unparsable bytes before close: %r" % (kind, name, c._buf[:200]))
            c.close()
            bystander_ok(name)

        # --- JSON-RPC level errors --------------------------------------------
        c = srv.connect()
        for name, method, params, want in RPC_CASES:
            r = c.call(method, params)
            e = r.get("error")
            got = e.get("error") if isinstance(e, dict) else e
            f.eq(got, want, "%s: %s: reply error" % (kind, name))
            f.check(r.get("result") is None, "%s: %s: result must be null, got %s" % (kind, name, r.get("result")))
            if name != "unknown method":
                f.check(isinstance(e, dict), "%s: %s: error must be an RFC error object, got %s" % (kind, name,
                                                                                                     harness._short(e)))
        f.eq(c.call("echo", ["still", "here"]).get("result"), ["still", "here"],
             "%s: echo on the same connection after JSON-RPC errors" % kind)

        # --- transaction errors -----------------------------------------------
        for name, ops, want in TXN_CASES:
            r = c.transact(DB, *ops)
            res = r.get("result")
            if not f.check(r.get("error") is None and isinstance(res, list),
                           "%s: %s: transact must answer with a result array, got %s" % (kind, name,
                                                                                         harness._short(r))):
                continue
            f.eq([err_of(x) for x in res], want, "%s: %s: result shape (full result %s)" % (
                kind, name, harness._short(res, 300)))
            for x in res:
                if isinstance(x, dict) and "error" in x:
                    f.check(isinstance(x["error"], str) and isinstance(x.get("details", ""), str),
                            "%s: %s: malformed error object %s" % (kind, name, harness._short(x)))
        # Atomicity: nothing of the failed transactions is visible.
        f.eq(select_names(c), ["br0"], "%s: bridges after the failed transactions" % kind)
        r = c.transact(DB, {"op": "select", "table": "Open_vSwitch", "where": [], "columns": ["next_cfg"]})
        f.eq(len(r["result"][0]["rows"]), 1, "%s: Open_vSwitch rows after maxRows violation" % kind)
        r = c.transact(DB, {"op": "select", "table": "Queue", "where": [["dscp", "==", 1]], "columns": ["dscp"]})
        f.eq(r["result"][0]["rows"], [], "%s: aborted insert must not be visible" % kind)
        bystander_ok("transaction errors")

        # --- 64 MiB message ---------------------------------------------------
        big = "A" * BIG
        c2 = srv.connect(timeout=60)
        outcome = None
        t1 = time.monotonic()
        try:
            # An unknown method, so that ovsdb-server's answer does not echo
            # the 64 MiB back (its transact errors quote the offending JSON).
            rid = c2.request("frobnicate", [DB, {"op": "insert", "table": "Queue", "row": {
                "external_ids": ["map", [["big", big]]]}}])
            r = c2.wait_reply(rid, timeout=60)
            res = r.get("result")
            if r.get("error") is not None:
                outcome = "json-rpc error %s" % harness._short(r["error"], 100)
            elif isinstance(res, list) and res and err_of(res[0]) not in ("ok", None):
                outcome = "op error %s" % err_of(res[0])
            else:
                f.check(False, "%s: 64 MiB message: neither an error nor a disconnect: %s" % (
                    kind, harness._short(r, 200)))
        except (harness.RpcClosed, ConnectionResetError, BrokenPipeError):
            outcome = "disconnect"
        except socket.timeout:
            f.check(False, "%s: 64 MiB message: no reply and no disconnect within 60 s" % kind)
        c2.close()
        del big
        harness.log("%s: 64 MiB message -> %s (%.1fs)" % (kind, outcome, time.monotonic() - t1))
        bystander_ok("64 MiB message")

        # --- clients vanishing ------------------------------------------------
        sessions_before = sessions(srv)
        marker = {"op": "insert", "table": "Queue", "row": {"external_ids": ["map", [["vanish", "half"]]]}}
        msg = json.dumps({"id": 1, "method": "transact", "params": [DB, marker]}).encode()
        for cut in (1, len(msg) // 2, len(msg) - 1):
            v = srv.connect()
            v.send_raw(msg[:cut])
            v.close()
        # A client that sends whole requests and leaves without reading replies.
        v = srv.connect()
        payload = b"".join(json.dumps({"id": k, "method": "transact", "params": [
            DB, {"op": "insert", "table": "Queue", "row": {"external_ids": ["map", [["vanish", "gone%d" % k]]]}}
        ]}).encode() for k in range(20))
        v.send_raw(payload + msg[:len(msg) // 2])
        v.sock.shutdown(socket.SHUT_RDWR)
        v.close()
        # A client that opens a monitor and disappears (the server must not block on it).
        v = srv.connect()
        v.send({"id": 1, "method": "monitor", "params": [DB, "v", {"Queue": {}}]})
        v.close()
        # Until the server has seen the vanished clients go (background clients that
        # finish meanwhile only make this come sooner; the checks below are negative).
        harness.wait_until(lambda: sessions(srv) <= sessions_before, "the vanished clients' sessions closed")
        r = c.transact(DB, {"op": "select", "table": "Queue", "where": [
            ["external_ids", "includes", ["map", [["vanish", "half"]]]]], "columns": ["_uuid"]})
        f.eq(r["result"][0]["rows"], [], "%s: half-sent transaction must not be committed" % kind)
        bystander_ok("vanishing clients")
        r = c.transact(DB, {"op": "select", "table": "Queue", "where": [], "columns": ["external_ids"]})
        gone = sorted(dict(row["external_ids"][1]).get("vanish") for row in r["result"][0]["rows"]
                      if "vanish" in dict(row["external_ids"][1]))
        harness.log("%s: %d of 20 requests of the vanished client were committed" % (kind, len(gone)))
        f.check(all(g.startswith("gone") for g in gone), "%s: unexpected vanish rows %s" % (kind, gone))

        # --- the background clients ------------------------------------------
        bg.finish()
        for e in bg.errors[:20]:
            f.check(False, "%s: background %s" % (kind, e))
        if len(bg.errors) > 20:
            f.check(False, "%s: ... %d more background errors" % (kind, len(bg.errors) - 20))
        total = sum(bg.inserted.values())
        f.eq(len(bg.inserted), N_CLIENTS, "%s: background clients that finished cleanly" % kind)
        harness.log("%s: background clients committed %d transactions, %.1fs in all" % (
            kind, total, time.monotonic() - t0))
        r = bystander.transact(DB, {"op": "select", "table": "Queue", "where": [], "columns": ["external_ids"]})
        n_bg = sum(1 for row in r["result"][0]["rows"] if "bg" in dict(row["external_ids"][1]))
        f.eq(n_bg, total, "%s: background rows in the database" % kind)
        bystander_ok("everything")
        bystander.close()
        c.close()
        f.check(srv.running(), "%s: server died" % kind)
        try:
            srv.check_log()
        except AssertionError as e:
            f.check(False, str(e))


def main():
    harness.require_ovs_tools()
    kinds, numavs_bin = harness.parse_common_args(kinds=("numavs", "ovsdb-server"))
    f = harness.Failures()
    for kind in kinds:
        t = time.monotonic()
        harness.log("== %s" % kind)
        try:
            run(kind, numavs_bin, f)
        except Exception as e:  # noqa: BLE001 - report and go on with the next server
            f.check(False, "%s: aborted: %r" % (kind, e))
        harness.log("== %s done in %.1fs" % (kind, time.monotonic() - t))
    f.finish("ovsdb_bad_input")


if __name__ == "__main__":
    main()
