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
// Planning (Plan()): PMD cores come from other_config:pmd-cpu-mask, or by
// default the lowest core of each NUMA node that has a port with rx queues.
// Each rx queue goes to a PMD on its device's node (Netdev::numa_node()),
// round robin; if the node has none,
// to the least loaded PMD of another node, and the queue is marked
// cross-NUMA (a warning and a flag in pmd-rxq-show). As in OVS, a queue named
// in its interface's other_config:pmd-rxq-affinity goes to the PMD of that
// core (which then polls only pinned queues: isolated); a core that runs no
// PMD, or a malformed value, leaves the queue unpolled / unpinned with a
// warning in the plan.
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

namespace vs::switchd {

struct RxqRef {
  std::string port_name;
  uint32_t dp_port = 0;  // datapath port id
  netdev::Netdev* dev = nullptr;
  int eth_port = -1;     // >= 0: poll with rte_eth_rx_burst directly
  uint16_t queue = 0;
  int numa = 0;          // of the device
  bool remote = false;   // polled from another node
  bool operator==(const RxqRef&) const = default;
};

struct PmdPlan {
  struct Pmd {
    int core = 0;
    int numa = 0;
    std::vector<RxqRef> rxqs;
    bool isolated = false;  // polls only queues pinned to it (pmd-rxq-affinity)
    bool operator==(const Pmd&) const = default;
  };
  std::vector<Pmd> pmds;
  // Queues the plan could not place as asked (logged by the daemon).
  std::vector<std::string> warnings;
  // By dp port id; n_txq 0 = no device queues (drop).
  struct Tx {
    netdev::Netdev* dev = nullptr;
    int eth_port = -1;  // >= 0: send with rte_eth_tx_burst directly
    uint16_t n_txq = 0;
    bool operator==(const Tx&) const = default;
  };
  std::vector<Tx> tx;
  bool operator==(const PmdPlan&) const = default;
};

// A port's queues as the planner sees them (Switchd fills it from the Netdev).
struct PortQueues {
  std::string name;
  uint32_t dp_port = 0;
  netdev::Netdev* dev = nullptr;
  int eth_port = -1;  // dev->ethdev_port()
  uint16_t n_rxq = 0, n_txq = 0;
  int numa = 0;
  // Interface other_config:pmd-rxq-affinity as given ("" none), e.g. "0:3,1:7".
  std::string rxq_affinity;
};

// Parses pmd-rxq-affinity ("QUEUE:CORE,..."). Errors: EINVAL naming the bad part.
Result<std::map<uint16_t, int>> ParseRxqAffinity(const std::string& text);

// cores_by_node: the machine's CPUs per NUMA node. pmd_cpu_mask: "" or hex.
// Errors: EINVAL (malformed mask, or a mask naming no existing core).
Result<PmdPlan> Plan(const std::vector<PortQueues>& ports,
                     const std::map<int, std::vector<int>>& cores_by_node,
                     const std::string& pmd_cpu_mask, uint32_t max_ports);

class PmdThreads {
 public:
  explicit PmdThreads(dp::Datapath& dp);
  ~PmdThreads();

  Status Apply(const PmdPlan& plan);
  void Stop();
  const PmdPlan& plan() const { return plan_; }

  std::string StatsText() const;    // dpif-netdev/pmd-stats-show
  std::string PerfText() const;     // dpif-netdev/pmd-perf-show
  std::string RxqText() const;      // dpif-netdev/pmd-rxq-show
  void ClearStats();                // dpif-netdev/pmd-stats-clear
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
  std::vector<std::unique_ptr<Worker>> threads_;
  std::atomic<bool> stop_{false};
  // Tx queue locks for ports shared by more PMDs than queues: [dp_port * 64 + queue].
  std::unique_ptr<std::atomic_flag[]> locks_;
  size_t n_locks_ = 0;
};

}  // namespace vs::switchd
