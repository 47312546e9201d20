// PmdThreads: numavs-switchd's poll-mode threads.
//
// A plan says which CPU cores run a PMD and which rx queues each polls. Apply()
// stops the running threads (each finishes its burst, goes offline for RCU
// and exits), keeps the dp::Pmd of every core still in the plan (so its
// caches and statistics survive), and starts one thread per core, pinned to
// it and registered with DPDK (so mempool caches work). A thread polls its rx
// queues in turn: one rx burst, dp::Pmd::ProcessBurst, then one tx burst per
// output port touched. A burst is rte_eth_rx_burst/rte_eth_tx_burst called
// directly for a device whose queues are an ethdev's (Netdev::ethdev_port()),
// else one virtual Netdev::RxBurst/TxBurst call per burst (vhost-user and
// other non-ethdev types). Each thread sends on tx queue (pmd index mod n_txq)
// of a port; when a port has fewer tx queues than there are PMDs, the sharers
// take a spinlock per burst — never per packet. Packets for ports without
// queues (dummy, or internal before DPDK runs) are dropped and counted.
//
// Planning: Plan() (pmd_plan.h). Measuring: each thread counts the TSC cycles of
// each of its rx queues and its own busy and idle cycles (pmd_load.h); the
// control thread closes a measuring interval with SampleInterval(). A queue's
// measurements are kept by port name and queue id, so they follow the queue
// from one plan to the next; a PMD's by core.
//
// Threading: Apply/Stop and the text commands run on the control thread;
// statistics are read with relaxed atomics.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "dp/datapath.h"
#include "dp/pmd.h"
#include "netdev/netdev.h"
#include "switchd/pmd_load.h"
#include "switchd/pmd_plan.h"

namespace vs::switchd {

class PmdThreads {
 public:
  explicit PmdThreads(dp::Datapath& dp);
  ~PmdThreads();

  Status Apply(const PmdPlan& plan);
  void Stop();
  const PmdPlan& plan() const { return plan_; }

  // core: -1 for all PMDs, else only the PMD of that core (the -pmd option).
  std::string StatsText(int core = -1) const;  // dpif-netdev/pmd-stats-show
  std::string PerfText(int core = -1) const;   // dpif-netdev/pmd-perf-show
  // dpif-netdev/pmd-rxq-show: usage over the last `intervals` measuring intervals.
  std::string RxqText(int core = -1, unsigned intervals = kPmdIntervals) const;
  void ClearStats(int core = -1);              // dpif-netdev/pmd-stats-clear

  // Closes a measuring interval (pmd_load.h); with auto_lb, counts the intervals in
  // which each non-isolated PMD was busy at least load_threshold %.
  void SampleInterval(bool auto_lb, uint32_t load_threshold);
  // Measured processing cycles of a queue over the last kPmdIntervals (0: unknown).
  uint64_t QueueCycles(const std::string& port, uint16_t queue) const;
  // The last interval's TSC length of each PMD, by core.
  std::map<int, uint64_t> IntervalTsc() const;
  // A PMD was overloaded for the last kPmdIntervals intervals in a row.
  bool Overloaded() const;
  std::string DumpFlows() const;    // dpctl/dump-flows
  // Runs fn on each running PMD's thread (through its mailbox) and returns the answers
  // in plan order; a PMD that does not answer within 2 s is left out (appctl commands).
  struct PmdAnswer {
    int core = 0;
    int numa = 0;
    std::string text;
  };
  std::vector<PmdAnswer> AskPmds(std::function<std::string(dp::Pmd&)> fn) const;
  // Every PMD, running or not, by core (statistics survive a stop).
  const std::map<int, std::unique_ptr<dp::Pmd>>& pmds() const { return pmds_; }
  size_t running() const { return threads_.size(); }

 private:
  struct Worker;
  void Run(Worker* w);

  dp::Datapath& dp_;
  PmdPlan plan_;
  std::map<int, std::unique_ptr<dp::Pmd>> pmds_;  // by core
  std::map<int, std::unique_ptr<PmdLoad>> loads_;  // by core
  std::map<std::pair<std::string, uint16_t>, std::unique_ptr<RxqLoad>> rxq_loads_;
  std::vector<std::unique_ptr<Worker>> threads_;
  std::atomic<bool> stop_{false};
  // Tx queue locks for ports shared by more PMDs than queues: [dp_port * 64 + queue].
  std::unique_ptr<std::atomic_flag[]> locks_;
  size_t n_locks_ = 0;
};

}  // namespace vs::switchd
