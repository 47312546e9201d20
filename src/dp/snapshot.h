// DpSnapshot: the immutable view of the datapath's configuration that PMD threads read.
//
// The control thread (datapath.h) builds a new snapshot for every change — ports, VLAN
// settings, bridges, flow tables — publishes it with one release store and retires the
// old one through RCU (rcu.h). PMDs load it once per batch and never keep pointers into
// it across a quiescent state, except inside cached megaflows, which they drop whenever
// the datapath generation changes (the generation is bumped after every publish; see
// pmd.h for why that makes the cached pointers safe).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dp/mac_table.h"
#include "dp/oftable.h"

namespace vs::dp {

constexpr uint32_t kNoPort = 0xffffffff;

struct PortInfo {
  uint32_t id = kNoPort;  // datapath port number; also the bridge's OpenFlow port number
  std::string name;
  uint32_t bridge = 0;           // index into DpSnapshot::bridges
  int tag = -1;                  // access VLAN; -1 = trunk
  std::vector<uint16_t> trunks;  // trunk: allowed VLANs, empty = all

  bool valid() const { return id != kNoPort; }
  // True if this port carries `vlan` (0 = untagged traffic on a trunk).
  bool InVlan(uint16_t vlan) const {
    if (tag >= 0) return vlan == tag;
    if (trunks.empty() || vlan == 0) return true;
    for (uint16_t t : trunks) {
      if (t == vlan) return true;
    }
    return false;
  }
};

// Shared, control-owned per-bridge state that outlives snapshots.
struct BridgeState {
  BridgeState(std::string n, std::atomic<uint64_t>* gen, uint64_t aging_ns)
      : name(std::move(n)), macs(gen, aging_ns) {}
  std::string name;
  MacTable macs;
};

struct BridgeView {
  std::shared_ptr<BridgeState> state;
  std::shared_ptr<const Pipeline> rules;
  std::vector<uint32_t> ports;  // ids, ascending
  // Set while the bridge is in OVS's "fail-open" (fail_mode=standalone, controllers
  // configured, none connected): every packet takes this rule (actions=NORMAL), above
  // and instead of the table, without showing in it (Datapath::SetFailOpen).
  std::shared_ptr<const Rule> fail_open;
};

struct DpSnapshot {
  std::vector<PortInfo> ports;  // indexed by port id; invalid entries have id == kNoPort
  std::vector<BridgeView> bridges;

  const PortInfo* Port(uint32_t id) const {
    return id < ports.size() && ports[id].valid() ? &ports[id] : nullptr;
  }
};

}  // namespace vs::dp
