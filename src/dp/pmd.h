// Pmd: the fast path of one poll-mode thread.
//
// Per PMD: an exact-match cache (emc.h) in front of a megaflow classifier (dpcls.h),
// both private to the thread. ProcessBurst takes up to kMaxBurst mbufs received on one
// port: extracts keys (prefetching the next packet), probes the EMC for all, the
// megaflow classifier for the EMC misses (batched, buckets prefetched), runs an upcall
// (xlate.h) for what is left and installs the resulting megaflow, then executes each
// packet's actions in arrival order into TxBatches and adds statistics once per flow
// per batch. No heap allocation and no lock per packet, except on upcalls (slow path).
//
// Threading and RCU (see rcu.h):
//  * Create() registers the PMD as RCU reader `id` (offline). The PMD thread calls
//    Online() before its first ProcessBurst, Quiescent() once per poll-loop iteration
//    (when it holds no pointer into the datapath's shared state), Offline() before it
//    sleeps or blocks, and must be gone before the Pmd is destroyed.
//  * Before each batch the PMD compares the datapath generation with the one its caches
//    were built under; if it moved, it clears the EMC and revalidates its megaflows
//    against the new snapshot (xlate.h Revalidate: stale ones are freed, survivors are
//    re-pointed at the new rules and MAC tables) — or, above kMaxRevalidate megaflows,
//    drops them all. The control thread bumps the generation after publishing and before
//    retiring, and frees only after a grace period, so no cached megaflow is used with a
//    pointer to freed state; revalidation and flushing never dereference the old pointers.
//  * Everything else on a Pmd (dumps, stats resets, flushes) belongs to its thread: other
//    threads Post() a function that the PMD runs in ServiceMailbox() (call it once per
//    loop iteration; one relaxed load when empty). When the PMD is not running, the
//    owner may call those functions directly.
//  * stats() may be read from any thread (relaxed atomics, single writer).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "dp/datapath.h"
#include "dp/dpcls.h"
#include "dp/emc.h"
#include "dp/tx_batch.h"

struct rte_mbuf;

namespace vs::dp {

constexpr uint16_t kMaxBurst = 32;
// Above this many megaflows a generation change flushes instead of revalidating (bounds
// the pause: revalidation costs about one table lookup per megaflow).
constexpr size_t kMaxRevalidate = 20000;
// Revalidation may take at most this share of a PMD's time (token bucket, burst
// kRevalidateBurstNs); beyond it — changes arriving faster than revalidation pays off,
// e.g. a flood of new MAC addresses — a generation change flushes instead, whose cost
// is proportional to the flows that are active, not to those cached.
constexpr uint64_t kRevalidateSharePercent = 10;
constexpr uint64_t kRevalidateBurstNs = 20'000'000;

// Where a PMD's busy cycles go (pmd-perf-show). Receive and transmit are measured by the
// thread that polls (AddCycles), the rest inside ProcessBurst.
enum PmdStage : int {
  kStageReceive,     // rte_eth_rx_burst that returned packets
  kStageParse,       // flow key extraction and hashing
  kStageEmc,         // exact-match cache probes
  kStageClassifier,  // simple match and megaflow classifier
  kStageSlowPath,    // upcalls: OpenFlow table, NORMAL, megaflow installation
  kStageActions,     // statistics and action execution into tx batches
  kStageTransmit,    // rte_eth_tx_burst
  kStageOther,       // periodic work (housekeeping); mailbox and RCU checks count with receive
  kStageCount
};
extern const char* const kPmdStageNames[kStageCount];

// The EMC decides for itself whether it pays: it is bypassed when fewer than one lookup
// in kEmcMinHitShare hits (many more flows than entries: nearly every probe would miss
// and evict, and the classifier has to be asked anyway). While bypassed, one batch in kEmcProbeEvery still goes through it, so that
// a return to few flows is noticed. The choice is reviewed every kEmcReviewBatches.
constexpr uint32_t kEmcReviewBatches = 1024;
constexpr uint32_t kEmcProbeEvery = 8;
constexpr uint32_t kEmcMinHitShare = 4;
// The megaflow classifier's signature cache (dpcls.h) is switched on at a review when
// lookups probed at least this many subtables on average, off when fewer.
constexpr uint32_t kSmcMinProbes = 4;
// One batch in kTimedEvery reads the TSC between stages (pmd-perf-show).
constexpr uint32_t kTimedEvery = 16;

struct PmdStats {
  std::atomic<uint64_t> rx_packets{0};
  std::atomic<uint64_t> simple_match_hits{0};  // whole batches taken by an in_port-only flow
  std::atomic<uint64_t> same_flow_hits{0};     // key equal to the previous packet's
  std::atomic<uint64_t> emc_lookups{0};
  std::atomic<uint64_t> emc_hits{0};
  std::atomic<uint64_t> smc_hits{0};
  std::atomic<uint64_t> megaflow_hits{0};
  std::atomic<uint64_t> upcalls{0};
  std::atomic<uint64_t> tx_packets{0};
  std::atomic<uint64_t> dropped_by_actions{0};
  std::atomic<uint64_t> tx_overflow{0};
  std::atomic<uint64_t> clone_fail{0};
  std::atomic<uint64_t> no_headroom{0};
  std::atomic<uint64_t> cache_flushes{0};
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> revalidations{0};      // generation changes handled by revalidating
  std::atomic<uint64_t> megaflows_evicted{0};  // megaflows a revalidation found stale
  std::atomic<uint64_t> megaflows{0};          // gauge: installed megaflows (not cleared)
  std::atomic<uint64_t> subtables{0};          // gauge: classifier subtables (not cleared)
  std::atomic<uint64_t> emc_enabled{1};        // gauge: 1 while the EMC is in use
  std::atomic<uint64_t> smc_enabled{0};        // gauge: 1 while the signature cache is on
  // TSC cycles: receive, transmit, other and slow path are measured always; parse, EMC,
  // classifier and actions in one batch of kTimedEvery, and processing_cycles is the
  // whole of every ProcessBurst, to scale them by.
  std::atomic<uint64_t> cycles[kStageCount]{};
  std::atomic<uint64_t> processing_cycles{0};
  std::atomic<uint64_t> idle_cycles{0};        // polls that received nothing
  // Megaflow classifier lookups and the subtables they probed (as of the last cache
  // review, every kEmcReviewBatches batches).
  std::atomic<uint64_t> subtable_walks{0};
  std::atomic<uint64_t> subtable_probes{0};
};

class Pmd {
 public:
  // Errors: EINVAL (id >= max_pmds or already in use).
  static Result<std::unique_ptr<Pmd>> Create(Datapath* dp, uint32_t id);
  ~Pmd();

  // Classifies and executes up to n packets received on `in_port` (bursts larger than
  // kMaxBurst are processed in chunks). Takes ownership of every mbuf: each ends in `tx`
  // or is freed. Returns n.
  uint16_t ProcessBurst(uint32_t in_port, rte_mbuf** pkts, uint16_t n, TxBatches* tx);

  // PMD thread: adds TSC cycles to a stage (the poll loop's receive/transmit/other) or
  // to the idle count.
  void AddCycles(PmdStage stage, uint64_t cycles) {
    auto& c = stats_.cycles[stage];
    c.store(c.load(std::memory_order_relaxed) + cycles, std::memory_order_relaxed);
  }
  void AddProcessingCycles(uint64_t cycles) {
    stats_.processing_cycles.store(
        stats_.processing_cycles.load(std::memory_order_relaxed) + cycles,
        std::memory_order_relaxed);
  }
  void AddIdleCycles(uint64_t cycles) {
    stats_.idle_cycles.store(stats_.idle_cycles.load(std::memory_order_relaxed) + cycles,
                             std::memory_order_relaxed);
  }

  void Online();
  void Offline();
  void Quiescent();

  // Periodic (~1 Hz) work on the PMD thread: keeps MAC entries of NORMAL megaflows that
  // carried traffic fresh, so active stations do not age out.
  void Housekeep();
  // Runs posted requests; call once per loop iteration on the PMD thread.
  void ServiceMailbox();
  // Queues fn to run on the PMD thread (any thread may call).
  void Post(std::function<void(Pmd&)> fn);

  // PMD thread (or PMD stopped): dpctl/dump-flows text of this PMD's megaflows.
  std::string DumpFlows(const PortNamer& namer) const;
  // PMD thread (or PMD stopped): visits this PMD's megaflows built under the current
  // generation (dpctl/dump-flows -m), and the subtable probes of all its lookups so far
  // (dpctl/show).
  template <typename F>
  void ForEachFlow(F&& f) const {
    if (cache_gen_ == dp_->generation()) dpcls_.ForEach(f);
  }
  uint64_t mask_probes() const { return dpcls_.probes_total(); }
  void FlushCaches();
  void ClearStats();

  const PmdStats& stats() const { return stats_; }
  // The body of ovs-appctl dpif-netdev/pmd-stats-show for this PMD: OVS 3.1's lines
  // (idle and processing cycles included), then numavs's own (the caller prints the
  // "pmd thread numa_id N core_id M:" header and passes its tx burst counts). Any thread.
  std::string StatsText(uint64_t tx_batches, uint64_t tx_batch_packets) const;
  // Cycles of polls that received packets (receive, processing, transmit) and of
  // periodic work, since the last ClearStats. Any thread.
  uint64_t BusyCycles() const;
  // The body of dpif-netdev/pmd-perf-show: cycles per packet by stage, lookups by tier,
  // megaflows and subtables, drops by reason. Any thread.
  std::string PerfText() const;
  size_t megaflow_count() const { return stats_.megaflows.load(std::memory_order_relaxed); }
  uint32_t id() const { return id_; }

 private:
  Pmd(Datapath* dp, uint32_t id) : dp_(dp), id_(id) {}
  void CheckGeneration();
  // Fills flows[] for pkts[]; *tsc is the cycle counter at entry and is advanced stage
  // by stage.
  void Classify(uint32_t in_port, rte_mbuf** pkts, uint16_t n, FlowKey* keys, Megaflow** flows,
                bool timed, uint64_t* tsc);
  void ClassifyMisses(const FlowKey* keys, const uint32_t* hashes, uint32_t miss,
                      Megaflow** flows, bool use_emc, bool timed, uint64_t* tsc);
  void HandleMisses(const FlowKey* keys, const uint32_t* hashes, uint32_t miss, Megaflow** flows,
                    uint64_t now, bool use_emc);
  void CountAndExecute(rte_mbuf** pkts, uint16_t n, Megaflow** flows, TxBatches* tx);
  void Credit(Megaflow* f, uint32_t packets, uint64_t bytes);
  // A whole batch that takes flow f, whose actions are one output.
  void ExecuteSimpleBatch(Megaflow* f, rte_mbuf** pkts, uint16_t n, TxBatches* tx);
  void ReviewCaches();
  void ChunkBurst(uint32_t in_port, rte_mbuf** pkts, uint16_t n, TxBatches* tx);
  bool ShouldInsertEmc() {
    uint32_t p = dp_->options().emc_insert_inv_prob;
    if (p <= 1) return p == 1;
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 17;
    rng_ ^= rng_ << 5;
    return rng_ % p == 0;
  }

  Datapath* dp_;
  uint32_t id_;
  uint64_t cache_gen_ = 0;  // generation the caches were built under (PMD thread only)
  bool flush_pending_ = false;
  uint32_t rng_ = 0x9e3779b9;  // xorshift state for EMC insertion
  int64_t revalidate_budget_ns_ = static_cast<int64_t>(kRevalidateBurstNs);
  uint64_t budget_refilled_ns_ = 0;
  uint64_t now_ = 0;  // the datapath clock as of the last timed batch or upcall
  bool dup_hint_ = true;  // the last batch had same-flow runs: look for them in this one
  uint32_t timing_batches_ = kTimedEvery - 1;  // so that the first batch is timed
  // EMC policy (see kEmcReviewBatches): counts since the last review.
  bool emc_on_ = true;
  uint32_t emc_batches_ = 0;
  uint64_t emc_window_lookups_ = 0;
  uint64_t emc_window_hits_ = 0;
  Emc emc_;
  Dpcls dpcls_;
  PmdStats stats_;
  // Mailbox: has_mail_ is set (release) after pushing under mail_mu_, read (acquire) by
  // the PMD, which takes the mutex only when it is set.
  std::atomic<bool> has_mail_{false};
  std::mutex mail_mu_;
  std::vector<std::function<void(Pmd&)>> mail_;
};

}  // namespace vs::dp
