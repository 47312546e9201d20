// Randomized test of the transaction engine's bookkeeping: after every
// transaction (committed or not) the database must satisfy the invariants the
// commit checks promise, recomputed from scratch here:
//  * every strong reference resolves, and Table::Entry::n_refs equals the
//    number of strong references from other rows;
//  * no non-root row is unreferenced (garbage collection);
//  * every weak reference resolves;
//  * index values are unique, maxRows holds;
//  * a failed transaction changed nothing; replaying every change set's log
//    record on a second database gives the same content.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <set>

#include "ovsdb/database.h"
#include "ovsdb/internal/test_util.h"

namespace vs::ovsdb {
namespace {

using testing::DbTest;
using testing::TestSchema;

class RandomTxn : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    replica_ = std::move(Database::Create(TestSchema()).value());
  }

  // UUIDs of the committed rows of `table`.
  std::vector<Uuid> Rows(const std::string& table) const {
    std::vector<Uuid> out;
    for (const auto& [u, e] : db_->FindTable(table)->rows()) out.push_back(u);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string Pick(std::mt19937& rng, const std::string& table, bool allow_missing) {
    auto rows = Rows(table);
    if (rows.empty() || (allow_missing && rng() % 8 == 0))
      return Uuid::Random().ToString();  // dangling
    return rows[rng() % rows.size()].ToString();
  }
  Json RefJson(const std::string& u) { return Json::array({"uuid", u}); }

  Json RandomOp(std::mt19937& rng, int serial) {
    const std::string name = "n" + std::to_string(rng() % 12);
    switch (rng() % 11) {
      case 0:  // a root with a fresh child (and leaf) via named-uuids, used before insert
        return Json::parse(R"([{"op":"insert","table":"Root","row":{"name":")" + name +
                           R"(","children":["named-uuid","c"],"weak":["named-uuid","c"]}},
            {"op":"insert","table":"Child","uuid-name":"c","row":{"leaf":["named-uuid","l"]}},
            {"op":"insert","table":"Leaf","uuid-name":"l","row":{"v":)" +
                           std::to_string(serial) + "}}]");
      case 1:  // share an existing child
        return Json::array(
            {{{"op", "mutate"},
              {"table", "Root"},
              {"where", Json::parse(R"([["name","==",")" + name + R"("]])")},
              {"mutations", Json::array({Json::array(
                                {"children", "insert", RefJson(Pick(rng, "Child", true))})})}}});
      case 2:  // drop a child reference
        return Json::array(
            {{{"op", "mutate"},
              {"table", "Root"},
              {"where", Json::array()},
              {"mutations", Json::array({Json::array(
                                {"children", "delete", RefJson(Pick(rng, "Child", false))})})}}});
      case 3:
        return Json::parse(R"([{"op":"delete","table":"Root","where":[["name","==",")" + name +
                           R"("]]}])");
      case 4:  // an owner of an existing (or missing) child
        return Json::array({{{"op", "insert"},
                             {"table", "Owner"},
                             {"row", {{"child", RefJson(Pick(rng, "Child", true))}}}}});
      case 5:
        return Json::array({{{"op", "update"},
                             {"table", "Owner"},
                             {"where", Json::array()},
                             {"row", {{"child", RefJson(Pick(rng, "Child", false))}}}}});
      case 6:  // deleting a child directly fails while it is referenced
        return Json::array({{{"op", "delete"},
                             {"table", "Child"},
                             {"where", Json::parse(R"([["_uuid","==",["uuid",")" +
                                                   Pick(rng, "Child", false) + R"("]]])")}}});
      case 7:
        return Json::parse(R"([{"op":"delete","table":"Owner","where":[]}])");
      case 8:  // weak refs to targets, then maybe delete a target
        return Json::array(
            {{{"op", "insert"}, {"table", "Target"}, {"uuid-name", "t"}, {"row", {{"n", serial}}}},
             {{"op", "insert"},
              {"table", "Holder"},
              {"row",
               {{"must", rng() % 2 ? Json::array({"named-uuid", "t"})
                                   : RefJson(Pick(rng, "Target", true))}}}}});
      case 9:
        return Json::parse(R"([{"op":"delete","table":"Target","where":[["n","<",)" +
                           std::to_string(serial - static_cast<int>(rng() % 20)) + "]]}]");
      default:  // insert and delete in one transaction, plus a rename (index)
        return Json::parse(R"([{"op":"insert","table":"Root","uuid-name":"x","row":{"name":"tmp",
                                "children":["named-uuid","c2"]}},
            {"op":"insert","table":"Child","uuid-name":"c2","row":{}},
            {"op":"delete","table":"Root","where":[["name","==","tmp"]]},
            {"op":"update","table":"Root","where":[["name","==",")" +
                           name + R"("]],"row":{"name":")" + "n" + std::to_string(rng() % 12) +
                           R"("}}])");
    }
  }

  void CheckInvariants(const Database& db) {
    std::vector<std::map<Uuid, int64_t>> refs(db.n_tables());
    for (size_t t = 0; t < db.n_tables(); t++) {
      const Table& table = db.table(t);
      const TableSchema& ts = table.schema();
      for (const auto& [uuid, e] : table.rows()) {
        for (int c : ts.ref_columns()) {
          const ColumnType& type = ts.column(c).type;
          const Datum& d = e.row->fields[c];
          auto check = [&](const BaseType& b, const std::vector<Atom>& atoms) {
            if (!b.is_ref()) return;
            for (const Atom& a : atoms) {
              const Uuid& target = std::get<Uuid>(a);
              EXPECT_NE(db.table(b.ref_table_index).Find(target), nullptr)
                  << ts.name() << "." << ts.column(c).name << " of " << uuid.ToString()
                  << " dangles (" << (b.is_strong_ref() ? "strong" : "weak") << ")";
              if (b.is_strong_ref() && target != uuid) refs[b.ref_table_index][target]++;
            }
          };
          check(type.key, d.keys());
          if (type.value) check(*type.value, d.values());
          EXPECT_TRUE(d.CheckCardinality(type, "x") == std::nullopt)
              << ts.name() << "." << ts.column(c).name;
        }
      }
    }
    for (size_t t = 0; t < db.n_tables(); t++) {
      const Table& table = db.table(t);
      const TableSchema& ts = table.schema();
      for (const auto& [uuid, e] : table.rows()) {
        int64_t want = refs[t].count(uuid) ? refs[t][uuid] : 0;
        EXPECT_EQ(e.n_refs, want) << ts.name() << " " << uuid.ToString();
        if (!ts.is_root()) {
          EXPECT_GT(want, 0) << "unreferenced non-root row " << ts.name() << " " << uuid.ToString();
        }
      }
      for (const auto& idx : ts.indexes()) {
        std::set<std::vector<Json>> seen;
        for (const auto& [uuid, e] : table.rows()) {
          std::vector<Json> key;
          for (int c : idx) key.push_back(e.row->fields[c].ToJson(ts.column(c).type));
          EXPECT_TRUE(seen.insert(key).second) << "index clash in " << ts.name();
        }
      }
      if (ts.max_rows()) {
        EXPECT_LE(table.size(), *ts.max_rows());
      }
    }
  }

  std::unique_ptr<Database> replica_;
};

class RandomTxnSeeds : public RandomTxn, public ::testing::WithParamInterface<uint32_t> {};

TEST_P(RandomTxnSeeds, InvariantsHoldAfterEveryTransaction) {
  std::mt19937 rng(GetParam());
  int n_committed = 0, n_failed = 0;
  size_t max_children = 0;
  for (int i = 0; i < 1000; i++) {
    Json ops = RandomOp(rng, i);
    Json before = db_->SnapshotRecord();
    uint64_t commits = db_->n_commits();
    auto out = Run(ops);
    if (!out.committed) {
      n_failed++;
      ASSERT_EQ(db_->SnapshotRecord(), before) << ops.dump() << " -> " << out.result.dump();
      ASSERT_EQ(db_->n_commits(), commits);
      ASSERT_FALSE(out.changes);
    } else {
      n_committed++;
      if (out.changes) {
        Status st = replica_->ApplyLogRecord(out.changes->ToLogJson());
        ASSERT_TRUE(st.ok()) << st.message() << "\n" << out.changes->ToLogJson().dump();
      }
    }
    CheckInvariants(*db_);
    max_children = std::max(max_children, Count("Child"));
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "after op " << i << ": " << ops.dump() << " -> " << out.result.dump();
      return;
    }
    if (i % 50 == 0) {
      ASSERT_EQ(replica_->SnapshotRecord(), db_->SnapshotRecord()) << "after op " << i;
      CheckInvariants(*replica_);
    }
  }
  EXPECT_EQ(replica_->SnapshotRecord(), db_->SnapshotRecord());
  CheckInvariants(*replica_);
  // The mix exercised both outcomes.
  EXPECT_GT(n_committed, 200);
  EXPECT_GT(n_failed, 50);
  EXPECT_GT(max_children, 3u);
  std::printf("seed %u: %d committed, %d failed, up to %zu children\n", GetParam(), n_committed,
              n_failed, max_children);
  // And a snapshot of the final state replays to the same content.
  auto fresh = Database::Create(TestSchema()).value();
  ASSERT_TRUE(fresh->ApplyLogRecord(db_->SnapshotRecord()).ok());
  EXPECT_EQ(fresh->SnapshotRecord(), db_->SnapshotRecord());
  CheckInvariants(*fresh);
}

INSTANTIATE_TEST_SUITE_P(Seeds, RandomTxnSeeds, ::testing::Values(1u, 20261126u, 777u));

}  // namespace
}  // namespace vs::ovsdb
