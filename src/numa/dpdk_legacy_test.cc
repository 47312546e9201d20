// The seed's memory mode on the real EAL: --legacy-mem with a fixed dpdk-socket-mem on real 2 MB
// hugepages. A node holds exactly its socket-mem for the process's life; a pool that does not fit
// is an error value naming what the node has and the dpdk-socket-mem that fixes it, and the
// ports that have pools keep them. One EAL per process: its own binary and CTest entry.
#include <gtest/gtest.h>
#include <unistd.h>

#include "numa/dpdk_backend.h"
#include "numa/dpdk_hugepage_env.h"
#include "numa/pool.h"

namespace vs::numa {

OtherConfig HugeEnv::MakeConfig(const std::string& dir) {
  return {{"dpdk-init", "true"},
          {"dpdk-hugepage-dir", dir},
          {"dpdk-socket-mem", "64"},
          {"dpdk-extra",
           fmt::format("--legacy-mem --no-pci --no-telemetry --file-prefix=numavs_legacy_{}",
                       getpid())}};
}

namespace {

const auto* kEnv = ::testing::AddGlobalTestEnvironment(new HugeEnv);

PortSpec Port(const std::string& name, int mtu) {
  auto loc = ResolveDeviceNode(HugeEnv::topo_, "net_null0", 0);
  EXPECT_TRUE(loc.ok());
  PortSpec p;
  p.name = name;
  p.node = loc.ok() ? loc->node : 0;
  p.mtu = mtu;
  return p;
}

TEST(DpdkLegacyMemory, FixedSocketMemIsAllANodeEverHas) {
  REQUIRE_HUGEPAGES();
  EXPECT_NE(std::find(Eal::args().begin(), Eal::args().end(), "--legacy-mem"), Eal::args().end());
  EXPECT_EQ(std::find(Eal::args().begin(), Eal::args().end(), "--in-memory"), Eal::args().end());
  auto backend = DpdkBackend::Create(HugeEnv::topo_);
  ASSERT_TRUE(backend.ok());
  auto heap = [&] {
    for (const auto& h : (*backend)->Heaps()) {
      if (h.node == 0) return h;
    }
    return HeapStats{};
  };
  EXPECT_EQ(heap().heap_bytes, 64u << 20);  // reserved at start, all of it
  PoolRegistry reg(**backend, HugeEnv::cfg_, HugeEnv::topo_);
  auto a = reg.Attach(Port("dpdk1", 1500));  // 49 MB: fits in 64
  ASSERT_TRUE(a.ok()) << a.error().message;
  auto b = reg.Attach(Port("dpdk0", 9000));  // 193 MB: does not, and never will in this process
  ASSERT_FALSE(b.ok());
  const PoolError& e = b.error();
  EXPECT_EQ(e.code, ENOMEM) << e.message;
  EXPECT_NE(e.message.find("could not allocate 193 MB of packet buffers on NUMA node 0 for dpdk0: "
                           "node 0 has "),
            std::string::npos)
      << e.message;
  EXPECT_NE(e.message.find("of 64 MB reserved for DPDK (dpdk-socket-mem=\"64\", legacy memory)"),
            std::string::npos)
      << e.message;
  EXPECT_NE(e.message.find("other_config:dpdk-socket-mem=\"1024\""), std::string::npos)
      << e.message;
  EXPECT_TRUE(e.restart_needed);
  EXPECT_EQ(heap().heap_bytes, 64u << 20);  // no growth in legacy mode
  EXPECT_TRUE(reg.Find("dpdk1").has_value());
  reg.Detach("dpdk1");
  EXPECT_EQ(heap().heap_bytes, 64u << 20);  // and nothing given back either
}

}  // namespace
}  // namespace vs::numa
