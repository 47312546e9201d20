"""One server per database file and per run directory (issue 13, defects 1, 2
and 9):

* the launcher cannot start a second numavs-db over one OVS_DBDIR (another
  OVS_RUNDIR): the database file is locked as ovsdb-server locks it
  (.NAME.~lock~), and the refusal names the holder's pid; the real
  ovsdb-server is kept off the file by the same lock;
* a second numavs-db in the same run directory stops at the pidfile before it
  touches any socket or file; one with its own pidfile does not take the
  first one's socket away;
* a real ovsdb-server conf.db is recognised as such;
* after a SIGKILL, `numavs start` starts the daemon again and the killed one's
  control sockets are removed; a pidfile naming a dead (zombie) process does
  not read as "already running"."""
import os
import shutil
import signal
import subprocess
import tempfile

import common
from common import check_rc, log, wait_for

F = common.harness.Failures()


def main():
    common.require_tools("ovs-appctl", "ovs-vsctl", "ovsdb-tool", "ovsdb-server")
    bindir = common.bindir_from_argv()
    tmp = tempfile.mkdtemp(prefix="numavs-single-")
    dbdir = os.path.join(tmp, "etc")
    a = common.Dirs(bindir, tmp=tmp, rundir=os.path.join(tmp, "run-a"), dbdir=dbdir)
    b = common.Dirs(bindir, tmp=tmp, rundir=os.path.join(tmp, "run-b"), dbdir=dbdir)
    procs = []
    try:
        two_launchers(a, b)
        second_in_same_rundir(a, bindir)
        ovsdb_server_file(a, bindir, tmp)
        restart_after_kill(a)
        zombie_pidfile(bindir, tmp, procs)
        bad_database_remote(bindir, tmp)
    finally:
        for d in (a, b):
            if d.stop().returncode != 0:
                d.kill_all()
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    F.finish("daemons_single_instance")


def db_serves(d):
    r = d.vsctl("--db=unix:" + os.path.join(d.rundir, "db.sock"), "--no-wait", "get", "Open_vSwitch", ".", "_uuid")
    return r.returncode == 0


def two_launchers(a, b):
    check_rc(a.launcher("start", "--no-switchd"), 0, "numavs start (run-a)")
    pid = a.pid("numavs-db")
    r = b.launcher("start", "--no-switchd")
    log("second launcher over the same OVS_DBDIR: rc=%d\n%s%s" % (r.returncode, r.stdout, r.stderr))
    F.check(r.returncode != 0, "a second launcher over one OVS_DBDIR fails")
    F.check("in use by pid %d" % pid in r.stderr, "the refusal names the holder's pid %d: %r" % (pid, r.stderr))
    F.eq(b.pid("numavs-db"), None, "no second numavs-db runs")
    F.check(db_serves(a), "the first numavs-db still serves")
    # The real ovsdb-server is kept off by the same lockfile.
    r = a.run(["ovsdb-server", "--remote=punix:" + os.path.join(a.tmp, "x.sock"),
               "--pidfile=" + os.path.join(a.tmp, "x.pid"), os.path.join(a.dbdir, "numavs.db")], timeout=20)
    F.check(r.returncode != 0 and "lock" in r.stderr, "ovsdb-server over numavs-db's file: %r" % r.stderr)


def second_in_same_rundir(a, bindir):
    before = a.files()
    other_db = os.path.join(a.tmp, "other.db")
    check_rc(a.run([os.path.join(bindir, "numavs-db"), "create", other_db, common.harness.schema_path()]),
             0, "numavs-db create")
    sock = os.path.join(a.rundir, "db.sock")
    # Same pidfile (the default one): stops at the pidfile.
    r = a.run([os.path.join(bindir, "numavs-db"), "--remote=punix:" + sock, "--pidfile", "--detach", other_db])
    F.check(r.returncode == 1 and "already running as pid %d" % a.pid("numavs-db") in r.stderr,
            "second numavs-db, same pidfile: %r" % r.stderr)
    F.eq(a.files(), before, "the second numavs-db touched nothing in the run directory")
    # Its own pidfile, the first one's socket: refused, the socket stays.
    r = a.run([os.path.join(bindir, "numavs-db"), "--remote=punix:" + sock,
               "--pidfile=" + os.path.join(a.tmp, "second.pid"), "--unixctl=" + os.path.join(a.tmp, "second.ctl"),
               other_db], timeout=20)
    F.check(r.returncode == 1 and "another process is serving this socket" in r.stderr,
            "second numavs-db on the first one's socket: %r" % r.stderr)
    F.eq(a.files(), before, "run directory unchanged")
    F.check(db_serves(a), "the first numavs-db still serves on db.sock")
    F.check(not os.path.exists(os.path.join(a.tmp, "second.pid")), "the refused one removed its pidfile")


def ovsdb_server_file(a, bindir, tmp):
    ovs_db = os.path.join(tmp, "ovs-conf.db")
    check_rc(a.run(["ovsdb-tool", "create", ovs_db, common.harness.schema_path()]), 0, "ovsdb-tool create")
    r = a.run([os.path.join(bindir, "numavs-db"), "--remote=punix:" + os.path.join(tmp, "o.sock"),
               "--unixctl=" + os.path.join(tmp, "o.ctl"), ovs_db], timeout=20)
    F.check(r.returncode == 1 and "this is an ovsdb-server database" in r.stderr,
            "numavs-db over an ovsdb-tool file: %r" % r.stderr)


def ctl_files(d, pid):
    return [f for f in d.files() if f.endswith(".%d.ctl" % pid)]


def restart_after_kill(a):
    pid = a.pid("numavs-db")
    F.eq(sorted(ctl_files(a, pid)), ["numavs-db.%d.ctl" % pid, "ovsdb-server.%d.ctl" % pid],
         "numavs-db's control sockets (its own name and ovsdb-server's)")
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not os.path.exists("/proc/%d" % pid) or open("/proc/%d/stat" % pid).read().split(") ")[1][0] == "Z",
             "numavs-db %d to die" % pid)
    r = check_rc(a.launcher("start", "--no-switchd"), 0, "numavs start after SIGKILL")
    F.check("started numavs-db" in r.stdout, "numavs start started numavs-db again: %r" % r.stdout)
    F.eq(ctl_files(a, pid), [], "the killed numavs-db's control sockets are gone")
    F.check(db_serves(a), "the new numavs-db serves")
    a.stop()


def zombie_pidfile(bindir, tmp, procs):
    """A daemon killed but not reaped (a zombie) still passes `kill -0`: the
    launcher must not read its pidfile as a running daemon."""
    d = common.Dirs(bindir, tmp=tmp, rundir=os.path.join(tmp, "run-z"), dbdir=os.path.join(tmp, "etc"))
    db = os.path.join(d.dbdir, "numavs.db")
    p = subprocess.Popen([os.path.join(bindir, "numavs-db"), "--remote=punix:" + os.path.join(d.rundir, "db.sock"),
                          "--pidfile", db], env=d.env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    wait_for(lambda: d.pid("numavs-db") == p.pid and os.path.exists(os.path.join(d.rundir, "db.sock")),
             "numavs-db in the foreground")
    os.kill(p.pid, signal.SIGKILL)  # not reaped: a zombie until p.wait()
    wait_for(lambda: open("/proc/%d/stat" % p.pid).read().split(") ")[1][0] == "Z", "a zombie")
    r = d.launcher("start", "--no-switchd")
    F.check(r.returncode == 0 and "started numavs-db" in r.stdout,
            "numavs start over a zombie's pidfile: %r %r" % (r.stdout, r.stderr))
    F.check(db_serves(d), "numavs-db serves after the zombie")
    d.stop()


def bad_database_remote(bindir, tmp):
    """An invalid tcp remote makes numavs-switchd fail at once, saying why
    (it used to retry it forever)."""
    d = common.Dirs(bindir, tmp=tmp, rundir=os.path.join(tmp, "run-r"))
    for remote in ("tcp:1.2.3.4", "tcp:[::1:6640", "ptcp:6640"):
        r = d.run([os.path.join(bindir, "numavs-switchd"), remote, "--unixctl=" + os.path.join(d.rundir, "s.ctl")],
                  timeout=20)
        F.check(r.returncode == 1 and remote in r.stderr and "expected" in r.stderr,
                "numavs-switchd %s: rc=%d %r" % (remote, r.returncode, r.stderr))


if __name__ == "__main__":
    main()
