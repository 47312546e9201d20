// The ovs-ofctl flow syntax: parsing and printing.
//
//   priority=100,in_port=dpdk0,ip,nw_dst=10.0.0.0/8,actions=output:dpdk1
//
// Fields are separated by commas or spaces; "actions=" takes the rest of the string.
// Supported: priority, cookie, table (0 only), idle_timeout/hard_timeout (parsed and
// ignored with a note), in_port, the shorthands ip ipv6 tcp udp icmp icmp6 arp tcp6 udp6,
// dl_src/dl_dst (with /mask), dl_type, dl_vlan (0xffff = untagged), dl_vlan_pcp, vlan_tci,
// nw_src/nw_dst (CIDR or dotted mask; arp_spa/arp_tpa for ARP), nw_proto (arp_op), nw_tos,
// nw_ttl, ipv6_src/ipv6_dst, tp_src/tp_dst (tcp_/udp_ aliases, /mask), icmp_type/icmp_code
// (icmpv6_ aliases). Prerequisites are OVS's: nw_* need ip/arp, tp_* need tcp/udp, ...
// Actions: output:PORT (or a bare port), drop, NORMAL, FLOOD, IN_PORT, mod_vlan_vid:N,
// mod_vlan_pcp:N, strip_vlan (pop_vlan), push_vlan:0x8100, mod_dl_src:MAC, mod_dl_dst:MAC.
//
// Errors are EINVAL with a sentence that names the offending token and what was expected.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "dp/actions.h"
#include "dp/match.h"

namespace vs::dp {

constexpr uint16_t kDefaultPriority = 32768;

constexpr uint8_t kAllTables = 0xff;

struct FlowSpec {
  uint8_t table = 0;  // kAllTables: del-flows/dump-flows in every table
  bool has_table = false;
  uint16_t priority = kDefaultPriority;
  bool has_priority = false;
  uint64_t cookie = 0;
  uint64_t cookie_mask = 0;  // del-flows: cookie=V/M; 0 = any
  Match match;
  MetaMatch meta;  // registers, metadata, conj_id
  OfActions actions;
  bool has_actions = false;
  std::vector<std::string> notes;  // things parsed but ignored, for the user
};

enum class ParseMode {
  kAdd,        // add-flow: actions= required
  kMatchOnly,  // del-flows, dump-flows filters, trace: actions= not allowed
};

// Parses one flow. Errors: EINVAL naming the bad token.
Result<FlowSpec> ParseFlow(std::string_view text, ParseMode mode, const PortResolver& resolver);

// Parses an action list ("output:1,mod_vlan_vid:10"; "drop" or "" is the empty list).
// Errors: EINVAL naming the bad action.
Result<OfActions> ParseActions(std::string_view text, const PortResolver& resolver);

// "priority=100,ip,nw_dst=10.0.0.0/8 actions=output:dpdk1" (priority omitted when default,
// as ovs-ofctl does).
std::string FormatFlow(uint16_t priority, const Match& m, const OfActions& a,
                       const PortNamer& namer);
// The same with the pipeline metadata match ("priority=5,ip,reg0=0x1,in_port=1 ...").
std::string FormatFlow(uint16_t priority, const Match& m, const MetaMatch& meta,
                       const OfActions& a, const PortNamer& namer);
// The match part only (no priority, no actions), in OVS's field order.
std::string FormatFullMatch(const Match& m, const MetaMatch& meta, const PortNamer& namer);
// Checks what OVS checks of a parsed or decoded flow's actions against its table and
// match: goto_table beyond the table, conjunction mixed with other actions, field
// prerequisites of load/move/set/mod_* (e.g. mod_tp_dst needs tcp or udp). EINVAL.
Status CheckActions(const FlowSpec& spec);

}  // namespace vs::dp
