"""A numavs system for the switchd tests: the launcher running numavs-db and
numavs-switchd in a private network namespace with a private run directory,
and optionally two "hosts" (namespaces with 10.0.0.1 and 10.0.0.2) whose veth
peers sit in the switch's namespace, ready to become net_af_packet ports.

Everything it creates (namespaces, run directory, the EAL's runtime directory)
is removed by close(), and the daemons are stopped through the launcher.

Every command's exit status is checked (check=True raises AssertionError on a
non-zero status); a test that expects a failure passes check=False and
asserts the status itself. stop(f) stops the daemons and fails the test on any
WARN/ERR/EMER line of numavs-db's or numavs-switchd's log that the test's
log_allow list (System(bindir, log_allow=[...]), each entry with its reason)
does not match: harness.unexpected_log_lines, as OVS's OVS_VSWITCHD_STOP.
"""
import os
import subprocess
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ovsdb"))
import harness  # noqa: E402


# DPDK's own log lines (module dpdk, routed into numavs-switchd's log) that come from this
# environment, not from numavs: no telemetry legacy socket, and net_tap (the bridge's
# internal port) in a kernel without the multiq qdisc.
DPDK_ENV_ALLOW = [
    r"\|dpdk\|WARN\|TELEMETRY: No legacy callbacks",
    r"\|dpdk\|ERR\|(tap_nl_dump_ext_ack|qdisc_create_multiq|eth_dev_tap_create)\(\)",
]


def run(argv, env=None, check=True, timeout=30):
    """subprocess.run with output captured; with check, a non-zero status raises."""
    r = subprocess.run(list(argv), env=env, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("%s: rc=%d\nstdout: %s\nstderr: %s" % (" ".join(argv), r.returncode, r.stdout,
                                                                    r.stderr))
    return r


def sh(*cmd, check=True, timeout=30):
    return run(cmd, check=check, timeout=timeout)


def bindir_from_argv():
    if "--bindir" in sys.argv:
        return sys.argv[sys.argv.index("--bindir") + 1]
    return os.path.dirname(harness.default_numavs_bin())


class System:
    def __init__(self, bindir, log_allow=()):
        self.bindir = bindir
        self.log_allow = list(log_allow)  # regexes of WARN/ERR lines the test expects, each with why
        self.stopped = False
        self.tag = uuid.uuid4().hex[:6]
        self.tmp = tempfile.mkdtemp(prefix="numavs-sys-")
        self.netns = "numavs-sw-" + self.tag
        self.env = harness.client_env(self.tmp)
        self.hosts = []        # namespaces of add_hosts()
        self.peers = []        # switch-side veth names, host a first
        self.prefix = None     # EAL --file-prefix of start_dpdk()
        subprocess.run(["ip", "netns", "add", self.netns], check=True)

    def launcher(self, *args, check=True):
        return run(["ip", "netns", "exec", self.netns, os.path.join(self.bindir, "numavs")] + list(args),
                   env=self.env, check=check, timeout=60)

    def vsctl(self, *args, check=True):
        return run(["ovs-vsctl", "--timeout=15"] + list(args), env=self.env, check=check)

    def get(self, *args):
        return self.vsctl("--no-wait", "get", *args).stdout.strip()

    def appctl(self, *args, check=True):
        return run(["ovs-appctl", "-t", "numavs-switchd"] + list(args), env=self.env, check=check, timeout=20)

    def ofctl(self, *args, check=True):
        return run([os.path.join(self.bindir, "numavs-ofctl")] + list(args), env=self.env, check=check,
                   timeout=20)

    def switchd_alive(self):
        r = self.launcher("status", check=False)  # status 0: both running, 3: not
        if r.returncode not in (0, 3):
            raise AssertionError("numavs status: rc=%d %s%s" % (r.returncode, r.stdout, r.stderr))
        return r.returncode == 0 and r.stdout.count("is running") == 2

    def read(self, name):
        try:
            with open(os.path.join(self.tmp, name)) as f:
                return f.read()
        except OSError:
            return ""

    def log(self):
        return self.read("numavs-switchd.log")

    def stop(self, f):
        """Stops the daemons through the launcher and checks their logs (see
        the module's doc); failures are recorded in f (harness.Failures)."""
        r = self.launcher("stop", check=False)
        self.stopped = True
        f.check(r.returncode == 0, "numavs stop: rc=%d %s%s" % (r.returncode, r.stdout, r.stderr))
        for daemon in ("numavs-db", "numavs-switchd"):
            for line in harness.unexpected_log_lines(self.read(daemon + ".log"), self.log_allow):
                f.check(False, "%s log: unexpected %s" % (daemon, line))

    def add_hosts(self):
        """Hosts a (10.0.0.1) and b (10.0.0.2), each behind a veth whose peer is in
        the switch's namespace. AF_PACKET hands over partial checksums, so the hosts
        compute theirs in software (TX checksum offload off)."""
        for h, addr in (("a", "10.0.0.1/24"), ("b", "10.0.0.2/24")):
            ns = "numavs-%s-%s" % (h, self.tag)
            host_if, sw_if = "h%s%s" % (h, self.tag), "s%s%s" % (h, self.tag)
            sh("ip", "netns", "add", ns)
            self.hosts.append(ns)
            sh("ip", "link", "add", host_if, "type", "veth", "peer", "name", sw_if)
            sh("ip", "link", "set", host_if, "netns", ns)
            sh("ip", "link", "set", sw_if, "netns", self.netns)
            sh("ip", "-n", ns, "addr", "add", addr, "dev", host_if)
            sh("ip", "-n", ns, "link", "set", host_if, "up")
            sh("ip", "netns", "exec", ns, "ethtool", "-K", host_if, "tx", "off")
            sh("ip", "-n", self.netns, "link", "set", sw_if, "up")
            self.peers.append(sw_if)
        return self.hosts

    def start_dpdk(self):
        """Starts the daemons and DPDK (no hugepages, a private file prefix)."""
        self.prefix = "numavs-" + self.tag
        self.launcher("start")
        self.vsctl("set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
                   'other_config:dpdk-extra="--no-huge -m 512 --no-pci --file-prefix=%s"' % self.prefix)

    def bridge_to_hosts(self):
        """br0 with ports p0/p1: net_af_packet on the hosts' veth peers. Returns the
        ovs-vsctl results of the two add-port commands."""
        self.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
        return [self.vsctl("add-port", "br0", "p%d" % i, "--", "set", "Interface", "p%d" % i, "type=dpdk",
                           "options:dpdk-devargs=net_af_packet%d,iface=%s" % (i, peer))
                for i, peer in enumerate(self.peers)]

    def close(self):
        if not self.stopped:
            self.launcher("stop", check=False)
        for ns in self.hosts + [self.netns]:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        subprocess.run(["rm", "-rf", self.tmp])
        if self.prefix:
            subprocess.run(["rm", "-rf", "/var/run/dpdk/" + self.prefix])
