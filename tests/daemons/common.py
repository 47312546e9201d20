"""Helpers for the daemon tests: a private OVS directory set, the launcher,
the real OVS clients, and waiting for conditions with a deadline."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ovsdb"))
import harness  # noqa: E402

log = harness.log


def bindir_from_argv():
    if "--bindir" in sys.argv:
        return sys.argv[sys.argv.index("--bindir") + 1]
    return os.path.dirname(harness.default_numavs_bin())


def require_tools(*tools):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        harness.skip("missing: " + " ".join(missing))


def wait_for(cond, what, timeout=15.0):
    return harness.wait_until(cond, what, timeout=timeout, interval=0.05)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tcp_accepts(port):
    s = socket.socket()
    s.settimeout(1.0)
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


class Dirs:
    """OVS_RUNDIR/LOGDIR/DBDIR in a private temp dir (rundir and dbdir may be
    given to share one)."""

    def __init__(self, bindir, tmp=None, rundir=None, dbdir=None):
        self.bindir = bindir
        self.tmp = tmp or tempfile.mkdtemp(prefix="numavs-daemons-")
        self.rundir = rundir or self.tmp
        self.dbdir = dbdir or self.tmp
        os.makedirs(self.rundir, exist_ok=True)
        os.makedirs(self.dbdir, exist_ok=True)
        self.env = harness.client_env(self.tmp)
        self.env["OVS_RUNDIR"] = self.rundir
        self.env["OVS_DBDIR"] = self.dbdir

    def run(self, argv, timeout=30, input=None):
        return subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=timeout,
                              input=input, stdin=None if input is not None else subprocess.DEVNULL)

    def launcher(self, *args, timeout=60):
        return self.run([os.path.join(self.bindir, "numavs")] + list(args), timeout=timeout)

    def appctl(self, *args):
        return self.run(["ovs-appctl", "-T", "10"] + list(args))

    def vsctl(self, *args):
        return self.run(["ovs-vsctl", "--timeout=10"] + list(args))

    def pid(self, name):
        try:
            with open(os.path.join(self.rundir, name + ".pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def files(self):
        return sorted(os.listdir(self.rundir))

    def log_text(self, name):
        try:
            with open(os.path.join(self.tmp, name + ".log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def bad_log_lines(self, name, allow=()):
        regs = [re.compile(a) for a in allow]
        return [line for line in self.log_text(name).splitlines()
                if re.search(r"\|(WARN|ERR|EMER)\|", line) and not any(r.search(line) for r in regs)]

    def stop(self):
        return self.launcher("stop")

    def kill_all(self):
        """Last resort at the end of a test: SIGKILL the daemons whose pidfiles are ours."""
        for name in ("numavs-switchd", "numavs-db"):
            pid = self.pid(name)
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass


def check_rc(r, want, what):
    if r.returncode != want:
        raise AssertionError("%s: rc=%d, want %d\nstdout: %s\nstderr: %s"
                             % (what, r.returncode, want, r.stdout, r.stderr))
    return r
