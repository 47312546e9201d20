// Unit tests of DatabaseSchema, and of the engine on the real project schema
// (schema/vswitch.ovsschema): an ovs-vsctl add-br / add-port / del-br sequence.
#include "ovsdb/schema.h"

#include <gtest/gtest.h>

#include "ovsdb/database.h"
#include "ovsdb/internal/test_util.h"
#include "ovsdb/monitor.h"

namespace vs::ovsdb {
namespace {

using testing::ErrorTag;
using testing::ResultUuid;

TEST(Schema, TestSchemaParses) {
  auto s = testing::TestSchema();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name(), "TestDB");
  EXPECT_EQ(s->version(), "1.2.3");
  // Tables sorted by name, index() == position.
  for (size_t i = 0; i < s->n_tables(); i++) {
    EXPECT_EQ(s->table(i).index(), static_cast<int>(i));
    if (i) {
      EXPECT_LT(s->table(i - 1).name(), s->table(i).name());
    }
  }
  const TableSchema* root = s->FindTable("Root");
  ASSERT_TRUE(root);
  EXPECT_TRUE(root->is_root());
  EXPECT_FALSE(s->FindTable("Child")->is_root());
  EXPECT_EQ(root->column(TableSchema::kUuidColumn).name, "_uuid");
  EXPECT_EQ(root->column(TableSchema::kVersionColumn).name, "_version");
  ASSERT_EQ(root->indexes().size(), 1u);
  EXPECT_EQ(root->column(root->indexes()[0][0]).name, "name");
  EXPECT_TRUE(root->has_strong_refs());
  EXPECT_TRUE(root->has_weak_refs());
  EXPECT_EQ(root->ref_columns().size(), 2u);
  EXPECT_FALSE(root->FindColumn("fixed")->is_mutable);
  EXPECT_EQ(s->FindTable("Single")->max_rows(), 1u);
  EXPECT_FALSE(root->max_rows());
  const ColumnSchema* children = root->FindColumn("children");
  EXPECT_EQ(children->type.key.ref_table_index, s->FindTable("Child")->index());
  EXPECT_TRUE(root->FindColumn("weak")->type.key.is_weak_ref());
}

TEST(Schema, NoRootTableMeansAllRoot) {
  auto s = DatabaseSchema::FromJson(Json::parse(
      R"({"name":"D","tables":{"A":{"columns":{"x":{"type":"integer"}}},
                               "B":{"columns":{"y":{"type":"integer"}}}}})"));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s.value()->FindTable("A")->is_root());
  EXPECT_TRUE(s.value()->FindTable("B")->is_root());
  // Same when every table says "isRoot": false (ovsdb-server looks at the root
  // set, not at whether the member is present).
  s = DatabaseSchema::FromJson(Json::parse(
      R"({"name":"D","tables":{"A":{"isRoot":false,"columns":{"x":{"type":"integer"}}},
                               "B":{"isRoot":false,"columns":{"y":{"type":"integer"}}}}})"));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s.value()->FindTable("A")->is_root());
  EXPECT_TRUE(s.value()->FindTable("B")->is_root());
  // One root table: the others are not.
  s = DatabaseSchema::FromJson(Json::parse(
      R"({"name":"D","tables":{"A":{"isRoot":true,"columns":{"x":{"type":"integer"}}},
                               "B":{"isRoot":false,"columns":{"y":{"type":"integer"}}},
                               "C":{"columns":{"y":{"type":"integer"}}}}})"));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s.value()->FindTable("A")->is_root());
  EXPECT_FALSE(s.value()->FindTable("B")->is_root());
  EXPECT_FALSE(s.value()->FindTable("C")->is_root());
}

TEST(Schema, AllTablesNotRootKeepsRows) {
  auto s = DatabaseSchema::FromJson(Json::parse(
      R"({"name":"D","tables":{"A":{"isRoot":false,"columns":{"x":{"type":"integer"}}}}})"));
  ASSERT_TRUE(s.ok());
  auto db = Database::Create(s.value()).value();
  auto out = db->Transact(Json::parse(R"([{"op":"insert","table":"A","row":{"x":1}}])"));
  ASSERT_TRUE(out.committed);
  EXPECT_EQ(db->FindTable("A")->size(), 1u);
}

TEST(Schema, Errors) {
  const char* bad[] = {
      R"([])",
      R"({"tables":{}})",
      R"({"name":"D"})",
      R"({"name":"D","tables":{"A":{"columns":{}}}})",
      R"({"name":"D","tables":{"A":{"columns":{"x":{"type":"nope"}}}}})",
      R"({"name":"D","tables":{"A":{"columns":{"_x":{"type":"integer"}}}}})",
      R"({"name":"D","tables":{"A":{"columns":{"x":{"type":{"key":{"type":"uuid",
          "refTable":"Missing"}}}}}}})",
      R"({"name":"D","tables":{"A":{"columns":{"x":{"type":"integer"}},"indexes":[["y"]]}}})",
      R"({"name":"D","tables":{"A":{"columns":{"x":{"type":"integer"}},"maxRows":0}}})",
      R"({"name":"D","tables":{"A":{"columns":{"x":{"type":"integer"}},"bogus":1}}})",
  };
  for (const char* j : bad) {
    auto s = DatabaseSchema::FromJson(Json::parse(j));
    EXPECT_FALSE(s.ok()) << j;
    if (!s.ok()) {
      EXPECT_EQ(s.status().code(), EINVAL) << j;
    }
  }
  EXPECT_FALSE(DatabaseSchema::FromFile("/nonexistent/x.ovsschema").ok());
  EXPECT_FALSE(Database::Create(nullptr).ok());
}

class VswitchSchema : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = DatabaseSchema::FromFile(testing::VswitchSchemaPath());
    ASSERT_TRUE(s.ok()) << s.status().message();
    schema_ = s.value();
    db_ = std::move(Database::Create(schema_).value());
  }
  TransactOutcome Run(const std::string& ops) { return db_->Transact(Json::parse(ops)); }
  std::shared_ptr<const DatabaseSchema> schema_;
  std::unique_ptr<Database> db_;
};

TEST_F(VswitchSchema, LoadsWithExpectedShape) {
  EXPECT_EQ(schema_->name(), "Open_vSwitch");
  EXPECT_FALSE(schema_->version().empty());
  const TableSchema* ovs = schema_->FindTable("Open_vSwitch");
  ASSERT_TRUE(ovs);
  EXPECT_TRUE(ovs->is_root());
  EXPECT_EQ(ovs->max_rows(), 1u);
  const TableSchema* bridge = schema_->FindTable("Bridge");
  ASSERT_TRUE(bridge);
  EXPECT_FALSE(bridge->is_root());
  ASSERT_EQ(bridge->indexes().size(), 1u);
  EXPECT_EQ(bridge->column(bridge->indexes()[0][0]).name, "name");
  const ColumnSchema* ifaces = schema_->FindTable("Port")->FindColumn("interfaces");
  ASSERT_TRUE(ifaces);
  EXPECT_EQ(ifaces->type.n_min, 1u);
  EXPECT_TRUE(ifaces->type.key.is_strong_ref());
  EXPECT_EQ(schema_->ToJson()["name"], "Open_vSwitch");
}

TEST_F(VswitchSchema, AddBridgePortThenDeleteCollectsEverything) {
  // What ovs-vsctl sends for "init; add-br br0; add-port br0 p1".
  auto out = Run(R"([{"op":"insert","table":"Open_vSwitch","uuid-name":"ovs","row":{}},
      {"op":"insert","table":"Interface","uuid-name":"i0","row":{"name":"br0","type":"internal"}},
      {"op":"insert","table":"Port","uuid-name":"p0","row":{"name":"br0",
        "interfaces":["named-uuid","i0"]}},
      {"op":"insert","table":"Interface","uuid-name":"i1","row":{"name":"p1"}},
      {"op":"insert","table":"Port","uuid-name":"p1","row":{"name":"p1",
        "interfaces":["named-uuid","i1"]}},
      {"op":"insert","table":"Bridge","uuid-name":"b","row":{"name":"br0",
        "ports":["set",[["named-uuid","p0"],["named-uuid","p1"]]]}},
      {"op":"mutate","table":"Open_vSwitch","where":[],
        "mutations":[["bridges","insert",["named-uuid","b"]],["next_cfg","+=",1]]}])");
  ASSERT_TRUE(out.committed) << out.result.dump();
  EXPECT_EQ(db_->FindTable("Interface")->size(), 2u);
  EXPECT_EQ(db_->FindTable("Port")->size(), 2u);
  EXPECT_EQ(db_->FindTable("Bridge")->size(), 1u);

  // A monitor like ovs-vswitchd's sees the bridge and its ports.
  auto m = Monitor::Create(*db_, MonitorVersion::kUpdate2,
                           Json::parse(R"({"Bridge":{"columns":["name","ports"]},
                                           "Interface":{"columns":["name","type"]}})"));
  ASSERT_TRUE(m.ok()) << m.status().message();
  Json init = m.value()->Initial();
  EXPECT_EQ(init["Bridge"].size(), 1u);
  EXPECT_EQ(init["Interface"].size(), 2u);

  // Unique index: a second Interface named p1 fails the whole transaction.
  auto dup = Run(R"([{"op":"insert","table":"Interface","uuid-name":"x","row":{"name":"p1"}},
      {"op":"insert","table":"Port","uuid-name":"px","row":{"name":"px",
        "interfaces":["named-uuid","x"]}},
      {"op":"mutate","table":"Bridge","where":[],"mutations":[["ports","insert",
        ["named-uuid","px"]]]}])");
  EXPECT_FALSE(dup.committed);
  EXPECT_EQ(ErrorTag(dup.result, 3), "constraint violation") << dup.result.dump();
  // Relational operators on an optional integer (Port.tag) are accepted, as
  // by ovsdb-server; untagged ports never match.
  ASSERT_TRUE(Run(R"([{"op":"update","table":"Port","where":[["name","==","p1"]],
                      "row":{"tag":10}}])")
                  .committed);
  auto tagged = Run(R"([{"op":"select","table":"Port","where":[["tag","<",100]],
                        "columns":["name"]}])");
  ASSERT_TRUE(tagged.committed) << tagged.result.dump();
  EXPECT_EQ(tagged.result[0]["rows"], Json::parse(R"([{"name":"p1"}])"));
  // maxRows 1 on Open_vSwitch.
  auto two = Run(R"([{"op":"insert","table":"Open_vSwitch","row":{}}])");
  EXPECT_EQ(ErrorTag(two.result, 1), "constraint violation") << two.result.dump();
  // Enum constraint on Port.vlan_mode.
  auto vlan = Run(R"([{"op":"update","table":"Port","where":[],"row":{"vlan_mode":"bogus"}}])");
  EXPECT_EQ(ErrorTag(vlan.result, 0), "constraint violation") << vlan.result.dump();

  // del-br: clearing Open_vSwitch.bridges collects Bridge, Ports and Interfaces.
  out = Run(R"([{"op":"update","table":"Open_vSwitch","where":[],"row":{"bridges":["set",[]]}}])");
  ASSERT_TRUE(out.committed) << out.result.dump();
  EXPECT_EQ(db_->FindTable("Bridge")->size(), 0u);
  EXPECT_EQ(db_->FindTable("Port")->size(), 0u);
  EXPECT_EQ(db_->FindTable("Interface")->size(), 0u);
  ASSERT_TRUE(out.changes);
  EXPECT_EQ(out.changes->n_rows(), 1u + 1u + 2u + 2u);
  auto up = m.value()->Compose(*out.changes);
  ASSERT_TRUE(up);
  EXPECT_EQ((*up)["Interface"].size(), 2u);
  EXPECT_EQ(db_->FindTable("Open_vSwitch")->size(), 1u);
}

TEST_F(VswitchSchema, SnapshotReplaysOnFreshDatabase) {
  auto out = Run(R"([{"op":"insert","table":"Open_vSwitch","row":{"bridges":["named-uuid","b"],
        "external_ids":["map",[["system-id","abc"]]]}},
      {"op":"insert","table":"Bridge","uuid-name":"b","row":{"name":"br0",
        "ports":["named-uuid","p"],"other_config":["map",[["hwaddr","00:11:22:33:44:55"]]]}},
      {"op":"insert","table":"Port","uuid-name":"p","row":{"name":"br0",
        "interfaces":["named-uuid","i"],"tag":10}},
      {"op":"insert","table":"Interface","uuid-name":"i","row":{"name":"br0","type":"internal"}}])");
  ASSERT_TRUE(out.committed) << out.result.dump();
  auto fresh = Database::Create(schema_).value();
  Status st = fresh->ApplyLogRecord(db_->SnapshotRecord());
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(fresh->SnapshotRecord(), db_->SnapshotRecord());
  // Replaying the commit's log record gives the same content too.
  auto replica = Database::Create(schema_).value();
  ASSERT_TRUE(replica->ApplyLogRecord(out.changes->ToLogJson()).ok());
  EXPECT_EQ(replica->SnapshotRecord(), db_->SnapshotRecord());
}

}  // namespace
}  // namespace vs::ovsdb
