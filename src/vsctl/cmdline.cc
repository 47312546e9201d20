#include "vsctl/cmdline.h"

#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace vs::vsctl {

namespace {

constexpr CommandSyntax kCommands[] = {
    {"init", 0, 0, "", Mode::kReadWrite},
    {"show", 0, 0, "", Mode::kReadOnly},
    {"add-br", 1, 3, "--may-exist", Mode::kReadWrite},
    {"del-br", 1, 1, "--if-exists", Mode::kReadWrite},
    {"list-br", 0, 0, "--real,--fake", Mode::kReadOnly},
    {"br-exists", 1, 1, "", Mode::kReadOnly},
    {"list-ports", 1, 1, "", Mode::kReadOnly},
    {"add-port", 2, -1, "--may-exist", Mode::kReadWrite},
    {"del-port", 1, 2, "--if-exists,--with-iface", Mode::kReadWrite},
    {"port-to-br", 1, 1, "", Mode::kReadOnly},
    {"list-ifaces", 1, 1, "", Mode::kReadOnly},
    {"iface-to-br", 1, 1, "", Mode::kReadOnly},
    {"comment", 0, -1, "", Mode::kReadOnly},
    {"get", 2, -1, "--if-exists,--id=", Mode::kReadOnly},
    {"list", 1, -1, "--if-exists,--columns=", Mode::kReadOnly},
    {"find", 1, -1, "--columns=", Mode::kReadOnly},
    {"set", 3, -1, "--if-exists", Mode::kReadWrite},
    {"add", 4, -1, "--if-exists", Mode::kReadWrite},
    {"remove", 4, -1, "--if-exists", Mode::kReadWrite},
    {"clear", 3, -1, "--if-exists", Mode::kReadWrite},
    {"create", 2, -1, "--id=", Mode::kReadWrite},
    {"destroy", 1, -1, "--if-exists,--all", Mode::kReadWrite},
};

// Options any command may carry before its name.
bool IsCommandOption(const std::string& name) {
  static const char* kAll[] = {"--may-exist", "--if-exists", "--columns", "--id", "--all",
                               "--with-iface", "--real", "--fake"};
  for (const char* o : kAll) {
    if (name == o) return true;
  }
  return false;
}

bool CommandAllows(const CommandSyntax& syntax, const std::string& name) {
  std::string opts = syntax.options;
  size_t pos = 0;
  while (pos < opts.size()) {
    size_t comma = opts.find(',', pos);
    std::string item = opts.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (!item.empty() && item.back() == '=') item.pop_back();
    if (item == name) return true;
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return false;
}

// Splits "--name=value" into name and value.
std::pair<std::string, std::optional<std::string>> SplitOption(const std::string& arg) {
  size_t eq = arg.find('=');
  if (eq == std::string::npos) return {arg, std::nullopt};
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

Status ParseGlobalOption(const std::vector<std::string>& argv, size_t* i, Invocation* inv,
                         bool* consumed) {
  const std::string& arg = argv[*i];
  auto [name, value] = SplitOption(arg);
  *consumed = true;
  auto need_value = [&](const char* what) -> Result<std::string> {
    if (value) return *value;
    if (*i + 1 >= argv.size()) {
      return Status(EINVAL, fmt::format("option '{}' requires an argument", what));
    }
    return argv[++*i];
  };
  if (name == "--db") {
    auto v = need_value("--db");
    if (!v.ok()) return v.status();
    inv->db = *v;
  } else if (name == "--timeout" || name == "-t") {
    auto v = need_value("--timeout");
    if (!v.ok()) return v.status();
    char* end = nullptr;
    long secs = std::strtol(v->c_str(), &end, 10);
    if (v->empty() || *end || secs < 0) {
      return Status(EINVAL, fmt::format("value {} on -t or --timeout is invalid", *v));
    }
    inv->timeout_s = static_cast<int>(secs);
  } else if (arg == "--no-wait") {
    inv->no_wait = true;
  } else if (arg == "--dry-run") {
    inv->dry_run = true;
  } else if (arg == "--oneline") {
    inv->oneline = true;
  } else if (arg == "-h" || arg == "--help") {
    inv->help = true;
  } else if (arg == "-V" || arg == "--version") {
    inv->version = true;
  } else if (arg == "--retry" || arg == "--no-syslog" || name == "--verbose" ||
             arg.rfind("-v", 0) == 0) {
    // Accepted for compatibility; numavs-vsctl does not log.
  } else {
    *consumed = false;
  }
  return Status::Ok();
}

Result<Command> ParseOneCommand(const std::vector<std::string>& seg,
                                std::map<std::string, std::string> options) {
  size_t i = 0;
  for (; i < seg.size() && seg[i].rfind("--", 0) == 0; i++) {
    auto [name, value] = SplitOption(seg[i]);
    if (!IsCommandOption(name)) {
      return Status(EINVAL, fmt::format("unrecognized option '{}' (use --help for help)", seg[i]));
    }
    if (options.count(name)) return Status(EINVAL, fmt::format("'{}' option specified multiple times", name));
    options[name] = value.value_or("");
  }
  if (i == seg.size()) return Status(EINVAL, "missing command name (use --help for help)");
  Command cmd;
  cmd.syntax = FindCommand(seg[i]);
  if (!cmd.syntax) {
    return Status(EINVAL, fmt::format("unknown command '{}'; use --help for help", seg[i]));
  }
  for (const auto& [name, value] : options) {
    if (!CommandAllows(*cmd.syntax, name)) {
      return Status(EINVAL, fmt::format("'{}' command has no '{}' option", seg[i], name));
    }
  }
  cmd.options = std::move(options);
  cmd.args.assign(seg.begin() + i + 1, seg.end());
  int n = static_cast<int>(cmd.args.size());
  if (n < cmd.syntax->min_args) {
    return Status(EINVAL, fmt::format("'{}' command requires at least {} arguments", seg[i],
                                      cmd.syntax->min_args));
  }
  if (cmd.syntax->max_args >= 0 && n > cmd.syntax->max_args) {
    return Status(EINVAL, fmt::format("'{}' command takes at most {} arguments", seg[i],
                                      cmd.syntax->max_args));
  }
  return cmd;
}

}  // namespace

const CommandSyntax* FindCommand(const std::string& name) {
  for (const auto& c : kCommands) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

std::string DefaultDb() {
  const char* rundir = std::getenv("OVS_RUNDIR");
  return fmt::format("unix:{}/db.sock", rundir && *rundir ? rundir : "/var/run/openvswitch");
}

Result<Invocation> ParseCommandLine(const std::vector<std::string>& argv) {
  Invocation inv;
  for (size_t k = 0; k < argv.size(); k++) {
    inv.full_command_line += (k ? " " : "") + argv[k];
  }
  size_t i = 1;
  std::map<std::string, std::string> first_options;
  for (; i < argv.size(); i++) {
    const std::string& arg = argv[i];
    if (arg == "--" || arg.empty() || arg[0] != '-') break;
    bool consumed = false;
    VS_RETURN_IF_ERROR(ParseGlobalOption(argv, &i, &inv, &consumed));
    if (consumed) continue;
    auto [name, value] = SplitOption(arg);
    if (!IsCommandOption(name)) {
      return Status(EINVAL, fmt::format("unrecognized option '{}' (use --help for help)", arg));
    }
    first_options[name] = value.value_or("");
  }
  if (inv.help || inv.version) return inv;
  std::vector<std::string> seg;
  auto flush = [&]() -> Status {
    if (seg.empty()) {
      if (!first_options.empty()) return Status(EINVAL, "missing command name (use --help for help)");
      return Status::Ok();
    }
    auto cmd = ParseOneCommand(seg, std::move(first_options));
    first_options.clear();
    if (!cmd.ok()) return cmd.status();
    inv.commands.push_back(std::move(*cmd));
    seg.clear();
    return Status::Ok();
  };
  for (; i <= argv.size(); i++) {
    if (i == argv.size() || argv[i] == "--") {
      VS_RETURN_IF_ERROR(flush());
    } else {
      seg.push_back(argv[i]);
    }
  }
  if (inv.commands.empty()) return Status(EINVAL, "missing command name (use --help for help)");
  return inv;
}

std::string UsageText() {
  return fmt::format(
      "numavs-vsctl: numavs (Open vSwitch compatible) configuration utility\n"
      "usage: numavs-vsctl [OPTIONS] COMMAND [ARG...] [-- [OPTIONS] COMMAND [ARG...]]...\n\n"
      "Open vSwitch commands:\n"
      "  init                        initialize database, if not yet initialized\n"
      "  show                        print overview of database contents\n\n"
      "Bridge commands:\n"
      "  [--may-exist] add-br BRIDGE create a new bridge named BRIDGE\n"
      "  [--if-exists] del-br BRIDGE delete BRIDGE and all of its ports\n"
      "  list-br                     print the names of all the bridges\n"
      "  br-exists BRIDGE            exit 2 if BRIDGE does not exist\n\n"
      "Port commands:\n"
      "  list-ports BRIDGE           print the names of all the ports on BRIDGE\n"
      "  [--may-exist] add-port BRIDGE PORT [COLUMN[:KEY]=VALUE]...\n"
      "                              add network device PORT to BRIDGE\n"
      "  [--if-exists] del-port [BRIDGE] PORT  delete PORT from BRIDGE\n"
      "  port-to-br PORT             print name of bridge that contains PORT\n\n"
      "Interface commands:\n"
      "  list-ifaces BRIDGE          print the names of all interfaces on BRIDGE\n"
      "  iface-to-br IFACE           print name of bridge that contains IFACE\n\n"
      "Database commands:\n"
      "  list TBL [REC]              list RECord (or all records) in TBL\n"
      "  find TBL CONDITION...       list records satisfying CONDITION in TBL\n"
      "  get TBL REC COL[:KEY]       print values of COLumns in RECord in TBL\n"
      "  set TBL REC COL[:KEY]=VALUE set COLumn values in RECord in TBL\n"
      "  add TBL REC COL [KEY=]VALUE add (KEY=)VALUE to COLumn in RECord in TBL\n"
      "  remove TBL REC COL [KEY=]VALUE  remove (KEY=)VALUE from COLumn\n"
      "  clear TBL REC COL           clear values from COLumn in RECord in TBL\n"
      "  create TBL COL[:KEY]=VALUE  create and initialize new record\n"
      "  destroy TBL REC             delete RECord from TBL\n\n"
      "Options:\n"
      "  --db=DATABASE               connect to DATABASE (unix:PATH or tcp:IP:PORT)\n"
      "                              (default: {})\n"
      "  --no-wait                   do not wait for numavs-switchd to reconfigure\n"
      "  -t, --timeout=SECS          wait at most SECS seconds (exit code 142 on expiry)\n"
      "  --dry-run                   do not commit changes to database\n"
      "  --oneline                   print exactly one line of output per command\n",
      DefaultDb());
}

}  // namespace vs::vsctl
