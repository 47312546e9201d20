#include "vsctl/vsctl.h"

#include <cstring>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "jsonrpc/client.h"
#include "vsctl/cmdline.h"
#include "vsctl/commands.h"
#include "vsctl/replica.h"

namespace vs::vsctl {

namespace {

using jsonrpc::Client;
using jsonrpc::Clock;

constexpr const char* kProgram = "numavs-vsctl";

// Thrown-free early exit: an exit code plus stderr text.
struct Exit {
  int code;
  std::string message;  // without the program prefix; empty: print nothing
};

class Driver {
 public:
  explicit Driver(Invocation inv) : inv_(std::move(inv)) {
    db_ = inv_.db.empty() ? DefaultDb() : inv_.db;
    if (inv_.timeout_s > 0) deadline_ = Clock::now() + std::chrono::seconds(inv_.timeout_s);
  }

  RunOutput Run();

 private:
  std::optional<Exit> Connect();
  Result<Json> Call(const std::string& method, const Json& params, const std::string& what);
  Exit TimeoutExit(const std::string& what) const {
    return Exit{kExitTimeout, fmt::format("timed out after {} s waiting for {}", inv_.timeout_s, what)};
  }
  // One attempt; nullopt result means "retry".
  std::optional<Exit> Attempt(bool* retry);
  std::optional<Exit> Commit(Replica& db, Executor& ex, const std::vector<std::string>& outputs,
                             bool* retry);
  std::optional<Exit> WaitForSwitch(int64_t next_cfg);
  void CheckNewInterfaces();
  void EmitOutputs(const std::vector<std::string>& outputs,
                   const std::map<std::string, std::string>& uuid_map);

  Invocation inv_;
  std::string db_;
  std::optional<Clock::time_point> deadline_;
  std::unique_ptr<Client> client_;
  std::shared_ptr<Schema> schema_;
  std::vector<Uuid> new_ifaces_;
  RunOutput result_;
};

std::optional<Exit> Driver::Connect() {
  int timeout_ms = inv_.timeout_s > 0 ? inv_.timeout_s * 1000 : 0;
  auto c = Client::Connect(db_, timeout_ms);
  if (!c.ok()) {
    int code = c.status().code();
    if (code == ETIMEDOUT) return TimeoutExit(fmt::format("a connection to {}", db_));
    if (code == EINVAL || code == ENAMETOOLONG) return Exit{1, c.status().message()};
    return Exit{1, fmt::format("{}: database connection failed ({})", db_, std::strerror(code))};
  }
  client_ = std::move(*c);
  return std::nullopt;
}

Result<Json> Driver::Call(const std::string& method, const Json& params, const std::string& what) {
  auto r = client_->CallUntil(method, params, deadline_);
  if (!r.ok() && r.status().code() == EREMOTEIO) {
    return Status(EREMOTEIO, fmt::format("{}: {} failed: {}", db_, what, r.status().message()));
  }
  return r;
}

RunOutput Driver::Run() {
  if (auto e = Connect()) {
    result_.err += fmt::format("{}: {}\n", kProgram, e->message);
    result_.exit_code = e->code;
    return result_;
  }
  auto schema_json = Call("get_schema", Json::array({"Open_vSwitch"}), "get_schema");
  std::optional<Exit> exit;
  if (!schema_json.ok()) {
    exit = schema_json.status().code() == ETIMEDOUT
               ? TimeoutExit(fmt::format("the database schema from {}", db_))
               : Exit{1, schema_json.status().message()};
  } else {
    auto schema = Schema::FromJson(*schema_json);
    if (!schema.ok()) {
      exit = Exit{1, fmt::format("{}: {}", db_, schema.status().message())};
    } else {
      schema_ = *schema;
      bool retry = true;
      while (retry && !exit) {
        retry = false;
        exit = Attempt(&retry);
      }
    }
  }
  if (exit) {
    if (!exit->message.empty()) result_.err += fmt::format("{}: {}\n", kProgram, exit->message);
    result_.exit_code = exit->code;
  }
  return result_;
}

std::optional<Exit> Driver::Attempt(bool* retry) {
  auto rows = Call("transact", Replica::SelectAllParams(*schema_), "reading the database");
  if (!rows.ok()) {
    if (rows.status().code() == ETIMEDOUT) return TimeoutExit(fmt::format("the database at {}", db_));
    return Exit{1, rows.status().message()};
  }
  Replica db(schema_);
  if (Status s = db.Load(*rows); !s.ok()) return Exit{1, fmt::format("{}: {}", db_, s.message())};
  const Table* ovs_table = schema_->Find("Open_vSwitch");
  if (!ovs_table) return Exit{1, fmt::format("{}: schema has no Open_vSwitch table", db_)};
  if (db.Rows("Open_vSwitch").empty()) db.Insert(*ovs_table);  // like ovs-vsctl: create on first use

  Executor ex(&db);
  std::vector<std::string> outputs;
  for (const Command& cmd : inv_.commands) {
    std::string out;
    if (Status s = ex.Run(cmd, &out); !s.ok()) return Exit{1, s.message()};
    if (ex.exit_code()) return Exit{ex.exit_code(), ""};
    outputs.push_back(std::move(out));
  }
  if (Status s = ex.CheckSymbols(); !s.ok()) return Exit{1, s.message()};
  for (const auto& w : ex.warnings()) result_.err += fmt::format("{}: {}\n", kProgram, w);
  if (!db.HasChanges() || inv_.dry_run) {
    EmitOutputs(outputs, {});
    return Exit{0, ""};
  }
  return Commit(db, ex, outputs, retry);
}

std::optional<Exit> Driver::Commit(Replica& db, Executor& ex,
                                   const std::vector<std::string>& outputs, bool* retry) {
  Json params = Json::array({schema_->name()});
  Row* ovs = db.Rows("Open_vSwitch").front();
  if (ovs->is_new) {
    // Insert the root row only if nobody else did meanwhile.
    params.push_back(Json{{"op", "wait"}, {"table", "Open_vSwitch"}, {"timeout", 0},
                          {"where", Json::array()}, {"until", "=="}, {"rows", Json::array()}});
  }
  Json ops = db.BuildOps();
  for (auto& op : ops) params.push_back(std::move(op));
  std::optional<size_t> select_index;
  bool wait = !inv_.no_wait && ovs->table->Find("next_cfg");
  if (wait) {
    Json where = Json::array({Json::array({"_uuid", "==", db.EncodeUuid(ovs->uuid)})});
    params.push_back(Json{{"op", "mutate"}, {"table", "Open_vSwitch"}, {"where", where},
                          {"mutations", Json::array({Json::array({"next_cfg", "+=", 1})})}});
    select_index = params.size() - 1;  // index in the result array (params[0] is the db)
    params.push_back(Json{{"op", "select"}, {"table", "Open_vSwitch"}, {"where", where},
                          {"columns", Json::array({"next_cfg"})}});
  }
  params.push_back(Json{{"op", "comment"}, {"comment", inv_.full_command_line}});
  auto reply = Call("transact", params, "transaction");
  if (!reply.ok()) {
    if (reply.status().code() == ETIMEDOUT) return TimeoutExit(fmt::format("the database at {} to commit", db_));
    return Exit{1, reply.status().message()};
  }
  if (!reply->is_array()) return Exit{1, fmt::format("{}: transact reply is not an array", db_)};
  std::map<std::string, std::string> uuid_map;
  for (size_t i = 0; i < reply->size(); i++) {
    const Json& r = (*reply)[i];
    if (!r.is_object()) continue;
    if (r.contains("error") && !r["error"].is_null()) {
      const Json* op = i + 1 < params.size() ? &params[i + 1] : nullptr;
      if (r["error"] == "timed out" && op && (*op)["op"] == "wait") {
        *retry = true;  // a verified column changed under us: start over
        return std::nullopt;
      }
      return Exit{1, fmt::format("transaction error: {}", JsonToString(r))};
    }
    const Json* op = i + 1 < params.size() ? &params[i + 1] : nullptr;
    if (op && (*op)["op"] == "insert" && r.contains("uuid") && r["uuid"].is_array() &&
        r["uuid"].size() == 2 && r["uuid"][1].is_string()) {
      std::string named = (*op)["uuid-name"].get<std::string>();
      std::string local = named.substr(3);
      for (char& c : local) {
        if (c == '_') c = '-';
      }
      uuid_map[local] = r["uuid"][1].get<std::string>();
      if ((*op)["table"] == "Interface") {
        if (auto u = Uuid::Parse(r["uuid"][1].get<std::string>())) new_ifaces_.push_back(*u);
      }
    }
  }
  EmitOutputs(outputs, uuid_map);
  (void)ex;
  if (!select_index) return Exit{0, ""};
  const Json& sel = (*reply)[*select_index];
  int64_t next_cfg = 0;
  if (sel.contains("rows") && sel["rows"].is_array() && !sel["rows"].empty() &&
      sel["rows"][0].contains("next_cfg") && sel["rows"][0]["next_cfg"].is_number_integer()) {
    next_cfg = sel["rows"][0]["next_cfg"].get<int64_t>();
  } else {
    return Exit{1, fmt::format("{}: select of next_cfg returned {}", db_, JsonToString(sel))};
  }
  if (auto e = WaitForSwitch(next_cfg)) return e;
  CheckNewInterfaces();
  return Exit{0, ""};
}

std::optional<Exit> Driver::WaitForSwitch(int64_t next_cfg) {
  Json req = Json::array({schema_->name(), "numavs-vsctl-cur-cfg",
                          Json{{"Open_vSwitch", Json{{"columns", Json::array({"cur_cfg"})}}}}});
  int64_t cur_cfg = 0;
  auto absorb = [&](const Json& update) {
    if (!update.is_object() || !update.contains("Open_vSwitch")) return;
    for (const auto& [uuid, change] : update["Open_vSwitch"].items()) {
      if (change.is_object() && change.contains("new") && change["new"].contains("cur_cfg") &&
          change["new"]["cur_cfg"].is_number_integer()) {
        cur_cfg = change["new"]["cur_cfg"].get<int64_t>();
      }
    }
  };
  auto timeout_exit = [&]() {
    return Exit{kExitTimeout,
                fmt::format("timed out after {} s waiting for the switch daemon to apply the "
                            "configuration (cur_cfg {} < next_cfg {}); is numavs-switchd "
                            "running? use --no-wait to skip the wait",
                            inv_.timeout_s, cur_cfg, next_cfg)};
  };
  auto initial = Call("monitor", req, "monitor");
  if (!initial.ok()) {
    if (initial.status().code() == ETIMEDOUT) return timeout_exit();
    return Exit{1, initial.status().message()};
  }
  absorb(*initial);
  while (cur_cfg < next_cfg) {
    auto note = client_->NextNotification(deadline_);
    if (!note.ok()) {
      if (note.status().code() == ETIMEDOUT) return timeout_exit();
      return Exit{1, fmt::format("{}: waiting for cur_cfg: {}", db_, note.status().message())};
    }
    if (note->method == "update" && note->params.is_array() && note->params.size() == 2) {
      absorb(note->params[1]);
    }
  }
  return std::nullopt;
}

void Driver::CheckNewInterfaces() {
  if (new_ifaces_.empty() || !schema_->Find("Interface")) return;
  Json params = Json::array({schema_->name()});
  for (const Uuid& u : new_ifaces_) {
    params.push_back(Json{{"op", "select"}, {"table", "Interface"},
                          {"where", Json::array({Json::array({"_uuid", "==",
                                                              Json::array({"uuid", u.ToString()})})})},
                          {"columns", Json::array({"name", "ofport", "error"})}});
  }
  auto reply = Call("transact", params, "checking new interfaces");
  if (!reply.ok() || !reply->is_array()) return;
  for (const Json& r : *reply) {
    if (!r.is_object() || !r.contains("rows") || !r["rows"].is_array() || r["rows"].empty()) continue;
    const Json& row = r["rows"][0];
    const Json ofport = row.value("ofport", Json());
    bool failed = !ofport.is_number_integer() || ofport.get<int64_t>() == -1;
    if (!failed) continue;
    std::string error = "(unknown error)";
    if (row.contains("error") && row["error"].is_string()) error = row["error"].get<std::string>();
    result_.err += fmt::format("{}: Error detected while setting up '{}': {}.  See numavs-switchd "
                               "log for details.\n", kProgram,
                               row.value("name", std::string("?")), error);
  }
}

void Driver::EmitOutputs(const std::vector<std::string>& outputs,
                         const std::map<std::string, std::string>& uuid_map) {
  for (std::string text : outputs) {
    for (const auto& [local, real] : uuid_map) {
      for (size_t pos = text.find(local); pos != std::string::npos; pos = text.find(local, pos)) {
        text.replace(pos, local.size(), real);
        pos += real.size();
      }
    }
    if (inv_.oneline) {
      if (!text.empty() && text.back() == '\n') text.pop_back();
      std::string line;
      for (char c : text) {
        if (c == '\n') {
          line += "\\n";
        } else if (c == '\\') {
          line += "\\\\";
        } else {
          line += c;
        }
      }
      result_.out += line + "\n";
    } else {
      result_.out += text;
    }
  }
}

}  // namespace

RunOutput RunVsctl(const std::vector<std::string>& argv) {
  RunOutput result;
  auto inv = ParseCommandLine(argv);
  if (!inv.ok()) {
    result.err = fmt::format("{}: {}\n", kProgram, inv.status().message());
    result.exit_code = 1;
    return result;
  }
  if (inv->help) {
    result.out = UsageText();
    return result;
  }
  if (inv->version) {
    result.out = "numavs-vsctl (numavs) 0.1.0\n";
    return result;
  }
  Driver driver(std::move(*inv));
  return driver.Run();
}

}  // namespace vs::vsctl
