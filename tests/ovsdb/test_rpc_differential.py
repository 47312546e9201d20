#!/usr/bin/env python3
"""ovsdb_rpc_differential: replies, word for word, against the real
ovsdb-server.

One corpus of transactions (malformed operations, ill-typed values,
constraint and integrity violations, every operation's edge cases, and
successful operations including "sort") is sent, in order and on one
connection, to numavs-db and to the real Debian ovsdb-server, each on a
fresh database after `ovs-vsctl --no-wait init`. The results must be equal
as JSON (error tags, "details" and "syntax" included), with UUIDs
normalised. Clients print these objects to users (ovs-vsctl: "transaction
error: {...}") and some match on them. Then the other methods (get_schema,
monitor*, lock/steal/unlock, list_dbs, echo, set_db_change_aware) with bad
and good parameters, each on a connection of its own, compared the same way
(reply and error alike). Last, four monitors (monitor, monitor_cond,
monitor_cond_since with a condition, and one selecting only inserts and
deletes) watch a series of commits: their replies and every update,
update2 and update3 notification must be the same.

  test_rpc_differential.py --numavs-db PATH
"""
import json
import os
import re
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

DB = "Open_vSwitch"
U1 = "11111111-1111-1111-1111-111111111111"
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def ins_bridge(name, **cols):
    row = {"name": name}
    row.update(cols)
    return {"op": "insert", "table": "Bridge", "row": row}


CORPUS = [
    # Operation members: the "Parsing ovsdb operation I of N failed" family.
    [{"op": "nope"}],
    [{"table": "Bridge"}],
    ["x"],
    [{"op": "select", "table": "Bridge"}],
    [{"op": "select", "table": "Nope", "where": []}],
    [{"op": "select", "table": "1bad", "where": []}],
    [{"op": "select", "table": "Bridge", "where": "x"}],
    [{"op": "select", "table": "Bridge", "where": [], "columns": "name"}],
    [{"op": "select", "table": "Bridge", "where": [], "bogus": 1}],
    # (Two members not allowed: ovsdb-server names the first in its hash
    # order, so that message is not compared.)
    [{"op": "select", "table": "Bridge", "where": "x", "bogus": 1}],
    [{"op": "comment", "comment": "first"}, {"op": "select", "table": "Bridge"}],
    [{"op": "insert", "table": "Bridge", "row": {"name": "b4"}, "uuid-name": "1bad"}],
    [{"op": "insert", "table": "Bridge", "row": {"name": "b4"}, "bogus": 1}],
    [{"op": "insert", "table": "Bridge", "row": "x"}],
    [{"op": "insert", "table": "Bridge"}],
    [{"op": "commit"}],
    [{"op": "commit", "durable": "x"}],
    [{"op": "comment"}],
    [{"op": "assert"}],
    [{"op": "assert", "lock": "nolock"}],
    [{"op": "abort", "x": 1}],
    [{"op": "delete", "table": "Bridge"}],
    [{"op": "wait", "table": "Bridge", "where": [], "until": "==", "rows": [], "timeout": -1}],
    [{"op": "wait", "table": "Bridge", "where": [], "until": "==", "rows": [], "timeout": 1.5}],
    [{"op": "wait", "table": "Open_vSwitch", "where": [], "columns": ["next_cfg"], "until": "<>",
      "rows": [], "timeout": 0}],
    # Insert: explicit and meta columns.
    [ins_bridge("b1", _uuid=["uuid", U1])],
    [ins_bridge("b1", _version=["uuid", U1])],
    [{"op": "insert", "table": "Bridge", "row": {"name": "b4"}, "uuid": "zz"}],
    [{"op": "insert", "table": "Bridge", "row": {"name": "b4"}, "uuid": U1}],
    [{"op": "insert", "table": "Bridge", "row": {"name": "b9"}, "uuid": U1},
     {"op": "insert", "table": "Bridge", "row": {"name": "b10"}, "uuid": U1}],
    [{"op": "insert", "table": "Bridge", "uuid-name": "b", "row": {"name": "b11"}},
     {"op": "insert", "table": "Bridge", "uuid-name": "b", "row": {"name": "b12"}}],
    # Values: types, sizes, duplicates, constraints.
    [ins_bridge("b2", datapath_type=1)],
    [ins_bridge("b3", flood_vlans=["set", [1, 2, 5000]])],
    [ins_bridge("b7", flood_vlans=["set", [5000]])],
    [ins_bridge("b7", flood_vlans=["set", [1, 1]])],
    [ins_bridge("b7", datapath_type=["set", ["a", "b"]])],
    [ins_bridge("b7", fail_mode="bogus")],
    [ins_bridge("b7", fail_mode="with space")],
    [ins_bridge("b7", other_config=["map", [["a", "b"], ["a", "c"]]])],
    [ins_bridge("b7", other_config=["map", [["a"]]])],
    [ins_bridge("b7", other_config=["set", []])],
    [ins_bridge("b7", other_config="x")],
    [{"op": "insert", "table": "Bridge", "row": {"name": ["set", []]}}],
    [{"op": "insert", "table": "Bridge", "row": {"nope": 1}}],
    [ins_bridge("b7", ports=["set", [["uuid", "zz"]]])],
    [ins_bridge("b7", ports=["set", ["x"]])],
    [ins_bridge("b7", ports=["set", [["named-uuid", "9x"]]])],
    [ins_bridge("b7", mcast_snooping_enable="true")],
    [{"op": "insert", "table": "Interface", "row": {"name": "i", "ofport_request": 70000}}],
    [{"op": "insert", "table": "Interface", "row": {"name": "i", "ofport_request": 0}}],
    [{"op": "insert", "table": "Open_vSwitch", "row": {}}],
    # References.
    [ins_bridge("b5", ports=["set", [["named-uuid", "p"]]])],
    [ins_bridge("b5", ports=["set", [["uuid", U1]]])],
    [{"op": "insert", "table": "Open_vSwitch", "row": {"bridges": ["named-uuid", "b"]}}],
    [ins_bridge("b8", ipfix=["set", [["uuid", U1]]])],
    [ins_bridge("b6"), ins_bridge("b6")],
    # Conditions.
    [{"op": "select", "table": "Bridge", "where": [["nope", "==", 1]]}],
    [{"op": "select", "table": "Bridge", "where": [["name", "==", 1]]}],
    [{"op": "select", "table": "Bridge", "where": [["name", "~=", "x"]]}],
    [{"op": "select", "table": "Bridge", "where": [["name", "=="]]}],
    [{"op": "select", "table": "Bridge", "where": [["_uuid", "==", "x"]]}],
    [{"op": "select", "table": "Bridge", "where": [["_uuid", "==", ["named-uuid", "x"]]]}],
    [{"op": "select", "table": "Bridge", "where": [["name", "includes", ["set", ["a", "b"]]]]}],
    [{"op": "select", "table": "Bridge", "where": [["flood_vlans", "includes", 5000]]}],
    [{"op": "select", "table": "Bridge", "where": [["fail_mode", "==", "bogus"]]}],
    [{"op": "select", "table": "Bridge", "where": [["name", "==", ["set", []]]]}],
    [{"op": "select", "table": "Open_vSwitch", "where": [["other_config", "<", ["map", []]]]}],
    [{"op": "select", "table": "Bridge", "where": [["datapath_id", "<", "x"]]}],
    [{"op": "select", "table": "Bridge", "where": [["ports", "<", ["set", []]]]}],
    [{"op": "select", "table": "Bridge", "where": [["flood_vlans", "<", 1]]}],
    [{"op": "select", "table": "Bridge", "where": [["name", "<", "x"]]}],
    [{"op": "select", "table": "Bridge", "where": [["stp_enable", "<", True]]}],
    [{"op": "select", "table": "Open_vSwitch", "where": [["next_cfg", "includes", 1]], "columns": ["next_cfg"]}],
    # Columns.
    [{"op": "select", "table": "Bridge", "where": [], "columns": ["nope"]}],
    [{"op": "select", "table": "Bridge", "where": [], "columns": ["name", "name"]}],
    [{"op": "select", "table": "Bridge", "where": [], "columns": [1]}],
    [{"op": "select", "table": "Bridge", "where": [], "sort": ["nope"]}],
    # Update and mutate.
    [{"op": "update", "table": "Open_vSwitch", "where": [], "row": {"_uuid": ["uuid", U1]}}],
    [{"op": "update", "table": "Open_vSwitch", "where": [], "row": {"_version": ["uuid", U1]}}],
    [{"op": "update", "table": "Open_vSwitch", "where": [], "row": {"nope": 1}}],
    [{"op": "update", "table": "Open_vSwitch", "where": [], "row": {"next_cfg": "x"}}],
    [{"op": "update", "table": "Bridge", "where": [], "row": {"name": "x"}}],
    [{"op": "mutate", "table": "Open_vSwitch", "where": [], "mutations": [["next_cfg", "/=", 0]]}],
    [{"op": "mutate", "table": "Open_vSwitch", "where": [], "mutations": [["next_cfg", "%=", 0]]}],
    [{"op": "mutate", "table": "Open_vSwitch", "where": [], "mutations": [["next_cfg", "^=", 0]]}],
    [{"op": "mutate", "table": "Open_vSwitch", "where": [], "mutations": [["other_config", "+=", 1]]}],
    [{"op": "mutate", "table": "Open_vSwitch", "where": [], "mutations": [["_uuid", "insert", 1]]}],
    [{"op": "mutate", "table": "Open_vSwitch", "where": [],
      "mutations": [["other_config", "insert", ["map", [["a", 1]]]]]}],
    [{"op": "mutate", "table": "Open_vSwitch", "where": [],
      "mutations": [["next_cfg", "+=", 9223372036854775807]]},
     {"op": "mutate", "table": "Open_vSwitch", "where": [],
      "mutations": [["next_cfg", "+=", 9223372036854775807]]}],
    # Wait.
    [{"op": "wait", "table": "Open_vSwitch", "where": [], "columns": ["next_cfg"], "until": "==",
      "rows": [{"next_cfg": "abc"}], "timeout": 0}],
    [{"op": "wait", "table": "Open_vSwitch", "where": [], "columns": ["next_cfg"], "until": "==",
      "rows": [{"next_cfg": 5}], "timeout": 0}],
    [{"op": "wait", "table": "Open_vSwitch", "where": [], "until": "==", "rows": [], "timeout": 0}],
    [{"op": "wait", "table": "Bridge", "where": [], "columns": ["name"], "until": "==", "rows": [],
      "timeout": 0}],
    [{"op": "wait", "table": "Bridge", "where": [], "columns": ["name"], "until": "!=",
      "rows": [{"name": "zz"}], "timeout": 0}],
    # Success, including select's "sort", and the commit-time error element.
    [{"op": "comment", "comment": "x"}, {"op": "abort"}],
    [{"op": "insert", "table": "Bridge", "uuid-name": "bz", "row": {"name": "zeta", "stp_enable": True}},
     {"op": "insert", "table": "Bridge", "uuid-name": "ba", "row": {"name": "alpha"}},
     {"op": "insert", "table": "Bridge", "uuid-name": "bm", "row": {"name": "mu", "stp_enable": True}},
     {"op": "mutate", "table": "Open_vSwitch", "where": [],
      "mutations": [["bridges", "insert", ["set", [["named-uuid", "bz"], ["named-uuid", "ba"],
                                                   ["named-uuid", "bm"]]]]]}],
    [{"op": "select", "table": "Bridge", "where": [], "columns": ["name", "stp_enable"],
      "sort": ["stp_enable", "name"]}],
    [{"op": "select", "table": "Bridge", "where": [["name", "!=", "mu"]], "columns": ["name"],
      "sort": ["name"]}],
    [{"op": "update", "table": "Bridge", "where": [["name", "==", "alpha"]],
      "row": {"flood_vlans": ["set", [3, 1, 2]]}},
     {"op": "select", "table": "Bridge", "where": [["flood_vlans", "includes", ["set", [1, 3]]]],
      "columns": ["name", "flood_vlans"]},
     {"op": "select", "table": "Bridge", "where": [["flood_vlans", "excludes", ["set", [1, 2, 3, 4]]]],
      "columns": ["name"], "sort": ["name"]}],
    [{"op": "delete", "table": "Bridge", "where": [["name", "==", "mu"]]}],
    [{"op": "wait", "table": "Bridge", "where": [["name", "==", "alpha"]], "columns": ["name"],
      "until": "==", "rows": [{"name": "alpha"}], "timeout": 0},
     {"op": "commit", "durable": False}],
]


# (method, params). Not sent: "monitor" with fewer than three parameters,
# which makes ovsdb-server 3.1 crash (numavs-db answers "invalid parameters").
CALLS = [
    ("get_schema", ["Nope"]), ("get_schema", []), ("get_schema", [1]),
    ("transact", ["Nope", {"op": "select", "table": "Bridge", "where": []}]), ("transact", []),
    ("transact", [1]),
    ("monitor", ["Open_vSwitch", None, {"Nope": {}}]),
    ("monitor", ["Open_vSwitch", None, {"Bridge": {"columns": ["nope"]}}]),
    ("monitor", ["Open_vSwitch", None, {"Bridge": {"columns": ["name", "name"]}}]),
    ("monitor", ["Open_vSwitch", None, {"Bridge": {"columns": [1]}}]),
    ("monitor", ["Open_vSwitch", None, {"Bridge": {"columns": "name"}}]),
    ("monitor", ["Open_vSwitch", None, {"Bridge": {"select": {"bogus": True}}}]),
    ("monitor", ["Open_vSwitch", None, {"Bridge": {"select": {"initial": 1}}}]),
    ("monitor", ["Open_vSwitch", None, {"Bridge": {"bogus": 1}}]),
    ("monitor", ["Open_vSwitch", None, {"Bridge": {"where": []}}]),
    ("monitor", ["Open_vSwitch", None, {"Bridge": "x"}]),
    ("monitor", ["Open_vSwitch", None, "x"]),
    ("monitor", ["Nope", None, {}]),
    ("monitor", ["Open_vSwitch", None, {"Open_vSwitch": {"columns": ["next_cfg"]}}]),
    ("monitor_cond", ["Open_vSwitch", "m1", {"Bridge": [{"columns": ["name"], "where": [["name", "~=", "x"]]}]}]),
    ("monitor_cond", ["Open_vSwitch", "m2", {"Bridge": [{"columns": ["name"], "where": [["nope", "==", "x"]]}]}]),
    ("monitor_cond", ["Open_vSwitch", "m3", {"Bridge": [{"columns": ["name"], "where": "x"}]}]),
    ("monitor_cond", ["Open_vSwitch", "m4", {"Bridge": [{"columns": ["name"]}]}, 1]),
    ("monitor_cond", ["Open_vSwitch", "m5", {"Open_vSwitch": [{"columns": ["next_cfg"], "where": [True]}]}]),
    ("monitor_cond_since", ["Open_vSwitch", "s1", {"Bridge": [{"columns": ["name"]}]}, "zz"]),
    ("monitor_cond_since", ["Open_vSwitch", "s1", {"Bridge": [{"columns": ["name"]}]}, 5]),
    ("monitor_cond_since", ["Open_vSwitch", "s2", {"Bridge": [{"columns": ["name"]}]}]),
    ("monitor_cancel", ["nope"]), ("monitor_cancel", []),
    ("monitor_cond_change", ["nope", "new", {}]), ("monitor_cond_change", []),
    ("lock", []), ("lock", [1]), ("lock", ["a", "b"]), ("lock", ["1a"]), ("lock", ["l1"]),
    ("unlock", ["never"]), ("steal", []), ("steal", ["l2"]),
    ("echo", []), ("echo", [1, "a"]), ("list_dbs", []),
    # _Server, read-only to clients (its "schema" column holds each server's
    # own schema text, and ovsdb-server's _Server schema carries a checksum
    # of its file: neither is compared).
    ("transact", ["_Server", {"op": "select", "table": "Database", "where": [],
                              "columns": ["name", "model", "connected", "leader", "index", "sid", "cid"],
                              "sort": ["name"]}]),
    ("transact", ["_Server", {"op": "insert", "table": "Database", "row": {"name": "x"}}]),
    ("transact", ["_Server", {"op": "insert", "table": "Database",
                              "row": {"name": "x", "model": "standalone"}}]),
    ("transact", ["_Server", {"op": "update", "table": "Database", "where": [], "row": {"leader": False}}]),
    ("transact", ["_Server", {"op": "delete", "table": "Database", "where": [["name", "==", "nope"]]}]),
    ("transact", ["_Server", {"op": "mutate", "table": "Database", "where": [],
                              "mutations": [["index", "insert", ["set", [1]]]]}]),
    ("set_db_change_aware", []), ("set_db_change_aware", [True]), ("set_db_change_aware", [1]),
]

# On one connection: a monitor, then what is asked of it and of its locks.
SESSION = [
    ("monitor_cond", ["Open_vSwitch", "m", {"Bridge": [{"columns": ["name"]}]}]),
    ("monitor_cond", ["Open_vSwitch", "m", {"Bridge": [{"columns": ["name"]}]}]),
    ("monitor_cond", ["Open_vSwitch", "n", {"Port": [{"columns": ["name"]}]}]),
    ("monitor_cond_change", ["m", "n", {"Bridge": [{"where": [["name", "==", "x"]]}]}]),
    ("monitor_cond_change", ["m", "m", "x"]),
    ("monitor_cond_change", ["m", "m", {"Nope": []}]),
    ("monitor_cond_change", ["m", "m", {"Port": []}]),
    ("monitor_cond_change", ["m", "m", {"Bridge": {}}]),
    ("monitor_cond_change", ["m", "m", {"Bridge": [{"columns": ["name"]}]}]),
    ("monitor_cond_change", ["m", "m", {"Bridge": [{"bogus": 1}]}]),
    ("monitor_cond_change", ["m", "m", {"Bridge": [{"where": [["nope", "==", 1]]}]}]),
    ("monitor_cond_change", ["m", "m2", {"Bridge": [{"where": [["name", "==", "x"]]}]}]),
    ("monitor_cancel", ["m2"]),
    ("monitor_cancel", ["m2"]),
    ("lock", ["l"]), ("lock", ["l"]), ("steal", ["l"]), ("unlock", ["l"]), ("unlock", ["l"]),
]


MONITORS = [
    ("monitor", ["Open_vSwitch", "v1", {
        "Bridge": {"columns": ["name", "stp_enable", "flood_vlans", "other_config"]},
        "Open_vSwitch": {"columns": ["bridges", "next_cfg"]}}]),
    ("monitor_cond", ["Open_vSwitch", "v2", {
        "Bridge": [{"columns": ["name", "stp_enable", "flood_vlans", "other_config"]}],
        "Open_vSwitch": [{"columns": ["bridges", "next_cfg"]}]}]),
    ("monitor_cond_since", ["Open_vSwitch", "v3", {
        "Bridge": [{"columns": ["name", "flood_vlans", "other_config"],
                    "where": [["stp_enable", "==", True]]}]},
        "00000000-0000-0000-0000-000000000000"]),
    ("monitor_cond", ["Open_vSwitch", "v4", {
        "Bridge": [{"columns": ["name", "flood_vlans"], "select": {"initial": False, "modify": False}}]}]),
]

WATCHED = [
    [{"op": "insert", "table": "Bridge", "uuid-name": "a",
      "row": {"name": "a", "stp_enable": True, "flood_vlans": ["set", [1, 2]],
              "other_config": ["map", [["k", "v"]]]}},
     {"op": "mutate", "table": "Open_vSwitch", "where": [],
      "mutations": [["bridges", "insert", ["named-uuid", "a"]]]}],
    [{"op": "update", "table": "Bridge", "where": [["name", "==", "a"]],
      "row": {"flood_vlans": ["set", [2, 3]], "other_config": ["map", [["k", "w"], ["x", "y"]]]}}],
    [{"op": "update", "table": "Bridge", "where": [["name", "==", "a"]], "row": {"stp_enable": False}}],
    [{"op": "update", "table": "Bridge", "where": [["name", "==", "a"]], "row": {"stp_enable": True}}],
    [{"op": "mutate", "table": "Open_vSwitch", "where": [], "mutations": [["next_cfg", "+=", 1]]}],
    [{"op": "update", "table": "Bridge", "where": [["name", "==", "a"]],
      "row": {"flood_vlans": ["set", []], "other_config": ["map", []]}}],
    [{"op": "update", "table": "Open_vSwitch", "where": [], "row": {"bridges": ["set", []]}}],
]


def _canon(x):
    """UUIDs become "U"; an object keyed by UUIDs (rows in monitor replies)
    becomes the sorted list of its values, since the two servers' UUIDs, and
    so the order of those keys, differ."""
    if isinstance(x, dict):
        if x and all(UUID_RE.fullmatch(k) for k in x):
            return ["U-keyed"] + sorted((_canon(v) for v in x.values()), key=json.dumps)
        return {k: _canon(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_canon(v) for v in x]
    if isinstance(x, str):
        return UUID_RE.sub("U", x)
    return x


def norm(x):
    return json.dumps(_canon(x), sort_keys=True)


def results(kind, numavs_bin):
    srv = harness.Server(kind, numavs_bin=numavs_bin)
    try:
        srv.start()
        srv.vsctl("--no-wait", "init")
        c = harness.RpcClient(srv.remote().replace("unix:", ""), timeout=20)
        out = []
        for ops in CORPUS:
            r = c.wait_reply(c.request("transact", [DB] + ops), timeout=20)
            out.append(norm(r.get("result") if r.get("error") is None else {"jsonrpc-error": r.get("error")}))
        c.close()
        for method, params in CALLS:
            c = harness.RpcClient(srv.remote().replace("unix:", ""), timeout=20)
            r = c.wait_reply(c.request(method, params), timeout=20)
            out.append(norm({"result": r.get("result"), "error": r.get("error")}))
            c.close()
        c = harness.RpcClient(srv.remote().replace("unix:", ""), timeout=20)
        for method, params in SESSION:
            r = c.wait_reply(c.request(method, params), timeout=20)
            out.append(norm({"result": r.get("result"), "error": r.get("error")}))
        c.close()
        out += watched(srv)
        srv.stop()
        srv.check_log(allow=[])
        return out
    finally:
        srv.cleanup()


def watched(srv):
    """The monitors' replies, then per commit the notifications they got
    (sorted by monitor id), as normalised text."""
    mc = harness.RpcClient(srv.remote().replace("unix:", ""), timeout=20)
    out = []
    # Bridges left by the transactions above: out of the way first.
    c = harness.RpcClient(srv.remote().replace("unix:", ""), timeout=20)
    c.wait_reply(c.request("transact", [DB, {"op": "update", "table": "Open_vSwitch", "where": [],
                                             "row": {"bridges": ["set", []]}}]), timeout=20)
    for method, params in MONITORS:
        r = mc.wait_reply(mc.request(method, params), timeout=20)
        out.append(norm({"monitor": params[1], "result": r.get("result"), "error": r.get("error")}))
    for ops in WATCHED:
        c.wait_reply(c.request("transact", [DB] + ops), timeout=20)
        mc.wait_reply(mc.request("echo", ["after"]), timeout=20)
        try:  # anything still on its way
            while True:
                mc.read_some(0.15)
        except socket.timeout:
            pass
        notes, mc.notifications = mc.notifications, []
        out.append(norm({"after": ops, "notifications": sorted(
            (norm(n.get("params")) for n in notes), key=lambda t: t)}))
    c.close()
    mc.close()
    return out


def main():
    harness.require_ovs_tools()
    _, numavs_bin = harness.parse_common_args(kinds=("numavs",))
    f = harness.Failures()
    got = results("numavs", numavs_bin)
    want = results("ovsdb-server", numavs_bin)
    asked = ([("transact", ops) for ops in CORPUS] + CALLS + SESSION
             + [("monitor", m) for m in MONITORS] + [("watched transact", ops) for ops in WATCHED])
    for (method, params), g, w in zip(asked, got, want):
        f.check(g == w, "%s %s:\n  numavs-db:    %s\n  ovsdb-server: %s"
                % (method, harness._short(params, 300), g, w))
    f.check(len(got) == len(want) == len(asked), "%d/%d results for %d requests"
            % (len(got), len(want), len(asked)))
    harness.log("%d transactions, %d other requests, %d monitors over %d commits compared"
                % (len(CORPUS), len(CALLS) + len(SESSION), len(MONITORS), len(WATCHED)))
    f.finish("ovsdb_rpc_differential")


if __name__ == "__main__":
    main()
