#include "ctl/unixctl.h"

#include <cstdlib>

#include <fmt/format.h>

#include "base/coverage.h"
#include "base/log.h"

namespace vs::ctl {
namespace {
log::Module& kLog = log::GetModule("unixctl");
VS_COVERAGE_DEFINE(unixctl_received);
VS_COVERAGE_DEFINE(unixctl_replied);
// numavs-ofctl add-flows sends a flows file's contents (up to 16 MiB).
constexpr size_t kMaxRequest = 24u << 20;
}  // namespace

std::string DefaultRunDir() {
  const char* env = getenv("OVS_RUNDIR");
  return env && *env ? env : "/var/run/openvswitch";
}

Result<std::unique_ptr<UnixctlServer>> UnixctlServer::Create(asio::io_context& io,
                                                             const std::string& path,
                                                             std::string version_text) {
  auto s = std::unique_ptr<UnixctlServer>(new UnixctlServer(io, path, std::move(version_text)));
  UnixctlServer* self = s.get();
  VS_RETURN_IF_ERROR(s->Listen(path));

  s->Register("list-commands", "", 0, 0, [self](const std::vector<std::string>&) -> Result<std::string> {
    std::string out = "The available commands are:\n";
    for (auto& [name, cmd] : self->commands_) {
      out += fmt::format("  {:<24}{}\n", name, cmd.usage);
    }
    return out;
  });
  s->Register("version", "", 0, 0, [self](const std::vector<std::string>&) -> Result<std::string> {
    return self->version_ + "\n";
  });
  s->Register("vlog/set", "{spec | PATTERN:destination:pattern}", 0, 1000,
              [](const std::vector<std::string>& args) -> Result<std::string> {
                for (auto& a : args) {
                  if (a.find("PATTERN:") == 0) continue;  // patterns are fixed in numavs
                  Status st = log::ApplySpec(a);
                  if (!st.ok()) return st;
                }
                return std::string();
              });
  // OVS's event counters (base/coverage.h), sampled by RunDaemon every 5 s.
  s->Register("coverage/show", "", 0, 0, [](const std::vector<std::string>&) -> Result<std::string> {
    return coverage::ShowText();
  });
  s->Register("coverage/read-counter", "COUNTER", 1, 1,
              [](const std::vector<std::string>& args) -> Result<std::string> {
                auto n = coverage::ReadCounter(args[0]);
                if (!n.ok()) return n.status();
                return fmt::format("{}\n", *n);
              });
  s->Register("vlog/list", "", 0, 0, [](const std::vector<std::string>&) -> Result<std::string> {
    return log::ListModules();
  });
  s->Register("vlog/reopen", "", 0, 0, [](const std::vector<std::string>&) -> Result<std::string> {
    Status st = log::ReopenLogFile();
    if (!st.ok()) return st;
    return std::string();
  });
  VS_LOG_INFO(kLog, "control socket {}", path);
  return s;
}

Status UnixctlServer::Listen(const std::string& path) {
  auto l = jsonrpc::Listener::Create(io_, "punix:" + path, [this](jsonrpc::Connection::Socket sock,
                                                                  std::string peer) {
    auto c = std::make_shared<jsonrpc::Connection>(std::move(sock), peer, kMaxRequest, 64u << 20);
    conns_.insert(c);
    c->Start([this](jsonrpc::Connection& conn, Json&& msg) { OnMessage(conn, std::move(msg)); },
             [this, weak = std::weak_ptr<jsonrpc::Connection>(c)](jsonrpc::Connection&,
                                                                  const std::string&) {
               if (auto sp = weak.lock()) {
                 asio::post(io_, [this, sp] { conns_.erase(sp); });
               }
             });
  });
  if (!l.ok()) return l.status().Wrap("could not create control socket");
  listeners_.push_back(std::move(*l));
  return Status::Ok();
}

Status UnixctlServer::AddPath(const std::string& path) {
  VS_RETURN_IF_ERROR(Listen(path));
  VS_LOG_INFO(kLog, "control socket {}", path);
  return Status::Ok();
}

UnixctlServer::~UnixctlServer() {
  for (auto& c : conns_) c->Close("server exiting", true);
}

void UnixctlServer::Register(std::string name, std::string usage, int min_args, int max_args,
                             Handler handler) {
  commands_[std::move(name)] = Command{std::move(usage), min_args, max_args, std::move(handler)};
}

Result<std::string> UnixctlServer::Run(const std::string& name,
                                       const std::vector<std::string>& args) {
  auto it = commands_.find(name);
  if (it == commands_.end()) {
    return Status(ENOENT, fmt::format("\"{}\" is not a valid command (use \"list-commands\" to see "
                                      "a list of valid commands)",
                                      name));
  }
  const Command& cmd = it->second;
  int n = static_cast<int>(args.size());
  if (n < cmd.min_args) {
    return Status(EINVAL, fmt::format("\"{}\" command requires at least {} arguments", name,
                                      cmd.min_args));
  }
  if (n > cmd.max_args) {
    return Status(EINVAL, fmt::format("\"{}\" command takes at most {} arguments", name,
                                      cmd.max_args));
  }
  return cmd.handler(args);
}

void UnixctlServer::OnMessage(jsonrpc::Connection& c, Json&& msg) {
  if (!msg.is_object() || !msg.contains("method") || !msg["method"].is_string()) {
    c.Close("received a message that is not a JSON-RPC request", true);
    return;
  }
  Json id = msg.value("id", Json());
  if (id.is_null()) return;  // notification: nothing to answer
  std::vector<std::string> args;
  if (msg.contains("params")) {
    const Json& p = msg["params"];
    if (!p.is_array()) {
      c.Send(Json{{"id", id}, {"error", "\"params\" must be an array of strings\n"}});
      return;
    }
    for (const Json& a : p) {
      if (!a.is_string()) {
        c.Send(Json{{"id", id}, {"error", "command arguments must be strings\n"}});
        return;
      }
      args.push_back(a.get<std::string>());
    }
  }
  std::string method = msg["method"].get<std::string>();
  VS_COVERAGE_INC(unixctl_received);
  Result<std::string> r = Run(method, args);
  VS_COVERAGE_INC(unixctl_replied);
  if (r.ok()) {
    c.Send(Json{{"id", id}, {"result", *r}, {"error", nullptr}});
  } else {
    std::string text = r.status().message();
    if (text.empty() || text.back() != '\n') text += '\n';
    c.Send(Json{{"id", id}, {"error", text}});
  }
}

}  // namespace vs::ctl
