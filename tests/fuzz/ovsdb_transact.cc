// Fuzz target: OVSDB transaction and monitor request handling (src/ovsdb) on an in-memory
// database of schema/vswitch.ovsschema.
//
// Input: a JSON-RPC stream as a client sends it (the seeds are real ovs-vsctl, ovs-appctl
// and python IDL sessions). Each message is handled as numavs-db's engine would:
//   transact                 -> Database::Transact(params[1..]) on the "Open_vSwitch" db;
//   monitor / monitor_cond / monitor_cond_since -> Monitor::CreateOrError(params[2]) and
//                               Initial(); every later commit is Compose()d for each;
//   monitor_cond_change      -> ChangeConditionsOrError(params[2]) on the last monitor.
// Errors are values, so nothing may crash. Checked besides (a failure aborts):
//  * a transact result is an array with one element per op, plus at most one commit error
//    (or empty: blocked on a wait);
//  * every committed change set, as its log record (ChangeSet::ToLogJson), replays on a
//    replica (what storage recovery does), and at the end the replica, and a database
//    loaded from the snapshot record (what compaction writes), hold the same content.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/json_parse.h"
#include "base/log.h"
#include "jsonrpc/framer.h"
#include "ovsdb/database.h"
#include "ovsdb/monitor.h"
#include "ovsdb/schema.h"

namespace {

using vs::Json;
using namespace vs::ovsdb;

constexpr size_t kMaxMonitors = 8;
constexpr size_t kMaxMessages = 64;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "ovsdb_transact: %s: %s\n", what, detail.c_str());
  std::abort();
}

const std::shared_ptr<const DatabaseSchema>& Schema() {
  static const std::shared_ptr<const DatabaseSchema> schema = [] {
    auto s = DatabaseSchema::FromFile(NUMAVS_SOURCE_DIR "/schema/vswitch.ovsschema");
    if (!s.ok()) Fail("cannot load the schema", s.status().message());
    return *s;
  }();
  return schema;
}

std::unique_ptr<Database> NewDatabase() {
  auto db = Database::Create(Schema());
  if (!db.ok()) Fail("Database::Create", db.status().message());
  return std::move(*db);
}

struct Session {
  std::unique_ptr<Database> db = NewDatabase();
  std::unique_ptr<Database> replica = NewDatabase();
  std::vector<std::unique_ptr<Monitor>> monitors;

  void Transact(const Json& params) {
    if (params.empty() || !params[0].is_string() || params[0] != "Open_vSwitch") return;
    Json ops = Json::array();
    for (size_t i = 1; i < params.size(); i++) ops.push_back(params[i]);
    TransactOptions opts;
    opts.wait_may_block = ops.size() % 2 == 0;  // both ways of handling a failed wait
    opts.owns_lock = [](const std::string& name) { return name == "held"; };
    TransactOutcome out = db->Transact(ops, opts);
    if (out.blocked && out.result == Json::array()) return;  // retried later by the server
    if (!out.result.is_array() || out.result.size() < ops.size() ||
        out.result.size() > ops.size() + 1) {
      Fail("transact result shape", vs::JsonToString(ops) + " -> " + vs::JsonToString(out.result));
    }
    if (!out.changes) return;
    if (!out.committed) Fail("changes without a commit", vs::JsonToString(ops));
    Json record = out.changes->ToLogJson();
    if (vs::Status s = replica->ApplyLogRecord(record); !s.ok()) {
      Fail("a committed transaction's log record does not replay",
           s.message() + "\nops: " + vs::JsonToString(ops) + "\nrecord: " + vs::JsonToString(record));
    }
    for (const auto& m : monitors) {
      if (auto update = m->Compose(*out.changes)) (void)vs::JsonToString(*update);
    }
  }

  void AddMonitor(MonitorVersion v, const Json& params) {
    if (params.size() < 3 || monitors.size() >= kMaxMonitors) return;
    auto m = Monitor::CreateOrError(*db, v, params[2]);
    if (!m.ok()) return;
    (void)vs::JsonToString(m.value()->Initial());
    monitors.push_back(std::move(m).value());
  }

  void ChangeConditions(const Json& params) {
    if (params.size() < 3 || monitors.empty()) return;
    Json update;
    (void)monitors.back()->ChangeConditionsOrError(params[2], &update);
  }

  void Handle(const Json& msg) {
    if (!msg.is_object()) return;
    auto method = msg.find("method");
    auto params = msg.find("params");
    if (method == msg.end() || !method->is_string() || params == msg.end() || !params->is_array())
      return;
    const std::string& name = method->get_ref<const std::string&>();
    if (name == "transact") {
      Transact(*params);
    } else if (name == "monitor") {
      AddMonitor(MonitorVersion::kUpdate, *params);
    } else if (name == "monitor_cond") {
      AddMonitor(MonitorVersion::kUpdate2, *params);
    } else if (name == "monitor_cond_since") {
      AddMonitor(MonitorVersion::kUpdate3, *params);
    } else if (name == "monitor_cond_change") {
      ChangeConditions(*params);
    }
  }

  void CheckStorageViews() {
    Json snapshot = db->SnapshotRecord();
    if (replica->SnapshotRecord() != snapshot) Fail("replica differs", vs::JsonToString(snapshot));
    auto fresh = NewDatabase();
    if (vs::Status s = fresh->ApplyLogRecord(snapshot); !s.ok()) {
      Fail("the snapshot record does not load", s.message() + "\n" + vs::JsonToString(snapshot));
    }
    if (fresh->SnapshotRecord() != snapshot) Fail("snapshot round trip", vs::JsonToString(snapshot));
  }
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)vs::log::ApplySpec("ANY:console:off");
  (void)Schema();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vs::jsonrpc::Framer framer;
  framer.Feed(std::string_view(reinterpret_cast<const char*>(data), size));
  Session session;
  size_t n = 0;
  while (auto text = framer.Next()) {
    if (++n > kMaxMessages) break;
    if (auto msg = vs::ParseJson(*text)) session.Handle(*msg);
  }
  session.CheckStorageViews();
  return 0;
}
