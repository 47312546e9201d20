// numavs-switchd: the switch daemon (the role of ovs-vswitchd).
//
//   numavs-switchd [DATABASE] [--pidfile[=FILE]] [--unixctl=PATH]
//                  [--log-file[=FILE]] [--detach] [-v SPEC]...
//
// DATABASE is unix:PATH or tcp:IP:PORT (default unix:RUNDIR/db.sock), as for
// ovs-vswitchd.
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <asio.hpp>
#include <fmt/format.h>

#include "base/log.h"
#include "ctl/daemon.h"
#include "ctl/unixctl.h"
#include "switchd/switchd.h"

namespace {

vs::log::Module& kLog = vs::log::GetModule("numavs_switchd");
constexpr const char* kProgram = "numavs-switchd";
constexpr const char* kVersion = "numavs-switchd (numavs) 0.1.0";

int Fail(const std::string& msg) {
  fmt::print(stderr, "{}: {}\n", kProgram, msg);
  return 1;
}

void Usage() {
  fmt::print(
      "{0}: the numavs switch daemon\n"
      "usage: {0} [DATABASE] [OPTIONS]\n"
      "DATABASE is unix:PATH or tcp:IP:PORT (default unix:RUNDIR/db.sock)\n"
      "  --pidfile[=FILE]    write a pidfile (default RUNDIR/{0}.pid; the default also\n"
      "                      takes RUNDIR/ovs-vswitchd.pid and ovs-vswitchd.PID.ctl, so\n"
      "                      that ovs-appctl without -t reaches numavs-switchd)\n"
      "  --unixctl=PATH      control socket (default RUNDIR/{0}.PID.ctl)\n"
      "  --log-file[=FILE]   log to FILE (default LOGDIR/{0}.log)\n"
      "  --detach            run in the background\n"
      "  --mlockall          lock all of the daemon's memory in RAM (mlockall), as\n"
      "                      ovs-vswitchd --mlockall; vhost-user post-copy migration is\n"
      "                      then unavailable (other_config:vhost-postcopy-support)\n"
      "  --sysfs-root=DIR    read the NUMA topology from DIR (laid out like /sys) and\n"
      "                      simulate DPDK memory and devices over it (tests, demos)\n"
      "  -v, --verbose=SPEC  set log levels (as ovs-appctl vlog/set)\n"
      "  --version, --help\n",
      kProgram);
}

}  // namespace

int main(int argc, char** argv) {
  std::string sysfs_root;
  using vs::ctl::ExtraOption;
  std::vector<ExtraOption> extra = {
      {"sysfs-root", ExtraOption::Arg::kRequired, [&](const std::string& v) {
         sysfs_root = v;
         return vs::Status::Ok();
       }}};
  auto parsed = vs::ctl::ParseDaemonOptions(argc, argv, kProgram, extra, false);
  if (!parsed.ok()) return Fail(parsed.status().message());
  const vs::ctl::DaemonOptions& o = *parsed;
  if (o.help) {
    Usage();
    return 0;
  }
  if (o.version) {
    fmt::print("{}\n", kVersion);
    return 0;
  }
  if (o.args.size() > 1) return Fail("at most one database may be named (use --help for help)");
  std::string db = o.args.empty() ? fmt::format("unix:{}/db.sock", vs::ctl::DefaultRunDir())
                                  : o.args[0];
  // Start-up order: see numavs-db's Run(); a second instance stops at the
  // pidfile before it touches any socket.
  const vs::ctl::DaemonNames names{kProgram, "ovs-vswitchd"};
  std::vector<std::string> pidfiles = vs::ctl::Pidfiles(o, names);
  if (vs::Status s = vs::ctl::CheckNotRunning(pidfiles); !s.ok()) return Fail(s.message());
  if (!o.log_file.empty()) {
    if (vs::Status s = vs::log::SetLogFile(o.log_file); !s.ok()) return Fail(s.message());
  }
  if (o.detach) {
    if (vs::Status s = vs::ctl::Detach(); !s.ok()) return Fail(s.message());
  }
  auto fail = [&](const std::string& msg) {
    for (const std::string& p : pidfiles) vs::ctl::RemovePidfile(p);
    return Fail(msg);
  };
  for (const std::string& p : pidfiles) {
    if (vs::Status s = vs::ctl::WritePidfile(p); !s.ok()) return fail(s.message());
  }
  if (o.mlockall && mlockall(MCL_CURRENT | MCL_FUTURE) != 0)  // as ovs-vswitchd: report, go on
    VS_LOG_ERR(kLog, "--mlockall: mlockall failed: {}; memory stays pageable", strerror(errno));
  asio::io_context io(1);
  vs::switchd::Switchd sw(io, db, sysfs_root);
  if (vs::Status s = sw.Start(); !s.ok()) return fail(s.message());
  auto ctl = vs::ctl::CreateControl(io, o, names, kVersion);
  if (!ctl.ok()) return fail(ctl.status().message());
  sw.RegisterCommands(**ctl);
  VS_LOG_INFO(kLog, "{} started, pid {}, database {}", kVersion, getpid(), db);
  vs::ctl::RunDaemon(io, **ctl, pidfiles);
  return 0;
}
