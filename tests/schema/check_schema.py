#!/usr/bin/env python3
"""Semantic comparison of two OVSDB schemas (RFC 7047 section 3.2).

Usage: check_schema.py OURS.ovsschema REFERENCE.ovsschema

Compares numavs's schema with a reference (normally the installed Open vSwitch
one) after normalising every type to one canonical form, so that spelling
differences ("string" vs {"key": "string"} vs {"key": {"type": "string"}},
omitted min/max, enum given as a bare atom or as a set, refType omitted vs
"strong", column or index order) do not count. Each difference is printed on
one line, prefixed by its class:

  DIFF  affects clients: missing table or column, different type or
        constraint, isRoot, maxRows, indexes, mutable, schema name.
  NOTE  does not affect clients: extra table or column, ephemeral, version,
        cksum.

Exit status: 0 = no DIFF, 1 = at least one DIFF, 2 = usage or parse error,
77 = reference schema not installed (skip, for CTest SKIP_RETURN_CODE).
"""

import json
import os
import sys

SKIP = 77
ATOMIC_TYPES = ("integer", "real", "boolean", "string", "uuid")


class SchemaError(Exception):
    pass


def canon_atom_set(value, where):
    """An enum is an <atom> or ["set", [<atom>...]]; return a sorted tuple."""
    if isinstance(value, list) and len(value) == 2 and value[0] == "set":
        atoms = value[1]
    elif isinstance(value, list):
        raise SchemaError(f"{where}: enum must be an atom or [\"set\", [...]]")
    else:
        atoms = [value]
    return tuple(sorted(atoms, key=lambda a: json.dumps(a, sort_keys=True)))


def canon_base(base, where):
    """Normalise an <base-type> to a dict with only meaningful members."""
    if isinstance(base, str):
        base = {"type": base}
    if not isinstance(base, dict) or base.get("type") not in ATOMIC_TYPES:
        raise SchemaError(f"{where}: bad base type {json.dumps(base)}")
    out = {"type": base["type"]}
    if "enum" in base:
        out["enum"] = canon_atom_set(base["enum"], where)
    for bound in ("minInteger", "maxInteger", "minReal", "maxReal",
                  "minLength", "maxLength"):
        if bound in base:
            out[bound] = base[bound]
    if "refTable" in base:
        out["refTable"] = base["refTable"]
        # refType only means something together with refTable.
        out["refType"] = base.get("refType", "strong")
    known = {"type", "enum", "minInteger", "maxInteger", "minReal",
             "maxReal", "minLength", "maxLength", "refTable", "refType"}
    unknown = set(base) - known
    if unknown:
        raise SchemaError(f"{where}: unknown base-type members {sorted(unknown)}")
    return out


def canon_type(col_type, where):
    """Normalise a column <type> to {key, value|None, min, max}."""
    if isinstance(col_type, str):
        col_type = {"key": col_type}
    if not isinstance(col_type, dict) or "key" not in col_type:
        raise SchemaError(f"{where}: bad type {json.dumps(col_type)}")
    out = {
        "key": canon_base(col_type["key"], where + " key"),
        "value": (canon_base(col_type["value"], where + " value")
                  if "value" in col_type else None),
        "min": col_type.get("min", 1),
        "max": col_type.get("max", 1),
    }
    if out["min"] not in (0, 1):
        raise SchemaError(f"{where}: min must be 0 or 1")
    if out["max"] != "unlimited" and (not isinstance(out["max"], int)
                                      or out["max"] < max(1, out["min"])):
        raise SchemaError(f"{where}: bad max {out['max']!r}")
    return out


def type_str(t):
    """Compact, deterministic text for a canonical type (for messages)."""
    return json.dumps(t, sort_keys=True, separators=(",", ":"))


def load(path):
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    for member in ("name", "version", "tables"):
        if member not in raw:
            raise SchemaError(f"{path}: missing top-level member {member!r}")
    tables = {}
    for tname, t in raw["tables"].items():
        cols = {}
        for cname, c in t.get("columns", {}).items():
            where = f"{tname}.{cname}"
            cols[cname] = {
                "type": canon_type(c["type"], where),
                "ephemeral": bool(c.get("ephemeral", False)),
                "mutable": bool(c.get("mutable", True)),
            }
        tables[tname] = {
            "isRoot": bool(t.get("isRoot", False)),
            "maxRows": t.get("maxRows", "unlimited"),
            "indexes": sorted(tuple(sorted(ix)) for ix in t.get("indexes", [])),
            "columns": cols,
        }
    # Backward-compatibility rule of ovsdb-server: no root table at all means
    # every table is a root.
    if not any(t["isRoot"] for t in tables.values()):
        for t in tables.values():
            t["isRoot"] = True
    return raw, tables


def self_check(path, tables):
    """Internal consistency of one schema (refTable targets, index columns)."""
    problems = []
    for tname, t in tables.items():
        for ix in t["indexes"]:
            for cname in ix:
                if cname not in t["columns"]:
                    problems.append(f"DIFF {path}: {tname}: index column {cname} does not exist")
        for cname, c in t["columns"].items():
            for part in ("key", "value"):
                base = c["type"][part]
                if base and "refTable" in base and base["refTable"] not in tables:
                    problems.append(f"DIFF {path}: {tname}.{cname}: refTable "
                                    f"{base['refTable']} does not exist")
    return problems


def compare(ours_raw, ours, ref_raw, ref):
    lines = []
    if ours_raw["name"] != ref_raw["name"]:
        lines.append(f"DIFF schema name: ours={ours_raw['name']} ref={ref_raw['name']}")
    if ours_raw["version"] != ref_raw["version"]:
        lines.append(f"NOTE version: ours={ours_raw['version']} ref={ref_raw['version']}")
    if ours_raw.get("cksum") != ref_raw.get("cksum"):
        lines.append(f"NOTE cksum: ours={ours_raw.get('cksum')} ref={ref_raw.get('cksum')}")

    for tname in sorted(set(ours) | set(ref)):
        if tname not in ours:
            lines.append(f"DIFF {tname}: table missing")
            continue
        if tname not in ref:
            lines.append(f"NOTE {tname}: extra table")
            continue
        o, r = ours[tname], ref[tname]
        for prop in ("isRoot", "maxRows", "indexes"):
            if o[prop] != r[prop]:
                lines.append(f"DIFF {tname}: {prop}: ours={json.dumps(o[prop])} "
                             f"ref={json.dumps(r[prop])}")
        for cname in sorted(set(o["columns"]) | set(r["columns"])):
            where = f"{tname}.{cname}"
            if cname not in o["columns"]:
                lines.append(f"DIFF {where}: column missing")
                continue
            if cname not in r["columns"]:
                lines.append(f"NOTE {where}: extra column")
                continue
            oc, rc = o["columns"][cname], r["columns"][cname]
            if oc["type"] != rc["type"]:
                lines.append(f"DIFF {where}: type: ours={type_str(oc['type'])} "
                             f"ref={type_str(rc['type'])}")
            if oc["mutable"] != rc["mutable"]:
                lines.append(f"DIFF {where}: mutable: ours={oc['mutable']} ref={rc['mutable']}")
            if oc["ephemeral"] != rc["ephemeral"]:
                lines.append(f"NOTE {where}: ephemeral: ours={oc['ephemeral']} "
                             f"ref={rc['ephemeral']}")
    return lines


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    ours_path, ref_path = argv[1], argv[2]
    if not os.path.exists(ref_path):
        print(f"SKIP: reference schema {ref_path} is not installed")
        return SKIP
    try:
        ours_raw, ours = load(ours_path)
        ref_raw, ref = load(ref_path)
    except (OSError, ValueError, KeyError, SchemaError) as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return 2

    lines = self_check(ours_path, ours) + compare(ours_raw, ours, ref_raw, ref)
    for line in lines:
        print(line)
    ndiff = sum(1 for line in lines if line.startswith("DIFF"))
    ncols = sum(len(t["columns"]) for t in ours.values())
    print(f"{'FAIL' if ndiff else 'PASS'}: {ours_raw['name']}: {len(ours)} tables, "
          f"{ncols} columns; {ndiff} client-visible differences, "
          f"{len(lines) - ndiff} notes")
    return 1 if ndiff else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
