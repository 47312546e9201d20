// numavs-ofctl: OpenFlow-style table management with ovs-ofctl's command
// names and flow syntax. It talks to numavs-switchd's control socket (the
// OpenFlow wire protocol is a later step).
//
//   numavs-ofctl [-t SOCKET] add-flow BRIDGE FLOW
//   numavs-ofctl [-t SOCKET] add-flows BRIDGE FILE   (one flow per line; '#' comments; '-' = stdin)
//   numavs-ofctl [-t SOCKET] del-flows BRIDGE [--strict] [MATCH]
//   numavs-ofctl [-t SOCKET] dump-flows BRIDGE [MATCH]
//   numavs-ofctl [-t SOCKET] dump-ports BRIDGE
//   numavs-ofctl [-t SOCKET] show BRIDGE
//
// SOCKET defaults to RUNDIR/numavs-switchd.PID.ctl, PID from
// RUNDIR/numavs-switchd.pid (RUNDIR: $OVS_RUNDIR or /var/run/openvswitch).
// Exit status: 0 done, 1 any error (usage, connection, the daemon's refusal).
#include <cstdio>
#include <cstdlib>
#include <climits>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "jsonrpc/client.h"

using vs::Json;

namespace {

constexpr const char* kProgram = "numavs-ofctl";
// What add-flows sends at most (numavs-switchd's control socket takes
// requests up to 24 MiB).
constexpr size_t kMaxFlowsBytes = 16u << 20;

int Fail(const std::string& msg) {
  fmt::print(stderr, "{}: {}\n", kProgram, msg);
  return 1;
}

std::string DefaultTarget() {
  const char* env = getenv("OVS_RUNDIR");
  std::string rundir = env && *env ? env : "/var/run/openvswitch";
  std::ifstream in(rundir + "/numavs-switchd.pid");
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return "";
  return fmt::format("{}/numavs-switchd.{}.ctl", rundir, pid);
}

// The contents of a flows file ('-': stdin), at most kMaxFlowsBytes.
vs::Result<std::string> ReadFlowsFile(const std::string& name) {
  FILE* f = name == "-" ? stdin : std::fopen(name.c_str(), "r");
  if (!f) return vs::Status::FromErrno(errno, name);
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    text.append(buf, n);
    if (text.size() > kMaxFlowsBytes) break;
  }
  bool err = std::ferror(f);
  if (f != stdin) std::fclose(f);
  if (text.size() > kMaxFlowsBytes)
    return vs::Status(EFBIG, fmt::format("{}: larger than {} MiB; split it into several files",
                                         name, kMaxFlowsBytes >> 20));
  if (err) return vs::Status(EIO, fmt::format("{}: read error", name));
  return text;
}

std::string UsageText() {
  return fmt::format(
      "{0}: manage numavs-switchd's flow tables (ovs-ofctl syntax)\n"
      "usage: {0} [-t SOCKET] COMMAND BRIDGE [ARG...]\n"
      "  add-flow BRIDGE FLOW            add or replace a flow\n"
      "  add-flows BRIDGE FILE           add the flows in FILE, one per line ('-' = stdin);\n"
      "                                  all lines are checked first: a bad one adds nothing\n"
      "  del-flows BRIDGE [--strict] [MATCH]  delete matching flows (all if no MATCH)\n"
      "  dump-flows BRIDGE [MATCH]       print flows with packet and byte counters\n"
      "  dump-ports BRIDGE               print port counters\n"
      "  show BRIDGE                     print the bridge's ports\n"
      "FLOW example: \"priority=100,in_port=dpdk0,ip,nw_dst=10.0.0.0/8,actions=output:dpdk1\"\n",
      kProgram);
}

}  // namespace

int main(int argc, char** argv) {
  std::string target;
  bool strict = false;
  std::vector<std::string> pos;
  CLI::App app{"", kProgram};
  app.formatter_fn([](const CLI::App*, std::string, CLI::AppFormatMode) { return UsageText(); });
  app.allow_extras();  // unknown options: our message below
  app.add_option("-t,--target", target);
  app.add_flag("--strict", strict);
  app.add_option("args", pos);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    fmt::print("{}", UsageText());
    return 0;
  } catch (const CLI::ParseError& e) {
    // Only -t/--target takes a value: it was the last argument.
    if (e.get_name() == "ArgumentMismatch") return Fail(fmt::format("{} needs a socket path", argv[argc - 1]));
    return Fail(fmt::format("{} (use --help for help)", e.what()));
  }
  if (!app.remaining().empty())
    return Fail(fmt::format("unknown option \"{}\" (use --help for help)", app.remaining()[0]));
  static const std::map<std::string, std::pair<size_t, size_t>> kArity = {
      {"add-flow", {2, 2}}, {"add-flows", {2, 2}}, {"del-flows", {1, 2}}, {"dump-flows", {1, 2}},
      {"dump-ports", {1, 1}}, {"show", {1, 1}}};
  if (pos.empty()) return Fail("missing command (use --help for help)");
  auto cmd = kArity.find(pos[0]);
  if (cmd == kArity.end()) return Fail(fmt::format("unknown command '{}'; use --help for help", pos[0]));
  size_t n = pos.size() - 1;
  if (n < cmd->second.first || n > cmd->second.second)
    return Fail(fmt::format("'{}' command takes {} to {} arguments", pos[0], cmd->second.first,
                            cmd->second.second));
  if (target.empty()) target = DefaultTarget();
  if (target.empty())
    return Fail("numavs-switchd is not running (no pidfile in $OVS_RUNDIR); use -t SOCKET");
  if (strict && pos[0] != "del-flows") return Fail("--strict applies to del-flows only");
  // add-flows: the file is read here and its contents sent (numavs-switchd
  // never opens a file a client names); '-' is stdin.
  if (pos[0] == "add-flows") {
    auto text = ReadFlowsFile(pos[2]);
    if (!text.ok()) return Fail(text.status().message());
    pos.push_back(std::move(*text));  // BRIDGE NAME TEXT
  }
  Json params = Json::array();
  for (size_t i = 1; i < pos.size(); i++) params.push_back(pos[i]);
  if (strict) params.insert(params.begin() + 1, "--strict");
  auto client = vs::jsonrpc::Client::Connect("unix:" + target, 10000);
  if (!client.ok()) return Fail(client.status().message());
  auto r = (*client)->Call("ofctl/" + pos[0], params, 60000);
  if (!r.ok()) {
    std::string msg = r.status().message();
    // A control-socket error reply carries the text as a JSON string.
    if (r.status().code() == EREMOTEIO) {
      try {
        Json j = Json::parse(msg);
        if (j.is_string()) msg = j.get<std::string>();
      } catch (...) {
      }
    }
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return Fail(msg);
  }
  if (r->is_string()) fmt::print("{}", r->get<std::string>());
  return 0;
}
