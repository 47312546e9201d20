#include "numa/topology.h"

#include <gtest/gtest.h>

#include "numa/sysfs.h"

namespace vs::numa {
namespace {

std::string Fixture(const std::string& name) { return std::string(NUMAVS_FIXTURES) + "/" + name; }

TEST(CpuList, ParsesRangesAndSingles) {
  auto v = ParseCpuList("0-3,8,10-11\n");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, (std::vector<int>{0, 1, 2, 3, 8, 10, 11}));
  EXPECT_TRUE(ParseCpuList("").ok());
  EXPECT_TRUE(ParseCpuList("")->empty());
  EXPECT_FALSE(ParseCpuList("3-1").ok());
  EXPECT_FALSE(ParseCpuList("a").ok());
  EXPECT_FALSE(ParseCpuList("1,,2").ok());
}

TEST(Sysfs, ReadsTwoNodeFixture) {
  auto t = ReadTopology(Fixture("two-node"));
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->nodes().size(), 2u);
  EXPECT_EQ(t->nodes()[0].cpus, (std::vector<int>{0, 1}));
  EXPECT_EQ(t->nodes()[1].cpus, (std::vector<int>{2, 3}));
  EXPECT_EQ(t->nodes()[1].HugepageFreeBytes(), 1024ull << 20);
  ASSERT_NE(t->nodes()[1].Pages(2048), nullptr);
  EXPECT_EQ(t->nodes()[1].Pages(2048)->total, 512u);
  EXPECT_EQ(t->NodeOfCpu(3), 1);
  EXPECT_EQ(t->NodeOfCpu(9), kUnknownNode);
  EXPECT_EQ(t->DefaultPageKb(), 2048u);
  EXPECT_NE(t->NrHugepagesPath(1).find("node1/hugepages/hugepages-2048kB/nr_hugepages"),
            std::string::npos);
}

TEST(Sysfs, ReadsAnyNumberOfNodesAndMixedPageSizes) {
  auto four = ReadTopology(Fixture("four-node"));
  ASSERT_TRUE(four.ok()) << four.status().message();
  EXPECT_EQ(four->nodes().size(), 4u);
  EXPECT_EQ(four->MaxNodeId(), 3);
  auto mixed = ReadTopology(Fixture("two-node-mixed-pages"));
  ASSERT_TRUE(mixed.ok()) << mixed.status().message();
  const Node* n0 = mixed->FindNode(0);
  ASSERT_NE(n0, nullptr);
  ASSERT_EQ(n0->hugepages.size(), 2u);
  EXPECT_EQ(n0->hugepages[0].page_kb, 2048u);
  EXPECT_EQ(n0->hugepages[1].page_kb, 1048576u);
  EXPECT_EQ(n0->HugepageFreeBytes(), (256ull << 21) + (1ull << 30));
}

TEST(Sysfs, RealMachineReads) {
  auto t = ReadTopology("/");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_GE(t->nodes().size(), 1u);
  EXPECT_EQ(t->NrHugepagesPath(0).rfind("/sys/devices/system/node/node0/", 0), 0u);
}

TEST(Sysfs, KernelWithoutNumaIsOneNode) {
  auto t = ReadTopology(Fixture("no-numa"));
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->nodes().size(), 1u);
  EXPECT_EQ(t->nodes()[0].id, 0);
  EXPECT_EQ(t->nodes()[0].cpus, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(t->nodes()[0].HugepageFreeBytes(), 128ull << 21);
}

TEST(Sysfs, MalformedFilesNameThePath) {
  auto t = ReadTopology(Fixture("bad-free-count"));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), EINVAL);
  EXPECT_NE(t.status().message().find("free_hugepages"), std::string::npos) << t.status().message();
  EXPECT_NE(t.status().message().find("\"lots\""), std::string::npos) << t.status().message();
}

TEST(Sysfs, MissingRootIsAnError) {
  auto t = ReadTopology("/nonexistent/numavs");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), ENOENT);
  EXPECT_NE(t.status().message().find("/nonexistent/numavs"), std::string::npos);
}

TEST(DeviceNode, PciFromSysfs) {
  auto t = ReadTopology(Fixture("two-node"));
  ASSERT_TRUE(t.ok());
  auto loc = ResolveDeviceNode(*t, "0000:81:00.1");
  ASSERT_TRUE(loc.ok()) << loc.status().message();
  EXPECT_EQ(loc->node, 1);
  EXPECT_FALSE(loc->guessed);
  auto short_form = ResolveDeviceNode(*t, "81:00.1,n_rxq=2");
  ASSERT_TRUE(short_form.ok());
  EXPECT_EQ(short_form->node, 1);
  auto missing = ResolveDeviceNode(*t, "0000:82:00.0");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ENODEV);
}

TEST(DeviceNode, UnknownPciNodeFallsBackToPollingCpuOrFirstNode) {
  auto t = ReadTopology(Fixture("one-node-unknown-pci"));
  ASSERT_TRUE(t.ok());
  auto loc = ResolveDeviceNode(*t, "0000:00:04.0");
  ASSERT_TRUE(loc.ok());
  EXPECT_EQ(loc->node, 0);
  EXPECT_TRUE(loc->guessed);
}

TEST(DeviceNode, VdevFollowsPollingThreadUnlessOptionsSay) {
  auto t = ReadTopology(Fixture("four-node"));
  ASSERT_TRUE(t.ok());
  auto polled = ResolveDeviceNode(*t, "net_ring0", 2);
  ASSERT_TRUE(polled.ok());
  EXPECT_EQ(polled->node, 2);
  EXPECT_FALSE(polled->guessed);
  auto opt = ResolveDeviceNode(*t, "net_null0,size=64,numa_node=3", 0);
  ASSERT_TRUE(opt.ok());
  EXPECT_EQ(opt->node, 3);
  auto bad = ResolveDeviceNode(*t, "net_null0,numa_node=7");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("numa_node=7"), std::string::npos);
  auto unknown = ResolveDeviceNode(*t, "net_null0");
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->node, 0);
  EXPECT_TRUE(unknown->guessed);
}

TEST(Topology, FromCpuMap) {
  auto t = Topology::FromCpuMap("0,0,1,1", 512);
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->nodes().size(), 2u);
  EXPECT_EQ(t->NodeOfCpu(2), 1);
  EXPECT_EQ(t->FindNode(1)->HugepageFreeBytes(), 1ull << 30);
  EXPECT_FALSE(Topology::FromCpuMap("0,x").ok());
}

TEST(Pci, AddressForms) {
  EXPECT_TRUE(IsPciAddress("0000:81:00.1"));
  EXPECT_TRUE(IsPciAddress("81:00.1"));
  EXPECT_TRUE(IsPciAddress("0000:81:00.1,representor=[0]"));
  EXPECT_FALSE(IsPciAddress("net_ring0"));
  EXPECT_FALSE(IsPciAddress("0000:81:00.9"));
}

}  // namespace
}  // namespace vs::numa
