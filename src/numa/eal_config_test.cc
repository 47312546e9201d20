#include "numa/eal_config.h"

#include <gtest/gtest.h>

#include "numa/eal.h"
#include "numa/sysfs.h"

namespace vs::numa {
namespace {

Topology TwoNode() { return *ReadTopology(std::string(NUMAVS_FIXTURES) + "/two-node"); }

// Every rejection names the key and the value, and says why.
void ExpectRejected(const OtherConfig& oc, const std::string& key, const std::string& value,
                    const std::string& why_part, const Topology& topo = TwoNode()) {
  auto r = ParseEalConfig(oc, topo);
  ASSERT_FALSE(r.ok()) << key << "=" << value << " was accepted";
  EXPECT_EQ(r.status().code(), EINVAL);
  const std::string m = r.status().message();
  EXPECT_NE(m.find("other_config:" + key + "=\"" + value + "\""), std::string::npos) << m;
  EXPECT_NE(m.find(why_part), std::string::npos) << m;
}

TEST(EalConfig, DefaultsAreDynamicMemoryLikeOvs31) {
  auto c = ParseEalConfig({{"dpdk-init", "true"}}, TwoNode());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->memory, MemoryMode::kDynamic);
  EXPECT_EQ(c->fallback, NumaFallback::kStrict);
  EXPECT_EQ(c->EalArgs(), (std::vector<std::string>{"numavs-switchd", "-c", "0x1", "--in-memory"}));
  EXPECT_EQ(c->StartMb(1), 0u);
}

TEST(EalConfig, LegacyMemoryWithSeedSocketMem) {
  auto c = ParseEalConfig({{"dpdk-init", "true"},
                           {"dpdk-socket-mem", "1024,0"},
                           {"dpdk-extra", "--legacy-mem"},
                           {"dpdk-hugepage-dir", "/dev/hugepages"},
                           {"dpdk-lcore-mask", "0x3"}},
                          TwoNode());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->memory, MemoryMode::kLegacy);
  EXPECT_EQ(c->StartMb(0), 1024u);
  EXPECT_EQ(c->StartMb(1), 0u);
  EXPECT_EQ(c->EalArgs(),
            (std::vector<std::string>{"numavs-switchd", "-c", "0x3", "--huge-dir", "/dev/hugepages",
                                      "--socket-mem", "1024,0", "--legacy-mem"}));
  EXPECT_TRUE(ValidateAgainstTopology(*c, TwoNode()).ok());
}

TEST(EalConfig, LegacyDefaultIs1024PerNode) {
  auto c = ParseEalConfig({{"dpdk-extra", "--legacy-mem"}}, TwoNode());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->SocketMemArg(), "1024,1024");
}

TEST(EalConfig, NoHugeTestMode) {
  auto c =
      ParseEalConfig({{"dpdk-extra", "--no-huge -m 256 --no-pci --vdev=net_null0"}}, TwoNode());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->memory, MemoryMode::kNoHuge);
  EXPECT_EQ(c->no_huge_mb, 256u);
  EXPECT_EQ(c->StartMb(0), 256u);
  EXPECT_EQ(c->StartMb(1), 0u);
  auto args = c->EalArgs();
  EXPECT_EQ(std::count(args.begin(), args.end(), "--in-memory"), 0);
  EXPECT_EQ(args.back(), "--vdev=net_null0");
}

TEST(EalConfig, RejectsBadSocketMem) {
  ExpectRejected({{"dpdk-socket-mem", "1024,abc"}}, "dpdk-socket-mem", "1024,abc",
                 "\"abc\" is not");
  ExpectRejected({{"dpdk-socket-mem", "1024,-1"}}, "dpdk-socket-mem", "1024,-1", "negative");
  ExpectRejected({{"dpdk-socket-mem", "1024,1024,1024"}}, "dpdk-socket-mem", "1024,1024,1024",
                 "machine has 2 NUMA nodes");
  ExpectRejected({{"dpdk-socket-mem", ""}}, "dpdk-socket-mem", "", "empty");
  ExpectRejected({{"dpdk-socket-mem", "1024,"}}, "dpdk-socket-mem", "1024,", "entry 1");
  ExpectRejected({{"dpdk-socket-mem", "99999999999999999999"}}, "dpdk-socket-mem",
                 "99999999999999999999", "not a number");
  ExpectRejected({{"dpdk-socket-mem", "512"}, {"dpdk-extra", "--no-huge"}}, "dpdk-socket-mem",
                 "512", "--no-huge");
}

TEST(EalConfig, RejectsBadSocketLimit) {
  ExpectRejected({{"dpdk-socket-limit", "x"}}, "dpdk-socket-limit", "x", "not a number");
  ExpectRejected({{"dpdk-socket-limit", "0,0,0"}}, "dpdk-socket-limit", "0,0,0", "NUMA nodes");
  ExpectRejected({{"dpdk-socket-limit", "2048"}, {"dpdk-extra", "--legacy-mem"}},
                 "dpdk-socket-limit", "2048", "only works with dynamic memory");
  ExpectRejected({{"dpdk-socket-limit", "512,512"}, {"dpdk-socket-mem", "1024,0"}},
                 "dpdk-socket-limit", "512,512", "below its dpdk-socket-mem");
}

TEST(EalConfig, RejectsBadOtherKeys) {
  ExpectRejected({{"dpdk-init", "yes"}}, "dpdk-init", "yes", "true, try or false");
  ExpectRejected({{"dpdk-lcore-mask", "0xZZ"}}, "dpdk-lcore-mask", "0xZZ", "hexadecimal");
  ExpectRejected({{"dpdk-lcore-mask", "0"}}, "dpdk-lcore-mask", "0", "no CPU");
  ExpectRejected({{"dpdk-lcore-mask", "-1"}}, "dpdk-lcore-mask", "-1", "hexadecimal");
  ExpectRejected({{"dpdk-hugepage-dir", "huge"}}, "dpdk-hugepage-dir", "huge", "absolute");
  ExpectRejected({{"dpdk-extra", "-m 0 --no-huge"}}, "dpdk-extra", "-m 0 --no-huge", "-m needs");
  ExpectRejected({{"dpdk-extra", "-m 512"}}, "dpdk-extra", "-m 512",
                 "only supported here with --no-huge");
  ExpectRejected({{"dpdk-extra", "--legacy-mem --no-huge"}}, "dpdk-extra", "--legacy-mem --no-huge",
                 "together");
  ExpectRejected({{"dpdk-extra", "--socket-mem 1,1"}, {"dpdk-socket-mem", "1,1"}}, "dpdk-extra",
                 "--socket-mem 1,1", "also set by other_config:dpdk-socket-mem");
  ExpectRejected({{"numa-fallback", "any"}}, "numa-fallback", "any", "strict or remote");
}

TEST(EalConfig, MemoryOptionsInExtraAreMovedToTheirKeys) {
  ExpectRejected({{"dpdk-extra", "--legacy-mem --socket-mem 1024,0"}}, "dpdk-extra",
                 "--legacy-mem --socket-mem 1024,0",
                 "move it there: ovs-vsctl set Open_vSwitch . "
                 "other_config:dpdk-socket-mem=\"1024,0\"");
  ExpectRejected({{"dpdk-extra", "--socket-limit=2048"}}, "dpdk-extra", "--socket-limit=2048",
                 "other_config:dpdk-socket-limit=\"2048\"");
  ExpectRejected({{"dpdk-extra", "--legacy-mem --in-memory"}}, "dpdk-extra",
                 "--legacy-mem --in-memory", "cannot be combined");
  // Lcores given in dpdk-extra replace the default -c.
  auto c = ParseEalConfig({{"dpdk-extra", "-l 0-1 --no-pci"}}, TwoNode());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->EalArgs(),
            (std::vector<std::string>{"numavs-switchd", "--in-memory", "-l", "0-1", "--no-pci"}));
  // A hand-written --in-memory in dynamic mode is not doubled.
  auto d = ParseEalConfig({{"dpdk-extra", "--in-memory"}}, TwoNode());
  ASSERT_TRUE(d.ok());
  auto args = d->EalArgs();
  EXPECT_EQ(std::count(args.begin(), args.end(), "--in-memory"), 1);
}

TEST(EalConfig, TopologyChecksNameTheFix) {
  auto nohp = *ReadTopology(std::string(NUMAVS_FIXTURES) + "/two-node-no-hugepages-node1");
  auto c = ParseEalConfig({{"dpdk-extra", "--legacy-mem"}, {"dpdk-socket-mem", "1024,1024"}}, nohp);
  ASSERT_TRUE(c.ok());
  Status s = ValidateAgainstTopology(*c, nohp);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ENOMEM);
  EXPECT_NE(s.message().find("NUMA node 1"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("echo 512 > "), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("node1/hugepages/hugepages-2048kB/nr_hugepages"), std::string::npos);
  EXPECT_NE(s.message().find("restart"), std::string::npos);

  auto mask = ParseEalConfig({{"dpdk-lcore-mask", "0x30"}}, TwoNode());
  ASSERT_TRUE(mask.ok());
  Status ms = ValidateAgainstTopology(*mask, TwoNode());
  EXPECT_FALSE(ms.ok());
  EXPECT_NE(ms.message().find("CPU 4"), std::string::npos) << ms.message();
}

TEST(EalConfig, AnyNumberOfNodes) {
  auto four = *ReadTopology(std::string(NUMAVS_FIXTURES) + "/four-node");
  auto c =
      ParseEalConfig({{"dpdk-socket-mem", "0,0,0,512"}, {"dpdk-socket-limit", "0,0,0,1024"}}, four);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->StartMb(3), 512u);
  EXPECT_EQ(c->LimitMb(3), 1024u);
  EXPECT_TRUE(ValidateAgainstTopology(*c, four).ok());
  EXPECT_FALSE(ParseEalConfig({{"dpdk-socket-mem", "1,1,1,1,1"}}, four).ok());
}

// Acceptance 4: bad values for every key give the named error and never reach the EAL (this
// process has DPDK linked in; had any of them reached rte_eal_init, the EAL would be running).
TEST(EalConfig, BadValuesNeverReachTheEal) {
  const std::vector<std::pair<std::string, std::string>> bad = {{"dpdk-init", "maybe"},
                                                                {"dpdk-socket-mem", "1024,abc"},
                                                                {"dpdk-socket-mem", "-5"},
                                                                {"dpdk-socket-mem", "1,1,1"},
                                                                {"dpdk-socket-limit", "abc"},
                                                                {"dpdk-socket-limit", "1,-1"},
                                                                {"dpdk-lcore-mask", "xyz"},
                                                                {"dpdk-lcore-mask", "0x0"},
                                                                {"dpdk-hugepage-dir", "relative"},
                                                                {"dpdk-extra", "-m 64"},
                                                                {"numa-fallback", "loose"}};
  for (const auto& [key, value] : bad) {
    OtherConfig oc{{key, value}};
    oc.emplace("dpdk-init", "true");  // does not replace a bad dpdk-init
    Status s = Eal::InitFromOtherConfig(oc, TwoNode());
    EXPECT_EQ(s.code(), EINVAL) << key << "=" << value;
    EXPECT_NE(s.message().find("other_config:" + key + "=\"" + value + "\""), std::string::npos)
        << s.message();
    EXPECT_FALSE(Eal::initialized());
  }
  // A value the EAL itself would refuse on this machine is caught too, with the fix.
  auto nohp = *ReadTopology(std::string(NUMAVS_FIXTURES) + "/two-node-no-hugepages-node1");
  Status s = Eal::InitFromOtherConfig({{"dpdk-init", "true"}, {"dpdk-socket-mem", "0,1024"}}, nohp);
  EXPECT_EQ(s.code(), ENOMEM);
  EXPECT_FALSE(Eal::initialized());
  // dpdk-init=false never starts it.
  EXPECT_EQ(Eal::InitFromOtherConfig({{"dpdk-init", "false"}}, TwoNode()).code(), EPERM);
  EXPECT_FALSE(Eal::initialized());
}

TEST(EalConfig, RestartNeededIsReportedPerKey) {
  OtherConfig before{
      {"dpdk-init", "true"}, {"dpdk-socket-mem", "1024,0"}, {"numa-fallback", "strict"}};
  OtherConfig after = before;
  after["dpdk-socket-mem"] = "1024,1024";
  after["numa-fallback"] = "remote";
  auto changes = ChangesNeedingRestart(before, after);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0],
            "dpdk-socket-mem changed from \"1024,0\" to \"1024,1024\"; it takes "
            "effect when numavs-switchd restarts");
  EXPECT_TRUE(ChangesNeedingRestart({{"dpdk-init", "false"}}, {{"dpdk-init", "true"}}).empty());
  EXPECT_EQ(ChangesNeedingRestart({{"dpdk-init", "true"}}, {{"dpdk-init", "false"}}).size(), 1u);
  EXPECT_TRUE(KeyIsLive("numa-fallback"));
  EXPECT_FALSE(KeyIsLive("dpdk-socket-mem"));
  EXPECT_EQ(VsctlSetCommand("dpdk-socket-mem", "1024,1024"),
            "ovs-vsctl set Open_vSwitch . other_config:dpdk-socket-mem=\"1024,1024\"");
}

}  // namespace
}  // namespace vs::numa
