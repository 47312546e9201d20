// Unit tests of the commit-time checks of Database::Transact: referential
// integrity, garbage collection, weak references, indexes, maxRows, and the
// per-value constraints (enum, range, cardinality) with their RFC error tags.
#include <gtest/gtest.h>

#include "ovsdb/database.h"
#include "ovsdb/internal/test_util.h"

namespace vs::ovsdb {
namespace {

using testing::DbTest;
using testing::ErrorTag;
using testing::ResultUuid;
using testing::UuidJson;

class Integrity : public DbTest {
 protected:
  // The last element of a failed result (the commit-time error, if any).
  static std::string LastTag(const TransactOutcome& out) {
    return ErrorTag(out.result, out.result.size() - 1);
  }
};

// --- referential integrity ---------------------------------------------------

TEST_F(Integrity, ReferenceToMissingRow) {
  const std::string ghost = "00000000-0000-4000-8000-0000000000aa";
  auto out =
      Run(R"([{"op":"insert","table":"Root","row":{"children":["uuid",")" + ghost + R"("]}}])");
  EXPECT_FALSE(out.committed);
  ASSERT_EQ(out.result.size(), 2u) << out.result.dump();
  EXPECT_EQ(ErrorTag(out.result, 1), "referential integrity violation");
  EXPECT_EQ(Count("Root"), 0u);
}

TEST_F(Integrity, ReferenceToRowDeletedInSameTxn) {
  Json r = Ok(R"([{"op":"insert","table":"Child","uuid-name":"c","row":{}},
                 {"op":"insert","table":"Root","row":{"name":"r","children":["named-uuid","c"]}}])");
  Uuid child = ResultUuid(r[0]);
  // Deleting the child while the root still refers to it.
  auto out = Run(R"([{"op":"delete","table":"Child","where":[]}])");
  EXPECT_FALSE(out.committed);
  EXPECT_EQ(LastTag(out), "referential integrity violation") << out.result.dump();
  EXPECT_NE(Find("Child", child), nullptr);
  // Dropping the reference and the row together is fine.
  out = Run(R"([{"op":"update","table":"Root","where":[],"row":{"children":["set",[]]}},
                {"op":"delete","table":"Child","where":[]}])");
  EXPECT_TRUE(out.committed) << out.result.dump();
  EXPECT_EQ(Count("Child"), 0u);
}

TEST_F(Integrity, DeleteOfRowWithTwoReferences) {
  // Owner.child (min 1) keeps a Child alive; deleting the Child is refused.
  Json r = Ok(R"([{"op":"insert","table":"Child","uuid-name":"c","row":{"name":"kept"}},
                 {"op":"insert","table":"Owner","row":{"child":["named-uuid","c"]}},
                 {"op":"insert","table":"Root","row":{"children":["named-uuid","c"]}}])");
  auto out = Run(R"([{"op":"delete","table":"Child","where":[]}])");
  EXPECT_EQ(LastTag(out), "referential integrity violation");
  // Removing one of the two references still leaves one.
  out = Run(R"([{"op":"delete","table":"Root","where":[]},
                {"op":"delete","table":"Child","where":[]}])");
  EXPECT_EQ(LastTag(out), "referential integrity violation");
  EXPECT_EQ(Count("Root"), 1u);
  EXPECT_EQ(Count("Child"), 1u);
}

TEST_F(Integrity, StrongRefMinOneColumnRequiresReference) {
  // Owner.child has min 1: its default is the all-zero UUID, which refers to nothing.
  auto out = Run(R"([{"op":"insert","table":"Owner","row":{}}])");
  EXPECT_FALSE(out.committed);
  EXPECT_EQ(LastTag(out), "referential integrity violation") << out.result.dump();
  // An empty set is a cardinality error at parse time.
  out = Run(R"([{"op":"insert","table":"Owner","row":{"child":["set",[]]}}])");
  EXPECT_EQ(ErrorTag(out.result, 0), "syntax error") << out.result.dump();
}

// --- garbage collection ------------------------------------------------------

TEST_F(Integrity, UnreferencedNonRootRowIsCollectedAtInsert) {
  auto out = Run(R"([{"op":"insert","table":"Child","row":{"name":"orphan"}}])");
  EXPECT_TRUE(out.committed);
  EXPECT_EQ(Count("Child"), 0u);
  EXPECT_FALSE(out.changes);  // inserted and collected: nothing changed
  EXPECT_EQ(db_->n_commits(), 0u);
}

TEST_F(Integrity, CollectionIsTransitiveAndKeepsRootRows) {
  Json r = Ok(R"([{"op":"insert","table":"Leaf","uuid-name":"l","row":{"v":1}},
                 {"op":"insert","table":"Child","uuid-name":"c","row":{"leaf":["named-uuid","l"]}},
                 {"op":"insert","table":"Root","uuid-name":"r",
                  "row":{"name":"r","children":["named-uuid","c"]}},
                 {"op":"insert","table":"Target","row":{"n":1}}])");
  Uuid leaf = ResultUuid(r[0]), child = ResultUuid(r[1]), root = ResultUuid(r[2]);
  ASSERT_NE(Find("Leaf", leaf), nullptr);
  ASSERT_NE(Find("Child", child), nullptr);
  // Dropping the root's reference collects Child and, through it, Leaf.
  auto out = Run(R"([{"op":"mutate","table":"Root","where":[],
                      "mutations":[["children","delete",["uuid",")" +
                 child.ToString() + R"("]]]}])");
  ASSERT_TRUE(out.committed) << out.result.dump();
  EXPECT_EQ(Find("Child", child), nullptr);
  EXPECT_EQ(Find("Leaf", leaf), nullptr);
  // Root rows are never collected even though nothing refers to them.
  EXPECT_NE(Find("Root", root), nullptr);
  EXPECT_EQ(Count("Target"), 1u);
  // The collected rows are reported as deletions.
  ASSERT_TRUE(out.changes);
  EXPECT_EQ(out.changes->n_rows(), 3u);
}

TEST_F(Integrity, SharedChildSurvivesUntilLastReference) {
  Json r = Ok(R"([{"op":"insert","table":"Child","uuid-name":"c","row":{}},
                 {"op":"insert","table":"Root","row":{"name":"a","children":["named-uuid","c"]}},
                 {"op":"insert","table":"Root","row":{"name":"b","children":["named-uuid","c"]}}])");
  Uuid child = ResultUuid(r[0]);
  Ok(R"([{"op":"delete","table":"Root","where":[["name","==","a"]]}])");
  EXPECT_NE(Find("Child", child), nullptr);
  Ok(R"([{"op":"delete","table":"Root","where":[["name","==","b"]]}])");
  EXPECT_EQ(Find("Child", child), nullptr);
}

TEST_F(Integrity, ModifiedUnreferencedRowIsCollected) {
  // A non-root row kept only by Owner; replacing Owner.child collects the old child.
  Json r = Ok(R"([{"op":"insert","table":"Child","uuid-name":"c","row":{"name":"1"}},
                 {"op":"insert","table":"Owner","row":{"child":["named-uuid","c"]}}])");
  Uuid c1 = ResultUuid(r[0]);
  r = Ok(R"([{"op":"insert","table":"Child","uuid-name":"c2","row":{"name":"2"}},
             {"op":"update","table":"Owner","where":[],"row":{"child":["named-uuid","c2"]}},
             {"op":"update","table":"Child","where":[["name","==","1"]],"row":{"name":"1b"}}])");
  EXPECT_EQ(Find("Child", c1), nullptr);
  EXPECT_NE(Find("Child", ResultUuid(r[0])), nullptr);
  EXPECT_EQ(Count("Child"), 1u);
}

// --- weak references -------------------------------------------------------

TEST_F(Integrity, WeakRefRemovedWhenTargetDeleted) {
  Json r = Ok(R"([{"op":"insert","table":"Child","uuid-name":"c1","row":{"name":"1"}},
                 {"op":"insert","table":"Child","uuid-name":"c2","row":{"name":"2"}},
                 {"op":"insert","table":"Root","row":{"name":"r",
                   "children":["set",[["named-uuid","c1"],["named-uuid","c2"]]],
                   "weak":["set",[["named-uuid","c1"],["named-uuid","c2"]]]}}])");
  Uuid c1 = ResultUuid(r[0]), c2 = ResultUuid(r[1]), root = ResultUuid(r[2]);
  // Dropping the strong reference to c1 collects it, and the weak ref goes too.
  auto out = Run(R"([{"op":"mutate","table":"Root","where":[],
                      "mutations":[["children","delete",["uuid",")" +
                 c1.ToString() + R"("]]]}])");
  ASSERT_TRUE(out.committed) << out.result.dump();
  EXPECT_EQ(Find("Child", c1), nullptr);
  EXPECT_EQ(Col("Root", root, "weak"), UuidJson(c2));
}

TEST_F(Integrity, WeakRefInUntouchedRowRemovedAndReported) {
  // r1 holds c strongly, r2 only weakly and is not touched by the deleting txn.
  Json r = Ok(R"([{"op":"insert","table":"Child","uuid-name":"c","row":{"name":"c"}},
                 {"op":"insert","table":"Root","row":{"name":"r1","children":["named-uuid","c"]}},
                 {"op":"insert","table":"Root","row":{"name":"r2","weak":["named-uuid","c"],
                   "i":1}}])");
  Uuid c = ResultUuid(r[0]), r2 = ResultUuid(r[2]);
  const Row* r2_before = Find("Root", r2);
  auto out = Run(R"([{"op":"delete","table":"Root","where":[["name","==","r1"]]}])");
  ASSERT_TRUE(out.committed) << out.result.dump();
  EXPECT_EQ(Find("Child", c), nullptr);
  EXPECT_EQ(Col("Root", r2, "weak"), Json::parse(R"(["set",[]])"));
  EXPECT_EQ(Col("Root", r2, "i"), 1);
  // The cleanup is a modification of r2 in the change set: r1 and c deleted, r2 modified.
  ASSERT_TRUE(out.changes);
  EXPECT_EQ(out.changes->n_rows(), 3u);
  bool saw_r2 = false;
  for (const auto& tc : out.changes->tables())
    for (const auto& rc : tc.rows)
      if (rc.uuid == r2) {
        saw_r2 = true;
        EXPECT_EQ(rc.old_row.get(), r2_before);
        ASSERT_EQ(rc.changed.size(), 1u);
        EXPECT_EQ(tc.table->column(rc.changed[0]).name, "weak");
      }
  EXPECT_TRUE(saw_r2);
}

// Deletes find the rows to fix up from an index of weak references kept at
// commit: it must follow rows that change, or stop, pointing at a target,
// and transactions that abort must leave it alone.
TEST_F(Integrity, WeakRefIndexFollowsModificationsAndAborts) {
  Json r = Ok(R"([{"op":"insert","table":"Child","uuid-name":"c1","row":{"name":"1"}},
                 {"op":"insert","table":"Child","uuid-name":"c2","row":{"name":"2"}},
                 {"op":"insert","table":"Root","row":{"name":"keep",
                   "children":["set",[["named-uuid","c1"],["named-uuid","c2"]]]}},
                 {"op":"insert","table":"Root","row":{"name":"w","weak":["named-uuid","c1"]}}])");
  Uuid c1 = ResultUuid(r[0]), c2 = ResultUuid(r[1]), w = ResultUuid(r[3]);
  auto drop = [&](const Uuid& c) {
    return Run(R"([{"op":"mutate","table":"Root","where":[["name","==","keep"]],
                    "mutations":[["children","delete",["uuid",")" + c.ToString() + R"("]]]}])");
  };
  // w now points at c2 instead of c1: deleting c1 leaves w alone.
  Ok(R"([{"op":"update","table":"Root","where":[["name","==","w"]],
          "row":{"weak":["uuid",")" + c2.ToString() + R"("]}}])");
  // An aborted transaction pointing w back at c1 changes nothing.
  auto aborted = Run(R"([{"op":"update","table":"Root","where":[["name","==","w"]],
                          "row":{"weak":["uuid",")" + c1.ToString() + R"("]}},
                         {"op":"abort"}])");
  EXPECT_FALSE(aborted.committed);
  const Row* w_before = Find("Root", w);
  auto out = drop(c1);
  ASSERT_TRUE(out.committed) << out.result.dump();
  EXPECT_EQ(Find("Child", c1), nullptr);
  EXPECT_EQ(Find("Root", w), w_before);  // not modified
  EXPECT_EQ(Col("Root", w, "weak"), UuidJson(c2));
  // Deleting c2 empties w's column.
  out = drop(c2);
  ASSERT_TRUE(out.committed) << out.result.dump();
  EXPECT_EQ(Col("Root", w, "weak"), Json::parse(R"(["set",[]])"));
  // Many holders of one target, in one transaction: all fixed up by one delete.
  std::string ops = R"([{"op":"insert","table":"Child","uuid-name":"c","row":{"name":"3"}},
      {"op":"mutate","table":"Root","where":[["name","==","keep"]],
       "mutations":[["children","insert",["named-uuid","c"]]]})";
  for (int i = 0; i < 50; i++) {
    ops += R"(,{"op":"insert","table":"Root","row":{"name":"h)" + std::to_string(i) +
           R"(","weak":["named-uuid","c"]}})";
  }
  Json many = Ok(ops + "]");
  Uuid c3 = ResultUuid(many[0]);
  out = drop(c3);
  ASSERT_TRUE(out.committed) << out.result.dump();
  ASSERT_TRUE(out.changes);
  EXPECT_EQ(out.changes->n_rows(), 52u);  // c3 deleted, keep and 50 holders modified
  for (int i = 0; i < 50; i++) {
    Uuid h = ResultUuid(many[2 + i]);
    EXPECT_EQ(Col("Root", h, "weak"), Json::parse(R"(["set",[]])")) << i;
  }
}

TEST_F(Integrity, WeakRefToMissingRowIsDroppedOnWrite) {
  Uuid root = Insert(
      "Root",
      {{"name", "r"}, {"weak", Json::parse(R"(["uuid","00000000-0000-4000-8000-0000000000bb"])")}});
  EXPECT_EQ(Col("Root", root, "weak"), Json::parse(R"(["set",[]])"));
}

TEST_F(Integrity, WeakRefMinOneViolationOnDelete) {
  Json r = Ok(R"([{"op":"insert","table":"Target","uuid-name":"t","row":{"n":1}},
                 {"op":"insert","table":"Holder","row":{"must":["named-uuid","t"]}}])");
  Uuid target = ResultUuid(r[0]);
  Uuid holder = ResultUuid(r[1]);
  auto out = Run(R"([{"op":"delete","table":"Target","where":[]}])");
  EXPECT_FALSE(out.committed);
  EXPECT_EQ(LastTag(out), "constraint violation") << out.result.dump();
  EXPECT_NE(Find("Target", target), nullptr);
  EXPECT_EQ(Col("Holder", holder, "must"), UuidJson(target));
  // Deleting the holder too makes it fine.
  out = Run(R"([{"op":"delete","table":"Target","where":[]},
                {"op":"delete","table":"Holder","where":[]}])");
  EXPECT_TRUE(out.committed) << out.result.dump();
  // Inserting a holder whose weak ref points nowhere violates min 1 too.
  out = Run(R"([{"op":"insert","table":"Holder","row":{
                 "must":["uuid","00000000-0000-4000-8000-0000000000cc"]}}])");
  EXPECT_FALSE(out.committed);
  EXPECT_EQ(LastTag(out), "constraint violation") << out.result.dump();
}

// --- indexes -----------------------------------------------------------------

TEST_F(Integrity, IndexClashWithinOneTransaction) {
  auto out = Run(R"([{"op":"insert","table":"Pair","row":{"a":1,"b":2}},
                     {"op":"insert","table":"Pair","row":{"a":1,"b":2}}])");
  EXPECT_FALSE(out.committed);
  EXPECT_EQ(LastTag(out), "constraint violation");
  EXPECT_EQ(Count("Pair"), 0u);
  // Different combined key: allowed.
  Ok(R"([{"op":"insert","table":"Pair","row":{"a":1,"b":2}},
         {"op":"insert","table":"Pair","row":{"a":1,"b":3}}])");
  EXPECT_EQ(Count("Pair"), 2u);
}

TEST_F(Integrity, IndexClashWithCommittedRow) {
  Insert("Root", {{"name", "taken"}});
  auto out = Run(R"([{"op":"insert","table":"Root","row":{"name":"taken"}}])");
  EXPECT_FALSE(out.committed);
  EXPECT_EQ(LastTag(out), "constraint violation");
  // Via update of another row as well.
  Insert("Root", {{"name", "other"}});
  out = Run(R"([{"op":"update","table":"Root","where":[["name","==","other"]],
                 "row":{"name":"taken"}}])");
  EXPECT_EQ(LastTag(out), "constraint violation");
  EXPECT_EQ(Count("Root"), 2u);
  // Modifying a non-index column of the committed row does not clash with itself.
  Ok(R"([{"op":"update","table":"Root","where":[["name","==","taken"]],"row":{"i":4}}])");
}

TEST_F(Integrity, SwappingIndexValuesInOneTransactionIsAllowed) {
  Uuid a = Insert("Root", {{"name", "A"}});
  Uuid b = Insert("Root", {{"name", "B"}});
  Ok(R"([{"op":"update","table":"Root","where":[["name","==","A"]],"row":{"name":"tmp"}},
         {"op":"update","table":"Root","where":[["name","==","B"]],"row":{"name":"A"}},
         {"op":"update","table":"Root","where":[["name","==","tmp"]],"row":{"name":"B"}}])");
  EXPECT_EQ(Col("Root", a, "name"), "B");
  EXPECT_EQ(Col("Root", b, "name"), "A");
  // The committed index follows: a new "A" now clashes, "tmp" does not.
  EXPECT_EQ(LastTag(Run(R"([{"op":"insert","table":"Root","row":{"name":"A"}}])")),
            "constraint violation");
  Ok(R"([{"op":"insert","table":"Root","row":{"name":"tmp"}}])");
}

TEST_F(Integrity, DeleteAndReinsertSameIndexValue) {
  Insert("Root", {{"name", "x"}});
  Ok(R"([{"op":"delete","table":"Root","where":[["name","==","x"]]},
         {"op":"insert","table":"Root","row":{"name":"x"}}])");
  EXPECT_EQ(Count("Root"), 1u);
}

// --- maxRows -----------------------------------------------------------------

TEST_F(Integrity, MaxRows) {
  auto out = Run(R"([{"op":"insert","table":"Single","row":{"x":1}},
                     {"op":"insert","table":"Single","row":{"x":2}}])");
  EXPECT_FALSE(out.committed);
  EXPECT_EQ(LastTag(out), "constraint violation");
  Insert("Single", {{"x", 1}});
  out = Run(R"([{"op":"insert","table":"Single","row":{"x":2}}])");
  EXPECT_EQ(LastTag(out), "constraint violation");
  // Replacing the row in one transaction stays within the limit.
  Ok(R"([{"op":"delete","table":"Single","where":[]},
         {"op":"insert","table":"Single","row":{"x":3}}])");
  EXPECT_EQ(Count("Single"), 1u);
}

// --- value constraints -------------------------------------------------------

TEST_F(Integrity, EnumRangeCardinalityErrors) {
  struct Case {
    const char* row;
    const char* tag;
  } cases[] = {
      {R"({"color":"purple"})", "constraint violation"},
      {R"({"color":"red"})", ""},
      {R"({"color":["set",["red","blue"]]})", "syntax error"},  // max 1
      {R"({"i":101})", "constraint violation"},
      {R"({"i":-1})", "constraint violation"},
      {R"({"i":100})", ""},
      {R"({"i":"1"})", "syntax error"},
      {R"({"i":1.5})", "syntax error"},
      {R"({"tags":["set",["a","b","c","d"]]})", "syntax error"},  // max 3
      {R"({"tags":["set",["a","b","c"]]})", ""},
      {R"({"kv":["map",[["k","1"],["k","2"]]]})", "ovsdb error"},  // duplicate key, as ovsdb-server
      {R"({"kv":["set",[]]})", "syntax error"},
      {R"({"nope":1})", "unknown column"},
      {R"({"_uuid":["uuid","00000000-0000-4000-8000-000000000001"]})", ""},  // ignored, as ovsdb-server
      {R"({"b":"true"})", "syntax error"},
      {R"({"children":["uuid","not-a-uuid"]})", "syntax error"},
  };
  for (const auto& c : cases) {
    auto out = Run(std::string(R"([{"op":"insert","table":"Root","row":)") + c.row + "}]");
    EXPECT_EQ(ErrorTag(out.result, 0), c.tag) << c.row << " -> " << out.result.dump();
    EXPECT_EQ(out.committed, std::string(c.tag).empty()) << c.row;
    Run(R"([{"op":"delete","table":"Root","where":[]}])");  // keep the name index free
  }
  // The same checks apply to update.
  auto out = Run(R"([{"op":"update","table":"Root","where":[],"row":{"color":"purple"}}])");
  EXPECT_EQ(ErrorTag(out.result, 0), "constraint violation");
  out = Run(
      R"([{"op":"update","table":"Root","where":[],"row":{"tags":["set",["1","2","3","4"]]}}])");
  EXPECT_EQ(ErrorTag(out.result, 0), "syntax error");
}

TEST_F(Integrity, ErrorsHaveDetails) {
  auto out = Run(R"([{"op":"insert","table":"Root","row":{"i":101}}])");
  ASSERT_TRUE(out.result[0].contains("details")) << out.result.dump();
  EXPECT_FALSE(out.result[0]["details"].get<std::string>().empty());
}

}  // namespace
}  // namespace vs::ovsdb
