#!/usr/bin/env python3
"""ofproto_ofctl: the REAL ovs-ofctl (Debian openvswitch-common 3.1) drives numavs-switchd
over OpenFlow, compared with the real ovs-vswitchd 3.1.

numavs (numavs-db + numavs-switchd, launcher, private netns and rundir) and OVS
(ovsdb-server + `ovs-vswitchd --enable-dummy --disable-system`, another private netns and
rundir) each get bridge br0 with dummy ports p1 (ofport 1) and p2 (ofport 2). The same
script of ovs-ofctl commands runs against both, for OpenFlow 1.0 (ovs-ofctl's default:
NXM flow format, Nicira extensions), -O OpenFlow13 and -O OpenFlow15:

  del-flows, add-flow, add-flows FILE, mod-flows, del-flows MATCH, del-flows --strict,
  dump-flows [FILTER], dump-aggregate  -> outputs equal after normalising durations and
                                          idle/hard ages, flow lines sorted;
  show, dump-ports-desc, dump-ports    -> the same ports (numbers and names) as OVS;
  dump-tables                          -> table 0's active count equals the flows dumped;
  add-flow to table 1, a ct action, a register match, add-group
                                       -> ovs-ofctl fails with the OpenFlow error names.
Every exit code is checked. (What differs on purpose: numavs has one table, not 254,
reports unknown port speeds and MACs as such, and a datapath id of its own.)

  test_ofctl.py --bindir DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "switchd"))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
import harness  # noqa: E402
import system  # noqa: E402

VERSIONS = ([], ["-O", "OpenFlow13"], ["-O", "OpenFlow15"])
FLOWS_FILE = """\
# comment and blank lines are skipped by ovs-ofctl

priority=300,tcp,nw_src=192.168.1.0/24,tp_dst=80,actions=output:2
priority=300,udp,tp_src=53,actions=output:1,output:2
priority=250,arp,arp_tpa=10.1.1.1,actions=NORMAL
priority=250,dl_src=00:11:22:33:44:55,actions=FLOOD
priority=50,in_port=2,dl_vlan=10,actions=strip_vlan,output:1
cookie=0x5,priority=40,icmp,icmp_type=8,actions=IN_PORT
priority=30,ipv6,ipv6_dst=fe80::/64,actions=LOCAL
"""


def run(cmd, env, timeout=30):
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


class Ovs:
    """The real ovsdb-server + ovs-vswitchd with dummy devices in a private netns."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="numavs-ofctl-ovs-")
        self.env = harness.client_env(self.tmp)
        self.netns = "numavs-ofovs-" + os.urandom(3).hex()
        self.procs = []
        subprocess.run(["ip", "netns", "add", self.netns], check=True)

    def start(self):
        db = os.path.join(self.tmp, "conf.db")
        subprocess.run(["ovsdb-tool", "create", db, harness.SYSTEM_SCHEMA], check=True,
                       env=self.env, capture_output=True)
        sock = os.path.join(self.tmp, "db.sock")
        self.procs.append(subprocess.Popen(
            ["ovsdb-server", db, "--remote=punix:" + sock, "--unixctl=" + os.path.join(self.tmp, "db.ctl"),
             "--log-file=" + os.path.join(self.tmp, "ovsdb-server.log")],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        wait_for(lambda: os.path.exists(sock), "ovsdb-server socket")
        run(["ovs-vsctl", "--no-wait", "init"], self.env)
        self.procs.append(subprocess.Popen(
            ["ip", "netns", "exec", self.netns, "ovs-vswitchd", "unix:" + sock, "--enable-dummy",
             "--disable-system", "--disable-system-route",
             "--unixctl=" + os.path.join(self.tmp, "vswitchd.ctl"),
             "--log-file=" + os.path.join(self.tmp, "ovs-vswitchd.log")],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        r = run(["ovs-vsctl", "--timeout=20", "add-br", "br0", "--", "set", "bridge", "br0",
                 "datapath_type=dummy", "--", "add-port", "br0", "p1", "--", "set", "Interface", "p1",
                 "type=dummy", "ofport_request=1", "--", "add-port", "br0", "p2", "--", "set",
                 "Interface", "p2", "type=dummy", "ofport_request=2"], self.env)
        check(r.returncode == 0, "OVS bridge setup: " + r.stderr)
        wait_for(lambda: os.path.exists(os.path.join(self.tmp, "br0.mgmt")), "OVS br0.mgmt")

    def close(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        subprocess.run(["ip", "netns", "del", self.netns], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


def wait_for(cond, what, timeout=20):
    harness.wait_until(cond, what, timeout=timeout, interval=0.05)


F = harness.Failures()
check = F.check


# Log lines the daemons may write in this test (each with why).
LOG_ALLOW = []


def normalise(text):
    out = []
    for line in text.splitlines():
        line = re.sub(r"duration=[0-9.]+s, ", "", line)
        line = re.sub(r"(idle|hard)_age=[0-9]+, ", "", line)
        line = re.sub(r"\(xid=0x[0-9a-f]+\)", "(xid=X)", line)
        out.append(line)
    head = [l for l in out if not l.startswith(" ")]
    flows = sorted(l for l in out if l.startswith(" "))
    return "\n".join(head + flows)


def ofctl(env, ver, *args):
    return run(["ovs-ofctl"] + ver + list(args), env)


def port_lines(text):
    """'1(p1)', 'LOCAL(br0)': the port number/name pairs of show or dump-ports-desc."""
    return sorted(set(re.findall(r"^ (\S+\(\S+\)):", text, re.M)))


def script(env, ver, flows_path):
    """Runs the command script; returns [(command, rc, normalised stdout)]."""
    steps = [
        ("del-flows", "br0"),
        ("add-flow", "br0", "priority=100,in_port=1,actions=output:2"),
        ("add-flow", "br0", "priority=200,ip,nw_dst=10.0.0.0/8,actions=drop"),
        ("add-flow", "br0", "priority=210,ip,nw_dst=10.2.0.0/16,actions=mod_dl_dst:00:00:00:00:00:07,output:1"),
        ("add-flows", "br0", flows_path),
        ("dump-flows", "br0"),
        ("dump-aggregate", "br0"),
        ("mod-flows", "br0", "in_port=1,actions=output:LOCAL"),
        ("dump-flows", "br0", "in_port=1"),
        ("del-flows", "br0", "ip,nw_dst=10.0.0.0/8"),
        ("del-flows", "--strict", "br0", "priority=300,udp,tp_src=53"),
        ("del-flows", "--strict", "br0", "priority=301,tcp,nw_src=192.168.1.0/24,tp_dst=80"),
        ("dump-flows", "br0"),
        ("dump-flows", "br0", "tcp"),
        ("dump-aggregate", "br0", "ip"),
        ("del-flows", "br0", "cookie=0x5/-1"),
        ("dump-flows", "br0"),
    ]
    results = []
    for s in steps:
        r = ofctl(env, ver, *s)
        results.append((" ".join(s), r.returncode, normalise(r.stdout), r.stderr))
    return results


def info_commands(env, ver):
    return {c: ofctl(env, ver, c, "br0") for c in ("show", "dump-ports-desc", "dump-ports", "dump-tables")}


def refusals(env, ver):
    """Requests numavs cannot honour yet: ovs-ofctl must fail and name the error."""
    cases = [
        (("add-flow", "br0", "table=1,actions=drop"), "OFPFMFC_BAD_TABLE_ID|OFPBRC_BAD_TABLE_ID"),
        (("add-flow", "br0", "ip,actions=ct(commit)"), "OFPBAC_BAD_VENDOR_TYPE|OFPBAC_BAD_EXP_TYPE"),
        (("add-flow", "br0", "reg0=5,actions=drop"), "OFPBMC_BAD_FIELD"),
        (("add-flow", "br0", "idle_timeout=10,actions=drop"), "OFPFMFC_BAD_TIMEOUT|OFPFMFC_BAD_EMERG"),
    ]
    if ver:  # groups need OpenFlow 1.1+
        cases.append((("add-group", "br0", "group_id=1,type=all,bucket=output:1"), "OFPGMFC_BAD_TYPE"))
    for args, want in cases:
        r = ofctl(env, ver, *args)
        check(r.returncode != 0 and re.search(want, r.stderr),
              "%s %s: expected a failure naming %s, got rc=%d %s" % (ver, args, want, r.returncode,
                                                                 r.stderr.strip()))


def main():
    bindir = system.bindir_from_argv()
    for tool in ("ovs-ofctl", "ovs-vsctl", "ovs-vswitchd", "ovsdb-server", "ovsdb-tool"):
        if not shutil.which(tool):
            harness.skip("the real %s is missing (Debian openvswitch-switch/-common)" % tool)
    sysm = system.System(bindir, log_allow=LOG_ALLOW)
    ovs = Ovs()
    flows_path = os.path.join(sysm.tmp, "flows.txt")
    with open(flows_path, "w") as f:
        f.write(FLOWS_FILE)
    try:
        r = sysm.launcher("start")
        check(r.returncode == 0, "numavs start: " + r.stdout + r.stderr)
        r = sysm.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev",
                       "--", "add-port", "br0", "p1", "--", "set", "Interface", "p1", "type=dummy",
                       "ofport_request=1", "--", "add-port", "br0", "p2", "--", "set", "Interface",
                       "p2", "type=dummy", "ofport_request=2")
        check(r.returncode == 0, "numavs bridge setup: " + r.stderr)
        wait_for(lambda: os.path.exists(os.path.join(sysm.tmp, "br0.mgmt")), "numavs br0.mgmt")
        ovs.start()
        for ver in VERSIONS:
            name = ver[1] if ver else "OpenFlow10 (default, NXM)"
            t0 = time.monotonic()
            ours = script(sysm.env, ver, flows_path)
            theirs = script(ovs.env, ver, flows_path)
            for (cmd, rc, out, err), (_, orc, oout, oerr) in zip(ours, theirs):
                check(rc == 0, "%s: numavs: ovs-ofctl %s failed: %s" % (name, cmd, err.strip()))
                check(orc == 0, "%s: OVS: ovs-ofctl %s failed: %s" % (name, cmd, oerr.strip()))
                check(out == oout, "%s: ovs-ofctl %s differs\n--- numavs\n%s\n--- OVS\n%s" %
                      (name, cmd, out, oout))
            n_flows = sum(1 for l in ours[-1][2].splitlines() if l.startswith(" "))
            info, oinfo = info_commands(sysm.env, ver), info_commands(ovs.env, ver)
            for c, r in info.items():
                check(r.returncode == 0, "%s: numavs: ovs-ofctl %s failed: %s" % (name, c, r.stderr))
            for c in ("show", "dump-ports-desc"):
                check(port_lines(info[c].stdout) == port_lines(oinfo[c].stdout) and
                      len(port_lines(info[c].stdout)) == 3,
                      "%s: %s ports differ: %s vs OVS %s" % (name, c, port_lines(info[c].stdout),
                                                            port_lines(oinfo[c].stdout)))
            ports = sorted(re.findall(r"port +(\S+): rx", info["dump-ports"].stdout))
            oports = sorted(re.findall(r"port +(\S+): rx", oinfo["dump-ports"].stdout))
            check(ports == oports == ["1", "2", "LOCAL"],
                  "%s: dump-ports lists %s, OVS %s" % (name, ports, oports))
            check(re.search(r"table 0:.*\n?.*active=%d," % n_flows, info["dump-tables"].stdout)
                  is not None, "%s: dump-tables does not say active=%d:\n%s" %
                  (name, n_flows, info["dump-tables"].stdout))
            refusals(sysm.env, ver)
            harness.log("%s: %d commands equal to OVS, info commands and refusals checked (%.1f s)"
                        % (name, len(ours), time.monotonic() - t0))
        check(sysm.switchd_alive(), "numavs-switchd died:\n" + sysm.log()[-3000:])
        sysm.stop(F)  # the daemons' logs: no unexpected WARN/ERR
    finally:
        sysm.close()
        ovs.close()
    if F.items:
        harness.log("%d failure(s)" % len(F.items))
        return 1
    harness.log("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
