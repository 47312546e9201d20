// numavs-switchd: the switch daemon (the role of ovs-vswitchd).
//
//   numavs-switchd [DATABASE] [--pidfile[=FILE]] [--unixctl=PATH]
//                  [--log-file[=FILE]] [--detach] [-v SPEC]...
//
// DATABASE is unix:PATH or tcp:IP:PORT (default unix:RUNDIR/db.sock), as for
// ovs-vswitchd.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

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
      "  --pidfile[=FILE]    write a pidfile (default RUNDIR/{0}.pid)\n"
      "  --unixctl=PATH      control socket (default RUNDIR/{0}.PID.ctl)\n"
      "  --log-file[=FILE]   log to FILE (default LOGDIR/{0}.log)\n"
      "  --detach            run in the background\n"
      "  --sysfs-root=DIR    read the NUMA topology from DIR (laid out like /sys) and\n"
      "                      simulate DPDK memory and devices over it (tests, demos)\n"
      "  -v, --verbose=SPEC  set log levels (as ovs-appctl vlog/set)\n"
      "  --version, --help\n",
      kProgram);
}

}  // namespace

int main(int argc, char** argv) {
  std::string rundir = vs::ctl::DefaultRunDir();
  std::string logdir = vs::ctl::LogDir();
  std::string db = fmt::format("unix:{}/db.sock", rundir);
  std::string pidfile, unixctl, log_file, sysfs_root;
  bool detach = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      Usage();
      return 0;
    } else if (a == "--version" || a == "-V") {
      fmt::print("{}\n", kVersion);
      return 0;
    } else if (a == "--pidfile") {
      pidfile = fmt::format("{}/{}.pid", rundir, kProgram);
    } else if (auto v = vs::ctl::OptionValue(a, "--pidfile")) {
      pidfile = *v;
    } else if (auto v = vs::ctl::OptionValue(a, "--unixctl")) {
      unixctl = *v;
    } else if (a == "--log-file") {
      log_file = fmt::format("{}/{}.log", logdir, kProgram);
    } else if (auto v = vs::ctl::OptionValue(a, "--log-file")) {
      log_file = *v;
    } else if (a == "--detach") {
      detach = true;
    } else if (auto v = vs::ctl::OptionValue(a, "--sysfs-root")) {
      sysfs_root = *v;
    } else if (a == "--no-chdir" || a == "--monitor" || a == "--mlockall") {
      // accepted for ovs-vswitchd compatibility
    } else if (auto v = vs::ctl::OptionValue(a, "--verbose")) {
      if (vs::Status s = vs::log::ApplySpec(*v); !s.ok()) return Fail(s.message());
    } else if (a == "-v" && i + 1 < argc) {
      if (vs::Status s = vs::log::ApplySpec(argv[++i]); !s.ok()) return Fail(s.message());
    } else if (!a.empty() && a[0] == '-') {
      return Fail(fmt::format("unknown option \"{}\" (use --help for help)", a));
    } else {
      db = a;
    }
  }
  if (!log_file.empty()) {
    if (vs::Status s = vs::log::SetLogFile(log_file); !s.ok()) return Fail(s.message());
  }
  if (detach) {
    if (vs::Status s = vs::ctl::Detach(); !s.ok()) return Fail(s.message());
  }
  asio::io_context io(1);
  vs::switchd::Switchd sw(io, db, sysfs_root);
  if (vs::Status s = sw.Start(); !s.ok()) return Fail(s.message());
  std::string ctl_path =
      unixctl.empty() ? fmt::format("{}/{}.{}.ctl", rundir, kProgram, getpid()) : unixctl;
  auto ctl = vs::ctl::UnixctlServer::Create(io, ctl_path, kVersion);
  if (!ctl.ok()) return Fail(ctl.status().message());
  sw.RegisterCommands(**ctl);
  VS_LOG_INFO(kLog, "{} started, pid {}, database {}", kVersion, getpid(), db);
  auto run = vs::ctl::RunDaemon(io, **ctl, pidfile);
  if (!run.ok()) return Fail(run.status().message());
  return 0;
}
