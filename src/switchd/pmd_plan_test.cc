// Plan(): which cores run PMDs and which rx queues each polls.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "switchd/pmd_threads.h"

namespace vs::switchd {
namespace {

const std::map<int, std::vector<int>> kTwoNodes = {{0, {0, 1}}, {1, {2, 3}}};

PortQueues Port(const char* name, uint32_t dp, int eth, uint16_t rxq, int numa) {
  return PortQueues{name, dp, nullptr, eth, rxq, 1, numa};
}

TEST(PmdPlan, DefaultIsOnePmdPerNodeWithPorts) {
  auto p = Plan({Port("dpdk0", 1, 0, 2, 1)}, kTwoNodes, "", 64);
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_EQ(p->pmds.size(), 1u);
  EXPECT_EQ(p->pmds[0].core, 2);  // lowest core of node 1
  ASSERT_EQ(p->pmds[0].rxqs.size(), 2u);
  EXPECT_FALSE(p->pmds[0].rxqs[0].remote);
  EXPECT_EQ(p->tx[1], (PmdPlan::Tx{nullptr, 0, 1}));
}

TEST(PmdPlan, QueuesGoToTheirNodeRoundRobin) {
  auto p = Plan({Port("a", 1, 0, 4, 1), Port("b", 2, 1, 1, 0)}, kTwoNodes, "0xd", 64);  // 0,2,3
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->pmds.size(), 3u);
  std::map<int, int> per_core;
  for (const auto& pmd : p->pmds)
    for (const auto& q : pmd.rxqs) {
      per_core[pmd.core]++;
      EXPECT_EQ(pmd.numa, q.numa) << q.port_name;
      EXPECT_FALSE(q.remote);
    }
  EXPECT_EQ(per_core[2], 2);
  EXPECT_EQ(per_core[3], 2);
  EXPECT_EQ(per_core[0], 1);
}

TEST(PmdPlan, NoPmdOnTheNodeMeansCrossNuma) {
  auto p = Plan({Port("dpdk0", 1, 0, 1, 1)}, kTwoNodes, "0x1", 64);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->pmds.size(), 1u);
  ASSERT_EQ(p->pmds[0].rxqs.size(), 1u);
  EXPECT_TRUE(p->pmds[0].rxqs[0].remote);
}

TEST(PmdPlan, BadMasksAreNamed) {
  auto bad = Plan({}, kTwoNodes, "0xZ", 64);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("pmd-cpu-mask=\"0xZ\""), std::string::npos);
  auto absent = Plan({}, kTwoNodes, "0x200", 64);
  ASSERT_FALSE(absent.ok());
  EXPECT_NE(absent.status().message().find("core 9"), std::string::npos) << absent.status().message();
}

// Issue 13, defect 5: a mask of no core used to stop all forwarding in
// silence. It is refused with the key named (the caller keeps the PMDs it has).
TEST(PmdPlan, EmptyMaskIsRefused) {
  PortQueues port = Port("dpdk0", 1, 0, 1, 0);
  for (const char* mask : {"0x0", "0", "0x000"}) {
    auto p = Plan({port}, kTwoNodes, mask, 64);
    ASSERT_FALSE(p.ok()) << mask;
    EXPECT_NE(p.status().message().find(fmt::format("pmd-cpu-mask=\"{}\" is invalid: it names no core", mask)),
              std::string::npos)
        << p.status().message();
  }
}

TEST(PmdPlan, PortsWithoutDevicesAreNotPolled) {
  auto p = Plan({PortQueues{"br0", 3, nullptr, -1, 0, 0, 0}}, kTwoNodes, "", 64);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->pmds.empty());
  EXPECT_EQ(p->tx[3].n_txq, 0);
}

// other_config:pmd-rxq-affinity as in OVS: pinned queues go to their core's
// PMD, which then polls nothing else; a core without a PMD or a bad value warns.
TEST(PmdPlan, RxqAffinityPinsAndIsolates) {
  PortQueues a = Port("a", 1, 0, 3, 0);
  a.rxq_affinity = "0:3,1:3";
  PortQueues b = Port("b", 2, 1, 1, 0);
  auto p = Plan({a, b}, kTwoNodes, "0x9", 64);  // cores 0 and 3
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_EQ(p->pmds.size(), 2u);
  const auto& c0 = p->pmds[0];
  const auto& c3 = p->pmds[1];
  EXPECT_EQ(c3.core, 3);
  EXPECT_TRUE(c3.isolated);
  ASSERT_EQ(c3.rxqs.size(), 2u);
  EXPECT_EQ(c3.rxqs[0].queue, 0);
  EXPECT_EQ(c3.rxqs[1].queue, 1);
  EXPECT_TRUE(c3.rxqs[0].remote);  // device on node 0, core 3 on node 1
  EXPECT_FALSE(c0.isolated);
  ASSERT_EQ(c0.rxqs.size(), 2u);  // a's queue 2 and b's queue 0
  EXPECT_TRUE(p->warnings.empty());

  a.rxq_affinity = "0:1";  // core 1 runs no PMD: as OVS 3.1, another core polls it
  p = Plan({a}, kTwoNodes, "0x9", 64);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->warnings.size(), 1u);
  EXPECT_NE(p->warnings[0].find("pinned to core 1, which runs no PMD thread: another core polls it"),
            std::string::npos);
  EXPECT_EQ(p->pmds[0].rxqs.size() + p->pmds[1].rxqs.size(), 3u);
  EXPECT_FALSE(p->pmds[0].isolated || p->pmds[1].isolated);

  a.rxq_affinity = "0:x";
  p = Plan({a}, kTwoNodes, "0x9", 64);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->warnings.size(), 1u);
  EXPECT_NE(p->warnings[0].find("\"0:x\" is not QUEUE:CORE"), std::string::npos);
  EXPECT_EQ(p->pmds[0].rxqs.size() + p->pmds[1].rxqs.size(), 3u);  // assigned as if unset
  EXPECT_FALSE(ParseRxqAffinity("0:3,1:7").value().empty());
  EXPECT_FALSE(ParseRxqAffinity("0:3,").ok());
}

// Where each port's queue 0 went: core by port name.
std::map<std::string, int> CoreOf(const PmdPlan& p) {
  std::map<std::string, int> out;
  for (const auto& pmd : p.pmds)
    for (const auto& q : pmd.rxqs) out[q.port_name] = pmd.core;
  return out;
}

const std::map<int, std::vector<int>> kOneNode = {{0, {0, 1}}};

PortQueues Measured(const char* name, uint32_t dp, uint64_t cycles) {
  PortQueues p = Port(name, dp, -1, 1, 0);
  p.rxq_cycles = {cycles};
  return p;
}

// pmd-rxq-assign=roundrobin: port number order (not the order given), dealt 0,1,0,1.
TEST(PmdPlan, RoundRobinDealsInPortOrder) {
  PmdOptions o;
  o.assign = RxqAssign::kRoundRobin;
  auto p = Plan({Measured("d", 4, 0), Measured("b", 2, 900), Measured("a", 1, 0), Measured("c", 3, 800)},
                kOneNode, "0x3", 64, o);
  ASSERT_TRUE(p.ok());
  auto at = CoreOf(*p);
  EXPECT_EQ(at["a"], 0);
  EXPECT_EQ(at["b"], 1);
  EXPECT_EQ(at["c"], 0);
  EXPECT_EQ(at["d"], 1);  // measured cycles play no part: b and d (heavy) share core 1
  EXPECT_EQ(p->log.front(), "Performing pmd to rx queue assignment using roundrobin algorithm.");
  EXPECT_EQ(p->log[1], "Core  0 on numa node 0 assigned port 'a' rx queue 0.");
}

// pmd-rxq-assign=cycles (the default): most cycles first, dealt up and down 0,1,1,0,0.
TEST(PmdPlan, CyclesSortsByMeasuredCyclesAndDealsUpAndDown) {
  auto p = Plan({Measured("a", 1, 0), Measured("b", 2, 100), Measured("c", 3, 0),
                 Measured("d", 4, 90), Measured("e", 5, 50)},
                kOneNode, "0x3", 64);
  ASSERT_TRUE(p.ok());
  auto at = CoreOf(*p);
  EXPECT_EQ(at["b"], 0);
  EXPECT_EQ(at["d"], 1);  // the two heaviest on different PMDs
  EXPECT_EQ(at["e"], 1);
  EXPECT_EQ(at["a"], 0);  // ties (0 cycles) in port order
  EXPECT_EQ(at["c"], 0);
  EXPECT_NE(std::find(p->log.begin(), p->log.end(),
                      "Core  0 on numa node 0 assigned port 'b' rx queue 0 (measured processing "
                      "cycles 100)."),
            p->log.end());
}

// pmd-rxq-assign=group: each queue (most cycles first) to the PMD with the least cycles
// so far; a queue without measurement to the PMD with the fewest queues.
TEST(PmdPlan, GroupGoesToTheLeastLoadedPmd) {
  PmdOptions o;
  o.assign = RxqAssign::kGroup;
  auto p = Plan({Measured("a", 1, 100), Measured("b", 2, 60), Measured("c", 3, 50),
                 Measured("d", 4, 0), Measured("e", 5, 0)},
                kOneNode, "0x3", 64, o);
  ASSERT_TRUE(p.ok());
  auto at = CoreOf(*p);
  EXPECT_EQ(at["a"], 0);
  EXPECT_EQ(at["b"], 1);
  EXPECT_EQ(at["c"], 1);  // 60 < 100
  EXPECT_EQ(at["d"], 0);  // fewest queues: 1 < 2
  EXPECT_EQ(at["e"], 0);  // 2 = 2: the first
}

// pmd-rxq-isolate=false (with group only, as OVS): a pinned queue's PMD polls others too.
TEST(PmdPlan, IsolateFalseSharesThePinnedPmd) {
  PortQueues a = Measured("a", 1, 10);
  a.rxq_affinity = "0:0";
  PmdOptions o;
  o.assign = RxqAssign::kGroup;
  o.isolate = false;
  auto p = Plan({a, Measured("b", 2, 0), Measured("c", 3, 0), Measured("d", 4, 0)}, kOneNode,
                "0x3", 64, o);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->pmds[0].isolated);
  EXPECT_EQ(p->pmds[0].rxqs.size(), 2u);  // a (pinned) and one more
  EXPECT_EQ(p->pmds[1].rxqs.size(), 2u);
  o.isolate = true;
  p = Plan({a, Measured("b", 2, 0), Measured("c", 3, 0)}, kOneNode, "0x3", 64, o);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->pmds[0].isolated);
  EXPECT_EQ(p->pmds[0].rxqs.size(), 1u);
  EXPECT_EQ(p->pmds[1].rxqs.size(), 2u);
  // With cycles, isolation stays on whatever pmd-rxq-isolate says.
  o.assign = RxqAssign::kCycles;
  o.isolate = false;
  EXPECT_TRUE(o.effective_isolate());
}

TEST(PmdPlan, PmdKeysAreReadAndBadValuesKeepThePrevious) {
  std::vector<std::string> errors;
  PmdOptions o = ParsePmdOptions({}, PmdOptions{}, &errors);
  EXPECT_EQ(o, PmdOptions{});  // OVS's defaults: cycles, isolate, auto-lb off, 95/25/1
  EXPECT_EQ(o.alb_load_threshold, 95u);
  EXPECT_EQ(o.alb_improvement_threshold, 25u);
  EXPECT_EQ(o.alb_interval_min, 1u);
  EXPECT_TRUE(errors.empty());
  o = ParsePmdOptions({{"pmd-rxq-assign", "group"},
                       {"pmd-rxq-isolate", "false"},
                       {"pmd-auto-lb", "true"},
                       {"pmd-auto-lb-load-threshold", "70"},
                       {"pmd-auto-lb-improvement-threshold", "10"},
                       {"pmd-auto-lb-rebal-interval", "0"}},
                      PmdOptions{}, &errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(o.assign, RxqAssign::kGroup);
  EXPECT_FALSE(o.effective_isolate());
  EXPECT_TRUE(o.auto_lb);
  EXPECT_EQ(o.alb_load_threshold, 70u);
  EXPECT_EQ(o.alb_improvement_threshold, 10u);
  EXPECT_EQ(o.alb_interval_min, 1u);  // 0 means 1 minute, as OVS
  PmdOptions bad = ParsePmdOptions({{"pmd-rxq-assign", "fastest"},
                                    {"pmd-rxq-isolate", "no"},
                                    {"pmd-auto-lb", "yes"},
                                    {"pmd-auto-lb-load-threshold", "101"},
                                    {"pmd-auto-lb-improvement-threshold", "-1"},
                                    {"pmd-auto-lb-rebal-interval", "x"}},
                                   o, &errors);
  EXPECT_EQ(bad, o);  // every value kept
  ASSERT_EQ(errors.size(), 6u);
  EXPECT_EQ(errors[0], "other_config:pmd-rxq-assign=\"fastest\" is invalid: cycles, roundrobin or "
                       "group is expected; keeping 'group'");
  EXPECT_NE(errors[3].find("other_config:pmd-auto-lb-load-threshold=\"101\" is invalid: an integer "
                           "from 0 to 100 is expected; keeping 70"),
            std::string::npos);
  errors.clear();
  ParsePmdOptions({{"pmd-rxq-isolate", "false"}}, PmdOptions{}, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "pmd-rxq-isolate can only be set false when using pmd-rxq-assign=group");
}

}  // namespace
}  // namespace vs::switchd
