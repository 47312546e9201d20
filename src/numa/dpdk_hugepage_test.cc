// Acceptance 3, hugepage half: the real EAL with real 2 MB hugepages in dynamic memory mode and a
// tight dpdk-socket-limit. The test reserves 64 pages itself (root only), mounts a private
// hugetlbfs, and gives everything back at the end; without root or hugepage support every test
// skips with the reason, and as root any other failure to get the pages or start the EAL fails
// them (dpdk_hugepage_env.h). One EAL per process: this binary is its own CTest entry.
#include <gtest/gtest.h>
#include <rte_mempool.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "numa/dpdk_backend.h"
#include "numa/dpdk_hugepage_env.h"
#include "numa/eal.h"
#include "numa/pool.h"
#include "numa/sysfs.h"

namespace vs::numa {

OtherConfig HugeEnv::MakeConfig(const std::string& dir) {
  return {{"dpdk-init", "true"},
          {"dpdk-hugepage-dir", dir},
          {"dpdk-socket-limit", "64"},
          {"dpdk-extra",
           fmt::format("--no-pci --no-telemetry --file-prefix=numavs_hp_{} --vdev=net_null0",
                       getpid())}};
}

namespace {

const auto* kEnv = ::testing::AddGlobalTestEnvironment(new HugeEnv);

HeapStats Heap(Backend& b, int node) {
  for (const auto& h : b.Heaps()) {
    if (h.node == node) return h;
  }
  return {};
}

PortSpec NullPort(const std::string& name, int mtu) {
  auto loc = ResolveDeviceNode(HugeEnv::topo_, "net_null0", 0);
  EXPECT_TRUE(loc.ok());
  PortSpec p;
  p.name = name;
  p.node = loc.ok() ? loc->node : 0;
  p.mtu = mtu;
  return p;
}

TEST(DpdkHugepages, PoolOnDiscoveredNodeGrowsTheHeapAndGivesItBack) {
  REQUIRE_HUGEPAGES();
  auto backend = DpdkBackend::Create(HugeEnv::topo_);
  ASSERT_TRUE(backend.ok());
  PortSpec p = NullPort("null0", 1500);
  HeapStats base = Heap(**backend, p.node);
  uint64_t free_before = (*backend)->HugepageFree(p.node);
  {
    PoolRegistry reg(**backend, HugeEnv::cfg_, HugeEnv::topo_);
    auto a = reg.Attach(p);
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(DpdkBackend::Mempool(a.value().raw)->socket_id, p.node);
    HeapStats with = Heap(**backend, p.node);
    EXPECT_GT(with.heap_bytes, base.heap_bytes);  // dynamic memory grew on the node that asked
    EXPECT_LT((*backend)->HugepageFree(p.node), free_before);
    PortBuffers b = BuffersForPort(p);
    PlannerOptions o;
    o.page_bytes = 2u << 20;
    uint64_t predicted = PoolBytes(b.mbufs(), b.data_room, o);
    uint64_t grew = with.alloc_bytes - base.alloc_bytes;
    EXPECT_NEAR(static_cast<double>(grew), static_cast<double>(predicted), predicted * 0.03)
        << "grew " << grew << " predicted " << predicted;
    reg.Detach("null0");
  }
  HeapStats after = Heap(**backend, p.node);
  EXPECT_EQ(after.alloc_bytes, base.alloc_bytes);
  EXPECT_LE(after.heap_bytes, base.heap_bytes + (4u << 20));  // pages given back
}

TEST(DpdkHugepages, TightSocketLimitGivesTheErrorValue) {
  REQUIRE_HUGEPAGES();
  auto backend = DpdkBackend::Create(HugeEnv::topo_);
  ASSERT_TRUE(backend.ok());
  PoolRegistry reg(**backend, HugeEnv::cfg_, HugeEnv::topo_);
  auto first = reg.Attach(NullPort("null0", 1500));  // 49 MB: fits under 64 MB
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto jumbo = reg.Attach(NullPort("null1", 9000));  // ~190 MB: does not
  ASSERT_FALSE(jumbo.ok());
  const PoolError& e = jumbo.error();
  EXPECT_EQ(e.code, ENOMEM) << e.message;
  EXPECT_NE(e.backend_error.find("rte_pktmbuf_pool_create"), std::string::npos);
  EXPECT_NE(e.message.find("capped at 64 MB by dpdk-socket-limit=\"64\""), std::string::npos)
      << e.message;
  EXPECT_NE(e.message.find("other_config:dpdk-socket-limit=\"1024\""), std::string::npos)
      << e.message;
  EXPECT_TRUE(e.restart_needed);
  EXPECT_TRUE(reg.Find("null0").has_value());  // the other port is unaffected
  EXPECT_EQ(reg.pool_count(), 1u);
}

}  // namespace
}  // namespace vs::numa
