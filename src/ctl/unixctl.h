// The control socket that ovs-appctl talks to (PROFILE.md §4).
//
// A UnixctlServer listens on a unix socket (by convention RUNDIR/NAME.PID.ctl
// beside RUNDIR/NAME.pid, so `ovs-appctl -t NAME` finds it) and serves
// JSON-RPC requests whose method is a command name and whose params are
// strings. Commands are registered by the subsystem that owns them (STYLE
// D6) with their argument counts; the server itself answers arity errors,
// unknown commands, `list-commands` and `version`, and registers the vlog/
// family (vlog/set, vlog/list, vlog/reopen).
//
// Replies: success {"id":ID,"result":TEXT,"error":null}; failure
// {"id":ID,"error":TEXT} (no "result" key), which ovs-appctl prints to stderr
// and exits 2. Runs on the io_context thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <asio.hpp>

#include "base/status.h"
#include "jsonrpc/connection.h"

namespace vs::ctl {

class UnixctlServer {
 public:
  // Returns the reply text, or an error whose message is the error text.
  using Handler = std::function<Result<std::string>(const std::vector<std::string>& args)>;

  // Listens on `path`. `version_text` is what `version` prints.
  static Result<std::unique_ptr<UnixctlServer>> Create(asio::io_context& io, const std::string& path,
                                                       std::string version_text);
  ~UnixctlServer();

  // Listens on one more socket with the same commands (the OVS daemon's
  // name beside numavs's own). Errors: those of jsonrpc::Listener::Create.
  Status AddPath(const std::string& path);

  void Register(std::string name, std::string usage, int min_args, int max_args, Handler handler);
  const std::string& path() const { return path_; }

  // Runs a command as if it had arrived on the socket (for tests and tools).
  Result<std::string> Run(const std::string& name, const std::vector<std::string>& args);

 private:
  struct Command {
    std::string usage;
    int min_args;
    int max_args;
    Handler handler;
  };
  UnixctlServer(asio::io_context& io, std::string path, std::string version)
      : io_(io), path_(std::move(path)), version_(std::move(version)) {}
  void OnMessage(jsonrpc::Connection& c, Json&& msg);
  Status Listen(const std::string& path);

  asio::io_context& io_;
  std::string path_;
  std::string version_;
  std::map<std::string, Command> commands_;
  std::vector<std::unique_ptr<jsonrpc::Listener>> listeners_;
  std::set<std::shared_ptr<jsonrpc::Connection>> conns_;
};

// Default run directory: $OVS_RUNDIR, else /var/run/openvswitch (where
// ovs-appctl looks).
std::string DefaultRunDir();

}  // namespace vs::ctl
