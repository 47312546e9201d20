// Acceptance 3, no-hugepage half: the real EAL with --no-huge, real mempools for net_ring /
// net_null ports, heap statistics against the pools, exhaustion as an error value.
// One EAL per process: this binary is its own CTest entry (dpdk_hugepage_test.cc is the other).
#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <unistd.h>

#include "numa/dpdk_backend.h"
#include "numa/eal.h"
#include "numa/pool.h"
#include "numa/sysfs.h"

namespace vs::numa {
namespace {

OtherConfig Config() {
  return {{"dpdk-init", "true"},
          {"dpdk-extra", fmt::format("--no-huge -m 128 --no-pci --no-shconf --no-telemetry "
                                     "--file-prefix=numavs_nohuge_{} --vdev=net_ring0 "
                                     "--vdev=net_null0",
                                     getpid())}};
}

class EalEnv : public ::testing::Environment {
 public:
  void SetUp() override {
    auto topo = ReadTopology("/");
    ASSERT_TRUE(topo.ok()) << topo.status().message();
    topo_ = *topo;
    auto cfg = ParseEalConfig(Config(), topo_);
    ASSERT_TRUE(cfg.ok()) << cfg.status().message();
    cfg_ = *cfg;
    Status s = Eal::Init(cfg_, topo_, "numavs-dpdk-test");
    ASSERT_TRUE(s.ok()) << s.message();
  }
  void TearDown() override { Eal::Shutdown(); }
  static Topology topo_;
  static EalConfig cfg_;
};
Topology EalEnv::topo_;
EalConfig EalEnv::cfg_;
const auto* kEnv = ::testing::AddGlobalTestEnvironment(new EalEnv);

HeapStats Heap0(Backend& b) {
  for (const auto& h : b.Heaps()) {
    if (h.node == 0) return h;
  }
  return {};
}

PortSpec VdevPort(const std::string& name, const std::string& devargs, int mtu = 1500) {
  auto loc = ResolveDeviceNode(EalEnv::topo_, devargs, /*polling_cpu=*/0);
  EXPECT_TRUE(loc.ok()) << loc.status().message();
  PortSpec p;
  p.name = name;
  p.node = loc.ok() ? loc->node : 0;
  p.mtu = mtu;
  p.rxq_size = 512;
  p.txq_size = 512;
  return p;
}

TEST(DpdkEal, InitOnceAndLogsArguments) {
  ASSERT_TRUE(Eal::initialized());
  EXPECT_TRUE(Eal::Init(EalEnv::cfg_, EalEnv::topo_, "numavs-dpdk-test").ok());
  EalConfig other = EalEnv::cfg_;
  other.lcore_mask = 0x3;
  Status s = Eal::Init(other, EalEnv::topo_, "numavs-dpdk-test");
  EXPECT_EQ(s.code(), EALREADY);
  EXPECT_NE(s.message().find("needs a restart"), std::string::npos);
  EXPECT_EQ(Eal::args()[0], "numavs-dpdk-test");
  EXPECT_NE(Eal::DescribeReservation().find("node 0: 128 MB held"), std::string::npos)
      << Eal::DescribeReservation();
}

TEST(DpdkPools, VdevPortsSharePoolOnDiscoveredNodeAndHeapMatches) {
  auto backend = DpdkBackend::Create(EalEnv::topo_);
  ASSERT_TRUE(backend.ok()) << backend.status().message();
  HeapStats base = Heap0(**backend);
  {
    PoolRegistry reg(**backend, EalEnv::cfg_, EalEnv::topo_);
    auto ring = reg.Attach(VdevPort("ring0", "net_ring0"));
    auto null = reg.Attach(VdevPort("null0", "net_null0"));
    ASSERT_TRUE(ring.ok()) << ring.error().message;
    ASSERT_TRUE(null.ok()) << null.error().message;
    EXPECT_EQ(ring.value().pool, null.value().pool);  // same (node, MTU)
    rte_mempool* mp = DpdkBackend::Mempool(null.value().raw);
    EXPECT_EQ(mp->socket_id, null.value().node);
    EXPECT_EQ(rte_mempool_lookup(null.value().pool.c_str()), mp);

    // The heap grew by the pool's size, as the planner predicts (allocator overhead aside).
    HeapStats with = Heap0(**backend);
    uint64_t grew = with.alloc_bytes - base.alloc_bytes;
    PortBuffers b = BuffersForPort(VdevPort("ring0", "net_ring0"));
    PlannerOptions o;
    o.page_bytes = PageBytesFor(EalEnv::cfg_, EalEnv::topo_);
    EXPECT_EQ(o.page_bytes, 4096u);
    uint64_t predicted = PoolBytes(b.mbufs(), b.data_room, o);
    EXPECT_NEAR(static_cast<double>(grew), static_cast<double>(predicted), predicted * 0.03)
        << "grew " << grew << " predicted " << predicted;
    auto pools = reg.Pools();
    ASSERT_EQ(pools.size(), 1u);
    EXPECT_EQ(pools[0].users, (std::vector<std::string>{"null0", "ring0"}));
    EXPECT_EQ(pools[0].usage.size, b.mbufs());
    EXPECT_LE(pools[0].usage.bytes, grew);
    // What memory/show reports for the pool (buffers, header and its ring) is what the
    // planner said it needs (0.1 %: less than the ring alone).
    EXPECT_NEAR(static_cast<double>(pools[0].usage.bytes), static_cast<double>(predicted),
                predicted * 0.001)
        << "shown " << pools[0].usage.bytes << " predicted " << predicted;

    reg.Detach("ring0");
    EXPECT_EQ(reg.pool_count(), 1u);
    reg.Detach("null0");
    EXPECT_EQ(reg.pool_count(), 0u);
    EXPECT_EQ(rte_mempool_lookup(null.value().pool.c_str()), nullptr);
  }
  HeapStats after = Heap0(**backend);
  EXPECT_EQ(after.alloc_bytes, base.alloc_bytes) << "a pool leaked heap memory";
  EXPECT_EQ(after.alloc_count, base.alloc_count);
}

TEST(DpdkPools, NetNullReceivesIntoThePoolAndInUseShows) {
  auto backend = DpdkBackend::Create(EalEnv::topo_);
  ASSERT_TRUE(backend.ok());
  PoolRegistry reg(**backend, EalEnv::cfg_, EalEnv::topo_);
  auto null = reg.Attach(VdevPort("null0", "net_null0"));
  ASSERT_TRUE(null.ok()) << null.error().message;
  rte_mempool* mp = DpdkBackend::Mempool(null.value().raw);
  {
    uint16_t port = 0;
    ASSERT_EQ(rte_eth_dev_get_port_by_name("net_null0", &port), 0);
    int sid = rte_eth_dev_socket_id(port);
    if (sid >= 0) {
      EXPECT_EQ(sid, null.value().node);
    }
    rte_eth_conf conf{};
    ASSERT_EQ(rte_eth_dev_configure(port, 1, 1, &conf), 0);
    ASSERT_EQ(rte_eth_rx_queue_setup(port, 0, 512, null.value().node, nullptr, mp), 0);
    ASSERT_EQ(rte_eth_tx_queue_setup(port, 0, 512, null.value().node, nullptr), 0);
    ASSERT_EQ(rte_eth_dev_start(port), 0);
    rte_mbuf* pkts[32];
    uint16_t n = rte_eth_rx_burst(port, 0, pkts, 32);
    EXPECT_GT(n, 0);
    EXPECT_GE(reg.Pools()[0].usage.in_use, n);
    rte_pktmbuf_free_bulk(pkts, n);
    ASSERT_EQ(rte_eth_dev_stop(port), 0);
    EXPECT_EQ(reg.Pools()[0].usage.in_use, 0u);
    ASSERT_EQ(rte_eth_dev_close(port), 0);
  }
  reg.Detach("null0");
  EXPECT_EQ(reg.pool_count(), 0u);
}

TEST(DpdkPools, ExhaustionIsAnErrorValueNotACrash) {
  auto backend = DpdkBackend::Create(EalEnv::topo_);
  ASSERT_TRUE(backend.ok());
  HeapStats base = Heap0(**backend);
  PoolRegistry reg(**backend, EalEnv::cfg_, EalEnv::topo_);
  auto small = reg.Attach(VdevPort("ring0", "net_ring0"));
  ASSERT_TRUE(small.ok()) << small.error().message;
  PortSpec big = VdevPort("null0", "net_null0", 9000);
  big.n_rxq = 8;
  big.rxq_size = 4096;
  auto r = reg.Attach(big);
  ASSERT_FALSE(r.ok());
  const PoolError& e = r.error();
  EXPECT_EQ(e.code, ENOMEM);
  EXPECT_EQ(e.node, 0);
  EXPECT_NE(e.backend_error.find("rte_pktmbuf_pool_create"), std::string::npos) << e.backend_error;
  EXPECT_NE(e.backend_error.find("Cannot allocate memory"), std::string::npos) << e.backend_error;
  EXPECT_NE(e.message.find("could not allocate"), std::string::npos);
  EXPECT_NE(e.message.find("the no-hugepage heap (dpdk-extra -m 128)"), std::string::npos)
      << e.message;
  EXPECT_NE(e.message.find("other_config:dpdk-extra=\"--no-huge -m "), std::string::npos);
  EXPECT_TRUE(e.restart_needed);
  // The first port's pool is untouched and the failed one left nothing behind.
  EXPECT_EQ(reg.pool_count(), 1u);
  EXPECT_TRUE(reg.Attach(VdevPort("null0", "net_null0")).ok());
  reg.Detach("ring0");
  reg.Detach("null0");
  EXPECT_EQ(Heap0(**backend).alloc_bytes, base.alloc_bytes);
}

TEST(DpdkPools, UnknownSocketIsEinvalWithText) {
  auto backend = DpdkBackend::Create(EalEnv::topo_);
  ASSERT_TRUE(backend.ok());
  PoolParams p;
  p.name = "vs_bad_socket";
  p.node = 7;
  p.mbufs = 1024;
  p.data_room = 2176;
  auto r = (*backend)->CreatePool(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), EINVAL);
  EXPECT_NE(r.status().message().find("NUMA node 7"), std::string::npos);
}

TEST(DpdkPools, MemzonesAreListed) {
  auto backend = DpdkBackend::Create(EalEnv::topo_);
  ASSERT_TRUE(backend.ok());
  PoolRegistry reg(**backend, EalEnv::cfg_, EalEnv::topo_);
  auto a = reg.Attach(VdevPort("ring0", "net_ring0"));
  ASSERT_TRUE(a.ok());
  bool found = false;
  for (const auto& mz : (*backend)->Memzones()) {
    if (mz.name == "MP_" + a.value().pool) found = true;
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace vs::numa
