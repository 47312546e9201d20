#!/usr/bin/env python3
"""switchd_schema_walk: nothing of vswitch.ovsschema is accepted and silently ignored.

Reads the schema file and numavs's support table (ovs-appctl numavs/schema-support):
  * every column of every table is classified (a new column fails until it is);
  * every column and map key classified "reported" or "refused" is set with the
    real ovs-vsctl on a running numavs (no DPDK needed) and must be reported:
    the row's status key unsupported:COLUMN[:KEY] (Bridge, Port, Interface), or
    Interface.error with the interface down (refused; for a Port, its
    interfaces), or numavs/unsupported (other tables), and one WARN line in the
    log; after undoing it the report goes away (a refused interface comes back);
  * a sample of applied settings shows its effect (mtu_request, ofport_request,
    datapath-id, Interface.mac of an internal interface).

  test_schema_walk.py --bindir DIR
"""
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from system import System, bindir_from_argv  # noqa: E402

SCHEMA = os.path.join(HERE, "..", "..", "schema", "vswitch.ovsschema")


def create_set(table, col, create, kind="set"):
    """Set a reference column to a new row: (set args, undo args)."""
    verb = ["add", table[0], table[1], col, "@r"] if kind == "add" else \
        ["set", table[0], table[1], "%s=@r" % col]
    return (["--", "--id=@r", "create"] + create + ["--"] + verb, ["clear", table[0], table[1], col])


BR, P1, OVS = ("Bridge", "br0"), ("Port", "p1"), ("Open_vSwitch", ".")

# Per "Table.column": (row, set args, undo args). Rows: br0, port/interface p1.
COLUMNS = {
    "Bridge.auto_attach": create_set(BR, "auto_attach", ["AutoAttach", "system_name=s", "system_description=d"]),
    "Bridge.controller": (["set-controller", "br0", "tcp:127.0.0.1:1"], ["del-controller", "br0"]),
    "Bridge.fail_mode": (["set-fail-mode", "br0", "secure"], ["del-fail-mode", "br0"]),
    "Bridge.flood_vlans": (["set", "Bridge", "br0", "flood_vlans=10"], ["clear", "Bridge", "br0", "flood_vlans"]),
    "Bridge.flow_tables": (["--", "--id=@r", "create", "Flow_Table", "name=t0", "--", "set", "Bridge", "br0",
                            "flow_tables:0=@r"], ["clear", "Bridge", "br0", "flow_tables"]),
    "Bridge.ipfix": create_set(BR, "ipfix", ["IPFIX", 'targets="127.0.0.1:4739"']),
    "Bridge.mcast_snooping_enable": (["set", "Bridge", "br0", "mcast_snooping_enable=true"],
                                     ["set", "Bridge", "br0", "mcast_snooping_enable=false"]),
    "Bridge.mirrors": create_set(BR, "mirrors", ["Mirror", "name=m0", "select_all=true"], "add"),
    "Bridge.netflow": create_set(BR, "netflow", ["NetFlow", 'targets="127.0.0.1:5566"']),
    "Bridge.protocols": (["set", "Bridge", "br0", "protocols=OpenFlow13"], ["clear", "Bridge", "br0", "protocols"]),
    "Bridge.rstp_enable": (["set", "Bridge", "br0", "rstp_enable=true"], ["set", "Bridge", "br0", "rstp_enable=false"]),
    "Bridge.sflow": create_set(BR, "sflow", ["sFlow", 'targets="127.0.0.1:6343"']),
    "Bridge.stp_enable": (["set", "Bridge", "br0", "stp_enable=true"], ["set", "Bridge", "br0", "stp_enable=false"]),
    "Port.bond_downdelay": (["set", "Port", "p1", "bond_downdelay=100"], ["set", "Port", "p1", "bond_downdelay=0"]),
    "Port.bond_updelay": (["set", "Port", "p1", "bond_updelay=100"], ["set", "Port", "p1", "bond_updelay=0"]),
    "Port.bond_fake_iface": (["set", "Port", "p1", "bond_fake_iface=true"], ["set", "Port", "p1", "bond_fake_iface=false"]),
    "Port.bond_mode": (["set", "Port", "p1", "bond_mode=balance-slb"], ["clear", "Port", "p1", "bond_mode"]),
    "Port.cvlans": (["set", "Port", "p1", "cvlans=10"], ["clear", "Port", "p1", "cvlans"]),
    "Port.lacp": (["set", "Port", "p1", "lacp=active"], ["clear", "Port", "p1", "lacp"]),
    "Port.mac": (["set", "Port", "p1", 'mac="02:00:00:00:00:09"'], ["clear", "Port", "p1", "mac"]),
    "Port.protected": (["set", "Port", "p1", "protected=true"], ["set", "Port", "p1", "protected=false"]),
    "Port.qos": create_set(P1, "qos", ["QoS", "type=linux-htb"]),
    "Port.vlan_mode": (["set", "Port", "p1", "vlan_mode=native-untagged"], ["clear", "Port", "p1", "vlan_mode"]),
    "Interface.bfd": (["set", "Interface", "p1", "bfd:enable=true"], ["clear", "Interface", "p1", "bfd"]),
    "Interface.cfm_mpid": (["set", "Interface", "p1", "cfm_mpid=1"], ["clear", "Interface", "p1", "cfm_mpid"]),
    "Interface.lldp": (["set", "Interface", "p1", "lldp:enable=true"], ["clear", "Interface", "p1", "lldp"]),
    "Interface.mac": (["set", "Interface", "p1", 'mac="02:00:00:00:00:0a"'], ["clear", "Interface", "p1", "mac"]),
    "Open_vSwitch.ssl": create_set(OVS, "ssl", ["SSL", "private_key=/k", "certificate=/c", "ca_cert=/ca"]),
    "Datapath.ct_zones": (["--", "--id=@z", "create", "CT_Zone", "external_ids:t=1", "--", "--id=@d", "create", "Datapath",
                           "ct_zones:5=@z", "--", "set", "Open_vSwitch", ".", "datapaths:netdev=@d"],
                          ["remove", "Open_vSwitch", ".", "datapaths", "netdev"]),
}
for c in ("ingress_policing_rate", "ingress_policing_burst", "ingress_policing_kpkts_rate",
          "ingress_policing_kpkts_burst"):
    COLUMNS["Interface." + c] = (["set", "Interface", "p1", "%s=10" % c], ["set", "Interface", "p1", "%s=0" % c])
# Rows per table for map keys.
KEY_ROW = {"Open_vSwitch": ".", "Bridge": "br0", "Port": "p1", "Interface": "p1"}


class Walk:
    def __init__(self, s, f):
        self.s, self.f = s, f

    def report(self, table, row, col, key, refused):
        """The text that reports it ('' if not reported)."""
        s = self.s
        skey = "unsupported:" + col + (":" + key if key else "")
        if table in ("Bridge", "Port") and not refused:
            st = s.get(table, row, "status")
            return skey if skey in st else ""
        if table == "Interface" and not refused:
            st = s.get(table, row, "status")
            return skey if skey in st else ""
        if refused:
            iface = "b1" if col == "interfaces" else "p1"
            r = s.vsctl("--no-wait", "get", "Interface", iface, "error", check=False)
            if r.returncode != 0:
                return ""  # deleted (the bond)
            err = r.stdout
            down = s.get("Interface", iface, "admin_state") == "down"
            return err if (col in err and down) else ""
        out = s.appctl("numavs/unsupported").stdout
        want = "%s %s: %s%s" % (table, row, col, ":" + key if key else "") if row else "%s " % table
        return out if want in out and col in out else ""

    def one(self, what, table, row, col, key, refused, set_args, undo_args):
        s, f = self.s, self.f
        s.vsctl(*set_args)
        try:
            harness.wait_until(lambda: self.report(table, row, col, key, refused), what + " reported", 5)
        except AssertionError as e:
            f.check(False, str(e))
        name = col + (":" + key if key else "")
        pat = re.compile(r"\|bridge\|WARN\|%s \S+: %s is not supported" % (table, re.escape(name)))
        f.check(pat.search(s.log()) is not None, "%s: no WARN line in the log" % what)
        s.vsctl(*undo_args)
        try:
            harness.wait_until(lambda: not self.report(table, row, col, key, refused), what + " report cleared", 5)
        except AssertionError as e:
            f.check(False, str(e))


def classify(f, schema, table):
    for t, spec in schema["tables"].items():
        for col in spec["columns"]:
            ok = any(e["table"] == t and e["column"] in (col, "*") for e in table)
            f.check(ok, "column %s.%s is not classified in support.cc" % (t, col))


def walk_columns(w, table):
    for e in table:
        if e["support"] not in ("reported", "refused") or e["key"]:
            continue
        what = "%s.%s" % (e["table"], e["column"])
        refused = e["support"] == "refused"
        if what == "Port.interfaces":  # a bond: its interfaces stay down
            w.one(what, "Port", "bond0", "interfaces", "", True,
                  ["add-bond", "br0", "bond0", "b1", "b2", "--", "set", "Interface", "b1", "type=dummy", "--",
                   "set", "Interface", "b2", "type=dummy"], ["del-port", "br0", "bond0"])
            continue
        if what == "Flow_Sample_Collector_Set.bridge":
            br = w.s.get("Bridge", "br0", "_uuid")
            w.one(what, e["table"], "", "bridge", "", False,
                  ["create", "Flow_Sample_Collector_Set", "id=1", "bridge=" + br],
                  ["--all", "destroy", "Flow_Sample_Collector_Set"])
            continue
        if what not in COLUMNS:
            w.f.check(False, "%s is %s but the walk has no value for it: add one" % (what, e["support"]))
            continue
        row = {"Bridge": "br0", "Open_vSwitch": "."}.get(e["table"], "p1" if e["table"] != "Datapath" else "")
        w.one(what, e["table"], row, e["column"], "", refused, *COLUMNS[what])


def walk_keys(w, table):
    for e in table:
        if e["support"] not in ("reported", "refused") or not e["key"]:
            continue
        t, col = e["table"], e["column"]
        key = "no-such-key" if e["key"] == "*" else e["key"]
        row = KEY_ROW[t]
        setup, undo = [], ["remove", t, row, col, key]
        if e["types"]:  # an option of other interface types: on p9 of the first type listed
            row = "p9"
            setup = ["--", "set", "Interface", "p9", "type=" + e["types"].split(",")[0]]
            undo = ["remove", t, row, col, key]
        w.one("%s.%s:%s%s" % (t, col, key, " (%s)" % e["types"] if e["types"] else ""), t,
              row, col, key, False, ["set", t, row, "%s:%s=1" % (col, key)] + setup, undo)


def applied(s, f):
    s.vsctl("set", "Interface", "p1", "mtu_request=2000")
    f.eq(s.get("Interface", "p1", "mtu"), "2000", "mtu_request applied")
    s.vsctl("set", "Interface", "p2", "ofport_request=7")
    f.eq(s.get("Interface", "p2", "ofport"), "7", "ofport_request applied")
    s.vsctl("set", "Bridge", "br0", "other_config:datapath-id=00000000cafe0001")
    f.eq(s.get("Bridge", "br0", "datapath_id"), '"00000000cafe0001"', "other_config:datapath-id applied")
    s.vsctl("add-port", "br0", "int1", "--", "set", "Interface", "int1", "type=internal",
            'mac="02:11:22:33:44:55"')
    got = harness.wait_until(lambda: s.get("Interface", "int1", "mac_in_use") == '"02:11:22:33:44:55"' and "ok",
                             "Interface.mac of an internal interface applied", 10)
    f.check(got == "ok", "int1 mac")
    f.eq(s.appctl("numavs/unsupported").stdout, "no unsupported settings in use\n", "nothing left reported")


def main():
    harness.require_ovs_tools()
    if os.geteuid() != 0:
        harness.skip("needs root for network namespaces and TAP devices")
    f = harness.Failures()
    allow = [r"\|bridge\|WARN\|.* is not supported by numavs",
             r"\|bridge\|WARN\|bridge br0: could not open network device p9"]  # type dpdk without DPDK
    s = System(bindir_from_argv(), log_allow=allow)
    start = time.time()
    try:
        s.launcher("start")
        s.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
        for p, t in (("p1", "dummy"), ("p2", "dummy"), ("p9", "dpdk")):
            s.vsctl("add-port", "br0", p, "--", "set", "Interface", p, "type=" + t)
        with open(SCHEMA) as fh:
            schema = json.load(fh)
        table = json.loads(s.appctl("numavs/schema-support").stdout)
        classify(f, schema, table)
        w = Walk(s, f)
        walk_columns(w, table)
        walk_keys(w, table)
        s.vsctl("del-port", "br0", "p9")
        applied(s, f)
        f.check(s.switchd_alive(), "daemons alive")
        harness.log("walked %d entries in %.1f s" % (len(table), time.time() - start))
        s.stop(f)
    finally:
        s.close()
    f.finish("switchd_schema_walk")


if __name__ == "__main__":
    main()
