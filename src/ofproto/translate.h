// Translation between OpenFlow values (src/openflow) and what the datapath's table 0
// holds (dp::Match, dp::OfActions), in both directions.
//
// Port numbers: a datapath port id is the port's OpenFlow number, except the bridge's
// LOCAL port (the internal interface named like the bridge), which is OFPP_LOCAL on the
// wire. Whatever the datapath cannot do today is refused with the OpenFlow error a
// controller expects: match fields it does not extract (OFPBMC_BAD_FIELD), actions it
// cannot execute (OFPBAC_BAD_TYPE, or BAD_VENDOR_TYPE for Nicira ones; set_field of a
// field it cannot set: OFPBAC_BAD_SET_TYPE), output to ports it has no meaning for
// (ALL, CONTROLLER, TABLE: OFPBAC_BAD_OUT_PORT), instructions other than apply-actions
// (goto_table: OFPBIC_BAD_TABLE_ID, others OFPBIC_UNSUP_INST). Nothing is accepted and
// then ignored.
#pragma once

#include <cstdint>

#include "dp/actions.h"
#include "dp/match.h"
#include "openflow/actions.h"
#include "openflow/match.h"

namespace vs::ofproto {

// How the bridge numbers its ports: the datapath id of LOCAL and the id limit.
struct PortMap {
  uint32_t local_dp_id = 0xffffffff;  // datapath id of the LOCAL port, if any
  uint32_t max_ports = 256;           // datapath ids are below this

  uint32_t ToOf(uint32_t dp_id) const;
  // nullopt for numbers no datapath port can carry.
  std::optional<uint32_t> ToDp(uint32_t of_port) const;
};

openflow::OfResult<dp::Match> MatchToDp(const openflow::Match& m, const PortMap& ports);
// For the wire: NXM (and OF1.0) matches use vlan_tci/nw_tos, OXM ones vlan_vid/ip_dscp.
openflow::Match MatchFromDp(const dp::Match& m, const PortMap& ports, openflow::TlvFormat format);

// `match` is the rule's match (set_field of a VLAN needs a tag to be there).
openflow::OfResult<dp::OfActions> ActionsToDp(const openflow::Actions& a, const dp::Match& match,
                                              const PortMap& ports);
openflow::OfResult<dp::OfActions> InstructionsToDp(const openflow::Instructions& in,
                                                   const dp::Match& match, const PortMap& ports);
openflow::Actions ActionsFromDp(const dp::OfActions& a, const dp::Match& match,
                                const PortMap& ports, uint8_t version);

// True if the actions send packets to OpenFlow port `of_port` (the out_port filter).
bool OutputsTo(const dp::OfActions& a, uint32_t of_port, const PortMap& ports);

}  // namespace vs::ofproto
