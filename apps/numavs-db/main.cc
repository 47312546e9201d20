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
      "  --remote=db:DB,TABLE,COLUMN  listen on the remotes that column holds, as it\n"
      "                             changes (db:Open_vSwitch,Open_vSwitch,manager_options)\n"
      "  --pidfile[=FILE]           write a pidfile (default RUNDIR/{0}.pid; the default\n"
      "                             also takes RUNDIR/ovsdb-server.pid and\n"
      "                             ovsdb-server.PID.ctl: ovs-appctl -t ovsdb-server)\n"
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
  vs::ctl::DaemonOptions d;
  size_t max_message = 128u << 20;
  bool direct_io = true;
  bool ack_before_sync = false;
};

const vs::ctl::DaemonNames kNames{kProgram, "ovsdb-server"};

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

// Start-up, in the order that keeps a second instance from touching anything
// of a running one: the pidfiles are checked first, taken right after
// --detach, then each database file is locked as it is loaded (as
// ovsdb-server locks it), and only then are sockets made.
int Run(const Options& o) {
  std::vector<std::string> pidfiles = vs::ctl::Pidfiles(o.d, kNames);
  if (vs::Status s = vs::ctl::CheckNotRunning(pidfiles); !s.ok()) return Fail(s.message());
  if (!o.d.log_file.empty()) {
    if (vs::Status s = vs::log::SetLogFile(o.d.log_file); !s.ok()) return Fail(s.message());
  }
  if (o.d.detach) {
    vs::Status s = vs::ctl::Detach();
    if (!s.ok()) return Fail(s.message());
  }
  auto fail = [&](const std::string& msg) {
    for (const std::string& p : pidfiles) vs::ctl::RemovePidfile(p);
    return Fail(msg);
  };
  for (const std::string& p : pidfiles) {
    if (vs::Status s = vs::ctl::WritePidfile(p); !s.ok()) return fail(s.message());
  }
  std::vector<vs::ovsdb::server::LoadedDb> dbs;
  for (const std::string& path : o.d.args) {
    // --ack-before-sync writes through the page cache: a direct write is the sync.
    auto l = vs::ovsdb::server::LoadDatabase(path, o.direct_io && !o.ack_before_sync);
    if (!l.ok()) return fail(l.status().message());
    dbs.push_back(std::move(*l));
  }
  if (const char* pause = std::getenv("NUMAVS_TEST_COMPACT_PAUSE_MS")) {
    // Tests only (tests/daemons/test_compaction_kill.py): a compaction
    // pauses half-way through writing its new file, to be killed there.
    vs::ovsdb::storage::Log::set_compact_pause_for_test(std::atoi(pause));
  }
  asio::io_context io(1);
  vs::ovsdb::server::ServerOptions so;
  so.max_message = o.max_message;
  so.ack_before_sync = o.ack_before_sync;
  auto srv = vs::ovsdb::server::DbServer::Create(io, std::move(dbs), so);
  if (!srv.ok()) return fail(srv.status().message());
  for (const std::string& r : o.d.remotes) {
    vs::Status s = (*srv)->AddRemote(r);
    if (!s.ok()) return fail(s.message());
  }
  auto ctl = vs::ctl::CreateControl(io, o.d, kNames, kVersion);
  if (!ctl.ok()) return fail(ctl.status().message());
  (*srv)->RegisterCommands(**ctl);
  VS_LOG_INFO(kLog, "{} started, pid {}", kVersion, getpid());
  if (o.ack_before_sync) {
    VS_LOG_INFO(kLog, "--ack-before-sync: commits are acknowledged once written and made durable "
                "within {} ms; a crash of the machine may lose the commits of those last ms",
                so.background_sync_after.count());
  }
  vs::ctl::RunDaemon(io, **ctl, pidfiles);
  (*srv)->FlushNow();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "create") return Create(argc, argv);
  Options o;
  using vs::ctl::ExtraOption;
  std::vector<ExtraOption> extra = {
      {"max-message-size", ExtraOption::Arg::kRequired,
       [&](const std::string& v) -> vs::Status {
         char* end = nullptr;
         o.max_message = strtoull(v.c_str(), &end, 10);
         if (v.empty() || *end || o.max_message < 4096)
           return vs::Status(EINVAL, fmt::format("--max-message-size={}: expected a number of bytes, "
                                                 "at least 4096", v));
         return vs::Status::Ok();
       }},
      {"no-direct-io", ExtraOption::Arg::kNone,
       [&](const std::string&) {
         o.direct_io = false;
         return vs::Status::Ok();
       }},
      {"ack-before-sync", ExtraOption::Arg::kNone,
       [&](const std::string&) {
         o.ack_before_sync = true;
         return vs::Status::Ok();
       }},
  };
  auto d = vs::ctl::ParseDaemonOptions(argc, argv, kProgram, extra, true);
  if (!d.ok()) return Fail(d.status().message());
  o.d = std::move(*d);
  if (o.d.help) {
    Usage();
    return 0;
  }
  if (o.d.version) {
    fmt::print("{}\n", kVersion);
    return 0;
  }
  if (o.d.args.empty()) return Fail("no database file given (use --help for help)");
  return Run(o);
}
