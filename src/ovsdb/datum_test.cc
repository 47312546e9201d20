// Unit tests of Datum (parsing, wire form, invariants, update2 diffs) and of
// Condition evaluation.
#include "ovsdb/datum.h"

#include <gtest/gtest.h>

#include <random>

#include "ovsdb/condition.h"
#include "ovsdb/internal/test_util.h"
#include "ovsdb/schema.h"

namespace vs::ovsdb {
namespace {

ColumnType Type(const char* json) {
  auto t = ColumnType::FromJson(Json::parse(json));
  EXPECT_TRUE(t.ok()) << json;
  return t.value();
}

ErrorOr<Datum> Parse(const char* value, const ColumnType& type, ParseOptions opts = {}) {
  return Datum::FromJson(Json::parse(value), type, opts);
}

std::string Tag(const Error& e) { return e.ToJson()["error"].get<std::string>(); }

TEST(Datum, ParsesScalarsSetsMapsAndNormalises) {
  ColumnType set = Type(R"({"key":"integer","min":0,"max":"unlimited"})");
  auto d = Parse(R"(["set",[3,1,2]])", set);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value().size(), 3u);
  EXPECT_EQ(d.value().ToJson(set), Json::parse(R"(["set",[1,2,3]])"));  // sorted
  // Duplicates are an error, in ovsdb-server's words and tag.
  d = Parse(R"(["set",[3,1,2,3]])", set);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().ToJson(), Json::parse(R"({"error":"ovsdb error","details":"set contains duplicate"})"));
  // A bare atom is a one-element set, rendered bare.
  d = Parse("5", set);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value().ToJson(set), 5);
  d = Parse(R"(["set",[]])", set);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d.value().empty());
  EXPECT_EQ(d.value().ToJson(set), Json::parse(R"(["set",[]])"));

  ColumnType map = Type(R"({"key":"string","value":"integer","min":0,"max":"unlimited"})");
  d = Parse(R"(["map",[["b",2],["a",1]]])", map);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value().ToJson(map), Json::parse(R"(["map",[["a",1],["b",2]]])"));
  EXPECT_EQ(d.value().value(0), Atom(int64_t{1}));
  d = Parse(R"(["map",[["a",1],["a",2]]])", map);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().ToJson(), Json::parse(R"({"error":"ovsdb error","details":"map contains duplicate key"})"));
  EXPECT_EQ(Tag(Parse(R"(["map",[["a"]]])", map).error()), "syntax error");
  EXPECT_EQ(Tag(Parse(R"(["set",["a"]])", map).error()), "syntax error");

  ColumnType uuid = Type(R"({"key":"uuid"})");
  d = Parse(R"(["uuid","cfb59466-5cc2-43e0-82ae-0afb976c070d"])", uuid);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value().ToJson(uuid),
            Json::parse(R"(["uuid","cfb59466-5cc2-43e0-82ae-0afb976c070d"])"));
  EXPECT_EQ(Tag(Parse(R"(["uuid","zzz"])", uuid).error()), "syntax error");
  // named-uuid only with a symbol table.
  EXPECT_EQ(Tag(Parse(R"(["named-uuid","x"])", uuid).error()), "syntax error");
  SymbolTable symtab{{"x", *Uuid::Parse("cfb59466-5cc2-43e0-82ae-0afb976c070d")}};
  ParseOptions opts;
  opts.symtab = &symtab;
  d = Parse(R"(["named-uuid","x"])", uuid, opts);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(std::get<Uuid>(d.value().key(0)), symtab["x"]);
  // A name no insert defines gets a fresh UUID, the same at each use.
  d = Parse(R"(["named-uuid","y"])", uuid, opts);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(std::get<Uuid>(d.value().key(0)), symtab.at("y"));
  EXPECT_NE(symtab.at("y"), symtab.at("x"));
  auto again = Parse(R"(["named-uuid","y"])", uuid, opts);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value(), d.value());
  EXPECT_EQ(Tag(Parse(R"(["named-uuid","9y"])", uuid, opts).error()), "syntax error");  // not an <id>
}

TEST(Datum, TypeErrors) {
  EXPECT_EQ(Tag(Parse("1.5", Type(R"("integer")")).error()), "syntax error");
  EXPECT_EQ(Tag(Parse("\"1\"", Type(R"("integer")")).error()), "syntax error");
  EXPECT_EQ(Tag(Parse("18446744073709551615", Type(R"("integer")")).error()), "syntax error");
  EXPECT_TRUE(Parse("1", Type(R"("real")")).ok());  // integers are reals
  EXPECT_EQ(Tag(Parse("1", Type(R"("boolean")")).error()), "syntax error");
  EXPECT_EQ(Tag(Parse("true", Type(R"("string")")).error()), "syntax error");
  EXPECT_EQ(Tag(Parse("null", Type(R"("string")")).error()), "syntax error");
}

TEST(Datum, CardinalityAndConstraints) {
  ColumnType t = Type(R"({"key":{"type":"integer","minInteger":1,"maxInteger":10},
                          "min":1,"max":2})");
  EXPECT_TRUE(Parse(R"(["set",[1,10]])", t).ok());
  // Cardinality first, as a syntax error, even with an out-of-range element.
  EXPECT_EQ(Tag(Parse(R"(["set",[1,2,30]])", t).error()), "syntax error");
  EXPECT_EQ(Tag(Parse(R"(["set",[]])", t).error()), "syntax error");
  EXPECT_EQ(Tag(Parse(R"(["set",[0]])", t).error()), "constraint violation");
  // relax_cardinality accepts any size; check_constraints=false skips ranges.
  ParseOptions relaxed;
  relaxed.relax_cardinality = true;
  relaxed.check_constraints = false;
  EXPECT_TRUE(Parse(R"(["set",[0,20,30]])", t, relaxed).ok());

  ColumnType e = Type(R"({"key":{"type":"string","enum":["set",["a","b"]]}})");
  EXPECT_TRUE(Parse("\"a\"", e).ok());
  EXPECT_EQ(Tag(Parse("\"c\"", e).error()), "constraint violation");
  ColumnType len = Type(R"({"key":{"type":"string","minLength":2,"maxLength":3}})");
  EXPECT_EQ(Tag(Parse("\"a\"", len).error()), "constraint violation");
  EXPECT_EQ(Tag(Parse("\"abcd\"", len).error()), "constraint violation");
  EXPECT_TRUE(Parse("\"abc\"", len).ok());
  ColumnType real = Type(R"({"key":{"type":"real","minReal":-1.5,"maxReal":1.5}})");
  EXPECT_EQ(Tag(Parse("2", real).error()), "constraint violation");
  EXPECT_TRUE(Parse("-1.5", real).ok());

  Datum two;
  two.Insert(Atom(int64_t{1}));
  two.Insert(Atom(int64_t{2}));
  EXPECT_FALSE(two.CheckCardinality(t, "x"));
  two.Insert(Atom(int64_t{3}));
  auto err = two.CheckCardinality(t, "x");
  ASSERT_TRUE(err);
  EXPECT_EQ(Tag(*err), "constraint violation");
}

TEST(Datum, DefaultValues) {
  EXPECT_EQ(Datum::Default(Type(R"("integer")")).ToJson(Type(R"("integer")")), 0);
  EXPECT_EQ(Datum::Default(Type(R"("string")")).ToJson(Type(R"("string")")), "");
  ColumnType opt = Type(R"({"key":"string","min":0,"max":1})");
  EXPECT_TRUE(Datum::Default(opt).empty());
  ColumnType map = Type(R"({"key":"string","value":"boolean","min":1,"max":1})");
  EXPECT_EQ(Datum::Default(map).ToJson(map), Json::parse(R"(["map",[["",false]]])"));
  ColumnType uuid = Type(R"({"key":"uuid"})");
  EXPECT_TRUE(std::get<Uuid>(Datum::Default(uuid).key(0)).is_zero());
}

TEST(Datum, MutatorsKeepInvariants) {
  Datum s;
  for (int v : {5, 1, 3, 1, 5}) s.Insert(Atom(int64_t{v}));
  ASSERT_EQ(s.size(), 3u);
  EXPECT_TRUE(std::is_sorted(s.keys().begin(), s.keys().end()));
  EXPECT_TRUE(s.Contains(Atom(int64_t{3})));
  EXPECT_TRUE(s.Erase(Atom(int64_t{3})));
  EXPECT_FALSE(s.Erase(Atom(int64_t{3})));
  EXPECT_EQ(s.size(), 2u);

  Datum m;
  m.InsertPair(Atom(std::string("b")), Atom(int64_t{2}));
  m.InsertPair(Atom(std::string("a")), Atom(int64_t{1}));
  m.InsertPair(Atom(std::string("a")), Atom(int64_t{9}));  // no replace
  EXPECT_EQ(m.value(*m.Find(Atom(std::string("a")))), Atom(int64_t{1}));
  m.Put(Atom(std::string("a")), Atom(int64_t{9}));  // replace
  EXPECT_EQ(m.value(*m.Find(Atom(std::string("a")))), Atom(int64_t{9}));
  m.Put(Atom(std::string("c")), Atom(int64_t{3}));
  EXPECT_EQ(m.keys().size(), m.values().size());
  EXPECT_FALSE(m.ErasePair(Atom(std::string("c")), Atom(int64_t{4})));
  EXPECT_TRUE(m.ErasePair(Atom(std::string("c")), Atom(int64_t{3})));
  EXPECT_EQ(m.size(), 2u);

  Datum sub;
  sub.InsertPair(Atom(std::string("a")), Atom(int64_t{9}));
  EXPECT_TRUE(m.Includes(sub, true));
  sub.Put(Atom(std::string("a")), Atom(int64_t{1}));
  EXPECT_FALSE(m.Includes(sub, true));
  EXPECT_TRUE(m.Includes(sub, false));  // keys only

  Datum dup;
  dup.mutable_keys() = {Atom(int64_t{3}), Atom(int64_t{1}), Atom(int64_t{3})};
  dup.Resort();
  EXPECT_EQ(dup.size(), 2u);

  auto fa = Datum::FromAtoms({Atom(int64_t{2}), Atom(int64_t{1})}, {}, false);
  ASSERT_TRUE(fa.ok());
  EXPECT_EQ(fa.value().key(0), Atom(int64_t{1}));
  Datum a = Datum::FromAtom(Atom(int64_t{1})), b = Datum::FromAtom(Atom(int64_t{1}));
  EXPECT_TRUE(a == b);
  EXPECT_EQ(a.Hash(), b.Hash());
}

TEST(Datum, DiffOfSetsAndMaps) {
  ColumnType set = Type(R"({"key":"integer","min":0,"max":"unlimited"})");
  auto d = [&](const char* j, const ColumnType& t) { return Parse(j, t).value(); };
  Datum diff = Datum::Diff(d(R"(["set",[1,2,3]])", set), d(R"(["set",[2,3,4]])", set), set);
  EXPECT_EQ(diff.ToJson(set), Json::parse(R"(["set",[1,4]])"));
  EXPECT_TRUE(Datum::ApplyDiff(d(R"(["set",[1,2,3]])", set), diff, set) ==
              d(R"(["set",[2,3,4]])", set));

  ColumnType map = Type(R"({"key":"string","value":"string","min":0,"max":"unlimited"})");
  Datum o = d(R"(["map",[["a","1"],["b","2"],["c","3"]]])", map);
  Datum n = d(R"(["map",[["b","2"],["c","X"],["d","4"]]])", map);
  diff = Datum::Diff(o, n, map);
  EXPECT_EQ(diff.ToJson(map), Json::parse(R"(["map",[["a","1"],["c","X"],["d","4"]]])"));
  EXPECT_TRUE(Datum::ApplyDiff(o, diff, map) == n);
  EXPECT_TRUE(Datum::Diff(o, o, map).empty());

  // Non-composite (max 1): the new value itself.
  ColumnType opt = Type(R"({"key":"string","min":0,"max":1})");
  Datum empty;
  EXPECT_TRUE(Datum::Diff(d(R"("x")", opt), empty, opt) == empty);
  EXPECT_TRUE(Datum::ApplyDiff(d(R"("x")", opt), d(R"("y")", opt), opt) == d(R"("y")", opt));
}

TEST(Datum, DiffRoundTripsRandomly) {
  ColumnType set = Type(R"({"key":"integer","min":0,"max":"unlimited"})");
  ColumnType map = Type(R"({"key":"integer","value":"integer","min":0,"max":"unlimited"})");
  std::mt19937 rng(7);
  auto random_datum = [&](bool is_map) {
    Datum x;
    int n = rng() % 8;
    for (int i = 0; i < n; i++) {
      Atom k(int64_t(rng() % 10));
      if (is_map)
        x.Put(k, Atom(int64_t(rng() % 3)));
      else
        x.Insert(k);
    }
    return x;
  };
  for (int i = 0; i < 500; i++) {
    for (bool is_map : {false, true}) {
      const ColumnType& t = is_map ? map : set;
      Datum o = random_datum(is_map), n = random_datum(is_map);
      Datum diff = Datum::Diff(o, n, t);
      Datum back = Datum::ApplyDiff(o, diff, t);
      ASSERT_TRUE(back == n) << o.ToJson(t).dump() << " -> " << n.ToJson(t).dump() << " diff "
                             << diff.ToJson(t).dump() << " gave " << back.ToJson(t).dump();
      EXPECT_EQ(diff.empty(), o == n);
    }
  }
}

// --- conditions ----------------------------------------------------------------

class ConditionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    schema_ = testing::TestSchema();
    table_ = schema_->FindTable("Root");
    row_ = Row::MakeDefault(*table_, Uuid::Random());
    Set("name", R"("abc")");
    Set("i", "5");
    Set("r", "2.5");
    Set("nums", R"(["set",[1,2,3]])");
    Set("kv", R"(["map",[["a","1"],["b","2"]]])");
  }
  void Set(const char* col, const char* value) {
    const ColumnSchema* c = table_->FindColumn(col);
    row_->fields[c->index] = Datum::FromJson(Json::parse(value), c->type, {}).value();
  }
  // nullopt if the condition does not parse.
  std::optional<bool> Eval(const char* where) {
    auto c = Condition::FromJson(*table_, Json::parse(where), nullptr);
    if (!c.ok()) return std::nullopt;
    return c.value().MatchesAll(*row_);
  }
  std::string ErrorOf(const char* where) {
    auto c = Condition::FromJson(*table_, Json::parse(where), nullptr);
    return c.ok() ? "" : Tag(c.error());
  }
  std::shared_ptr<const DatabaseSchema> schema_;
  const TableSchema* table_ = nullptr;
  std::shared_ptr<Row> row_;
};

TEST_F(ConditionTest, Functions) {
  EXPECT_EQ(Eval(R"([["i","==",5]])"), true);
  EXPECT_EQ(Eval(R"([["i","!=",5]])"), false);
  EXPECT_EQ(Eval(R"([["i","<",6]])"), true);
  EXPECT_EQ(Eval(R"([["i","<",5]])"), false);
  EXPECT_EQ(Eval(R"([["i","<=",5]])"), true);
  EXPECT_EQ(Eval(R"([["i",">",5]])"), false);
  EXPECT_EQ(Eval(R"([["i",">=",5]])"), true);
  EXPECT_EQ(Eval(R"([["r",">",2]])"), true);
  EXPECT_EQ(Eval(R"([["name","==","abc"]])"), true);
  EXPECT_EQ(Eval(R"([["nums","includes",["set",[1,3]]]])"), true);
  EXPECT_EQ(Eval(R"([["nums","includes",["set",[1,4]]]])"), false);
  EXPECT_EQ(Eval(R"([["nums","excludes",["set",[4,5]]]])"), true);
  EXPECT_EQ(Eval(R"([["nums","excludes",["set",[3,5]]]])"), false);
  EXPECT_EQ(Eval(R"([["nums","==",["set",[3,2,1]]]])"), true);
  EXPECT_EQ(Eval(R"([["kv","includes",["map",[["a","1"]]]]])"), true);
  EXPECT_EQ(Eval(R"([["kv","includes",["map",[["a","2"]]]]])"), false);
  EXPECT_EQ(Eval(R"([["kv","excludes",["map",[["a","2"]]]]])"), true);
  EXPECT_EQ(Eval(R"([["kv","excludes",["map",[["a","1"]]]]])"), false);
  // Clauses are ANDed; empty = true; boolean literals.
  EXPECT_EQ(Eval(R"([["i","==",5],["name","==","x"]])"), false);
  EXPECT_EQ(Eval(R"([])"), true);
  EXPECT_EQ(Eval(R"([true])"), true);
  EXPECT_EQ(Eval(R"([false])"), false);
  // _uuid equality.
  std::string w = R"([["_uuid","==",["uuid",")" + row_->uuid.ToString() + R"("]]])";
  auto c = Condition::FromJson(*table_, Json::parse(w), nullptr);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c.value().MatchesAll(*row_));
  EXPECT_EQ(c.value().UuidEquality(), row_->uuid);
}

TEST_F(ConditionTest, RelationalOnOptionalScalar) {
  // Allowed (as in ovsdb-server); false while the column is empty.
  EXPECT_EQ(ErrorOf(R"([["opt","<",5]])"), "");
  EXPECT_EQ(Eval(R"([["opt","<",5]])"), false);
  EXPECT_EQ(Eval(R"([["opt",">=",5]])"), false);
  Set("opt", "3");
  EXPECT_EQ(Eval(R"([["opt","<",5]])"), true);
  EXPECT_EQ(Eval(R"([["opt",">=",5]])"), false);
  EXPECT_EQ(Eval(R"([["opt",">",2]])"), true);
}

TEST_F(ConditionTest, MatchesAnyIsDisjunction) {
  auto c =
      Condition::FromJson(*table_, Json::parse(R"([["i","==",1],["name","==","abc"]])"), nullptr);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c.value().MatchesAll(*row_));
  EXPECT_TRUE(c.value().MatchesAny(*row_));
  EXPECT_TRUE(Condition::True().MatchesAny(*row_));
  EXPECT_TRUE(Condition::True().MatchesAll(*row_));
}

TEST_F(ConditionTest, Errors) {
  EXPECT_EQ(ErrorOf(R"([["nope","==",1]])"), "unknown column");
  EXPECT_EQ(ErrorOf(R"([["i","~=",1]])"), "unknown function");
  EXPECT_EQ(ErrorOf(R"([["name","<","a"]])"), "syntax error");  // relational on string
  EXPECT_EQ(ErrorOf(R"([["nums","<",1]])"), "syntax error");    // relational on set
  EXPECT_EQ(ErrorOf(R"([["i","==","five"]])"), "syntax error");
  EXPECT_EQ(ErrorOf(R"([["i","=="]])"), "syntax error");
  EXPECT_EQ(ErrorOf(R"({"i":1})"), "syntax error");
  // As in ovsdb-server: the argument is checked against the column's
  // constraints, and "includes" lifts only the minimum size, "excludes" both.
  EXPECT_EQ(ErrorOf(R"([["i","==",1000]])"), "constraint violation");
  EXPECT_EQ(ErrorOf(R"([["tags","includes",["set",["a","b","c","d","e"]]]])"), "syntax error");
  EXPECT_EQ(ErrorOf(R"([["tags","includes",["set",[]]]])"), "");
  EXPECT_EQ(ErrorOf(R"([["tags","excludes",["set",["a","b","c","d","e"]]]])"), "");
  EXPECT_EQ(ErrorOf(R"([["i","includes",["set",[1,2]]]])"), "syntax error");  // a scalar stays one
}

}  // namespace
}  // namespace vs::ovsdb
