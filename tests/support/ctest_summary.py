#!/usr/bin/env python3
"""Summary of one ctest run from its JUnit file (ctest --output-junit FILE).

Prints the passed/failed/skipped counts, then each skipped test with the
reason it gave: a script test's "SKIP: ..." lines, a GoogleTest binary's
"Skipped" messages (tests/support/gtest_main.cc makes such a binary exit 77).

  ctest_summary.py [--name NAME] [--fail-on-skip] JUNIT.xml

Exit status: 0; 1 if the file is missing or unreadable; 2 with --fail-on-skip
when any test skipped (scripts/test.sh passes it when running as root: CI runs
as root with every prerequisite installed, so nothing may skip there).
"""
import argparse
import re
import sys
import xml.etree.ElementTree as ET

GTEST_SKIP_RE = re.compile(r"^[^\n]*: Skipped\n(.*?)\n\[  SKIPPED \] (\S+)", re.S | re.M)


def skip_reasons(out):
    """The reasons a test's output gives for its skips (one string each)."""
    reasons = []
    for m in GTEST_SKIP_RE.finditer(out):
        why = " ".join(line.strip() for line in m.group(1).splitlines() if line.strip())
        reasons.append("%s: %s" % (m.group(2), why or "(no reason given)"))
    for line in out.splitlines():
        # gtest_main.cc's own "SKIP: N of M tests skipped" line only counts them.
        if line.startswith("SKIP:") and "tests skipped (each says why above)" not in line:
            reasons.append(line[len("SKIP:"):].strip())
    return reasons or ["(no reason in the output: a test that skips must say why)"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", default="ctest")
    ap.add_argument("--fail-on-skip", action="store_true")
    ap.add_argument("junit")
    a = ap.parse_args()
    try:
        root = ET.parse(a.junit).getroot()
    except (OSError, ET.ParseError) as e:
        print("%s: cannot read the test results %s: %s" % (a.name, a.junit, e))
        return 1
    passed, failed, skipped = [], [], []
    for tc in root.iter("testcase"):
        name = tc.get("name")
        status = tc.get("status")
        if tc.find("skipped") is not None or status in ("notrun", "disabled"):
            out = tc.findtext("system-out") or ""
            skipped.append((name, skip_reasons(out)))
        elif tc.find("failure") is not None or status == "fail":
            failed.append(name)
        else:
            passed.append(name)
    print("== %s: %d passed, %d failed, %d skipped (of %d)" % (
        a.name, len(passed), len(failed), len(skipped), len(passed) + len(failed) + len(skipped)))
    for name in failed:
        print("   FAILED  %s" % name)
    for name, reasons in skipped:
        print("   SKIPPED %s" % name)
        for r in reasons:
            print("           %s" % r)
    if skipped and a.fail_on_skip:
        print("== %s: %d test(s) skipped while running as root; on a machine set up by "
              "scripts/setup.sh nothing may skip: install what they name, or fix them" % (a.name, len(skipped)))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
