#include "base/coverage.h"

#include <gtest/gtest.h>

#include <regex>
#include <thread>
#include <vector>

namespace vs::coverage {
namespace {

VS_COVERAGE_DEFINE(test_events);
VS_COVERAGE_DEFINE(test_threads);
VS_COVERAGE_DEFINE(test_never);
VS_COVERAGE_DEFINE(test_rate);

uint64_t Read(const char* name) {
  auto r = ReadCounter(name);
  EXPECT_TRUE(r.ok()) << name;
  return r.ok() ? *r : 0;
}

TEST(Coverage, CountsAndReads) {
  uint64_t before = Read("test_events");
  VS_COVERAGE_INC(test_events);
  VS_COVERAGE_ADD(test_events, 41);
  EXPECT_EQ(Read("test_events"), before + 42);
  auto missing = ReadCounter("no_such_counter");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "No such counter");
}

// Counts of threads still running and of threads that exited are both in the total.
TEST(Coverage, SumsThreadsLiveAndExited) {
  uint64_t before = Read("test_threads");
  std::vector<std::thread> done;
  for (int t = 0; t < 4; t++)
    done.emplace_back([] {
      for (int i = 0; i < 100000; i++) VS_COVERAGE_INC(test_threads);
    });
  for (auto& t : done) t.join();
  EXPECT_EQ(Read("test_threads"), before + 400000);
  std::atomic<bool> counted{false}, stop{false};
  std::thread live([&] {
    VS_COVERAGE_ADD(test_threads, 7);
    counted = true;
    while (!stop) std::this_thread::yield();
  });
  while (!counted) std::this_thread::yield();
  EXPECT_EQ(Read("test_threads"), before + 400007);
  stop = true;
  live.join();
  EXPECT_EQ(Read("test_threads"), before + 400007);
}

TEST(Coverage, ShowTextHasOvsLayout) {
  VS_COVERAGE_INC(test_events);
  std::string text = ShowText();
  EXPECT_TRUE(std::regex_search(text, std::regex("^Event coverage, avg rate over last: 5 seconds, "
                                                 "last minute, last hour,  hash=[0-9a-f]{8}:\n")))
      << text;
  EXPECT_TRUE(std::regex_search(
      text, std::regex("\ntest_events +[0-9.]+/sec +[0-9.]+/sec +[0-9.]+/sec   total: [0-9]+\n")))
      << text;
  EXPECT_EQ(text.find("test_never"), std::string::npos) << text;
  EXPECT_TRUE(std::regex_search(text, std::regex("\n[0-9]+ events never hit\n$"))) << text;
}

// Rates: the last sample over 5 s, the last 12 samples over 60 s, the hour over 3600 s; a late
// sample spreads its counts over the slots it missed.
TEST(Coverage, Rates) {
  const uint64_t t0 = 1000000;
  Sample(t0);  // baseline for the counters of the other tests
  VS_COVERAGE_ADD(test_rate, 50);
  Sample(t0 + 5);
  std::string text = ShowText();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      text, m, std::regex("test_rate +([0-9.]+)/sec +([0-9.]+)/sec +([0-9.]+)/sec")))
      << text;
  EXPECT_EQ(m[1], "10.0");
  EXPECT_EQ(m[2], "0.833");
  EXPECT_EQ(m[3], "0.0139");
  VS_COVERAGE_ADD(test_rate, 30);
  Sample(t0 + 20);  // three slots late: 10 per slot
  text = ShowText();
  ASSERT_TRUE(std::regex_search(text, m, std::regex("test_rate +([0-9.]+)/sec +([0-9.]+)/sec")));
  EXPECT_EQ(m[1], "2.0");
  EXPECT_EQ(m[2], "1.333");
}

}  // namespace
}  // namespace vs::coverage
