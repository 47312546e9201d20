#include "switchd/pmd_threads.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <set>

#include <fmt/format.h>

#include "base/log.h"
#include "dp/tx_batch.h"

namespace vs::switchd {
namespace {

log::Module& kLog = log::GetModule("dpif_netdev");
constexpr size_t kMaxTxqPerPort = 64;

}  // namespace

struct PmdThreads::Worker {
  int core = 0;
  int numa = 0;
  size_t index = 0;
  size_t n_pmds = 1;
  dp::Pmd* pmd = nullptr;
  std::vector<RxqRef> rxqs;
  std::vector<PmdPlan::Tx> tx;
  std::atomic_flag* locks = nullptr;
  std::atomic<uint64_t> tx_dropped{0};
  std::atomic<uint64_t> tx_batches{0};  // tx bursts (avg. packets per output batch)
  std::atomic<uint64_t> tx_batch_packets{0};
  PmdLoad* load = nullptr;
  std::vector<RxqLoad*> rxq_loads;  // parallel to rxqs
  std::thread th;
};

PmdThreads::PmdThreads(dp::Datapath& dp) : dp_(dp) {}

PmdThreads::~PmdThreads() { Stop(); }

void PmdThreads::Run(Worker* w) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(w->core, &set);
  if (int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set); rc != 0)
    VS_LOG_WARN(kLog, "pmd on core {}: could not pin the thread ({})", w->core, strerror(rc));
  std::string name = fmt::format("pmd-c{:02}", w->core);
  pthread_setname_np(pthread_self(), name.c_str());
  bool registered = rte_thread_register() == 0;
  dp::TxBatches tx(static_cast<uint32_t>(w->tx.size()));
  rte_mbuf* pkts[dp::kMaxBurst];
  w->pmd->Online();
  auto last_housekeep = std::chrono::steady_clock::now();
  uint64_t iter = 0;
  uint64_t tsc = rte_rdtsc();
  while (!stop_.load(std::memory_order_relaxed)) {
    for (size_t qi = 0; qi < w->rxqs.size(); qi++) {
      const RxqRef& q = w->rxqs[qi];
      const uint64_t poll_start = tsc;
      // An ethdev queue is polled directly; any other device with one call per burst.
      uint16_t n = q.eth_port >= 0
                       ? rte_eth_rx_burst(static_cast<uint16_t>(q.eth_port), q.queue, pkts,
                                          dp::kMaxBurst)
                       : q.dev->RxBurst(q.queue, pkts, dp::kMaxBurst);
      uint64_t t = rte_rdtsc();
      if (n == 0) {
        w->pmd->AddIdleCycles(t - tsc);
        w->load->idle.Add(t - tsc);
        tsc = t;
        continue;
      }
      w->pmd->AddCycles(dp::kStageReceive, t - tsc);
      w->pmd->ProcessBurst(q.dp_port, pkts, n, &tx);
      tsc = rte_rdtsc();
      w->pmd->AddProcessingCycles(tsc - t);
      uint64_t batches = 0, batch_packets = 0;
      for (uint32_t i = 0; i < tx.n_touched(); i++) {
        uint32_t port = tx.touched(i);
        dp::TxBatches::Queue& out = tx.queue(port);
        const PmdPlan::Tx& dst = w->tx[port];
        uint16_t sent = 0;
        batches++;
        batch_packets += out.count;
        if (dst.n_txq > 0) {
          uint16_t txq = static_cast<uint16_t>(w->index % dst.n_txq);
          bool shared = dst.n_txq < w->n_pmds;
          std::atomic_flag* lock = shared ? &w->locks[port * kMaxTxqPerPort + txq] : nullptr;
          if (lock)
            while (lock->test_and_set(std::memory_order_acquire)) rte_pause();
          sent = dst.eth_port >= 0 ? rte_eth_tx_burst(static_cast<uint16_t>(dst.eth_port), txq,
                                                      out.pkts, out.count)
                                   : dst.dev->TxBurst(txq, out.pkts, out.count);
          if (lock) lock->clear(std::memory_order_release);
        }
        if (sent < out.count) {
          rte_pktmbuf_free_bulk(out.pkts + sent, out.count - sent);
          w->tx_dropped.fetch_add(out.count - sent, std::memory_order_relaxed);
        }
      }
      if (batches) {
        w->tx_batches.store(w->tx_batches.load(std::memory_order_relaxed) + batches,
                            std::memory_order_relaxed);
        w->tx_batch_packets.store(
            w->tx_batch_packets.load(std::memory_order_relaxed) + batch_packets,
            std::memory_order_relaxed);
      }
      tx.Reset();
      t = rte_rdtsc();
      w->pmd->AddCycles(dp::kStageTransmit, t - tsc);
      // The whole poll (rx burst, processing, tx bursts) is the queue's measured load.
      w->rxq_loads[qi]->busy.Add(t - poll_start);
      w->load->busy.Add(t - poll_start);
      tsc = t;
    }
    w->pmd->ServiceMailbox();
    w->pmd->Quiescent();
    // The mailbox and RCU checks above cost a few cycles and count with the next poll;
    // "other" is the periodic work, timed when it runs.
    if ((++iter & 1023) == 0) {
      auto now = std::chrono::steady_clock::now();
      if (now - last_housekeep >= std::chrono::seconds(1)) {
        w->pmd->Housekeep();
        last_housekeep = now;
      }
      uint64_t t = rte_rdtsc();
      w->pmd->AddCycles(dp::kStageOther, t - tsc);
      w->load->busy.Add(t - tsc);
      tsc = t;
    }
    if (w->rxqs.empty()) {  // nothing to poll: do not burn the core
      w->pmd->Offline();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      w->pmd->Online();
    }
  }
  w->pmd->Offline();
  if (registered) rte_thread_unregister();
}

Status PmdThreads::Apply(const PmdPlan& plan) {
  if (plan.SameAssignment(plan_) && threads_.size() == plan.pmds.size()) {
    plan_ = plan;
    return Status::Ok();
  }
  Stop();
  if (n_locks_ < plan.tx.size() * kMaxTxqPerPort) {
    n_locks_ = plan.tx.size() * kMaxTxqPerPort;
    locks_.reset(new std::atomic_flag[n_locks_]);
  }
  // Drop the PMDs of cores no longer in the plan; create the new ones.
  std::set<int> cores;
  for (const auto& p : plan.pmds) cores.insert(p.core);
  for (auto it = pmds_.begin(); it != pmds_.end();)
    it = cores.count(it->first) ? std::next(it) : pmds_.erase(it);
  for (const auto& p : plan.pmds) {
    if (pmds_.count(p.core)) continue;
    std::set<uint32_t> used;
    for (const auto& [c, pmd] : pmds_) used.insert(pmd->id());
    uint32_t id = 0;
    while (used.count(id)) id++;
    auto pmd = dp::Pmd::Create(&dp_, id);
    if (!pmd.ok()) return pmd.status().Wrap(fmt::format("PMD for core {}", p.core));
    pmds_[p.core] = std::move(*pmd);
  }
  // Measurements: by core, and by queue for the queues of the plan (they follow a queue
  // that moves to another PMD).
  for (auto it = loads_.begin(); it != loads_.end();)
    it = cores.count(it->first) ? std::next(it) : loads_.erase(it);
  std::set<std::pair<std::string, uint16_t>> queues;
  for (const auto& p : plan.pmds) {
    if (!loads_.count(p.core)) loads_[p.core] = std::make_unique<PmdLoad>();
    for (const auto& q : p.rxqs) {
      queues.insert({q.port_name, q.queue});
      auto& l = rxq_loads_[{q.port_name, q.queue}];
      if (!l) l = std::make_unique<RxqLoad>();
    }
  }
  for (auto it = rxq_loads_.begin(); it != rxq_loads_.end();)
    it = queues.count(it->first) ? std::next(it) : rxq_loads_.erase(it);
  plan_ = plan;
  stop_.store(false);
  for (size_t i = 0; i < plan.pmds.size(); i++) {
    auto w = std::make_unique<Worker>();
    w->core = plan.pmds[i].core;
    w->numa = plan.pmds[i].numa;
    w->index = i;
    w->n_pmds = plan.pmds.size();
    w->pmd = pmds_[w->core].get();
    w->rxqs = plan.pmds[i].rxqs;
    w->tx = plan.tx;
    w->locks = locks_.get();
    w->load = loads_[w->core].get();
    for (const auto& q : w->rxqs) {
      w->rxq_loads.push_back(rxq_loads_[{q.port_name, q.queue}].get());
      if (q.remote)
        VS_LOG_WARN(kLog, "port {} queue {} (NUMA node {}) is polled by the PMD on core {} of node "
                    "{}: cross-NUMA traffic; add a core of node {} to other_config:pmd-cpu-mask",
                    q.port_name, q.queue, q.numa, w->core, w->numa, q.numa);
    }
    Worker* raw = w.get();
    w->th = std::thread([this, raw] { Run(raw); });
    threads_.push_back(std::move(w));
  }
  VS_LOG_INFO(kLog, "{} PMD thread(s) running", threads_.size());
  return Status::Ok();
}

void PmdThreads::Stop() {
  stop_.store(true);
  for (auto& w : threads_)
    if (w->th.joinable()) w->th.join();
  threads_.clear();
}

std::string PmdThreads::StatsText(int core) const {
  std::string out;
  for (const auto& w : threads_) {
    if (core >= 0 && w->core != core) continue;
    out += fmt::format("pmd thread numa_id {} core_id {}:\n", w->numa, w->core);
    out += w->pmd->StatsText(w->tx_batches.load(std::memory_order_relaxed),
                             w->tx_batch_packets.load(std::memory_order_relaxed));
    out += fmt::format("  tx dropped (device full or no device): {}\n",
                       w->tx_dropped.load(std::memory_order_relaxed));
  }
  return out;
}

std::string PmdThreads::PerfText(int core) const {
  std::string out;
  for (const auto& w : threads_) {
    if (core >= 0 && w->core != core) continue;
    out += fmt::format("pmd thread numa_id {} core_id {}:\n", w->numa, w->core);
    out += w->pmd->PerfText();
    out += fmt::format("    tx device full or no device: {}\n",
                       w->tx_dropped.load(std::memory_order_relaxed));
    std::set<int> seen;
    for (const RxqRef& q : w->rxqs) {
      if (q.eth_port < 0 || !seen.insert(q.eth_port).second) continue;
      rte_eth_stats st;
      if (rte_eth_stats_get(static_cast<uint16_t>(q.eth_port), &st) != 0) continue;
      out += fmt::format("    rx no buffer ({}): {}\n    rx missed ({}): {}\n", q.port_name,
                         st.rx_nombuf, q.port_name, st.imissed);
    }
  }
  return out;
}

// As OVS 3.1: each queue's share of the PMD's cycles over the last `intervals`
// intervals, and the PMD's busy cycles that no queue accounts for (overhead).
std::string PmdThreads::RxqText(int core, unsigned intervals) const {
  std::string out;
  intervals = std::clamp(intervals, 1u, kPmdIntervals);
  for (const auto& p : plan_.pmds) {
    if (core >= 0 && p.core != core) continue;
    out += fmt::format("pmd thread numa_id {} core_id {}:\n  isolated : {}\n", p.numa, p.core,
                       p.isolated ? "true" : "false");
    auto load = loads_.find(p.core);
    uint64_t total = load == loads_.end() ? 0 : load->second->interval_tsc * intervals;
    uint64_t busy = total ? std::min(total, load->second->busy_hist.Sum(intervals)) : 0;
    std::vector<const RxqRef*> rxqs;
    for (const auto& q : p.rxqs) rxqs.push_back(&q);
    std::sort(rxqs.begin(), rxqs.end(), [](const RxqRef* a, const RxqRef* b) {
      return a->port_name != b->port_name ? a->port_name < b->port_name : a->queue < b->queue;
    });
    uint64_t queues = 0;
    for (const RxqRef* q : rxqs) {
      auto l = rxq_loads_.find({q->port_name, q->queue});
      uint64_t cycles = l == rxq_loads_.end() ? 0 : l->second->hist.Sum(intervals);
      queues += cycles;
      out += fmt::format("  port: {:<16}  queue-id: {:2} (enabled)   pmd usage: {}{}\n",
                         q->port_name, q->queue,
                         total ? fmt::format("{:2} %", cycles * 100 / total) : "NOT AVAIL",
                         q->remote ? fmt::format("  (cross-NUMA: device on node {})", q->numa) : "");
    }
    if (!rxqs.empty()) {
      out += total ? fmt::format("  overhead: {:2} %\n", (busy > queues ? busy - queues : 0) * 100 / total)
                   : std::string("  overhead: NOT AVAIL\n");
    }
  }
  return out;
}

void PmdThreads::ClearStats(int core) {
  for (auto& w : threads_) {
    if (core >= 0 && w->core != core) continue;
    w->pmd->Post([](dp::Pmd& p) { p.ClearStats(); });
    w->tx_dropped.store(0, std::memory_order_relaxed);
    w->tx_batches.store(0, std::memory_order_relaxed);
    w->tx_batch_packets.store(0, std::memory_order_relaxed);
  }
}

std::vector<PmdThreads::PmdAnswer> PmdThreads::AskPmds(
    std::function<std::string(dp::Pmd&)> fn) const {
  std::vector<PmdAnswer> out;
  for (const auto& w : threads_) {
    auto promise = std::make_shared<std::promise<std::string>>();
    auto fut = promise->get_future();
    w->pmd->Post([promise, fn](dp::Pmd& p) { promise->set_value(fn(p)); });
    if (fut.wait_for(std::chrono::seconds(2)) != std::future_status::ready) continue;
    out.push_back(PmdAnswer{w->core, w->numa, fut.get()});
  }
  return out;
}

void PmdThreads::SampleInterval(bool auto_lb, uint32_t load_threshold) {
  uint64_t now = rte_rdtsc();
  std::set<int> isolated;
  for (const auto& p : plan_.pmds)
    if (p.isolated) isolated.insert(p.core);
  for (auto& [core, load] : loads_) load->Record(now, auto_lb && !isolated.count(core), load_threshold);
  for (auto& [key, load] : rxq_loads_) load->hist.Record(load->busy.Read());
}

uint64_t PmdThreads::QueueCycles(const std::string& port, uint16_t queue) const {
  auto it = rxq_loads_.find({port, queue});
  return it == rxq_loads_.end() ? 0 : it->second->hist.Sum();
}

std::map<int, uint64_t> PmdThreads::IntervalTsc() const {
  std::map<int, uint64_t> out;
  for (const auto& [core, load] : loads_) out[core] = load->interval_tsc;
  return out;
}

bool PmdThreads::Overloaded() const {
  for (const auto& [core, load] : loads_)
    if (load->overloaded >= kPmdIntervals) return true;
  return false;
}

std::string PmdThreads::DumpFlows() const {
  std::string out;
  dp::PortNamer namer = dp_.Namer();
  for (const auto& w : threads_) {
    auto promise = std::make_shared<std::promise<std::string>>();
    auto fut = promise->get_future();
    w->pmd->Post([promise, namer](dp::Pmd& p) { promise->set_value(p.DumpFlows(namer)); });
    if (fut.wait_for(std::chrono::seconds(2)) != std::future_status::ready) {
      out += fmt::format("(pmd on core {} did not answer)\n", w->core);
      continue;
    }
    out += fut.get();
  }
  return out;
}

}  // namespace vs::switchd
