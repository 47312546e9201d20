// Acceptance 5: pool create/destroy time (simulated and real DPDK --no-huge) and the hugepage
// memory numavs needs for the seed's configuration (2 ports: MTU 1500 and MTU 9000, default
// queues) next to what OVS-DPDK 3.1 allocates for the same ports, as a ratio.
//
// OVS-DPDK 3.1 figures (its default shared-memory model, 262,144 mbufs per (socket, MTU) pool):
//   MTU 1500: measured on this machine, dpdk/get-malloc-stats Heap_size 799,014,912 bytes after
//             the pool (../shared/anchors/ovs-dpdk/RESULTS.md; get-mempool-info total_obj_size
//             3008 B).
//   MTU 9000: computed with the same layout as measured at 1500 (header 64 + mbuf 128 + OVS
//             private area 576 + data room 9344 + trailer 64 = 10,176 B per object) x 262,144,
//             because the anchor did not run a 9000-byte pool with the default memory model.
// Run: build/numa/bench/numa_pool_bench   (not part of ctest)
#include <benchmark/benchmark.h>
#include <unistd.h>

#include "base/log.h"
#include "numa/dpdk_backend.h"
#include "numa/eal.h"
#include "numa/pool.h"
#include "numa/sim_backend.h"
#include "numa/sysfs.h"

namespace vs::numa {
namespace {

constexpr double kOvs31Mtu1500Bytes = 799014912.0;       // measured
constexpr double kOvs31Mtu9000Bytes = 262144.0 * 10176;  // computed, see above

Topology g_topo;
EalConfig g_cfg;
bool g_eal = false;

void BM_SimPoolCreateDestroy(benchmark::State& st) {
  auto topo = *Topology::FromCpuMap("0,0,1,1", 512);
  auto cfg = *ParseEalConfig({}, topo);
  auto backend = std::move(SimBackend::Create(topo, cfg).value());
  PoolRegistry reg(*backend, cfg, topo);
  PortSpec p;
  p.name = "dpdk0";
  p.node = 1;
  for (auto _ : st) {
    auto r = reg.Attach(p);
    benchmark::DoNotOptimize(r.ok());
    reg.Detach("dpdk0");
  }
}
BENCHMARK(BM_SimPoolCreateDestroy);

void BM_DpdkPoolCreateDestroy(benchmark::State& st) {
  if (!g_eal) {
    st.SkipWithError("the EAL did not start");
    return;
  }
  auto backend = std::move(DpdkBackend::Create(g_topo).value());
  PoolRegistry reg(*backend, g_cfg, g_topo);
  PortSpec p;
  p.name = "dpdk0";
  p.node = 0;
  p.mtu = static_cast<int>(st.range(0));
  for (auto _ : st) {
    auto r = reg.Attach(p);
    if (!r.ok()) {
      st.SkipWithError(r.error().message.c_str());
      break;
    }
    reg.Detach("dpdk0");
  }
}
BENCHMARK(BM_DpdkPoolCreateDestroy)->Arg(1500)->Arg(9000)->Unit(benchmark::kMillisecond);

// Memory for the seed's two ports, numavs vs OVS-DPDK 3.1 (counters; the timing is irrelevant).
void BM_SeedConfigMemory(benchmark::State& st) {
  auto topo = *Topology::FromCpuMap("0,0,1,1", 4096);
  auto cfg = *ParseEalConfig({}, topo);
  std::vector<PortSpec> ports{{.name = "dpdk0", .node = 1, .mtu = 1500},
                              {.name = "dpdk1", .node = 1, .mtu = 9000}};
  Plan plan;
  for (auto _ : st) plan = MakePlan(ports, cfg, topo);
  double numavs = 0;
  for (const auto& p : plan.pools) numavs += static_cast<double>(p.bytes);
  double ovs = kOvs31Mtu1500Bytes + kOvs31Mtu9000Bytes;
  st.counters["numavs_MB"] = numavs / (1 << 20);
  st.counters["ovs31_MB"] = ovs / (1 << 20);
  st.counters["ovs31_over_numavs"] = ovs / numavs;
  st.counters["numavs_mtu1500_MB"] = static_cast<double>(plan.pools[0].bytes) / (1 << 20);
  st.counters["numavs_mtu9000_MB"] = static_cast<double>(plan.pools[1].bytes) / (1 << 20);
}
BENCHMARK(BM_SeedConfigMemory)->Iterations(10);

}  // namespace
}  // namespace vs::numa

int main(int argc, char** argv) {
  using namespace vs::numa;
  (void)vs::log::ApplySpec("ANY:console:warn");
  auto topo = ReadTopology("/");
  if (topo.ok()) {
    g_topo = *topo;
    auto cfg = ParseEalConfig(
        {{"dpdk-init", "true"},
         {"dpdk-extra", fmt::format("--no-huge -m 1024 --no-pci --no-shconf --no-telemetry "
                                    "--file-prefix=numavs_bench_{}",
                                    getpid())}},
        g_topo);
    if (cfg.ok()) {
      g_cfg = *cfg;
      g_eal = Eal::Init(g_cfg, g_topo, "numavs-pool-bench").ok();
    }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  Eal::Shutdown();
  return 0;
}
