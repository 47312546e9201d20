// The PMD planner (pmd_plan.h): cores from the mask, rx queues as OVS 3.1 schedules them.
#include "switchd/pmd_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

namespace vs::switchd {
namespace {

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

void AssignQueues(const std::vector<const PortQueues*>& ports, const PmdOptions& options,
                  PmdPlan* plan);

}  // namespace

Result<PmdPlan> Plan(const std::vector<PortQueues>& ports,
                     const std::map<int, std::vector<int>>& cores_by_node,
                     const std::string& pmd_cpu_mask, uint32_t max_ports,
                     const PmdOptions& options) {
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
  // Port number order: the order roundrobin deals in and ties are broken by.
  std::vector<const PortQueues*> sorted;
  for (const auto& p : ports) sorted.push_back(&p);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const PortQueues* a, const PortQueues* b) { return a->dp_port < b->dp_port; });
  AssignQueues(sorted, options, &plan);
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

const char* RxqAssignName(RxqAssign a) {
  switch (a) {
    case RxqAssign::kCycles: return "cycles";
    case RxqAssign::kRoundRobin: return "roundrobin";
    case RxqAssign::kGroup: return "group";
  }
  return "?";
}

namespace {

// Reads an unsigned integer key in [lo, hi]; a bad value keeps *v and adds an error.
void ReadUint(const std::map<std::string, std::string>& oc, const char* key, uint32_t lo,
              uint32_t hi, uint32_t def, uint32_t* v, std::vector<std::string>* errors) {
  auto it = oc.find(key);
  if (it == oc.end()) {
    *v = def;
    return;
  }
  const std::string& s = it->second;
  unsigned long n = 0;
  bool ok = !s.empty() && s.size() <= 9 &&
            s.find_first_not_of("0123456789") == std::string::npos;
  if (ok) n = std::stoul(s);
  if (!ok || n < lo || n > hi) {
    errors->push_back(fmt::format("other_config:{}=\"{}\" is invalid: an integer from {} to {} is "
                                  "expected; keeping {}",
                                  key, s, lo, hi, *v));
    return;
  }
  *v = static_cast<uint32_t>(n);
}

void ReadBool(const std::map<std::string, std::string>& oc, const char* key, bool def, bool* v,
              std::vector<std::string>* errors) {
  auto it = oc.find(key);
  if (it == oc.end()) {
    *v = def;
  } else if (it->second == "true" || it->second == "false") {
    *v = it->second == "true";
  } else {
    errors->push_back(fmt::format("other_config:{}=\"{}\" is invalid: true or false is expected; "
                                  "keeping {}",
                                  key, it->second, *v ? "true" : "false"));
  }
}

}  // namespace

PmdOptions ParsePmdOptions(const std::map<std::string, std::string>& oc,
                           const PmdOptions& previous, std::vector<std::string>* errors) {
  PmdOptions o = previous;
  if (auto it = oc.find("pmd-rxq-assign"); it == oc.end()) {
    o.assign = RxqAssign::kCycles;
  } else if (it->second == "cycles") {
    o.assign = RxqAssign::kCycles;
  } else if (it->second == "roundrobin") {
    o.assign = RxqAssign::kRoundRobin;
  } else if (it->second == "group") {
    o.assign = RxqAssign::kGroup;
  } else {
    errors->push_back(fmt::format("other_config:pmd-rxq-assign=\"{}\" is invalid: cycles, "
                                  "roundrobin or group is expected; keeping '{}'",
                                  it->second, RxqAssignName(o.assign)));
  }
  ReadBool(oc, "pmd-rxq-isolate", true, &o.isolate, errors);
  if (!o.isolate && o.assign != RxqAssign::kGroup)
    errors->push_back("pmd-rxq-isolate can only be set false when using pmd-rxq-assign=group");
  ReadBool(oc, "pmd-auto-lb", false, &o.auto_lb, errors);
  ReadUint(oc, "pmd-auto-lb-load-threshold", 0, 100, 95, &o.alb_load_threshold, errors);
  ReadUint(oc, "pmd-auto-lb-improvement-threshold", 0, 100, 25, &o.alb_improvement_threshold,
           errors);
  // OVS: 0 means 1 minute; at most 20000 minutes.
  ReadUint(oc, "pmd-auto-lb-rebal-interval", 0, 20000, 1, &o.alb_interval_min, errors);
  if (o.alb_interval_min == 0) o.alb_interval_min = 1;
  return o;
}

namespace {

// One NUMA node's PMDs (indices into plan->pmds, by core) and its round-robin state.
struct SchedNuma {
  int node = 0;
  std::vector<size_t> pmds;
  size_t rr = 0;
  bool up = true;
};

struct Sched {
  PmdPlan* plan;
  std::vector<uint64_t> cycles;  // per PMD: measured cycles of its queues so far
  std::map<int, SchedNuma> numas;

  size_t NonIsolated(const SchedNuma& n) const {
    size_t c = 0;
    for (size_t i : n.pmds) c += !plan->pmds[i].isolated;
    return c;
  }
  // The next PMD of a round robin: 1,2,3,1,2,3 or, up and down, 1,2,3,3,2,1,1.
  size_t NextRr(SchedNuma* n, bool updown) {
    size_t cur = n->rr;
    size_t last = n->pmds.size() - 1;
    if (n->up) {
      if (cur == last) {
        if (updown) n->up = false;
        else n->rr = 0;
      } else {
        n->rr++;
      }
    } else if (cur == 0) {
      n->up = true;
    } else {
      n->rr--;
    }
    return n->pmds[cur];
  }
  // The next non-isolated PMD of the node (-1 if none).
  long Next(SchedNuma* n, RxqAssign algo, bool measured) {
    if (algo == RxqAssign::kGroup) {
      long best = -1;
      for (size_t i : n->pmds) {
        if (plan->pmds[i].isolated) continue;
        if (best < 0 || (measured ? cycles[i] < cycles[best]
                                  : plan->pmds[i].rxqs.size() < plan->pmds[best].rxqs.size()))
          best = static_cast<long>(i);
      }
      return best;
    }
    for (size_t k = 0; k < n->pmds.size() * 2; k++) {
      size_t i = NextRr(n, algo == RxqAssign::kCycles);
      if (!plan->pmds[i].isolated) return static_cast<long>(i);
    }
    return -1;
  }
};

RxqRef Ref(const PortQueues& p, uint16_t q, bool remote) {
  return RxqRef{p.name, p.dp_port, p.dev, p.eth_port, q, p.numa, remote};
}

std::string CyclesNote(RxqAssign algo, uint64_t cycles) {
  return algo == RxqAssign::kRoundRobin ? ""
                                        : fmt::format(" (measured processing cycles {})", cycles);
}

struct Todo {
  const PortQueues* port;
  uint16_t queue;
  uint64_t cycles;
};

// Pinned queues (pmd-rxq-affinity): to their core's PMD, which becomes isolated if
// isolation is on. Returns the queues left to schedule.
std::vector<Todo> PlaceAndCollect(const std::vector<const PortQueues*>& ports,
                                  const PmdOptions& o, Sched* s) {
  PmdPlan* plan = s->plan;
  const bool measured = o.assign != RxqAssign::kRoundRobin;
  std::vector<Todo> todo;
  for (const PortQueues* pp : ports) {
    const PortQueues& p = *pp;
    std::map<uint16_t, int> pins;
    if (!p.rxq_affinity.empty() && p.n_rxq > 0) {
      auto parsed = ParseRxqAffinity(p.rxq_affinity);
      if (parsed.ok()) {
        pins = *parsed;
      } else {
        plan->warnings.push_back(fmt::format("interface {}: other_config:pmd-rxq-affinity: {}; its "
                                             "queues are assigned as if it were not set",
                                             p.name, parsed.status().message()));
      }
      for (const auto& [q, core] : pins)
        if (q >= p.n_rxq)
          plan->warnings.push_back(fmt::format("interface {}: pmd-rxq-affinity names rx queue {} "
                                               "but it has {}", p.name, q, p.n_rxq));
    }
    for (uint16_t q = 0; q < p.n_rxq; q++) {
      uint64_t cycles = measured && q < p.rxq_cycles.size() ? p.rxq_cycles[q] : 0;
      auto pin = pins.find(q);
      if (pin == pins.end()) {
        todo.push_back(Todo{&p, q, cycles});
        continue;
      }
      long idx = -1;
      for (size_t i = 0; i < plan->pmds.size(); i++)
        if (plan->pmds[i].core == pin->second) idx = static_cast<long>(i);
      if (idx < 0) {
        plan->warnings.push_back(fmt::format("interface {}: rx queue {} is pinned to core {}, which "
                                             "runs no PMD thread: another core polls it (add core "
                                             "{} to other_config:pmd-cpu-mask)",
                                             p.name, q, pin->second, pin->second));
        todo.push_back(Todo{&p, q, cycles});
        continue;
      }
      PmdPlan::Pmd& pmd = plan->pmds[idx];
      if (o.effective_isolate()) pmd.isolated = true;
      pmd.rxqs.push_back(Ref(p, q, pmd.numa != p.numa));
      s->cycles[idx] += cycles;
      plan->log.push_back(fmt::format("Core {:2} on numa node {} is pinned with port '{}' rx queue "
                                      "{}{}",
                                      pmd.core, pmd.numa, p.name, q, CyclesNote(o.assign, cycles)));
    }
  }
  return todo;
}

void AssignQueues(const std::vector<const PortQueues*>& ports, const PmdOptions& o,
                  PmdPlan* plan) {
  Sched s{plan, std::vector<uint64_t>(plan->pmds.size(), 0), {}};
  for (size_t i = 0; i < plan->pmds.size(); i++) {
    SchedNuma& n = s.numas[plan->pmds[i].numa];
    n.node = plan->pmds[i].numa;
    n.pmds.push_back(i);
  }
  std::vector<Todo> todo = PlaceAndCollect(ports, o, &s);
  if (o.assign != RxqAssign::kRoundRobin) {
    // Most cycles first; ties in port number then queue order (stable sort).
    std::stable_sort(todo.begin(), todo.end(),
                     [](const Todo& a, const Todo& b) { return a.cycles > b.cycles; });
  }
  if (!todo.empty() && !plan->pmds.empty())
    plan->log.push_back(fmt::format("Performing pmd to rx queue assignment using {} algorithm.",
                                    RxqAssignName(o.assign)));
  auto cross = s.numas.end();  // the node the last cross-NUMA queue went to
  for (const Todo& t : todo) {
    const PortQueues& p = *t.port;
    SchedNuma* numa = nullptr;
    if (auto it = s.numas.find(p.numa); it != s.numas.end() && s.NonIsolated(it->second))
      numa = &it->second;
    for (size_t k = 0; !numa && k < s.numas.size(); k++) {
      cross = (cross == s.numas.end() || std::next(cross) == s.numas.end()) ? s.numas.begin()
                                                                             : std::next(cross);
      if (s.NonIsolated(cross->second)) numa = &cross->second;
    }
    long idx = numa ? s.Next(numa, o.assign, t.cycles != 0) : -1;
    if (idx < 0) {
      plan->warnings.push_back(fmt::format("No non-isolated pmd on any numa available for port "
                                           "'{}' rx queue {}{}. This rx queue will not be polled.",
                                           p.name, t.queue, CyclesNote(o.assign, t.cycles)));
      continue;
    }
    PmdPlan::Pmd& pmd = plan->pmds[idx];
    bool remote = pmd.numa != p.numa;
    if (remote)  // OVS logs this at INFO; numavs-switchd also warns when applying the plan
      plan->log.push_back(fmt::format("There's no available (non-isolated) pmd thread on numa "
                                           "node {}. Port '{}' rx queue {} will be assigned to a pmd "
                                           "on numa node {}. This may lead to reduced performance.",
                                           p.numa, p.name, t.queue, pmd.numa));
    pmd.rxqs.push_back(Ref(p, t.queue, remote));
    s.cycles[idx] += t.cycles;
    plan->log.push_back(fmt::format("Core {:2} on numa node {} assigned port '{}' rx queue {}{}.",
                                    pmd.core, pmd.numa, p.name, t.queue,
                                    CyclesNote(o.assign, t.cycles)));
  }
}

}  // namespace
}  // namespace vs::switchd
