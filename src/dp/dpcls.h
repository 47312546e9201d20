// Dpcls: the megaflow classifier of one PMD thread (tuple-space search), and Megaflow.
//
// A megaflow is (masked key, mask) -> datapath actions, installed by an upcall. Dpcls keeps
// one Subtable per distinct mask: an open-addressing hash table keyed by the masked key,
// hashed over only the words the mask uses (chosen once when the subtable is created).
// A lookup probes subtables in order until one hits. Megaflows produced by the slow path
// for one table generation never overlap (two megaflows that a packet could both match
// would have come from the same evaluation path and hence have the same mask and masked
// key), so the first hit is the answer.
//
// Threading: single-threaded. A Dpcls belongs to one PMD; only that thread touches it.
// Megaflows are removed only in bulk — Clear() (flow limit, large tables) or Retain()
// (revalidation after a generation change) — and the PMD clears its EMC, whose entries
// point at megaflows, at the same time. Insert/Retain allocate (slow path); Lookup never.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dp/actions.h"
#include "dp/match.h"

namespace vs::dp {

struct Rule;
class MacTable;

constexpr int kInlineActions = 4;

// Laid out for the hit path: line 0 holds what every packet reads and writes, line 1 the
// first actions, then the key (compared on megaflow hits); the rest is cold.
struct alignas(64) Megaflow {
  Megaflow() = default;
  Megaflow(const Megaflow&) = delete;  // acts may point into this object
  Megaflow& operator=(const Megaflow&) = delete;

  // --- hot ---
  const DpAction* acts = nullptr;  // inline_acts or actions.data(); set by Prepare()
  uint16_t n_acts = 0;
  int16_t last_output = -1;  // index of the last kOutput action, -1 if none (drop)
  int16_t last_modify = -1;  // index of the last header-modifying action, -1 if none
  uint16_t learn_vlan = 0;
  int16_t simple_out = -1;  // the output port when the actions are just one output, else -1
  // Scratch of the owning PMD while it groups one batch by flow: the flow's index in
  // that batch's group list (valid only if the list's entry there is this flow).
  uint16_t batch_group = 0;
  const Rule* rule = nullptr;  // the OpenFlow rule it came from (counters), may be null
  // Statistics, written by the owning PMD only.
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t used_ns = 0;
  alignas(64) DpAction inline_acts[kInlineActions];
  // --- warm: the key and mask ---
  Match match;  // key is masked
  // --- cold ---
  DpActions actions;
  std::vector<const Rule*> more_rules;  // rules of later tables it went through (counters)
  MacTable* learn_table = nullptr;  // NORMAL: refresh (learn_vlan, src) while used
  uint64_t refreshed_packets = 0;   // housekeeping: packets at the last MAC refresh
  uint64_t created_ns = 0;
  uint32_t smc_index = 0;  // its index in the Dpcls (what signature-cache slots hold)

  // Fills acts/n_acts (copying short lists inline), last_output, last_modify and
  // simple_out.
  void Prepare();
};
static_assert(offsetof(Megaflow, inline_acts) == 64);
static_assert(offsetof(Megaflow, match) == 128);

class Dpcls {
 public:
  Dpcls();
  ~Dpcls();
  Dpcls(const Dpcls&) = delete;
  Dpcls& operator=(const Dpcls&) = delete;

  // The megaflow matching `key`, or nullptr.
  Megaflow* Lookup(const FlowKey& key) const;

  // Simple match: the megaflow whose mask is in_port alone, for packets received on
  // `in_port`, or nullptr. Since megaflows of one generation do not overlap, when it
  // exists every packet from that port takes it, so the PMD need not even parse them.
  Megaflow* PortFlow(uint32_t in_port) const {
    return in_port < port_flows_.size() ? port_flows_[in_port] : nullptr;
  }

  // Batch lookup: for each i with bit i set in *miss_map, looks keys[i] up; on a hit
  // stores the flow in flows[i] and clears the bit. Hashes of one subtable are computed
  // and their buckets prefetched before probing. With the signature cache on, it is
  // asked first. Returns the number of signature-cache hits.
  uint32_t LookupBatch(const FlowKey* keys, uint32_t* miss_map, Megaflow** flows);

  // The signature cache (SMC): kSmcEntries slots of (hash of the whole key, index of a
  // megaflow) in 4-way buckets, filled by subtable hits. A hit is verified against the
  // megaflow's key and mask, so stale slots only cost a miss; it replaces the walk over
  // subtables by one probe, which pays when lookups probe many subtables. Off until
  // switched on (8 MB).
  void SetSmc(bool on);
  bool smc_on() const { return smc_on_; }
  // Subtable lookups and the subtables they probed since the last call (to decide on the
  // SMC: probes / lookups is the average walk).
  std::pair<uint64_t, uint64_t> TakeProbeCounts() {
    auto r = std::make_pair(walks_, probes_);
    probes_taken_ += probes_;
    walks_ = probes_ = 0;
    return r;
  }
  // Subtable probes of every lookup so far (dpctl/show "masks: hit:").
  uint64_t probes_total() const { return probes_taken_ + probes_; }

  // Takes ownership; the flow's match must not overlap an installed one. Returns it.
  Megaflow* Insert(std::unique_ptr<Megaflow> flow);

  void Clear();
  // Orders subtables by hits since the last call, most hit first, and restarts the
  // counts (housekeeping, as OVS's dpcls sorts its subtable vector).
  void Rank();
  size_t size() const { return flows_.size(); }
  size_t subtables() const { return subtables_.size(); }

  // Visits every megaflow (dump, housekeeping).
  template <typename F>
  void ForEach(F&& f) const {
    for (const auto& m : flows_) f(*m);
  }
  template <typename F>
  void ForEachMutable(F&& f) {
    for (auto& m : flows_) f(*m);
  }

  // Keeps the megaflows for which keep(flow) returns true and frees the others, rebuilding
  // the subtables (the EMC must be cleared by the caller). Returns how many were freed.
  size_t Retain(const std::function<bool(Megaflow&)>& keep);

 private:
  struct Subtable;
  std::vector<std::unique_ptr<Subtable>> subtables_;
  std::vector<std::unique_ptr<Megaflow>> flows_;
  std::vector<Megaflow*> port_flows_;  // by in_port; see PortFlow()
  // Four ways per bucket: hashes and indexes (into flows_) of the keys placed there.
  struct alignas(32) SmcBucket {
    uint32_t hash[4];
    uint32_t index[4];
  };
  std::unique_ptr<SmcBucket[]> smc_;
  bool smc_on_ = false;
  uint64_t walks_ = 0;   // keys that went to the subtables
  uint64_t probes_ = 0;  // subtable probes of those keys
  uint64_t probes_taken_ = 0;  // probes_ of the past TakeProbeCounts() calls
};

constexpr uint32_t kSmcEntries = 1u << 20;  // power of two, 4 per bucket

}  // namespace vs::dp
