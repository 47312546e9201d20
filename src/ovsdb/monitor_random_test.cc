// Randomized test of Monitor: a client replica built only from Initial(),
// Compose() and ChangeConditions() output (update and update2 formats, the
// latter with a condition that rows move in and out of) must equal the
// database content projected onto the monitored columns after every commit.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "ovsdb/database.h"
#include "ovsdb/internal/test_util.h"
#include "ovsdb/monitor.h"

namespace vs::ovsdb {
namespace {

using testing::DbTest;

constexpr const char* kColumns[] = {"name", "i", "nums", "kv", "color", "tags", "r"};

class MonitorReplica {
 public:
  MonitorReplica(const TableSchema& ts, MonitorVersion v) : ts_(ts), v_(v) {}

  // Applies <table-updates> / <table-updates2> for table Root.
  void Apply(const Json& updates) {
    if (updates.is_null() || !updates.contains("Root")) return;
    for (auto it = updates["Root"].begin(); it != updates["Root"].end(); ++it) {
      const std::string& uuid = it.key();
      const Json& u = *it;
      if (v_ == MonitorVersion::kUpdate) {
        if (u.contains("new"))
          rows_[uuid] = u["new"];
        else
          rows_.erase(uuid);
        continue;
      }
      if (u.contains("delete")) {
        ASSERT_TRUE(rows_.count(uuid)) << "delete of unknown row " << uuid;
        rows_.erase(uuid);
      } else if (u.contains("insert") || u.contains("initial")) {
        ASSERT_FALSE(rows_.count(uuid)) << "insert of known row " << uuid;
        const Json& cols = u.contains("insert") ? u["insert"] : u["initial"];
        Json row = Json::object();
        for (const char* c : kColumns) {
          const ColumnSchema* col = ts_.FindColumn(c);
          row[c] = cols.contains(c) ? cols[c] : Datum::Default(col->type).ToJson(col->type);
        }
        rows_[uuid] = row;
      } else {
        ASSERT_TRUE(u.contains("modify")) << u.dump();
        ASSERT_TRUE(rows_.count(uuid)) << "modify of unknown row " << uuid;
        Json& row = rows_[uuid];
        for (auto c = u["modify"].begin(); c != u["modify"].end(); ++c) {
          const ColumnSchema* col = ts_.FindColumn(c.key());
          ASSERT_NE(col, nullptr);
          ParseOptions relaxed;
          relaxed.relax_cardinality = true;
          relaxed.check_constraints = false;
          auto old_d = Datum::FromJson(row[c.key()], col->type, relaxed);
          auto diff = Datum::FromJson(*c, col->type, relaxed);
          ASSERT_TRUE(old_d.ok() && diff.ok()) << c->dump();
          row[c.key()] = Datum::ApplyDiff(old_d.value(), diff.value(), col->type).ToJson(col->type);
        }
      }
    }
  }
  const std::map<std::string, Json>& rows() const { return rows_; }

 private:
  const TableSchema& ts_;
  MonitorVersion v_;
  std::map<std::string, Json> rows_;
};

class MonitorRandom : public DbTest, public ::testing::WithParamInterface<uint32_t> {
 protected:
  // What a monitor of kColumns with condition `where` (evaluated here) should hold.
  std::map<std::string, Json> Expected(const Condition& where) const {
    std::map<std::string, Json> out;
    const Table* t = db_->FindTable("Root");
    for (const auto& [uuid, e] : t->rows()) {
      if (!where.MatchesAny(*e.row)) continue;
      Json row = Json::object();
      for (const char* c : kColumns) {
        const ColumnSchema* col = t->schema().FindColumn(c);
        row[c] = e.row->fields[col->index].ToJson(col->type);
      }
      out[uuid.ToString()] = row;
    }
    return out;
  }

  Json RandomValue(std::mt19937& rng, const std::string& col) {
    auto n = [&](int k) { return static_cast<int>(rng() % k); };
    if (col == "name") return "r" + std::to_string(rng());
    if (col == "i") return n(101);
    if (col == "r") return n(4) * 0.5;
    if (col == "color") {
      const char* colors[] = {"red", "green", "blue"};
      return n(4) == 0 ? Json::parse(R"(["set",[]])") : Json(colors[n(3)]);
    }
    Json elems = Json::array();
    int count = n(col == "tags" ? 4 : 6);
    for (int k = 0; k < count; k++) {
      if (col == "nums")
        elems.push_back(n(8));
      else if (col == "tags")
        elems.push_back("t" + std::to_string(n(5)));
      else
        elems.push_back(Json::array({"k" + std::to_string(n(5)), "v" + std::to_string(n(3))}));
    }
    if (col == "kv") {
      // Keys must be unique in a map value.
      std::map<std::string, Json> uniq;
      for (auto& p : elems) uniq[p[0]] = p;
      Json pairs = Json::array();
      for (auto& [k, p] : uniq) pairs.push_back(p);
      return Json::array({"map", pairs});
    }
    if (col == "tags") {
      std::set<std::string> uniq;
      for (auto& e : elems) uniq.insert(e.get<std::string>());
      Json s = Json::array();
      for (auto& e : uniq) s.push_back(e);
      return Json::array({"set", s});
    }
    return Json::array({"set", elems});
  }

  Json RandomOps(std::mt19937& rng) {
    Json row = Json::object();
    int k = 1 + static_cast<int>(rng() % 3);
    for (int j = 0; j < k; j++) {
      const char* c = kColumns[rng() % std::size(kColumns)];
      row[c] = RandomValue(rng, c);
    }
    Json where = Json::parse(R"([["i",">=",)" + std::to_string(rng() % 100) + R"(],["i","<=",)" +
                             std::to_string(rng() % 101) + "]]");
    switch (rng() % 6) {
      case 0:
      case 1:
        row["name"] = RandomValue(rng, "name");
        return Json::array({{{"op", "insert"}, {"table", "Root"}, {"row", row}}});
      case 2:
        row.erase("name");  // keep names unique
        if (row.empty()) row["i"] = RandomValue(rng, "i");
        return Json::array({{{"op", "update"}, {"table", "Root"}, {"where", where}, {"row", row}}});
      case 3:
        return Json::array(
            {{{"op", "mutate"},
              {"table", "Root"},
              {"where", where},
              {"mutations", Json::array({Json::array({"nums", rng() % 2 ? "insert" : "delete",
                                                      RandomValue(rng, "nums")}),
                                         Json::array({"kv", rng() % 2 ? "insert" : "delete",
                                                      RandomValue(rng, "kv")})})}}});
      case 4:
        return Json::array({{{"op", "delete"}, {"table", "Root"}, {"where", where}}});
      default:  // several ops touching the same rows
        return Json::array(
            {{{"op", "update"}, {"table", "Root"}, {"where", where}, {"row", {{"i", rng() % 101}}}},
             {{"op", "mutate"},
              {"table", "Root"},
              {"where", Json::array()},
              {"mutations", Json::array({Json::array({"r", "+=", 0.5})})}}});
    }
  }
};

TEST_P(MonitorRandom, ReplicasFollowTheDatabase) {
  std::mt19937 rng(GetParam());
  const TableSchema& ts = db_->FindTable("Root")->schema();
  Json cols = Json::array();
  for (const char* c : kColumns) cols.push_back(c);
  Json req1 = {{"Root", {{"columns", cols}}}};
  auto m1 = Monitor::Create(*db_, MonitorVersion::kUpdate, req1);
  ASSERT_TRUE(m1.ok()) << m1.status().message();
  Json cond_json = Json::parse(R"([["i","<",50],["tags","includes","t1"]])");
  Json req2 = {{"Root", {{"columns", cols}, {"where", cond_json}}}};
  auto m2 = Monitor::Create(*db_, MonitorVersion::kUpdate2, req2);
  ASSERT_TRUE(m2.ok()) << m2.status().message();
  auto cond = Condition::FromJson(ts, cond_json, nullptr);
  ASSERT_TRUE(cond.ok());
  Condition where2 = cond.value();

  MonitorReplica r1(ts, MonitorVersion::kUpdate), r2(ts, MonitorVersion::kUpdate2);
  r1.Apply(m1.value()->Initial());
  r2.Apply(m2.value()->Initial());
  int n_updates = 0;
  for (int i = 0; i < 400; i++) {
    if (i % 37 == 36) {
      // monitor_cond_change to a new random condition.
      cond_json = Json::parse(R"([["i",">",)" + std::to_string(rng() % 100) +
                              R"(],["nums","includes",)" + std::to_string(rng() % 8) + "]]");
      Json update;
      Status st =
          m2.value()->ChangeConditions({{"Root", Json::array({{{"where", cond_json}}})}}, &update);
      ASSERT_TRUE(st.ok()) << st.message();
      r2.Apply(update);
      where2 = Condition::FromJson(ts, cond_json, nullptr).value();
    }
    Json ops = RandomOps(rng);
    auto out = Run(ops);
    if (out.changes) {
      auto u1 = m1.value()->Compose(*out.changes);
      auto u2 = m2.value()->Compose(*out.changes);
      if (u1) r1.Apply(*u1), n_updates++;
      if (u2) r2.Apply(*u2);
    }
    ASSERT_EQ(r1.rows(), Expected(Condition::True())) << "step " << i << ": " << ops.dump();
    ASSERT_EQ(r2.rows(), Expected(where2)) << "step " << i << ": " << ops.dump();
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_GT(n_updates, 100);
  EXPECT_GT(r1.rows().size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, MonitorRandom, ::testing::Values(3u, 99u, 2026u));

}  // namespace
}  // namespace vs::ovsdb
