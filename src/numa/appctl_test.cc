#include "numa/appctl.h"

#include <gtest/gtest.h>

#include "numa/sim_backend.h"
#include "numa/sysfs.h"

namespace vs::numa {
namespace {

TEST(MemoryCommands, ServeReportPreflightMallocStatsAndMempoolInfo) {
  auto topo = *ReadTopology(std::string(NUMAVS_FIXTURES) + "/two-node");
  auto cfg = *ParseEalConfig({{"dpdk-extra", "--legacy-mem"}, {"dpdk-socket-mem", "1024,0"}}, topo);
  auto backend = std::move(SimBackend::Create(topo, cfg).value());
  PoolRegistry reg(*backend, cfg, topo);
  PortSpec p;
  p.name = "dpdk1";
  p.node = 0;
  ASSERT_TRUE(reg.Attach(p).ok());

  asio::io_context io;
  auto srv = ctl::UnixctlServer::Create(io, ::testing::TempDir() + "/numa_appctl_test.ctl", "t");
  ASSERT_TRUE(srv.ok()) << srv.status().message();
  RegisterMemoryCommands(**srv, reg);

  auto show = (*srv)->Run("memory/show", {});
  ASSERT_TRUE(show.ok()) << show.status().message();
  EXPECT_NE(show->find("NUMA node 1: cpus 2-3"), std::string::npos) << *show;
  auto js = (*srv)->Run("memory/show", {"--format=json"});
  ASSERT_TRUE(js.ok());
  EXPECT_EQ(Json::parse(*js)["nodes"][0]["pools"][0]["ports"][0], "dpdk1");
  EXPECT_FALSE((*srv)->Run("memory/show", {"--format=xml"}).ok());

  auto pf = (*srv)->Run("memory/preflight", {"dpdk0,0000:81:00.1"});
  ASSERT_TRUE(pf.ok()) << pf.status().message();
  EXPECT_NE(pf->find("DOES NOT FIT"), std::string::npos) << *pf;
  EXPECT_NE(pf->find("other_config:dpdk-socket-mem=\"1024,1024\""), std::string::npos) << *pf;
  auto bad = (*srv)->Run("memory/preflight", {"dpdk0,0000:99:00.0"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("0000:99:00.0"), std::string::npos);

  auto ms = (*srv)->Run("dpdk/get-malloc-stats", {});
  ASSERT_TRUE(ms.ok());
  EXPECT_NE(ms->find("Heap id:0\n\tHeap name:socket_0\n\tHeap_size:1073741824,"), std::string::npos)
      << *ms;
  auto mi = (*srv)->Run("netdev-dpdk/get-mempool-info", {"dpdk1"});
  ASSERT_TRUE(mi.ok());
  EXPECT_NE(mi->find("ports=dpdk1"), std::string::npos) << *mi;
  EXPECT_FALSE((*srv)->Run("netdev-dpdk/get-mempool-info", {"dpdk9"}).ok());
  auto alias = (*srv)->Run("dpdk/get-mempool-info", {"dpdk1"});
  ASSERT_TRUE(alias.ok());
  EXPECT_EQ(*alias, *mi);
}

}  // namespace
}  // namespace vs::numa
