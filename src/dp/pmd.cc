// PMD fast path: EMC -> megaflow -> upcall, then action execution.
#include "dp/pmd.h"

#include <fmt/format.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <algorithm>

#include "base/log.h"
#include "dp/exec.h"
#include "dp/oftable.h"
#include "dp/xlate.h"

namespace vs::dp {
namespace {

vs::log::Module& kLog = vs::log::GetModule("dp_pmd");

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
    }
  }
  cache_gen_ = gen;
  flush_pending_ = false;
}

void Pmd::HandleMisses(const FlowKey* keys, const uint32_t* hashes, uint32_t miss, Megaflow** flows,
                       uint64_t now) {
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
      mf->learn_table = r.learn_table;
      mf->learn_vlan = r.learn_vlan;
      mf->created_ns = now;
      f = dpcls_.Insert(std::move(mf));
      // Past the limit: keep going, flush before the next batch (flows[] of this batch
      // still point into the classifier).
      if (dpcls_.size() >= dp_->options().max_megaflows) flush_pending_ = true;
      upcalls++;
    } else {
      hits++;
    }
    flows[i] = f;
    if (ShouldInsertEmc()) emc_.Insert(keys[i], hashes[i], f);
  }
  Bump(stats_.upcalls, upcalls);
  Bump(stats_.megaflow_hits, hits);
  stats_.megaflows.store(dpcls_.size(), std::memory_order_relaxed);
}

void Pmd::Classify(uint32_t in_port, rte_mbuf** pkts, uint16_t n, FlowKey* keys, Megaflow** flows,
                   uint64_t now) {
  uint32_t hashes[kMaxBurst];
  for (uint16_t i = 0; i < n; i++) {
    if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
    ExtractKey(pkts[i], in_port, &keys[i]);
    hashes[i] = HashKey(keys[i]);
    emc_.Prefetch(hashes[i]);
  }
  uint32_t miss = 0;
  for (uint16_t i = 0; i < n; i++) {
    flows[i] = emc_.Lookup(keys[i], hashes[i]);
    if (!flows[i]) miss |= 1u << i;
  }
  Bump(stats_.emc_hits, n - __builtin_popcount(miss));
  if (!miss) return;
  uint32_t before = miss;
  dpcls_.LookupBatch(keys, &miss, flows);
  for (uint32_t hit = before & ~miss; hit; hit &= hit - 1) {
    int i = __builtin_ctz(hit);
    if (ShouldInsertEmc()) emc_.Insert(keys[i], hashes[i], flows[i]);
  }
  Bump(stats_.megaflow_hits, __builtin_popcount(before & ~miss));
  if (miss) HandleMisses(keys, hashes, miss, flows, now);
}

void Pmd::ChunkBurst(uint32_t in_port, rte_mbuf** pkts, uint16_t n, TxBatches* tx) {
  CheckGeneration();
  uint64_t now = dp_->Now();
  FlowKey keys[kMaxBurst];
  Megaflow* flows[kMaxBurst];
  Classify(in_port, pkts, n, keys, flows, now);

  // Statistics: megaflows per packet, rules once per flow.
  struct Group {
    const Rule* rule;
    uint64_t packets, bytes;
  } groups[kMaxBurst];
  int n_groups = 0;
  for (uint16_t i = 0; i < n; i++) {
    Megaflow* f = flows[i];
    uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);
    f->packets++;
    f->bytes += len;
    f->used_ns = now;
    if (!f->rule) continue;
    int g = 0;
    while (g < n_groups && groups[g].rule != f->rule) g++;
    if (g == n_groups) groups[n_groups++] = Group{f->rule, 0, 0};
    groups[g].packets++;
    groups[g].bytes += len;
  }
  for (int g = 0; g < n_groups; g++) {
    groups[g].rule->n_packets.fetch_add(groups[g].packets, std::memory_order_relaxed);
    groups[g].rule->n_bytes.fetch_add(groups[g].bytes, std::memory_order_relaxed);
  }

  ExecCounters c;
  for (uint16_t i = 0; i < n; i++) Execute(pkts[i], *flows[i], tx, &c);
  Bump(stats_.rx_packets, n);
  Bump(stats_.batches, 1);
  Bump(stats_.tx_packets, c.tx);
  Bump(stats_.dropped_by_actions, c.dropped);
  Bump(stats_.tx_overflow, c.tx_overflow);
  Bump(stats_.clone_fail, c.clone_fail);
  Bump(stats_.no_headroom, c.no_headroom);
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
  for (auto* c : {&stats_.rx_packets, &stats_.emc_hits, &stats_.megaflow_hits, &stats_.upcalls,
                  &stats_.tx_packets, &stats_.dropped_by_actions, &stats_.tx_overflow,
                  &stats_.clone_fail, &stats_.no_headroom, &stats_.cache_flushes,
                  &stats_.revalidations, &stats_.megaflows_evicted, &stats_.batches}) {
    c->store(0, std::memory_order_relaxed);
  }
}

}  // namespace vs::dp

namespace vs::dp {

std::string Pmd::StatsText() const {
  auto v = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  uint64_t rx = v(stats_.rx_packets);
  uint64_t batches = v(stats_.batches);
  return fmt::format(
      "  packets received: {}\n"
      "  emc hits: {}\n"
      "  megaflow hits: {}\n"
      "  miss with success upcall: {}\n"
      "  miss with failed upcall: 0\n"
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
      rx, v(stats_.emc_hits), v(stats_.megaflow_hits), v(stats_.upcalls),
      batches ? static_cast<double>(rx) / batches : 0.0, v(stats_.tx_packets),
      v(stats_.dropped_by_actions), v(stats_.tx_overflow), v(stats_.clone_fail),
      v(stats_.no_headroom), v(stats_.cache_flushes), v(stats_.revalidations),
      v(stats_.megaflows_evicted), v(stats_.megaflows));
}

}  // namespace vs::dp
