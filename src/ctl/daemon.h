// Daemon plumbing shared by numavs-db and numavs-switchd: pidfiles,
// --detach, and the run-directory conventions ovs-appctl relies on
// (RUNDIR/NAME.pid holding the pid, RUNDIR/NAME.PID.ctl the control socket).
#pragma once

#include <optional>
#include <string>

#include <asio.hpp>

#include "base/status.h"
#include "ctl/unixctl.h"

namespace vs::ctl {

// The log directory of the OVS conventions: $OVS_LOGDIR or
// /var/log/openvswitch (the run directory: DefaultRunDir(), unixctl.h).
std::string LogDir();
// The value of "--name=VALUE" in `arg`, or nullopt when `arg` is not that option.
std::optional<std::string> OptionValue(const std::string& arg, const std::string& name);

// Writes "PID\n" to `path` (via a temporary file and rename) and holds an
// fcntl write lock on it until RemovePidfile() or exit, as OVS daemons do
// (ovs-appctl treats an unlocked pidfile as stale). The process must not open
// and close the pidfile elsewhere: that would drop the lock. Errors: EEXIST
// with the holder's pid when another process holds the lock; errno otherwise.
Status WritePidfile(const std::string& path);
// Removes the pidfile if it still names this process.
void RemovePidfile(const std::string& path);

// Forks; the parent waits until the child calls DetachDone() (then exits 0)
// or dies (then exits 1). The child becomes a session leader. Call before
// creating threads or event loops. Errors: errno of fork/pipe.
Status Detach();
// Tells the waiting parent that start-up succeeded, and points stdin,
// stdout and stderr at /dev/null. No-op if Detach() was not called.
void DetachDone();

// The shared main loop of the numavs daemons: registers "exit" on `ctl`,
// writes `pidfile` (if not empty), stops on SIGTERM/SIGINT, reopens the log
// file on SIGHUP, ignores SIGPIPE, tells a --detach parent that start-up
// succeeded, runs `io` until it is stopped, then removes the pidfile.
// Returns true if the "exit" command stopped it. Errors: those of WritePidfile.
Result<bool> RunDaemon(asio::io_context& io, UnixctlServer& ctl, const std::string& pidfile);

}  // namespace vs::ctl
