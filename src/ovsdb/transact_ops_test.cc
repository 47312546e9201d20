// Unit tests of Database::Transact: each RFC 7047 operation and the shape of
// the result array.
#include <gtest/gtest.h>

#include "ovsdb/database.h"
#include "ovsdb/internal/test_util.h"

namespace vs::ovsdb {
namespace {

using testing::DbTest;
using testing::ErrorTag;
using testing::ResultUuid;
using testing::UuidJson;

class TransactOps : public DbTest {};

TEST_F(TransactOps, InsertReturnsUuidAndStoresRow) {
  Json r = Ok(R"([{"op":"insert","table":"Root","row":{"name":"a","i":7,
                  "tags":["set",["y","x"]],"kv":["map",[["k","v"]]]}}])");
  ASSERT_EQ(r.size(), 1u);
  Uuid u = ResultUuid(r[0]);
  ASSERT_NE(Find("Root", u), nullptr);
  EXPECT_EQ(Col("Root", u, "name"), "a");
  EXPECT_EQ(Col("Root", u, "i"), 7);
  EXPECT_EQ(Col("Root", u, "tags"), Json::parse(R"(["set",["x","y"]])"));
  EXPECT_EQ(Col("Root", u, "kv"), Json::parse(R"(["map",[["k","v"]]])"));
  EXPECT_EQ(Col("Root", u, "r"), 0.0);  // default
  EXPECT_EQ(db_->n_commits(), 1u);
  EXPECT_FALSE(Find("Root", u)->version().is_zero());
}

TEST_F(TransactOps, InsertWithExplicitUuid) {
  const std::string id = "11111111-2222-4333-8444-555555555555";
  Json r = Ok(R"([{"op":"insert","table":"Root","uuid":")" + id + R"(","row":{"name":"x"}}])");
  EXPECT_EQ(r[0]["uuid"][1], id);
  EXPECT_NE(Find("Root", *Uuid::Parse(id)), nullptr);
  // Same UUID again: the row exists.
  auto out = Run(R"([{"op":"insert","table":"Root","uuid":")" + id + R"(","row":{"name":"y"}}])");
  EXPECT_FALSE(out.committed);
  EXPECT_EQ(ErrorTag(out.result, 0), "duplicate uuid") << out.result.dump();
  // Nor may a transaction reuse the UUID of a row it deletes or inserts.
  out = Run(R"([{"op":"delete","table":"Root","where":[]},
                {"op":"insert","table":"Root","uuid":")" +
            id + R"(","row":{"name":"y"}}])");
  EXPECT_EQ(ErrorTag(out.result, 1), "duplicate uuid") << out.result.dump();
  const std::string id2 = "11111111-2222-4333-8444-666666666666";
  out = Run(R"([{"op":"insert","table":"Target","uuid":")" + id2 + R"(","row":{}},
                {"op":"insert","table":"Target","uuid":")" +
            id2 + R"(","row":{}}])");
  EXPECT_EQ(ErrorTag(out.result, 1), "duplicate uuid") << out.result.dump();
  // The same UUID in another table is fine.
  out = Run(R"([{"op":"insert","table":"Target","uuid":")" + id + R"(","row":{}}])");
  EXPECT_TRUE(out.committed) << out.result.dump();
  EXPECT_NE(Find("Root", *Uuid::Parse(id)), nullptr);
  // Bad UUID text.
  out = Run(R"([{"op":"insert","table":"Root","uuid":"nope","row":{}}])");
  EXPECT_EQ(ErrorTag(out.result, 0), "syntax error");
}

TEST_F(TransactOps, ExplicitUuidWithUuidNameIsUsedForReferences) {
  const std::string id = "aaaaaaaa-2222-4333-8444-555555555555";
  Json r = Ok(R"([{"op":"insert","table":"Child","uuid":")" + id +
              R"(","uuid-name":"c","row":{"name":"c"}},
                 {"op":"insert","table":"Root","row":{"name":"r","children":["named-uuid","c"]}}])");
  EXPECT_EQ(r[0]["uuid"][1], id);
  Uuid root = ResultUuid(r[1]);
  EXPECT_EQ(Col("Root", root, "children"), Json::parse(R"(["uuid",")" + id + R"("])"));
}

TEST_F(TransactOps, NamedUuidUsedBeforeItsInsert) {
  Json r = Ok(R"([{"op":"insert","table":"Root","row":{"name":"r","children":["named-uuid","c"]}},
                 {"op":"insert","table":"Child","uuid-name":"c","row":{"name":"child"}}])");
  Uuid root = ResultUuid(r[0]);
  Uuid child = ResultUuid(r[1]);
  EXPECT_EQ(Col("Root", root, "children"), UuidJson(child));
  EXPECT_NE(Find("Child", child), nullptr);
}

TEST_F(TransactOps, NamedUuidInWhereClause) {
  Json r = Ok(R"([{"op":"insert","table":"Root","uuid-name":"me","row":{"name":"r","i":1}},
                 {"op":"update","table":"Root","where":[["_uuid","==",["named-uuid","me"]]],
                  "row":{"i":2}},
                 {"op":"select","table":"Root","where":[["_uuid","==",["named-uuid","me"]]],
                  "columns":["i"]}])");
  EXPECT_EQ(r[1]["count"], 1);
  EXPECT_EQ(r[2]["rows"], Json::parse(R"([{"i":2}])"));
  EXPECT_EQ(Col("Root", ResultUuid(r[0]), "i"), 2);
}

// As in ovsdb-server, a named-uuid that no insert defines stands for a fresh
// UUID: a reference to it fails the commit's referential integrity check (an
// extra error element after the operations' results), and a condition on it
// matches nothing.
TEST_F(TransactOps, UnknownNamedUuidIsADanglingReference) {
  auto out = Run(R"([{"op":"insert","table":"Root","row":{"name":"g","children":["named-uuid","ghost"]}}])");
  EXPECT_FALSE(out.committed);
  ASSERT_EQ(out.result.size(), 2u) << out.result.dump();
  EXPECT_TRUE(out.result[0].contains("uuid")) << out.result.dump();
  EXPECT_EQ(ErrorTag(out.result, 1), "referential integrity violation") << out.result.dump();
  out = Run(R"([{"op":"select","table":"Root","where":[["_uuid","==",["named-uuid","ghost"]]]}])");
  EXPECT_TRUE(out.result[0]["rows"].empty()) << out.result.dump();
  out = Run(R"([{"op":"select","table":"Root","where":[["_uuid","==",["named-uuid","1bad"]]]}])");
  EXPECT_EQ(ErrorTag(out.result, 0), "syntax error");  // not an <id>
}

TEST_F(TransactOps, DuplicateUuidName) {
  auto out = Run(R"([{"op":"insert","table":"Child","uuid-name":"c","row":{}},
                     {"op":"insert","table":"Child","uuid-name":"c","row":{}},
                     {"op":"comment","comment":"x"}])");
  EXPECT_FALSE(out.committed);
  ASSERT_EQ(out.result.size(), 3u) << out.result.dump();
  EXPECT_TRUE(out.result[0].contains("uuid"));
  EXPECT_EQ(ErrorTag(out.result, 1), "duplicate uuid-name");
  EXPECT_TRUE(out.result[2].is_null());
  EXPECT_EQ(Count("Child"), 0u);
}

TEST_F(TransactOps, SelectWithColumnsAndWhere) {
  Insert("Root", {{"name", "a"}, {"i", 1}});
  Insert("Root", {{"name", "b"}, {"i", 2}});
  Insert("Root", {{"name", "c"}, {"i", 3}});
  Json r = Ok(R"([{"op":"select","table":"Root","where":[["i",">=",2]],"columns":["name","i"]}])");
  ASSERT_EQ(r[0]["rows"].size(), 2u);
  std::set<std::string> names;
  for (const auto& row : r[0]["rows"]) {
    EXPECT_EQ(row.size(), 2u) << row.dump();  // only the requested columns
    names.insert(row["name"].get<std::string>());
  }
  EXPECT_EQ(names, (std::set<std::string>{"b", "c"}));
  // No "columns": every column, including _uuid and _version.
  r = Ok(R"([{"op":"select","table":"Root","where":[["name","==","a"]]}])");
  ASSERT_EQ(r[0]["rows"].size(), 1u);
  EXPECT_TRUE(r[0]["rows"][0].contains("_uuid"));
  EXPECT_TRUE(r[0]["rows"][0].contains("_version"));
  EXPECT_TRUE(r[0]["rows"][0].contains("kv"));
  // Unknown column in "columns".
  auto out = Run(R"([{"op":"select","table":"Root","where":[],"columns":["nope"]}])");
  EXPECT_EQ(ErrorTag(out.result, 0), "syntax error");
  // A column named twice.
  out = Run(R"([{"op":"select","table":"Root","where":[],"columns":["name","i","name"]}])");
  EXPECT_EQ(ErrorTag(out.result, 0), "syntax error");
  // Unknown column in "where".
  out = Run(R"([{"op":"select","table":"Root","where":[["nope","==",1]]}])");
  EXPECT_EQ(ErrorTag(out.result, 0), "unknown column");
  // Unknown table.
  out = Run(R"([{"op":"select","table":"Nope","where":[]}])");
  EXPECT_EQ(ErrorTag(out.result, 0), "syntax error");
}

TEST_F(TransactOps, SelectSeesEarlierOpsOfSameTransaction) {
  Uuid a = Insert("Root", {{"name", "a"}});
  Json r = Ok(R"([{"op":"delete","table":"Root","where":[["name","==","a"]]},
                 {"op":"insert","table":"Root","row":{"name":"b"}},
                 {"op":"select","table":"Root","where":[],"columns":["name"]}])");
  EXPECT_EQ(r[2]["rows"], Json::parse(R"([{"name":"b"}])"));
  EXPECT_EQ(Find("Root", a), nullptr);
}

TEST_F(TransactOps, UpdateCountsMatchesAndChangesThem) {
  Uuid a = Insert("Root", {{"name", "a"}, {"i", 1}});
  Uuid b = Insert("Root", {{"name", "b"}, {"i", 1}});
  Uuid c = Insert("Root", {{"name", "c"}, {"i", 5}});
  Json r = Ok(R"([{"op":"update","table":"Root","where":[["i","==",1]],"row":{"i":9,"b":true}}])");
  EXPECT_EQ(r[0]["count"], 2);
  EXPECT_EQ(Col("Root", a, "i"), 9);
  EXPECT_EQ(Col("Root", b, "b"), true);
  EXPECT_EQ(Col("Root", c, "i"), 5);
  // Immutable column.
  auto out = Run(R"([{"op":"update","table":"Root","where":[],"row":{"fixed":"z"}}])");
  EXPECT_EQ(ErrorTag(out.result, 0), "constraint violation");
  // _uuid may not be written.
  out = Run(R"([{"op":"update","table":"Root","where":[],"row":{"_uuid":["uuid",")" + a.ToString() +
            R"("]}}])");
  EXPECT_EQ(ErrorTag(out.result, 0), "constraint violation");
  out = Run(R"([{"op":"update","table":"Root","where":[],"row":{"nope":1}}])");
  EXPECT_EQ(ErrorTag(out.result, 0), "unknown column");
}

TEST_F(TransactOps, DeleteRemovesMatchingRows) {
  Insert("Root", {{"name", "a"}, {"i", 1}});
  Insert("Root", {{"name", "b"}, {"i", 2}});
  Json r = Ok(R"([{"op":"delete","table":"Root","where":[["i","<",2]]}])");
  EXPECT_EQ(r[0]["count"], 1);
  EXPECT_EQ(Count("Root"), 1u);
  r = Ok(R"([{"op":"delete","table":"Root","where":[["i","<",2]]}])");
  EXPECT_EQ(r[0]["count"], 0);
  EXPECT_EQ(Count("Root"), 1u);
}

// --- mutate ---------------------------------------------------------------

class MutateOp : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    row_ = Insert("Root", {{"name", "m"},
                           {"i", 10},
                           {"r", 2.5},
                           {"nums", Json::parse(R"(["set",[1,2,3]])")},
                           {"kv", Json::parse(R"(["map",[["a","1"],["b","2"]]])")}});
  }
  TransactOutcome Mutate(const std::string& mutations) {
    return Run(R"([{"op":"mutate","table":"Root","where":[["name","==","m"]],"mutations":)" +
               mutations + "}]");
  }
  Json Col(const std::string& c) { return DbTest::Col("Root", row_, c); }
  Uuid row_;
};

TEST_F(MutateOp, IntegerArithmetic) {
  auto out = Mutate(R"([["i","+=",5]])");
  ASSERT_TRUE(out.committed) << out.result.dump();
  EXPECT_EQ(out.result[0]["count"], 1);
  EXPECT_EQ(Col("i"), 15);
  ASSERT_TRUE(Mutate(R"([["i","-=",3]])").committed);
  EXPECT_EQ(Col("i"), 12);
  ASSERT_TRUE(Mutate(R"([["i","*=",2]])").committed);
  EXPECT_EQ(Col("i"), 24);
  ASSERT_TRUE(Mutate(R"([["i","/=",5]])").committed);
  EXPECT_EQ(Col("i"), 4);
  ASSERT_TRUE(Mutate(R"([["i","%=",3]])").committed);
  EXPECT_EQ(Col("i"), 1);
  // Several mutations apply in order.
  ASSERT_TRUE(Mutate(R"([["i","+=",4],["i","*=",3]])").committed);
  EXPECT_EQ(Col("i"), 15);
}

TEST_F(MutateOp, RealArithmeticAndElementWiseSet) {
  ASSERT_TRUE(Mutate(R"([["r","*=",2],["r","-=",1.5]])").committed);
  EXPECT_EQ(Col("r"), 3.5);
  ASSERT_TRUE(Mutate(R"([["nums","*=",10]])").committed);
  EXPECT_EQ(Col("nums"), Json::parse(R"(["set",[10,20,30]])"));
  ASSERT_TRUE(Mutate(R"([["nums","%=",7]])").committed);
  EXPECT_EQ(Col("nums"), Json::parse(R"(["set",[2,3,6]])"));
  // Element-wise results that collide are an error (as in ovsdb-server).
  auto out = Mutate(R"([["nums","*=",0]])");
  EXPECT_FALSE(out.committed);
  EXPECT_EQ(ErrorTag(out.result, 0), "constraint violation") << out.result.dump();
  EXPECT_EQ(Col("nums"), Json::parse(R"(["set",[2,3,6]])"));
  out = Mutate(R"([["nums","/=",4]])");  // 2/4 == 3/4 == 0
  EXPECT_EQ(ErrorTag(out.result, 0), "constraint violation") << out.result.dump();
  // Real overflow.
  ASSERT_TRUE(Mutate(R"([["r","*=",1e300]])").committed);
  out = Mutate(R"([["r","*=",1e300]])");
  EXPECT_EQ(ErrorTag(out.result, 0), "range error") << out.result.dump();
}

TEST_F(MutateOp, DivisionByZeroIsDomainError) {
  auto out = Mutate(R"([["i","/=",0]])");
  EXPECT_FALSE(out.committed);
  EXPECT_EQ(ErrorTag(out.result, 0), "domain error");
  out = Mutate(R"([["i","%=",0]])");
  EXPECT_EQ(ErrorTag(out.result, 0), "domain error");
  out = Mutate(R"([["r","/=",0]])");
  EXPECT_EQ(ErrorTag(out.result, 0), "domain error");
  EXPECT_EQ(Col("i"), 10);
}

TEST_F(MutateOp, Int64MinDividedByMinusOne) {
  ASSERT_TRUE(Mutate(R"([["nums","delete",["set",[1,2,3]]],
                         ["nums","insert",-9223372036854775808]])")
                  .committed);
  EXPECT_EQ(ErrorTag(Mutate(R"([["nums","/=",-1]])").result, 0), "range error");
  EXPECT_EQ(ErrorTag(Mutate(R"([["nums","%=",-1]])").result, 0), "range error");
  EXPECT_EQ(ErrorTag(Mutate(R"([["nums","-=",1]])").result, 0), "range error");
  EXPECT_EQ(Col("nums"), -9223372036854775807 - 1);
}

TEST_F(MutateOp, OverflowIsRangeErrorAndConstraintChecked) {
  ASSERT_TRUE(Mutate(R"([["nums","insert",["set",[9223372036854775807]]]])").committed);
  auto out = Mutate(R"([["nums","+=",1]])");
  EXPECT_FALSE(out.committed);
  EXPECT_EQ(ErrorTag(out.result, 0), "range error") << out.result.dump();
  out = Mutate(R"([["nums","*=",-9223372036854775807]])");
  EXPECT_EQ(ErrorTag(out.result, 0), "range error") << out.result.dump();
  // Leaving the column's integer range (0..100) is a constraint violation.
  out = Mutate(R"([["i","+=",91]])");
  EXPECT_EQ(ErrorTag(out.result, 0), "constraint violation") << out.result.dump();
  out = Mutate(R"([["i","-=",11]])");
  EXPECT_EQ(ErrorTag(out.result, 0), "constraint violation") << out.result.dump();
  EXPECT_EQ(Col("i"), 10);
}

TEST_F(MutateOp, SetInsertDelete) {
  ASSERT_TRUE(Mutate(R"([["nums","insert",["set",[3,4]]],["nums","delete",1]])").committed);
  EXPECT_EQ(Col("nums"), Json::parse(R"(["set",[2,3,4]])"));
  // tags: max 3 elements.
  ASSERT_TRUE(Mutate(R"([["tags","insert",["set",["a","b","c"]]]])").committed);
  auto out = Mutate(R"([["tags","insert","d"]])");
  EXPECT_FALSE(out.committed);
  EXPECT_EQ(ErrorTag(out.result, 0), "constraint violation") << out.result.dump();
  // An operand that alone exceeds the maximum is a syntax error; delete takes any size.
  out = Mutate(R"([["tags","insert",["set",["1","2","3","4"]]]])");
  EXPECT_EQ(ErrorTag(out.result, 0), "syntax error") << out.result.dump();
  // Inserting an element already present does not grow the set.
  ASSERT_TRUE(Mutate(R"([["tags","insert","a"]])").committed);
  ASSERT_TRUE(Mutate(R"([["tags","delete",["set",["a","zz"]]]])").committed);
  EXPECT_EQ(Col("tags"), Json::parse(R"(["set",["b","c"]])"));
}

TEST_F(MutateOp, MapInsertDeleteByPairAndByKey) {
  // insert does not replace an existing key.
  ASSERT_TRUE(Mutate(R"([["kv","insert",["map",[["a","X"],["c","3"]]]]])").committed);
  EXPECT_EQ(Col("kv"), Json::parse(R"(["map",[["a","1"],["b","2"],["c","3"]]])"));
  // delete with a map removes only matching pairs.
  ASSERT_TRUE(Mutate(R"([["kv","delete",["map",[["a","1"],["b","wrong"]]]]])").committed);
  EXPECT_EQ(Col("kv"), Json::parse(R"(["map",[["b","2"],["c","3"]]])"));
  // delete with a set removes keys.
  ASSERT_TRUE(Mutate(R"([["kv","delete",["set",["b"]]]])").committed);
  EXPECT_EQ(Col("kv"), Json::parse(R"(["map",[["c","3"]]])"));
}

TEST_F(MutateOp, BadMutations) {
  EXPECT_EQ(ErrorTag(Mutate(R"([["i","^=",1]])").result, 0), "unknown mutator");
  EXPECT_EQ(ErrorTag(Mutate(R"([["nope","+=",1]])").result, 0), "unknown column");
  EXPECT_EQ(ErrorTag(Mutate(R"([["name","+=",1]])").result, 0), "syntax error");
  EXPECT_EQ(ErrorTag(Mutate(R"([["r","%=",1]])").result, 0), "syntax error");
  EXPECT_EQ(ErrorTag(Mutate(R"([["i","insert",1]])").result, 0), "syntax error");
  EXPECT_EQ(ErrorTag(Mutate(R"([["fixed","insert","x"]])").result, 0), "constraint violation");
  EXPECT_EQ(ErrorTag(Mutate(R"([["color","insert","purple"]])").result, 0), "constraint violation");
  EXPECT_EQ(ErrorTag(Mutate(R"(["i","+=",1])").result, 0), "syntax error");
}

// --- wait -----------------------------------------------------------------

class WaitOp : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    row_ = Insert("Root", {{"name", "w"}, {"i", 5}});
  }
  static std::string WaitJson(const std::string& until, int value, int timeout) {
    return R"([{"op":"wait","table":"Root","where":[["name","==","w"]],"columns":["i"],)"
           R"("until":")" +
           until + R"(","rows":[{"i":)" + std::to_string(value) + R"(}],"timeout":)" +
           std::to_string(timeout) + "}]";
  }
  Uuid row_;
};

TEST_F(WaitOp, EqualSatisfied) {
  auto out = Run(WaitJson("==", 5, 0));
  EXPECT_TRUE(out.committed) << out.result.dump();
  EXPECT_EQ(out.result, Json::parse("[{}]"));
  EXPECT_FALSE(out.changes);
}

TEST_F(WaitOp, NotEqualSatisfied) {
  auto out = Run(WaitJson("!=", 6, 0));
  EXPECT_TRUE(out.committed) << out.result.dump();
}

TEST_F(WaitOp, TimeoutZeroFailsWithTimedOut) {
  auto out = Run(WaitJson("==", 6, 0));
  EXPECT_FALSE(out.committed);
  EXPECT_FALSE(out.blocked);
  EXPECT_EQ(ErrorTag(out.result, 0), "timed out");
  out = Run(WaitJson("!=", 5, 0));
  EXPECT_EQ(ErrorTag(out.result, 0), "timed out");
}

TEST_F(WaitOp, RowSetsMustMatch) {
  // Two different rows expected but only one row matches the where clause.
  auto out = Run(R"([{"op":"wait","table":"Root","where":[],"columns":["i"],"until":"==",
                      "rows":[{"i":5},{"i":6}],"timeout":0}])");
  EXPECT_EQ(ErrorTag(out.result, 0), "timed out");
  // No row expected, none matches.
  out = Run(R"([{"op":"wait","table":"Root","where":[["i","==",99]],"columns":["i"],
                 "until":"==","rows":[],"timeout":0}])");
  EXPECT_TRUE(out.committed) << out.result.dump();
  // No row expected but one matches.
  out = Run(R"([{"op":"wait","table":"Root","where":[],"columns":["i"],
                 "until":"==","rows":[],"timeout":0}])");
  EXPECT_EQ(ErrorTag(out.result, 0), "timed out");
}

TEST_F(WaitOp, ComparesDistinctProjectionsLikeOvsdbServer) {
  // A second row with the same projection (i=5): the matching rows, as a set
  // of projections onto "columns", are still {i=5}.
  Insert("Root", {{"name", "w2"}, {"i", 5}});
  auto out = Run(R"([{"op":"wait","table":"Root","where":[],"columns":["i"],"until":"==",
                      "rows":[{"i":5}],"timeout":0}])");
  EXPECT_TRUE(out.committed) << out.result.dump();
  // Duplicate expected rows count once.
  out = Run(R"([{"op":"wait","table":"Root","where":[],"columns":["i"],"until":"==",
                 "rows":[{"i":5},{"i":5}],"timeout":0}])");
  EXPECT_TRUE(out.committed) << out.result.dump();
  // Columns not given in a row compare against the column's default.
  out = Run(R"([{"op":"wait","table":"Root","where":[["name","==","w"]],
                 "columns":["i","r"],"until":"==","rows":[{"i":5}],"timeout":0}])");
  EXPECT_TRUE(out.committed) << out.result.dump();
}

TEST_F(WaitOp, RowsMayNameUuidColumn) {
  // As with ovsdb-server, "rows" may give _uuid (e.g. columns ["_uuid"]).
  const Uuid w = row_;
  auto wait = [&](const Uuid& u) {
    return Run(R"([{"op":"wait","table":"Root","where":[],"columns":["_uuid","i"],"until":"==",
                   "rows":[{"_uuid":["uuid",")" +
               u.ToString() + R"("],"i":5}],"timeout":0}])");
  };
  auto out = wait(w);
  EXPECT_TRUE(out.committed) << out.result.dump();
  out = wait(Uuid::Random());
  EXPECT_EQ(ErrorTag(out.result, 0), "timed out") << out.result.dump();
  // update still may not write the implicit columns.
  out = Run(R"([{"op":"update","table":"Root","where":[],"row":{"_version":["uuid",")" +
            w.ToString() + R"("]}}])");
  EXPECT_EQ(ErrorTag(out.result, 0), "constraint violation");
}

TEST_F(WaitOp, PositiveTimeoutBlocksWhenAllowed) {
  TransactOptions opts;
  opts.wait_may_block = true;
  auto out = Run(R"([{"op":"insert","table":"Root","row":{"name":"other"}},)" +
                     WaitJson("==", 6, 1000).substr(1),
                 opts);
  EXPECT_TRUE(out.blocked);
  EXPECT_FALSE(out.committed);
  EXPECT_EQ(out.block_timeout_ms, 1000);
  EXPECT_FALSE(out.changes);
  EXPECT_EQ(Count("Root"), 1u);  // the insert before the wait was not applied
  // A retry after 400 ms has 600 ms left.
  opts.elapsed_ms = 400;
  out = Run(WaitJson("==", 6, 1000), opts);
  EXPECT_TRUE(out.blocked);
  EXPECT_EQ(out.block_timeout_ms, 600);
  // Once the timeout has elapsed the wait fails.
  opts.elapsed_ms = 1000;
  out = Run(WaitJson("==", 6, 1000), opts);
  EXPECT_FALSE(out.blocked);
  EXPECT_EQ(ErrorTag(out.result, 0), "timed out");
  // Without wait_may_block a positive timeout fails at once.
  out = Run(WaitJson("==", 6, 1000));
  EXPECT_FALSE(out.blocked);
  EXPECT_EQ(ErrorTag(out.result, 0), "timed out");
  // Satisfied waits never block.
  opts.elapsed_ms = 0;
  out = Run(WaitJson("==", 5, 1000), opts);
  EXPECT_TRUE(out.committed);
  EXPECT_FALSE(out.blocked);
}

TEST_F(WaitOp, BadUntil) {
  auto out = Run(R"([{"op":"wait","table":"Root","where":[],"until":"<","rows":[]}])");
  EXPECT_EQ(ErrorTag(out.result, 0), "syntax error");
}

// --- commit, abort, comment, assert ----------------------------------------

TEST_F(TransactOps, CommitDurable) {
  auto out = Run(R"([{"op":"insert","table":"Root","row":{}},{"op":"commit","durable":true}])");
  EXPECT_TRUE(out.committed);
  EXPECT_TRUE(out.durable);
  EXPECT_EQ(out.result[1], Json::object());
  out = Run(R"([{"op":"commit","durable":false}])");
  EXPECT_TRUE(out.committed);
  EXPECT_FALSE(out.durable);
  out = Run(R"([{"op":"commit","durable":"yes"}])");
  EXPECT_EQ(ErrorTag(out.result, 0), "syntax error");
}

TEST_F(TransactOps, AbortDiscardsEverything) {
  auto out = Run(R"([{"op":"insert","table":"Root","row":{"name":"a"}},{"op":"abort"},
                     {"op":"insert","table":"Root","row":{"name":"b"}}])");
  EXPECT_FALSE(out.committed);
  ASSERT_EQ(out.result.size(), 3u);
  EXPECT_TRUE(out.result[0].contains("uuid"));
  EXPECT_EQ(ErrorTag(out.result, 1), "aborted");
  EXPECT_TRUE(out.result[2].is_null());
  EXPECT_FALSE(out.changes);
  EXPECT_EQ(Count("Root"), 0u);
  EXPECT_EQ(db_->n_commits(), 0u);
}

TEST_F(TransactOps, CommentIsInChangeSet) {
  auto out = Run(R"([{"op":"comment","comment":"first"},
                     {"op":"insert","table":"Root","row":{}},
                     {"op":"comment","comment":"second"}])");
  ASSERT_TRUE(out.committed);
  ASSERT_TRUE(out.changes);
  EXPECT_EQ(out.changes->comment(), "first\nsecond");
  EXPECT_EQ(out.result[0], Json::object());
}

TEST_F(TransactOps, AssertLock) {
  auto out = Run(R"([{"op":"assert","lock":"L"}])");
  EXPECT_FALSE(out.committed);
  EXPECT_EQ(ErrorTag(out.result, 0), "not owner");
  TransactOptions opts;
  opts.owns_lock = [](const std::string& name) { return name == "L"; };
  out = Run(R"([{"op":"assert","lock":"L"},{"op":"insert","table":"Root","row":{}}])", opts);
  EXPECT_TRUE(out.committed) << out.result.dump();
  out = Run(R"([{"op":"assert","lock":"M"}])", opts);
  EXPECT_EQ(ErrorTag(out.result, 0), "not owner");
}

// --- result shape and atomicity -------------------------------------------

TEST_F(TransactOps, ErrorAtFailingIndexThenNulls) {
  auto out = Run(R"([{"op":"insert","table":"Root","row":{"name":"a"}},
                     {"op":"select","table":"Root","where":[]},
                     {"op":"insert","table":"Root","row":{"i":1000}},
                     {"op":"insert","table":"Root","row":{"name":"c"}},
                     {"op":"comment","comment":"never"}])");
  EXPECT_FALSE(out.committed);
  ASSERT_EQ(out.result.size(), 5u) << out.result.dump();
  EXPECT_TRUE(out.result[0].contains("uuid"));
  EXPECT_TRUE(out.result[1].contains("rows"));
  EXPECT_EQ(ErrorTag(out.result, 2), "constraint violation");
  EXPECT_TRUE(out.result[3].is_null());
  EXPECT_TRUE(out.result[4].is_null());
  EXPECT_EQ(Count("Root"), 0u);
}

TEST_F(TransactOps, CommitTimeErrorIsExtraElement) {
  auto out = Run(R"([{"op":"insert","table":"Root","row":{"name":"dup"}},
                     {"op":"insert","table":"Root","row":{"name":"dup"}}])");
  EXPECT_FALSE(out.committed);
  ASSERT_EQ(out.result.size(), 3u) << out.result.dump();
  EXPECT_TRUE(out.result[0].contains("uuid"));
  EXPECT_TRUE(out.result[1].contains("uuid"));
  EXPECT_EQ(ErrorTag(out.result, 2), "constraint violation");
  EXPECT_EQ(Count("Root"), 0u);
}

TEST_F(TransactOps, FailedTransactionLeavesDatabaseUntouched) {
  Uuid a = Insert("Root", {{"name", "a"}, {"i", 1}, {"nums", 4}});
  Uuid c = Insert("Child", {{"name", "c"}});  // garbage: collected at once
  EXPECT_EQ(Find("Child", c), nullptr);
  Json before = db_->SnapshotRecord();
  uint64_t commits = db_->n_commits();
  const Row* row_before = Find("Root", a);
  auto out = Run(R"([{"op":"update","table":"Root","where":[],"row":{"i":2}},
                     {"op":"mutate","table":"Root","where":[],"mutations":[["nums","insert",5]]},
                     {"op":"delete","table":"Root","where":[]},
                     {"op":"insert","table":"Root","row":{"name":"b"}},
                     {"op":"insert","table":"Root","row":{"i":-1}}])");
  EXPECT_FALSE(out.committed);
  EXPECT_EQ(db_->SnapshotRecord(), before);
  EXPECT_EQ(db_->n_commits(), commits);
  EXPECT_EQ(Find("Root", a), row_before);  // the very same immutable row object
  // Same with a commit-time failure (a reference to a missing row).
  out = Run(R"([{"op":"update","table":"Root","where":[],"row":{"i":3}},
                {"op":"insert","table":"Root","row":{"name":"x",
                 "children":["uuid","00000000-0000-4000-8000-000000000001"]}}])");
  EXPECT_FALSE(out.committed);
  EXPECT_EQ(ErrorTag(out.result, 2), "referential integrity violation") << out.result.dump();
  EXPECT_EQ(db_->SnapshotRecord(), before);
  EXPECT_EQ(Col("Root", a, "i"), 1);
}

TEST_F(TransactOps, MalformedRequests) {
  auto out = Run(Json::object());
  ASSERT_EQ(out.result.size(), 1u);
  EXPECT_EQ(ErrorTag(out.result, 0), "syntax error");
  EXPECT_EQ(ErrorTag(Run(R"([42])").result, 0), "syntax error");
  EXPECT_EQ(ErrorTag(Run(R"([{"op":"frobnicate"}])").result, 0), "syntax error");
  EXPECT_EQ(ErrorTag(Run(R"([{"table":"Root"}])").result, 0), "syntax error");
  EXPECT_EQ(ErrorTag(Run(R"([{"op":"insert","table":"Root","row":{},"extra":1}])").result, 0),
            "syntax error");
  EXPECT_EQ(ErrorTag(Run(R"([{"op":"delete","table":"Root"}])").result, 0), "syntax error");
  // "row" is required in insert (RFC 7047 5.2.1, as ovsdb-server).
  EXPECT_EQ(ErrorTag(Run(R"([{"op":"insert","table":"Root"}])").result, 0), "syntax error");
  // An empty transaction commits and changes nothing.
  out = Run(Json::array());
  EXPECT_TRUE(out.committed);
  EXPECT_EQ(out.result, Json::array());
  EXPECT_FALSE(out.changes);
}

}  // namespace
}  // namespace vs::ovsdb
