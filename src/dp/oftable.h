// OfTable: the OpenFlow-style flow table of one bridge (table 0).
//
// Rules are kept in priority order (highest first; equal priorities in insertion order,
// the earlier rule wins). The table is copy-on-write: every change builds a new RuleList
// and the previous one stays valid for readers until they are done with it. The control
// thread owns the OfTable; PMD threads only read a published RuleSet (through
// datapath.h's snapshot, under RCU) and add to rule counters.
//
// Counters: each Rule has one packet/byte counter pair per PMD slot; a PMD adds to its
// own slot once per megaflow per batch with a plain (relaxed) load and store — no locked
// instruction on the fast path — and readers sum the slots. Replacing a rule (add-flow with identical match and priority)
// creates a new Rule, so its counters restart at zero, as in OpenFlow.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dp/actions.h"
#include "dp/flow_parse.h"
#include "dp/match.h"

namespace vs::dp {

// PMD ids below this have a counter slot of their own; higher ids share slots and add
// atomically.
constexpr uint32_t kRuleCounterSlots = 16;

struct Rule {
  uint16_t priority = 0;
  uint64_t cookie = 0;
  Match match;
  OfActions actions;
  uint64_t created_ns = 0;
  uint64_t seq = 0;  // insertion order

  // Adds to the slot of PMD `pmd_id` (the only writer of that slot when the id is below
  // kRuleCounterSlots). Any thread.
  void Count(uint32_t pmd_id, uint64_t packets, uint64_t bytes) const {
    Slot& s = slots_[pmd_id % kRuleCounterSlots];
    if (pmd_id < kRuleCounterSlots) {
      s.packets.store(s.packets.load(std::memory_order_relaxed) + packets,
                      std::memory_order_relaxed);
      s.bytes.store(s.bytes.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);
    } else {
      s.packets.fetch_add(packets, std::memory_order_relaxed);
      s.bytes.fetch_add(bytes, std::memory_order_relaxed);
    }
  }
  uint64_t n_packets() const {
    uint64_t n = 0;
    for (const Slot& s : slots_) n += s.packets.load(std::memory_order_relaxed);
    return n;
  }
  uint64_t n_bytes() const {
    uint64_t n = 0;
    for (const Slot& s : slots_) n += s.bytes.load(std::memory_order_relaxed);
    return n;
  }

 private:
  struct Slot {
    std::atomic<uint64_t> packets{0};
    std::atomic<uint64_t> bytes{0};
  };
  mutable Slot slots_[kRuleCounterSlots];
};

using RuleList = std::vector<std::shared_ptr<const Rule>>;

// The rules of a table as PMDs read them: immutable once published. `list` is in lookup
// order (priority descending, then insertion order); `groups` index the same rules by
// mask (tuple space): one hash map per distinct mask from masked key to the rules with
// that key, best first; groups are ordered by their highest priority.
struct RuleSet {
  struct KeyHash {
    size_t operator()(const FlowKey& k) const { return HashKey(k); }
  };
  // Staged lookup, as OVS's classifier: a group is first probed on its Ethernet/VLAN
  // fields, then with L3 added; a miss at a stage un-wildcards only the fields up to it.
  static constexpr int kStages = 2;  // proper prefixes of the full mask: L2, L2+L3
  struct Group {
    FlowKey mask{};
    uint16_t max_priority = 0;
    FlowKey stage_mask[kStages]{};  // mask restricted to the fields up to each stage
    bool stage_used[kStages] = {};  // stage adds fields and is not the whole mask
    std::unordered_set<FlowKey, KeyHash> stage_keys[kStages];
    std::unordered_map<FlowKey, std::vector<const Rule*>, KeyHash> by_key;
  };
  RuleList list;
  std::vector<Group> groups;

  static std::shared_ptr<const RuleSet> Build(RuleList list);
  size_t size() const { return list.size(); }
  const Rule& at(size_t i) const { return *list.at(i); }
};

// The highest-priority rule matching `key` (the earliest added among equals), or nullptr.
// ORs into *consulted the mask of every group it probed: with it, every key that agrees
// with `key` on *consulted probes the same groups with the same outcomes, so gets the
// same rule (the megaflow mask that keeps the answer valid). Groups whose highest
// priority is below the best match so far are not probed.
const Rule* LookupRule(const RuleSet& rules, const FlowKey& key, FlowKey* consulted);

// The same by linear scan over `list` (reference for tests).
const Rule* LookupRuleLinear(const RuleSet& rules, const FlowKey& key);

class OfTable {
 public:
  // A new table holds "priority=0,actions=NORMAL", as a new OVS bridge does.
  explicit OfTable(uint64_t now_ns);

  std::shared_ptr<const RuleSet> rules() const { return rules_; }

  // add-flow: replaces a rule with the same match and priority. Returns true if it
  // replaced one.
  bool Add(const FlowSpec& spec, uint64_t now_ns);
  // add-flows: the same for many flows with one rebuild (later specs replace earlier
  // ones with the same match and priority). Returns how many replaced a rule.
  size_t AddAll(const std::vector<FlowSpec>& specs, uint64_t now_ns);

  // del-flows. Non-strict: every rule whose match is at least as specific as `spec`'s
  // (priority ignored). Strict: the rule with exactly this match and priority.
  // Cookie filters apply when spec.cookie_mask != 0. Returns the number removed.
  size_t Delete(const FlowSpec& spec, bool strict);

  // dump-flows text, one line per rule (as ovs-ofctl dump-flows, without the header).
  // With a filter, only rules it covers (non-strict semantics).
  std::string Dump(const PortNamer& namer, uint64_t now_ns, const FlowSpec* filter) const;
  // ovs-appctl bridge/dump-flows's lines: "duration=Ns, n_packets=N, n_bytes=N, MATCH,actions=A".
  std::string DumpAppctl(const PortNamer& namer, uint64_t now_ns) const;

  size_t size() const { return rules_->size(); }

 private:
  std::shared_ptr<const RuleSet> rules_;
  uint64_t next_seq_ = 0;
};

}  // namespace vs::dp
