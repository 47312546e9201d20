#!/usr/bin/env python3
"""ovsdb_python_idl: the python3-openvswitch IDL (ovs.db.idl) against the server.

The IDL connects and monitors every column, commits a transaction (insert a
bridge, setkey external_ids, verify, increment next_cfg), sees its own change
come back through the monitor, sees changes made by ovs-vsctl in other
processes, and gets TRY_AGAIN when a verify()ed column changed under it.

  test_python_idl.py --numavs-db PATH [--server numavs|ovsdb-server]...
  (default: both, ovsdb-server first)
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def import_ovs():
    """The `ovs` package comes from Debian's python3-openvswitch, i.e. the
    system python. If the python3 on PATH (e.g. pyenv) lacks it, re-run this
    script under /usr/bin/python3; skip if nobody has it."""
    try:
        import ovs.db.idl  # noqa: F401
        return
    except ImportError:
        pass
    syspy = "/usr/bin/python3"
    if os.environ.get("NUMAVS_IDL_REEXEC") != "1" and os.path.exists(syspy) \
            and os.path.realpath(sys.executable) != os.path.realpath(syspy):
        os.environ["NUMAVS_IDL_REEXEC"] = "1"
        os.execv(syspy, [syspy] + sys.argv)
    harness.skip("python3-openvswitch (module ovs) is not installed")


def main():
    harness.require_ovs_tools()
    import_ovs()
    import ovs.db.idl
    import ovs.poller
    import ovs.vlog
    ovs.vlog.Vlog.init(None)  # IDL warnings go to stderr, where the test output shows them

    # The reference first: it proves the expectations on this machine.
    kinds, numavs_bin = harness.parse_common_args(kinds=("ovsdb-server", "numavs"))
    f = harness.Failures()
    for kind in kinds:
        harness.log("== %s" % kind)
        with harness.Server(kind, numavs_bin=numavs_bin) as srv:
            run(srv, f, ovs)
            srv.check_log(allow=[])
    f.finish("ovsdb_python_idl")


def run(srv, f, ovs):
    srv.vsctl("--no-wait", "init")

    helper = ovs.db.idl.SchemaHelper(location=srv.schema)
    helper.register_all()
    idl = ovs.db.idl.Idl(srv.remote(), helper)

    def spin(cond, what, timeout=10.0):
        """Runs the IDL until cond() holds (bounded)."""
        deadline = time.monotonic() + timeout
        while True:
            idl.run()
            if cond():
                return True
            if time.monotonic() > deadline:
                f.check(False, "%s: %s did not happen within %.0fs" % (srv.kind, what, timeout))
                return False
            poller = ovs.poller.Poller()
            idl.wait(poller)
            poller.timer_wait(100)
            poller.block()

    def rows(table):
        return list(idl.tables[table].rows.values())

    def bridge(name):
        for b in rows("Bridge"):
            if b.name == name:
                return b
        return None

    if not spin(lambda: idl.has_ever_connected() and len(rows("Open_vSwitch")) == 1,
                "initial monitor contents (one Open_vSwitch row)"):
        idl.close()
        return
    ovs_row = rows("Open_vSwitch")[0]
    f.eq(ovs_row.next_cfg, 0, "%s: initial next_cfg" % srv.kind)

    # --- our own transaction --------------------------------------------------
    txn = ovs.db.idl.Transaction(idl)
    txn.add_comment("test_python_idl: add brpy")
    iface = txn.insert(idl.tables["Interface"])
    iface.name = "brpy"
    iface.type = "internal"
    port = txn.insert(idl.tables["Port"])
    port.name = "brpy"
    port.interfaces = [iface]
    br = txn.insert(idl.tables["Bridge"])
    br.name = "brpy"
    br.ports = [port]
    br.datapath_type = "netdev"
    ovs_row.verify("bridges")
    ovs_row.bridges = list(ovs_row.bridges) + [br]
    ovs_row.setkey("external_ids", "set-by", "python-idl")
    ovs_row.increment("next_cfg")
    status = txn.commit_block()
    f.eq(status, ovs.db.idl.Transaction.SUCCESS, "%s: commit status (error: %s)" % (srv.kind, txn.get_error()))
    if status == ovs.db.idl.Transaction.SUCCESS:
        f.eq(txn.get_increment_new_value(), 1, "%s: next_cfg after increment" % srv.kind)
        br_uuid = txn.get_insert_uuid(br.uuid)
        f.check(br_uuid is not None, "%s: insert uuid of the bridge" % srv.kind)

    # Our change arrives through the monitor.
    if spin(lambda: bridge("brpy") is not None and rows("Open_vSwitch")[0].next_cfg == 1,
            "own change (bridge brpy, next_cfg=1) in the IDL"):
        b = bridge("brpy")
        ovs_row = rows("Open_vSwitch")[0]
        f.eq(ovs_row.external_ids.get("set-by"), "python-idl", "%s: external_ids:set-by" % srv.kind)
        f.eq(b.datapath_type, "netdev", "%s: brpy datapath_type" % srv.kind)
        f.eq([p.name for p in b.ports], ["brpy"], "%s: brpy ports" % srv.kind)
        f.eq([i.name for i in b.ports[0].interfaces], ["brpy"], "%s: brpy interfaces" % srv.kind)
        f.eq([x.name for x in ovs_row.bridges], ["brpy"], "%s: Open_vSwitch.bridges" % srv.kind)
    r = srv.vsctl("--no-wait", "get", "Open_vSwitch", ".", "external_ids:set-by", "next_cfg")
    f.eq(r.stdout, "python-idl\n1\n", "%s: ovs-vsctl sees the IDL's commit" % srv.kind)

    # --- changes by other processes -----------------------------------------
    srv.vsctl("--no-wait", "add-br", "br-vsctl", "--", "set", "Bridge", "br-vsctl",
              "external_ids:owner=vsctl")
    if spin(lambda: bridge("br-vsctl") is not None, "ovs-vsctl add-br br-vsctl in the IDL"):
        f.eq(dict(bridge("br-vsctl").external_ids), {"owner": "vsctl"}, "%s: br-vsctl external_ids" % srv.kind)
        f.eq(sorted(b.name for b in rows("Open_vSwitch")[0].bridges), ["br-vsctl", "brpy"],
             "%s: bridges after add-br" % srv.kind)
    srv.vsctl("--no-wait", "set", "Open_vSwitch", ".", "external_ids:set-by=vsctl")
    spin(lambda: rows("Open_vSwitch")[0].external_ids.get("set-by") == "vsctl",
         "ovs-vsctl set external_ids:set-by=vsctl in the IDL")
    srv.vsctl("--no-wait", "del-br", "br-vsctl")
    spin(lambda: bridge("br-vsctl") is None and len(rows("Port")) == 1 and len(rows("Interface")) == 1,
         "ovs-vsctl del-br (and garbage collection of its Port/Interface) in the IDL")

    # --- verify() conflict: a concurrent change makes the commit TRY_AGAIN ---
    srv.vsctl("--no-wait", "add-br", "br-race")   # the IDL has not run() since
    ovs_row = rows("Open_vSwitch")[0]
    txn = ovs.db.idl.Transaction(idl)
    ovs_row.verify("bridges")
    ovs_row.bridges = []   # stale view: would drop br-race if the verify did not fail
    status = txn.commit_block()
    f.eq(status, ovs.db.idl.Transaction.TRY_AGAIN, "%s: stale verify() commit status" % srv.kind)
    spin(lambda: bridge("br-race") is not None, "br-race in the IDL")
    r = srv.vsctl("--no-wait", "list-br")
    f.eq(r.stdout, "br-race\nbrpy\n", "%s: bridges after the refused stale commit" % srv.kind)

    # A retry on fresh data succeeds.
    txn = ovs.db.idl.Transaction(idl)
    ovs_row = rows("Open_vSwitch")[0]
    ovs_row.verify("bridges")
    ovs_row.bridges = [b for b in ovs_row.bridges if b.name != "br-race"]
    status = txn.commit_block()
    f.eq(status, ovs.db.idl.Transaction.SUCCESS, "%s: retried commit status" % srv.kind)
    spin(lambda: bridge("br-race") is None, "br-race removal in the IDL")
    idl.close()


if __name__ == "__main__":
    main()
