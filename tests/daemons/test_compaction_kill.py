"""SIGKILL numavs-db in the middle of a compaction (issue 13, faults): the
database opens afterwards with every acknowledged transaction, the half-
written PATH.tmp is removed at start-up, and compaction works again.

The compaction is held half-way through writing its new file by numavs-db's
test hook NUMAVS_TEST_COMPACT_PAUSE_MS (storage::Log::set_compact_pause_for_test):
the real compaction code runs, and pauses between two of its writes, so the
kill lands inside it every time."""
import os
import shutil
import signal
import subprocess
import tempfile

import common
from common import check_rc, log, wait_for
from test_disk_full import Db
from test_disk_full_live import commit, read_ids

F = common.harness.Failures()


def main():
    common.require_tools("ovs-vsctl", "ovs-appctl")
    bindir = common.bindir_from_argv()
    tmp = tempfile.mkdtemp(prefix="numavs-compact-kill-")
    d = Db(bindir, tmp, os.path.join(tmp, "conf.db"))
    c = None
    compact = None
    try:
        check_rc(d.run(os.path.join(bindir, "numavs-db"), "create", d.db, common.harness.schema_path()), 0,
                 "numavs-db create")
        d.env["NUMAVS_TEST_COMPACT_PAUSE_MS"] = "20000"
        d.start()
        check_rc(d.run("ovs-vsctl", "--db=unix:" + d.sock, "--no-wait", "init"), 0, "init")
        c = common.harness.RpcClient(d.sock)
        acked = {}
        for i in range(300):
            key, value = "k%03d" % i, "v%d-" % i + "z" * 200
            err = commit(c, key, value)
            F.check(err is None, "commit %d: %r" % (i, err))
            acked[key] = value
        size_before = os.path.getsize(d.db)
        compact = subprocess.Popen(["ovs-appctl", "-T", "60", "-t", d.ctl, "ovsdb-server/compact"], env=d.env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: "compaction pauses" in d.log(), "the compaction to reach its pause")
        tmp_size = os.path.getsize(d.db + ".tmp")
        log("killing numavs-db mid-compaction: %s is %d bytes, %s.tmp %d" % (d.db, size_before, d.db, tmp_size))
        F.check(tmp_size > 0, "the new file is half-written when the kill lands")
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait()
        compact.wait(timeout=30)
        c.close()
        c = None
        del d.env["NUMAVS_TEST_COMPACT_PAUSE_MS"]
        for stale in (d.sock, d.ctl):
            if os.path.exists(stale):
                os.unlink(stale)
        d.start()
        F.check(not os.path.exists(d.db + ".tmp"), "the half-written conf.db.tmp is removed at start-up")
        c = common.harness.RpcClient(d.sock)
        F.eq(read_ids(c), acked, "reopened after the kill: every acknowledged transaction")
        check_rc(d.run("ovs-appctl", "-t", d.ctl, "ovsdb-server/compact"), 0, "compaction after the restart")
        size_after = os.path.getsize(d.db)
        log("compacted: %d bytes -> %d" % (size_before, size_after))
        F.check(size_after < size_before, "the compaction after the restart shrinks the file")
        err = commit(c, "after", "1")
        F.check(err is None, "a commit after the compaction: %r" % err)
        acked["after"] = "1"
        c.close()
        c = None
        d.stop()
        d.start()
        c = common.harness.RpcClient(d.sock)
        F.eq(read_ids(c), acked, "reopened after the compaction")
        bad = common.harness.unexpected_log_lines(d.log())
        F.eq(bad, [], "unexpected WARN/ERR lines in numavs-db's log")
    finally:
        if c is not None:
            c.close()
        if compact is not None and compact.poll() is None:
            compact.kill()
            compact.wait()
        d.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    F.finish("daemons_compaction_kill")


if __name__ == "__main__":
    main()
