#include "ofproto/translate.h"

#include <fmt/format.h>

#include <cstring>

#include "openflow/consts.h"

namespace vs::ofproto {
namespace of = vs::openflow;
using of::Err;
using of::Field;
using of::Fail;

namespace {

void SetBytes(uint8_t* key, uint8_t* mask, const of::MatchField& f, size_t n) {
  for (size_t i = 0; i < n; i++) {
    mask[i] = f.mask[i];
    key[i] = f.value[i] & f.mask[i];
  }
}

template <typename T>
void SetInt(T* key, T* mask, uint64_t v, uint64_t m) {
  *mask = static_cast<T>(*mask | m);
  *key = static_cast<T>((*key & ~static_cast<T>(m)) | (v & m));
}

bool IsAllOnes(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != 0xff) return false;
  return true;
}
bool IsZero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return false;
  return true;
}

}  // namespace

uint32_t PortMap::ToOf(uint32_t dp_id) const {
  return dp_id == local_dp_id ? of::kPortLocal : dp_id;
}

std::optional<uint32_t> PortMap::ToDp(uint32_t of_port) const {
  if (of_port == of::kPortLocal) {
    if (local_dp_id == 0xffffffff) return std::nullopt;
    return local_dp_id;
  }
  if (of_port == 0 || of_port >= max_ports || of_port == local_dp_id) return std::nullopt;
  return of_port;
}

of::OfResult<dp::Match> MatchToDp(const of::Match& m, const PortMap& ports) {
  dp::Match d;
  dp::FlowKey& k = d.key;
  dp::FlowKey& mk = d.mask;
  for (const of::MatchField& f : m.fields) {
    uint64_t v = f.ValueInt(), mask = f.MaskInt();
    switch (f.field) {
      case Field::kInPort: {
        auto p = ports.ToDp(static_cast<uint32_t>(v));
        if (!p)
          return Fail(Err::kMatchBadValue,
                      fmt::format("in_port {} cannot exist on this bridge (numavs numbers ports "
                                  "1 to {} and LOCAL)", v, ports.max_ports - 2));
        k.in_port = *p, mk.in_port = 0xffffffff;
        break;
      }
      case Field::kEthDst: SetBytes(k.dl_dst, mk.dl_dst, f, 6); break;
      case Field::kEthSrc: SetBytes(k.dl_src, mk.dl_src, f, 6); break;
      case Field::kEthType: SetInt(&k.dl_type, &mk.dl_type, v, 0xffff); break;
      case Field::kVlanTci: SetInt(&k.vlan_tci, &mk.vlan_tci, v, mask); break;
      case Field::kVlanVid: SetInt(&k.vlan_tci, &mk.vlan_tci, v, mask & 0x1fff); break;
      case Field::kVlanPcp: SetInt(&k.vlan_tci, &mk.vlan_tci, v << 13, 0xe000); break;
      case Field::kIpTos: SetInt(&k.nw_tos, &mk.nw_tos, v, 0xfc); break;
      case Field::kIpDscp: SetInt(&k.nw_tos, &mk.nw_tos, v << 2, 0xfc); break;
      case Field::kIpEcn: SetInt(&k.nw_tos, &mk.nw_tos, v, 0x03); break;
      case Field::kIpProto: SetInt(&k.nw_proto, &mk.nw_proto, v, 0xff); break;
      case Field::kIpTtl: SetInt(&k.nw_ttl, &mk.nw_ttl, v, 0xff); break;
      case Field::kIpFrag: SetInt(&k.nw_frag, &mk.nw_frag, v, mask & 3); break;
      case Field::kArpOp:
        if (v > 255) return Fail(Err::kMatchBadValue, "arp_op above 255");
        SetInt(&k.nw_proto, &mk.nw_proto, v, 0xff);
        break;
      case Field::kIpv4Src: case Field::kArpSpa: SetInt(&k.nw_src, &mk.nw_src, v, mask); break;
      case Field::kIpv4Dst: case Field::kArpTpa: SetInt(&k.nw_dst, &mk.nw_dst, v, mask); break;
      case Field::kTcpSrc: case Field::kUdpSrc: SetInt(&k.tp_src, &mk.tp_src, v, mask); break;
      case Field::kTcpDst: case Field::kUdpDst: SetInt(&k.tp_dst, &mk.tp_dst, v, mask); break;
      case Field::kIcmpv4Type: case Field::kIcmpv6Type: SetInt(&k.tp_src, &mk.tp_src, v, 0xffff); break;
      case Field::kIcmpv4Code: case Field::kIcmpv6Code: SetInt(&k.tp_dst, &mk.tp_dst, v, 0xffff); break;
      case Field::kIpv6Src: SetBytes(k.ipv6_src, mk.ipv6_src, f, 16); break;
      case Field::kIpv6Dst: SetBytes(k.ipv6_dst, mk.ipv6_dst, f, 16); break;
      default:
        return Fail(Err::kMatchBadField, fmt::format("numavs cannot match on {} yet",
                                                     of::InfoOf(f.field).name));
    }
  }
  d.Normalize();
  return d;
}

namespace {

void AddBytes(of::Match* m, Field f, const uint8_t* key, const uint8_t* mask, uint8_t n) {
  if (IsZero(mask, n)) return;
  m->Add(f, key, IsAllOnes(mask, n) ? nullptr : mask, n);
}

void AddMasked(of::Match* m, Field f, uint64_t v, uint64_t mask, uint8_t n) {
  if (mask) m->AddMaskedInt(f, v, mask, n);
}

void AddVlan(of::Match* out, const dp::Match& m, of::TlvFormat format) {
  uint16_t tci = m.key.vlan_tci, mask = m.mask.vlan_tci;
  if (!mask) return;
  if (format == of::TlvFormat::kNxm) return AddMasked(out, Field::kVlanTci, tci, mask, 2);
  // OXM: VID (with the present bit) and PCP when the mask splits that way.
  uint16_t vid_mask = mask & 0x1fff, pcp_mask = mask & 0xe000;
  bool present = tci & 0x1000;
  if ((pcp_mask == 0 || (pcp_mask == 0xe000 && present)) &&
      (vid_mask == 0x1fff || vid_mask == 0x1000 || (!present && vid_mask))) {
    if (!present) out->AddInt(Field::kVlanVid, 0, 2);
    else AddMasked(out, Field::kVlanVid, tci & 0x1fff, vid_mask, 2);
    if (pcp_mask) out->AddInt(Field::kVlanPcp, tci >> 13, 1);
    return;
  }
  AddMasked(out, Field::kVlanTci, tci, mask, 2);  // NXM field inside OXM, as OVS
}

void AddL4(of::Match* out, const dp::Match& m) {
  const dp::FlowKey& k = m.key;
  const dp::FlowKey& mk = m.mask;
  Field src = Field::kTcpSrc, dst = Field::kTcpDst;
  uint8_t width = 2;
  bool v6 = k.dl_type == dp::kEthTypeIpv6;
  switch (k.nw_proto) {
    case dp::kIpProtoTcp: break;
    case dp::kIpProtoUdp: src = Field::kUdpSrc, dst = Field::kUdpDst; break;
    case dp::kIpProtoIcmp:
      if (v6) return;
      src = Field::kIcmpv4Type, dst = Field::kIcmpv4Code, width = 1;
      break;
    case dp::kIpProtoIcmpv6:
      if (!v6) return;
      src = Field::kIcmpv6Type, dst = Field::kIcmpv6Code, width = 1;
      break;
    default: return;
  }
  if (mk.nw_proto != 0xff) return;
  AddMasked(out, src, k.tp_src, width == 1 ? (mk.tp_src & 0xff) : mk.tp_src, width);
  AddMasked(out, dst, k.tp_dst, width == 1 ? (mk.tp_dst & 0xff) : mk.tp_dst, width);
}

}  // namespace

of::Match MatchFromDp(const dp::Match& m, const PortMap& ports, of::TlvFormat format) {
  of::Match out;
  const dp::FlowKey& k = m.key;
  const dp::FlowKey& mk = m.mask;
  if (mk.in_port) out.AddInt(Field::kInPort, ports.ToOf(k.in_port), 4);
  AddBytes(&out, Field::kEthSrc, k.dl_src, mk.dl_src, 6);
  AddBytes(&out, Field::kEthDst, k.dl_dst, mk.dl_dst, 6);
  AddVlan(&out, m, format);
  if (!mk.dl_type) return out;
  out.AddInt(Field::kEthType, k.dl_type, 2);
  if (k.dl_type == dp::kEthTypeArp) {
    if (mk.nw_proto) out.AddInt(Field::kArpOp, k.nw_proto, 2);
    AddMasked(&out, Field::kArpSpa, k.nw_src, mk.nw_src, 4);
    AddMasked(&out, Field::kArpTpa, k.nw_dst, mk.nw_dst, 4);
    return out;
  }
  if (k.dl_type != dp::kEthTypeIpv4 && k.dl_type != dp::kEthTypeIpv6) return out;
  if (mk.nw_proto) out.AddInt(Field::kIpProto, k.nw_proto, 1);
  if (mk.nw_tos & 0xfc) {
    if (format == of::TlvFormat::kNxm) out.AddInt(Field::kIpTos, k.nw_tos & 0xfc, 1);
    else out.AddInt(Field::kIpDscp, k.nw_tos >> 2, 1);
  }
  if (mk.nw_tos & 0x03) out.AddInt(Field::kIpEcn, k.nw_tos & 3, 1);
  if (mk.nw_ttl) out.AddInt(Field::kIpTtl, k.nw_ttl, 1);
  if (mk.nw_frag) AddMasked(&out, Field::kIpFrag, k.nw_frag, mk.nw_frag, 1);
  if (k.dl_type == dp::kEthTypeIpv4) {
    AddMasked(&out, Field::kIpv4Src, k.nw_src, mk.nw_src, 4);
    AddMasked(&out, Field::kIpv4Dst, k.nw_dst, mk.nw_dst, 4);
  } else {
    AddBytes(&out, Field::kIpv6Src, k.ipv6_src, mk.ipv6_src, 16);
    AddBytes(&out, Field::kIpv6Dst, k.ipv6_dst, mk.ipv6_dst, 16);
  }
  AddL4(&out, m);
  return out;
}

namespace {

of::OfResult<dp::OfAction> OutputToDp(uint32_t port, const PortMap& ports) {
  dp::OfAction a;
  switch (port) {
    case of::kPortNormal: a.type = dp::OfActionType::kNormal; return a;
    case of::kPortFlood: a.type = dp::OfActionType::kFlood; return a;
    case of::kPortInPort: a.type = dp::OfActionType::kInPort; return a;
    default: break;
  }
  auto p = ports.ToDp(port);
  if (!p)
    return Fail(Err::kActBadOutPort,
                fmt::format("output to port {:#x}: numavs supports port numbers, LOCAL, "
                            "NORMAL, FLOOD and IN_PORT", port));
  a.type = dp::OfActionType::kOutput;
  a.port = *p;
  return a;
}

// set_field (OF1.2+) onto what the datapath can set.
of::OfResult<dp::OfAction> SetFieldToDp(const of::MatchField& f, bool vlan_present) {
  dp::OfAction a;
  if (f.has_mask && !IsAllOnes(f.mask.data(), f.len))
    return Fail(Err::kActBadSetArgument, "numavs cannot set part of a field");
  switch (f.field) {
    case Field::kEthSrc:
    case Field::kEthDst:
      a.type = f.field == Field::kEthSrc ? dp::OfActionType::kSetDlSrc : dp::OfActionType::kSetDlDst;
      std::memcpy(a.mac, f.value.data(), 6);
      return a;
    case Field::kVlanVid:
    case Field::kVlanPcp:
      if (!vlan_present)
        return Fail(Err::kActMatchInconsistent,
                    "set_field of a VLAN field needs a VLAN tag: match one or push_vlan first");
      a.type = f.field == Field::kVlanVid ? dp::OfActionType::kSetVlanVid
                                          : dp::OfActionType::kSetVlanPcp;
      a.value = static_cast<uint16_t>(f.field == Field::kVlanVid ? f.ValueInt() & 0xfff : f.ValueInt());
      return a;
    default:
      return Fail(Err::kActBadSetType, fmt::format("numavs cannot set {} yet",
                                                   of::InfoOf(f.field).name));
  }
}

}  // namespace

of::OfResult<dp::OfActions> ActionsToDp(const of::Actions& acts, const dp::Match& match,
                                        const PortMap& ports) {
  dp::OfActions out;
  bool vlan = (match.mask.vlan_tci & dp::kVlanPresent) && (match.key.vlan_tci & dp::kVlanPresent);
  for (const of::Action& a : acts) {
    dp::OfAction d;
    switch (a.type) {
      case of::ActionType::kOutput: {
        auto o = OutputToDp(a.port, ports);
        if (!o.ok()) return o.error();
        d = *o;
        break;
      }
      case of::ActionType::kSetVlanVid: d.type = dp::OfActionType::kSetVlanVid, d.value = static_cast<uint16_t>(a.value); vlan = true; break;
      case of::ActionType::kSetVlanPcp: d.type = dp::OfActionType::kSetVlanPcp, d.value = static_cast<uint16_t>(a.value); vlan = true; break;
      case of::ActionType::kStripVlan: d.type = dp::OfActionType::kStripVlan; vlan = false; break;
      case of::ActionType::kPushVlan:
        d.type = dp::OfActionType::kPushVlan, d.value = static_cast<uint16_t>(a.value);
        vlan = true;
        break;
      case of::ActionType::kSetDlSrc:
      case of::ActionType::kSetDlDst:
        d.type = a.type == of::ActionType::kSetDlSrc ? dp::OfActionType::kSetDlSrc
                                                     : dp::OfActionType::kSetDlDst;
        std::memcpy(d.mac, a.mac, 6);
        break;
      case of::ActionType::kSetField: {
        auto s = SetFieldToDp(a.field, vlan);
        if (!s.ok()) return s.error();
        d = *s;
        break;
      }
      default:
        if (a.type >= of::ActionType::kResubmit)
          return Fail(Err::kActBadExpType, "numavs cannot execute this Nicira action yet");
        return Fail(Err::kActBadType, "numavs cannot execute this action yet");
    }
    out.push_back(d);
  }
  return out;
}

of::OfResult<dp::OfActions> InstructionsToDp(const of::Instructions& in, const dp::Match& match,
                                             const PortMap& ports) {
  if (in.goto_table) return Fail(Err::kInstBadTableId, "numavs has table 0 only: no goto_table");
  if (in.write || in.clear_actions || in.write_metadata || in.meter)
    return Fail(Err::kInstUnsupInst, "numavs supports the apply-actions instruction only");
  if (!in.apply) return dp::OfActions{};
  return ActionsToDp(*in.apply, match, ports);
}

of::Actions ActionsFromDp(const dp::OfActions& acts, const dp::Match& match, const PortMap& ports,
                          uint8_t version) {
  of::Actions out;
  bool vlan = (match.mask.vlan_tci & dp::kVlanPresent) && (match.key.vlan_tci & dp::kVlanPresent);
  for (const dp::OfAction& d : acts) {
    of::Action a;
    switch (d.type) {
      case dp::OfActionType::kOutput: a.port = ports.ToOf(d.port); break;
      case dp::OfActionType::kNormal: a.port = of::kPortNormal; break;
      case dp::OfActionType::kFlood: a.port = of::kPortFlood; break;
      case dp::OfActionType::kInPort: a.port = of::kPortInPort; break;
      case dp::OfActionType::kSetVlanVid:
      case dp::OfActionType::kSetVlanPcp:
        // mod_vlan_vid/pcp push a tag when there is none: OF1.1+ says so with push_vlan.
        if (version != of::kOf10 && !vlan) {
          of::Action push;
          push.type = of::ActionType::kPushVlan, push.value = dp::kEthTypeVlan;
          out.push_back(push);
        }
        vlan = true;
        a.type = d.type == dp::OfActionType::kSetVlanVid ? of::ActionType::kSetVlanVid
                                                         : of::ActionType::kSetVlanPcp;
        a.value = d.value;
        break;
      case dp::OfActionType::kStripVlan: a.type = of::ActionType::kStripVlan, vlan = false; break;
      case dp::OfActionType::kPushVlan:
        a.type = of::ActionType::kPushVlan, a.value = d.value, vlan = true;
        break;
      case dp::OfActionType::kSetDlSrc:
      case dp::OfActionType::kSetDlDst:
        a.type = d.type == dp::OfActionType::kSetDlSrc ? of::ActionType::kSetDlSrc
                                                       : of::ActionType::kSetDlDst;
        std::memcpy(a.mac, d.mac, 6);
        break;
      default:  // pipeline actions: not accepted from the wire yet (ActionsToDp refuses them)
        continue;
    }
    out.push_back(a);
  }
  return out;
}

bool OutputsTo(const dp::OfActions& acts, uint32_t of_port, const PortMap& ports) {
  for (const dp::OfAction& d : acts) {
    if (d.type == dp::OfActionType::kOutput && ports.ToOf(d.port) == of_port) return true;
    if (d.type == dp::OfActionType::kNormal && of_port == of::kPortNormal) return true;
    if (d.type == dp::OfActionType::kFlood && of_port == of::kPortFlood) return true;
    if (d.type == dp::OfActionType::kInPort && of_port == of::kPortInPort) return true;
  }
  return false;
}

}  // namespace vs::ofproto
