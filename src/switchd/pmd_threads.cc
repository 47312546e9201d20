#include "switchd/pmd_threads.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

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

Result<std::set<int>> ParseCpuMask(const std::string& mask) {
  std::string hex = mask;
  if (hex.rfind("0x", 0) == 0 || hex.rfind("0X", 0) == 0) hex = hex.substr(2);
  if (hex.empty() || hex.size() > 64) {
    return Status(EINVAL, fmt::format("other_config:pmd-cpu-mask=\"{}\" is invalid: a hex CPU mask "
                                      "such as 0x6 is expected",
                                      mask));
  }
  std::set<int> cores;
  for (size_t i = 0; i < hex.size(); i++) {
    char c = hex[hex.size() - 1 - i];
    int v = isdigit(static_cast<unsigned char>(c)) ? c - '0'
            : (c >= 'a' && c <= 'f')             ? c - 'a' + 10
            : (c >= 'A' && c <= 'F')             ? c - 'A' + 10
                                                 : -1;
    if (v < 0) {
      return Status(EINVAL, fmt::format("other_config:pmd-cpu-mask=\"{}\" is invalid: '{}' is not "
                                        "a hex digit",
                                        mask, c));
    }
    for (int b = 0; b < 4; b++)
      if (v & (1 << b)) cores.insert(static_cast<int>(i) * 4 + b);
  }
  if (cores.empty()) {
    return Status(EINVAL, fmt::format("other_config:pmd-cpu-mask=\"{}\" is invalid: it names no "
                                      "core, so no PMD thread would poll any port; name at least one "
                                      "(e.g. 0x2), or remove the key for one PMD per NUMA node",
                                      mask));
  }
  return cores;
}

}  // namespace

namespace {
void AssignQueues(const std::vector<PortQueues>& ports, PmdPlan* plan);
}  // namespace

Result<PmdPlan> Plan(const std::vector<PortQueues>& ports,
                     const std::map<int, std::vector<int>>& cores_by_node,
                     const std::string& pmd_cpu_mask, uint32_t max_ports) {
  std::map<int, int> node_of_core;
  std::string all;
  for (const auto& [node, cores] : cores_by_node)
    for (int c : cores) {
      node_of_core[c] = node;
      all += (all.empty() ? "" : ",") + std::to_string(c);
    }
  PmdPlan plan;
  plan.tx.assign(max_ports, {});
  std::set<int> cores;
  if (!pmd_cpu_mask.empty()) {
    auto parsed = ParseCpuMask(pmd_cpu_mask);
    if (!parsed.ok()) return parsed.status();
    for (int c : *parsed) {
      if (!node_of_core.count(c)) {
        return Status(EINVAL, fmt::format("other_config:pmd-cpu-mask=\"{}\" names core {}, which "
                                          "this machine does not have (cores: {})",
                                          pmd_cpu_mask, c, all));
      }
      cores.insert(c);
    }
  } else {
    std::set<int> nodes;
    for (const auto& p : ports)
      if (p.n_rxq > 0) nodes.insert(p.numa);
    for (int n : nodes) {
      auto it = cores_by_node.find(n);
      if (it != cores_by_node.end() && !it->second.empty()) {
        cores.insert(it->second.front());
      } else if (!node_of_core.empty()) {
        cores.insert(node_of_core.begin()->first);  // a node without CPUs: the first core
      }
    }
  }
  for (int c : cores) plan.pmds.push_back({c, node_of_core[c], {}});
  for (const auto& p : ports) {
    if (p.n_rxq == 0 && p.n_txq == 0) continue;
    if (p.dp_port < max_ports) plan.tx[p.dp_port] = {p.dev, p.eth_port, p.n_txq};
  }
  AssignQueues(ports, &plan);
  return plan;
}

Result<std::map<uint16_t, int>> ParseRxqAffinity(const std::string& text) {
  std::map<uint16_t, int> out;
  size_t pos = 0;
  while (pos <= text.size() && !text.empty()) {
    size_t end = text.find(',', pos);
    std::string item = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    unsigned q = 0, core = 0;
    char extra = 0;
    if (sscanf(item.c_str(), "%u:%u%c", &q, &core, &extra) != 2 || q > UINT16_MAX ||
        core > 4095 || item.find_first_not_of("0123456789: ") != std::string::npos) {
      return Status(EINVAL, fmt::format("\"{}\" is not QUEUE:CORE (e.g. \"0:3,1:7\")", item));
    }
    out[static_cast<uint16_t>(q)] = static_cast<int>(core);
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return out;
}

namespace {

// Pinned queues first (pmd-rxq-affinity: their PMDs become isolated), then the
// others round robin over the non-isolated PMDs, the device's node first.
void AssignQueues(const std::vector<PortQueues>& ports, PmdPlan* plan) {
  std::vector<std::map<uint16_t, int>> pins(ports.size());
  for (size_t i = 0; i < ports.size(); i++) {
    const auto& p = ports[i];
    if (p.rxq_affinity.empty() || p.n_rxq == 0) continue;
    auto parsed = ParseRxqAffinity(p.rxq_affinity);
    if (!parsed.ok()) {
      plan->warnings.push_back(fmt::format("interface {}: other_config:pmd-rxq-affinity: {}; its "
                                           "queues are assigned as if it were not set",
                                           p.name, parsed.status().message()));
      continue;
    }
    pins[i] = *parsed;
    for (const auto& [q, core] : pins[i]) {
      if (q >= p.n_rxq) {
        plan->warnings.push_back(fmt::format("interface {}: pmd-rxq-affinity names rx queue {} but "
                                             "it has {}", p.name, q, p.n_rxq));
        continue;
      }
      PmdPlan::Pmd* pmd = nullptr;
      for (auto& m : plan->pmds)
        if (m.core == core) pmd = &m;
      if (!pmd) {
        plan->warnings.push_back(fmt::format("interface {}: rx queue {} is pinned to core {}, which "
                                             "runs no PMD thread: it will not be polled (add core "
                                             "{} to other_config:pmd-cpu-mask)",
                                             p.name, q, core, core));
        continue;
      }
      pmd->isolated = true;
      pmd->rxqs.push_back(RxqRef{p.name, p.dp_port, p.dev, p.eth_port, q, p.numa, pmd->numa != p.numa});
    }
  }
  for (size_t i = 0; i < ports.size(); i++) {
    const auto& p = ports[i];
    for (uint16_t q = 0; q < p.n_rxq && !plan->pmds.empty(); q++) {
      if (pins[i].count(q)) continue;
      // The least loaded PMD of the device's node; else of any node (cross-NUMA).
      PmdPlan::Pmd* best = nullptr;
      for (auto& pmd : plan->pmds)
        if (!pmd.isolated && pmd.numa == p.numa && (!best || pmd.rxqs.size() < best->rxqs.size()))
          best = &pmd;
      bool remote = best == nullptr;
      if (remote)
        for (auto& pmd : plan->pmds)
          if (!pmd.isolated && (!best || pmd.rxqs.size() < best->rxqs.size())) best = &pmd;
      if (!best) {
        plan->warnings.push_back(fmt::format("interface {}: rx queue {} is not polled: every PMD "
                                             "thread is isolated by pmd-rxq-affinity",
                                             p.name, q));
        continue;
      }
      best->rxqs.push_back(RxqRef{p.name, p.dp_port, p.dev, p.eth_port, q, p.numa, remote});
    }
  }
}

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
    for (const RxqRef& q : w->rxqs) {
      // An ethdev queue is polled directly; any other device with one call per burst.
      uint16_t n = q.eth_port >= 0
                       ? rte_eth_rx_burst(static_cast<uint16_t>(q.eth_port), q.queue, pkts,
                                          dp::kMaxBurst)
                       : q.dev->RxBurst(q.queue, pkts, dp::kMaxBurst);
      uint64_t t = rte_rdtsc();
      if (n == 0) {
        w->pmd->AddIdleCycles(t - tsc);
        tsc = t;
        continue;
      }
      w->pmd->AddCycles(dp::kStageReceive, t - tsc);
      w->pmd->ProcessBurst(q.dp_port, pkts, n, &tx);
      tsc = rte_rdtsc();
      w->pmd->AddProcessingCycles(tsc - t);
      for (uint32_t i = 0; i < tx.n_touched(); i++) {
        uint32_t port = tx.touched(i);
        dp::TxBatches::Queue& out = tx.queue(port);
        const PmdPlan::Tx& dst = w->tx[port];
        uint16_t sent = 0;
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
      tx.Reset();
      t = rte_rdtsc();
      w->pmd->AddCycles(dp::kStageTransmit, t - tsc);
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
  if (plan == plan_ && threads_.size() == plan.pmds.size()) return Status::Ok();
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
    for (const auto& q : w->rxqs) {
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

std::string PmdThreads::StatsText() const {
  std::string out;
  for (const auto& w : threads_) {
    out += fmt::format("pmd thread numa_id {} core_id {}:\n", w->numa, w->core);
    out += w->pmd->StatsText();
    out += fmt::format("  tx dropped (device full or no device): {}\n",
                       w->tx_dropped.load(std::memory_order_relaxed));
  }
  return out;
}

std::string PmdThreads::PerfText() const {
  std::string out;
  for (const auto& w : threads_) {
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

std::string PmdThreads::RxqText() const {
  std::string out;
  for (const auto& p : plan_.pmds) {
    out += fmt::format("pmd thread numa_id {} core_id {}:\n  isolated : {}\n", p.numa, p.core,
                       p.isolated ? "true" : "false");
    for (const auto& q : p.rxqs) {
      out += fmt::format("  port: {:<16} queue-id: {:2} (enabled)   pmd usage: NOT AVAIL{}\n",
                         q.port_name, q.queue,
                         q.remote ? fmt::format("  (cross-NUMA: device on node {})", q.numa) : "");
    }
  }
  return out;
}

void PmdThreads::ClearStats() {
  for (auto& w : threads_) {
    w->pmd->Post([](dp::Pmd& p) { p.ClearStats(); });
    w->tx_dropped.store(0, std::memory_order_relaxed);
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
