#!/usr/bin/env python3
"""Python IDL (python3-openvswitch) smoke test against a server on our schema.

Usage: pyidl_check.py REMOTE REFERENCE.ovsschema

Does what ovsdbapp/os-vif do: fetch the schema from the server with
get_schema, register every table and column, wait for the initial contents,
then commit a transaction using setkey, verify, increment and an insert.
Fails on any WARN/ERR logged by the IDL, and if the served schema lacks a
table or column that the given schema file has.
"""

import logging
import sys
import time

import ovs.db.idl
import ovs.db.schema
import ovs.json
import ovs.jsonrpc
import ovs.poller
import ovs.stream

TIMEOUT_S = 20


class Recorder(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(self.format(record))


def fetch_schema(remote):
    err, stream = ovs.stream.Stream.open_block(ovs.stream.Stream.open(remote))
    if err:
        raise RuntimeError(f"cannot connect to {remote}: {err}")
    rpc = ovs.jsonrpc.Connection(stream)
    req = ovs.jsonrpc.Message.create_request("get_schema", ["Open_vSwitch"])
    err, reply = rpc.transact_block(req)
    rpc.close()
    if err or reply.error:
        raise RuntimeError(f"get_schema failed: {err or reply.error}")
    return reply.result


def run_until(idl, predicate):
    deadline = time.monotonic() + TIMEOUT_S
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for the IDL")
        idl.run()
        if predicate():
            break
        poller = ovs.poller.Poller()
        idl.wait(poller)
        poller.timer_wait(100)
        poller.block()


def main(argv):
    remote, schema_path = argv[1], argv[2]
    recorder = Recorder()
    logging.getLogger().addHandler(recorder)

    served_json = fetch_schema(remote)
    served = ovs.db.schema.DbSchema.from_json(served_json)
    wanted = ovs.db.schema.DbSchema.from_json(ovs.json.from_file(schema_path))
    missing = [f"{t}.{c}" for t, ts in wanted.tables.items()
               for c in ts.columns if t not in served.tables
               or c not in served.tables[t].columns]
    if missing:
        print("served schema lacks: " + ", ".join(missing))
        return 1

    helper = ovs.db.idl.SchemaHelper(schema_json=served_json)
    helper.register_all()
    idl = ovs.db.idl.Idl(remote, helper)
    seqno = idl.change_seqno
    run_until(idl, lambda: idl.change_seqno != seqno and idl.has_ever_connected())

    ovs_rows = list(idl.tables["Open_vSwitch"].rows.values())
    if len(ovs_rows) != 1:
        print(f"expected 1 Open_vSwitch row, got {len(ovs_rows)}")
        return 1
    root = ovs_rows[0]

    txn = ovs.db.idl.Transaction(idl)
    txn.add_comment("numavs pyidl_check")
    root.verify("bridges")
    root.setkey("external_ids", "pyidl", "yes")
    br = txn.insert(idl.tables["Bridge"])
    br.name = "pybr"
    br.datapath_type = "netdev"
    br.protocols = ["OpenFlow13"]
    br.fail_mode = "standalone"
    root.addvalue("bridges", br.uuid)
    root.increment("next_cfg")
    status = txn.commit_block()
    if status != ovs.db.idl.Transaction.SUCCESS:
        print(f"commit failed: {status} {txn.get_error()}")
        return 1

    run_until(idl, lambda: any(b.name == "pybr"
                               for b in idl.tables["Bridge"].rows.values()))
    ntables = len(idl.tables)
    ncols = sum(len(t.columns) for t in idl.tables.values())
    idl.close()

    if recorder.records:
        print("IDL logged warnings:")
        for r in recorder.records:
            print("    " + r)
        return 1
    print(f"python IDL: {ntables} tables, {ncols} columns registered; "
          f"transaction committed (next_cfg={txn.get_increment_new_value()})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
