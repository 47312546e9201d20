// Test helpers shared by the ovsdb engine's unit tests (not part of the
// library): a small inline schema exercising every schema feature the engine
// checks, and a fixture that runs "transact" requests written as JSON text.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "base/json.h"
#include "ovsdb/database.h"
#include "ovsdb/schema.h"

namespace vs::ovsdb::testing {

// Root tables: Root, Owner, Holder, Target, Single, Pair. Non-root: Child, Leaf.
//  Root.name     string, unique index       Root.i      integer 0..100
//  Root.opt      optional integer
//  Root.color    optional enum red/green/blue
//  Root.tags     set of string, max 3       Root.nums   set of integer (unlimited)
//  Root.kv       map string->string         Root.children set of strong refs to Child
//  Root.weak     set of weak refs to Child  Root.fixed  immutable string
//  Owner.child   exactly one strong ref to Child (min 1)
//  Holder.must   exactly one weak ref to Target (min 1)
//  Child.leaf    optional strong ref to Leaf
//  Single        maxRows 1;   Pair  index on (a, b)
inline constexpr const char* kTestSchema = R"json({
  "name": "TestDB", "version": "1.2.3",
  "tables": {
    "Root": {
      "isRoot": true,
      "columns": {
        "name": {"type": "string"},
        "i": {"type": {"key": {"type": "integer", "minInteger": 0, "maxInteger": 100}}},
        "r": {"type": "real"},
        "opt": {"type": {"key": "integer", "min": 0, "max": 1}},
        "b": {"type": "boolean"},
        "color": {"type": {"key": {"type": "string", "enum": ["set", ["red", "green", "blue"]]},
                           "min": 0, "max": 1}},
        "tags": {"type": {"key": "string", "min": 0, "max": 3}},
        "nums": {"type": {"key": "integer", "min": 0, "max": "unlimited"}},
        "reals": {"type": {"key": "real", "min": 0, "max": "unlimited"}},
        "kv": {"type": {"key": "string", "value": "string", "min": 0, "max": "unlimited"}},
        "children": {"type": {"key": {"type": "uuid", "refTable": "Child"},
                              "min": 0, "max": "unlimited"}},
        "weak": {"type": {"key": {"type": "uuid", "refTable": "Child", "refType": "weak"},
                          "min": 0, "max": "unlimited"}},
        "fixed": {"type": "string", "mutable": false}
      },
      "indexes": [["name"]]
    },
    "Owner": {
      "isRoot": true,
      "columns": {
        "child": {"type": {"key": {"type": "uuid", "refTable": "Child"}}}
      }
    },
    "Holder": {
      "isRoot": true,
      "columns": {
        "must": {"type": {"key": {"type": "uuid", "refTable": "Target", "refType": "weak"}}}
      }
    },
    "Target": {"isRoot": true, "columns": {"n": {"type": "integer"}}},
    "Child": {
      "columns": {
        "name": {"type": "string"},
        "leaf": {"type": {"key": {"type": "uuid", "refTable": "Leaf"}, "min": 0, "max": 1}}
      }
    },
    "Leaf": {"columns": {"v": {"type": "integer"}}},
    "Single": {"isRoot": true, "maxRows": 1, "columns": {"x": {"type": "integer"}}},
    "Pair": {
      "isRoot": true,
      "columns": {"a": {"type": "integer"}, "b": {"type": "integer"}},
      "indexes": [["a", "b"]]
    }
  }
})json";

inline std::shared_ptr<const DatabaseSchema> TestSchema() {
  auto s = DatabaseSchema::FromJson(Json::parse(kTestSchema));
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.value();
}

inline std::string VswitchSchemaPath() {
  return std::string(NUMAVS_SOURCE_DIR) + "/schema/vswitch.ovsschema";
}

// The error tag of result[i], or "" if it is not an error object.
inline std::string ErrorTag(const Json& result, size_t i) {
  if (!result.is_array() || i >= result.size() || !result[i].is_object() ||
      !result[i].contains("error"))
    return "";
  return result[i]["error"].get<std::string>();
}

inline Json UuidJson(const Uuid& u) { return Json::array({"uuid", u.ToString()}); }

// The UUID in an insert op's result object.
inline Uuid ResultUuid(const Json& r) {
  auto u = Uuid::Parse(r.at("uuid").at(1).get<std::string>());
  EXPECT_TRUE(u.has_value()) << r.dump();
  return u.value_or(Uuid{});
}

class DbTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = std::move(Database::Create(TestSchema()).value()); }

  TransactOutcome Run(const std::string& ops, const TransactOptions& opts = {}) {
    return db_->Transact(Json::parse(ops), opts);
  }
  TransactOutcome Run(const char* ops, const TransactOptions& opts = {}) {
    return db_->Transact(Json::parse(ops), opts);
  }
  TransactOutcome Run(const Json& ops, const TransactOptions& opts = {}) {
    return db_->Transact(ops, opts);
  }
  // Runs `ops`, expecting success; returns the result array.
  Json Ok(const std::string& ops) {
    auto out = Run(ops);
    EXPECT_TRUE(out.committed) << ops << "\n -> " << out.result.dump();
    return out.result;
  }
  // Inserts one row into `table` and returns its UUID.
  Uuid Insert(const std::string& table, const Json& row) {
    Json ops = Json::array({{{"op", "insert"}, {"table", table}, {"row", row}}});
    auto out = Run(ops);
    EXPECT_TRUE(out.committed) << ops.dump() << "\n -> " << out.result.dump();
    if (!out.committed) return Uuid{};
    return ResultUuid(out.result[0]);
  }
  size_t Count(const std::string& table) const { return db_->FindTable(table)->size(); }
  const Row* Find(const std::string& table, const Uuid& u) const { return db_->FindRow(table, u); }
  // The JSON of column `col` of a committed row.
  Json Col(const std::string& table, const Uuid& u, const std::string& col) const {
    const Row* r = Find(table, u);
    EXPECT_NE(r, nullptr) << table << " " << u.ToString();
    if (!r) return Json();
    const ColumnSchema* c = db_->FindTable(table)->schema().FindColumn(col);
    return r->fields[c->index].ToJson(c->type);
  }

  std::unique_ptr<Database> db_;
};

}  // namespace vs::ovsdb::testing
