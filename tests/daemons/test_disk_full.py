"""A restart on a full file system (issue 13, defect 9): numavs-db says the
file system is full (not "no direct I/O here", which would send the operator
after the wrong cause), keeps direct I/O, and serves reads; once space is
freed a restart commits with direct writes again.

The database lives on a small ext4 file system in a loop-mounted image (ext4
takes O_DIRECT; tmpfs would not)."""
import os
import shutil
import subprocess
import tempfile

import common
from common import check_rc, log, wait_for

F = common.harness.Failures()


class Db:
    def __init__(self, bindir, tmp, db):
        self.bindir, self.tmp, self.db = bindir, tmp, db
        self.sock = os.path.join(tmp, "db.sock")
        self.ctl = os.path.join(tmp, "db.ctl")
        self.logfile = os.path.join(tmp, "db.log")
        self.env = common.harness.client_env(tmp)
        self.proc = None

    def start(self):
        open(self.logfile, "w").close()
        self.proc = subprocess.Popen([os.path.join(self.bindir, "numavs-db"), "--remote=punix:" + self.sock,
                                      "--unixctl=" + self.ctl, "--log-file=" + self.logfile, self.db],
                                     env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for(lambda: self.proc.poll() is not None or
                 (os.path.exists(self.ctl) and os.path.exists(self.sock)), "numavs-db to start")
        if self.proc.poll() is not None:
            raise AssertionError("numavs-db exited: %s" % open(self.logfile).read())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            subprocess.run(["ovs-appctl", "-T", "10", "-t", self.ctl, "exit"], env=self.env, capture_output=True)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def run(self, *argv):
        return subprocess.run(list(argv), env=self.env, capture_output=True, text=True, timeout=30)

    def log(self):
        return open(self.logfile, errors="replace").read()


def main():
    common.require_tools("ovs-vsctl", "ovs-appctl", "ovsdb-client", "mkfs.ext4", "mount", "umount")
    if os.geteuid() != 0:
        common.harness.skip("needs root (loop mount)")
    bindir = common.bindir_from_argv()
    tmp = tempfile.mkdtemp(prefix="numavs-diskfull-")
    mnt = os.path.join(tmp, "mnt")
    os.mkdir(mnt)
    img = os.path.join(tmp, "fs.img")
    with open(img, "wb") as f:
        f.truncate(8 << 20)
    check_rc(subprocess.run(["mkfs.ext4", "-q", "-F", img], capture_output=True, text=True), 0, "mkfs.ext4")
    check_rc(subprocess.run(["mount", "-o", "loop", img, mnt], capture_output=True, text=True), 0, "mount")
    d = Db(bindir, tmp, os.path.join(mnt, "conf.db"))
    try:
        check_rc(d.run(os.path.join(bindir, "numavs-db"), "create", d.db, common.harness.schema_path()), 0,
                 "numavs-db create")
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"x" * 4096)
                    f.flush()
            except OSError as e:
                log("file system filled: %s" % e)
        d.start()
        text = d.log()
        F.check("the file system is full (No space left on device)" in text, "says the file system is full")
        F.check("no direct I/O here" not in text, "not misread as 'no direct I/O here'")
        r = d.run("ovsdb-client", "dump", "unix:" + d.sock, "Open_vSwitch", "Open_vSwitch")
        F.check(r.returncode == 0, "reads are served on a full file system: %r\n%s" % (r.stderr, d.log()))
        d.stop()
        os.unlink(filler)
        d.start()
        F.check("file system is full" not in d.log(), "no full-disk WARN once space is back")
        check_rc(d.run("ovs-vsctl", "--db=unix:" + d.sock, "--no-wait", "init"), 0, "a commit after space is back")
        r = d.run("ovs-appctl", "-t", d.ctl, "memory/show")
        F.check("(direct writes" in r.stdout, "direct writes once space is back: %r" % r.stdout)
    finally:
        d.stop()
        subprocess.run(["umount", mnt], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    F.finish("daemons_disk_full")


if __name__ == "__main__":
    main()
