#!/usr/bin/env python3
"""install_prefix: `cmake --install BUILD --prefix TMP` gives a working numavs
with no path of the source or build tree in it.

It installs into a temporary prefix and checks the layout (bin/numavs,
bin/numavs-vsctl, sbin/numavs-db, sbin/numavs-switchd,
share/numavs/vswitch.ovsschema, lib/systemd/system/numavs{,-db,-switchd}.service
naming the prefix), that no installed text names the source or build tree, and
that systemd accepts the units (systemd-analyze verify). Then, in a private
mount namespace where the source and build trees are hidden under empty tmpfs
mounts, and a private network namespace, the installed launcher starts
numavs-db and numavs-switchd, the real ovs-vsctl adds a bridge and reads it
back, `numavs status` reports both daemons, and `numavs stop` stops them; the
database is numavs.db and an OVS conf.db beside it is left as it was.

  test_install.py --builddir BUILD --srcdir SRC
"""
import os
import shutil
import subprocess
import sys
import tempfile
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
import harness  # noqa: E402

FILES = ["bin/numavs", "bin/numavs-vsctl", "bin/numavs-ofctl", "bin/numavs-mem", "sbin/numavs-db",
         "sbin/numavs-switchd", "share/numavs/vswitch.ovsschema",
         "lib/systemd/system/numavs.service", "lib/systemd/system/numavs-db.service",
         "lib/systemd/system/numavs-switchd.service"]

# Runs with the trees hidden: everything the user would type after installing.
SCRIPT = r"""
set -u
for d in "$@"; do mount -t tmpfs numavs-hidden "$d" || exit 90; done
test -z "$(ls -A "$1")" || exit 91
echo "# numavs start"; ip netns exec "$NS" "$PREFIX/bin/numavs" start || exit 92
echo "# add-br"; ovs-vsctl --timeout=10 add-br br0 -- set bridge br0 datapath_type=netdev || exit 93
echo "# list-br"; ovs-vsctl --timeout=10 list-br
echo "# ovs_version"; ovs-vsctl --timeout=10 get Open_vSwitch . ovs_version
echo "# status"; "$PREFIX/bin/numavs" status || exit 94
echo "# numavs stop"; ip netns exec "$NS" "$PREFIX/bin/numavs" stop || exit 95
echo "# status after stop"; "$PREFIX/bin/numavs" status
echo "status rc=$?"
"""


def arg(name):
    return sys.argv[sys.argv.index(name) + 1]


def main():
    harness.require_ovs_tools()
    if os.geteuid() != 0:
        harness.skip("needs root for mount and network namespaces")
    for tool in ("unshare", "cmake"):
        if shutil.which(tool) is None:
            harness.skip("%s missing" % tool)
    build, src = os.path.realpath(arg("--builddir")), os.path.realpath(arg("--srcdir"))
    f = harness.Failures()
    tmp = tempfile.mkdtemp(prefix="numavs-install-")
    prefix = os.path.join(tmp, "prefix")
    run = os.path.join(tmp, "run")
    os.mkdir(run)
    # A distribution's OVS database where OVS keeps it: numavs must leave it alone.
    ovs_db = os.path.join(run, "conf.db")
    subprocess.run(["ovsdb-tool", "create", ovs_db, harness.SYSTEM_SCHEMA], check=True)
    with open(ovs_db, "rb") as fh:
        ovs_db_bytes = fh.read()
    ns = "numavs-inst-" + uuid.uuid4().hex[:6]
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        r = subprocess.run(["cmake", "--install", build, "--prefix", prefix], capture_output=True,
                           text=True, timeout=60)
        f.check(r.returncode == 0, "cmake --install: %s%s" % (r.stdout, r.stderr))
        for rel in FILES:
            f.check(os.path.isfile(os.path.join(prefix, rel)), "installed: " + rel)
        for rel in FILES:
            path = os.path.join(prefix, rel)
            if not os.path.isfile(path) or rel.startswith(("bin/numavs-", "sbin/")):
                continue  # binaries: proven below by running them with the trees hidden
            with open(path, "rb") as fh:
                data = fh.read()
            for tree in (src, build):
                f.check(tree.encode() not in data, "%s names %s" % (rel, tree))
            if rel.endswith(".service") and rel != "lib/systemd/system/numavs.service":
                f.check(("ExecStart=%s/bin/numavs start" % prefix).encode() in data,
                        "%s runs the installed launcher: %r" % (rel, data))
        if shutil.which("systemd-analyze"):
            units = [os.path.join(prefix, u) for u in FILES if u.endswith(".service")]
            r = subprocess.run(["systemd-analyze", "verify"] + units, capture_output=True,
                               text=True, timeout=60)
            f.check(r.returncode == 0 and "numavs" not in r.stderr,
                    "systemd-analyze verify: %s%s" % (r.stdout, r.stderr))
        else:
            harness.log("NOTE: systemd-analyze is not installed: the unit files were not verified")

        hidden = [src] + ([build] if not build.startswith(src + "/") else [])
        env = harness.client_env(run)
        env.update({"NS": ns, "PREFIX": prefix})
        env.pop("NUMAVS_SCHEMA", None)
        r = subprocess.run(["unshare", "--mount", "--propagation", "private", "--", "bash", "-c",
                            SCRIPT, "install-test"] + hidden,
                           env=env, capture_output=True, text=True, timeout=90)
        harness.log(r.stdout + r.stderr)
        f.eq(r.returncode, 0, "the installed numavs with the trees hidden (exit code)")
        f.check("started numavs-db" in r.stdout and "started numavs-switchd" in r.stdout,
                "the launcher started both daemons")
        f.check("# list-br\nbr0\n" in r.stdout, "ovs-vsctl list-br answers br0")
        f.check("numavs-db is running" in r.stdout and "numavs-switchd is running" in r.stdout,
                "numavs status")
        f.check("stopped numavs-switchd" in r.stdout and "stopped numavs-db" in r.stdout,
                "numavs stop")
        f.check("status rc=3" in r.stdout, "nothing runs after stop")
        f.check(os.path.isfile(os.path.join(run, "numavs.db")), "numavs's database is numavs.db")
        with open(ovs_db, "rb") as fh:
            f.check(fh.read() == ovs_db_bytes, "OVS's conf.db left untouched")
        left = [p for p in os.listdir(run) if p.endswith(".pid")]
        for p in left:
            with open(os.path.join(run, p)) as fh:
                pid = fh.read().strip()
            f.check(not os.path.exists("/proc/%s" % pid), "%s (pid %s) still runs" % (p, pid))
    finally:
        for p in os.listdir(run) if os.path.isdir(run) else []:
            if p.endswith(".pid"):  # only if the launcher failed to stop them
                try:
                    with open(os.path.join(run, p)) as fh:
                        os.kill(int(fh.read().strip()), 9)
                except (OSError, ValueError):
                    pass
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    f.finish("install_prefix")


if __name__ == "__main__":
    main()
