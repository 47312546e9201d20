"""Faults and hostile input at the daemons (issue 13, defects 3, 4, 5, 6, 9):

* out of file descriptors (a low RLIMIT_NOFILE set with prlimit, then more
  connections than it allows), numavs-db and numavs-switchd back off instead
  of spinning: little CPU, a few rate-limited WARN lines, the connections
  already open are served, and new ones are served once descriptors free up;
* numavs-ofctl add-flows sends the file's contents: /dev/zero is refused by
  the client (bounded), and the daemon never opens a path a client names (a
  secret file's text never comes back, a FIFO does not block it);
* pmd-cpu-mask=0x0, dpdk-init=maybe and n_rxq_desc=3 are refused with the
  key named;
* the EAL's own start-up lines reach the detached daemon's log (module dpdk),
  dpdk/log-list and dpdk/log-set work through plain ovs-appctl, and an EAL
  start refused because its --file-prefix is in use names the holder.

numavs runs in a private network namespace (tests/switchd/system.py)."""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import common
from common import check_rc, log, wait_for

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "switchd"))
import system  # noqa: E402

F = common.harness.Failures()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(") ", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pid_of(s, name):
    with open(os.path.join(s.tmp, name + ".pid")) as f:
        return int(f.read())


def log_size(s, name):
    try:
        return os.path.getsize(os.path.join(s.tmp, name + ".log"))
    except OSError:
        return 0


def flood(path, n):
    socks = []
    for _ in range(n):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect(path)
        except BlockingIOError:
            pass
        except OSError:
            c.close()
            break
        socks.append(c)
    return socks


def out_of_fds(s, name, sock_path, check_old, check_new):
    pid = pid_of(s, name)
    keep = common.harness.RpcClient(sock_path) if name == "numavs-db" else None
    check_rc(subprocess.run(["prlimit", "--pid", str(pid), "--nofile=48:"], capture_output=True,
                            text=True), 0, "prlimit")
    size0 = log_size(s, name)
    socks = flood(sock_path, 100)
    time.sleep(0.3)  # let it reach the limit
    cpu0 = cpu_seconds(pid)
    time.sleep(2.0)  # measuring CPU use over a fixed span: no condition to wait for
    used = cpu_seconds(pid) - cpu0
    log("%s out of descriptors: %.2f s of CPU in 2 s, log grew %d bytes" % (name, used, log_size(s, name) - size0))
    F.check(used < 0.5, "%s backs off when accept() fails (%.2f s CPU in 2 s)" % (name, used))
    F.check(log_size(s, name) - size0 < 20000, "%s rate-limits its WARN lines" % name)
    text = open(os.path.join(s.tmp, name + ".log"), errors="replace").read()
    F.check(re.search(r"accept failed: Too many open files; new connections wait", text) is not None,
            "%s says why it does not accept" % name)
    if keep is not None:
        r = keep.call("echo", ["still there"], timeout=5)
        F.eq(r.get("result"), ["still there"], "%s serves a connection opened before" % name)
        keep.close()
    check_old()
    for c in socks:
        c.close()
    check_rc(subprocess.run(["prlimit", "--pid", str(pid), "--nofile=4096:"], capture_output=True,
                            text=True), 0, "prlimit back")
    wait_for(check_new, "%s to serve new connections again" % name)


def ofctl_contents(s):
    check_rc(s.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev"), 0, "add-br")
    tmp = s.tmp
    flows = os.path.join(tmp, "flows.txt")
    with open(flows, "w") as f:
        f.write("# two flows\npriority=10,icmp,actions=drop\n\npriority=20,arp,actions=NORMAL\n")
    check_rc(s.ofctl("add-flows", "br0", flows), 0, "add-flows FILE")
    r = s.ofctl("dump-flows", "br0")
    F.check("priority=10,icmp actions=drop" in r.stdout and "priority=20,arp actions=NORMAL" in r.stdout,
            "add-flows added the file's flows: %r" % r.stdout)
    r = subprocess.run([os.path.join(s.bindir, "numavs-ofctl"), "add-flows", "br0", "-"], env=s.env,
                       input="priority=30,udp,actions=drop\n", capture_output=True, text=True, timeout=20)
    check_rc(r, 0, "add-flows -")
    F.check("priority=30,udp actions=drop" in s.ofctl("dump-flows", "br0").stdout, "add-flows from stdin")
    r = s.ofctl("add-flows", "br0", "/dev/zero", check=False)
    F.check(r.returncode == 1 and "larger than 16 MiB" in r.stderr, "add-flows /dev/zero: %r" % r.stderr)
    # The daemon takes contents, never a path: a secret's text is not read.
    secret = os.path.join(tmp, "secret")
    with open(secret, "w") as f:
        f.write("SECRET-LINE-1234\n")
    r = s.appctl("ofctl/add-flows", "br0", "x", secret, check=False)
    F.check(r.returncode == 2 and "SECRET-LINE" not in r.stderr + r.stdout,
            "a path sent as contents is parsed as a flow, not opened: %r" % r.stderr)
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    t0 = time.monotonic()
    r = s.appctl("ofctl/add-flows", "br0", "x", fifo, check=False)
    F.check(r.returncode == 2 and time.monotonic() - t0 < 5, "a FIFO's path does not block the daemon")
    F.check(s.appctl("version").returncode == 0, "numavs-switchd still answers")


def bad_keys(s):
    check_rc(s.vsctl("set", "Open_vSwitch", ".", "other_config:pmd-cpu-mask=0x0"), 0, "set pmd-cpu-mask")
    r = s.appctl("dpif-netdev/pmd-rxq-show")
    F.check('pmd-cpu-mask="0x0" is invalid: it names no core' in r.stdout, "pmd-cpu-mask=0x0 refused: %r" % r.stdout)
    check_rc(s.vsctl("remove", "Open_vSwitch", ".", "other_config", "pmd-cpu-mask"), 0, "remove pmd-cpu-mask")
    check_rc(s.vsctl("set", "Open_vSwitch", ".", "other_config:dpdk-init=maybe"), 0, "set dpdk-init=maybe")
    wait_for(lambda: 'dpdk-init="maybe" is invalid: expected true, try or false' in s.log(),
             "the WARN about dpdk-init=maybe")


def eal_log(s, bindir):
    prefix = "numavs-f" + s.tag
    s.prefix = prefix  # removed by close()
    check_rc(s.vsctl("set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
                     'other_config:dpdk-extra="--no-huge -m 256 --no-pci --file-prefix=%s"' % prefix), 0,
             "dpdk-init=true")
    wait_for(lambda: s.get("Open_vSwitch", ".", "dpdk_initialized") == "true", "DPDK to start", timeout=60)
    lines = [l for l in s.log().splitlines() if "|dpdk|" in l and "EAL: " in l]
    log("EAL lines in the log: %d, e.g. %r" % (len(lines), lines[:2]))
    F.check(len(lines) > 0, "the EAL's own lines reach the log (module dpdk)")
    env = dict(s.env)
    r = subprocess.run(["ip", "netns", "exec", s.netns, "ovs-appctl", "dpdk/log-list"], env=env,
                       capture_output=True, text=True, timeout=20)
    F.check(r.returncode == 0 and "lib.eal" in r.stdout, "ovs-appctl dpdk/log-list (no -t): %r" % r.stdout[:200])
    r = s.appctl("dpdk/log-set", "lib.eal:debug")
    F.eq(r.returncode, 0, "dpdk/log-set lib.eal:debug")
    F.check(re.search(r"lib\.eal, level is debug", s.appctl("dpdk/log-list").stdout) is not None,
            "lib.eal at debug after log-set")
    # Descriptor ring sizes: powers of two, as in OVS.
    check_rc(s.vsctl("add-port", "br0", "pn", "--", "set", "Interface", "pn", "type=dpdk",
                     "options:dpdk-devargs=net_null7", "options:n_rxq_desc=3"), 0, "add-port n_rxq_desc=3")
    err = s.get("Interface", "pn", "error").replace("\\\"", "\"")
    F.check('options:n_rxq_desc="3" is invalid: descriptor ring sizes are powers of two' in err
            and "options:n_rxq_desc=2" in err, "n_rxq_desc=3 refused: %r" % err)
    check_rc(s.vsctl("del-port", "br0", "pn"), 0, "del-port pn")
    r = s.appctl("dpdk/log-set", "lib.eal:loud", check=False)
    F.check(r.returncode == 2 and "invalid log level" in r.stderr, "dpdk/log-set with a bad level: %r" % r.stderr)
    # A second switch with the same --file-prefix: refused before rte_eal_init, holder named.
    d = common.Dirs(bindir)
    try:
        check_rc(d.launcher("start"), 0, "second numavs")
        check_rc(d.vsctl("set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
                         'other_config:dpdk-extra="--no-huge -m 256 --no-pci --file-prefix=%s"' % prefix), 0,
                 "second dpdk-init")
        sw = pid_of(s, "numavs-switchd")
        wait_for(lambda: "is in use by pid %d" % sw in d.log_text("numavs-switchd"),
                 "the second switch's refusal naming pid %d" % sw)
    finally:
        if d.stop().returncode != 0:
            d.kill_all()
        shutil.rmtree(d.tmp, ignore_errors=True)


def main():
    common.require_tools("ovs-vsctl", "ovs-appctl", "prlimit")
    if os.geteuid() != 0:
        common.harness.skip("needs root (network namespaces)")
    bindir = common.bindir_from_argv()
    s = system.System(bindir)
    s.bindir = bindir
    try:
        check_rc(s.launcher("start"), 0, "numavs start")
        db_sock = os.path.join(s.tmp, "db.sock")
        out_of_fds(s, "numavs-db", db_sock,
                   lambda: None, lambda: s.vsctl("--no-wait", "get", "Open_vSwitch", ".", "_uuid", check=False).returncode == 0)
        ctl = os.path.join(s.tmp, "numavs-switchd.%d.ctl" % pid_of(s, "numavs-switchd"))
        out_of_fds(s, "numavs-switchd", ctl, lambda: None, lambda: s.appctl("version", check=False).returncode == 0)
        ofctl_contents(s)
        bad_keys(s)
        eal_log(s, bindir)
        allow = [r"accept failed: Too many open files", r"n_rxq_desc=\"3\" is invalid", r"dpdk-init=\"maybe\" is invalid",
                 r"pmd-cpu-mask=\"0x0\" is invalid", r"datapath_type", r"\|dpdk\|WARN\|EAL: No free",
                 r"\|dpdk\|(WARN|ERR)\|"]
        for name in ("numavs-db", "numavs-switchd"):
            text = open(os.path.join(s.tmp, name + ".log"), errors="replace").read()
            bad = [l for l in text.splitlines() if re.search(r"\|(WARN|ERR|EMER)\|", l)
                   and not any(re.search(a, l) for a in allow)]
            F.eq(bad, [], "unexpected WARN/ERR lines in %s's log" % name)
    finally:
        s.close()
    F.finish("daemons_faults")


if __name__ == "__main__":
    main()
