// The command-line options every numavs daemon shares with the OVS daemons,
// parsed once for numavs-db and numavs-switchd (getopt_long, so the spelling
// rules are OVS's): `--pidfile[=FILE]`, `--detach`, `--log-file[=FILE]`,
// `--unixctl=SOCKET`, `-vSPEC` / `--verbose[=SPEC]`, `--remote=REMOTE`
// (repeatable), `--help`, `--version`, `--mlockall` (recorded; numavs-switchd
// locks its memory as ovs-vswitchd does), and the accepted-and-meaningless
// `--no-chdir`, `--monitor`, `--overwrite-pidfile`. An option
// whose value is required takes `--opt=value` or `--opt value`; an optional
// value only `--opt=value` (as getopt_long: `--pidfile conf.db` is a pidfile
// and an argument). A program adds its own options with ExtraOption.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"

namespace vs::ctl {

struct DaemonOptions {
  std::string pidfile;          // empty: no pidfile
  bool default_pidfile = false;  // --pidfile without a name (RUNDIR/PROGRAM.pid)
  bool detach = false;
  std::string log_file;         // empty: no log file
  std::string unixctl;          // empty: RUNDIR/PROGRAM.PID.ctl
  std::vector<std::string> remotes;
  std::vector<std::string> args;  // the non-option arguments, in order
  bool help = false, version = false;
  bool mlockall = false;  // --mlockall: the daemon locks its memory (numavs-switchd)
};

struct ExtraOption {
  enum class Arg { kNone, kRequired, kOptional };
  std::string name;  // without the leading "--"
  Arg arg = Arg::kNone;
  // Called with the value ("" for kNone, or kOptional given without one).
  std::function<Status(const std::string& value)> apply;
};

// Parses argv for `program` (which names the default pidfile and log file in
// RUNDIR/LOGDIR). -v/--verbose specs are applied to the log as they are met.
// `allow_remote` false makes --remote an unknown option. Errors: EINVAL with a
// sentence naming the option ("unknown option", "--unixctl needs a value",
// the error of an ExtraOption or of a vlog spec).
Result<DaemonOptions> ParseDaemonOptions(int argc, char** argv, const std::string& program,
                                         const std::vector<ExtraOption>& extra,
                                         bool allow_remote);

}  // namespace vs::ctl
