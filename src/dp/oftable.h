// OfTable: the OpenFlow tables 0..254 of one bridge (the pipeline).
//
// In each table the highest priority matching rule wins (equal priorities: the earlier
// added). A rule matches packet fields (Match) and pipeline metadata (MetaMatch:
// registers, metadata, conj_id). Rules whose actions are only `conjunction` are soft:
// a packet that matches, at one priority above any plain rule, a rule of every clause of
// conjunction N is looked up again with conj_id=N (OVS's conjunctive matches).
//
// Storage is copy-on-write and incremental: a table is a short list of immutable levels
// (RuleSets), each indexed by mask; adding flows builds a new level of just those flows
// and merges neighbouring levels only when the newer is at least half the older's size
// (so an add costs O(log n) amortised, never a rebuild of the table); deleting or
// replacing a rule rebuilds the one level holding it. Published levels stay valid for
// readers until they are done with them. The control thread owns the OfTable; PMD
// threads only read a published Pipeline (through datapath.h's snapshot, under RCU) and
// add to rule counters.
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
  uint8_t table = 0;
  bool conjunctive = false;  // actions are conjunction (and note) only
  uint64_t cookie = 0;
  Match match;
  MetaMatch meta;
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

// What a table lookup compares: the packet's key and the pipeline metadata.
struct TableKey {
  FlowKey flow{};
  PipeMeta meta{};
  bool operator==(const TableKey& o) const { return flow == o.flow && meta == o.meta; }
};

// One level of one table as PMDs read it: immutable once published. `list` is in lookup
// order (priority descending, then insertion order); `groups` index the plain rules by
// mask (tuple space): one hash map per distinct mask from masked key to the rules with
// that key, best first, ordered by their highest priority; `conj_groups` the same for
// conjunctive rules.
struct RuleSet {
  struct KeyHash {
    size_t operator()(const TableKey& k) const;
  };
  // Staged lookup, as OVS's classifier: a group is first probed on the metadata (and
  // in_port), then with the Ethernet/VLAN fields, then with L3 added; a miss at a stage
  // un-wildcards only the packet fields up to it. Stages keep hashes of the keys.
  static constexpr int kStages = 3;
  struct Group {
    TableKey mask{};
    uint16_t max_priority = 0;
    TableKey stage_mask[kStages]{};
    bool stage_used[kStages] = {};
    std::unordered_set<size_t> stage_keys[kStages];
    std::unordered_map<TableKey, std::vector<const Rule*>, KeyHash> by_key;
  };
  RuleList list;
  std::vector<Group> groups;
  std::vector<Group> conj_groups;

  // `list` must be in lookup order.
  static std::shared_ptr<const RuleSet> Build(RuleList list);
  size_t size() const { return list.size(); }
  const Rule& at(size_t i) const { return *list.at(i); }
  bool Contains(const Rule* r) const;
};

// One OpenFlow table: its levels, oldest (largest) first.
struct TableRules {
  std::vector<std::shared_ptr<const RuleSet>> levels;
  size_t size = 0;
};

// A bridge's tables as PMDs read them.
struct Pipeline {
  std::vector<TableRules> tables;  // kNumTables entries
  size_t size() const;
  // Every rule, by table, then lookup order (control thread: dumps and statistics).
  RuleList All() const;
  // Rules of one table in lookup order.
  RuleList TableList(uint8_t table) const;
};

// The rule table `table` gives for (key, meta), conjunctions resolved, or nullptr. ORs
// into *consulted the packet-field part of the mask of every group it probed: with it,
// every key that agrees with `key` on *consulted (and has the same metadata) gets the
// same rule (the megaflow mask that keeps the answer valid).
const Rule* LookupTable(const Pipeline& p, uint8_t table, const FlowKey& key,
                        const PipeMeta& meta, FlowKey* consulted);
// Table 0 with zero metadata.
const Rule* LookupRule(const Pipeline& p, const FlowKey& key, FlowKey* consulted);
// The same by linear scan (reference for tests; no conjunctions).
const Rule* LookupRuleLinear(const Pipeline& p, uint8_t table, const FlowKey& key,
                             const PipeMeta& meta);
const Rule* LookupRuleLinear(const Pipeline& p, const FlowKey& key);

class OfTable {
 public:
  // A new bridge's table 0 holds "priority=0,actions=NORMAL", as OVS's does.
  explicit OfTable(uint64_t now_ns);

  // The published view (built on first call after a change).
  std::shared_ptr<const Pipeline> rules() const;

  // add-flow: replaces a rule with the same table, match and priority. Returns true if it
  // replaced one.
  bool Add(const FlowSpec& spec, uint64_t now_ns);
  // add-flows: the same for many flows as one new level (later specs replace earlier
  // ones with the same table, match and priority). Returns how many replaced a rule.
  size_t AddAll(const std::vector<FlowSpec>& specs, uint64_t now_ns);

  // del-flows in spec.table (kAllTables: every table). Non-strict: every rule whose match
  // is at least as specific as `spec`'s (priority ignored). Strict: the rule with exactly
  // this match and priority. Cookie filters apply when spec.cookie_mask != 0. Returns
  // the number removed.
  size_t Delete(const FlowSpec& spec, bool strict);

  // dump-flows text, one line per rule (as ovs-ofctl dump-flows, without the header).
  // With a filter, only rules it covers (non-strict semantics, its table if given).
  std::string Dump(const PortNamer& namer, uint64_t now_ns, const FlowSpec* filter) const;
  // ovs-appctl bridge/dump-flows's lines: "duration=Ns, n_packets=N, n_bytes=N, MATCH,actions=A".
  std::string DumpAppctl(const PortNamer& namer, uint64_t now_ns) const;

  size_t size() const { return size_; }
  size_t levels(uint8_t table) const { return tables_[table].levels.size(); }

 private:
  std::shared_ptr<Rule> MakeRule(const FlowSpec& spec, uint64_t now_ns);
  const Rule* FindSame(const Rule& r) const;
  void IndexAdd(const Rule* r);
  void IndexDel(const Rule* r);
  // Removes `victims` (all in table t) by rebuilding the levels holding them.
  void RemoveFrom(uint8_t t, const std::vector<const Rule*>& victims);
  // Appends a level of `fresh` (lookup order) to table t and merges as the policy says.
  void PushLevel(uint8_t t, RuleList fresh);

  std::vector<TableRules> tables_;
  std::unordered_multimap<size_t, const Rule*> index_;  // identity hash -> rule
  size_t size_ = 0;
  uint64_t next_seq_ = 0;
  mutable std::shared_ptr<const Pipeline> published_;
};

}  // namespace vs::dp
