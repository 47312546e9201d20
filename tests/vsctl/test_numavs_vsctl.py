#!/usr/bin/env python3
"""vsctl_vs_ovs_vsctl: numavs-vsctl must behave like ovs-vsctl.

One script of commands is run twice, each time on a fresh database:
  reference: the real `ovs-vsctl` against the real Debian ovsdb-server;
  subject:   numavs-vsctl against numavs-db.
stdout, exit codes and stderr (program name normalised) must match after UUID
normalisation, and so must the final `ovsdb-client dump` — the same commands
give the same resulting database. Then numavs-vsctl's own behaviour without
--no-wait: with no switch daemon to answer, --timeout ends it with a clear
error (the change itself is committed, as with ovs-vsctl).

  test_numavs_vsctl.py --numavs-db PATH --numavs-vsctl PATH
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
import harness  # noqa: E402
import test_vsctl_differential as diff  # noqa: E402

# The differential test's script (the seed commands and more), then the rest
# of the commands numavs-vsctl implements.
EXTRA = [
    (["add-br", "br4"], True),
    (["br-exists", "br4"], True),
    (["br-exists", "nope"], False),
    (["list-br"], True),
    (["add", "Bridge", "br4", "flood_vlans", "10", "20"], True),
    (["get", "Bridge", "br4", "flood_vlans"], True),
    (["remove", "Bridge", "br4", "flood_vlans", "10"], True),
    (["get", "Bridge", "br4", "flood_vlans"], True),
    (["clear", "Bridge", "br4", "flood_vlans"], True),
    (["get", "Bridge", "br4", "flood_vlans"], True),
    (["set", "Bridge", "br4", "other_config:a=1", "other_config:b=2", "external_ids:k=v"], True),
    (["remove", "Bridge", "br4", "other_config", "a"], True),
    (["get", "Bridge", "br4", "other_config"], True),
    (["get", "Bridge", "br4", "other_config:b"], True),
    (["--if-exists", "get", "Bridge", "br4", "other_config:zz"], True),
    (["add-port", "br4", "p4", "--", "set", "Interface", "p4", "type=dpdk",
      "options:dpdk-devargs=0000:81:00.1", "--", "set", "Port", "p4", "tag=7"], True),
    (["--may-exist", "add-port", "br4", "p4"], True),
    (["add-port", "br4", "p4"], False),
    (["find", "Port", "tag=7"], True),
    (["list-ports", "br4"], True),
    (["show"], True),
    (["del-port", "p4"], True),
    (["del-br", "nope"], False),
    (["--if-exists", "del-br", "nope"], True),
    (["set", "Bridge", "br4", "fail_mode=bogus"], False),
    (["set", "Nope", "x", "a=b"], False),
    (["del-br", "br4"], True),
]
SCRIPT = diff.SCRIPT + EXTRA


def transcript(kind, argv0, numavs_db):
    """Runs SCRIPT with client argv0 against a fresh server of `kind`."""
    norm = harness.UuidNormaliser()
    parts, problems = [], []
    prog = os.path.basename(argv0)
    srv = harness.Server(kind, numavs_bin=numavs_db)
    with srv:
        for args, ok in SCRIPT:
            r = srv.run([argv0, "--db=" + srv.remote(), "--timeout=20", "--no-wait"] + args)
            out = r.stdout
            if args[0] in diff.SORT_BLOCKS or (args[0].startswith("--") and args[1] in diff.SORT_BLOCKS):
                out = diff.sort_blocks(out)
            elif args[0] == "show":
                out = diff.sort_show(out)
            err = r.stderr.replace(srv.sock, "<sock>").replace(srv.tmp, "<tmp>")
            err = err.replace(prog + ":", "<vsctl>:")
            parts.append("$ vsctl --no-wait %s\n[rc=%d]\n--- stdout\n%s--- stderr\n%s" % (
                " ".join(args), r.returncode, norm(out), norm(err)))
            if ok and (r.returncode != 0 or r.stderr):
                problems.append("%s: `%s %s` rc=%d stderr=%r" % (kind, prog, " ".join(args), r.returncode, r.stderr))
            if not ok and r.returncode == 0:
                problems.append("%s: `%s %s` succeeded but must fail" % (kind, prog, " ".join(args)))
        d = srv.run(["ovsdb-client", "--timeout=20", "dump", srv.remote(), "Open_vSwitch"], timeout=30)
        parts.append("$ ovsdb-client dump Open_vSwitch\n[rc=%d]\n--- stdout\n%s--- stderr\n%s" % (
            d.returncode, norm(diff.normalise_dump(d.stdout)), norm(d.stderr)))
        srv.check_log(allow=[])
    return "\n".join(parts), problems


def check_wait_timeout(f, numavs_db, vsctl):
    """Without --no-wait numavs-vsctl bumps next_cfg and waits for cur_cfg;
    with no switch daemon, --timeout ends the wait with a clear error."""
    srv = harness.Server("numavs", numavs_bin=numavs_db)
    with srv:
        srv.run([vsctl, "--db=" + srv.remote(), "--no-wait", "init"], check=True)
        t0 = time.monotonic()
        r = srv.run([vsctl, "--db=" + srv.remote(), "--timeout=2", "add-br", "brw"], timeout=30)
        took = time.monotonic() - t0
        # 142: the status of ovs-vsctl killed by its --timeout alarm (128 + SIGALRM).
        f.eq(r.returncode, 142, "wait without a switch daemon must time out")
        f.check(2.0 <= took < 10, "--timeout=2 ended the wait after %.1f s" % took)
        f.check("timed out" in r.stderr and "cur_cfg" in r.stderr,
                "timeout error should say what it waited for: %r" % r.stderr)
        f.check(r.stderr.count("\n") == 1, "one line of error expected: %r" % r.stderr)
        q = srv.run([vsctl, "--db=" + srv.remote(), "--no-wait", "br-exists", "brw"])
        f.check(q.returncode == 0, "the change must be committed even though the wait timed out")
        n = srv.run([vsctl, "--db=" + srv.remote(), "--no-wait", "get", "Open_vSwitch", ".", "next_cfg"])
        f.eq(n.stdout.strip(), "1", "next_cfg after one waiting command")
        # A server that is not there: a clear error naming the socket, within the timeout.
        t0 = time.monotonic()
        r = srv.run([vsctl, "--db=unix:" + srv.tmp + "/absent.sock", "--timeout=1", "list-br"], timeout=30)
        # 1, as ovs-vsctl: "database connection failed" (a missing socket is not retried).
        f.check(r.returncode == 1 and time.monotonic() - t0 < 8,
                "absent server: rc=%d after %.1f s" % (r.returncode, time.monotonic() - t0))
        f.check("absent.sock" in r.stderr, "absent server error should name the socket: %r" % r.stderr)


def main():
    harness.require_ovs_tools()
    argv = sys.argv[1:]
    vsctl = None
    if "--numavs-vsctl" in argv:
        i = argv.index("--numavs-vsctl")
        vsctl = argv[i + 1]
        del argv[i:i + 2]
    _, numavs_db = harness.parse_common_args(argv, kinds=("numavs",))
    vsctl = vsctl or os.path.join(os.path.dirname(numavs_db), "numavs-vsctl")
    f = harness.Failures()
    ref, ref_problems = transcript("ovsdb-server", "ovs-vsctl", numavs_db)
    for p in ref_problems:
        f.check(False, "reference: " + p)
    got, problems = transcript("numavs", vsctl, numavs_db)
    for p in problems:
        f.check(False, p)
    if got != ref:
        f.check(False, "numavs-vsctl differs from ovs-vsctl:\n%s" % harness.unified_diff(
            ref, got, "ovs-vsctl+ovsdb-server", "numavs-vsctl+numavs-db"))
    check_wait_timeout(f, numavs_db, vsctl)
    f.finish("vsctl_vs_ovs_vsctl")


if __name__ == "__main__":
    main()
