// ovs-vsctl's command line: global options, then commands separated by "--",
// each with its own leading options:
//
//   numavs-vsctl [--db=REMOTE] [--no-wait] [--timeout=SECS] [--dry-run] [--oneline]
//                [CMD-OPTIONS] CMD ARG... [-- [CMD-OPTIONS] CMD ARG...]...
//
// Command options given before the first command (`--may-exist add-br br0`)
// belong to the first command, as in ovs-vsctl. Arity and option validity
// are checked here against the command table, with ovs-vsctl's messages.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace vs::vsctl {

enum class Mode { kReadOnly, kReadWrite };

struct CommandSyntax {
  const char* name;
  int min_args;
  int max_args;  // -1: unlimited
  const char* options;  // comma-separated, "--id=" takes a value
  Mode mode;
};

// All commands numavs-vsctl knows, or nullptr.
const CommandSyntax* FindCommand(const std::string& name);

struct Command {
  const CommandSyntax* syntax = nullptr;
  std::vector<std::string> args;  // without the command name
  std::map<std::string, std::string> options;  // "--if-exists" -> "", "--id" -> "@x"
  bool Has(const std::string& opt) const { return options.count(opt) != 0; }
  std::string Option(const std::string& opt) const {
    auto it = options.find(opt);
    return it == options.end() ? std::string() : it->second;
  }
};

struct Invocation {
  std::string db;         // empty: the default
  bool no_wait = false;
  int timeout_s = 0;      // 0: none
  bool dry_run = false;
  bool oneline = false;
  bool help = false;
  bool version = false;
  std::vector<Command> commands;
  std::string full_command_line;  // for the transaction's comment op
};

// Errors: EINVAL with ovs-vsctl's wording ("unknown command 'x'; use --help
// for help", "'add-br' command requires at least 1 arguments", ...).
Result<Invocation> ParseCommandLine(const std::vector<std::string>& argv);

// The default database: $OVS_RUNDIR/db.sock, else /var/run/openvswitch/db.sock.
std::string DefaultDb();

std::string UsageText();

}  // namespace vs::vsctl
