"""Reachable as OVS (issue 14): after `numavs start`, the real ovs-appctl with
no -t reaches numavs-switchd (ovs-vswitchd's pidfile and control socket
names), `ovs-appctl -t ovsdb-server` reaches numavs-db, whose
ovsdb-server/add-remote, remove-remote and list-remotes behave as
ovsdb-server's, and `ovs-vsctl set-manager ptcp:...` opens a listener (the
launcher passes --remote=db:Open_vSwitch,Open_vSwitch,manager_options as
ovs-ctl does). The detached start prints the launcher's own lines and
nothing else: its output pipe closes when the launcher exits."""
import os
import shutil

import common
from common import check_rc, log, wait_for

F = common.harness.Failures()


def main():
    common.require_tools("ovs-appctl", "ovs-vsctl")
    d = common.Dirs(common.bindir_from_argv())
    try:
        run(d)
    finally:
        r = d.stop()
        if r.returncode != 0:
            d.kill_all()
        leftovers = [f for f in d.files() if f.endswith((".pid", ".ctl", ".sock"))]
        F.eq(leftovers, [], "pidfiles and sockets left after numavs stop")
        shutil.rmtree(d.tmp, ignore_errors=True)
    F.finish("daemons_ovs_names")


def run(d):
    # The launcher's output: captured through pipes, so run() returns only once
    # every process holding them (the detached daemons too) has let go.
    r = check_rc(d.launcher("start"), 0, "numavs start")
    lines = (r.stdout + r.stderr).splitlines()
    log("numavs start printed:\n  " + "\n  ".join(lines))
    F.check(all(line.startswith("numavs: ") for line in lines),
            "numavs start printed only its own lines: %r" % lines)
    F.check(any("started numavs-switchd" in line for line in lines), "numavs-switchd started")

    # Plain ovs-appctl: ovs-vswitchd.pid -> ovs-vswitchd.PID.ctl.
    sw_pid = d.pid("numavs-switchd")
    F.eq(d.pid("ovs-vswitchd"), sw_pid, "ovs-vswitchd.pid names numavs-switchd")
    r = d.appctl("version")
    F.check(r.returncode == 0 and "numavs-switchd" in r.stdout, "ovs-appctl version: %r %r" % (r.stdout, r.stderr))
    r = d.appctl("dpif/show")
    F.check(r.returncode == 0 and r.stdout.startswith("database: connected"), "ovs-appctl dpif/show: %r" % r.stdout)
    F.eq(d.appctl("-t", "numavs-switchd", "version").returncode, 0, "ovs-appctl -t numavs-switchd still works")

    # ovs-appctl -t ovsdb-server.
    db_pid = d.pid("numavs-db")
    F.eq(d.pid("ovsdb-server"), db_pid, "ovsdb-server.pid names numavs-db")
    r = d.appctl("-t", "ovsdb-server", "version")
    F.check(r.returncode == 0 and "numavs-db" in r.stdout, "ovs-appctl -t ovsdb-server version: %r" % r.stdout)
    sock = "punix:" + os.path.join(d.rundir, "db.sock")
    manager = "db:Open_vSwitch,Open_vSwitch,manager_options"
    r = d.appctl("-t", "ovsdb-server", "ovsdb-server/list-remotes")
    F.eq(r.stdout.splitlines(), sorted([manager, sock]), "list-remotes after start")

    # set-manager: Open_vSwitch.manager_options -> a listener; del-manager closes it.
    port = common.free_port()
    check_rc(d.vsctl("set-manager", "ptcp:%d:127.0.0.1" % port), 0, "ovs-vsctl set-manager")
    wait_for(lambda: common.tcp_accepts(port), "numavs-db to listen on the manager's port %d" % port)
    r = d.vsctl("--db=tcp:127.0.0.1:%d" % port, "get-manager")
    F.check(r.returncode == 0 and r.stdout.strip() == "ptcp:%d:127.0.0.1" % port,
            "ovs-vsctl over the manager port: %r %r" % (r.stdout, r.stderr))
    check_rc(d.vsctl("del-manager"), 0, "ovs-vsctl del-manager")
    wait_for(lambda: not common.tcp_accepts(port), "the manager's listener to close")

    # add-remote / remove-remote / list-remotes, as ovsdb-server.
    port2 = common.free_port()
    extra = "ptcp:%d:127.0.0.1" % port2
    check_rc(d.appctl("-t", "ovsdb-server", "ovsdb-server/add-remote", extra), 0, "add-remote")
    F.check(common.tcp_accepts(port2), "add-remote listens at once")
    r = d.appctl("-t", "ovsdb-server", "ovsdb-server/list-remotes")
    F.eq(r.stdout.splitlines(), sorted([manager, sock, extra]), "list-remotes after add-remote")
    check_rc(d.appctl("-t", "ovsdb-server", "ovsdb-server/remove-remote", extra), 0, "remove-remote")
    F.check(not common.tcp_accepts(port2), "remove-remote closes the listener")
    r = d.appctl("-t", "ovsdb-server", "ovsdb-server/remove-remote", extra)
    F.check(r.returncode == 2 and "no such remote" in r.stderr, "remove-remote twice: %r" % r.stderr)
    r = d.appctl("-t", "ovsdb-server", "ovsdb-server/add-remote", "db:Open_vSwitch,Nope,x")
    F.check(r.returncode == 2 and "no table named Nope" in r.stderr, "add-remote of a bad db: remote: %r" % r.stderr)
    r = d.appctl("-t", "ovsdb-server", "ovsdb-server/add-remote", "tcp:127.0.0.1:1")
    F.check(r.returncode == 2 and "passive remotes only" in r.stderr, "add-remote of an active remote: %r" % r.stderr)
    r = d.appctl("-t", "ovsdb-server", "ovsdb-server/list-remotes")
    F.eq(r.stdout.splitlines(), sorted([manager, sock]), "failed add-remotes added nothing")

    for name in ("numavs-db", "numavs-switchd"):
        bad = d.bad_log_lines(name)
        F.eq(bad, [], "WARN/ERR lines in %s's log" % name)


if __name__ == "__main__":
    main()
