#include "base/log.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

namespace vs::log {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Log, WritesVlogLineFormatToFile) {
  std::string path = ::testing::TempDir() + "/log_test.log";
  std::remove(path.c_str());
  ASSERT_TRUE(SetLogFile(path).ok());
  Module& m = GetModule("log_test");
  VS_LOG_INFO(m, "hello {}", 42);
  VS_LOG_DBG(m, "not shown at the default level");
  std::string text = ReadFile(path);
  std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\|\d{5}\|log_test\|INFO\|hello 42\n)");
  EXPECT_TRUE(std::regex_search(text, line)) << text;
  EXPECT_EQ(text.find("not shown"), std::string::npos);
}

TEST(Log, SpecChangesLevels) {
  Module& m = GetModule("log_spec");
  EXPECT_FALSE(m.Enabled(Level::kDbg));
  ASSERT_TRUE(ApplySpec("log_spec:file:dbg").ok());
  EXPECT_EQ(m.level(Dest::kFile), Level::kDbg);
  EXPECT_EQ(m.level(Dest::kConsole), Level::kInfo);
  EXPECT_TRUE(m.Enabled(Level::kDbg));
  ASSERT_TRUE(ApplySpec("ANY:warn").ok());
  EXPECT_EQ(m.level(Dest::kConsole), Level::kWarn);
  EXPECT_FALSE(ApplySpec("no_such_module:dbg").ok());
  EXPECT_FALSE(ApplySpec("log_spec::dbg").ok());
  ASSERT_TRUE(ApplySpec("ANY:info").ok());
  EXPECT_NE(ListModules().find("log_spec"), std::string::npos);
}

TEST(Log, RateLimitSuppressesAndCounts) {
  RateLimit rl(1, 2);
  unsigned suppressed = 0;
  EXPECT_TRUE(rl.Allow(&suppressed));
  EXPECT_TRUE(rl.Allow(&suppressed));
  for (int i = 0; i < 5; i++) EXPECT_FALSE(rl.Allow(&suppressed));
}

}  // namespace
}  // namespace vs::log
