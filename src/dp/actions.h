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

#include "dp/fields.h"
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
  // The pipeline (multi-table) actions.
  kResubmit,     // port (kNoPort: the current in_port), table (kTableHere: the current one)
  kGotoTable,    // table (the goto_table instruction, always last)
  kLoad,         // dst = value64 (load:, or set_field: when set_field is true; mask in value2)
  kMove,         // dst = src
  kOutputReg,    // output to the port number in src
  kDecTtl,       // IPv4/IPv6 TTL - 1; a packet with TTL <= 1 is dropped
  kSetNwSrc,     // value64 = IPv4 address (mod_nw_src)
  kSetNwDst,
  kSetNwTos,     // value = ToS byte with the ECN bits zero (mod_nw_tos)
  kSetNwTtl,     // value (mod_nw_ttl)
  kSetTpSrc,     // value (mod_tp_src)
  kSetTpDst,
  kNote,         // note bytes (does nothing)
  kConjunction,  // value64 = id, clause (0-based), n_clauses
  kWriteMetadata,  // value64/value2 (the write_metadata instruction)
};

constexpr uint32_t kNoPortAction = 0xffffffff;  // resubmit(,T): keep in_port
constexpr uint8_t kTableHere = 0xff;  // resubmit(port,) : the table doing the resubmit
constexpr int kNumTables = 255;       // tables 0..254
constexpr int kMaxResubmitDepth = 64;  // OVS's translation depth limit
constexpr int kMaxResubmits = 4096;    // OVS's limit on resubmits per packet

struct OfAction {
  OfActionType type = OfActionType::kOutput;
  uint32_t port = 0;
  uint16_t value = 0;
  uint8_t mac[6] = {};
  uint8_t table = kTableHere;
  bool set_field = false;  // kLoad written as set_field (printed so, as OVS keeps it)
  uint8_t clause = 0, n_clauses = 0;
  uint64_t value64 = 0;
  uint64_t value2 = ~0ull;  // kLoad/kWriteMetadata mask
  FieldRef src, dst;
  std::string note;  // kNote bytes
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
  kSetIpv4Src,  // port = address
  kSetIpv4Dst,  // port = address
  kSetIpTos,    // tci = ToS byte (the ECN bits kept from the packet)
  kSetIpTtl,    // tci = TTL
  kSetTpSrc,    // tci = port (TCP/UDP; checksums updated)
  kSetTpDst,
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
