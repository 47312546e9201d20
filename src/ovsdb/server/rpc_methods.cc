// The JSON-RPC methods of DbServer (see server.h for the list).
#include <fmt/format.h>

#include "base/log.h"
#include "ovsdb/server/server_internal.h"

namespace vs::ovsdb::server {
namespace {

// An RFC error object; "syntax" (the offending JSON as text) when given.
// The words are ovsdb-server's: clients print them.
Json SyntaxError(const std::string& details, const Json* syntax = nullptr) {
  Json e = {{"error", "syntax error"}, {"details", details}};
  if (syntax) e["syntax"] = JsonToString(*syntax);
  return e;
}

}  // namespace

DbServer::Db* DbServer::LookupDb(Session& s, const Json& id, const std::string& method,
                                 const Json& params) {
  if (params.empty() || !params[0].is_string()) {
    ReplyError(s, id, SyntaxError(method + " request params must begin with <db-name>", &params));
    return nullptr;
  }
  Db* db = FindDb(params[0].get<std::string>());
  if (!db) {
    ReplyError(s, id, {{"error", "unknown database"},
                       {"details", fmt::format("{} request specifies unknown database {}", method,
                                               params[0].get<std::string>())},
                       {"syntax", JsonToString(params)}});
  }
  return db;
}

void DbServer::HandleGetSchema(Session& s, const Json& id, const Json& params) {
  // The Python IDL sends ["_Server", <uuid>]: extra parameters are ignored.
  Db* db = LookupDb(s, id, "get_schema", params);
  if (!db) return;
  if (db->schema_text.empty()) db->schema_text = JsonToString(db->schema->ToJson());
  ReplyRaw(s, id, db->schema_text);
}

void DbServer::HandleTransact(Session& s, const Json& id, Json&& params) {
  Db* db = LookupDb(s, id, "transact", params);
  if (!db) return;
  params.erase(params.begin());  // the ops, without copying them
  Json& ops = params;
  RunTransaction(&s, id, *db, ops, true, nullptr);
}

void DbServer::HandleMonitor(Session& s, const Json& id, const std::string& method,
                             const Json& params) {
  bool since = method == "monitor_cond_since";
  Db* db = LookupDb(s, id, method, params);
  if (!db) return;
  // ovsdb-server's checks, in its order and words. (It does not check the
  // number of "monitor" parameters, and crashes on fewer than three.)
  size_t want = since ? 4 : 3;
  if (method == "monitor" ? params.size() < 3 : params.size() != want) {
    ReplyError(s, id, SyntaxError("invalid parameters", &params));
    return;
  }
  if (!params[2].is_object()) {
    ReplyError(s, id, SyntaxError("monitor-requests must be object", &params[2]));
    return;
  }
  std::string key = JsonToString(params[1]);
  if (s.monitors.count(key)) {
    ReplyError(s, id, SyntaxError("duplicate monitor ID", &params[1]));
    return;
  }
  MonitorVersion v = method == "monitor"        ? MonitorVersion::kUpdate
                     : method == "monitor_cond" ? MonitorVersion::kUpdate2
                                                : MonitorVersion::kUpdate3;
  auto m = Monitor::CreateOrError(*db->db, v, params[2]);
  if (!m.ok()) {
    ReplyError(s, id, m.error().ToJson());
    return;
  }
  if (since) {
    const Json& last = params[3];
    if (!last.is_string()) {
      ReplyError(s, id, SyntaxError("last-txn-id must be string", &last));
      return;
    }
    if (!Uuid::Parse(last.get_ref<const std::string&>())) {
      ReplyError(s, id, SyntaxError("last-txn-id must be UUID format.", &last));
      return;
    }
  }
  Json initial = m.value()->Initial();
  Session::MonitorEntry e;
  e.monid = params[1];
  e.db = db;
  e.version = v;
  e.monitor = std::move(m).value();
  s.monitors.emplace(key, std::move(e));
  if (since) {
    // History is not kept across commits, so the client always gets the full
    // initial contents (found=false), which the OVS IDLs handle.
    Reply(s, id, Json::array({false, db->last_txn_id.ToString(), std::move(initial)}));
  } else {
    Reply(s, id, std::move(initial));
  }
}

void DbServer::HandleMonitorCondChange(Session& s, const Json& id, const Json& params) {
  // ovsdb-server's checks, in its order and words.
  if (params.size() != 3) {
    ReplyError(s, id, SyntaxError("invalid parameters", &params));
    return;
  }
  auto it = s.monitors.find(JsonToString(params[0]));
  if (it == s.monitors.end()) {
    ReplyError(s, id, SyntaxError("unknown monitor session", &params[0]));
    return;
  }
  std::string new_key = JsonToString(params[1]);
  if (new_key != it->first && s.monitors.count(new_key)) {
    ReplyError(s, id, SyntaxError("duplicate monitor ID", &params[1]));
    return;
  }
  Json update;
  if (MaybeError e = it->second.monitor->ChangeConditionsOrError(params[2], &update)) {
    ReplyError(s, id, e->ToJson());
    return;
  }
  // Rows that enter or leave the new condition reach the client as an
  // update before the reply.
  if (update.is_object() && !update.empty()) {
    if (it->second.version == MonitorVersion::kUpdate3) {
      Notify(s, "update3", Json::array({params[1], it->second.db->last_txn_id.ToString(), update}));
    } else {
      Notify(s, "update2", Json::array({params[1], update}));
    }
  }
  if (new_key != it->first) {
    Session::MonitorEntry e = std::move(it->second);
    e.monid = params[1];
    s.monitors.erase(it);
    s.monitors.emplace(new_key, std::move(e));
  }
  Reply(s, id, Json::object());
}

void DbServer::HandleMonitorCancel(Session& s, const Json& id, const Json& params) {
  // As ovsdb-server: these two errors are bare strings, not error objects.
  if (params.size() != 1) {
    ReplyError(s, id, "invalid parameters");
    return;
  }
  if (!s.monitors.erase(JsonToString(params[0]))) {
    ReplyError(s, id, "unknown monitor");
    return;
  }
  Reply(s, id, Json::object());
}

bool DbServer::OwnsLock(const Session& s, const std::string& name) const {
  auto it = locks_.find(name);
  return it != locks_.end() && !it->second.empty() && it->second.front() == &s;
}

void DbServer::HandleLock(Session& s, const Json& id, const std::string& method, const Json& params) {
  if (params.size() != 1 || !params[0].is_string() ||
      !IsValidId(params[0].get_ref<const std::string&>())) {
    ReplyError(s, id, SyntaxError(method + " request params must be <id>", &params));
    return;
  }
  const std::string name = params[0].get<std::string>();
  auto& waiters = locks_[name];
  if (method != "unlock" && s.locks.count(name)) {
    ReplyError(s, id, SyntaxError(fmt::format("must issue \"unlock\" before new \"{}\"", method), &params));
    return;
  }
  if (method == "lock") {
    s.locks.insert(name);
    waiters.push_back(&s);
    Reply(s, id, {{"locked", waiters.front() == &s}});
  } else if (method == "steal") {
    Session* old = waiters.empty() ? nullptr : waiters.front();
    std::erase(waiters, &s);
    waiters.push_front(&s);
    s.locks.insert(name);
    if (old && old != &s) Notify(*old, "stolen", Json::array({name}));
    Reply(s, id, {{"locked", true}});
  } else {  // unlock
    if (!s.locks.erase(name)) {
      ReplyError(s, id, SyntaxError("unlock: \"unlock\" without \"lock\" or \"steal\"", &params));
      return;
    }
    bool was_owner = !waiters.empty() && waiters.front() == &s;
    std::erase(waiters, &s);
    if (was_owner && !waiters.empty()) Notify(*waiters.front(), "locked", Json::array({name}));
    if (waiters.empty()) locks_.erase(name);
    Reply(s, id, Json::object());
  }
}

void DbServer::ReleaseLocks(Session& s) {
  for (const std::string& name : s.locks) {
    auto it = locks_.find(name);
    if (it == locks_.end()) continue;
    auto& waiters = it->second;
    bool was_owner = !waiters.empty() && waiters.front() == &s;
    std::erase(waiters, &s);
    if (was_owner && !waiters.empty()) Notify(*waiters.front(), "locked", Json::array({name}));
    if (waiters.empty()) locks_.erase(it);
  }
  s.locks.clear();
}

}  // namespace vs::ovsdb::server
