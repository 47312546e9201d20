#!/usr/bin/env python3
"""ovsdb_vsctl_differential: one script of real `ovs-vsctl --no-wait` commands,
run against numavs-db and against the real ovsdb-server (each on a fresh DB).
stdout, stderr and exit codes must match after UUID normalisation (first-seen
order); successful commands must have empty stderr; the final
`ovsdb-client dump` must match too.

  test_vsctl_differential.py --numavs-db PATH        (the CTest form)
  test_vsctl_differential.py --server ovsdb-server   (self-check: reference run twice)
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

# (args, expect_success). Every command gets --no-wait.
SCRIPT = [
    (["init"], True),
    (["add-br", "br2", "--", "set", "bridge", "br2", "datapath_type=netdev"], True),
    (["add-port", "br2", "dpdk0", "--", "set", "Interface", "dpdk0", "type=dpdk",
      "options:dpdk-devargs=0000:81:00.1"], True),
    (["set", "Open_vSwitch", ".", 'other_config:dpdk-socket-mem="1024,1024"'], True),
    (["show"], True),
    (["list", "Interface"], True),
    (["list", "Bridge"], True),
    (["get", "Interface", "dpdk0", "options"], True),
    (["--may-exist", "add-br", "br2"], True),
    (["add-port", "br2", "p1"], True),
    (["list-ports", "br2"], True),
    (["find", "Interface", "type=dpdk"], True),
    (["get", "Open_vSwitch", ".", "other_config:dpdk-socket-mem"], True),
    (["del-port", "br2", "dpdk0"], True),
    (["--if-exists", "del-port", "br2", "nope"], True),
    (["list-ports", "br2"], True),
    (["del-br", "br2"], True),
    (["list-br"], True),
    (["list", "Port"], True),
    (["add-port", "nobr", "x"], False),
    (["add-br", "br3"], True),
    (["add-br", "br3"], False),
    (["get", "Interface", "nope", "type"], False),
    (["set", "Interface", "br3", "ofport_request=0"], False),
    (["del-br", "br3"], True),
]

# `list`/`find` print one block per row in hash order: sort the blocks (with
# UUIDs masked) so that row order does not depend on the random UUIDs.
SORT_BLOCKS = {"list", "find"}


def sort_blocks(text):
    blocks = [b for b in text.split("\n\n") if b.strip()]
    blocks = [b.strip("\n") for b in blocks]
    blocks.sort(key=harness.mask_uuids)
    return "\n\n".join(blocks) + ("\n" if blocks else "")


SHOW_BLOCKS = ("Bridge ", "Port ", "Interface ", "Manager ", "Controller ")


def sort_show(text):
    """`show` prints bridges/ports/interfaces in UUID (set) order: sort sibling
    blocks by their UUID-masked text, keeping attribute lines in place."""
    def parse(lines, i, indent):
        nodes = []
        while i < len(lines):
            ind = len(lines[i]) - len(lines[i].lstrip(" "))
            if ind < indent:
                break
            head = lines[i]
            children, i = parse(lines, i + 1, ind + 1)
            nodes.append((head, children))
        return nodes, i

    def render(nodes):
        attrs = [n for n in nodes if not n[0].lstrip().startswith(SHOW_BLOCKS)]
        blocks = [n for n in nodes if n[0].lstrip().startswith(SHOW_BLOCKS)]
        out = []
        for head, children in attrs:
            out += [head] + render(children)
        rendered = [[head] + render(children) for head, children in blocks]
        rendered.sort(key=lambda ls: harness.mask_uuids("\n".join(ls)))
        for r in rendered:
            out += r
        return out

    lines = text.splitlines()
    nodes, _ = parse(lines, 0, 0)
    return "".join(line + "\n" for line in render(nodes))


def normalise_dump(text):
    """ovsdb-client dump: tables come in name order but rows in hash order;
    sort each table's data rows (UUIDs masked) before numbering UUIDs."""
    out, rows = [], []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.endswith(" table") and i + 2 < len(lines) and set(lines[i + 2].strip()) <= set("- "):
            if rows:
                out += sorted(rows, key=harness.mask_uuids)
                rows = []
            out += [line, lines[i + 1], lines[i + 2]]
            i += 3
            continue
        if line.strip() == "":
            out += sorted(rows, key=harness.mask_uuids)
            rows = []
            out.append(line)
        else:
            rows.append(line)
        i += 1
    out += sorted(rows, key=harness.mask_uuids)
    return "\n".join(out) + "\n"


def run_script(kind, numavs_bin):
    """Returns (transcript_text, problems) for one server kind."""
    norm = harness.UuidNormaliser()
    parts, problems = [], []
    srv = harness.Server(kind, numavs_bin=numavs_bin)
    with srv:
        for args, ok in SCRIPT:
            r = srv.vsctl("--no-wait", *args, check=False)
            out = r.stdout
            if args[0] in SORT_BLOCKS:
                out = sort_blocks(out)
            elif args[0] == "show":
                out = sort_show(out)
            # ovs-vsctl's error messages may embed the --db path; hide it.
            err = r.stderr.replace(srv.sock, "<sock>").replace(srv.tmp, "<tmp>")
            parts.append("$ ovs-vsctl --no-wait %s\n[rc=%d]\n--- stdout\n%s--- stderr\n%s" % (
                " ".join(args), r.returncode, norm(out), norm(err)))
            if ok and (r.returncode != 0 or r.stderr):
                problems.append("%s: `ovs-vsctl %s` rc=%d stderr=%r" % (kind, " ".join(args), r.returncode, r.stderr))
            if not ok and r.returncode == 0:
                problems.append("%s: `ovs-vsctl %s` succeeded but must fail" % (kind, " ".join(args)))
        d = srv.run(["ovsdb-client", "--timeout=20", "dump", srv.remote(), "Open_vSwitch"], timeout=30)
        parts.append("$ ovsdb-client dump Open_vSwitch\n[rc=%d]\n--- stdout\n%s--- stderr\n%s" % (
            d.returncode, norm(normalise_dump(d.stdout)), norm(d.stderr)))
        if d.returncode != 0 or d.stderr:
            problems.append("%s: ovsdb-client dump rc=%d stderr=%r" % (kind, d.returncode, d.stderr))
        srv.check_log(allow=[])
    return "\n".join(parts), problems


def main():
    harness.require_ovs_tools()
    kinds, numavs_bin = harness.parse_common_args(kinds=("numavs", "ovsdb-server"))
    f = harness.Failures()
    # Always compare against the reference; with only the reference selected,
    # run it twice (checks that the normalisation is stable).
    ref, ref_problems = run_script("ovsdb-server", numavs_bin)
    for p in ref_problems:
        f.check(False, "reference: " + p)
    others = [k for k in kinds if k != "ovsdb-server"] or ["ovsdb-server"]
    for kind in others:
        got, problems = run_script(kind, numavs_bin)
        for p in problems:
            f.check(False, p)
        if got != ref:
            f.check(False, "%s output differs from ovsdb-server:\n%s" % (
                kind, harness.unified_diff(ref, got, "ovsdb-server", kind)))
    if os.environ.get("NUMAVS_VERBOSE") == "1":
        harness.log(ref)
    f.finish("ovsdb_vsctl_differential")


if __name__ == "__main__":
    main()
