// Datapath microbenchmarks: key extraction (fast path and reference parser), EMC hit,
// megaflow hit by flow count and by subtable count, upcall, and the whole PMD batch path
// with 1 to 1,000,000 flows (the EMC holds 8,192 entries, so 100,000 flows and more
// mostly hit the megaflow classifier).
// Run: build/dp/bench/dp_bench   (not part of ctest; EAL --no-huge)
#include <benchmark/benchmark.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "dp/datapath.h"
#include "dp/emc.h"
#include "dp/pmd.h"
#include "dp/testing/packets.h"
#include "dp/xlate.h"

namespace vs::dp {
namespace {

using namespace vs::dp::testing;

rte_mempool* g_pool = nullptr;
constexpr size_t kIpDstOffset = 14 + 16;

rte_mbuf* Mbuf(const Frame& f) {
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(f.b.size())), f.b.data(), f.b.size());
  return m;
}

void SetDst(rte_mbuf* m, uint32_t dst) {
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*) + kIpDstOffset;
  p[0] = static_cast<uint8_t>(dst >> 24);
  p[1] = static_cast<uint8_t>(dst >> 16);
  p[2] = static_cast<uint8_t>(dst >> 8);
  p[3] = static_cast<uint8_t>(dst);
}

void BM_ExtractKey(benchmark::State& st) {
  rte_mbuf* m = Mbuf(TcpFrame(2, 1, Ip(1, 1, 1, 1), Ip(10, 0, 0, 1), 1000, 80, 10));
  FlowKey k;
  for (auto _ : st) {
    ExtractKey(m, 1, &k);
    benchmark::DoNotOptimize(k);
  }
  rte_pktmbuf_free(m);
}
BENCHMARK(BM_ExtractKey);

void BM_ExtractKeyReference(benchmark::State& st) {
  rte_mbuf* m = Mbuf(TcpFrame(2, 1, Ip(1, 1, 1, 1), Ip(10, 0, 0, 1), 1000, 80, 10));
  FlowKey k;
  for (auto _ : st) {
    ExtractKeyReference(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len, 1, &k);
    benchmark::DoNotOptimize(k);
  }
  rte_pktmbuf_free(m);
}
BENCHMARK(BM_ExtractKeyReference);

FlowKey KeyN(uint32_t i) {
  FlowKey k{};
  k.in_port = 1;
  k.dl_type = kEthTypeIpv4;
  k.nw_proto = kIpProtoTcp;
  k.nw_dst = 0x0a000000 + i;
  k.tp_dst = 80;
  return k;
}

void BM_EmcHit(benchmark::State& st) {
  const uint32_t n = static_cast<uint32_t>(st.range(0));
  Emc emc;
  Megaflow f;
  std::vector<FlowKey> keys;
  std::vector<uint32_t> hashes;
  for (uint32_t i = 0; i < n; i++) {
    keys.push_back(KeyN(i));
    hashes.push_back(HashKey(keys.back()));
    emc.Insert(keys.back(), hashes.back(), &f);
  }
  uint32_t i = 0, hits = 0;
  for (auto _ : st) {
    hits += emc.Lookup(keys[i], hashes[i]) != nullptr;
    if (++i == n) i = 0;
  }
  st.counters["hit_ratio"] = static_cast<double>(hits) / st.iterations();
}
BENCHMARK(BM_EmcHit)->Arg(1)->Arg(1000)->Arg(100000)->Arg(1000000);

// Megaflow hit: n megaflows exact on nw_dst plus 4 other subtables that miss first.
void BM_MegaflowHit(benchmark::State& st) {
  const uint32_t n = static_cast<uint32_t>(st.range(0));
  Dpcls cls;
  for (uint32_t s = 0; s < 4; s++) {
    auto mf = std::make_unique<Megaflow>();
    mf->match.key = KeyN(0);
    mf->match.key.tp_src = 7;
    mf->match.mask.in_port = ~0u;
    mf->match.mask.tp_src = 0xffff;
    mf->match.mask.nw_src = ~0u << s;
    cls.Insert(std::move(mf));
  }
  for (uint32_t i = 0; i < n; i++) {
    auto mf = std::make_unique<Megaflow>();
    mf->match.key = KeyN(i);
    mf->match.mask.in_port = ~0u;
    mf->match.mask.dl_type = 0xffff;
    mf->match.mask.nw_dst = ~0u;
    cls.Insert(std::move(mf));
  }
  // Keys precomputed; a window of 32 starting anywhere below n stays inside the array.
  std::vector<FlowKey> keys;
  for (uint32_t j = 0; j < n + 32; j++) keys.push_back(KeyN(j % n));
  uint32_t i = 0;
  for (auto _ : st) {
    Megaflow* flows[32];
    uint32_t miss = ~0u;
    cls.LookupBatch(keys.data() + i, &miss, flows);
    i += 32;
    if (i >= n) i = 0;
    benchmark::DoNotOptimize(flows);
    if (miss) st.SkipWithError("unexpected megaflow miss");
  }
  st.SetItemsProcessed(st.iterations() * 32);
}
BENCHMARK(BM_MegaflowHit)->Arg(1)->Arg(1000)->Arg(100000)->Arg(1000000);

// Megaflow hit with `flows` megaflows spread evenly over `subtables` masks (nw_dst exact
// plus a different nw_src prefix and tp_src mask per subtable), in insertion order (no
// ranking): a lookup probes on average half the subtables — or, with smc:1, the signature
// cache answers for keys seen before (the keys cycle).
void BM_MegaflowSubtables(benchmark::State& st) {
  const uint32_t n_sub = static_cast<uint32_t>(st.range(0));
  const uint32_t n = static_cast<uint32_t>(st.range(1));
  static constexpr uint16_t kTpMasks[] = {0xffff, 0xff00, 0xf000, 0};
  Dpcls cls;
  cls.SetSmc(st.range(2) != 0);
  std::vector<FlowKey> keys;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t s = i % n_sub;
    auto mf = std::make_unique<Megaflow>();
    mf->match.key = KeyN(i);
    mf->match.mask.in_port = ~0u;
    mf->match.mask.dl_type = 0xffff;
    mf->match.mask.nw_dst = ~0u;
    mf->match.mask.nw_src = ~0u << (s % 32);
    mf->match.mask.tp_src = kTpMasks[(s / 32) % 4];
    keys.push_back(mf->match.key);
    cls.Insert(std::move(mf));
  }
  if (cls.subtables() != n_sub) st.SkipWithError("wrong subtable count");
  for (uint32_t j = 0; j < 32; j++) keys.push_back(keys[j]);
  uint32_t i = 0;
  uint64_t smc_hits = 0;
  for (auto _ : st) {
    Megaflow* flows[32];
    uint32_t miss = ~0u;
    smc_hits += cls.LookupBatch(keys.data() + i, &miss, flows);
    i += 32;
    if (i >= n) i = 0;
    benchmark::DoNotOptimize(flows);
    if (miss) st.SkipWithError("unexpected megaflow miss");
  }
  st.SetItemsProcessed(st.iterations() * 32);
  st.counters["smc_hit"] = static_cast<double>(smc_hits) / (st.iterations() * 32.0);
}
BENCHMARK(BM_MegaflowSubtables)
    ->ArgsProduct({{1, 10, 100}, {1000, 100000}, {0, 1}})
    ->ArgNames({"subtables", "flows", "smc"});

// Upcall on a table of `rules` IPv4 /24 rules (the last one matches) plus NORMAL.
void BM_Upcall(benchmark::State& st) {
  DatapathOptions o;
  auto dp = std::move(Datapath::Create(o).value());
  (void)dp->AddBridge("br0");
  (void)dp->AddPort("br0", {"p1", -1, {}});
  (void)dp->AddPort("br0", {"p2", -1, {}});
  const int rules = static_cast<int>(st.range(0));
  for (int r = 0; r < rules; r++) {
    (void)dp->AddFlow("br0", fmt::format("priority=100,ip,nw_dst=10.{}.{}.0/24,actions=output:p2",
                                         r / 256, r % 256));
  }
  FlowKey k = KeyN(0);
  k.nw_dst = 0x0a000000 | static_cast<uint32_t>((rules - 1) / 256) << 16 |
             static_cast<uint32_t>((rules - 1) % 256) << 8;
  UpcallResult r;
  for (auto _ : st) {
    Upcall(*dp->snapshot(), k, 0, false, &r, nullptr);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_Upcall)->Arg(1)->Arg(1000);

// The whole PMD batch path: 32-packet bursts over n distinct flows (destination IPs) with
// the three rule sets: (a) one output rule, (b) NORMAL, (c) 1,000 IPv4 rules.
enum Mode { kOutputRule = 0, kNormal = 1, kThousandRules = 2 };

void BM_PmdBurst(benchmark::State& st) {
  const uint32_t n = static_cast<uint32_t>(st.range(0));
  const auto mode = static_cast<Mode>(st.range(2));
  DatapathOptions o;
  o.max_megaflows = 2000000;
  o.emc_insert_inv_prob = static_cast<uint32_t>(st.range(1));
  auto dp = std::move(Datapath::Create(o).value());
  (void)dp->AddBridge("br0");
  (void)dp->AddPort("br0", {"p1", -1, {}});
  (void)dp->AddPort("br0", {"p2", -1, {}});
  if (mode == kOutputRule) {
    // An exact nw_dst rule above it makes every flow its own megaflow.
    (void)dp->AddFlow("br0", "priority=10,ip,nw_dst=192.168.0.1,actions=drop");
    (void)dp->AddFlow("br0", "priority=5,in_port=p1,actions=output:p2");
  } else if (mode == kThousandRules) {
    (void)dp->DelFlows("br0", "", false);
    for (int r = 0; r < 1000; r++) {
      (void)dp->AddFlow("br0", fmt::format("priority=100,ip,nw_dst=10.{}.{}.0/24,"
                                           "actions=output:p2",
                                           r / 256, r % 256));
    }
  }
  auto pmd = std::move(Pmd::Create(dp.get(), 0).value());
  pmd->Online();
  TxBatches tx(8);
  rte_mbuf* pkts[32];
  if (mode == kNormal) {  // teach the bridge where MAC 2 is
    rte_mbuf* m = Mbuf(TcpFrame(1, 2, Ip(1, 1, 1, 2), Ip(1, 1, 1, 1), 80, 1000));
    pmd->ProcessBurst(2, &m, 1, &tx);
    for (uint32_t i = 0; i < tx.n_touched(); i++) {
      rte_pktmbuf_free_bulk(tx.queue(tx.touched(i)).pkts, tx.queue(tx.touched(i)).count);
    }
    tx.Reset();
  }
  for (auto& m : pkts) m = Mbuf(TcpFrame(2, 1, Ip(1, 1, 1, 1), Ip(10, 0, 0, 1), 1000, 80));
  uint32_t i = 0;
  for (auto _ : st) {
    for (auto* m : pkts) {
      // Spread over the 1,000 /24s in mode (c): the third byte and the second vary.
      SetDst(m,
             mode == kThousandRules ? 0x0a000000 | (i % 1000) << 8 | (i / 1000) : 0x0a000000 + i);
      if (++i == n) i = 0;
    }
    pmd->ProcessBurst(1, pkts, 32, &tx);
    if (tx.queue(2).count != 32) {
      st.SkipWithError("packets not forwarded");
      break;
    }
    std::memcpy(pkts, tx.queue(2).pkts, sizeof(pkts));
    tx.Reset();
    pmd->Quiescent();
  }
  const PmdStats& s = pmd->stats();
  double rx = static_cast<double>(s.rx_packets.load());
  st.counters["emc"] = s.emc_hits.load() / rx;
  st.counters["megaflow"] = s.megaflow_hits.load() / rx;
  st.counters["upcall"] = s.upcalls.load() / rx;
  st.counters["Mpps"] = benchmark::Counter(static_cast<double>(st.iterations()) * 32 / 1e6,
                                           benchmark::Counter::kIsRate);
  rte_pktmbuf_free_bulk(pkts, 32);
  pmd->Offline();
  pmd.reset();
}
BENCHMARK(BM_PmdBurst)
    ->ArgsProduct({{1, 1000, 100000, 1000000}, {0, 1, 100}, {kOutputRule, kNormal, kThousandRules}})
    ->ArgNames({"flows", "emc_inv_prob", "rules"});

}  // namespace
}  // namespace vs::dp

int main(int argc, char** argv) {
  std::string prefix = "numavs_dp_bench_" + std::to_string(getpid());
  std::vector<std::string> args = {"dp_bench",
                                   "--no-huge",
                                   "-m",
                                   "256",
                                   "--no-pci",
                                   "--no-shconf",
                                   "--no-telemetry",
                                   "-l",
                                   "0",
                                   "--log-level=lib.eal:error",
                                   "--file-prefix=" + prefix};
  std::vector<char*> eal_argv;
  for (auto& a : args) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  vs::dp::g_pool =
      rte_pktmbuf_pool_create("dp_bench", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (!vs::dp::g_pool) {
    std::fprintf(stderr, "mempool: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  rte_mempool_free(vs::dp::g_pool);
  std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  std::error_code ec;
  if (!runtime_dir.empty()) std::filesystem::remove_all(runtime_dir, ec);
  return 0;
}
