#!/usr/bin/env python3
"""ovsdb_durability (numavs-db only by default).

1. A client streams thousands of transactions (its own JSON-RPC, pipelined,
   recording which got a successful reply); the server is SIGKILLed mid-stream.
   After a restart every acknowledged transaction is present.
2. The DB file is truncated in the middle of its last record: the server
   still starts, logs a warning naming the byte offset, and has everything but
   the last transaction. Likewise for garbage appended to the file and for a
   corrupt (bad checksum) last record. After each recovery new commits work
   and survive a restart.
3. `ovs-appctl -t <unixctl> ovsdb-server/compact` shrinks the file and the
   content survives a restart.
numavs-db runs it twice: with its direct writes (the default) and with
--no-direct-io (records written through the page cache, then fdatasync()ed:
what it does on file systems that refuse O_DIRECT) — and a third time with
--ack-before-sync (commits acknowledged once written, synced in the
background): killing the process must not lose what was acknowledged then
either, since written data is in the kernel's page cache.

  test_durability.py --numavs-db PATH [--server numavs|ovsdb-server]
"""
import json
import os
import re
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

DB = "Open_vSwitch"
N_TXNS = int(os.environ.get("NUMAVS_DURABILITY_TXNS", "4000"))
KILL_AFTER = N_TXNS // 3    # acknowledged transactions before the SIGKILL
WINDOW = 64                 # requests in flight

# Record headers: numavs-db ("NUMAVS-LOG <len> <crc32>") and, to run the
# test against ovsdb-server too, OVSDB's ("OVSDB JSON <len> <sha1>").
HEADER_RE = re.compile(rb"(NUMAVS-LOG|OVSDB JSON) (\d+) ([0-9a-f]+)\n")

RECOVERY_ALLOW = [
    # Phases 2a-2c damage the file on purpose: the server says what it cut off (the
    # test checks each names the right byte offset).
    r"\|WARN\|.*: .* at byte offset \d+; cut off the last \d+ bytes",
]


def records(path):
    """[(start_offset, header_len, body_len)] of the DB file's records."""
    data = open(path, "rb").read()
    out, pos = [], 0
    while pos < len(data):
        m = HEADER_RE.match(data, pos)
        if not m:
            raise AssertionError("no record header at offset %d of %s: %r" % (pos, path, data[pos:pos + 40]))
        hl, bl = m.end() - pos, int(m.group(2))
        out.append((pos, hl, bl))
        pos = m.end() + bl
        if data[pos:pos + 1] == b"\n":
            pos += 1
    return out


def seq_rows(c):
    """{seq: uuid} of the Queue rows this test inserted."""
    r = c.transact(DB, {"op": "select", "table": "Queue", "where": [], "columns": ["_uuid", "external_ids"]},
                   timeout=60)
    if r.get("error") is not None:
        raise AssertionError("select failed: %s" % r)
    out = {}
    for row in r["result"][0]["rows"]:
        ext = dict(row["external_ids"][1])
        if "seq" in ext:
            out[int(ext["seq"])] = row["_uuid"][1]
    return out


def insert_op(seq):
    return {"op": "insert", "table": "Queue", "row": {"external_ids": ["map", [["seq", str(seq)]]]}}


def stream_and_kill(srv, f):
    """Pipelined inserts of seq 0..N_TXNS-1; SIGKILL after KILL_AFTER acks.
    Returns (acked seqs, sent seqs)."""
    c = srv.connect(timeout=30)
    acked, sent = set(), {}
    lock = threading.Lock()
    killed = threading.Event()
    bad = []

    def reader():
        try:
            while True:
                c.read_some(30)
                for key in list(c.replies):
                    r = c.replies.pop(key)
                    seq = sent.get(json.loads(key))
                    res = r.get("result")
                    if r.get("error") is None and isinstance(res, list) and len(res) == 1 \
                            and isinstance(res[0], dict) and "uuid" in res[0]:
                        with lock:
                            acked.add(seq)
                            n = len(acked)
                        if n >= KILL_AFTER and not killed.is_set():
                            srv.kill(signal.SIGKILL)
                            killed.set()
                    else:
                        bad.append((seq, r))
        except (harness.RpcClosed, ConnectionResetError, OSError):
            pass

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    seq = 0
    deadline = time.monotonic() + 45
    try:
        while seq < N_TXNS and time.monotonic() < deadline:
            with lock:
                inflight = seq - len(acked)
            if inflight >= WINDOW:
                time.sleep(0.0005)  # flow control: until the reader thread counts more replies
                continue
            rid = c._next_id
            sent[rid] = seq
            c.request("transact", [DB, insert_op(seq)])
            seq += 1
    except (BrokenPipeError, ConnectionResetError, OSError):
        pass
    t.join(30)
    c.close()
    f.check(killed.is_set(), "server was not killed: only %d of %d transactions acknowledged in time" % (
        len(acked), N_TXNS))
    f.check(not bad, "transactions answered with errors: %s" % harness._short(bad[:3]))
    return acked, set(sent.values())


def check_content(srv, f, want, what, exact=True):
    c = srv.connect(timeout=60)
    got = seq_rows(c)
    c.close()
    missing = sorted(set(want) - set(got))
    f.check(not missing, "%s: %d acknowledged transactions missing, e.g. %s" % (what, len(missing), missing[:10]))
    if exact:
        extra = sorted(set(got) - set(want))
        f.check(not extra, "%s: %d unexpected rows, e.g. %s" % (what, len(extra), extra[:10]))
    return got


def restart_expect_warning(srv, f, what, offsets):
    """Starts the server on a damaged file; checks that a new WARN line (for
    ovsdb-server, which logs these as ERR: a WARN or ERR line) names one of
    `offsets` (the damaged record's start or its body's start)."""
    levels = ("WARN",) if srv.kind == "numavs" else ("WARN", "ERR")
    before = len(srv.log_lines(levels, console=False))
    try:
        srv.start()
    except AssertionError as e:
        f.check(False, "%s: server did not start: %s" % (what, e))
        return False
    state = {}

    def named_line():
        state["new"] = new = srv.log_lines(levels, console=False)[before:]
        return [line for line in new if any(re.search(r"(?<!\d)%d(?!\d)" % o, line) for o in offsets)]
    try:
        named = harness.wait_until(named_line, "a log line naming the damage", timeout=5)
    except AssertionError:
        named = []
    new = state["new"]
    f.check(bool(named), "%s: no %s line names byte offset %s; new lines: %s" % (
        what, "/".join(levels), " or ".join(map(str, offsets)), new))
    if named:
        harness.log("%s: %s" % (what, named[0]))
    return True


def commit_more(srv, f, seqs, what):
    c = srv.connect()
    for s in seqs:
        r = c.transact(DB, insert_op(s))
        f.check(r.get("error") is None and "uuid" in (r.get("result") or [{}])[0],
                "%s: commit of seq %d after recovery: %s" % (what, s, harness._short(r)))
    c.close()


def main():
    harness.require_ovs_tools()
    kinds, numavs_bin = harness.parse_common_args(kinds=("numavs",))
    f = harness.Failures()
    for kind in kinds:
        for args in ([], ["--no-direct-io"], ["--ack-before-sync"]) if kind == "numavs" else ([],):
            harness.log("== %s %s" % (kind, " ".join(args)))
            run(kind, numavs_bin, f, args)
    f.finish("ovsdb_durability")


def run(kind, numavs_bin, f, args=()):
    srv = harness.Server(kind, numavs_bin=numavs_bin, args=args)
    try:
        _run(srv, f)
    finally:
        if f.items:
            srv.dump_tail()
        srv.cleanup()


def _run(srv, f):
    kind = srv.kind
    srv.start()
    srv.vsctl("--no-wait", "init")
    if kind == "numavs":
        # The commit path really is the one under test (memory/show names it).
        want = ("(write, acknowledged; fdatasync in the background" if "--ack-before-sync" in srv.args
                else "(write + fdatasync)" if "--no-direct-io" in srv.args else "(direct writes")
        shown = srv.appctl("memory/show").stdout
        f.check(want in shown, "memory/show does not say %r:\n%s" % (want, shown))

    # --- 1. SIGKILL mid-stream ----------------------------------------------
    t0 = time.monotonic()
    acked, sent = stream_and_kill(srv, f)
    harness.log("%s: %d sent, %d acknowledged, SIGKILL after %.1fs" % (kind, len(sent), len(acked),
                                                                       time.monotonic() - t0))
    srv.check_log(allow=[])
    srv.start()
    got = check_content(srv, f, acked, "after SIGKILL", exact=False)
    extra = sorted(set(got) - sent)
    f.check(not extra, "after SIGKILL: rows that were never sent: %s" % extra[:10])
    harness.log("%s: after restart %d rows (%d acknowledged + %d committed but unacknowledged)" % (
        kind, len(got), len(acked), len(set(got) - acked)))
    state = set(got)

    # A few more commits so the last record is a small, known transaction.
    commit_more(srv, f, [100000, 100001], "before truncation")
    state |= {100000, 100001}
    srv.stop()
    srv.check_log(allow=[])

    # --- 2a. truncated in the middle of the last record ---------------------
    recs = records(srv.db)
    start, hl, bl = recs[-1]
    size = os.path.getsize(srv.db)
    os.truncate(srv.db, start + hl + bl // 2)
    harness.log("%s: truncated %s from %d to %d bytes (last record at %d)" % (
        kind, srv.db, size, start + hl + bl // 2, start))
    if restart_expect_warning(srv, f, "truncated last record", (start, start + hl)):
        check_content(srv, f, state - {100001}, "after truncation")
        state.discard(100001)
        commit_more(srv, f, [100002], "after truncation")
        state.add(100002)
        srv.stop()
        srv.start()
        check_content(srv, f, state, "restart after truncation recovery")
        srv.stop()

    # --- 2b. garbage appended -----------------------------------------------
    size = os.path.getsize(srv.db)
    with open(srv.db, "ab") as fh:
        fh.write(b"\x00\xffgarbage that is not a record\n{\"half\": ")
    if restart_expect_warning(srv, f, "garbage appended", (size,)):
        check_content(srv, f, state, "after garbage")
        commit_more(srv, f, [100003], "after garbage")
        state.add(100003)
        srv.stop()
        srv.start()
        check_content(srv, f, state, "restart after garbage recovery")
        srv.stop()

    # --- 2c. corrupt last record (same length, one byte changed) -------------
    recs = records(srv.db)
    start, hl, bl = recs[-1]
    with open(srv.db, "r+b") as fh:
        fh.seek(start + hl + bl // 2)
        b = fh.read(1)
        fh.seek(start + hl + bl // 2)
        fh.write(b"X" if b != b"X" else b"Y")
    if restart_expect_warning(srv, f, "corrupt last record", (start, start + hl)):
        check_content(srv, f, state - {100003}, "after corrupt last record")
        state.discard(100003)
        srv.stop()
        srv.start()
        check_content(srv, f, state, "restart after corrupt-record recovery")
        srv.stop()
    srv.check_log(allow=RECOVERY_ALLOW)
    recovery_lines = len(srv.log_lines(console=False))

    # --- 3. compaction --------------------------------------------------------
    srv.start()
    c = srv.connect()
    # Redundant history: rewrite one value many times.
    for i in range(300):
        c.transact(DB, {"op": "mutate", "table": "Open_vSwitch", "where": [],
                        "mutations": [["next_cfg", "+=", 1]]})
    c.close()
    before = os.path.getsize(srv.db)
    r = srv.appctl("ovsdb-server/compact", check=False)
    f.eq(r.returncode, 0, "%s: ovsdb-server/compact rc (stderr %r)" % (kind, r.stderr))
    try:
        harness.wait_until(lambda: os.path.getsize(srv.db) < before, "the file shrinking after compaction")
    except AssertionError as e:
        f.check(False, str(e))
    after = os.path.getsize(srv.db)
    harness.log("%s: compact: %d -> %d bytes" % (kind, before, after))
    f.check(after < before, "compaction did not shrink the file (%d -> %d bytes)" % (before, after))
    c = srv.connect()
    commit_more(srv, f, [100004], "after compaction")
    state.add(100004)
    c.close()
    srv.stop()
    srv.start()
    check_content(srv, f, state, "restart after compaction")
    r = srv.vsctl("--no-wait", "get", "Open_vSwitch", ".", "next_cfg")
    f.eq(r.stdout.strip(), "300", "%s: next_cfg after compaction + restart" % kind)
    srv.stop()
    bad = srv.log_lines(console=False)[recovery_lines:]
    f.check(not bad or kind != "numavs", "unexpected WARN/ERR lines after the recovery phases: %s" % bad)


if __name__ == "__main__":
    main()
