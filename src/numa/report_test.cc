#include "numa/report.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "numa/sim_backend.h"
#include "numa/sysfs.h"

namespace vs::numa {
namespace {

struct Fixture {
  Topology topo;
  EalConfig cfg;
  std::unique_ptr<SimBackend> backend;
  std::unique_ptr<PoolRegistry> reg;
  explicit Fixture(const std::string& name, const OtherConfig& oc) {
    topo = *ReadTopology(std::string(NUMAVS_FIXTURES) + "/" + name);
    cfg = *ParseEalConfig(oc, topo);
    backend = std::move(SimBackend::Create(topo, cfg).value());
    reg = std::make_unique<PoolRegistry>(*backend, cfg, topo);
  }
};

PortSpec Port(const std::string& name, int node, int mtu = 1500) {
  PortSpec p;
  p.name = name;
  p.node = node;
  p.mtu = mtu;
  return p;
}

TEST(Report, JsonAndTextShowNodesHeapsMemzonesPoolsAndUsers) {
  Fixture f("two-node", {});
  ASSERT_TRUE(f.reg->Attach(Port("dpdk0", 1)).ok());
  ASSERT_TRUE(f.reg->Attach(Port("dpdk1", 1)).ok());
  auto a = f.reg->Find("dpdk0");
  ASSERT_TRUE(f.backend->Take(a->raw, 100).ok());
  Json r = MemoryReportJson(*f.reg);
  ASSERT_EQ(r["nodes"].size(), 2u);
  const Json& n1 = r["nodes"][1];
  EXPECT_EQ(n1["node"], 1);
  EXPECT_EQ(n1["cpus"], Json({2, 3}));
  EXPECT_EQ(n1["hugepages"][0]["total"], 512);
  EXPECT_GT(n1["heap"]["total_bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(n1["heap"]["alloc_count"], 1);
  ASSERT_EQ(n1["pools"].size(), 1u);
  EXPECT_EQ(n1["pools"][0]["ports"], Json({"dpdk0", "dpdk1"}));
  EXPECT_EQ(n1["pools"][0]["in_use"], 100);
  EXPECT_EQ(n1["pools"][0]["element_size"], 2368);
  ASSERT_EQ(n1["memzones"].size(), 1u);
  EXPECT_EQ(n1["memzones"][0]["name"], "MP_" + a->pool);
  EXPECT_TRUE(r["nodes"][0]["pools"].empty());
  EXPECT_EQ(r["memory_mode"], "dynamic");

  std::string text = MemoryReportText(r);
  EXPECT_NE(text.find("NUMA node 1: cpus 2-3"), std::string::npos) << text;
  EXPECT_NE(text.find("hugepages 2048 kB: 512 total,"), std::string::npos) << text;
  EXPECT_NE(text.find("100 in use"), std::string::npos) << text;
  EXPECT_NE(text.find("ports: dpdk0, dpdk1"), std::string::npos) << text;
  EXPECT_NE(text.find("largest free block"), std::string::npos) << text;
}

TEST(Report, SimulatedHugepagesShowWhatDpdkTookAndOvsFormats) {
  Fixture f("two-node", {{"dpdk-extra", "--legacy-mem"}, {"dpdk-socket-mem", "512,0"}});
  ASSERT_TRUE(f.reg->Attach(Port("dpdk1", 0)).ok());
  Json r = MemoryReportJson(*f.reg);
  EXPECT_EQ(r["nodes"][0]["hugepages"][0]["free"], 256);  // 512 MB of 1 GiB held by DPDK
  EXPECT_EQ(r["nodes"][1]["hugepages"][0]["free"], 512);
  std::string ms = MallocStatsText(*f.reg);
  EXPECT_NE(ms.find("Heap id:0\n\tHeap name:socket_0\n\tHeap_size:536870912,"), std::string::npos)
      << ms;
  EXPECT_NE(ms.find("Heap id:1"), std::string::npos);
  auto info = MempoolInfoText(*f.reg, "dpdk1");
  ASSERT_TRUE(info.ok());
  EXPECT_NE(info->find("socket_id=0"), std::string::npos) << *info;
  EXPECT_NE(info->find("count: avail (20896), in use (0)"), std::string::npos) << *info;
  auto none = MempoolInfoText(*f.reg, "nope");
  EXPECT_EQ(none.status().code(), ENOENT);
}

TEST(Report, RunsWhilePortsComeAndGo) {
  Fixture f("four-node", {});
  std::atomic<bool> stop{false};
  auto churn = [&](const std::string& prefix, int node) {
    for (int i = 0; i < 2000; i++) {
      std::string name = prefix + std::to_string(i % 5);
      if (i % 3 == 2) {
        f.reg->Detach(name);
      } else {
        (void)f.reg->Attach(Port(name, node, i % 2 ? 1500 : 9000));
      }
    }
  };
  std::thread reader([&] {
    while (!stop.load()) {
      Json r = MemoryReportJson(*f.reg);
      ASSERT_EQ(r["nodes"].size(), 4u);
    }
  });
  std::thread a(churn, "a", 1), b(churn, "b", 3);
  a.join();
  b.join();
  stop = true;
  reader.join();
  for (int i = 0; i < 5; i++) {
    f.reg->Detach("a" + std::to_string(i));
    f.reg->Detach("b" + std::to_string(i));
  }
  EXPECT_EQ(f.reg->pool_count(), 0u);
  for (const auto& h : f.reg->Snapshot().heaps) EXPECT_EQ(h.alloc_bytes, 0u);
}

TEST(Preflight, SeedConfigurationSaysWhatIsShortAndTheFix) {
  Fixture f("two-node", {{"dpdk-extra", "--legacy-mem"}, {"dpdk-socket-mem", "1024,0"}});
  ASSERT_TRUE(f.reg->Attach(Port("dpdk1", 0)).ok());
  Json p = PreflightJson(*f.reg, Port("dpdk0", 1));
  EXPECT_FALSE(p["fits"].get<bool>());
  EXPECT_TRUE(p["nodes"][0]["fits"].get<bool>());
  EXPECT_FALSE(p["nodes"][1]["fits"].get<bool>());
  EXPECT_EQ(p["nodes"][1]["fix"],
            "ovs-vsctl set Open_vSwitch . other_config:dpdk-socket-mem=\"1024,1024\"");
  EXPECT_TRUE(p["nodes"][1]["restart_needed"].get<bool>());
  std::string text = PreflightText(p);
  EXPECT_NE(text.find("DOES NOT FIT"), std::string::npos) << text;
  EXPECT_NE(text.find("node 1 has 0 MB reserved for DPDK"), std::string::npos) << text;
  // Preflight changes nothing.
  EXPECT_EQ(f.reg->pool_count(), 1u);
}

TEST(Preflight, JoiningAnExistingPoolNeedsNothingNew) {
  Fixture f("two-node", {});
  ASSERT_TRUE(f.reg->Attach(Port("dpdk0", 1)).ok());
  Json p = PreflightJson(*f.reg, Port("dpdk1", 1));
  EXPECT_TRUE(p["fits"].get<bool>());
  EXPECT_EQ(p["joins_pool"], f.reg->Find("dpdk0")->pool);
  EXPECT_EQ(p["nodes"][1]["new_bytes"], 0);
  EXPECT_NE(PreflightText(p).find("joins existing pool"), std::string::npos);
}

TEST(Preflight, DynamicNoHugepagesPointsAtSysfs) {
  Fixture f("two-node-no-hugepages-node1", {});
  Json p = PreflightJson(*f.reg, Port("dpdk0", 1, 9000));
  EXPECT_FALSE(p["fits"].get<bool>());
  std::string fix = p["nodes"][1]["fix"];
  EXPECT_EQ(fix.rfind("echo ", 0), 0u) << fix;
  EXPECT_NE(fix.find("/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages"),
            std::string::npos);
  EXPECT_FALSE(p["nodes"][1]["restart_needed"].get<bool>());
}

TEST(Preflight, ComparesLikeWithLike) {
  // Pools that exist count on both sides: needed = pools + new, available =
  // pools + what DPDK can still give, so "fits" follows from the figures.
  Fixture f("two-node", {{"dpdk-extra", "--legacy-mem"}, {"dpdk-socket-mem", "512,512"}});
  ASSERT_TRUE(f.reg->Attach(Port("p0", 1, 9000)).ok());
  Json p = PreflightJson(*f.reg, Port("p1", 1, 4000));
  const Json& n = p["nodes"][1];
  uint64_t pools = n["pools_bytes"], add = n["new_bytes"], can_give = n["can_give_bytes"];
  ASSERT_GT(pools, 0u);
  EXPECT_EQ(n["needed_bytes"].get<uint64_t>(), pools + add);
  EXPECT_EQ(n["available_bytes"].get<uint64_t>(), pools + can_give);
  EXPECT_LE(can_give, 512ull << 20);  // free in the fixed 512 MB: the pools' share excluded
  EXPECT_TRUE(n["fits"].get<bool>());
  EXPECT_LE(n["needed_bytes"].get<uint64_t>(), n["available_bytes"].get<uint64_t>());
  std::string text = PreflightText(p);
  EXPECT_NE(text.find(fmt::format("node 1: pools {} + new {} = {} needed, {} available (pools {} + "
                                  "DPDK can still give {})\n",
                                  Mb(pools), Mb(add), Mb(pools + add), Mb(pools + can_give),
                                  Mb(pools), Mb(can_give))),
            std::string::npos)
      << text;
  // A port that does not fit: needed above available, on the same basis.
  Json big = PreflightJson(*f.reg, Port("p2", 1, 65000));
  const Json& b = big["nodes"][1];
  EXPECT_FALSE(b["fits"].get<bool>());
  EXPECT_GT(b["needed_bytes"].get<uint64_t>(), b["available_bytes"].get<uint64_t>());
}

TEST(MemoryReport, NoHugeSaysDpdkRunsWithoutHugepages) {
  Fixture f("two-node", {{"dpdk-extra", "--no-huge -m 512"}});
  ASSERT_TRUE(f.reg->Attach(Port("p0", 0)).ok());
  std::string text = MemoryReportText(MemoryReportJson(*f.reg));
  EXPECT_NE(text.find("DPDK runs without hugepages"), std::string::npos) << text;
  EXPECT_NE(text.find("host hugepages (not DPDK's) 2048 kB: 512 total, 512 free"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("DPDK holds 512 MB of ordinary memory"), std::string::npos) << text;
  EXPECT_EQ(text.find("\n  hugepages "), std::string::npos) << text;
  // With hugepages the lines are the hugepages DPDK draws from.
  Fixture g("two-node", {});
  std::string huge = MemoryReportText(MemoryReportJson(*g.reg));
  EXPECT_EQ(huge.find("without hugepages"), std::string::npos) << huge;
  EXPECT_NE(huge.find("\n  hugepages 2048 kB: 512 total"), std::string::npos) << huge;
}

}  // namespace
}  // namespace vs::numa
