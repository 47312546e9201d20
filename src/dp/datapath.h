// Datapath: the control-thread side of the datapath — bridges, ports, OpenFlow tables,
// MAC tables — and the snapshot PMD threads read.
//
// Control thread API (not thread-safe: call from one thread, e.g. the switch daemon's
// main loop): AddBridge/DelBridge, AddPort/SetPort/DelPort, AddFlow/DelFlows/DumpFlows,
// Trace, FdbShow, Run (periodic: MAC aging and RCU reclamation).
//
// Every change publishes a new DpSnapshot (release store), bumps the generation, then
// retires the previous snapshot through Rcu (see rcu.h for the rule); PMD threads see
// the change at their next batch and drop their cached megaflows (pmd.h). Retired
// snapshots are freed by Run() or by later changes once every PMD has passed a
// quiescent state.
//
// Ports: each port has a datapath-wide id (1 .. max_ports-1), which is also its
// OpenFlow port number on its bridge. Names are unique across bridges.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "dp/oftable.h"
#include "dp/rcu.h"
#include "dp/snapshot.h"

namespace vs::dp {

struct PortConfig {
  std::string name;
  int tag = -1;                  // access VLAN 0-4095, or -1 for a trunk
  std::vector<uint16_t> trunks;  // trunk VLANs, empty = all
  uint32_t id = kNoPort;         // requested id (ofport_request), kNoPort = lowest free
};

struct DatapathOptions {
  uint32_t max_ports = 256;
  uint32_t max_pmds = 16;  // RCU reader ids 0 .. max_pmds-1
  uint64_t mac_aging_ns = kDefaultMacAgingNs;
  size_t max_megaflows = 65536;  // per PMD; reaching it flushes that PMD's cache
  // A megaflow hit is copied into the EMC with probability 1/emc_insert_inv_prob
  // (OVS's other_config:emc-insert-inv-prob, default 100); 1 = always, 0 = never.
  uint32_t emc_insert_inv_prob = 100;
  std::function<uint64_t()> clock;  // nanoseconds, monotonic; default steady_clock
};

class Datapath {
 public:
  // Errors: EINVAL (bad options), ENOMEM.
  static Result<std::unique_ptr<Datapath>> Create(DatapathOptions options = {});
  ~Datapath();  // PMDs must be gone (unregistered) first

  // Errors: EEXIST, EINVAL (empty name).
  Status AddBridge(const std::string& name);
  // Deletes the bridge and its ports. Errors: ENOENT.
  Status DelBridge(const std::string& name);
  // Errors: ENOENT (bridge), EEXIST (name or id taken), ENOSPC (no free id), EINVAL.
  Result<uint32_t> AddPort(const std::string& bridge, const PortConfig& config);
  // Changes a port's VLAN settings (forgets what it learned). Errors: ENOENT, EINVAL.
  Status SetPortVlan(const std::string& port, int tag, std::vector<uint16_t> trunks);
  // Errors: ENOENT.
  Status DelPort(const std::string& port);

  // add-flow. Returns the parser's notes (ignored timeouts). Errors: ENOENT (bridge),
  // EINVAL (syntax, naming the bad token).
  Result<std::vector<std::string>> AddFlow(const std::string& bridge, std::string_view flow);
  // add-flows: every line parsed first (an error names the line and adds nothing), then
  // all added with one table rebuild. Blank lines and lines starting with '#' are skipped.
  Result<std::vector<std::string>> AddFlows(const std::string& bridge,
                                            const std::vector<std::string>& lines);
  // del-flows [--strict]; empty text deletes all. Returns how many were removed.
  Result<size_t> DelFlows(const std::string& bridge, std::string_view match, bool strict);
  // The same on values (the OpenFlow front end, src/ofproto): adds or replaces rules with
  // one table rebuild; returns how many replaced a rule. Errors: ENOENT.
  Result<size_t> AddFlowSpecs(const std::string& bridge, const std::vector<FlowSpec>& specs);
  // del-flows on a value (cookie filter when spec.cookie_mask != 0). Errors: ENOENT.
  Result<size_t> DelFlowSpec(const std::string& bridge, const FlowSpec& spec, bool strict);
  // The bridge's current rules (lookup order), for flow statistics. Errors: ENOENT.
  Result<std::shared_ptr<const Pipeline>> Rules(const std::string& bridge) const;
  // dump-flows text (optionally filtered by a match).
  Result<std::string> DumpFlows(const std::string& bridge, std::string_view filter = {});
  // ovs-appctl bridge/dump-flows. Errors: ENOENT.
  Result<std::string> BridgeDumpFlows(const std::string& bridge);
  // ofproto/trace BRIDGE FLOW (FLOW must have in_port). Does not learn MACs.
  Result<std::string> Trace(const std::string& bridge, std::string_view flow);
  // fdb/show BRIDGE.
  Result<std::string> FdbShow(const std::string& bridge);
  Status FdbFlush(const std::string& bridge);
  // Fail-open on or off (snapshot.h BridgeView::fail_open; src/ofproto decides when).
  // Publishes only on a change. Errors: ENOENT.
  Status SetFailOpen(const std::string& bridge, bool on);
  // fdb/add BRIDGE PORT VLAN MAC: a static MAC entry (no aging, not moved by learning).
  // Errors: ENOENT (bridge, or port not on it), EINVAL (VLAN or MAC malformed).
  Status FdbAdd(const std::string& bridge, const std::string& port, const std::string& vlan,
                const std::string& mac);

  // Periodic control work: ages MAC entries, frees retired snapshots. Cheap; call ~1 Hz.
  void Run();

  // The ports of a bridge in id order (ofctl show). Errors: ENOENT.
  Result<std::vector<PortInfo>> Ports(const std::string& bridge) const;
  std::optional<uint32_t> PortId(std::string_view name) const;
  std::string PortName(uint32_t id) const;  // "" if none
  PortNamer Namer() const;
  std::vector<std::string> Bridges() const;
  uint64_t Now() const { return options_.clock(); }
  const DatapathOptions& options() const { return options_; }
  Rcu& rcu() { return *rcu_; }

  // --- For PMD threads (see pmd.h) ---
  const DpSnapshot* snapshot() const { return snap_.load(std::memory_order_acquire); }
  uint64_t generation() const { return gen_.load(std::memory_order_acquire); }

 private:
  struct BridgeCtl {
    std::shared_ptr<BridgeState> state;
    OfTable table;
    std::shared_ptr<const Rule> fail_open;
  };
  struct PortCtl {
    PortInfo info;
    std::string bridge;
  };
  explicit Datapath(DatapathOptions o, std::unique_ptr<Rcu> rcu);
  void Publish();
  Result<BridgeCtl*> Find(const std::string& bridge);
  PortResolver Resolver(const std::string& bridge) const;

  DatapathOptions options_;
  std::unique_ptr<Rcu> rcu_;
  std::map<std::string, BridgeCtl> bridges_;
  std::vector<PortCtl> ports_;  // by id; info.id == kNoPort if free
  // Published state. Written by the control thread only (release), read by PMDs (acquire).
  std::atomic<const DpSnapshot*> snap_{nullptr};
  // Bumped (release) after every publish and by MAC tables on changes; PMDs compare it
  // (acquire) before each batch and drop their caches when it moved.
  alignas(64) std::atomic<uint64_t> gen_{1};
};

}  // namespace vs::dp
