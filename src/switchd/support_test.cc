#include "switchd/support.h"

#include <gtest/gtest.h>

namespace vs::switchd {
namespace {

TEST(Support, ColumnsAndKeys) {
  EXPECT_EQ(FindSupport("Port", "tag")->support, Support::kApplied);
  EXPECT_EQ(FindSupport("Interface", "ingress_policing_rate")->support, Support::kRefused);
  EXPECT_EQ(FindSupport("Open_vSwitch", "other_config", "pmd-cpu-mask")->support,
            Support::kApplied);
  EXPECT_EQ(FindSupport("Open_vSwitch", "other_config", "pmd-auto-lb")->support,
            Support::kApplied);
  EXPECT_EQ(FindSupport("Open_vSwitch", "other_config", "pmd-sleep-max")->support,
            Support::kReported);
  EXPECT_EQ(FindSupport("Bridge", "fail_mode")->support, Support::kApplied);
  EXPECT_STREQ(FindSupport("Open_vSwitch", "other_config", "no-such-key")->key, "*");
  EXPECT_EQ(FindSupport("Mirror", "select_all")->support, Support::kViaParent);
  EXPECT_EQ(FindSupport("Bridge", "no_such_column"), nullptr);
  // Interface options depend on the type.
  EXPECT_EQ(FindSupport("Interface", "options", "n_rxq", "dpdk")->support, Support::kApplied);
  EXPECT_EQ(FindSupport("Interface", "options", "n_rxq", "dpdkvhostuserclient")->support,
            Support::kReported);
  EXPECT_STREQ(FindSupport("Interface", "options", "n_rxq", "internal")->key, "*");
}

TEST(Support, EveryEntryHasANote) {
  for (const SupportEntry& e : SupportTable()) {
    EXPECT_TRUE(e.note && *e.note) << e.table << "." << e.column;
  }
}

TEST(Support, FindingTexts) {
  Finding f{"Port", Uuid(), "bond0", "interfaces", "", Support::kRefused, "", "stays down"};
  EXPECT_EQ(f.StatusKey(), "unsupported:interfaces");
  EXPECT_EQ(f.Text(), "Port bond0: interfaces is not supported by numavs: stays down");
  f.key = "k";
  f.owner = "ofconn";
  EXPECT_EQ(f.StatusKey(), "unsupported:interfaces:k");
  EXPECT_EQ(f.Text(), "Port bond0: interfaces:k is not supported by numavs yet (work \"ofconn\"): stays down");
}

}  // namespace
}  // namespace vs::switchd
