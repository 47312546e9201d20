// PMD fast path: EMC -> megaflow -> upcall, then action execution.
#include "dp/pmd.h"

#include <fmt/format.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <algorithm>

#include "base/coverage.h"
#include "base/log.h"
#include "dp/exec.h"
#include "dp/oftable.h"
#include "dp/xlate.h"

namespace vs::dp {

const char* const kPmdStageNames[kStageCount] = {
    "receive", "parse", "exact-match cache", "classifier", "slow path", "actions", "transmit",
    "other"};

namespace {

vs::log::Module& kLog = vs::log::GetModule("dp_pmd");
// Slow-path events (OVS's names): a translation per upcall, a megaflow installed per upcall,
// the megaflow limit reached.
VS_COVERAGE_DEFINE(xlate_actions);
VS_COVERAGE_DEFINE(dpif_flow_put);
VS_COVERAGE_DEFINE(upcall_flow_limit_hit);

inline void Bump(std::atomic<uint64_t>& c, uint64_t v) {
  if (v) c.store(c.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
}

}  // namespace

Result<std::unique_ptr<Pmd>> Pmd::Create(Datapath* dp, uint32_t id) {
  VS_RETURN_IF_ERROR(dp->rcu().Register(id).Wrap(fmt::format("creating PMD {}", id)));
  dp->rcu().Offline(id);
  return std::unique_ptr<Pmd>(new Pmd(dp, id));
}

Pmd::~Pmd() {
  dpcls_.Clear();
  dp_->rcu().Unregister(id_);
}

void Pmd::Online() { dp_->rcu().Online(id_); }
void Pmd::Offline() { dp_->rcu().Offline(id_); }
void Pmd::Quiescent() { dp_->rcu().Quiescent(id_); }

void Pmd::FlushCaches() {
  emc_.Clear();
  dpcls_.Clear();
  stats_.megaflows.store(0, std::memory_order_relaxed);
  stats_.subtables.store(0, std::memory_order_relaxed);
  Bump(stats_.cache_flushes, 1);
}

void Pmd::CheckGeneration() {
  uint64_t gen = dp_->generation();
  if (gen == cache_gen_ && !flush_pending_) return;
  if (dpcls_.size()) {
    uint64_t now = dp_->Now();
    if (budget_refilled_ns_ == 0) budget_refilled_ns_ = now;
    if (now > budget_refilled_ns_) {
      revalidate_budget_ns_ = std::min<int64_t>(
          static_cast<int64_t>(kRevalidateBurstNs),
          revalidate_budget_ns_ +
              static_cast<int64_t>((now - budget_refilled_ns_) * kRevalidateSharePercent / 100));
      budget_refilled_ns_ = now;
    }
    if (flush_pending_ || dpcls_.size() > kMaxRevalidate || revalidate_budget_ns_ < 0) {
      if (flush_pending_) {
        static vs::log::RateLimit rl(5, 5);
        VS_LOG_WARN_RL(kLog, rl,
                       "pmd {}: {} megaflows reached the limit of {}, flushing its caches (raise "
                       "max_megaflows if this repeats)",
                       id_, dpcls_.size(), dp_->options().max_megaflows);
      }
      FlushCaches();
    } else {
      // Loaded after the generation (acquire): at least as new as the change we saw.
      const DpSnapshot* snap = dp_->snapshot();
      emc_.Clear();
      size_t freed = dpcls_.Retain([&](Megaflow& f) { return Revalidate(*snap, &f, now); });
      uint64_t done = dp_->Now();
      revalidate_budget_ns_ -= static_cast<int64_t>(done > now ? done - now : 0);
      Bump(stats_.revalidations, 1);
      Bump(stats_.megaflows_evicted, freed);
      stats_.megaflows.store(dpcls_.size(), std::memory_order_relaxed);
      stats_.subtables.store(dpcls_.subtables(), std::memory_order_relaxed);
    }
  }
  cache_gen_ = gen;
  flush_pending_ = false;
}

void Pmd::HandleMisses(const FlowKey* keys, const uint32_t* hashes, uint32_t miss, Megaflow** flows,
                       uint64_t now, bool use_emc) {
  const DpSnapshot* snap = dp_->snapshot();
  UpcallResult r;
  uint64_t upcalls = 0;
  uint64_t hits = 0;
  for (; miss; miss &= miss - 1) {
    int i = __builtin_ctz(miss);
    // An earlier miss of this batch may have installed the flow already.
    Megaflow* f = dpcls_.Lookup(keys[i]);
    if (!f) {
      Upcall(*snap, keys[i], now, /*learn=*/true, &r, nullptr);
      auto mf = std::make_unique<Megaflow>();
      mf->match.key = keys[i];
      mf->match.mask = r.mask;
      mf->actions = std::move(r.actions);
      mf->rule = r.rule;
      mf->more_rules = std::move(r.more_rules);
      mf->learn_table = r.learn_table;
      mf->learn_vlan = r.learn_vlan;
      mf->created_ns = now;
      f = dpcls_.Insert(std::move(mf));
      // Past the limit: keep going, flush before the next batch (flows[] of this batch
      // still point into the classifier).
      if (dpcls_.size() >= dp_->options().max_megaflows && !flush_pending_) {
        flush_pending_ = true;
        VS_COVERAGE_INC(upcall_flow_limit_hit);
      }
      upcalls++;
    } else {
      hits++;
    }
    flows[i] = f;
    if (use_emc && ShouldInsertEmc()) emc_.Insert(keys[i], hashes[i], f);
  }
  Bump(stats_.upcalls, upcalls);
  VS_COVERAGE_ADD(xlate_actions, upcalls);
  VS_COVERAGE_ADD(dpif_flow_put, upcalls);
  Bump(stats_.megaflow_hits, hits);
  stats_.megaflows.store(dpcls_.size(), std::memory_order_relaxed);
  stats_.subtables.store(dpcls_.subtables(), std::memory_order_relaxed);
}

void Pmd::ReviewCaches() {
  bool on;
  if (dp_->options().emc_insert_inv_prob == 0) {
    on = false;
  } else if (emc_window_lookups_ < 256) {
    on = true;  // too little seen (e.g. just switched): use it and see
  } else {
    on = emc_window_hits_ * kEmcMinHitShare >= emc_window_lookups_;
  }
  if (on != emc_on_) {
    emc_on_ = on;
    if (!on) emc_.Clear();  // unused entries would only go stale
  }
  stats_.emc_enabled.store(on ? 1 : 0, std::memory_order_relaxed);
  emc_batches_ = 0;
  emc_window_lookups_ = 0;
  emc_window_hits_ = 0;
  // The signature cache, when the subtable walks are long (with it on, the walks of its
  // misses keep it on; too few walks to tell: keep the choice).
  auto [walks, probes] = dpcls_.TakeProbeCounts();
  Bump(stats_.subtable_walks, walks);
  Bump(stats_.subtable_probes, probes);
  if (walks >= 256) dpcls_.SetSmc(probes >= kSmcMinProbes * walks);
  stats_.smc_enabled.store(dpcls_.smc_on() ? 1 : 0, std::memory_order_relaxed);
}

// Stage timing (see PmdStats::cycles): one batch in kTimedEvery reads the TSC between
// stages; upcalls are always timed. PerfText() scales the sampled split to the measured
// total.
void Pmd::Classify(uint32_t in_port, rte_mbuf** pkts, uint16_t n, FlowKey* keys, Megaflow** flows,
                   bool timed, uint64_t* tsc) {
  uint32_t hashes[kMaxBurst];
  bool use_emc = emc_on_ || emc_batches_ % kEmcProbeEvery == 0;
  // Packets of one flow often arrive back to back: a packet whose key equals the previous
  // packet's takes that packet's flow (bit i of `dup`), without hashing or lookups — and
  // when its header bytes say so (SameKeyBytes), without even extracting its key.
  // Traffic without runs (many flows interleaved) skips the checks, except in one batch
  // of kTimedEvery, which notices when runs come back.
  uint32_t dup = 0;
  const bool runs = dup_hint_ || timed;
  int last = -1;  // the last packet whose key was extracted (equal to its successors')
  const uint8_t* prev = nullptr;
  uint32_t prev_len = 0;
  for (uint16_t i = 0; i < n; i++) {
    if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
    const uint8_t* d = rte_pktmbuf_mtod(pkts[i], const uint8_t*);
    uint32_t len = pkts[i]->data_len;
    if (runs && prev && SameKeyBytes(prev, prev_len, d, len)) {
      dup |= 1u << i;
    } else {
      ExtractKey(d, len, in_port, &keys[i]);
      // Words 3 and 4 (destination, protocol, ports) differ first between flows.
      if (runs && last >= 0 && Words(keys[i])[4] == Words(keys[last])[4] &&
          Words(keys[i])[3] == Words(keys[last])[3] && keys[i] == keys[last]) {
        dup |= 1u << i;
      } else if (use_emc) {
        hashes[i] = HashKey(keys[i]);
        emc_.Prefetch(hashes[i]);
      }
      last = i;
    }
    prev = d;
    prev_len = len;
  }
  dup_hint_ = dup != 0;
  uint64_t t;
  if (timed) {
    t = rte_rdtsc();
    AddCycles(kStageParse, t - *tsc);
    *tsc = t;
  }

  uint32_t todo = (n == 32 ? ~0u : (1u << n) - 1) & ~dup;
  uint32_t miss = todo;
  if (dup) Bump(stats_.same_flow_hits, __builtin_popcount(dup));
  if (use_emc) {
    miss = 0;
    for (uint32_t t2 = todo; t2; t2 &= t2 - 1) {
      int i = __builtin_ctz(t2);
      flows[i] = emc_.Lookup(keys[i], hashes[i]);
      if (!flows[i]) miss |= 1u << i;
    }
    uint32_t lookups = __builtin_popcount(todo);
    uint32_t hits = lookups - __builtin_popcount(miss);
    Bump(stats_.emc_lookups, lookups);
    Bump(stats_.emc_hits, hits);
    emc_window_lookups_ += lookups;
    emc_window_hits_ += hits;
    if (timed) {
      t = rte_rdtsc();
      AddCycles(kStageEmc, t - *tsc);
      *tsc = t;
    }
  }
  if (miss) ClassifyMisses(keys, hashes, miss, flows, use_emc, timed, tsc);
  // In arrival order, so that a run of duplicates copies the run's first flow.
  for (uint32_t d = dup; d; d &= d - 1) {
    int i = __builtin_ctz(d);
    flows[i] = flows[i - 1];
  }
}

void Pmd::ClassifyMisses(const FlowKey* keys, const uint32_t* hashes, uint32_t miss,
                         Megaflow** flows, bool use_emc, bool timed, uint64_t* tsc) {
  uint64_t t;
  uint32_t before = miss;
  uint32_t smc_hits = dpcls_.LookupBatch(keys, &miss, flows);
  if (smc_hits) Bump(stats_.smc_hits, smc_hits);
  if (use_emc) {
    for (uint32_t hit = before & ~miss; hit; hit &= hit - 1) {
      int i = __builtin_ctz(hit);
      if (ShouldInsertEmc()) emc_.Insert(keys[i], hashes[i], flows[i]);
    }
  }
  Bump(stats_.megaflow_hits, __builtin_popcount(before & ~miss) - smc_hits);
  if (timed) {
    t = rte_rdtsc();
    AddCycles(kStageClassifier, t - *tsc);
    *tsc = t;
  }
  if (miss) {
    uint64_t t0 = timed ? *tsc : rte_rdtsc();
    now_ = dp_->Now();
    HandleMisses(keys, hashes, miss, flows, now_, use_emc);
    t = rte_rdtsc();
    AddCycles(kStageSlowPath, t - t0);
    if (timed) *tsc = t;
  }
}

// One batch's packets of flow f: its counters and its rule's (in this PMD's slot).
void Pmd::Credit(Megaflow* f, uint32_t packets, uint64_t bytes) {
  f->packets += packets;
  f->bytes += bytes;
  f->used_ns = now_;
  if (f->rule) f->rule->Count(id_, packets, bytes);
  for (const Rule* r : f->more_rules) r->Count(id_, packets, bytes);
}

// Statistics once per flow per batch (flows are grouped through Megaflow::batch_group)
// and the actions of every packet in arrival order, so that packets leaving through one
// port keep their order even across flows.
void Pmd::CountAndExecute(rte_mbuf** pkts, uint16_t n, Megaflow** flows, TxBatches* tx) {
  struct Group {
    Megaflow* flow;
    uint32_t packets;
    uint64_t bytes;
  } groups[kMaxBurst];
  uint16_t n_groups = 0;
  ExecCounters c;
  for (uint16_t i = 0; i < n; i++) {
    Megaflow* f = flows[i];
    rte_mbuf* m = pkts[i];
    uint16_t g = f->batch_group;
    if (g >= n_groups || groups[g].flow != f) {
      g = n_groups++;
      f->batch_group = g;
      groups[g] = Group{f, 0, 0};
    }
    groups[g].packets++;
    groups[g].bytes += rte_pktmbuf_pkt_len(m);
    if (f->simple_out >= 0) {
      if (tx->Add(static_cast<uint32_t>(f->simple_out), m)) {
        c.tx++;
      } else {
        c.tx_overflow++;
        rte_pktmbuf_free(m);
      }
    } else {
      Execute(m, *f, tx, &c);
    }
  }
  for (uint16_t g = 0; g < n_groups; g++) {
    Credit(groups[g].flow, groups[g].packets, groups[g].bytes);
  }
  Bump(stats_.rx_packets, n);
  Bump(stats_.batches, 1);
  Bump(stats_.tx_packets, c.tx);
  Bump(stats_.dropped_by_actions, c.dropped);
  Bump(stats_.tx_overflow, c.tx_overflow);
  Bump(stats_.clone_fail, c.clone_fail);
  Bump(stats_.no_headroom, c.no_headroom);
}

void Pmd::ExecuteSimpleBatch(Megaflow* f, rte_mbuf** pkts, uint16_t n, TxBatches* tx) {
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n; i++) bytes += rte_pktmbuf_pkt_len(pkts[i]);
  Credit(f, n, bytes);
  uint16_t sent = tx->AddBulk(static_cast<uint32_t>(f->simple_out), pkts, n);
  if (sent < n) {
    rte_pktmbuf_free_bulk(pkts + sent, n - sent);
    Bump(stats_.tx_overflow, n - sent);
  }
  Bump(stats_.rx_packets, n);
  Bump(stats_.batches, 1);
  Bump(stats_.tx_packets, sent);
}

void Pmd::ChunkBurst(uint32_t in_port, rte_mbuf** pkts, uint16_t n, TxBatches* tx) {
  bool timed = ++timing_batches_ >= kTimedEvery;
  uint64_t tsc = 0;
  if (timed) {
    timing_batches_ = 0;
    tsc = rte_rdtsc();
  }
  CheckGeneration();
  if (++emc_batches_ >= kEmcReviewBatches) ReviewCaches();
  // The clock for megaflow "used" times: read once every kTimedEvery batches (and before
  // every upcall, which learns MACs with it), not per batch.
  if (timed || now_ == 0) now_ = dp_->Now();
  FlowKey keys[kMaxBurst];
  Megaflow* flows[kMaxBurst];
  if (Megaflow* f = dpcls_.PortFlow(in_port)) {
    // Simple match: the whole batch takes this flow, nothing to parse or look up.
    Bump(stats_.simple_match_hits, n);
    if (timed) {
      uint64_t t = rte_rdtsc();
      AddCycles(kStageClassifier, t - tsc);
      tsc = t;
    }
    if (f->simple_out >= 0) {  // one output: the batch goes to its tx queue whole
      ExecuteSimpleBatch(f, pkts, n, tx);
      if (timed) AddCycles(kStageActions, rte_rdtsc() - tsc);
      return;
    }
    for (uint16_t i = 0; i < n; i++) flows[i] = f;
  } else {
    Classify(in_port, pkts, n, keys, flows, timed, &tsc);
  }
  CountAndExecute(pkts, n, flows, tx);
  if (timed) AddCycles(kStageActions, rte_rdtsc() - tsc);
}

uint16_t Pmd::ProcessBurst(uint32_t in_port, rte_mbuf** pkts, uint16_t n, TxBatches* tx) {
  for (uint16_t done = 0; done < n;) {
    uint16_t chunk = static_cast<uint16_t>(std::min<int>(n - done, kMaxBurst));
    ChunkBurst(in_port, pkts + done, chunk, tx);
    done = static_cast<uint16_t>(done + chunk);
  }
  return n;
}

void Pmd::Housekeep() {
  CheckGeneration();
  dpcls_.Rank();
  uint64_t now = dp_->Now();
  dpcls_.ForEachMutable([now](Megaflow& f) {
    if (f.learn_table && f.packets != f.refreshed_packets) {
      f.learn_table->Refresh(f.match.key.dl_src, f.learn_vlan, f.match.key.in_port, now);
      f.refreshed_packets = f.packets;
    }
  });
}

void Pmd::Post(std::function<void(Pmd&)> fn) {
  std::lock_guard<std::mutex> lock(mail_mu_);
  mail_.push_back(std::move(fn));
  has_mail_.store(true, std::memory_order_release);
}

void Pmd::ServiceMailbox() {
  if (!has_mail_.load(std::memory_order_acquire)) return;
  std::vector<std::function<void(Pmd&)>> work;
  {
    std::lock_guard<std::mutex> lock(mail_mu_);
    work.swap(mail_);
    has_mail_.store(false, std::memory_order_relaxed);
  }
  CheckGeneration();
  for (auto& fn : work) fn(*this);
}

std::string Pmd::DumpFlows(const PortNamer& namer) const {
  std::string out;
  uint64_t now = dp_->Now();
  // Only megaflows built under the current generation are meaningful (and safe to read).
  if (cache_gen_ != dp_->generation()) return out;
  dpcls_.ForEach([&](const Megaflow& f) {
    std::string used = f.packets ? fmt::format("{:.3f}s", (now - f.used_ns) / 1e9) : "never";
    out += fmt::format("{}, packets:{}, bytes:{}, used:{}, actions:{}\n",
                       FormatDpMatch(f.match, namer), f.packets, f.bytes, used,
                       FormatDpActions(f.actions, namer));
  });
  return out;
}

void Pmd::ClearStats() {
  for (auto& c : stats_.cycles) c.store(0, std::memory_order_relaxed);
  for (auto* c : {&stats_.idle_cycles, &stats_.processing_cycles, &stats_.simple_match_hits,
                  &stats_.same_flow_hits, &stats_.smc_hits, &stats_.emc_lookups, &stats_.rx_packets, &stats_.emc_hits, &stats_.megaflow_hits, &stats_.upcalls,
                  &stats_.tx_packets, &stats_.dropped_by_actions, &stats_.tx_overflow,
                  &stats_.clone_fail, &stats_.no_headroom, &stats_.cache_flushes,
                  &stats_.revalidations, &stats_.megaflows_evicted, &stats_.batches,
                  &stats_.subtable_walks, &stats_.subtable_probes}) {
    c->store(0, std::memory_order_relaxed);
  }
}

}  // namespace vs::dp

namespace vs::dp {

uint64_t Pmd::BusyCycles() const {
  auto v = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  return v(stats_.cycles[kStageReceive]) + v(stats_.processing_cycles) +
         v(stats_.cycles[kStageTransmit]) + v(stats_.cycles[kStageOther]);
}

std::string Pmd::StatsText(uint64_t tx_batches, uint64_t tx_batch_packets) const {
  auto v = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  uint64_t rx = v(stats_.rx_packets);
  uint64_t batches = v(stats_.batches);
  uint64_t walks = v(stats_.subtable_walks);
  // OVS's lines first, in its order (numavs has no recirculation, hardware offload or
  // optimised miniflow extraction), then numavs's own.
  std::string out = fmt::format(
      "  packets received: {}\n"
      "  packet recirculations: 0\n"
      "  avg. datapath passes per packet: {:.2f}\n"
      "  phwol hits: 0\n"
      "  mfex opt hits: 0\n"
      "  simple match hits: {}\n"
      "  emc hits: {}\n"
      "  smc hits: {}\n"
      "  megaflow hits: {}\n"
      "  avg. subtable lookups per megaflow hit: {:.2f}\n"
      "  miss with success upcall: {}\n"
      "  miss with failed upcall: 0\n"
      "  avg. packets per output batch: {:.2f}\n",
      rx, rx ? 1.0 : 0.0, v(stats_.simple_match_hits), v(stats_.emc_hits), v(stats_.smc_hits),
      v(stats_.megaflow_hits), walks ? static_cast<double>(v(stats_.subtable_probes)) / walks : 0.0,
      v(stats_.upcalls),
      tx_batches ? static_cast<double>(tx_batch_packets) / tx_batches : 0.0);
  uint64_t idle = v(stats_.idle_cycles);
  uint64_t busy = BusyCycles();
  uint64_t total = idle + busy;
  if (total) {
    out += fmt::format("  idle cycles: {} ({:.2f}%)\n  processing cycles: {} ({:.2f}%)\n", idle,
                       100.0 * idle / total, busy, 100.0 * busy / total);
    if (rx) {
      out += fmt::format("  avg cycles per packet: {:.2f} ({}/{})\n"
                         "  avg processing cycles per packet: {:.2f} ({}/{})\n",
                         static_cast<double>(total) / rx, total, rx,
                         static_cast<double>(busy) / rx, busy, rx);
    }
  }
  out += fmt::format(
      "  same-flow hits: {}\n"
      "  avg. packets per rx batch: {:.2f}\n"
      "  packets sent: {}\n"
      "  dropped by actions: {}\n"
      "  dropped, tx queue full: {}\n"
      "  dropped, copy failed: {}\n"
      "  dropped, no headroom for VLAN: {}\n"
      "  cache flushes: {}\n"
      "  revalidations: {}\n"
      "  megaflows evicted by revalidation: {}\n"
      "  megaflows: {}\n",
      v(stats_.same_flow_hits), batches ? static_cast<double>(rx) / batches : 0.0,
      v(stats_.tx_packets), v(stats_.dropped_by_actions), v(stats_.tx_overflow),
      v(stats_.clone_fail), v(stats_.no_headroom), v(stats_.cache_flushes),
      v(stats_.revalidations), v(stats_.megaflows_evicted), v(stats_.megaflows));
  return out;
}

std::string Pmd::PerfText() const {
  auto v = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  uint64_t rx = v(stats_.rx_packets);
  uint64_t batches = v(stats_.batches);
  // Receive, transmit and other are measured on every iteration, the slow path on every
  // upcall, and the whole of ProcessBurst on every batch; parse, EMC, classifier and
  // actions only in sampled batches, so their split is scaled to the measured total.
  double per_stage[kStageCount];
  for (int s = 0; s < kStageCount; s++) per_stage[s] = static_cast<double>(v(stats_.cycles[s]));
  double sampled = per_stage[kStageParse] + per_stage[kStageEmc] + per_stage[kStageClassifier] +
                   per_stage[kStageActions];
  double processing = static_cast<double>(v(stats_.processing_cycles));
  if (processing > 0 && sampled > 0) {
    double rest = std::max(0.0, processing - per_stage[kStageSlowPath]);
    for (int s : {kStageParse, kStageEmc, kStageClassifier, kStageActions})
      per_stage[s] = per_stage[s] * rest / sampled;
  }
  double busy = 0;
  for (double c : per_stage) busy += c;
  uint64_t idle = v(stats_.idle_cycles);
  uint64_t hz = rte_get_tsc_hz();
  std::string out = fmt::format(
      "  Packets: {} in {} rx batches ({:.2f} per batch)\n"
      "  Cycles: {:.0f} busy, {} idle ({:.1f} % busy; TSC {:.2f} GHz)\n"
      "  Cycles per packet by stage:\n",
      rx, batches, batches ? static_cast<double>(rx) / batches : 0.0, busy, idle,
      busy + idle ? 100.0 * busy / (busy + idle) : 0.0, hz / 1e9);
  for (int s = 0; s < kStageCount; s++) {
    out += fmt::format("    {:<18} {:7.1f}\n", kPmdStageNames[s],
                       rx ? per_stage[s] / rx : 0.0);
  }
  out += fmt::format("    {:<18} {:7.1f}\n", "total", rx ? busy / rx : 0.0);
  out += fmt::format(
      "  Lookups: simple-match {}, same flow as the previous packet {}, emc {} (of {} probed), "
      "smc {}, megaflow {}, upcalls {}\n"
      "  Exact-match cache: {}\n"
      "  Signature cache: {}\n"
      "  Megaflows: {} in {} subtables\n"
      "  Drops by reason:\n"
      "    dropped by actions: {}\n"
      "    tx batch full: {}\n"
      "    packet copy failed: {}\n"
      "    no headroom for VLAN push: {}\n",
      v(stats_.simple_match_hits), v(stats_.same_flow_hits), v(stats_.emc_hits),
      v(stats_.emc_lookups), v(stats_.smc_hits), v(stats_.megaflow_hits), v(stats_.upcalls),
      v(stats_.emc_enabled) ? "in use" : "bypassed (it would not pay)",
      v(stats_.smc_enabled) ? "in use (lookups walked many subtables)" : "off", v(stats_.megaflows),
      v(stats_.subtables), v(stats_.dropped_by_actions), v(stats_.tx_overflow),
      v(stats_.clone_fail), v(stats_.no_headroom));
  return out;
}

}  // namespace vs::dp
