// Actions at two levels.
//
// OfAction: what a user writes in a flow ("output:dpdk1", "NORMAL", "mod_vlan_vid:10").
// Several of them (NORMAL, FLOOD, IN_PORT, the VLAN ones) depend on the packet or on the
// bridge state; the slow path (xlate.h) turns a rule's OfActions into DpActions.
//
// DpAction: what the fast path executes on an mbuf — each one is unconditional and its
// effect does not depend on the packet beyond what the megaflow's mask fixes. A megaflow
// carries a DpAction list; an empty list drops.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dp/match.h"

namespace vs::dp {

enum class OfActionType : uint8_t {
  kOutput,  // port
  kNormal,
  kFlood,
  kInPort,
  kSetVlanVid,  // value = vid
  kSetVlanPcp,  // value = pcp
  kStripVlan,
  kPushVlan,  // value = ethertype (0x8100)
  kSetDlSrc,  // mac
  kSetDlDst,  // mac
};

struct OfAction {
  OfActionType type = OfActionType::kOutput;
  uint32_t port = 0;
  uint16_t value = 0;
  uint8_t mac[6] = {};
  bool operator==(const OfAction& o) const;
};
using OfActions = std::vector<OfAction>;

enum class DpActionType : uint8_t {
  kOutput,     // port
  kPushVlan,   // push a tag carrying tci (no kVlanPresent bit), TPID in tci_mask
  kPopVlan,    // remove the outer tag
  kSetVlan,    // outer tci = (tci & ~mask) | (value & mask), value/mask in tci
  kSetEthSrc,  // mac
  kSetEthDst,  // mac
};

struct DpAction {
  DpActionType type = DpActionType::kOutput;
  uint8_t mac[6] = {};
  uint16_t tci = 0;
  uint16_t tci_mask = 0;
  uint32_t port = 0;
  bool operator==(const DpAction& o) const;
};
static_assert(sizeof(DpAction) == 16);
using DpActions = std::vector<DpAction>;

// "output:dpdk1,mod_vlan_vid:10" (ovs-ofctl); "drop" for an empty list.
std::string FormatOfActions(const OfActions& a, const PortNamer& namer);
// "push_vlan(vid=10,pcp=0),2,3" (ovs-dpctl); "drop" for an empty list.
std::string FormatDpActions(const DpActions& a, const PortNamer& namer);

}  // namespace vs::dp
