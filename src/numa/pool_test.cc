// Acceptance 1 (seed scenario on the simulated two-node topology) and 2 (sharing and lifetime),
// on the simulated backend. The real-DPDK half is dpdk_test.cc.
#include "numa/pool.h"

#include <gtest/gtest.h>

#include <random>

#include "numa/sim_backend.h"
#include "numa/sysfs.h"

namespace vs::numa {
namespace {

std::string Fixture(const std::string& name) { return std::string(NUMAVS_FIXTURES) + "/" + name; }

struct Switch {
  Topology topo;
  EalConfig cfg;
  std::unique_ptr<SimBackend> backend;
  std::unique_ptr<PoolRegistry> reg;

  static Switch Make(const std::string& fixture, const OtherConfig& oc) {
    Switch s;
    auto topo = ReadTopology(Fixture(fixture));
    EXPECT_TRUE(topo.ok()) << topo.status().message();
    s.topo = *topo;
    auto cfg = ParseEalConfig(oc, s.topo);
    EXPECT_TRUE(cfg.ok()) << cfg.status().message();
    s.cfg = *cfg;
    auto b = SimBackend::Create(s.topo, s.cfg);
    EXPECT_TRUE(b.ok()) << b.status().message();
    s.backend = std::move(*b);
    s.reg = std::make_unique<PoolRegistry>(*s.backend, s.cfg, s.topo);
    return s;
  }
  PortSpec Port(const std::string& name, const std::string& devargs, int mtu = 1500) {
    auto loc = ResolveDeviceNode(topo, devargs);
    EXPECT_TRUE(loc.ok()) << loc.status().message();
    PortSpec p;
    p.name = name;
    p.node = loc.ok() ? loc->node : 0;
    p.mtu = mtu;
    return p;
  }
  HeapStats Heap(int node) {
    for (const auto& h : backend->Heaps()) {
      if (h.node == node) return h;
    }
    return {};
  }
};

const OtherConfig kLegacySeed{
    {"dpdk-init", "true"}, {"dpdk-extra", "--legacy-mem"}, {"dpdk-socket-mem", "1024,0"}};

// The pool of a default port (MTU 1500, one rx and one tx queue of 2048, one PMD), worked out
// by hand from the documented formula (docs/memory.md; FormulaMatchesDocumentedNumbers pins
// the pieces), not with PoolBytes(), which the simulated backend itself uses:
//   buffers 16384 (margin) + 2048 + 2048 + 32 + 256 * 3 / 2 = 20896 of 64 + 2304 = 2368 bytes;
//   885 per 2 MB page: 23 full pages + 541 = 48234496 + 1281088;
//   ring 128 + 8 * 32768 (next power of two above 20896); caches 256 + 128 * 8256.
// numavs-mem shows the same: "memzone MP_vsmp0_n0_2176: 50834880 bytes".
constexpr uint64_t kDefaultPortPoolBytes = 50834880;
uint64_t DefaultPortPoolBytes() { return kDefaultPortPoolBytes; }

TEST(Planner, FormulaMatchesDocumentedNumbers) {
  EXPECT_EQ(DataRoomForMtu(1500), 2176u);                 // ROUND_UP(1526, 1024) + 128
  EXPECT_EQ(DataRoomForMtu(9000), 9344u);                 // ROUND_UP(9026, 1024) + 128
  EXPECT_EQ(DataRoomForMtu(2030), 3200u);                 // the seed's MTU
  EXPECT_EQ(DataRoomForMtu(1400), DataRoomForMtu(1500));  // same pool
  PortSpec p;
  p.n_rxq = 2;
  p.n_txq = 3;
  p.n_pmds = 2;
  PortBuffers b = BuffersForPort(p);
  EXPECT_EQ(b.ring_mbufs, 2u * 2048 + 3u * 2048 + 2u * 32 + 2u * 256 * 3 / 2);
  EXPECT_EQ(b.margin, 16384u);
  EXPECT_EQ(ObjectBytes(2176), 64u + 2304u);
  // 885 buffers fit in a 2 MB page; the rest start a new page.
  EXPECT_EQ(PoolBytes(1000, 2176),
            (2u << 20) + 115u * 2368 + (128 + 8 * 1024) + (256 + 128 * 8256));
  PlannerOptions small_pages;
  small_pages.page_bytes = 4096;  // no-huge: one buffer per 4 kB page
  EXPECT_EQ(PoolBytes(10, 2176, small_pages), 10u * 4096 + (128 + 8 * 16) + (256 + 128 * 8256));
  EXPECT_FALSE(ValidatePort(PortSpec{.name = "x", .mtu = 20}).ok());
  EXPECT_FALSE(ValidatePort(PortSpec{.name = "x", .n_rxq = 0}).ok());
}

TEST(Planner, ParsesPortArguments) {
  auto topo = *ReadTopology(Fixture("two-node"));
  auto p = ParsePortArgs("dpdk0,0000:81:00.1,mtu=9000,n_rxq=2,n_txq_desc=1024,pmds=2", topo);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->name, "dpdk0");
  EXPECT_EQ(p->node, 1);
  EXPECT_EQ(p->mtu, 9000);
  EXPECT_EQ(p->n_rxq, 2u);
  EXPECT_EQ(p->txq_size, 1024u);
  EXPECT_EQ(p->n_pmds, 2u);
  auto v = ParsePortArgs("pcap0,net_pcap0,rx_pcap=/tmp/x.pcap,numa_node=1", topo);
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->node, 1);
  auto polled = ParsePortArgs("ring0,net_ring0,cpu=2", topo);
  ASSERT_TRUE(polled.ok());
  EXPECT_EQ(polled->node, 1);
  EXPECT_EQ(ParsePortArgs("dpdk0", topo).status().code(), EINVAL);
  EXPECT_EQ(ParsePortArgs("dpdk0,0000:81:00.1,mtu=abc", topo).status().code(), EINVAL);
  EXPECT_EQ(ParsePortArgs("dpdk0,0000:81:00.1,n_rxq=99999999999", topo).status().code(), EINVAL);
  EXPECT_EQ(ParsePortArgs("dpdk0,0000:81:00.1,mtu=10", topo).status().code(), EINVAL);
  EXPECT_EQ(ParsePortArgs("dpdk0,0000:99:00.0", topo).status().code(), ENODEV);
}

TEST(Planner, PlanSharesPerNodeAndSizeAndFindsShortNodes) {
  auto topo = *ReadTopology(Fixture("two-node"));
  auto cfg = *ParseEalConfig(kLegacySeed, topo);
  std::vector<PortSpec> ports{{.name = "dpdk0", .node = 1},
                              {.name = "dpdk1", .node = 1},
                              {.name = "dpdk2", .node = 0, .mtu = 9000}};
  Plan plan = MakePlan(ports, cfg, topo);
  ASSERT_EQ(plan.pools.size(), 2u);
  EXPECT_FALSE(plan.fits());
  ASSERT_EQ(plan.nodes.size(), 2u);
  EXPECT_TRUE(plan.nodes[0].fits);
  EXPECT_FALSE(plan.nodes[1].fits);
  EXPECT_NE(plan.nodes[1].shortfall.find("dpdk-socket-mem=\"1024,1024\""), std::string::npos)
      << plan.nodes[1].shortfall;
  EXPECT_TRUE(plan.nodes[1].restart_needed);
  // Shared pool: dpdk0 and dpdk1 in one pool sized for the first plus the margin.
  PortBuffers b = BuffersForPort(ports[0]);
  EXPECT_EQ(plan.pools[0].mbufs, b.margin + b.ring_mbufs);
  EXPECT_EQ(plan.pools[0].ports, (std::vector<std::string>{"dpdk0", "dpdk1"}));
  EXPECT_EQ(plan.ToJson()["fits"], false);
  EXPECT_NE(plan.ToText().find("SHORT"), std::string::npos);
  // Dynamic memory: both fit.
  auto dyn = *ParseEalConfig({}, topo);
  EXPECT_TRUE(MakePlan(ports, dyn, topo).fits());
}

// 1(a): default dynamic memory, 1 GiB on each node: the pool is on node 1.
TEST(SeedScenario, A_DynamicMemoryPoolOnDeviceNode) {
  Switch s = Switch::Make("two-node", {{"dpdk-init", "true"}});
  auto r = s.reg->Attach(s.Port("dpdk0", "0000:81:00.1"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().node, 1);
  EXPECT_FALSE(r.value().remote);
  EXPECT_EQ(s.Heap(1).alloc_bytes, DefaultPortPoolBytes());
  EXPECT_EQ(s.Heap(0).alloc_bytes, 0u);
  EXPECT_EQ(s.Heap(1).heap_bytes % (2u << 20), 0u);  // grew in whole pages
}

// 1(b): legacy memory with the seed's dpdk-socket-mem="1024,0".
TEST(SeedScenario, B_LegacyMemorySeedSocketMemIsAnErrorValue) {
  Switch s = Switch::Make("two-node", kLegacySeed);
  auto other = s.reg->Attach(s.Port("dpdk1", "0000:03:00.0"));
  ASSERT_TRUE(other.ok()) << other.error().message;
  HeapStats before = s.Heap(0);

  auto r = s.reg->Attach(s.Port("dpdk0", "0000:81:00.1"));
  ASSERT_FALSE(r.ok());
  const PoolError& e = r.error();
  EXPECT_EQ(e.code, ENOMEM);
  EXPECT_EQ(e.node, 1);
  EXPECT_EQ(e.port, "dpdk0");
  EXPECT_EQ(e.bytes, DefaultPortPoolBytes());
  EXPECT_EQ(e.node_had, 0u);
  EXPECT_TRUE(e.restart_needed);
  EXPECT_EQ(e.message,
            "could not allocate 49 MB of packet buffers on NUMA node 1 for dpdk0: node 1 has 0 MB "
            "reserved for DPDK (dpdk-socket-mem=\"1024,0\", legacy memory); run: ovs-vsctl set "
            "Open_vSwitch . other_config:dpdk-socket-mem=\"1024,1024\" (then restart "
            "numavs-switchd)");
  EXPECT_EQ(e.message.find('\n'), std::string::npos);
  // Other ports unaffected: dpdk1 keeps its pool, node 0 unchanged, a new node-0 port works.
  EXPECT_FALSE(s.reg->Find("dpdk0").has_value());
  ASSERT_TRUE(s.reg->Find("dpdk1").has_value());
  EXPECT_EQ(s.Heap(0).alloc_bytes, before.alloc_bytes);
  EXPECT_EQ(s.reg->pool_count(), 1u);
  EXPECT_TRUE(s.reg->Attach(s.Port("dpdk2", "0000:03:00.0", 9000)).ok());
}

TEST(SeedScenario, B_LegacyMemoryWithFixedSocketMemPoolOnNode1) {
  OtherConfig oc = kLegacySeed;
  oc["dpdk-socket-mem"] = "1024,1024";
  Switch s = Switch::Make("two-node", oc);
  auto r = s.reg->Attach(s.Port("dpdk0", "0000:81:00.1"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().node, 1);
  EXPECT_EQ(s.Heap(1).heap_bytes, 1024u << 20);  // legacy: fixed at socket-mem
}

// 1(c): no hugepages on node 1 at all (dynamic memory): the error names node 1 and the sysfs
// command that reserves pages there; no restart is needed in dynamic mode.
TEST(SeedScenario, C_NoHugepagesOnNode1NamesTheSysfsCommand) {
  Switch s = Switch::Make("two-node-no-hugepages-node1", {{"dpdk-init", "true"}});
  auto r = s.reg->Attach(s.Port("dpdk0", "0000:81:00.1"));
  ASSERT_FALSE(r.ok());
  const PoolError& e = r.error();
  EXPECT_EQ(e.node, 1);
  EXPECT_FALSE(e.restart_needed);
  EXPECT_NE(e.message.find("on NUMA node 1 for dpdk0"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("node 1 has 0 MB of free hugepages (0 of 0 2048 kB pages"),
            std::string::npos)
      << e.message;
  EXPECT_NE(
      e.message.find("run: echo 25 > "
                     "/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages"),
      std::string::npos)
      << e.message;
  // Legacy with socket-mem on node 1 cannot even start: the EAL would refuse; so do we.
  auto topo = *ReadTopology(Fixture("two-node-no-hugepages-node1"));
  auto cfg =
      *ParseEalConfig({{"dpdk-extra", "--legacy-mem"}, {"dpdk-socket-mem", "1024,1024"}}, topo);
  auto b = SimBackend::Create(topo, cfg);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("node1/hugepages"), std::string::npos);
}

// 1(c) continued: running the fix (reserving the pages) works without a restart in dynamic mode,
// and a port that fell back to remote memory comes home on its next reconfiguration.
TEST(SeedScenario, C_ReservingPagesFixesItLive) {
  Switch s = Switch::Make("two-node-no-hugepages-node1", {{"numa-fallback", "remote"}});
  auto r = s.reg->Attach(s.Port("dpdk0", "0000:81:00.1"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value().remote);
  s.backend->AddHugepages(1, 25);  // echo 25 > .../node1/hugepages/hugepages-2048kB/nr_hugepages
  auto again = s.reg->Attach(s.Port("dpdk0", "0000:81:00.1"));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again.value().node, 1);
  EXPECT_FALSE(again.value().remote);
  EXPECT_TRUE(again.value().status.empty());
  EXPECT_EQ(s.Heap(0).alloc_bytes, 0u);  // the remote pool was freed
  EXPECT_EQ(s.reg->pool_count(), 1u);
}

// 1(d): numa-fallback=remote in cases (b) and (c): a node-0 pool and a cross-NUMA warning.
TEST(SeedScenario, D_RemoteFallbackUsesNode0AndSaysSo) {
  for (auto [fixture, base] : {std::pair{"two-node", kLegacySeed},
                               std::pair{"two-node-no-hugepages-node1", OtherConfig{}}}) {
    OtherConfig oc = base;
    oc["numa-fallback"] = "remote";
    Switch s = Switch::Make(fixture, oc);
    auto r = s.reg->Attach(s.Port("dpdk0", "0000:81:00.1"));
    ASSERT_TRUE(r.ok()) << fixture << ": " << r.error().message;
    EXPECT_EQ(r.value().node, 0);
    EXPECT_EQ(r.value().wanted_node, 1);
    EXPECT_TRUE(r.value().remote);
    EXPECT_NE(r.value().status.find("crosses the NUMA interconnect"), std::string::npos);
    EXPECT_NE(r.value().status.find("node 0 for a device on node 1"), std::string::npos)
        << r.value().status;
    EXPECT_EQ(s.Heap(0).alloc_bytes, DefaultPortPoolBytes());
  }
}

TEST(SeedScenario, RemotePortThatCannotGoHomeKeepsItsRemotePool) {
  OtherConfig oc = kLegacySeed;
  oc["numa-fallback"] = "remote";
  Switch s = Switch::Make("two-node", oc);
  PortSpec p = s.Port("dpdk0", "0000:81:00.1");
  auto a = s.reg->Attach(p);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(a.value().remote);
  p.rxq_size = 1024;  // reconfigure: node 1 still has nothing
  auto b = s.reg->Attach(p);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b.value().pool, a.value().pool);
  EXPECT_TRUE(b.value().remote);
  EXPECT_FALSE(b.value().status.empty());
  EXPECT_EQ(s.reg->pool_count(), 1u);
  s.reg->Detach("dpdk0");
  EXPECT_EQ(s.Heap(0).alloc_bytes, 0u);
}

TEST(SeedScenario, FallbackPolicyIsLive) {
  Switch s = Switch::Make("two-node", kLegacySeed);
  EXPECT_FALSE(s.reg->Attach(s.Port("dpdk0", "0000:81:00.1")).ok());
  s.reg->SetFallback(NumaFallback::kRemote);
  EXPECT_TRUE(s.reg->Attach(s.Port("dpdk0", "0000:81:00.1")).ok());
}

TEST(SeedScenario, SocketLimitAndNoHugeFixes) {
  Switch s = Switch::Make("two-node", {{"dpdk-socket-limit", "0,16"}});
  auto r = s.reg->Attach(s.Port("dpdk0", "0000:81:00.1"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("capped at 16 MB by dpdk-socket-limit=\"0,16\""),
            std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("other_config:dpdk-socket-limit=\"0,1024\""), std::string::npos);
  EXPECT_TRUE(r.error().restart_needed);

  Switch nh = Switch::Make("two-node", {{"dpdk-extra", "--no-huge -m 32 --no-pci"}});
  auto n = nh.reg->Attach(nh.Port("null0", "net_null0"));
  ASSERT_FALSE(n.ok());
  // 20,896 buffers, one per 4 kB page in no-huge mode: 82 MB + header -> -m 128.
  EXPECT_NE(n.error().message.find("the no-hugepage heap (dpdk-extra -m 32) has 32 MB free"),
            std::string::npos)
      << n.error().message;
  EXPECT_NE(n.error().message.find("dpdk-extra=\"--no-huge -m 128 --no-pci\""), std::string::npos)
      << n.error().message;

  // A device on node 1: no -m helps (the no-hugepage heap is node 0's); the fix is to
  // allow remote memory, and it applies without a restart.
  Switch nh1 = Switch::Make("two-node", {{"dpdk-extra", "--no-huge -m 512"}});
  auto n1 = nh1.reg->Attach(nh1.Port("dpdk0", "0000:81:00.1"));
  ASSERT_FALSE(n1.ok());
  EXPECT_NE(n1.error().message.find("with --no-huge DPDK has memory on NUMA node 0 only "
                                    "(dpdk-extra -m 512), none on node 1; run: ovs-vsctl set "
                                    "Open_vSwitch . other_config:numa-fallback=\"remote\""),
            std::string::npos)
      << n1.error().message;
  EXPECT_FALSE(n1.error().restart_needed);
  Switch nh1r =
      Switch::Make("two-node", {{"dpdk-extra", "--no-huge -m 512"}, {"numa-fallback", "remote"}});
  auto r1 = nh1r.reg->Attach(nh1r.Port("dpdk0", "0000:81:00.1"));
  ASSERT_TRUE(r1.ok());
  // Its status names the way to local memory: hugepages (dpdk-extra without --no-huge).
  EXPECT_NE(
      r1.value().status.find("to use local memory: ovs-vsctl remove Open_vSwitch . other_config "
                             "dpdk-extra"),
      std::string::npos)
      << r1.value().status;
}

TEST(Sharing, SameNodeAndMtuShareOnePool) {
  Switch s = Switch::Make("two-node", {});
  auto a = s.reg->Attach(s.Port("dpdk0", "0000:81:00.1"));
  auto b = s.reg->Attach(s.Port("dpdk1", "0000:81:00.1"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.value().pool, b.value().pool);
  auto pools = s.reg->Pools();
  ASSERT_EQ(pools.size(), 1u);
  EXPECT_EQ(pools[0].users, (std::vector<std::string>{"dpdk0", "dpdk1"}));  // refcount 2
  EXPECT_EQ(pools[0].rings, 2 * a.value().ring_mbufs);
  // A third default port would leave less than min_margin spare: it gets its own pool.
  auto c = s.reg->Attach(s.Port("dpdk2", "0000:81:00.1"));
  ASSERT_TRUE(c.ok());
  EXPECT_NE(c.value().pool, a.value().pool);
  s.reg->Detach("dpdk2");
  EXPECT_EQ(s.reg->pool_count(), 1u);

  // MTU change moves dpdk0 to another pool; the old one stays for dpdk1.
  auto moved = s.reg->Attach(s.Port("dpdk0", "0000:81:00.1", 9000));
  ASSERT_TRUE(moved.ok());
  EXPECT_NE(moved.value().pool, a.value().pool);
  EXPECT_EQ(s.reg->pool_count(), 2u);
  // dpdk1 follows: the old pool is freed when unused.
  auto moved1 = s.reg->Attach(s.Port("dpdk1", "0000:81:00.1", 9000));
  ASSERT_TRUE(moved1.ok());
  EXPECT_EQ(moved1.value().pool, moved.value().pool);
  EXPECT_EQ(s.reg->pool_count(), 1u);
  s.reg->Detach("dpdk0");
  s.reg->Detach("dpdk1");
  EXPECT_EQ(s.reg->pool_count(), 0u);
  EXPECT_EQ(s.Heap(1).alloc_bytes, 0u);
  EXPECT_EQ(s.Heap(1).heap_bytes, 0u);  // dynamic: pages given back
}

TEST(Sharing, FailedReconfigureKeepsTheOldPool) {
  Switch s = Switch::Make("two-node", {});
  auto a = s.reg->Attach(s.Port("dpdk0", "0000:81:00.1"));
  ASSERT_TRUE(a.ok());
  s.backend->FailNextCreates(1);
  PortSpec bigger = s.Port("dpdk0", "0000:81:00.1", 9000);
  auto r = s.reg->Attach(bigger);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("dpdk0 keeps its previous buffers"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().backend_error.find("injected"), std::string::npos);
  EXPECT_NE(r.error().message.find("the node seemed to have room, and the allocator said: "
                                   "simulated pool"),
            std::string::npos)
      << r.error().message;
  auto still = s.reg->Find("dpdk0");
  ASSERT_TRUE(still.has_value());
  EXPECT_EQ(still->pool, a.value().pool);
  EXPECT_EQ(s.reg->pool_count(), 1u);
}

TEST(Sharing, QueueChangeThatFitsStaysInPlace) {
  Switch s = Switch::Make("two-node", {});
  PortSpec p = s.Port("dpdk0", "0000:81:00.1");
  auto a = s.reg->Attach(p);
  ASSERT_TRUE(a.ok());
  p.rxq_size = 1024;  // smaller: fits in place
  auto b = s.reg->Attach(p);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a.value().pool, b.value().pool);
  p.n_rxq = 16;  // larger than the pool: moves
  auto c = s.reg->Attach(p);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(c.value().pool, a.value().pool);
  EXPECT_EQ(s.reg->pool_count(), 1u);
}

TEST(Sharing, InUseBuffersShowInPoolInfo) {
  Switch s = Switch::Make("two-node", {});
  auto a = s.reg->Attach(s.Port("dpdk0", "0000:81:00.1"));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(s.backend->Take(a.value().raw, 2048).ok());
  auto pools = s.reg->Pools();
  ASSERT_EQ(pools.size(), 1u);
  EXPECT_EQ(pools[0].usage.in_use, 2048u);
  EXPECT_EQ(pools[0].usage.avail, pools[0].usage.size - 2048);
  EXPECT_FALSE(s.backend->Take(a.value().raw, pools[0].usage.size).ok());
}

// 2: 10,000 random add/remove/reconfigure steps leave no pool and no byte behind.
TEST(Lifetime, RandomStepsLeaveNothingBehind) {
  const std::pair<const char*, const char*> runs[] = {{"two-node", "strict"},
                                                      {"four-node", "strict"},
                                                      {"two-node-tight", "strict"},
                                                      {"two-node-tight", "remote"}};
  for (auto [fixture, fallback] : runs) {
    Switch s = Switch::Make(fixture, {{"numa-fallback", fallback}});
    std::mt19937 rng(12345);
    const int kPorts = 12;
    const int mtus[] = {1500, 1400, 2030, 9000};
    const uint32_t descs[] = {512, 1024, 2048};
    std::vector<int> nodes;
    for (const Node& n : s.topo.nodes()) nodes.push_back(n.id);
    int ok = 0, failed = 0;
    for (int step = 0; step < 10000; step++) {
      std::string name = "p" + std::to_string(rng() % kPorts);
      if (rng() % 4 == 0) {
        s.reg->Detach(name);
      } else {
        PortSpec p;
        p.name = name;
        p.node = nodes[rng() % nodes.size()];
        p.mtu = mtus[rng() % 4];
        p.n_rxq = 1 + rng() % 4;
        p.n_txq = 1 + rng() % 4;
        p.rxq_size = descs[rng() % 3];
        p.txq_size = descs[rng() % 3];
        p.n_pmds = 1 + rng() % 2;
        auto before = s.reg->Find(name);
        if (rng() % 50 == 0) s.backend->FailNextCreates(1);  // exercise every ENOMEM path
        auto r = s.reg->Attach(p);
        if (r.ok()) {
          ok++;
          EXPECT_EQ(r.value().node == p.node, !r.value().remote);
          EXPECT_EQ(r.value().remote, !r.value().status.empty());
          auto f = s.reg->Find(name);
          ASSERT_TRUE(f.has_value());
          EXPECT_EQ(f->wanted_node, p.node);
          EXPECT_EQ(f->data_room, DataRoomForMtu(p.mtu));
          EXPECT_EQ(f->ring_mbufs, BuffersForPort(p).ring_mbufs);
          if (std::string(fallback) == "strict") {
            EXPECT_EQ(r.value().node, p.node);
          }
        } else {
          failed++;
          EXPECT_EQ(r.error().code, ENOMEM) << r.error().message;
          // A failed change leaves the port exactly where it was.
          auto after = s.reg->Find(name);
          ASSERT_EQ(before.has_value(), after.has_value());
          if (before) {
            EXPECT_EQ(before->pool, after->pool);
          }
        }
      }
      // Invariants: heap use equals the pools' bytes; no pool without users or over capacity.
      uint64_t pool_bytes = 0, heap_used = 0;
      for (const auto& pi : s.reg->Pools()) {
        ASSERT_FALSE(pi.users.empty());
        uint32_t rings = 0;
        for (const auto& u : pi.users) {
          auto f = s.reg->Find(u);
          ASSERT_TRUE(f.has_value());
          ASSERT_EQ(f->pool, pi.name);
          rings += f->ring_mbufs;
        }
        ASSERT_EQ(rings, pi.rings);
        ASSERT_LE(pi.rings + 8192u, pi.capacity);
        pool_bytes += pi.usage.bytes;
      }
      for (const auto& h : s.backend->Heaps()) heap_used += h.alloc_bytes;
      ASSERT_EQ(pool_bytes, heap_used) << "step " << step;
    }
    EXPECT_GT(ok, 1000) << fixture;
    for (int i = 0; i < kPorts; i++) s.reg->Detach("p" + std::to_string(i));
    EXPECT_EQ(s.reg->pool_count(), 0u) << fixture;
    for (const auto& h : s.backend->Heaps()) {
      EXPECT_EQ(h.alloc_bytes, 0u) << fixture << " node " << h.node;
      EXPECT_EQ(h.alloc_count, 0u);
      EXPECT_EQ(h.heap_bytes, 0u) << fixture << " node " << h.node;  // pages given back
    }
    if (std::string(fixture) == "two-node-tight") {
      EXPECT_GT(failed, 0);
    }
  }
}

}  // namespace
}  // namespace vs::numa
