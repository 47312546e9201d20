// Unit tests of Monitor: request parsing, Initial(), Compose() in the update
// and update2 formats, conditions and ChangeConditions().
#include "ovsdb/monitor.h"

#include <gtest/gtest.h>

#include "ovsdb/database.h"
#include "ovsdb/internal/test_util.h"

namespace vs::ovsdb {
namespace {

using testing::DbTest;
using testing::ResultUuid;

class MonitorTest : public DbTest {
 protected:
  std::unique_ptr<Monitor> Make(MonitorVersion v, const std::string& req) {
    auto m = Monitor::Create(*db_, v, Json::parse(req));
    EXPECT_TRUE(m.ok()) << req << " -> " << m.status().message();
    if (!m.ok()) return nullptr;
    return std::move(m).value();
  }
  // Runs ops (must change something) and composes the update for `m`.
  std::optional<Json> Update(const Monitor& m, const std::string& ops) {
    auto out = Run(ops);
    EXPECT_TRUE(out.committed) << out.result.dump();
    EXPECT_TRUE(out.changes) << ops;
    if (!out.changes) return std::nullopt;
    return m.Compose(*out.changes);
  }
  const ColumnSchema& Column(const std::string& table, const std::string& col) {
    return *db_->FindTable(table)->schema().FindColumn(col);
  }
};

TEST_F(MonitorTest, InitialUpdateV1HasAllColumnsAsNew) {
  Uuid u = Insert("Root", {{"name", "a"}, {"i", 2}});
  auto m = Make(MonitorVersion::kUpdate, R"({"Root":{}})");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->version(), MonitorVersion::kUpdate);
  Json init = m->Initial();
  ASSERT_TRUE(init.contains("Root")) << init.dump();
  ASSERT_EQ(init["Root"].size(), 1u);
  const Json& row = init["Root"][u.ToString()];
  ASSERT_TRUE(row.contains("new")) << row.dump();
  EXPECT_FALSE(row.contains("old"));
  const Json& n = row["new"];
  // Every user column (defaults included) and _version, but not _uuid.
  const TableSchema& ts = db_->FindTable("Root")->schema();
  EXPECT_EQ(n.size(), ts.n_columns() - 1) << n.dump();
  EXPECT_TRUE(n.contains("_version"));
  EXPECT_FALSE(n.contains("_uuid"));
  EXPECT_EQ(n["name"], "a");
  EXPECT_EQ(n["i"], 2);
  EXPECT_EQ(n["r"], 0.0);
  EXPECT_EQ(n["kv"], Json::parse(R"(["map",[]])"));
  // Tables not monitored or empty are absent.
  EXPECT_EQ(init.size(), 1u);
}

TEST_F(MonitorTest, InitialUpdate2SkipsDefaults) {
  Uuid u = Insert("Root", {{"name", "a"}, {"tags", "t"}});
  Insert("Target", {{"n", 0}});
  auto m = Make(MonitorVersion::kUpdate2, R"({"Root":{"columns":["name","i","tags","kv"]},
                                              "Target":{}})");
  ASSERT_TRUE(m);
  Json init = m->Initial();
  EXPECT_EQ(init["Root"][u.ToString()], Json::parse(R"({"initial":{"name":"a","tags":"t"}})"));
  // A row with every column at its default still appears (only _version in it).
  ASSERT_EQ(init["Target"].size(), 1u);
  const Json& t = init["Target"].begin().value();
  ASSERT_TRUE(t.contains("initial"));
  EXPECT_FALSE(t["initial"].contains("n"));
}

TEST_F(MonitorTest, EmptyColumnsReportsRowsButNotModifications) {
  Uuid u = Insert("Root", {{"name", "a"}});
  for (auto v : {MonitorVersion::kUpdate, MonitorVersion::kUpdate2}) {
    auto m = Make(v, R"({"Root":{"columns":[]}})");
    ASSERT_TRUE(m);
    Json init = m->Initial();
    const Json& row = init["Root"][u.ToString()];
    EXPECT_EQ(row.begin().value(), Json::object()) << init.dump();
    // Modification: nothing to report.
    auto up = Update(*m, R"([{"op":"mutate","table":"Root","where":[],
                             "mutations":[["i","+=",1]]}])");
    EXPECT_FALSE(up) << up->dump();
    // Insert and delete still are.
    up = Update(*m, R"([{"op":"insert","table":"Root","row":{"name":"b"}}])");
    ASSERT_TRUE(up);
    EXPECT_EQ(up->at("Root").size(), 1u);
    up = Update(*m, R"([{"op":"delete","table":"Root","where":[["name","==","b"]]}])");
    ASSERT_TRUE(up);
    EXPECT_EQ(up->at("Root").size(), 1u);
  }
}

TEST_F(MonitorTest, SelectFlags) {
  Insert("Root", {{"name", "a"}});
  auto m = Make(MonitorVersion::kUpdate2,
                R"({"Root":{"columns":["name","i"],
                   "select":{"initial":false,"insert":true,"delete":false,"modify":false}}})");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->Initial(), Json::object());
  auto up = Update(*m, R"([{"op":"insert","table":"Root","row":{"name":"b"}}])");
  ASSERT_TRUE(up);
  EXPECT_TRUE(up->at("Root").begin().value().contains("insert"));
  EXPECT_FALSE(Update(*m, R"([{"op":"update","table":"Root","where":[],"row":{"i":5}}])"));
  EXPECT_FALSE(Update(*m, R"([{"op":"delete","table":"Root","where":[]}])"));

  auto m2 = Make(MonitorVersion::kUpdate, R"({"Root":{"select":{"insert":false,"modify":true}}})");
  ASSERT_TRUE(m2);
  EXPECT_FALSE(Update(*m2, R"([{"op":"insert","table":"Root","row":{"name":"c"}}])"));
  EXPECT_TRUE(Update(*m2, R"([{"op":"update","table":"Root","where":[],"row":{"i":6}}])"));
  EXPECT_TRUE(Update(*m2, R"([{"op":"delete","table":"Root","where":[]}])"));
}

TEST_F(MonitorTest, ComposeV1InsertModifyDelete) {
  auto m = Make(MonitorVersion::kUpdate, R"({"Root":{"columns":["name","i","nums"]}})");
  ASSERT_TRUE(m);
  auto out = Run(R"([{"op":"insert","table":"Root","row":{"name":"a","i":1}}])");
  ASSERT_TRUE(out.changes);
  Uuid u = ResultUuid(out.result[0]);
  auto up = m->Compose(*out.changes);
  ASSERT_TRUE(up);
  EXPECT_EQ((*up)["Root"][u.ToString()],
            Json::parse(R"({"new":{"name":"a","i":1,"nums":["set",[]]}})"));

  up = Update(*m, R"([{"op":"update","table":"Root","where":[],"row":{"i":2,"b":true}}])");
  ASSERT_TRUE(up);
  const Json& mod = (*up)["Root"][u.ToString()];
  // "old": only the changed monitored columns; "new": all monitored columns.
  EXPECT_EQ(mod["old"], Json::parse(R"({"i":1})")) << mod.dump();
  EXPECT_EQ(mod["new"], Json::parse(R"({"name":"a","i":2,"nums":["set",[]]})"));

  // A change to an unmonitored column only: nothing.
  EXPECT_FALSE(Update(*m, R"([{"op":"update","table":"Root","where":[],"row":{"r":9.5}}])"));

  up = Update(*m, R"([{"op":"delete","table":"Root","where":[]}])");
  ASSERT_TRUE(up);
  EXPECT_EQ((*up)["Root"][u.ToString()],
            Json::parse(R"({"old":{"name":"a","i":2,"nums":["set",[]]}})"));
}

TEST_F(MonitorTest, ComposeV1WithVersionColumn) {
  Uuid u = Insert("Root", {{"name", "a"}});
  auto m = Make(MonitorVersion::kUpdate, R"({"Root":{}})");
  ASSERT_TRUE(m);
  const Uuid v0 = Find("Root", u)->version();
  auto up = Update(*m, R"([{"op":"update","table":"Root","where":[],"row":{"i":2}}])");
  ASSERT_TRUE(up);
  const Json& mod = (*up)["Root"][u.ToString()];
  EXPECT_EQ(mod["old"].size(), 2u) << mod.dump();  // i and _version
  EXPECT_EQ(mod["old"]["i"], 0);
  EXPECT_EQ(mod["old"]["_version"][1], v0.ToString());
  EXPECT_EQ(mod["new"]["_version"][1], Find("Root", u)->version().ToString());
}

TEST_F(MonitorTest, MonitoredVersionReportsEveryModification) {
  // _version changes with every modification, so a monitor of _version sees
  // a change to any column (as with ovsdb-server), in both formats.
  Uuid u = Insert("Root", {{"name", "a"}});
  auto v1 = Make(MonitorVersion::kUpdate, R"({"Root":{"columns":["_version","name"]}})");
  auto v2 = Make(MonitorVersion::kUpdate2, R"({"Root":{"columns":["_version","name"]}})");
  ASSERT_TRUE(v1 && v2);
  const Uuid v0 = Find("Root", u)->version();
  auto out = Run(R"([{"op":"update","table":"Root","where":[],"row":{"i":9}}])");
  ASSERT_TRUE(out.changes);
  const std::string v_new = Find("Root", u)->version().ToString();
  auto up = v1->Compose(*out.changes);
  ASSERT_TRUE(up);
  EXPECT_EQ((*up)["Root"][u.ToString()],
            Json::parse(R"({"old":{"_version":["uuid",")" + v0.ToString() + R"("]},
                            "new":{"_version":["uuid",")" +
                        v_new + R"("],"name":"a"}})"));
  up = v2->Compose(*out.changes);
  ASSERT_TRUE(up);
  EXPECT_EQ((*up)["Root"][u.ToString()],
            Json::parse(R"({"modify":{"_version":["uuid",")" + v_new + R"("]}})"));
  // Without _version, the same change is not reported.
  auto plain = Make(MonitorVersion::kUpdate2, R"({"Root":{"columns":["name"]}})");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->Compose(*out.changes));
}

TEST_F(MonitorTest, ComposeV2InsertModifyDelete) {
  auto m =
      Make(MonitorVersion::kUpdate2, R"({"Root":{"columns":["name","i","nums","kv","color"]}})");
  ASSERT_TRUE(m);
  auto out = Run(R"([{"op":"insert","table":"Root","row":{"name":"a","nums":["set",[1,2]],
                      "kv":["map",[["a","1"],["b","2"]]]}}])");
  ASSERT_TRUE(out.changes);
  Uuid u = ResultUuid(out.result[0]);
  auto up = m->Compose(*out.changes);
  ASSERT_TRUE(up);
  EXPECT_EQ((*up)["Root"][u.ToString()], Json::parse(R"({"insert":{"name":"a","nums":["set",[1,2]],
                                     "kv":["map",[["a","1"],["b","2"]]]}})"));

  up = Update(*m, R"([{"op":"update","table":"Root","where":[],"row":{
                     "i":7,"nums":["set",[2,3]],"kv":["map",[["a","1"],["b","X"],["c","3"]]],
                     "color":"red"}}])");
  ASSERT_TRUE(up);
  const Json& mod = (*up)["Root"][u.ToString()];
  ASSERT_TRUE(mod.contains("modify")) << mod.dump();
  // Scalars carry the new value; sets the symmetric difference; maps added,
  // changed (new value) and removed pairs. An optional scalar carries its value.
  EXPECT_EQ(mod["modify"], Json::parse(R"({"i":7,"nums":["set",[1,3]],
                                          "kv":["map",[["b","X"],["c","3"]]],
                                          "color":"red"})"));
  // Clearing the optional column: the new (empty) value.
  up = Update(*m, R"([{"op":"update","table":"Root","where":[],"row":{"color":["set",[]],
                     "kv":["map",[["c","3"]]]}}])");
  ASSERT_TRUE(up);
  EXPECT_EQ((*up)["Root"][u.ToString()]["modify"],
            Json::parse(R"({"color":["set",[]],"kv":["map",[["a","1"],["b","X"]]]})"));

  up = Update(*m, R"([{"op":"delete","table":"Root","where":[]}])");
  ASSERT_TRUE(up);
  EXPECT_EQ((*up)["Root"][u.ToString()], Json::parse(R"({"delete":null})"));
}

TEST_F(MonitorTest, Update2DiffAppliedToOldGivesNew) {
  Uuid u = Insert("Root", {{"name", "a"},
                           {"nums", Json::parse(R"(["set",[1,2,3,10]])")},
                           {"kv", Json::parse(R"(["map",[["a","1"],["b","2"],["z","9"]]])")}});
  auto m = Make(MonitorVersion::kUpdate3, R"({"Root":{"columns":["nums","kv","i"]}})");
  ASSERT_TRUE(m);
  const char* updates[] = {
      R"({"nums":["set",[2,4]],"kv":["map",[["a","2"],["c","3"]]]})",
      R"({"nums":["set",[]],"kv":["map",[]]})",
      R"({"nums":7,"kv":["map",[["q","q"]]],"i":4})",
  };
  for (const char* row : updates) {
    const Row before = *Find("Root", u);
    auto out = Run(std::string(R"([{"op":"update","table":"Root","where":[],"row":)") + row + "}]");
    ASSERT_TRUE(out.changes) << row;
    auto up = m->Compose(*out.changes);
    ASSERT_TRUE(up);
    const Json& mod = (*up)["Root"][u.ToString()]["modify"];
    const Row& after = *Find("Root", u);
    for (auto it = mod.begin(); it != mod.end(); ++it) {
      const ColumnSchema& c = Column("Root", it.key());
      auto diff = Datum::FromJson(*it, c.type, {.relax_cardinality = true});
      ASSERT_TRUE(diff.ok()) << it->dump();
      Datum applied = Datum::ApplyDiff(before.fields[c.index], diff.value(), c.type);
      EXPECT_TRUE(applied == after.fields[c.index])
          << c.name << ": " << applied.ToJson(c.type).dump() << " vs "
          << after.fields[c.index].ToJson(c.type).dump();
    }
  }
}

TEST_F(MonitorTest, ConditionMovesRowsInAndOut) {
  Uuid a = Insert("Root", {{"name", "a"}, {"i", 1}});
  Uuid b = Insert("Root", {{"name", "b"}, {"i", 50}});
  auto m =
      Make(MonitorVersion::kUpdate2, R"({"Root":{"columns":["name","i"],"where":[["i","<",10]]}})");
  ASSERT_TRUE(m);
  Json init = m->Initial();
  ASSERT_EQ(init["Root"].size(), 1u);
  EXPECT_TRUE(init["Root"].contains(a.ToString()));

  // b moves in: reported as an insert with its (non-default) content.
  auto up = Update(*m, R"([{"op":"update","table":"Root","where":[["name","==","b"]],
                           "row":{"i":5}}])");
  ASSERT_TRUE(up);
  EXPECT_EQ((*up)["Root"][b.ToString()], Json::parse(R"({"insert":{"name":"b","i":5}})"));
  // a moves out: a delete.
  up = Update(*m, R"([{"op":"update","table":"Root","where":[["name","==","a"]],
                      "row":{"i":20}}])");
  ASSERT_TRUE(up);
  EXPECT_EQ((*up)["Root"][a.ToString()], Json::parse(R"({"delete":null})"));
  // Changes entirely outside the condition: nothing.
  EXPECT_FALSE(Update(*m, R"([{"op":"update","table":"Root","where":[["name","==","a"]],
                             "row":{"i":30}}])"));
  // Inserts outside the condition: nothing; inside: insert.
  EXPECT_FALSE(Update(*m, R"([{"op":"insert","table":"Root","row":{"name":"c","i":99}}])"));
  up = Update(*m, R"([{"op":"insert","table":"Root","row":{"name":"d","i":2}}])");
  ASSERT_TRUE(up);
  EXPECT_EQ(up->at("Root").size(), 1u);
}

TEST_F(MonitorTest, ConditionIsDisjunction) {
  Insert("Root", {{"name", "a"}, {"i", 1}});
  Insert("Root", {{"name", "b"}, {"i", 2}});
  Insert("Root", {{"name", "c"}, {"i", 3}});
  auto m = Make(MonitorVersion::kUpdate2,
                R"({"Root":{"columns":["name"],"where":[["name","==","a"],["i","==",3]]}})");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->Initial()["Root"].size(), 2u);
  auto f = Make(MonitorVersion::kUpdate2, R"({"Root":{"columns":["name"],"where":[false]}})");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->Initial(), Json::object());
  auto t = Make(MonitorVersion::kUpdate2, R"({"Root":{"columns":["name"],"where":[]}})");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->Initial()["Root"].size(), 3u);
}

TEST_F(MonitorTest, ChangeConditionsReturnsEnteringAndLeavingRows) {
  Uuid a = Insert("Root", {{"name", "a"}, {"i", 1}});
  Uuid b = Insert("Root", {{"name", "b"}, {"i", 2}});
  Uuid c = Insert("Root", {{"name", "c"}, {"i", 3}});
  auto m =
      Make(MonitorVersion::kUpdate2, R"({"Root":{"columns":["name","i"],"where":[["i","<=",2]]}})");
  ASSERT_TRUE(m);
  Json update;
  Status st = m->ChangeConditions(Json::parse(R"({"Root":[{"where":[["i",">=",2]]}]})"), &update);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_TRUE(update.is_object()) << update.dump();
  const Json& rows = update["Root"];
  EXPECT_EQ(rows.size(), 2u) << update.dump();
  EXPECT_EQ(rows[a.ToString()], Json::parse(R"({"delete":null})"));
  EXPECT_EQ(rows[c.ToString()], Json::parse(R"({"insert":{"name":"c","i":3}})"));
  EXPECT_FALSE(rows.contains(b.ToString()));
  // The new condition is in force for later commits.
  EXPECT_FALSE(Update(*m, R"([{"op":"update","table":"Root","where":[["name","==","a"]],
                             "row":{"i":0}}])"));
  auto up = Update(*m, R"([{"op":"update","table":"Root","where":[["name","==","a"]],
                           "row":{"i":5}}])");
  ASSERT_TRUE(up);
  EXPECT_TRUE((*up)["Root"][a.ToString()].contains("insert"));
  // Same condition again: no rows move.
  st = m->ChangeConditions(Json::parse(R"({"Root":[{"where":[["i",">=",2]]}]})"), &update);
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(update.is_null());
  // Errors leave the condition unchanged.
  EXPECT_FALSE(m->ChangeConditions(Json::parse(R"({"Nope":[{"where":[]}]})"), &update).ok());
  EXPECT_FALSE(m->ChangeConditions(Json::parse(R"({"Target":[{"where":[]}]})"), &update).ok());
  EXPECT_FALSE(
      m->ChangeConditions(Json::parse(R"({"Root":[{"where":[["nope","==",1]]}]})"), &update).ok());
  EXPECT_FALSE(m->ChangeConditions(Json::parse(R"([])"), &update).ok());
  EXPECT_EQ(m->Initial()["Root"].size(), 3u);
}

TEST_F(MonitorTest, RequestErrors) {
  struct Case {
    MonitorVersion v;
    const char* req;
    const char* tag;
  } cases[] = {
      {MonitorVersion::kUpdate, R"({"Nope":{}})", "syntax error"},
      {MonitorVersion::kUpdate, R"({"Root":{"columns":["nope"]}})", "syntax error"},
      {MonitorVersion::kUpdate, R"({"Root":{"columns":["name","name"]}})", "syntax error"},
      {MonitorVersion::kUpdate, R"({"Root":{"columns":"name"}})", "syntax error"},
      {MonitorVersion::kUpdate, R"({"Root":{"select":{"initial":1}}})", "syntax error"},
      {MonitorVersion::kUpdate, R"({"Root":{"select":{"bogus":true}}})", "syntax error"},
      {MonitorVersion::kUpdate, R"({"Root":{"bogus":1}})", "syntax error"},
      {MonitorVersion::kUpdate, R"({"Root":{"where":[]}})", "syntax error"},
      {MonitorVersion::kUpdate2, R"({"Root":{"where":[["nope","==",1]]}})", "unknown column"},
      {MonitorVersion::kUpdate2, R"({"Root":{"where":[["i","~",1]]}})", "unknown function"},
      {MonitorVersion::kUpdate2, R"({"Root":{"where":[["i","==","x"]]}})", "syntax error"},
      {MonitorVersion::kUpdate, R"([])", "syntax error"},
      {MonitorVersion::kUpdate, R"({"Root":3})", "syntax error"},
  };
  for (const auto& c : cases) {
    auto m = Monitor::CreateOrError(*db_, c.v, Json::parse(c.req));
    ASSERT_FALSE(m.ok()) << c.req;
    EXPECT_EQ(m.error().ToJson()["error"], c.tag) << c.req << " -> " << m.error().ToString();
    auto r = Monitor::Create(*db_, c.v, Json::parse(c.req));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), EINVAL);
    EXPECT_EQ(r.status().message().rfind(c.tag, 0), 0u) << r.status().message();
  }
}

TEST_F(MonitorTest, MultipleRequestsPerTableMergeColumns) {
  Uuid u = Insert("Root", {{"name", "a"}, {"i", 4}});
  auto m = Make(MonitorVersion::kUpdate,
                R"({"Root":[{"columns":["name"]},{"columns":["i"],"select":{"initial":false}}]})");
  ASSERT_TRUE(m);
  Json init = m->Initial();
  EXPECT_EQ(init["Root"][u.ToString()]["new"], Json::parse(R"({"name":"a","i":4})"));
}

TEST_F(MonitorTest, UnmonitoredTablesIgnored) {
  auto m = Make(MonitorVersion::kUpdate2, R"({"Target":{}})");
  ASSERT_TRUE(m);
  EXPECT_FALSE(Update(*m, R"([{"op":"insert","table":"Root","row":{"name":"x"}}])"));
  auto up = Update(*m, R"([{"op":"insert","table":"Root","row":{"name":"y"}},
                          {"op":"insert","table":"Target","row":{"n":3}}])");
  ASSERT_TRUE(up);
  EXPECT_EQ(up->size(), 1u);
  EXPECT_TRUE(up->contains("Target"));
}

TEST_F(MonitorTest, GarbageCollectedRowsReportedAsDeleted) {
  Json r = Ok(R"([{"op":"insert","table":"Child","uuid-name":"c","row":{"name":"c"}},
                 {"op":"insert","table":"Root","row":{"name":"r","children":["named-uuid","c"]}}])");
  Uuid child = ResultUuid(r[0]);
  auto m = Make(MonitorVersion::kUpdate2, R"({"Child":{}})");
  ASSERT_TRUE(m);
  auto up = Update(*m, R"([{"op":"delete","table":"Root","where":[]}])");
  ASSERT_TRUE(up);
  EXPECT_EQ((*up)["Child"][child.ToString()], Json::parse(R"({"delete":null})"));
}

}  // namespace
}  // namespace vs::ovsdb
