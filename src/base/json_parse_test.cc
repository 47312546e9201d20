#include "base/json_parse.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace vs {
namespace {

// Equal values of the same types all the way down (Json's == takes 1, 1u and
// 1.0 for equal).
bool Same(const Json& a, const Json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); i++)
      if (!Same(a[i], b[i])) return false;
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto jt = b.find(it.key());
      if (jt == b.end() || !Same(*it, *jt)) return false;
    }
    return true;
  }
  if (a.is_number_float()) {
    double x = a.get<double>(), y = b.get<double>();
    return x == y && std::signbit(x) == std::signbit(y);
  }
  return a == b;
}

// ParseJson gives what Json::parse gives, or refuses what it refuses.
void ExpectAsNlohmann(const std::string& text) {
  Json want = Json::parse(text, nullptr, false);
  std::optional<Json> got = ParseJson(text);
  if (want.is_discarded()) {
    EXPECT_FALSE(got.has_value()) << "accepted: " << text.substr(0, 200);
    return;
  }
  ASSERT_TRUE(got.has_value()) << "refused: " << text.substr(0, 200);
  EXPECT_TRUE(Same(*got, want)) << text.substr(0, 200) << "\n got: " << got->dump() << "\nwant: " << want.dump();
}

TEST(ParseJson, OvsdbRequests) {
  auto j = ParseJson(R"({"id": 17, "method": "transact", "params": ["Open_vSwitch",
      {"op": "mutate", "table": "Open_vSwitch", "where": [],
       "mutations": [["other_config", "insert", ["map", [["k", "v"]]]]]}]})");
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ((*j)["method"], "transact");
  EXPECT_TRUE((*j)["id"].is_number_unsigned());
  EXPECT_EQ((*j)["params"][1]["mutations"][0][2][1][0][1], "v");
}

TEST(ParseJson, NumbersHaveNlohmannsTypes) {
  // "-0" is the one difference: 0 as an unsigned here, a signed 0 there.
  ASSERT_TRUE(ParseJson("-0").has_value());
  EXPECT_EQ(*ParseJson("-0"), Json(0));
  for (const char* t : {"0", "17", "-1", "0.0", "-0.0", "1.5", "1e3", "1E-3", "-2.5e+10",
                        "9223372036854775807", "9223372036854775808", "18446744073709551615",
                        "18446744073709551616", "-9223372036854775808", "-9223372036854775809",
                        "123456789012345678901234567890", "1e308", "1e400", "-1e400", "4.9e-324",
                        "1e-400", "00", "01", "-", "1.", ".5", "+1", "1e", "0x10", "NaN", "Infinity"}) {
    SCOPED_TRACE(t);
    ExpectAsNlohmann(t);
    ExpectAsNlohmann(std::string("[") + t + "]");
  }
}

TEST(ParseJson, StringsAndObjects) {
  for (const char* t : {R"("")", R"("a\"b\\c\/d\b\f\n\r\t")", R"("\u0000x")", R"("\u00e9\u4e2d\ud83d\ude00")",
                        "\"\xc3\xa9\"", "\"\xff\"", "\"\xc3\"", R"("\ud800")", R"("\udc00x")", R"("\x")",
                        "\"a\nb\"", "\"tab\there\"", R"({"a":1,"a":2})", R"({"b":[],"a":{}})", R"({"a" 1})",
                        R"({"a":1,})", R"([1,])", R"([1 2])", "{}", "[]", " [ ] ", "\t\n\r null ", "true",
                        "false", "nul", "[true,false,null]", "", " ", "[] []", "[]x", "{\"a\":1}}",
                        "[\"unterminated", "\"\\u12\""}) {
    SCOPED_TRACE(t);
    ExpectAsNlohmann(t);
  }
}

TEST(ParseJson, DeepNesting) {
  for (int depth : {10, 1000, 1025, 5000}) {
    SCOPED_TRACE(depth);
    std::string t = std::string(depth, '[') + std::string(depth, ']');
    ExpectAsNlohmann(t);
    ExpectAsNlohmann(std::string(depth, '['));  // never closed
  }
}

TEST(ParseJson, LargeDocumentUsesItsOwnParser) {
  Json big = Json::array();
  for (int i = 0; i < 100000; i++) big.push_back(Json{{"uuid", std::to_string(i)}, {"n", i}});
  std::string text = big.dump();
  ASSERT_GT(text.size(), 1u << 20);
  ExpectAsNlohmann(text);
  ExpectAsNlohmann("[1,2]");  // and the thread's parser still works after it
}

Json RandomJson(std::mt19937_64& rng, int depth) {
  switch (rng() % (depth > 4 ? 5 : 7)) {
    case 0: return nullptr;
    case 1: return (rng() & 1) == 0;
    case 2: return static_cast<int64_t>(rng()) >> (rng() % 64);
    case 3: return std::ldexp(static_cast<double>(static_cast<int64_t>(rng())), static_cast<int>(rng() % 200) - 100);
    case 4: {
      std::string s;
      for (size_t n = rng() % 12; n > 0; n--) {
        static const char* pieces[] = {"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\x01", "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80"};
        s += pieces[rng() % 12];
      }
      return s;
    }
    case 5: {
      Json a = Json::array();
      for (size_t n = rng() % 5; n > 0; n--) a.push_back(RandomJson(rng, depth + 1));
      return a;
    }
    default: {
      Json o = Json::object();
      for (size_t n = rng() % 5; n > 0; n--) o[std::string(1, static_cast<char>('a' + rng() % 6))] = RandomJson(rng, depth + 1);
      return o;
    }
  }
}

TEST(ParseJson, RandomDocumentsAndMutationsAgreeWithNlohmann) {
  std::mt19937_64 rng(20261126);
  for (int i = 0; i < 3000; i++) {
    std::string text = RandomJson(rng, 0).dump(rng() % 2 ? -1 : 1);
    ExpectAsNlohmann(text);
    // A few bytes changed, dropped or cut: both accept or both refuse.
    std::string bad = text;
    switch (rng() % 3) {
      case 0:
        if (!bad.empty()) bad[rng() % bad.size()] = "{}[]\",:0e-.\\ \x80"[rng() % 15];
        break;
      case 1:
        if (!bad.empty()) bad.erase(rng() % bad.size(), 1);
        break;
      default:
        bad.resize(rng() % (bad.size() + 1));
        break;
    }
    ExpectAsNlohmann(bad);
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace vs
