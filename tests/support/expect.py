#!/usr/bin/env python3
"""Runs a command and checks its exit status AND its output.

CTest's PASS_REGULAR_EXPRESSION alone ignores the exit status, so a command
that printed the right text and exited with the wrong status would pass.

  expect.py --status N [--output REGEX]... -- COMMAND [ARG]...

Passes (exit 0) when COMMAND exits with status N and every REGEX (Python re,
searched in stdout and stderr together) matches; otherwise prints what differs
and exits 1. COMMAND's output is echoed for the CTest log.
"""
import argparse
import re
import subprocess
import sys


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        print("usage: expect.py --status N [--output REGEX]... -- COMMAND [ARG]...")
        return 1
    i = argv.index("--")
    ap = argparse.ArgumentParser()
    ap.add_argument("--status", type=int, required=True)
    ap.add_argument("--output", action="append", default=[])
    a = ap.parse_args(argv[:i])
    cmd = argv[i + 1:]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    out = r.stdout + r.stderr
    sys.stdout.write(out)
    bad = []
    if r.returncode != a.status:
        bad.append("exit status %d, want %d" % (r.returncode, a.status))
    for rx in a.output:
        if not re.search(rx, out):
            bad.append("no match in the output for %r" % rx)
    for b in bad:
        print("FAIL: %s: %s" % (cmd[0], b))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
