// Plan(): which cores run PMDs and which rx queues each polls.
#include <fmt/format.h>
#include <gtest/gtest.h>

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

  a.rxq_affinity = "0:1";  // core 1 runs no PMD
  p = Plan({a}, kTwoNodes, "0x9", 64);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->warnings.size(), 1u);
  EXPECT_NE(p->warnings[0].find("pinned to core 1, which runs no PMD thread"), std::string::npos);
  EXPECT_EQ(p->pmds[0].rxqs.size() + p->pmds[1].rxqs.size(), 2u);  // queue 0 unpolled

  a.rxq_affinity = "0:x";
  p = Plan({a}, kTwoNodes, "0x9", 64);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->warnings.size(), 1u);
  EXPECT_NE(p->warnings[0].find("\"0:x\" is not QUEUE:CORE"), std::string::npos);
  EXPECT_EQ(p->pmds[0].rxqs.size() + p->pmds[1].rxqs.size(), 3u);  // assigned as if unset
  EXPECT_FALSE(ParseRxqAffinity("0:3,1:7").value().empty());
  EXPECT_FALSE(ParseRxqAffinity("0:3,").ok());
}

}  // namespace
}  // namespace vs::switchd
