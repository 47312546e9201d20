#!/usr/bin/env python3
"""switchd_pmd_knobs: the PMD knobs OVS users tune, driven through ovs-vsctl/ovs-appctl.

Two PMDs (pmd-cpu-mask=0x3) poll four net_null ports: h1 and h2 receive at full
rate (heavy), l1 and l2 are created with no-rx=1 (idle). The measuring interval is
shortened to 200 ms (NUMAVS_PMD_INTERVAL_MS) so that OVS's 12 intervals take 2.4 s.

- pmd-rxq-assign=roundrobin deals the queues in port order (consecutive queues on
  alternate PMDs), which puts h1 and h2 together; pmd-rxq-show measures them busy
  ("pmd usage: N %") and l1/l2 at 0 %, isolated : false.
- pmd-rxq-assign=cycles re-plans with the measured cycles: h1 and h2 on different PMDs.
- The load moves: h1 becomes idle and l1 heavy (their devices are swapped); once the
  measurements have caught up, pmd-rxq-rebalance puts l1 and h2 on different PMDs,
  and h1's usage has fallen to 0 %.
- pmd-stats-show has OVS's lines (idle/processing cycles, avg cycles per packet), -pmd N
  shows one PMD, pmd-stats-clear resets; a bad pmd-rxq-assign is refused with the key
  named and the previous mode kept.
- pmd-auto-lb (load threshold 70 %): the load moves again, beside the other heavy queue (devices reopened
  as they were keep their places); auto-lb finds one PMD overloaded for 12 intervals,
  its dry run improves the variance, and it puts the two heavy queues apart. Its
  status is logged as OVS logs it.

  test_pmd_knobs.py --bindir DIR
"""
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from system import DPDK_ENV_ALLOW, System, bindir_from_argv  # noqa: E402

LOG_ALLOW = DPDK_ENV_ALLOW + [
    # The bad value this test sets on purpose.
    r'\|WARN\|other_config:pmd-rxq-assign="fastest" is invalid',
]
INTERVAL_MS = 200
WINDOW_S = 12 * INTERVAL_MS / 1000.0


def placement(s):
    """pmd-rxq-show -> ({port: core}, {port: usage % or None}, {core: isolated})."""
    out = s.appctl("dpif-netdev/pmd-rxq-show").stdout
    core, at, usage, iso = None, {}, {}, {}
    for line in out.splitlines():
        m = re.match(r"pmd thread numa_id \d+ core_id (\d+):$", line)
        if m:
            core = int(m.group(1))
            continue
        m = re.match(r"  isolated : (true|false)$", line)
        if m:
            iso[core] = m.group(1) == "true"
            continue
        m = re.match(r"  port: (\S+)\s+queue-id:\s+(\d+) \(enabled\)   pmd usage: (?:\s*(\d+) %|NOT AVAIL)", line)
        if m:
            at[m.group(1)] = core
            usage[m.group(1)] = int(m.group(3)) if m.group(3) is not None else None
    return at, usage, iso, out


def main():
    harness.require_ovs_tools()
    if os.geteuid() != 0:
        harness.skip("needs root for network namespaces and the EAL")
    if os.cpu_count() < 2:
        harness.skip("needs 2 CPUs for two PMD threads")
    bindir = bindir_from_argv()
    f = harness.Failures()
    s = System(bindir, log_allow=LOG_ALLOW)
    s.env["NUMAVS_PMD_INTERVAL_MS"] = str(INTERVAL_MS)
    try:
        s.start_dpdk()
        s.vsctl("set", "Open_vSwitch", ".", "other_config:pmd-cpu-mask=0x3",
                "other_config:pmd-rxq-assign=roundrobin")
        s.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
        s.ofctl("del-flows", "br0")
        s.ofctl("add-flow", "br0", "priority=0,actions=drop")
        devs = {"h1": "net_null0", "l1": "net_null1,no-rx=1", "h2": "net_null2", "l2": "net_null3,no-rx=1"}
        for name in ("h1", "l1", "h2", "l2"):
            s.vsctl("add-port", "br0", name, "--", "set", "Interface", name, "type=dpdk",
                    "options:dpdk-devargs=%s" % devs[name])

        # roundrobin: port order, alternate PMDs; h1 and h2 share one.
        harness.wait_until(lambda: len(placement(s)[0]) >= 4, "four queues polled", timeout=20)
        time.sleep(WINDOW_S / 2)
        at, usage, iso, out = placement(s)
        f.check(at["h1"] != at["l1"] and at["l1"] != at["h2"] and at["h2"] != at["l2"],
                "roundrobin deals in port order:\n" + out)
        f.check(at["h1"] == at["h2"], "roundrobin puts h1 and h2 together:\n" + out)
        f.check(out.startswith("Displaying last 60 seconds pmd usage %\n"), "header:\n" + out)
        f.check(iso == {0: False, 1: False}, "isolated : false on both:\n" + out)
        f.check(all(usage[p] is not None and usage[p] > 0 for p in ("h1", "h2")), "heavy queues busy:\n" + out)
        f.check(usage["l1"] == 0 and usage["l2"] == 0, "idle queues at 0 %:\n" + out)
        f.check(re.search(r"  overhead: +\d+ %\n", out) is not None, "overhead line:\n" + out)

        # pmd-stats-show: OVS's lines; -pmd N; pmd-stats-clear.
        stats = s.appctl("dpif-netdev/pmd-stats-show").stdout
        for line in ("packets received", "emc hits", "megaflow hits", "miss with success upcall",
                     "idle cycles", "processing cycles", "avg cycles per packet",
                     "avg processing cycles per packet"):
            f.check(re.search(r"\n  %s: \d" % line, stats) is not None, "pmd-stats-show has %r:\n%s" % (line, stats))
        one = s.appctl("dpif-netdev/pmd-stats-show", "-pmd", "1").stdout
        f.check(one.startswith("pmd thread numa_id 0 core_id 1:\n") and one.count("pmd thread") == 1,
                "pmd-stats-show -pmd 1:\n" + one)
        r = s.appctl("dpif-netdev/pmd-stats-show", "-pmd", "x", check=False)
        f.check(r.returncode != 0 and "-pmd \"x\"" in r.stderr, "bad -pmd refused: %r" % r.stderr)
        def cycles(core):
            t = s.appctl("dpif-netdev/pmd-stats-show", "-pmd", str(core)).stdout
            return sum(int(x) for x in re.findall(r"(?:idle|processing) cycles: (\d+)", t))
        before0, before1 = cycles(0), cycles(1)
        s.appctl("dpif-netdev/pmd-stats-clear", "-pmd", "0")
        time.sleep(0.2)
        after0, after1 = cycles(0), cycles(1)
        f.check(after0 < before0 and after1 >= before1,
                "pmd-stats-clear -pmd 0 clears core 0 only: cycles %d -> %d, core 1 %d -> %d"
                % (before0, after0, before1, after1))

        # A bad value: refused with the key named, roundrobin kept.
        s.vsctl("set", "Open_vSwitch", ".", "other_config:pmd-rxq-assign=fastest")
        harness.wait_until(lambda: 'pmd-rxq-assign="fastest" is invalid' in s.log(), "the bad value's WARN")
        _, _, _, out = placement(s)
        f.check("keeping 'roundrobin'" in out, "pmd-rxq-show names the refused key:\n" + out)

        # cycles: re-planned with the measured cycles, h1 and h2 apart.
        s.vsctl("set", "Open_vSwitch", ".", "other_config:pmd-rxq-assign=cycles")
        harness.wait_until(lambda: "Rxq to PMD assignment mode changed to: 'cycles'." in s.log(), "mode change")
        harness.wait_until(lambda: placement(s)[0]["h1"] != placement(s)[0]["h2"],
                           "cycles puts h1 and h2 on different PMDs", timeout=10)
        f.check("Performing pmd to rx queue assignment using cycles algorithm." in s.log(), "scheduling logged")

        # The load moves from h1 to l1; once measured, a rebalance follows it.
        s.vsctl("set", "Interface", "h1", "options:dpdk-devargs=net_null4,no-rx=1", "--",
                "set", "Interface", "l1", "options:dpdk-devargs=net_null5")
        time.sleep(WINDOW_S + 0.6)
        r = s.appctl("dpif-netdev/pmd-rxq-rebalance")
        f.eq(r.stdout, "pmd rxq rebalance requested.\n", "rebalance reply")

        def moved():
            at, usage, _, _ = placement(s)
            return at["l1"] != at["h2"] and usage["h1"] == 0 and (usage["l1"] or 0) > 0
        try:
            harness.wait_until(moved, "l1 and h2 (now heavy) on different PMDs, h1 at 0 %", timeout=10)
        except AssertionError as e:
            f.check(False, "%s:\n%s" % (e, placement(s)[3]))

        # pmd-auto-lb: the load moves again, next to l1; the devices are reopened as
        # they were, so the plan stays; auto-lb sees one PMD overloaded and moves a queue.
        s.vsctl("set", "Open_vSwitch", ".", "other_config:pmd-auto-lb=true",
                "other_config:pmd-auto-lb-load-threshold=70")
        harness.wait_until(lambda: "PMD auto load balance is enabled, interval 1 mins, pmd load threshold 70%, "
                           "improvement threshold 25%." in s.log(), "auto-lb enabled line")
        at, _, _, out = placement(s)
        # An idle net_null queue (h1 or l2) beside a heavy one (l1 or h2) becomes heavy,
        # the other heavy one idle.
        pairs = [(x, y, z) for y, z in (("l1", "h2"), ("h2", "l1")) for x in ("h1", "l2") if at[x] == at[y]]
        f.check(pairs, "an idle queue beside l1 or h2:\n" + out)
        if pairs:
            x, y, z = pairs[0]
            s.vsctl("set", "Interface", x, "options:dpdk-devargs=net_null6", "--",
                    "set", "Interface", z, "options:dpdk-devargs=net_null7,no-rx=1")
            harness.wait_until(lambda: s.get("Interface", x, "ofport") not in ("-1", "[]"), "%s reopened" % x)
            at2, _, _, out = placement(s)
            f.check(at2 == at, "a device reopened as it was keeps its place:\n" + out)
            try:
                harness.wait_until(lambda: "PMD auto load balance dry run. Requesting datapath reconfigure." in s.log(),
                                   "auto-lb's dry run asking for a rebalance", timeout=20, interval=0.2)
                harness.wait_until(lambda: placement(s)[0][y] != placement(s)[0][x],
                                   "auto-lb putting %s and %s on different PMDs" % (y, x), timeout=10)
            except AssertionError as e:
                f.check(False, "%s:\n%s" % (e, placement(s)[3]))
        s.vsctl("remove", "Open_vSwitch", ".", "other_config", "pmd-auto-lb")
        harness.wait_until(lambda: s.log().count("PMD auto load balance is disabled.") >= 2, "auto-lb disabled line")
        f.check(s.switchd_alive(), "numavs-switchd alive")
        s.stop(f)
    finally:
        s.close()
        subprocess.run(["true"])
    f.finish("switchd_pmd_knobs")


if __name__ == "__main__":
    main()
