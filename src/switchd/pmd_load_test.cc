// Measured PMD load: interval rings, the overload count and pmd-auto-lb's arithmetic.
#include <gtest/gtest.h>

#include "switchd/pmd_load.h"

namespace vs::switchd {
namespace {

TEST(PmdLoad, HistoryKeepsTheLastTwelveIntervals) {
  IntervalHistory h;
  uint64_t total = 0;
  for (uint64_t i = 1; i <= 14; i++) {  // intervals of 1..14 cycles
    total += i;
    h.Record(total);
  }
  EXPECT_EQ(h.Last(), 14u);
  EXPECT_EQ(h.Sum(2), 27u);
  EXPECT_EQ(h.Sum(), total - 1 - 2);  // 1 and 2 fell out
  EXPECT_EQ(h.Sum(100), h.Sum(kPmdIntervals));
}

TEST(PmdLoad, OverloadCountsConsecutiveIntervals) {
  PmdLoad l;
  uint64_t tsc = 1000;
  l.Record(tsc, true, 95);  // first interval: no length yet
  for (int i = 0; i < 3; i++) {
    l.busy.Add(96);
    l.idle.Add(4);
    l.Record(tsc += 100, true, 95);
  }
  EXPECT_EQ(l.overloaded, 3u);
  EXPECT_EQ(l.interval_tsc, 100u);
  l.busy.Add(50);
  l.idle.Add(50);
  l.Record(tsc += 100, true, 95);
  EXPECT_EQ(l.overloaded, 0u);  // one quiet interval starts over
  l.busy.Add(100);
  l.Record(tsc += 100, false, 95);
  EXPECT_EQ(l.overloaded, 0u);  // auto-lb off (or isolated): not counted
}

TEST(PmdLoad, VarianceIsOvsIntegerVariance) {
  EXPECT_EQ(Variance({}), 0u);
  EXPECT_EQ(Variance({50, 50}), 0u);
  EXPECT_EQ(Variance({100, 0}), 2500u);
  EXPECT_EQ(Variance({90, 10, 20}), 1266u);  // mean 40: (2500 + 900 + 400) / 3
}

PmdPlan TwoPmds(std::vector<std::vector<std::string>> queues) {
  PmdPlan p;
  int core = 0;
  for (const auto& qs : queues) {
    PmdPlan::Pmd pmd;
    pmd.core = core++;
    for (const auto& name : qs) pmd.rxqs.push_back(RxqRef{name, 0, nullptr, -1, 0, 0, false});
    p.pmds.push_back(pmd);
  }
  return p;
}

TEST(PmdLoad, DryRunComparesVariances) {
  std::map<std::string, uint64_t> cycles = {{"h1", 600}, {"h2", 600}, {"l1", 0}, {"l2", 0}};
  auto of = [&](const RxqRef& q) { return cycles[q.port_name]; };
  std::map<int, uint64_t> tsc = {{0, 100}, {1, 100}};  // 12 intervals: 1200 cycles each
  PmdPlan cur = TwoPmds({{"h1", "h2"}, {"l1", "l2"}});
  PmdPlan est = TwoPmds({{"h1", "l1"}, {"h2", "l2"}});
  EXPECT_TRUE(RebalanceMayHelp(cur, RxqAssign::kCycles));
  EXPECT_FALSE(RebalanceMayHelp(cur, RxqAssign::kRoundRobin));
  EXPECT_FALSE(RebalanceMayHelp(TwoPmds({{"h1"}, {"h2"}}), RxqAssign::kCycles));
  std::string why;
  EXPECT_TRUE(RebalanceImproves(cur, est, of, tsc, 25, &why));  // (100,0) -> (50,50)
  EXPECT_NE(why.find("Current variance 2500 Estimated variance 0. Variance improvement 100%."),
            std::string::npos)
      << why;
  EXPECT_FALSE(RebalanceImproves(est, cur, of, tsc, 25, &why));  // worse: no improvement
  // Isolated PMDs are left out of the variance.
  cur.pmds[1].isolated = true;
  EXPECT_EQ(NodeVariances(cur, of, tsc).at(0), 0u);
}

}  // namespace
}  // namespace vs::switchd
