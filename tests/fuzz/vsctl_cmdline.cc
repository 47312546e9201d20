// Fuzz target: numavs-vsctl's command line (vsctl/cmdline.h) and, past the parser, the
// commands themselves (vsctl/commands.h) as numavs-vsctl runs them, without a server: on a
// replica of an in-memory database (src/ovsdb, schema/vswitch.ovsschema) holding bridge
// br0 with ports br0 (internal) and p1, and the resulting transaction run on that database.
//
// Input: the arguments after the program name, one per line. Errors are values (a refused
// command line or command, a transaction the database refuses); nothing may crash.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/log.h"
#include "ovsdb/database.h"
#include "ovsdb/schema.h"
#include "vsctl/cmdline.h"
#include "vsctl/commands.h"
#include "vsctl/replica.h"
#include "vsctl/schema.h"

namespace {

using vs::Json;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "vsctl_cmdline: %s: %s\n", what, detail.c_str());
  std::abort();
}

struct World {
  std::shared_ptr<const vs::ovsdb::DatabaseSchema> db_schema;
  std::shared_ptr<const vs::vsctl::Schema> schema;
  Json content;        // the database's snapshot record
  Json select_result;  // the reply numavs-vsctl reads the replica from
};

const World& TheWorld() {
  static const World world = [] {
    World w;
    auto ds = vs::ovsdb::DatabaseSchema::FromFile(NUMAVS_SOURCE_DIR "/schema/vswitch.ovsschema");
    if (!ds.ok()) Fail("schema", ds.status().message());
    w.db_schema = *ds;
    auto vschema = vs::vsctl::Schema::FromJson(w.db_schema->ToJson());
    if (!vschema.ok()) Fail("vsctl schema", vschema.status().message());
    w.schema = *vschema;
    auto db = vs::ovsdb::Database::Create(w.db_schema);
    if (!db.ok()) Fail("database", db.status().message());
    Json setup = Json::parse(R"([
      {"op": "insert", "table": "Interface", "uuid-name": "i0",
       "row": {"name": "br0", "type": "internal"}},
      {"op": "insert", "table": "Interface", "uuid-name": "i1",
       "row": {"name": "p1", "type": "dummy", "options": ["map", [["k", "v"]]]}},
      {"op": "insert", "table": "Port", "uuid-name": "p0",
       "row": {"name": "br0", "interfaces": ["named-uuid", "i0"]}},
      {"op": "insert", "table": "Port", "uuid-name": "p1",
       "row": {"name": "p1", "interfaces": ["named-uuid", "i1"], "tag": 10}},
      {"op": "insert", "table": "Bridge", "uuid-name": "b0",
       "row": {"name": "br0", "ports": ["set", [["named-uuid", "p0"], ["named-uuid", "p1"]]]}},
      {"op": "insert", "table": "Open_vSwitch", "row": {"bridges": ["named-uuid", "b0"]}}])");
    auto out = (*db)->Transact(setup);
    if (!out.committed) Fail("setup transaction", vs::JsonToString(out.result));
    w.content = (*db)->SnapshotRecord();
    Json select = vs::vsctl::Replica::SelectAllParams(*w.schema);
    select.erase(select.begin());  // the database name
    w.select_result = (*db)->Transact(select).result;
    return w;
  }();
  return world;
}

std::vector<std::string> Args(std::string_view in) {
  std::vector<std::string> argv{"numavs-vsctl"};
  size_t pos = 0;
  while (pos <= in.size()) {
    size_t nl = in.find('\n', pos);
    if (nl == std::string_view::npos) nl = in.size();
    if (nl > pos || nl < in.size()) argv.emplace_back(in.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return argv;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)vs::log::ApplySpec("ANY:console:off");
  (void)TheWorld();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  const World& w = TheWorld();
  auto inv = vs::vsctl::ParseCommandLine(Args(std::string_view(reinterpret_cast<const char*>(data), size)));
  if (!inv.ok() || inv->help || inv->version) return 0;
  (void)vs::vsctl::UsageText();

  vs::vsctl::Replica replica(w.schema);
  if (vs::Status s = replica.Load(w.select_result); !s.ok()) Fail("replica load", s.message());
  vs::vsctl::Executor ex(&replica);
  for (const vs::vsctl::Command& cmd : inv->commands) {
    std::string out;
    if (!ex.Run(cmd, &out).ok() || ex.exit_code() != 0) return 0;
  }
  if (!ex.CheckSymbols().ok() || !replica.HasChanges()) return 0;
  Json ops = replica.BuildOps();
  auto db = vs::ovsdb::Database::Create(w.db_schema);
  if (!db.ok()) Fail("database", db.status().message());
  if (vs::Status s = (*db)->ApplyLogRecord(w.content); !s.ok()) Fail("content", s.message());
  (void)(*db)->Transact(ops);
  return 0;
}
