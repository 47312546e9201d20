// Measured PMD load, as OVS measures it for pmd-rxq-show, rx queue scheduling
// (pmd-rxq-assign=cycles/group) and pmd-auto-lb.
//
// Each PMD thread adds TSC cycles to counters only it writes (relaxed atomics, one
// cache line each, no lock): per rx queue, the cycles of the polls that received
// packets (rx burst, processing and the tx bursts they caused); per PMD, its busy
// cycles (those polls and its periodic work) and its idle cycles (polls that received
// nothing). The control thread closes a measuring interval every kPmdIntervalMs
// (Record): each counter's growth goes into a ring of the last kPmdIntervals values,
// and the PMD keeps the length of its last interval in TSC cycles — OVS 3.1's 12
// intervals of 5 s. A queue's "measured processing cycles" are the sum of its ring.
//
// Threading: Add() on the PMD thread; everything else on the control thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "switchd/pmd_plan.h"

namespace vs::switchd {

constexpr unsigned kPmdIntervals = 12;     // OVS PMD_INTERVAL_MAX
constexpr uint64_t kPmdIntervalMs = 5000;  // OVS PMD_INTERVAL_LEN

class CycleCounter {
 public:
  void Add(uint64_t c) {  // single writer
    v_.store(v_.load(std::memory_order_relaxed) + c, std::memory_order_relaxed);
  }
  uint64_t Read() const { return v_.load(std::memory_order_relaxed); }

 private:
  alignas(64) std::atomic<uint64_t> v_{0};
};

// The growth of a cumulative counter over its last kPmdIntervals intervals.
class IntervalHistory {
 public:
  void Record(uint64_t cumulative);
  // Sum of the last n intervals (n is clamped to 1..kPmdIntervals).
  uint64_t Sum(unsigned n = kPmdIntervals) const;
  uint64_t Last() const { return Sum(1); }

 private:
  uint64_t base_ = 0;
  std::array<uint64_t, kPmdIntervals> v_{};
  unsigned next_ = 0;
};

struct RxqLoad {
  CycleCounter busy;
  IntervalHistory hist;
};

struct PmdLoad {
  CycleCounter busy;
  CycleCounter idle;
  IntervalHistory busy_hist;
  IntervalHistory idle_hist;
  uint64_t interval_tsc = 0;  // TSC length of the last closed interval (0: none yet)
  uint64_t last_tsc = 0;
  // Consecutive intervals in which the PMD was busy at least the auto-lb load threshold.
  unsigned overloaded = 0;
  // Closes an interval at now_tsc; with count_overload, updates `overloaded`.
  void Record(uint64_t now_tsc, bool count_overload, uint32_t load_threshold);
};

// Integer variance of the values (0 for none), as OVS computes it for pmd-auto-lb.
uint64_t Variance(const std::vector<uint64_t>& v);

// Per NUMA node: the variance of the busy percentage of the plan's non-isolated PMDs,
// each PMD's busy cycles being the measured cycles of its queues (cycles_of) over
// kPmdIntervals intervals of its last interval length (interval_tsc by core; 0: 0 %).
std::map<int, uint64_t> NodeVariances(const PmdPlan& plan,
                                      const std::function<uint64_t(const RxqRef&)>& cycles_of,
                                      const std::map<int, uint64_t>& interval_tsc);

// pmd-auto-lb's cheap precondition (OVS pmd_rebalance_dry_run_needed): not roundrobin,
// at least two non-isolated PMDs and one of them polling more than one queue.
bool RebalanceMayHelp(const PmdPlan& plan, RxqAssign assign);

// The dry run's verdict: for some node, the estimated plan improves the variance by at
// least improvement_threshold %. Plans with cross-NUMA queues over several nodes
// cannot be estimated (false). *why says what was compared, for the log.
bool RebalanceImproves(const PmdPlan& current, const PmdPlan& estimate,
                       const std::function<uint64_t(const RxqRef&)>& cycles_of,
                       const std::map<int, uint64_t>& interval_tsc,
                       uint32_t improvement_threshold, std::string* why);

}  // namespace vs::switchd
