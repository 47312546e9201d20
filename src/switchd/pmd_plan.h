// PMD planning: which cores run a PMD thread and which rx queues each polls.
//
// PMD cores come from other_config:pmd-cpu-mask, or by default the lowest core of
// each NUMA node that has a port with rx queues. The rx queues are then scheduled as
// OVS 3.1 schedules them (other_config:pmd-rxq-assign):
//  * A queue named in its interface's other_config:pmd-rxq-affinity goes to the PMD of
//    that core, which then polls only pinned queues (isolated) unless
//    pmd-rxq-isolate=false (with pmd-rxq-assign=group only, as in OVS). A core that
//    runs no PMD: the queue is scheduled like the others, with a warning.
//  * The other queues go to a PMD of their device's NUMA node (if it has no
//    non-isolated PMD, to another node's: cross-NUMA, with a warning):
//      cycles (default)  sorted by measured processing cycles (most first), dealt to
//                        the node's PMDs up and down (1,2,3,3,2,1,1,...);
//      roundrobin        in port number then queue order, dealt 1,2,3,1,2,3,...;
//      group             sorted as cycles, each to the PMD with the least measured
//                        cycles so far (a queue without measurement: to the PMD with
//                        the fewest queues).
// The measured cycles of a queue (PortQueues::rxq_cycles) are the processing cycles of
// its last kPmdIntervals measuring intervals (pmd_load.h); ties keep port/queue order.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
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
  // What the scheduler did, in OVS's words ("Core  1 on numa node 0 assigned port 'p0'
  // rx queue 0 (measured processing cycles 1234)."): logged when the plan is applied.
  std::vector<std::string> log;
  bool operator==(const PmdPlan&) const = default;
  // Same threads polling the same queues (log and warnings aside).
  bool SameAssignment(const PmdPlan& o) const { return pmds == o.pmds && tx == o.tx; }
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
  // Measured processing cycles per rx queue (missing entries: none measured).
  std::vector<uint64_t> rxq_cycles;
};

enum class RxqAssign { kCycles, kRoundRobin, kGroup };
const char* RxqAssignName(RxqAssign a);

// The PMD keys of Open_vSwitch other_config, with OVS's defaults.
struct PmdOptions {
  RxqAssign assign = RxqAssign::kCycles;  // pmd-rxq-assign
  bool isolate = true;                    // pmd-rxq-isolate (as asked)
  bool auto_lb = false;                   // pmd-auto-lb
  uint32_t alb_load_threshold = 95;       // pmd-auto-lb-load-threshold, %
  uint32_t alb_improvement_threshold = 25;  // pmd-auto-lb-improvement-threshold, %
  uint32_t alb_interval_min = 1;          // pmd-auto-lb-rebal-interval, minutes
  // pmd-rxq-isolate=false applies with pmd-rxq-assign=group only (as in OVS).
  bool effective_isolate() const { return isolate || assign != RxqAssign::kGroup; }
  bool operator==(const PmdOptions&) const = default;
};

// Reads the PMD keys of other_config. A malformed value keeps the value of `previous`
// and adds a message naming the key, the value and what is expected to *errors;
// pmd-rxq-isolate=false without group adds OVS's warning (isolation stays on).
PmdOptions ParsePmdOptions(const std::map<std::string, std::string>& other_config,
                           const PmdOptions& previous, std::vector<std::string>* errors);

// Parses pmd-rxq-affinity ("QUEUE:CORE,..."). Errors: EINVAL naming the bad part.
Result<std::map<uint16_t, int>> ParseRxqAffinity(const std::string& text);

// cores_by_node: the machine's CPUs per NUMA node. pmd_cpu_mask: "" or hex.
// Errors: EINVAL (malformed mask, or a mask naming no existing core).
Result<PmdPlan> Plan(const std::vector<PortQueues>& ports,
                     const std::map<int, std::vector<int>>& cores_by_node,
                     const std::string& pmd_cpu_mask, uint32_t max_ports,
                     const PmdOptions& options = {});

}  // namespace vs::switchd
