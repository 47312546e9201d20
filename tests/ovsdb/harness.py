"""Shared harness for the multi-process OVSDB tests (python3 stdlib only).

A Server owns a private temp dir, creates a database in it, runs either
numavs-db or the real ovsdb-server on a unix socket inside that dir and stops
it by pid (never anything else: the system's OVS services and
/var/run/openvswitch are not touched; OVS_RUNDIR etc. point into the temp dir
for every client we start).

    with harness.Server("numavs", numavs_bin=...) as srv:
        srv.sock          # path of the punix socket
        srv.vsctl("add-br", "br0")
        c = srv.connect() # harness.RpcClient
    # on exit: server stopped, temp dir removed (kept with NUMAVS_KEEP_TMP=1)

Which server: the `kind` argument, or env NUMAVS_OVSDB_KIND ("numavs",
"ovsdb-server"). numavs-db binary: argument, or env NUMAVS_DB.
Schema: env NUMAVS_SCHEMA, else <repo>/schema/vswitch.ovsschema if present,
else the installed /usr/share/openvswitch/vswitch.ovsschema (used at run time
only).

Log check (STYLE T4, as OVS's OVS_VSWITCHD_STOP(["/pattern/d"])): every
WARN, ERR or EMER line of a numavs daemon's log fails the test unless a regex
of the test's allow-list matches it; each allow-list entry says why it is
legitimate. Server(..., log_allow=[...]) checks numavs-db's log when a `with`
block ends normally; Server.check_log(allow=...) checks it at any point;
switchd/system.py checks numavs-db's and numavs-switchd's logs the same way
(unexpected_log_lines() below is the one implementation).

Waiting: wait_until(cond, what, timeout) polls a condition with a deadline;
tests never sleep to let something happen.

Exit code SKIP (77) tells CTest the test was skipped (OVS tools missing).
"""

import atexit
import codecs
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SYSTEM_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
OVS_TOOLS = ("ovsdb-server", "ovsdb-tool", "ovsdb-client", "ovs-vsctl", "ovs-appctl")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

_live_servers = []


def log(msg):
    print(msg, flush=True)


def wait_until(cond, what, timeout=10.0, interval=0.02):
    """Polls cond() until it returns a true value, which is returned; raises
    AssertionError naming `what` if that does not happen within timeout s."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError("%s did not happen within %.1f s" % (what, timeout))
        time.sleep(interval)


LOG_LEVELS = ("WARN", "ERR", "EMER")


def unexpected_log_lines(text, allow=(), levels=LOG_LEVELS):
    """Lines of a vlog text (`...|module|LEVEL|message`) at one of `levels`
    that no regex of `allow` matches (re.search)."""
    pat = re.compile(r"\|(%s)\|" % "|".join(levels))
    regs = [re.compile(a) for a in allow]
    return [line for line in text.splitlines()
            if pat.search(line) and not any(r.search(line) for r in regs)]


def skip(reason):
    log("SKIP: " + reason)
    sys.exit(SKIP)


def require_ovs_tools():
    """Exits with SKIP (77) unless the real OVS tools and a schema are present."""
    missing = [t for t in OVS_TOOLS if shutil.which(t) is None]
    if missing:
        skip("OVS tools missing: " + " ".join(missing))
    if not os.path.exists(schema_path()):
        skip("no schema: " + schema_path())


def schema_path():
    env = os.environ.get("NUMAVS_SCHEMA")
    if env:
        return env
    ours = os.path.join(REPO, "schema", "vswitch.ovsschema")
    return ours if os.path.exists(ours) else SYSTEM_SCHEMA


def default_numavs_bin():
    env = os.environ.get("NUMAVS_DB")
    if env:
        return env
    return os.path.join(REPO, "build", "default", "bin", "numavs-db")


def parse_common_args(argv=None, kinds=("numavs", "ovsdb-server")):
    """--server KIND (repeatable) and --numavs-db PATH. Returns (kinds, numavs_bin)."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", action="append", choices=["numavs", "ovsdb-server"],
                    help="server kind(s) to test (default: %s or env NUMAVS_OVSDB_KIND)" % ",".join(kinds))
    ap.add_argument("--numavs-db", default=None, help="path of numavs-db")
    a = ap.parse_args(argv)
    chosen = a.server
    if not chosen and os.environ.get("NUMAVS_OVSDB_KIND"):
        chosen = os.environ["NUMAVS_OVSDB_KIND"].split(",")
    if not chosen:
        chosen = list(kinds)
    numavs_bin = a.numavs_db or default_numavs_bin()
    if "numavs" in chosen and not os.access(numavs_bin, os.X_OK):
        raise SystemExit("numavs-db not found or not executable: %s" % numavs_bin)
    return chosen, numavs_bin


def client_env(tmpdir):
    """Environment for OVS clients: every OVS directory points into tmpdir."""
    env = dict(os.environ)
    for var in ("OVS_RUNDIR", "OVS_LOGDIR", "OVS_DBDIR", "OVS_SYSCONFDIR"):
        env[var] = tmpdir
    env["LC_ALL"] = "C"
    return env


class Server:
    """One database server process in a private temp dir."""

    def __init__(self, kind, numavs_bin=None, schema=None, tmpdir=None, name="db", args=(), log_allow=()):
        assert kind in ("numavs", "ovsdb-server"), kind
        self.kind = kind
        self.log_allow = list(log_allow)  # regexes of WARN/ERR lines this test expects
        self.args = list(args)  # given to every start()
        self.numavs_bin = numavs_bin or default_numavs_bin()
        self.schema = schema or schema_path()
        self.own_tmp = tmpdir is None
        self.tmp = tmpdir or tempfile.mkdtemp(prefix="numavs-ovsdb-test-")
        self.name = name
        self.db = os.path.join(self.tmp, name + ".db")
        self.sock = os.path.join(self.tmp, name + ".sock")
        self.ctl = os.path.join(self.tmp, name + ".ctl")
        self.pidfile = os.path.join(self.tmp, name + ".pid")
        self.logfile = os.path.join(self.tmp, name + ".log")
        self.console = os.path.join(self.tmp, name + ".console")
        self.proc = None
        self.env = client_env(self.tmp)
        self._log_checked_upto = 0
        _live_servers.append(self)

    # -- life cycle ---------------------------------------------------------
    def create(self):
        if self.kind == "numavs":
            cmd = [self.numavs_bin, "create", self.db, self.schema]
        else:
            cmd = ["ovsdb-tool", "create", self.db, self.schema]
        r = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise AssertionError("%s failed rc=%d: %s%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr))
        return self

    def start(self, extra_args=(), timeout=15.0):
        assert self.proc is None or self.proc.poll() is not None, "already running"
        if not os.path.exists(self.db):
            self.create()
        for p in (self.sock, self.ctl):
            if os.path.exists(p):
                os.unlink(p)
        binary = self.numavs_bin if self.kind == "numavs" else "ovsdb-server"
        cmd = [binary, "--remote=punix:" + self.sock, "--unixctl=" + self.ctl,
               "--pidfile=" + self.pidfile, "--log-file=" + self.logfile]
        cmd += self.args + list(extra_args) + [self.db]
        console = open(self.console, "ab")
        # Our own process group, so that a ^C of the test does not reach it
        # first and so that stop() only ever signals this pid.
        self.proc = subprocess.Popen(cmd, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=console, stderr=subprocess.STDOUT, start_new_session=True)
        console.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("%s exited with %s during start-up; console:\n%s\nlog:\n%s" % (
                    self.kind, self.proc.returncode, self.read_console(), self.read_log()))
            if os.path.exists(self.sock) and os.path.exists(self.ctl):
                try:
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.settimeout(1.0)
                    s.connect(self.sock)
                    s.close()
                    return self
                except OSError:
                    pass
            time.sleep(0.02)
        self.kill()
        raise AssertionError("%s did not open %s within %.0fs" % (self.kind, self.sock, timeout))

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10.0):
        """Graceful stop: `ovs-appctl exit`, then SIGTERM, then SIGKILL (our pid only)."""
        if not self.running():
            return None
        try:
            subprocess.run(["ovs-appctl", "-T", "5", "-t", self.ctl, "exit"], env=self.env,
                           capture_output=True, timeout=8)
        except (subprocess.TimeoutExpired, OSError):
            pass
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("%s did not exit after 'ovs-appctl exit' and SIGTERM" % self.kind)

    def kill(self, sig=signal.SIGKILL):
        if self.running():
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def cleanup(self):
        self.kill()
        if self in _live_servers:
            _live_servers.remove(self)
        if self.own_tmp and os.environ.get("NUMAVS_KEEP_TMP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, et, ev, tb):
        try:
            if et is None:
                rc = self.stop()
                if rc not in (0, None) and self.kind == "numavs":
                    raise AssertionError("numavs-db exited with %s on 'ovs-appctl exit'" % rc)
                self.check_log()
            elif os.environ.get("NUMAVS_KEEP_TMP") == "1":
                log("keeping %s" % self.tmp)
        finally:
            if et is not None:
                self.dump_tail()
            self.cleanup()
        return False

    # -- logs ---------------------------------------------------------------
    def read_log(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def read_console(self):
        try:
            with open(self.console, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def dump_tail(self, n=40):
        for what, text in (("log", self.read_log()), ("console", self.read_console())):
            lines = text.splitlines()[-n:]
            if lines:
                log("---- %s %s (last %d lines) ----" % (self.kind, what, len(lines)))
                for line in lines:
                    log("  " + line)

    def log_lines(self, levels=LOG_LEVELS, console=True):
        """vlog lines of the given levels in the log file (then the console's)."""
        text = self.read_log() + ("\n" + self.read_console() if console else "")
        return unexpected_log_lines(text, (), levels)

    def check_log(self, allow=(), kinds=("numavs",)):
        """STYLE T4: fails on any WARN/ERR/EMER line of the log and console
        that neither self.log_allow nor `allow` matches.

        Only checks the kinds listed (by default numavs-db only: ovsdb-server's
        own warnings are not ours to judge)."""
        if self.kind not in kinds:
            return []
        text = self.read_log() + "\n" + self.read_console()
        bad = unexpected_log_lines(text, self.log_allow + list(allow))
        if bad:
            raise AssertionError("unexpected WARN/ERR lines in %s log:\n  %s" % (self.kind, "\n  ".join(bad)))
        return bad

    # -- clients ------------------------------------------------------------
    def remote(self):
        return "unix:" + self.sock

    def run(self, argv, timeout=30, check=False, input=None):
        r = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise AssertionError("%s: rc=%d\nstdout:%s\nstderr:%s" % (" ".join(argv), r.returncode, r.stdout, r.stderr))
        return r

    def vsctl(self, *args, check=True, timeout=30):
        return self.run(["ovs-vsctl", "--db=" + self.remote(), "--timeout=20"] + list(args),
                        timeout=timeout, check=check)

    def appctl(self, *args, check=True, timeout=30):
        return self.run(["ovs-appctl", "-T", "20", "-t", self.ctl] + list(args), timeout=timeout, check=check)

    def connect(self, timeout=20.0):
        return RpcClient(self.sock, timeout=timeout)


@atexit.register
def _cleanup_all():
    for s in list(_live_servers):
        try:
            s.cleanup()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


def _on_term(signum, frame):
    _cleanup_all()
    os._exit(128 + signum)


signal.signal(signal.SIGTERM, _on_term)


# -----------------------------------------------------------------------------
class RpcClosed(Exception):
    pass


class RpcClient:
    """Blocking JSON-RPC 1.0 client over a unix socket (OVSDB framing: bare JSON
    values back to back). Notifications are queued in self.notifications."""

    def __init__(self, path, timeout=20.0):
        # A unix socket's listen backlog can be full for a moment when many
        # clients connect at once (connect() then fails with EAGAIN): retry
        # until the timeout, as the OVS clients' reconnect logic does.
        deadline = time.monotonic() + timeout
        while True:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            try:
                self.sock.connect(path)
                break
            except BlockingIOError:
                self.sock.close()
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.01)
        self.timeout = timeout
        self._dec = codecs.getincrementaldecoder("utf-8")()
        self._buf = ""
        self._jd = json.JSONDecoder()
        self._next_id = 1
        self.notifications = []
        self.replies = {}
        self.closed = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.closed = True

    def send_raw(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def send(self, msg):
        self.send_raw(json.dumps(msg, separators=(",", ":")))

    def request(self, method, params):
        """Sends a request, returns its id (without waiting)."""
        rid = self._next_id
        self._next_id += 1
        self.send({"id": rid, "method": method, "params": params})
        return rid

    def _parse(self):
        out = []
        while True:
            self._buf = self._buf.lstrip()
            if not self._buf:
                break
            try:
                obj, end = self._jd.raw_decode(self._buf)
            except ValueError:
                break
            self._buf = self._buf[end:]
            out.append(obj)
        return out

    def read_some(self, timeout=None):
        """Reads once (waits up to timeout) and files what arrived. Raises
        RpcClosed at EOF, socket.timeout if nothing came."""
        self.sock.settimeout(self.timeout if timeout is None else timeout)
        data = self.sock.recv(1 << 20)
        if not data:
            self.closed = True
            raise RpcClosed("server closed the connection")
        self._buf += self._dec.decode(data)
        # Every JSON-RPC message is an object: only try to parse once a '}'
        # arrived, so that a huge message costs O(n), not O(n^2).
        if b"}" not in data:
            return
        for msg in self._parse():
            if isinstance(msg, dict) and msg.get("id") is not None and "method" not in msg:
                self.replies[json.dumps(msg["id"])] = msg
            elif isinstance(msg, dict) and msg.get("method") == "echo" and msg.get("id") is not None:
                self.send({"id": msg["id"], "result": msg.get("params", []), "error": None})
            else:
                self.notifications.append(msg)

    def wait_reply(self, rid, timeout=None):
        key = json.dumps(rid)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while key not in self.replies:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no reply to id %r within timeout" % (rid,))
            self.read_some(left)
        return self.replies.pop(key)

    def call(self, method, params, timeout=None):
        """Returns the whole reply object {"id","result","error"}."""
        return self.wait_reply(self.request(method, params), timeout)

    def transact(self, db, *ops, timeout=None):
        return self.call("transact", [db] + list(ops), timeout)

    def wait_eof(self, timeout=5.0):
        """True if the server closes the connection within timeout (data before EOF is discarded)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                try:
                    self.read_some(max(0.01, deadline - time.monotonic()))
                except socket.timeout:
                    return False
        except (RpcClosed, ConnectionResetError, BrokenPipeError):
            return True
        return False


# -----------------------------------------------------------------------------
class UuidNormaliser:
    """Replaces UUIDs by <uuid-N>, numbered in first-seen order (shared over calls)."""

    def __init__(self):
        self.names = {}

    def __call__(self, text):
        def sub(m):
            u = m.group(0)
            if u not in self.names:
                self.names[u] = "<uuid-%d>" % (len(self.names) + 1)
            return self.names[u]
        return UUID_RE.sub(sub, text)


def mask_uuids(text):
    return UUID_RE.sub("<uuid>", text)


def unified_diff(a, b, name_a, name_b):
    import difflib
    return "".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True), name_a, name_b))


class Failures:
    """Collects check failures so a test reports all of them at once."""

    def __init__(self):
        self.items = []

    def check(self, cond, what):
        if not cond:
            self.items.append(what)
            log("FAIL: " + what)
        return cond

    def eq(self, got, want, what):
        return self.check(got == want, "%s: got %s, want %s" % (what, _short(got), _short(want)))

    def finish(self, name):
        if self.items:
            log("%s: %d check(s) failed" % (name, len(self.items)))
            sys.exit(1)
        log("%s: all checks passed" % name)


def _short(v, n=400):
    s = v if isinstance(v, str) else json.dumps(v, sort_keys=True)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)
