#!/usr/bin/env python3
"""Make ovs-vsctl output comparable between two servers (stdin -> stdout).

Usage: normalise_vsctl.py [--tree]            (stdin -> stdout)
       normalise_vsctl.py --transcript DIR    (DIR/N.{cmd,rc,out,err} -> stdout)

Every UUID becomes <uuid>. ovs-vsctl prints rows in hash-of-UUID order, so:
blank-line separated records (`list`, `find`) are sorted; with --tree (for
`show`) the indentation tree is rebuilt and the children of every node are
sorted, so Ports, Interfaces and Controllers compare regardless of order.
"""

import os
import re
import sys

UUID_RE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def indent_of(line):
    return len(line) - len(line.lstrip(" "))


def tree_sort(lines):
    """Return lines with the children of every node sorted by subtree text."""
    def subtree(i, depth):
        # Parse the siblings at indentation >= depth starting at line i;
        # return them sorted and flattened, plus the next unparsed index.
        nodes = []
        while i < len(lines) and indent_of(lines[i]) >= depth:
            head = lines[i]
            children, i = subtree(i + 1, indent_of(head) + 1)
            nodes.append([head] + children)
        nodes.sort()
        return [line for node in nodes for line in node], i

    out, _ = subtree(0, 0)
    return out


def normalise(text, tree):
    text = UUID_RE.sub("<uuid>", text)
    if tree:
        lines = [l for l in text.split("\n") if l.strip()]
        return "".join(l + "\n" for l in tree_sort(lines))
    records = [r.strip("\n") for r in re.split(r"\n\s*\n", text) if r.strip()]
    return "".join(r + "\n\n" for r in sorted(records))


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def transcript(directory):
    """One section per command: the command, rc, stdout, stderr."""
    numbers = sorted(int(os.path.splitext(n)[0])
                     for n in os.listdir(directory) if n.endswith(".cmd"))
    out = []
    for n in numbers:
        base = os.path.join(directory, str(n))
        cmd = read(base + ".cmd").strip()
        out.append(f"$ {cmd}\nrc={read(base + '.rc').strip()}\n")
        out.append(normalise(read(base + ".out"), cmd.endswith(" show")))
        err = read(base + ".err")
        if err.strip():
            out.append("stderr:\n" + normalise(err, False))
    return "".join(out)


def main(argv):
    if len(argv) == 3 and argv[1] == "--transcript":
        sys.stdout.write(transcript(argv[2]))
    else:
        sys.stdout.write(normalise(sys.stdin.read(), "--tree" in argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
