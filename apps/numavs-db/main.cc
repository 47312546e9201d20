// numavs-db: the OVSDB-protocol configuration database server.
//
//   numavs-db create DB SCHEMA
//   numavs-db [--remote=REMOTE]... [--pidfile[=FILE]] [--unixctl=PATH]
//             [--log-file[=FILE]] [--detach] [-v SPEC]... DB...
//
// Options follow ovsdb-server's so that scripts written for it work.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <asio.hpp>
#include <fmt/format.h>

#include "base/log.h"
#include "ctl/daemon.h"
#include "ctl/unixctl.h"
#include "ovsdb/server/server.h"

namespace {

vs::log::Module& kLog = vs::log::GetModule("numavs_db");
constexpr const char* kProgram = "numavs-db";
constexpr const char* kVersion = "numavs-db (numavs) 0.1.0";

void Usage() {
  fmt::print(
      "{0}: the numavs configuration database server (OVSDB protocol, RFC 7047)\n"
      "usage: {0} create DB SCHEMA        create a database file from a schema\n"
      "       {0} [OPTIONS] DB...         serve the databases in DB...\n"
      "\n"
      "  --remote=punix:PATH        listen on a unix socket (repeatable)\n"
      "  --remote=ptcp:PORT[:IP]    listen on TCP (IP defaults to 127.0.0.1)\n"
      "  --pidfile[=FILE]           write a pidfile (default RUNDIR/{0}.pid)\n"
      "  --unixctl=PATH             control socket (default RUNDIR/{0}.PID.ctl)\n"
      "  --log-file[=FILE]          log to FILE (default LOGDIR/{0}.log)\n"
      "  --detach                   run in the background\n"
      "  --max-message-size=BYTES   close connections that send larger messages\n"
      "  --no-direct-io             write commits through the page cache and fdatasync()\n"
      "                             them (the default is one direct O_DSYNC write each;\n"
      "                             file systems that refuse O_DIRECT get this anyway)\n"
      "  --ack-before-sync          acknowledge a commit once it is written to the file,\n"
      "                             as ovsdb-server does, and fdatasync() it in the\n"
      "                             background within 10 ms (\"durable\": true commits\n"
      "                             still wait): a crash of the machine, not of\n"
      "                             numavs-db, may lose the last 10 ms of commits\n"
      "  -v, --verbose=SPEC         set log levels (as ovs-appctl vlog/set)\n"
      "  --version, --help\n"
      "RUNDIR is $OVS_RUNDIR or /var/run/openvswitch; LOGDIR is $OVS_LOGDIR or "
      "/var/log/openvswitch.\n",
      kProgram);
}

struct Options {
  std::vector<std::string> remotes;
  std::vector<std::string> dbs;
  std::string pidfile, unixctl, log_file;
  bool detach = false;
  size_t max_message = 128u << 20;
  bool direct_io = true;
  bool ack_before_sync = false;
};

int Fail(const std::string& msg) {
  fmt::print(stderr, "{}: {}\n", kProgram, msg);
  return 1;
}

int Create(int argc, char** argv) {
  if (argc != 4) return Fail("usage: numavs-db create DB SCHEMA");
  vs::Status s = vs::ovsdb::server::CreateDatabaseFile(argv[2], argv[3]);
  if (!s.ok()) return Fail(s.message());
  return 0;
}

int Run(const Options& o) {
  std::vector<vs::ovsdb::server::LoadedDb> dbs;
  for (const std::string& path : o.dbs) {
    // --ack-before-sync writes through the page cache: a direct write is the sync.
    auto l = vs::ovsdb::server::LoadDatabase(path, o.direct_io && !o.ack_before_sync);
    if (!l.ok()) return Fail(l.status().message());
    dbs.push_back(std::move(*l));
  }
  if (o.detach) {
    vs::Status s = vs::ctl::Detach();
    if (!s.ok()) return Fail(s.message());
  }
  asio::io_context io(1);
  vs::ovsdb::server::ServerOptions so;
  so.max_message = o.max_message;
  so.ack_before_sync = o.ack_before_sync;
  auto srv = vs::ovsdb::server::DbServer::Create(io, std::move(dbs), so);
  if (!srv.ok()) return Fail(srv.status().message());
  for (const std::string& r : o.remotes) {
    vs::Status s = (*srv)->AddRemote(r);
    if (!s.ok()) return Fail(s.message());
  }
  std::string rundir = vs::ctl::DefaultRunDir();
  std::string ctl_path = o.unixctl.empty() ? fmt::format("{}/{}.{}.ctl", rundir, kProgram, getpid())
                                           : o.unixctl;
  auto ctl = vs::ctl::UnixctlServer::Create(io, ctl_path, kVersion);
  if (!ctl.ok()) return Fail(ctl.status().message());
  (*srv)->RegisterCommands(**ctl);
  VS_LOG_INFO(kLog, "{} started, pid {}", kVersion, getpid());
  if (o.ack_before_sync) {
    VS_LOG_INFO(kLog, "--ack-before-sync: commits are acknowledged once written and made durable "
                "within {} ms; a crash of the machine may lose the commits of those last ms",
                so.background_sync_after.count());
  }
  auto run = vs::ctl::RunDaemon(io, **ctl, o.pidfile);
  if (!run.ok()) return Fail(run.status().message());
  (*srv)->FlushNow();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "create") return Create(argc, argv);
  Options o;
  std::string rundir = vs::ctl::DefaultRunDir();
  std::string logdir = vs::ctl::LogDir();
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      Usage();
      return 0;
    } else if (a == "--version" || a == "-V") {
      fmt::print("{}\n", kVersion);
      return 0;
    } else if (auto v = vs::ctl::OptionValue(a, "--remote")) {
      o.remotes.push_back(*v);
    } else if (a == "--remote" && i + 1 < argc) {
      o.remotes.push_back(argv[++i]);
    } else if (a == "--pidfile") {
      o.pidfile = fmt::format("{}/{}.pid", rundir, kProgram);
    } else if (auto v = vs::ctl::OptionValue(a, "--pidfile")) {
      o.pidfile = *v;
    } else if (auto v = vs::ctl::OptionValue(a, "--unixctl")) {
      o.unixctl = *v;
    } else if (a == "--log-file") {
      o.log_file = fmt::format("{}/{}.log", logdir, kProgram);
    } else if (auto v = vs::ctl::OptionValue(a, "--log-file")) {
      o.log_file = *v;
    } else if (a == "--no-direct-io") {
      o.direct_io = false;
    } else if (a == "--ack-before-sync") {
      o.ack_before_sync = true;
    } else if (a == "--detach") {
      o.detach = true;
    } else if (a == "--no-chdir" || a == "--monitor" || a == "--overwrite-pidfile") {
      // accepted for ovsdb-server compatibility; numavs-db never changes directory
    } else if (auto v = vs::ctl::OptionValue(a, "--max-message-size")) {
      o.max_message = strtoull(v->c_str(), nullptr, 10);
      if (o.max_message < 4096) return Fail("--max-message-size must be at least 4096");
    } else if (auto v = vs::ctl::OptionValue(a, "--verbose")) {
      if (vs::Status s = vs::log::ApplySpec(*v); !s.ok()) return Fail(s.message());
    } else if (a == "-v" && i + 1 < argc) {
      if (vs::Status s = vs::log::ApplySpec(argv[++i]); !s.ok()) return Fail(s.message());
    } else if (a == "-v" || a == "--verbose") {
      (void)vs::log::ApplySpec("dbg");
    } else if (!a.empty() && a[0] == '-') {
      return Fail(fmt::format("unknown option \"{}\" (use --help for help)", a));
    } else {
      o.dbs.push_back(a);
    }
  }
  if (o.dbs.empty()) return Fail("no database file given (use --help for help)");
  if (!o.log_file.empty()) {
    if (vs::Status s = vs::log::SetLogFile(o.log_file); !s.ok()) return Fail(s.message());
  }
  return Run(o);
}
