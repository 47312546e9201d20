#include "jsonrpc/framer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace vs::jsonrpc {
namespace {

std::vector<std::string> Drain(Framer& f) {
  std::vector<std::string> out;
  while (auto m = f.Next()) out.emplace_back(*m);
  return out;
}

TEST(Framer, SplitsConcatenatedObjects) {
  Framer f;
  f.Feed(R"({"id":1,"method":"echo","params":[]}{"id":2,"x":"}{]["} [1,2])");
  auto msgs = Drain(f);
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[1], R"({"id":2,"x":"}{]["})");
  EXPECT_EQ(msgs[2], "[1,2]");
  EXPECT_TRUE(f.error().empty());
}

TEST(Framer, HandlesBytewiseDeliveryAndEscapes) {
  std::string text = R"({"a":"quote \" and backslash \\","b":{"c":[{}]}})";
  Framer f;
  std::vector<std::string> msgs;
  for (char c : text + text) {
    f.Feed(std::string_view(&c, 1));
    auto more = Drain(f);
    msgs.insert(msgs.end(), more.begin(), more.end());
  }
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0], text);
  EXPECT_EQ(msgs[1], text);
}

TEST(Framer, RejectsGarbageBetweenMessages) {
  Framer f;
  f.Feed("{} hello {}");
  EXPECT_EQ(Drain(f).size(), 1u);
  EXPECT_NE(f.error().find("unexpected byte"), std::string::npos);
  f.Feed("{}");
  EXPECT_TRUE(Drain(f).empty());
}

TEST(Framer, EnforcesSizeLimit) {
  Framer f(1024);
  f.Feed("{\"s\":\"" + std::string(2000, 'x'));
  EXPECT_TRUE(Drain(f).empty());
  EXPECT_NE(f.error().find("limit"), std::string::npos);
}

TEST(Framer, LimitAppliesToCompleteMessagesToo) {
  std::string at_limit = "{\"s\":\"" + std::string(1024 - 8, 'x') + "\"}";
  ASSERT_EQ(at_limit.size(), 1024u);
  Framer ok(1024);
  ok.Feed(at_limit + at_limit);
  EXPECT_EQ(Drain(ok).size(), 2u);
  EXPECT_TRUE(ok.error().empty()) << ok.error();
  Framer f(1024);
  f.Feed("{\"s\":\"" + std::string(1024, 'x') + "\"}{}");
  EXPECT_TRUE(Drain(f).empty());
  EXPECT_NE(f.error().find("limit"), std::string::npos);
}

// Random messages (strings full of brackets, quotes and backslashes) cut
// into random pieces come out whole and in order.
TEST(Framer, RandomMessagesInRandomPieces) {
  std::mt19937 rng(7);
  const std::string alphabet = "ab{}[]\"\\:, ";
  for (int round = 0; round < 200; round++) {
    std::vector<std::string> sent;
    std::string stream;
    for (int m = rng() % 6 + 1; m > 0; m--) {
      std::string msg = "{\"k\":[";
      for (int i = rng() % 8; i > 0; i--) {
        std::string str = "\"";
        for (int j = rng() % 12; j > 0; j--) {
          char c = alphabet[rng() % alphabet.size()];
          if (c == '"' || c == '\\') str += '\\';
          str += c;
        }
        msg += str + "\",{\"x\":[[]]},";
      }
      msg += "1]}";
      sent.push_back(msg);
      stream += msg + (rng() % 2 ? "\n" : "");
    }
    Framer f;
    std::vector<std::string> got;
    for (size_t at = 0; at < stream.size();) {
      size_t len = std::min<size_t>(rng() % 9 + 1, stream.size() - at);
      f.Feed(std::string_view(stream).substr(at, len));
      at += len;
      auto more = Drain(f);
      got.insert(got.end(), more.begin(), more.end());
    }
    ASSERT_TRUE(f.error().empty()) << f.error();
    ASSERT_EQ(got, sent) << stream;
  }
}

TEST(Framer, RejectsMismatchedBracketAtOnce) {
  Framer f;
  f.Feed(R"({"id":1,"method":"echo","params":[})");
  EXPECT_TRUE(Drain(f).empty());
  EXPECT_NE(f.error().find("unexpected '}'"), std::string::npos) << f.error();
}

TEST(Framer, RejectsExcessiveNesting) {
  Framer f;
  f.Feed(std::string(Framer::kMaxDepth + 1, '['));
  EXPECT_TRUE(Drain(f).empty());
  EXPECT_NE(f.error().find("nested"), std::string::npos) << f.error();
  Framer ok;
  ok.Feed(std::string(Framer::kMaxDepth, '[') + std::string(Framer::kMaxDepth, ']'));
  EXPECT_EQ(Drain(ok).size(), 1u);
}

}  // namespace
}  // namespace vs::jsonrpc
