// Daemon plumbing shared by numavs-db and numavs-switchd: pidfiles,
// --detach, and the run-directory conventions ovs-appctl relies on
// (RUNDIR/NAME.pid holding the pid, RUNDIR/NAME.PID.ctl the control socket).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio.hpp>

#include "base/status.h"
#include "ctl/options.h"
#include "ctl/unixctl.h"

namespace vs::ctl {

// The log directory of the OVS conventions: $OVS_LOGDIR or
// /var/log/openvswitch (the run directory: DefaultRunDir(), unixctl.h).
std::string LogDir();

// The names a daemon answers to: its own ("numavs-db") and the OVS daemon's
// it stands in for ("ovsdb-server"), so that `ovs-appctl -t ovsdb-server` and
// plain `ovs-appctl` (ovs-vswitchd) reach numavs as they reach OVS.
struct DaemonNames {
  std::string program;
  std::string ovs_name;
};

// The pidfiles a daemon started with `o` holds: the one it was given, and,
// when that is the default one (--pidfile without a name), also
// RUNDIR/OVS_NAME.pid.
std::vector<std::string> Pidfiles(const DaemonOptions& o, const DaemonNames& names);
// Errors: EEXIST "PROGRAM is already running as pid N (PIDFILE)" when
// another process holds one of `pidfiles`. Called first, before the daemon
// touches any socket or file, and again by WritePidfile() itself.
Status CheckNotRunning(const std::vector<std::string>& pidfiles);
// The control sockets of the daemon: --unixctl or RUNDIR/PROGRAM.PID.ctl,
// and with the default pidfile also RUNDIR/OVS_NAME.PID.ctl. Stale
// RUNDIR/NAME.*.ctl sockets of killed daemons (nobody listening) are
// removed first. Errors: those of UnixctlServer::Create/AddPath.
Result<std::unique_ptr<UnixctlServer>> CreateControl(asio::io_context& io, const DaemonOptions& o,
                                                     const DaemonNames& names,
                                                     std::string version_text);
// Removes RUNDIR/NAME.PID.ctl sockets that nobody listens on (a killed
// daemon's), except this process's own. Returns how many were removed.
int RemoveStaleControlSockets(const std::string& rundir, const std::string& name);

// Writes "PID\n" to `path` (via a temporary file and rename) and holds an
// fcntl write lock on it until RemovePidfile() or exit, as OVS daemons do
// (ovs-appctl treats an unlocked pidfile as stale). The process must not open
// and close the pidfile elsewhere: that would drop the lock. Errors: EEXIST
// with the holder's pid when another process holds the lock; errno otherwise.
Status WritePidfile(const std::string& path);
// Removes the pidfile if it still names this process. Several pidfiles may
// be held at once (each keeps its own descriptor and lock).
void RemovePidfile(const std::string& path);

// Forks; the parent waits until the child calls DetachDone() (then exits 0)
// or dies (then exits 1). The child becomes a session leader. Call before
// creating threads or event loops. Errors: errno of fork/pipe.
Status Detach();
// Tells the waiting parent that start-up succeeded, and points stdin,
// stdout and stderr at /dev/null. No-op if Detach() was not called.
void DetachDone();

// The shared main loop of the numavs daemons: registers "exit" on `ctl`,
// stops on SIGTERM/SIGINT, reopens the log file on SIGHUP, ignores SIGPIPE,
// tells a --detach parent that start-up succeeded, runs `io` until it is
// stopped, then removes `pidfiles` (written earlier with WritePidfile, right
// after Detach(), so that a second instance stops before touching
// anything). Returns true if the "exit" command stopped it.
bool RunDaemon(asio::io_context& io, UnixctlServer& ctl, const std::vector<std::string>& pidfiles);

}  // namespace vs::ctl
