#!/usr/bin/env python3
"""Regenerates the seed corpora in tests/fuzz/corpus/<target>/ (docs/fuzzing.md).

Seeds come from real traffic and from the tests' own messages:
  * ../shared/interop/transcripts/*.txt: JSON-RPC sessions of the real ovs-vsctl,
    ovs-appctl and python IDL (C->S messages per connection), ovs-vsctl command lines;
  * ../shared/interop/transcripts/ofctl.pcap.gz: Ethernet frames of real ovs-ofctl
    sessions (IPv4/TCP), and the OpenFlow messages they carry;
  * tests/ovsdb/test_rpc_differential.py (transactions, calls, monitors),
    tests/ovsdb/test_vsctl_differential.py and tests/vsctl/test_numavs_vsctl.py (command
    lines), src/dp/flow_parse_test.cc and tests/switchd/*.py (flows), and frames shaped
    like tests/switchd/test_pcap.py's traffic.

Files are named by the SHA-1 of their content (as libFuzzer names them), so identical
seeds collapse. Each target gets a few dozen small files. Existing files are kept (a
seed that libFuzzer found interesting and someone merged stays).

    python3 tests/fuzz/make_corpus.py [--shared DIR]
"""

import argparse
import gzip
import hashlib
import json
import os
import re
import shlex
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
MSG_RE = re.compile(r"^\[conn (\d+)\] C->S \+\S+ (\{.*\})$")


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def transcript_sessions(shared):
    """(section title, [C->S message texts]) per section and connection."""
    out = []
    tdir = os.path.join(shared, "interop", "transcripts")
    for name in sorted(os.listdir(tdir)):
        if not name.endswith(".txt"):
            continue
        title, conns = name, {}
        with open(os.path.join(tdir, name), encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                if line.startswith("### "):
                    for msgs in conns.values():
                        out.append((title, msgs))
                    title, conns = line[4:], {}
                    continue
                m = MSG_RE.match(line)
                if m:
                    try:
                        json.loads(m.group(2))
                    except ValueError:
                        continue  # trimmed by the capture
                    conns.setdefault(m.group(1), []).append(m.group(2))
        for msgs in conns.values():
            out.append((title, msgs))
    return out


def rpc(method, params, i):
    return json.dumps({"id": i, "method": method, "params": params}, separators=(",", ":"))


def test_module(path, name):
    sys.path.insert(0, os.path.dirname(path))
    try:
        import importlib.util
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.pop(0)


INIT = rpc("transact", ["Open_vSwitch", {"op": "insert", "table": "Open_vSwitch", "row": {},
                                         "uuid-name": "o"}], 0)


def jsonrpc_and_ovsdb(shared):
    sessions = transcript_sessions(shared)
    seen = set()
    for title, msgs in sessions:
        stream = "".join(msgs)
        if stream in seen:
            continue
        seen.add(stream)
        write("jsonrpc_framer", b"\x00" + stream.encode())
        if any('"transact"' in m or '"monitor' in m for m in msgs):
            write("ovsdb_transact", stream)
    # Framing edge cases: whitespace between messages, strings with brackets and escapes,
    # a message cut short, a small message limit (control bit 7).
    write("jsonrpc_framer", b"\x00" + b' {"id":1,"method":"echo","params":["]}\\"["]}\n\t[1,{"a":[]}]')
    write("jsonrpc_framer", b"\x85" + b'{"id":2,"method":"echo","params":[' + b'"x",' * 40 + b'0]}')
    write("jsonrpc_framer", b"\x01" + b'{"id":3,"params":[1e400,-0,18446744073709551616,"\\u00e9"]}{"id"')

    rd = test_module(os.path.join(REPO, "tests", "ovsdb", "test_rpc_differential.py"), "rpcdiff")
    corpus = rd.CORPUS
    for i in range(0, len(corpus), 4):
        stream = INIT + "".join(rpc("transact", ["Open_vSwitch"] + ops, i + j + 1)
                                for j, ops in enumerate(corpus[i:i + 4]))
        write("ovsdb_transact", stream)
    calls = [c for c in rd.CALLS if c[0].startswith(("transact", "monitor"))]
    for i in range(0, len(calls), 6):
        write("ovsdb_transact", INIT + "".join(rpc(m, p, i + j) for j, (m, p) in enumerate(calls[i:i + 6])))
    session = [c for c in rd.SESSION if c[0].startswith("monitor")]
    write("ovsdb_transact", "".join(rpc(m, p, j) for j, (m, p) in enumerate(session)) + INIT)
    mons = [rpc(m, p, j) for j, (m, p) in enumerate(getattr(rd, "MONITORS", []))
            if isinstance(m, str) and isinstance(p, list)]
    if mons:
        write("ovsdb_transact", "".join(mons) + INIT + "".join(
            rpc("transact", ["Open_vSwitch"] + ops, 50 + j) for j, ops in enumerate(corpus[-5:])))


def vsctl(shared):
    lines = []
    tdir = os.path.join(shared, "interop", "transcripts")
    for name in sorted(os.listdir(tdir)):
        if name.startswith("vsctl") and name.endswith(".txt"):
            with open(os.path.join(tdir, name), encoding="utf-8", errors="replace") as f:
                for line in f:
                    m = re.match(r"^### [^:]+: ovs-vsctl (.*?)\s+\(rc=\d+\)$", line)
                    if m:
                        lines.append(shlex.split(m.group(1)))
    for path, name, attr in [("tests/ovsdb/test_vsctl_differential.py", "vsdiff", "SCRIPT"),
                             ("tests/vsctl/test_numavs_vsctl.py", "vsnum", "EXTRA")]:
        mod = test_module(os.path.join(REPO, path), name)
        lines += [args for args, _ in getattr(mod, attr)]
    lines += [["--dry-run", "--oneline", "--timeout=5", "--db=unix:/x", "list-br"],
              ["--id=@q", "create", "QoS", "type=linux-htb", "--", "set", "Port", "p1", "qos=@q"],
              ["--help"], ["-h"], ["--version"], ["--no-wait", "--", "add-br", "b", "--", "del-br", "b"]]
    for args in lines:
        write("vsctl_cmdline", "\n".join(args))


def flows():
    texts = set()
    with open(os.path.join(REPO, "src", "dp", "flow_parse_test.cc"), encoding="utf-8") as f:
        for lit in re.findall(r'"((?:[^"\\]|\\.)*)"', f.read()):
            if ("=" in lit or lit in ("ip", "arp", "tcp6", "drop")) and "{" not in lit:
                texts.add(lit.encode().decode("unicode_escape"))
    swdir = os.path.join(REPO, "tests", "switchd")
    for name in sorted(os.listdir(swdir)):
        if name.endswith(".py"):
            with open(os.path.join(swdir, name), encoding="utf-8") as f:
                for lit in re.findall(r'"([^"\n]*actions=[^"\n]*)"', f.read()):
                    if "{" not in lit:
                        texts.add(lit)
    texts.add("in_port=1,actions=output:2")  # the ovs-ofctl transcripts' flow
    for t in sorted(texts):
        write("flow_parse", t)


def pcapng_frames(path):
    data = gzip.open(path).read()
    off, frames = 0, []
    while off + 12 <= len(data):
        btype, blen = struct.unpack("<II", data[off:off + 8])
        if blen < 12:
            break
        body = data[off + 8:off + blen - 4]
        if btype == 6:
            caplen = struct.unpack("<I", body[12:16])[0]
            frames.append(body[20:20 + caplen])
        off += blen
    return frames


def eth(dst, src, ethertype, payload, vlan=None):
    tag = struct.pack("!HH", 0x8100, vlan) if vlan is not None else b""
    return dst + src + tag + struct.pack("!H", ethertype) + payload


def ipv4(proto, l4, flags_frag=0, ihl=5):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0x10, 4 * ihl + len(l4), 1, flags_frag, 64, proto, 0,
                      bytes([10, 0, 0, 1]), bytes([10, 1, 2, 3]))
    return hdr + bytes(4 * (ihl - 5)) + l4


def key_frames(shared):
    out = []
    real = pcapng_frames(os.path.join(shared, "interop", "transcripts", "ofctl.pcap.gz"))
    seen = set()
    for fr in real:  # one per (TCP flags, size class): SYN, ACK, PSH with OpenFlow payloads
        shape = (fr[47:48], min(len(fr) // 64, 8))
        if shape not in seen and len(fr) <= 1518:
            seen.add(shape)
            out.append(fr)
    a, b = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
    tcp = struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, 0x50, 0x18, 8192, 0, 0)
    udp = struct.pack("!HHHH", 5000, 53, 8, 0)
    v6 = struct.pack("!IHBB16s16s", 0x60000000, len(udp), 17, 64, b"\xfe\x80" + bytes(13) + b"\x01",
                     b"\xfe\x80" + bytes(13) + b"\x02") + udp
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, a, bytes([10, 1, 0, 1]), bytes(6),
                      bytes([10, 1, 0, 2]))
    out += [eth(b, a, 0x0800, ipv4(6, tcp)), eth(b, a, 0x0800, ipv4(17, udp), vlan=5),
            eth(b, a, 0x0800, ipv4(1, b"\x08\x00\x00\x00")), eth(b, a, 0x0800, ipv4(6, tcp, 0x2000)),
            eth(b, a, 0x0800, ipv4(6, tcp, 0x0010)), eth(b, a, 0x0800, ipv4(6, tcp, ihl=6)),
            eth(b, a, 0x86DD, v6), eth(b, a, 0x86DD, v6[:6] + b"\x3a" + v6[7:40] + b"\x80\x00\x00\x00"),
            eth(b"\xff" * 6, a, 0x0806, arp), eth(b, a, 0x0040, bytes(40)),
            b[:6] + a + struct.pack("!HHHH", 0x88A8, 10, 0x8100, 20) + b"\x08\x00" + ipv4(17, udp),
            eth(b, a, 0x0800, ipv4(6, tcp) + bytes(20)), b + a[:4]]
    for fr in out:
        write("flow_key", b"\x00\x00" + fr)
        write("flow_key", bytes([len(fr) // 2 % 256, 0x01]) + fr)
    return real


def openflow_messages(frames):
    """The OpenFlow messages in the capture's TCP streams, one per (version, type)."""
    streams = {}
    for fr in frames:
        if fr[12:14] != b"\x08\x00" or fr[23] != 6:
            continue
        ihl = (fr[14] & 0x0F) * 4
        total = struct.unpack("!H", fr[16:18])[0]
        tcp = fr[14 + ihl:14 + total]
        sport, dport, seq = struct.unpack("!HHI", tcp[:8])
        payload = tcp[(tcp[12] >> 4) * 4:]
        if payload:
            streams.setdefault((sport, dport), {})[seq] = payload
    seen = set()
    for segs in streams.values():
        data = b"".join(segs[k] for k in sorted(segs))
        while len(data) >= 8:
            ver, typ, length = struct.unpack("!BBH", data[:4])
            if not 1 <= ver <= 6 or length < 8 or length > len(data):
                break
            if (ver, typ) not in seen and length <= 4096:
                seen.add((ver, typ))
                write("openflow_decode", data[:length])
            data = data[length:]


def log_file(records, raw=True):
    out = b""
    for r in records:
        body = json.dumps(r, separators=(",", ":")).encode()
        out += b"NUMAVS-LOG %d %08x\n" % (len(body), zlib.crc32(body)) + body + b"\n"
    return out


def storage():
    small = {"name": "S", "version": "1.0.0", "tables": {
        "T": {"columns": {"name": {"type": "string"}, "n": {"type": {"key": "integer", "min": 0, "max": 1}},
                          "refs": {"type": {"key": {"type": "uuid", "refTable": "T"}, "min": 0,
                                            "max": "unlimited"}}},
              "isRoot": True, "indexes": [["name"]]}}}
    u1, u2 = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
    recs = [small, {"T": {u1: {"name": "a", "n": ["set", [3]]}}, "_date": 1, "_comment": "x"},
            {"T": {u2: {"name": "b", "refs": ["uuid", u1]}}, "_date": 2},
            {"T": {u1: {"n": ["set", []]}}, "_date": 3}, {"T": {u2: None}, "_date": 4}]
    good = log_file(recs)
    write("ovsdb_log", b"\x00" + good)
    write("ovsdb_log", b"\x00" + good[:-7])                       # torn last record
    write("ovsdb_log", b"\x00" + good + bytes(300))               # preallocated zeros
    write("ovsdb_log", b"\x00" + good[:120] + b"X" + good[121:])  # damage in the middle
    write("ovsdb_log", b"\x00" + log_file(recs[:2] + [{"T": {u2: None}}] + recs[2:]))  # bad replay
    write("ovsdb_log", b"\x00" + log_file([recs[0], {"U": {}}]))
    lines = b"\n".join(json.dumps(r, separators=(",", ":")).encode() for r in recs) + b"\n"
    write("ovsdb_log", b"\x01" + lines)
    write("ovsdb_log", b"\x01" + lines + b"NUMAVS-LOG 10 0000")
    with open(os.path.join(REPO, "schema", "vswitch.ovsschema"), encoding="utf-8") as f:
        vswitch = json.load(f)
    ovs_u = "33333333-3333-3333-3333-333333333333"
    write("ovsdb_log", b"\x00" + log_file([vswitch, {"Open_vSwitch": {ovs_u: {}}, "_date": 1},
                                           {"Open_vSwitch": {ovs_u: {"next_cfg": 1}}, "_date": 2}]))


def main():
    ap = argparse.ArgumentParser()
    default = next((d for d in (os.path.join(REPO, "..", "shared"), os.path.join(REPO, "..", "..", "shared"))
                    if os.path.isdir(d)), None)
    ap.add_argument("--shared", default=default, help="the shared directory beside the repository")
    args = ap.parse_args()
    if not args.shared:
        ap.error("no ../shared beside the repository: give --shared DIR")
    jsonrpc_and_ovsdb(args.shared)
    vsctl(args.shared)
    flows()
    frames = key_frames(args.shared)
    openflow_messages(frames)
    storage()
    for t in sorted(os.listdir(os.path.join(HERE, "corpus"))):
        print(t, len(os.listdir(os.path.join(HERE, "corpus", t))))


if __name__ == "__main__":
    main()
