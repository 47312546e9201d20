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

}  // namespace
}  // namespace vs::switchd
