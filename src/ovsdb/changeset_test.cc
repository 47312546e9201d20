// Unit tests of ChangeSet (what a commit reports) and of log replay:
// ChangeSet::ToLogJson / Database::SnapshotRecord -> Database::ApplyLogRecord.
#include "ovsdb/changeset.h"

#include <gtest/gtest.h>

#include "ovsdb/database.h"
#include "ovsdb/internal/test_util.h"

namespace vs::ovsdb {
namespace {

using testing::DbTest;
using testing::ResultUuid;
using testing::TestSchema;

class ChangeSetTest : public DbTest {
 protected:
  // The one RowChange for `u` in `cs`, or null.
  static const RowChange* FindChange(const ChangeSet& cs, const std::string& table, const Uuid& u) {
    for (const auto& tc : cs.tables())
      if (tc.table->name() == table)
        for (const auto& rc : tc.rows)
          if (rc.uuid == u) return &rc;
    return nullptr;
  }
  std::vector<std::string> ChangedNames(const std::string& table, const RowChange& rc) {
    std::vector<std::string> out;
    for (int c : rc.changed) out.push_back(db_->FindTable(table)->schema().column(c).name);
    return out;
  }
};

TEST_F(ChangeSetTest, InsertListsNonDefaultColumns) {
  auto out = Run(R"([{"op":"insert","table":"Root","row":{"name":"n","i":0,"tags":"t"}}])");
  ASSERT_TRUE(out.changes);
  const ChangeSet& cs = *out.changes;
  EXPECT_FALSE(cs.empty());
  EXPECT_EQ(cs.n_rows(), 1u);
  EXPECT_FALSE(cs.txn_id().is_zero());
  EXPECT_GT(cs.date_ms(), 0);
  const RowChange* rc = FindChange(cs, "Root", ResultUuid(out.result[0]));
  ASSERT_NE(rc, nullptr);
  EXPECT_TRUE(rc->inserted());
  EXPECT_FALSE(rc->deleted());
  // "i":0 equals the default: not listed.
  EXPECT_EQ(ChangedNames("Root", *rc), (std::vector<std::string>{"name", "tags"}));
  // The new row is the committed row object itself.
  EXPECT_EQ(rc->new_row.get(), Find("Root", rc->uuid));
}

TEST_F(ChangeSetTest, ModifyListsChangedColumnsAndKeepsOldRow) {
  Uuid u = Insert("Root", {{"name", "n"}, {"i", 1}, {"b", true}});
  const Row* before = Find("Root", u);
  Uuid old_version = before->version();
  auto out = Run(R"([{"op":"update","table":"Root","where":[],"row":{"i":2,"b":true,"r":1.5}}])");
  ASSERT_TRUE(out.changes);
  const RowChange* rc = FindChange(*out.changes, "Root", u);
  ASSERT_NE(rc, nullptr);
  EXPECT_FALSE(rc->inserted());
  EXPECT_FALSE(rc->deleted());
  EXPECT_EQ(ChangedNames("Root", *rc), (std::vector<std::string>{"i", "r"}));  // b unchanged
  EXPECT_EQ(rc->old_row.get(), before);
  const ColumnSchema* i = db_->FindTable("Root")->schema().FindColumn("i");
  EXPECT_EQ(rc->old_row->fields[i->index].ToJson(i->type), 1);
  EXPECT_EQ(rc->new_row->fields[i->index].ToJson(i->type), 2);
  EXPECT_NE(rc->new_row->version(), old_version);
}

TEST_F(ChangeSetTest, DeleteHasOldRowOnly) {
  Uuid u = Insert("Root", {{"name", "n"}});
  auto out = Run(R"([{"op":"delete","table":"Root","where":[]}])");
  ASSERT_TRUE(out.changes);
  const RowChange* rc = FindChange(*out.changes, "Root", u);
  ASSERT_NE(rc, nullptr);
  EXPECT_TRUE(rc->deleted());
  ASSERT_TRUE(rc->old_row);
  EXPECT_EQ(rc->old_row->uuid, u);
}

TEST_F(ChangeSetTest, InsertThenDeleteInSameTxnIsAbsent) {
  Uuid other = Insert("Target", {{"n", 1}});
  auto out = Run(R"([{"op":"insert","table":"Root","row":{"name":"gone"}},
                     {"op":"delete","table":"Root","where":[["name","==","gone"]]},
                     {"op":"update","table":"Target","where":[],"row":{"n":2}}])");
  ASSERT_TRUE(out.committed) << out.result.dump();
  ASSERT_TRUE(out.changes);
  EXPECT_EQ(out.changes->n_rows(), 1u);
  ASSERT_EQ(out.changes->tables().size(), 1u);
  EXPECT_EQ(out.changes->tables()[0].table->name(), "Target");
  EXPECT_NE(FindChange(*out.changes, "Target", other), nullptr);
  // Only insert+delete: no change at all.
  out = Run(R"([{"op":"insert","table":"Root","row":{"name":"gone"}},
                {"op":"delete","table":"Root","where":[["name","==","gone"]]}])");
  EXPECT_TRUE(out.committed);
  EXPECT_FALSE(out.changes);
}

TEST_F(ChangeSetTest, NoOpUpdateProducesNoChanges) {
  Uuid u = Insert("Root", {{"name", "n"}, {"i", 3}, {"nums", Json::parse(R"(["set",[1,2]])")}});
  const Row* before = Find("Root", u);
  uint64_t commits = db_->n_commits();
  auto out = Run(R"([{"op":"update","table":"Root","where":[],"row":{"i":3,"name":"n"}},
                     {"op":"mutate","table":"Root","where":[],
                      "mutations":[["nums","insert",1],["i","+=",0],["nums","delete",7]]}])");
  EXPECT_TRUE(out.committed) << out.result.dump();
  EXPECT_EQ(out.result[0]["count"], 1);
  EXPECT_FALSE(out.changes);
  EXPECT_EQ(db_->n_commits(), commits);
  EXPECT_EQ(Find("Root", u), before);
  // Changing a value and changing it back within one transaction is also a no-op.
  out = Run(R"([{"op":"update","table":"Root","where":[],"row":{"i":4}},
                {"op":"update","table":"Root","where":[],"row":{"i":3}}])");
  EXPECT_TRUE(out.committed);
  EXPECT_FALSE(out.changes);
}

TEST_F(ChangeSetTest, ChangesOrderedByTableIndex) {
  auto out = Run(R"([{"op":"insert","table":"Target","row":{"n":1}},
                     {"op":"insert","table":"Pair","row":{"a":1}},
                     {"op":"insert","table":"Root","row":{"name":"r"}}])");
  ASSERT_TRUE(out.changes);
  ASSERT_EQ(out.changes->tables().size(), 3u);
  for (size_t i = 1; i < out.changes->tables().size(); i++)
    EXPECT_LT(out.changes->tables()[i - 1].table->index(), out.changes->tables()[i].table->index());
}

TEST_F(ChangeSetTest, ToLogJsonShape) {
  Uuid u = Insert("Root", {{"name", "n"}, {"i", 1}});
  auto out = Run(R"([{"op":"update","table":"Root","where":[],"row":{"i":2}},
                     {"op":"insert","table":"Target","row":{}},
                     {"op":"comment","comment":"hello"}])");
  ASSERT_TRUE(out.changes);
  Json log = out.changes->ToLogJson();
  EXPECT_EQ(log["_comment"], "hello");
  EXPECT_EQ(log["_date"], out.changes->date_ms());
  // Modify: only the changed column.
  EXPECT_EQ(log["Root"][u.ToString()], Json::parse(R"({"i":2})"));
  // Insert with all defaults: an empty object.
  ASSERT_EQ(log["Target"].size(), 1u);
  EXPECT_EQ(log["Target"].begin().value(), Json::object());
  out = Run(R"([{"op":"delete","table":"Root","where":[]}])");
  log = out.changes->ToLogJson();
  EXPECT_TRUE(log["Root"][u.ToString()].is_null());
  EXPECT_FALSE(log.contains("_comment"));
}

// --- replay ----------------------------------------------------------------

class LogReplay : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    replica_ = std::move(Database::Create(TestSchema()).value());
  }
  // Runs `ops` on db_ and replays its log record on replica_.
  void RunAndReplay(const std::string& ops) {
    auto out = Run(ops);
    ASSERT_TRUE(out.committed) << out.result.dump();
    if (!out.changes) return;
    std::shared_ptr<const ChangeSet> cs;
    Status st = replica_->ApplyLogRecord(out.changes->ToLogJson(), &cs);
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_TRUE(cs);
    EXPECT_EQ(cs->n_rows(), out.changes->n_rows());
    EXPECT_EQ(cs->comment(), out.changes->comment());
    EXPECT_EQ(cs->date_ms(), out.changes->date_ms());
  }
  std::unique_ptr<Database> replica_;
};

TEST_F(LogReplay, ToLogJsonReproducesContent) {
  RunAndReplay(R"([{"op":"insert","table":"Leaf","uuid-name":"l","row":{"v":5}},
                   {"op":"insert","table":"Child","uuid-name":"c","row":{"name":"c",
                     "leaf":["named-uuid","l"]}},
                   {"op":"insert","table":"Root","row":{"name":"r","i":3,"r":0.5,"b":true,
                     "color":"green","tags":["set",["x","y"]],"nums":["set",[1,2]],
                     "kv":["map",[["a","b"]]],"children":["named-uuid","c"],
                     "weak":["named-uuid","c"],"fixed":"f"}},
                   {"op":"insert","table":"Target","uuid-name":"t","row":{"n":9}},
                   {"op":"insert","table":"Holder","row":{"must":["named-uuid","t"]}},
                   {"op":"insert","table":"Pair","row":{"a":1,"b":2}},
                   {"op":"comment","comment":"setup"}])");
  EXPECT_EQ(replica_->SnapshotRecord(), db_->SnapshotRecord());
  RunAndReplay(R"([{"op":"update","table":"Root","where":[],"row":{"i":4,"tags":["set",[]]}},
                   {"op":"mutate","table":"Root","where":[],"mutations":[["kv","insert",
                     ["map",[["c","d"]]]]]},
                   {"op":"update","table":"Leaf","where":[],"row":{"v":6}}])");
  EXPECT_EQ(replica_->SnapshotRecord(), db_->SnapshotRecord());
  // Deleting the root collects Child and Leaf; the replica sees the deletions.
  RunAndReplay(R"([{"op":"delete","table":"Root","where":[]}])");
  EXPECT_EQ(replica_->SnapshotRecord(), db_->SnapshotRecord());
  EXPECT_EQ(replica_->FindTable("Child")->size(), 0u);
  EXPECT_EQ(replica_->FindTable("Leaf")->size(), 0u);
  EXPECT_EQ(replica_->n_commits(), db_->n_commits());
  // Referential bookkeeping was rebuilt too: the replica refuses to delete a
  // still-referenced row and accepts deleting it together with its referrer.
  auto bad = replica_->Transact(Json::parse(R"([{"op":"delete","table":"Target","where":[]}])"));
  EXPECT_FALSE(bad.committed);
  auto good = replica_->Transact(Json::parse(
      R"([{"op":"delete","table":"Target","where":[]},{"op":"delete","table":"Holder","where":[]}])"));
  EXPECT_TRUE(good.committed) << good.result.dump();
}

TEST_F(LogReplay, SnapshotRoundTrips) {
  Ok(R"([{"op":"insert","table":"Leaf","uuid-name":"l","row":{"v":5}},
         {"op":"insert","table":"Child","uuid-name":"c","row":{"leaf":["named-uuid","l"]}},
         {"op":"insert","table":"Owner","row":{"child":["named-uuid","c"]}},
         {"op":"insert","table":"Root","row":{"name":"a","kv":["map",[["k","v"]]],
           "weak":["named-uuid","c"]}},
         {"op":"insert","table":"Root","row":{"name":"b","nums":["set",[3,1]]}},
         {"op":"insert","table":"Single","row":{"x":1}}])");
  Json snap = db_->SnapshotRecord();
  std::shared_ptr<const ChangeSet> cs;
  ASSERT_TRUE(replica_->ApplyLogRecord(snap, &cs).ok());
  ASSERT_TRUE(cs);
  EXPECT_EQ(cs->n_rows(), 6u);
  EXPECT_EQ(replica_->SnapshotRecord(), snap);
  for (size_t t = 0; t < db_->n_tables(); t++) {
    for (const auto& [uuid, e] : db_->table(t).rows()) {
      const Table::Entry* r = replica_->table(t).FindEntry(uuid);
      ASSERT_NE(r, nullptr) << uuid.ToString();
      EXPECT_EQ(r->n_refs, e.n_refs) << db_->table(t).schema().name() << " " << uuid.ToString();
      for (size_t c = TableSchema::kFirstUserColumn; c < e.row->fields.size(); c++)
        EXPECT_TRUE(r->row->fields[c] == e.row->fields[c]);
    }
  }
  // Indexes were rebuilt: a duplicate name is refused on the replica.
  auto out =
      replica_->Transact(Json::parse(R"([{"op":"insert","table":"Root","row":{"name":"a"}}])"));
  EXPECT_FALSE(out.committed);
  // An empty database snapshots to an empty record, which replays to nothing.
  auto empty = Database::Create(TestSchema()).value();
  EXPECT_EQ(empty->SnapshotRecord(), Json::object());
  EXPECT_TRUE(empty->ApplyLogRecord(Json::object(), &cs).ok());
  EXPECT_FALSE(cs);
}

TEST_F(LogReplay, GarbageRecordsFailWithoutChanges) {
  Insert("Root", {{"name", "keep"}, {"i", 1}});
  Json before = db_->SnapshotRecord();
  uint64_t commits = db_->n_commits();
  const char* garbage[] = {
      R"([1,2,3])",
      R"("text")",
      R"({"NoSuchTable":{}})",
      R"({"Root":[]})",
      R"({"Root":{"not-a-uuid":{}}})",
      R"({"Root":{"00000000-0000-4000-8000-000000000001":{"nope":1}}})",
      R"({"Root":{"00000000-0000-4000-8000-000000000001":{"i":"one"}}})",
      R"({"Root":{"00000000-0000-4000-8000-000000000001":7}})",
      // A good row first, then a bad one: all or nothing.
      R"({"Root":{"00000000-0000-4000-8000-000000000001":{"name":"x"},
                  "00000000-0000-4000-8000-000000000002":{"i":"bad"}}})",
      R"({"Target":{"00000000-0000-4000-8000-000000000003":{"n":1}},"Bogus":{}})",
      // Dangling strong reference.
      R"({"Root":{"00000000-0000-4000-8000-000000000004":{"name":"y",
          "children":["uuid","00000000-0000-4000-8000-0000000000ff"]}}})",
      // Index clash with the committed row.
      R"({"Root":{"00000000-0000-4000-8000-000000000005":{"name":"keep"}}})",
      // Deletion of a row that does not exist (with a valid insert beside it).
      R"({"Target":{"00000000-0000-4000-8000-000000000006":{"n":1},
                    "00000000-0000-4000-8000-000000000007":null}})",
  };
  for (const char* g : garbage) {
    std::shared_ptr<const ChangeSet> cs = std::make_shared<ChangeSet>(Uuid{}, 0, "");
    Status st = db_->ApplyLogRecord(Json::parse(g), &cs);
    EXPECT_FALSE(st.ok()) << g;
    EXPECT_EQ(st.code(), EINVAL) << g;
    EXPECT_FALSE(cs) << g;
    EXPECT_EQ(db_->SnapshotRecord(), before) << g;
    EXPECT_EQ(db_->n_commits(), commits) << g;
  }
}

TEST_F(LogReplay, AcceptsVersionAndMetadataMembers) {
  Status st = db_->ApplyLogRecord(Json::parse(R"({"_date":1234,"_is_diff":true,"_comment":"c",
      "Target":{"00000000-0000-4000-8000-000000000020":{"n":4,
        "_version":["uuid","00000000-0000-4000-8000-000000000021"]}}})"));
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(Col("Target", *Uuid::Parse("00000000-0000-4000-8000-000000000020"), "n"), 4);
  // _uuid may not be written by a record.
  st = db_->ApplyLogRecord(Json::parse(R"({"Target":{"00000000-0000-4000-8000-000000000022":{
      "_uuid":["uuid","00000000-0000-4000-8000-000000000023"]}}})"));
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(Count("Target"), 1u);
}

TEST_F(LogReplay, ReplayDoesNotCollectGarbage) {
  // A log may hold a non-root row with no referrer (e.g. from another server
  // version); replay keeps it.
  Status st = db_->ApplyLogRecord(
      Json::parse(R"({"Child":{"00000000-0000-4000-8000-000000000010":{"name":"lonely"}}})"));
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(Count("Child"), 1u);
}

}  // namespace
}  // namespace vs::ovsdb
