// Measured PMD load (pmd_load.h): interval rings and the auto-lb arithmetic.
#include "switchd/pmd_load.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace vs::switchd {

void IntervalHistory::Record(uint64_t cumulative) {
  v_[next_] = cumulative >= base_ ? cumulative - base_ : cumulative;
  base_ = cumulative;
  next_ = (next_ + 1) % kPmdIntervals;
}

uint64_t IntervalHistory::Sum(unsigned n) const {
  n = std::clamp(n, 1u, kPmdIntervals);
  uint64_t sum = 0;
  for (unsigned i = 1; i <= n; i++) sum += v_[(next_ + kPmdIntervals - i) % kPmdIntervals];
  return sum;
}

void PmdLoad::Record(uint64_t now_tsc, bool count_overload, uint32_t load_threshold) {
  if (last_tsc && now_tsc > last_tsc) interval_tsc = now_tsc - last_tsc;
  last_tsc = now_tsc;
  busy_hist.Record(busy.Read());
  idle_hist.Record(idle.Read());
  if (!count_overload) {
    overloaded = 0;
    return;
  }
  uint64_t b = busy_hist.Last();
  uint64_t total = b + idle_hist.Last();
  uint64_t load = total ? b * 100 / total : 0;
  overloaded = load >= load_threshold ? overloaded + 1 : 0;
}

uint64_t Variance(const std::vector<uint64_t>& v) {
  if (v.empty()) return 0;
  uint64_t sum = 0;
  for (uint64_t x : v) sum += x;
  uint64_t mean = sum / v.size();
  uint64_t sq = 0;
  for (uint64_t x : v) sq += (x > mean ? x - mean : mean - x) * (x > mean ? x - mean : mean - x);
  return sq / v.size();
}

std::map<int, uint64_t> NodeVariances(const PmdPlan& plan,
                                      const std::function<uint64_t(const RxqRef&)>& cycles_of,
                                      const std::map<int, uint64_t>& interval_tsc) {
  std::map<int, std::vector<uint64_t>> busy;
  for (const auto& pmd : plan.pmds) {
    if (pmd.isolated) continue;
    uint64_t cycles = 0;
    for (const auto& q : pmd.rxqs) cycles += cycles_of(q);
    auto it = interval_tsc.find(pmd.core);
    uint64_t total = it == interval_tsc.end() ? 0 : it->second * kPmdIntervals;
    busy[pmd.numa].push_back(total ? cycles * 100 / total : 0);
  }
  std::map<int, uint64_t> out;
  for (const auto& [node, v] : busy) out[node] = Variance(v);
  return out;
}

bool RebalanceMayHelp(const PmdPlan& plan, RxqAssign assign) {
  if (assign == RxqAssign::kRoundRobin) return false;
  size_t n = 0;
  bool multi = false;
  for (const auto& pmd : plan.pmds) {
    if (pmd.isolated) continue;
    n++;
    multi = multi || pmd.rxqs.size() > 1;
  }
  return n >= 2 && multi;
}

bool RebalanceImproves(const PmdPlan& current, const PmdPlan& estimate,
                       const std::function<uint64_t(const RxqRef&)>& cycles_of,
                       const std::map<int, uint64_t>& interval_tsc,
                       uint32_t improvement_threshold, std::string* why) {
  std::set<int> nodes;
  bool cross = false;
  for (const auto& pmd : estimate.pmds) {
    nodes.insert(pmd.numa);
    for (const auto& q : pmd.rxqs) cross = cross || q.remote;
  }
  if (cross && nodes.size() > 1) {
    *why = "cross-numa polling with multiple numa nodes: unable to accurately estimate";
    return false;
  }
  auto cur = NodeVariances(current, cycles_of, interval_tsc);
  auto est = NodeVariances(estimate, cycles_of, interval_tsc);
  bool met = false;
  why->clear();
  for (const auto& [node, cv] : cur) {
    auto it = est.find(node);
    if (it == est.end()) continue;
    uint64_t improvement = it->second < cv ? (cv - it->second) * 100 / cv : 0;
    *why += fmt::format("{}Numa node {}. Current variance {} Estimated variance {}. Variance "
                        "improvement {}%.",
                        why->empty() ? "" : " ", node, cv, it->second, improvement);
    if (improvement >= improvement_threshold) met = true;
  }
  return met;
}

}  // namespace vs::switchd
