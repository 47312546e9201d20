"""The file system fills up under a running numavs-db (issue 13, faults):

* commits that cannot be written get an "I/O error" reply and are rolled
  back (a monitor sees them come and go; a read never shows them), while
  every acknowledged one stays;
* reads and monitors are served meanwhile, and a compaction fails with the
  cause named, leaving the file as it was (no PATH.tmp left behind);
* once space is freed, commits and compaction succeed again without a
  restart;
* reopened, the database holds exactly the acknowledged commits.

The database lives on a small ext4 file system in a loop-mounted image (ext4
takes O_DIRECT, numavs-db's usual commit path)."""
import os
import shutil
import subprocess
import tempfile

import common
from common import check_rc, log, wait_for
from test_disk_full import Db

F = common.harness.Failures()
ROOT = "Open_vSwitch"


def fill(path):
    """Writes `path` until the file system is full; returns bytes written."""
    n = 0
    with open(path, "ab") as f:
        try:
            while True:
                f.write(b"x" * 4096)
                f.flush()
                n += 4096
        except OSError as e:
            log("file system filled (%s) after %d more bytes" % (e.strerror, n))
    return n


def commit(c, key, value):
    """Adds external_ids:key=value; returns None if acknowledged, else the error object."""
    r = c.transact(ROOT, {"op": "mutate", "table": ROOT, "where": [],
                          "mutations": [["external_ids", "insert", ["map", [[key, value]]]]]})
    if r.get("error") is not None:
        return r["error"]
    errs = [x for x in r["result"] if isinstance(x, dict) and "error" in x]
    return errs[0] if errs else None


def read_ids(c):
    r = c.transact(ROOT, {"op": "select", "table": ROOT, "where": [], "columns": ["external_ids"]})
    rows = r["result"][0]["rows"]
    return dict(rows[0]["external_ids"][1]) if rows else None


def monitor_view(m, view):
    """Applies the monitor updates received so far to `view` (external_ids of the one row)."""
    try:
        while True:
            m.read_some(0.05)
    except Exception:  # noqa: BLE001 - socket.timeout: nothing more for now
        pass
    for n in m.notifications:
        if n.get("method") != "update":
            continue
        for row in n["params"][1].get(ROOT, {}).values():
            if "new" in row:
                view.clear()
                view.update(dict(row["new"]["external_ids"][1]))
    m.notifications.clear()
    return view


def main():
    common.require_tools("ovs-vsctl", "ovs-appctl", "mkfs.ext4", "mount", "umount")
    if os.geteuid() != 0:
        common.harness.skip("needs root (loop mount)")
    bindir = common.bindir_from_argv()
    tmp = tempfile.mkdtemp(prefix="numavs-diskfull-live-")
    mnt = os.path.join(tmp, "mnt")
    os.mkdir(mnt)
    img = os.path.join(tmp, "fs.img")
    with open(img, "wb") as f:
        f.truncate(16 << 20)
    check_rc(subprocess.run(["mkfs.ext4", "-q", "-F", "-m", "0", img], capture_output=True, text=True), 0,
             "mkfs.ext4")
    check_rc(subprocess.run(["mount", "-o", "loop", img, mnt], capture_output=True, text=True), 0, "mount")
    d = Db(bindir, tmp, os.path.join(mnt, "conf.db"))
    clients = []
    try:
        check_rc(d.run(os.path.join(bindir, "numavs-db"), "create", d.db, common.harness.schema_path()), 0,
                 "numavs-db create")
        d.start()
        check_rc(d.run("ovs-vsctl", "--db=unix:" + d.sock, "--no-wait", "init"), 0, "init")
        c = common.harness.RpcClient(d.sock)
        m = common.harness.RpcClient(d.sock)
        clients += [c, m]
        r = m.call("monitor", [ROOT, "mon", {ROOT: {"columns": ["external_ids"]}}])
        F.check(r.get("error") is None, "monitor: %r" % r)
        view = {}
        acked, failed = {}, {}
        for i in range(5):
            err = commit(c, "before-%d" % i, "v%d" % i)
            F.check(err is None, "commit before the disk is full: %r" % err)
            acked["before-%d" % i] = "v%d" % i
        fill(os.path.join(mnt, "filler"))
        # Records grow with the map: the zeros written ahead soon run out.
        for i in range(200):
            key, value = "full-%d" % i, "%d-" % i + "y" * 2000
            err = commit(c, key, value)
            if err is None:
                acked[key] = value
            else:
                failed[key] = err
                if len(failed) >= 3:
                    break
        log("with the file system full: %d acknowledged, %d failed, e.g. %r"
            % (len(acked) - 5, len(failed), next(iter(failed.values()), None)))
        F.check(len(failed) >= 3, "commits fail once the file system is full")
        F.check(all(e.get("error") == "I/O error" and "could not be written" in e.get("details", "")
                    for e in failed.values()), "the failed commits get an I/O error: %r" % failed)
        ids = read_ids(c)
        F.eq(ids, acked, "a read shows every acknowledged commit and none that failed")
        F.eq(monitor_view(m, view), acked, "the monitor's view after the rollbacks")
        # A compaction on the full file system fails and leaves everything as it was.
        fill(os.path.join(mnt, "filler2"))
        r = d.run("ovs-appctl", "-t", d.ctl, "ovsdb-server/compact")
        F.check(r.returncode != 0 and "No space left on device" in r.stderr,
                "compaction on a full file system fails with the cause: %r" % r.stderr)
        F.check(not os.path.exists(d.db + ".tmp"), "no conf.db.tmp left behind")
        F.eq(read_ids(c), acked, "reads after the failed compaction")
        r = d.run("ovsdb-client", "dump", "unix:" + d.sock, ROOT, ROOT, "external_ids")
        F.check(r.returncode == 0 and "before-0" in r.stdout, "ovsdb-client dump on a full disk: %r" % r.stderr)
        # Space comes back: no restart needed.
        os.unlink(os.path.join(mnt, "filler"))
        os.unlink(os.path.join(mnt, "filler2"))
        for i in range(5):
            err = commit(c, "after-%d" % i, "w%d" % i)
            F.check(err is None, "commit once space is back: %r" % err)
            acked["after-%d" % i] = "w%d" % i
        check_rc(d.run("ovs-appctl", "-t", d.ctl, "ovsdb-server/compact"), 0, "compaction once space is back")
        F.eq(read_ids(c), acked, "reads after the compaction")
        wait_for(lambda: monitor_view(m, view) == acked, "the monitor to show every acknowledged commit")
        F.check(d.proc.poll() is None, "numavs-db still runs")
        warn = [l for l in d.log().splitlines() if "rolled back" in l]
        F.check(len(warn) > 0, "the log says the commits were rolled back")
        log("numavs-db's log: %s" % (warn[:1],))
        allow = [r"could not be written were rolled back", r"could not preallocate", r"compacting .*No space left"]
        F.eq(common.harness.unexpected_log_lines(d.log(), allow), [], "unexpected WARN/ERR lines in numavs-db's log")
        for x in clients:
            x.close()
        clients = []
        d.stop()
        d.start()
        c = common.harness.RpcClient(d.sock)
        clients.append(c)
        F.eq(read_ids(c), acked, "reopened: exactly the acknowledged commits")
        F.eq(common.harness.unexpected_log_lines(d.log()), [], "unexpected WARN/ERR lines after the restart")
    finally:
        for x in clients:
            x.close()
        d.stop()
        subprocess.run(["umount", mnt], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    F.finish("daemons_disk_full_live")


if __name__ == "__main__":
    main()
