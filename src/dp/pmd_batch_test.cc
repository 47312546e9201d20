// The PMD batch path over real mbufs: EMC -> megaflow -> upcall, actions on packet bytes,
// clones and reference counts (no leaks), counters, revalidation on table changes, and a
// control thread changing the tables while a PMD thread forwards (RCU).
// One EAL per process: this is its own binary.
#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <random>
#include <thread>

#include "dp/datapath.h"
#include "dp/pmd.h"
#include "dp/testing/packets.h"

namespace vs::dp {
namespace {

using namespace vs::dp::testing;

rte_mempool* g_pool = nullptr;

class EalEnv : public ::testing::Environment {
 public:
  void SetUp() override {
    std::string prefix = "numavs_dp_pmd_" + std::to_string(getpid());
    std::vector<std::string> args = {"dp_pmd_test",
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
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    int rc = rte_eal_init(static_cast<int>(argv.size()), argv.data());
    ASSERT_GE(rc, 0) << "rte_eal_init: " << rte_strerror(rte_errno);
    g_pool =
        rte_pktmbuf_pool_create("dp_test", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(g_pool, nullptr) << rte_strerror(rte_errno);
  }
  void TearDown() override {
    rte_mempool_free(g_pool);
    // EAL leaves its (empty) runtime directory behind; this process owns it.
    std::string runtime_dir = rte_eal_get_runtime_dir();
    rte_eal_cleanup();
    std::error_code ec;
    if (!runtime_dir.empty()) std::filesystem::remove_all(runtime_dir, ec);
  }
};
const auto* kEnv = ::testing::AddGlobalTestEnvironment(new EalEnv);

rte_mbuf* Mbuf(const Frame& f) {
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  EXPECT_NE(m, nullptr);
  char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(f.b.size()));
  if (!f.b.empty()) std::memcpy(p, f.b.data(), f.b.size());
  return m;
}

std::vector<uint8_t> Bytes(const rte_mbuf* m) {
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  return std::vector<uint8_t>(p, p + m->data_len);
}

class PmdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DatapathOptions o;
    o.clock = [this] { return now_.fetch_add(tick_ns_); };
    o.max_ports = 16;
    o.max_megaflows = max_megaflows_;
    o.emc_insert_inv_prob = 1;  // deterministic EMC counts
    auto r = Datapath::Create(o);
    ASSERT_TRUE(r.ok());
    dp_ = std::move(r.value());
    ASSERT_TRUE(dp_->AddBridge("br0").ok());
    ASSERT_TRUE(dp_->AddPort("br0", {"p1", 10, {}}).ok());  // 1: access 10
    ASSERT_TRUE(dp_->AddPort("br0", {"p2", 10, {}}).ok());  // 2: access 10
    ASSERT_TRUE(dp_->AddPort("br0", {"p3", -1, {}}).ok());  // 3: trunk
    auto p = Pmd::Create(dp_.get(), 0);
    ASSERT_TRUE(p.ok()) << p.status().message();
    pmd_ = std::move(p.value());
    pmd_->Online();
    tx_ = std::make_unique<TxBatches>(16);
  }
  void TearDown() override {
    FreeTx();
    pmd_->Offline();
    pmd_.reset();
    dp_->rcu().Synchronize();
    dp_.reset();
    EXPECT_EQ(rte_mempool_in_use_count(g_pool), 0u) << "mbuf leak";
  }
  void FreeTx() {
    for (uint32_t i = 0; i < tx_->n_touched(); i++) {
      auto& q = tx_->queue(tx_->touched(i));
      rte_pktmbuf_free_bulk(q.pkts, q.count);
    }
    tx_->Reset();
  }
  uint16_t TxCount(uint32_t port) { return tx_->queue(port).count; }
  void Send(uint32_t in_port, std::vector<Frame> frames) {
    std::vector<rte_mbuf*> pkts;
    for (auto& f : frames) pkts.push_back(Mbuf(f));
    pmd_->ProcessBurst(in_port, pkts.data(), static_cast<uint16_t>(pkts.size()), tx_.get());
    pmd_->Quiescent();
  }
  std::string DumpRules() { return *dp_->DumpFlows("br0"); }

  size_t max_megaflows_ = 65536;
  uint64_t tick_ns_ = 0;  // the clock advances this much on every reading
  std::atomic<uint64_t> now_{5000000000};
  std::unique_ptr<Datapath> dp_;
  std::unique_ptr<Pmd> pmd_;
  std::unique_ptr<TxBatches> tx_;
};

TEST_F(PmdTest, OutputRuleEmcMegaflowUpcallAndCounters) {
  ASSERT_TRUE(dp_->AddFlow("br0",
                           "priority=100,in_port=p1,ip,nw_dst=10.0.0.0/8,"
                           "actions=output:p2")
                  .ok());
  std::vector<Frame> burst;
  for (int i = 0; i < 32; i++) {
    burst.push_back(TcpFrame(2, 1, Ip(1, 1, 1, 1), Ip(10, 0, 0, i % 4), 1000, 80));
  }
  Send(1, burst);
  EXPECT_EQ(TxCount(2), 32);
  EXPECT_EQ(pmd_->stats().upcalls.load(), 1u);  // one megaflow covers 10/8
  // The other 31 packets find the megaflow the first one installed.
  EXPECT_EQ(pmd_->stats().megaflow_hits.load(), 31u);
  EXPECT_EQ(pmd_->stats().emc_hits.load(), 0u);
  EXPECT_EQ(pmd_->megaflow_count(), 1u);
  FreeTx();
  Send(1, burst);
  EXPECT_EQ(pmd_->stats().emc_hits.load(), 32u);
  EXPECT_EQ(pmd_->stats().rx_packets.load(), 64u);
  EXPECT_EQ(pmd_->stats().tx_packets.load(), 64u);
  std::string text = pmd_->StatsText(4, 64);
  // OVS 3.1's lines, in its order, then numavs's.
  EXPECT_NE(text.find("  packets received: 64\n  packet recirculations: 0\n"
                      "  avg. datapath passes per packet: 1.00\n  phwol hits: 0\n"
                      "  mfex opt hits: 0\n  simple match hits: 0\n"
                      "  emc hits: 32\n  smc hits: 0\n"
                      "  megaflow hits: 31\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  miss with success upcall: 1\n  miss with failed upcall: 0\n"
                      "  avg. packets per output batch: 16.00\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  same-flow hits: 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  megaflows: 1\n"), std::string::npos) << text;
  size_t len = burst[0].b.size();
  EXPECT_NE(DumpRules().find(fmt::format("n_packets=64, n_bytes={}, priority=100", 64 * len)),
            std::string::npos)
      << DumpRules();
  std::string mf = pmd_->DumpFlows(dp_->Namer());
  EXPECT_EQ(mf, fmt::format("in_port(p1),eth_type(0x0800),ipv4(dst=10.0.0.0/255.0.0.0), "
                            "packets:64, bytes:{}, used:0.000s, actions:p2\n",
                            64 * len));
}

// A rule on in_port alone gives an in_port-only megaflow: later batches from that port
// take it whole (simple match), without parsing, and still count per rule and megaflow.
TEST_F(PmdTest, SimpleMatchTakesWholeBatches) {
  ASSERT_TRUE(dp_->AddFlow("br0", "priority=100,in_port=p1,actions=output:p2").ok());
  std::vector<Frame> burst;
  for (int i = 0; i < 32; i++) {
    burst.push_back(TcpFrame(2, 1, Ip(1, 1, 1, i), Ip(10, 0, 0, i), 1000 + i, 80));
  }
  Send(1, burst);
  EXPECT_EQ(TxCount(2), 32);
  EXPECT_EQ(pmd_->stats().upcalls.load(), 1u);
  EXPECT_EQ(pmd_->stats().simple_match_hits.load(), 0u);
  FreeTx();
  Send(1, burst);
  Send(1, burst);
  EXPECT_EQ(TxCount(2), 64);
  EXPECT_EQ(pmd_->stats().simple_match_hits.load(), 64u);
  // The tx batch is full: a third batch is freed and counted, not leaked.
  Send(1, burst);
  EXPECT_EQ(TxCount(2), 64);
  EXPECT_EQ(pmd_->stats().tx_overflow.load(), 32u);
  EXPECT_EQ(pmd_->stats().simple_match_hits.load(), 96u);
  EXPECT_EQ(pmd_->stats().emc_hits.load() + pmd_->stats().megaflow_hits.load(), 31u);
  size_t len = burst[0].b.size();
  EXPECT_NE(DumpRules().find(fmt::format("n_packets=128, n_bytes={}, priority=100", 128 * len)),
            std::string::npos)
      << DumpRules();
  EXPECT_EQ(pmd_->DumpFlows(dp_->Namer()),
            fmt::format("in_port(p1), packets:128, bytes:{}, used:0.000s, actions:p2\n", 128 * len));
  // Packets from another port do not take p1's flow.
  FreeTx();
  Send(2, {burst[0]});
  EXPECT_EQ(pmd_->stats().simple_match_hits.load(), 96u);
  // A change of the table ends it: the next batch classifies again.
  ASSERT_TRUE(dp_->AddFlow("br0", "priority=200,in_port=p1,tcp,tp_dst=80,actions=drop").ok());
  FreeTx();
  Send(1, burst);
  EXPECT_EQ(TxCount(2), 0);
  EXPECT_EQ(pmd_->stats().simple_match_hits.load(), 96u);
  EXPECT_EQ(pmd_->stats().dropped_by_actions.load(), 32u);
}

// With many more flows than EMC entries the EMC is bypassed at the first review (almost
// every probe misses); one batch in kEmcProbeEvery still probes it; the answers stay the
// same either way.
TEST_F(PmdTest, EmcBypassedWhenItCannotPay) {
  ASSERT_TRUE(dp_->AddFlow("br0", "priority=100,in_port=p1,ip,nw_dst=10.0.0.0/8,"
                                  "actions=output:p2").ok());
  std::vector<Frame> burst(32);
  uint32_t flow = 0;
  for (uint32_t b = 0; b < kEmcReviewBatches + 1; b++) {
    for (auto& f : burst) {  // a new 5-tuple for every packet
      flow++;
      f = TcpFrame(2, 1, Ip(1, 1, flow >> 8, flow), Ip(10, 0, 0, 1), flow, 80);
    }
    Send(1, burst);
    ASSERT_EQ(TxCount(2), 32);
    FreeTx();
  }
  EXPECT_EQ(pmd_->stats().emc_enabled.load(), 0u);
  uint64_t emc = pmd_->stats().emc_lookups.load();
  uint64_t mf = pmd_->stats().megaflow_hits.load();
  for (uint32_t b = 0; b < kEmcProbeEvery; b++) {
    Send(1, burst);
    EXPECT_EQ(TxCount(2), 32);
    FreeTx();
  }
  // One probe batch in kEmcProbeEvery still looks in the EMC.
  EXPECT_EQ(pmd_->stats().emc_lookups.load(), emc + 32);
  EXPECT_GE(pmd_->stats().megaflow_hits.load(), mf + 32 * (kEmcProbeEvery - 1));
  std::string perf = pmd_->PerfText();
  EXPECT_NE(perf.find("Exact-match cache: bypassed"), std::string::npos) << perf;
  EXPECT_NE(perf.find("Megaflows: 1 in 1 subtables"), std::string::npos) << perf;
  for (const char* stage : {"receive", "parse", "exact-match cache", "classifier", "slow path",
                            "actions", "transmit", "other", "total"}) {
    EXPECT_NE(perf.find(fmt::format("    {:<18} ", stage)), std::string::npos) << stage;
  }
}

// Back-to-back packets of one flow take the previous packet's flow without lookups, also
// when that flow came from an upcall in the same batch; counters see every packet.
TEST_F(PmdTest, SameFlowRunsSkipLookups) {
  ASSERT_TRUE(dp_->AddFlow("br0", "priority=100,ip,nw_dst=10.0.0.1,actions=output:p2").ok());
  ASSERT_TRUE(dp_->AddFlow("br0", "priority=90,ip,actions=drop").ok());
  Frame a = TcpFrame(2, 1, Ip(1, 1, 1, 1), Ip(10, 0, 0, 1), 1000, 80);
  Frame b = TcpFrame(2, 1, Ip(1, 1, 1, 1), Ip(10, 0, 0, 2), 1000, 80);
  Send(1, {a, a, a, b, b, a, a});
  EXPECT_EQ(TxCount(2), 5);
  EXPECT_EQ(pmd_->stats().same_flow_hits.load(), 4u);
  EXPECT_EQ(pmd_->stats().upcalls.load(), 2u);
  EXPECT_EQ(pmd_->stats().megaflow_hits.load(), 1u);  // the second run of a
  EXPECT_EQ(pmd_->stats().dropped_by_actions.load(), 2u);
  size_t len = a.b.size();
  EXPECT_NE(DumpRules().find(fmt::format("n_packets=5, n_bytes={}, priority=100", 5 * len)),
            std::string::npos)
      << DumpRules();
  EXPECT_NE(DumpRules().find(fmt::format("n_packets=2, n_bytes={}, priority=90", 2 * len)),
            std::string::npos)
      << DumpRules();
}

// Lookups that walk many subtables switch the signature cache on at the next review; it
// answers for the flows it has seen from then on, and the answers stay right.
TEST_F(PmdTest, SignatureCacheWhenWalksAreLong) {
  // Rule k (k = 1..8, priority 200 - k) matches source 192.168.k.0/24 and destination
  // 10.1.0.0/(16 + k); the traffic of class k misses rules 1..k-1 and hits rule k, so its
  // megaflow mask has destination /(16 + k): 8 subtables, walked 4.5 deep on average.
  for (int k = 1; k <= 8; k++) {
    ASSERT_TRUE(dp_->AddFlow("br0", fmt::format("priority={},ip,nw_src=192.168.{}.0/24,"
                                                "nw_dst=10.1.0.0/{},actions=output:p2",
                                                200 - k, k, 16 + k))
                    .ok());
  }
  std::vector<Frame> burst(32);
  uint32_t flow = 0;
  auto next_burst = [&] {
    // 50,000 flows (too many for the EMC) in a cycle, classes round robin.
    for (auto& f : burst) {
      uint32_t c = flow++ % 50000;
      f = TcpFrame(2, 1, Ip(192, 168, 1 + c % 8, c % 251), Ip(10, 1, 0, (c / 8) % 256),
                   static_cast<uint16_t>(c), 80);
    }
  };
  for (uint32_t b = 0; b < 3 * kEmcReviewBatches; b++) {
    next_burst();
    Send(1, burst);
    ASSERT_EQ(TxCount(2), 32) << "batch " << b;
    FreeTx();
  }
  EXPECT_EQ(pmd_->stats().subtables.load(), 8u) << pmd_->PerfText();
  EXPECT_EQ(pmd_->stats().smc_enabled.load(), 1u) << pmd_->PerfText();
  EXPECT_GT(pmd_->stats().smc_hits.load(), 0u) << pmd_->PerfText();
  EXPECT_NE(pmd_->PerfText().find("Signature cache: in use"), std::string::npos);
}

TEST_F(PmdTest, NormalFloodsWithVlanRewritesAndNoLeaks) {
  Frame f = TcpFrame(0x0a0000000002, 0x0a0000000001, Ip(1, 1, 1, 1), Ip(2, 2, 2, 2), 1, 2);
  Send(1, {f});
  ASSERT_EQ(TxCount(2), 1);
  ASSERT_EQ(TxCount(3), 1);
  EXPECT_EQ(Bytes(tx_->queue(2).pkts[0]), f.b);  // access: untagged, unchanged
  Frame tagged = TcpFrame(0x0a0000000002, 0x0a0000000001, Ip(1, 1, 1, 1), Ip(2, 2, 2, 2), 1, 2, 10);
  EXPECT_EQ(Bytes(tx_->queue(3).pkts[0]), tagged.b);        // trunk: tagged 10
  EXPECT_NE(tx_->queue(2).pkts[0], tx_->queue(3).pkts[0]);  // a copy: the tag came after
  FreeTx();
  // The reply is learned-forwarded, tagged 10 in from the trunk, untagged out at p1.
  Frame reply = TcpFrame(0x0a0000000001, 0x0a0000000002, Ip(2, 2, 2, 2), Ip(1, 1, 1, 1), 2, 1, 10);
  Send(3, {reply});
  ASSERT_EQ(TxCount(1), 1);
  EXPECT_EQ(TxCount(2), 0);
  EXPECT_EQ(Bytes(tx_->queue(1).pkts[0]),
            TcpFrame(0x0a0000000001, 0x0a0000000002, Ip(2, 2, 2, 2), Ip(1, 1, 1, 1), 2, 1).b);
  auto fdb = dp_->FdbShow("br0");
  EXPECT_NE(fdb->find("0a:00:00:00:00:02"), std::string::npos) << *fdb;
}

TEST_F(PmdTest, HousekeepingKeepsActiveStationsLearned) {
  Frame a_to_b = TcpFrame(0x0b, 0x0a, 1, 2, 3, 4);
  Frame b_to_a = TcpFrame(0x0a, 0x0b, 2, 1, 4, 3);
  Send(1, {a_to_b});
  Send(2, {b_to_a});  // learns b; a's entry is known
  FreeTx();
  Send(1, {a_to_b});  // installs a->b as a unicast megaflow
  EXPECT_EQ(TxCount(2), 1);
  FreeTx();
  uint64_t upcalls = pmd_->stats().upcalls.load();
  for (int t = 0; t < 7; t++) {  // 350 s of traffic that only hits the cache
    now_ += 50ull * 1000000000;
    Send(1, {a_to_b});
    Send(2, {b_to_a});
    pmd_->Housekeep();
    dp_->Run();  // ages entries out unless housekeeping refreshed them
    FreeTx();
  }
  // Both directions stayed cached the whole time (revalidation kept them).
  EXPECT_EQ(pmd_->stats().upcalls.load(), upcalls);
  std::string fdb = *dp_->FdbShow("br0");
  EXPECT_NE(fdb.find("00:00:00:00:00:0a"), std::string::npos) << fdb;
  EXPECT_NE(fdb.find("00:00:00:00:00:0b"), std::string::npos) << fdb;
  // Without traffic they age out.
  now_ += 301ull * 1000000000;
  dp_->Run();
  EXPECT_EQ(dp_->FdbShow("br0")->find("00:00:00:00:00:0a"), std::string::npos);
}

TEST_F(PmdTest, FloodSharesOneMbufByRefcount) {
  ASSERT_TRUE(dp_->AddFlow("br0", "priority=5,in_port=p1,actions=FLOOD").ok());
  Send(1, {TcpFrame(2, 1, 1, 2, 3, 4)});
  ASSERT_EQ(TxCount(2), 1);
  ASSERT_EQ(TxCount(3), 1);
  EXPECT_EQ(tx_->queue(2).pkts[0], tx_->queue(3).pkts[0]);
  EXPECT_EQ(rte_mbuf_refcnt_read(tx_->queue(2).pkts[0]), 2);
}

TEST_F(PmdTest, HeaderActionsInPlace) {
  ASSERT_TRUE(dp_->AddFlow("br0",
                           "priority=5,in_port=p3,actions=strip_vlan,"
                           "mod_dl_dst:02:00:00:00:00:09,output:p1")
                  .ok());
  ASSERT_TRUE(dp_->AddFlow("br0",
                           "priority=5,in_port=p2,actions=mod_vlan_vid:77,"
                           "mod_vlan_pcp:5,output:p3")
                  .ok());
  Send(3, {TcpFrame(2, 1, 1, 2, 3, 4, 33)});
  ASSERT_EQ(TxCount(1), 1);
  EXPECT_EQ(Bytes(tx_->queue(1).pkts[0]), TcpFrame(0x020000000009, 1, 1, 2, 3, 4).b);
  Send(2, {TcpFrame(2, 1, 1, 2, 3, 4)});
  ASSERT_EQ(TxCount(3), 1);
  EXPECT_EQ(Bytes(tx_->queue(3).pkts[0]), TcpFrame(2, 1, 1, 2, 3, 4, (5 << 13) | 77).b);
  FreeTx();
  // An 802.1ad outer tag on top of the 802.1Q one, copying its TCI.
  ASSERT_TRUE(dp_->AddFlow("br0", "priority=6,in_port=p3,actions=push_vlan:0x88a8,output:p1").ok());
  Send(3, {TcpFrame(2, 1, 1, 2, 3, 4, 33)});
  ASSERT_EQ(TxCount(1), 1);
  Frame qinq = TcpFrame(2, 1, 1, 2, 3, 4, 33);
  uint8_t outer[4] = {0x88, 0xa8, 0x00, 33};
  qinq.b.insert(qinq.b.begin() + 12, outer, outer + 4);
  EXPECT_EQ(Bytes(tx_->queue(1).pkts[0]), qinq.b);
}

TEST_F(PmdTest, PushWithoutHeadroomDropsAndCounts) {
  ASSERT_TRUE(dp_->AddFlow("br0", "priority=5,in_port=p2,actions=mod_vlan_vid:7,output:p3").ok());
  Frame f = TcpFrame(2, 1, 1, 2, 3, 4);
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  m->data_off = 2;  // only 2 bytes of headroom
  std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(f.b.size())), f.b.data(), f.b.size());
  pmd_->ProcessBurst(2, &m, 1, tx_.get());
  EXPECT_EQ(TxCount(3), 0);
  EXPECT_EQ(pmd_->stats().no_headroom.load(), 1u);
}

TEST_F(PmdTest, TableChangesRevalidateCachedFlows) {
  Frame f = TcpFrame(2, 1, Ip(1, 1, 1, 1), Ip(10, 0, 0, 1), 5, 80);
  ASSERT_TRUE(dp_->AddFlow("br0", "priority=10,tcp,actions=output:p3").ok());
  Send(1, {f, f});
  EXPECT_EQ(TxCount(3), 2);
  FreeTx();
  ASSERT_TRUE(dp_->AddFlow("br0", "priority=20,tcp,tp_dst=80,actions=drop").ok());
  Send(1, {f});
  EXPECT_EQ(TxCount(3), 0);
  EXPECT_EQ(pmd_->stats().dropped_by_actions.load(), 1u);
  EXPECT_EQ(pmd_->stats().revalidations.load(), 1u);
  EXPECT_EQ(pmd_->stats().megaflows_evicted.load(), 1u);  // tp_dst=80 now matters
  EXPECT_EQ(pmd_->stats().cache_flushes.load(), 0u);
  ASSERT_TRUE(dp_->DelFlows("br0", "priority=20,tcp,tp_dst=80", true).ok());
  Send(1, {f});
  EXPECT_EQ(TxCount(3), 1);
  // The deleted rule's counts stay with it; the surviving rule has its 3 packets.
  EXPECT_NE(DumpRules().find("n_packets=3"), std::string::npos) << DumpRules();
}

TEST_F(PmdTest, FrequentChangesFlushInsteadOfRevalidating) {
  Frame f = TcpFrame(2, 1, Ip(1, 1, 1, 1), Ip(10, 0, 0, 1), 5, 80);
  // Every clock reading is 30 ms later, so each revalidation seems to take 30 ms while
  // only a few readings pass between changes: the 10% budget runs out.
  tick_ns_ = 30'000'000;
  Send(1, {f});
  for (int i = 0; i < 10; i++) {
    ASSERT_TRUE(dp_->AddFlow("br0", fmt::format("priority={},arp,actions=drop", 20 + i)).ok());
    Send(1, {f});
  }
  tick_ns_ = 0;
  EXPECT_GE(pmd_->stats().revalidations.load(), 1u);
  EXPECT_GE(pmd_->stats().cache_flushes.load(), 3u);
  EXPECT_EQ(pmd_->stats().revalidations.load() + pmd_->stats().cache_flushes.load(), 10u);
  EXPECT_EQ(pmd_->stats().rx_packets.load(), 11u);
}

TEST_F(PmdTest, GarbageAndTruncatedPacketsAreHandled) {
  std::vector<Frame> burst;
  for (int len = 0; len < 40; len += 3) {
    Frame f = TcpFrame(0xffffffffffff, 1, 1, 2, 3, 4, 5);
    f.b.resize(len);
    burst.push_back(f);
  }
  Send(3, burst);  // NORMAL on a trunk: broadcast floods
  EXPECT_EQ(pmd_->stats().rx_packets.load(), burst.size());
}

TEST_F(PmdTest, RandomFramesThroughHeaderChangingActions) {
  ASSERT_TRUE(dp_->AddFlow("br0",
                           "priority=9,in_port=p3,actions=strip_vlan,output:p1,"
                           "mod_vlan_vid:9,output:p2,push_vlan:0x8100,output:p3,"
                           "mod_dl_src:02:00:00:00:00:01,IN_PORT")
                  .ok());
  std::mt19937 rng(5);
  for (int round = 0; round < 200; round++) {
    std::vector<Frame> burst;
    for (int i = 0; i < 32; i++) {
      Frame f;
      size_t len = rng() % 80;
      for (size_t j = 0; j < len; j++) f.U8(static_cast<uint8_t>(rng()));
      if (len >= 18 && rng() % 2) {
        f.b[12] = 0x81;
        f.b[13] = 0x00;
      }
      burst.push_back(f);
    }
    Send(rng() % 2 ? 3 : 1, burst);
    FreeTx();
  }
  EXPECT_EQ(pmd_->stats().rx_packets.load(), 200u * 32);
}

TEST_F(PmdTest, MegaflowLimitFlushesBeforeNextBatch) {
  pmd_.reset();
  max_megaflows_ = 8;
  dp_.reset();
  SetUp();
  ASSERT_TRUE(dp_->AddFlow("br0", "priority=10,tcp,tp_dst=1,actions=drop").ok());
  std::vector<Frame> burst;
  for (int i = 0; i < 20; i++) burst.push_back(TcpFrame(2, 1, 1, 2, 3, static_cast<uint16_t>(i)));
  Send(3, burst);
  EXPECT_EQ(pmd_->megaflow_count(), 20u);
  Send(3, {burst[0]});
  EXPECT_EQ(pmd_->megaflow_count(), 1u);
}

TEST_F(PmdTest, BurstsLargerThan32AreChunked) {
  ASSERT_TRUE(dp_->AddFlow("br0", "priority=10,actions=output:p3").ok());
  std::vector<Frame> burst(50, TcpFrame(2, 1, 1, 2, 3, 4));
  Send(1, burst);
  EXPECT_EQ(TxCount(3), 50);
  EXPECT_EQ(pmd_->stats().batches.load(), 2u);
}

TEST_F(PmdTest, ControlChangesWhileTwoPmdThreadsForward) {
  // The test's PMD is replaced by two on their own threads (T10: two threads by default).
  pmd_->Offline();
  pmd_.reset();
  std::vector<std::unique_ptr<Pmd>> pmds;
  for (uint32_t id = 1; id <= 2; id++) {
    auto p = Pmd::Create(dp_.get(), id);
    ASSERT_TRUE(p.ok());
    pmds.push_back(std::move(p.value()));
  }
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> forwarded{0};
  auto poll = [&](Pmd* pmd, uint64_t iter) {
    TxBatches tx(16);
    pmd->Online();
    Frame frames[4] = {
        TcpFrame(2, 1, 1, Ip(10, 0, 0, 1), 3, 80), TcpFrame(0xffffffffffff, 3, 1, 2, 3, 4),
        TcpFrame(1, 2, 1, Ip(10, 0, 0, 9), 3, 81, 10), TcpFrame(2, 1, 1, 2, 3, 4, 10)};
    uint32_t ports[4] = {1, 2, 3, 3};
    while (!stop.load(std::memory_order_acquire)) {
      rte_mbuf* pkts[8];
      for (int i = 0; i < 8; i++) {
        pkts[i] = rte_pktmbuf_alloc(g_pool);
        const Frame& f = frames[iter % 4];
        std::memcpy(rte_pktmbuf_append(pkts[i], static_cast<uint16_t>(f.b.size())), f.b.data(),
                    f.b.size());
      }
      pmd->ProcessBurst(ports[iter % 4], pkts, 8, &tx);
      for (uint32_t i = 0; i < tx.n_touched(); i++) {
        auto& q = tx.queue(tx.touched(i));
        forwarded += q.count;
        rte_pktmbuf_free_bulk(q.pkts, q.count);
      }
      tx.Reset();
      pmd->ServiceMailbox();
      if (iter % 64 == 0) pmd->Housekeep();
      pmd->Quiescent();
      iter++;
    }
    pmd->Offline();
  };
  std::vector<std::thread> threads;
  threads.emplace_back(poll, pmds[0].get(), 0);
  threads.emplace_back(poll, pmds[1].get(), 1);
  // Stops and joins the threads however this test exits (a failed ASSERT returns early).
  struct Joiner {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~Joiner() {
      stop.store(true, std::memory_order_release);
      for (auto& t : threads) {
        if (t.joinable()) t.join();
      }
    }
  } joiner{stop, threads};
  for (int i = 0; i < 150; i++) {
    ASSERT_TRUE(dp_->AddFlow("br0", fmt::format("priority={},tcp,tp_dst={},actions=output:p3",
                                                100 + i % 7, 80 + i % 3))
                    .ok());
    if (i % 5 == 0) {
      ASSERT_TRUE(dp_->DelFlows("br0", "tcp", false).ok());
    }
    if (i % 10 == 0) {
      ASSERT_TRUE(dp_->AddPort("br0", {"tmp", -1, {}}).ok());
      ASSERT_TRUE(dp_->DelPort("tmp").ok());
    }
    if (i % 25 == 0) {
      ASSERT_TRUE(dp_->AddBridge("brx").ok());
      ASSERT_TRUE(dp_->DelBridge("brx").ok());
    }
    now_ += 1000000000;
    dp_->Run();
    // Not a synchronisation: the PMD threads forward through each table version a while.
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  // A request served on each PMD thread.
  for (auto& pmd : pmds) {
    std::promise<size_t> count;
    pmd->Post([&count](Pmd& self) { count.set_value(self.megaflow_count()); });
    auto fut = count.get_future();
    EXPECT_EQ(fut.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  }
  stop.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
  EXPECT_GT(forwarded.load(), 0u);
  for (auto& pmd : pmds) {
    EXPECT_GT(pmd->stats().rx_packets.load(), 0u);
    EXPECT_GT(pmd->stats().revalidations.load(), 0u);  // saw table changes
  }
  dp_->rcu().Synchronize();
  EXPECT_EQ(dp_->rcu().pending(), 0u);
  pmds.clear();
  // The fixture's TearDown expects a PMD.
  auto again = Pmd::Create(dp_.get(), 0);
  ASSERT_TRUE(again.ok());
  pmd_ = std::move(again.value());
}

}  // namespace
}  // namespace vs::dp
