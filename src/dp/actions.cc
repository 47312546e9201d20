// Action printing.
#include "dp/actions.h"

#include <fmt/format.h>

#include <cstring>

namespace vs::dp {
namespace {

std::string PortName(uint32_t port, const PortNamer& namer) {
  std::string n = namer ? namer(port) : std::string();
  return n.empty() ? std::to_string(port) : n;
}

}  // namespace

bool OfAction::operator==(const OfAction& o) const {
  return type == o.type && port == o.port && value == o.value &&
         std::memcmp(mac, o.mac, 6) == 0 && table == o.table && set_field == o.set_field &&
         clause == o.clause && n_clauses == o.n_clauses && value64 == o.value64 &&
         value2 == o.value2 && src == o.src && dst == o.dst && note == o.note;
}

namespace {

// set_field's value as OVS prints it: MACs and IPv4 addresses in their forms, else hex.
std::string FieldValue(FieldId f, uint64_t v) {
  if (f == FieldId::kEthSrc || f == FieldId::kEthDst) {
    uint8_t m[6];
    for (int i = 5; i >= 0; i--, v >>= 8) m[i] = static_cast<uint8_t>(v);
    return FormatMac(m);
  }
  if (f == FieldId::kIpSrc || f == FieldId::kIpDst) return FormatIpv4(static_cast<uint32_t>(v));
  if (f == FieldId::kInPort || f == FieldId::kTpSrc || f == FieldId::kTpDst ||
      f == FieldId::kIpProto || f == FieldId::kIpTtl)
    return std::to_string(v);
  return fmt::format("{:#x}", v);
}

std::string FormatPipelineAction(const OfAction& a, const PortNamer& namer) {
  switch (a.type) {
    case OfActionType::kResubmit: {
      std::string port = a.port == kNoPortAction ? "" : PortName(a.port, namer);
      if (a.table == kTableHere) return "resubmit:" + port;
      return fmt::format("resubmit({},{})", port, a.table);
    }
    case OfActionType::kGotoTable: return fmt::format("goto_table:{}", a.table);
    case OfActionType::kLoad: {
      uint16_t width = FieldWidth(a.dst.field);
      bool whole = a.dst.ofs == 0 && a.dst.n_bits == width;
      if (a.set_field && whole) {
        return fmt::format("set_field:{}->{}", FieldValue(a.dst.field, a.value64),
                           ShortName(a.dst.field));
      }
      if (a.set_field) {
        uint64_t m = (a.dst.n_bits >= 64 ? ~0ull : (1ull << a.dst.n_bits) - 1) << a.dst.ofs;
        return fmt::format("set_field:{:#x}/{:#x}->{}", a.value64 << a.dst.ofs, m,
                           ShortName(a.dst.field));
      }
      return fmt::format("load:{:#x}->{}", a.value64, FormatSubfield(a.dst));
    }
    case OfActionType::kMove:
      return fmt::format("move:{}->{}", FormatSubfield(a.src), FormatSubfield(a.dst));
    case OfActionType::kOutputReg: return "output:" + FormatSubfield(a.src);
    case OfActionType::kDecTtl: return "dec_ttl";
    case OfActionType::kSetNwSrc: return "mod_nw_src:" + FormatIpv4(static_cast<uint32_t>(a.value64));
    case OfActionType::kSetNwDst: return "mod_nw_dst:" + FormatIpv4(static_cast<uint32_t>(a.value64));
    case OfActionType::kSetNwTos: return fmt::format("mod_nw_tos:{}", a.value);
    case OfActionType::kSetNwTtl: return fmt::format("mod_nw_ttl:{}", a.value);
    case OfActionType::kSetTpSrc: return fmt::format("mod_tp_src:{}", a.value);
    case OfActionType::kSetTpDst: return fmt::format("mod_tp_dst:{}", a.value);
    case OfActionType::kNote: {
      std::string out = "note:";
      for (size_t i = 0; i < a.note.size(); i++) {
        out += fmt::format("{}{:02x}", i ? "." : "", static_cast<uint8_t>(a.note[i]));
      }
      return out;
    }
    case OfActionType::kConjunction:
      return fmt::format("conjunction({},{}/{})", a.value64, a.clause + 1, a.n_clauses);
    case OfActionType::kWriteMetadata:
      if (a.value2 == ~0ull) return fmt::format("write_metadata:{:#x}", a.value64);
      return fmt::format("write_metadata:{:#x}/{:#x}", a.value64, a.value2);
    default: return "?";
  }
}

}  // namespace
bool DpAction::operator==(const DpAction& o) const {
  return type == o.type && port == o.port && tci == o.tci && tci_mask == o.tci_mask &&
         std::memcmp(mac, o.mac, 6) == 0;
}

std::string FormatOfActions(const OfActions& actions, const PortNamer& namer) {
  if (actions.empty()) return "drop";
  std::string out;
  for (const OfAction& a : actions) {
    if (!out.empty()) out.push_back(',');
    switch (a.type) {
      case OfActionType::kOutput:
        out += "output:" + PortName(a.port, namer);
        break;
      case OfActionType::kNormal:
        out += "NORMAL";
        break;
      case OfActionType::kFlood:
        out += "FLOOD";
        break;
      case OfActionType::kInPort:
        out += "IN_PORT";
        break;
      case OfActionType::kSetVlanVid:
        out += fmt::format("mod_vlan_vid:{}", a.value);
        break;
      case OfActionType::kSetVlanPcp:
        out += fmt::format("mod_vlan_pcp:{}", a.value);
        break;
      case OfActionType::kStripVlan:
        out += "strip_vlan";
        break;
      case OfActionType::kPushVlan:
        out += fmt::format("push_vlan:{:#06x}", a.value);
        break;
      case OfActionType::kSetDlSrc:
        out += "mod_dl_src:" + FormatMac(a.mac);
        break;
      case OfActionType::kSetDlDst:
        out += "mod_dl_dst:" + FormatMac(a.mac);
        break;
      default:
        out += FormatPipelineAction(a, namer);
        break;
    }
  }
  return out;
}

namespace {
std::string IpSetFields(const DpAction& a) {
  switch (a.type) {
    case DpActionType::kSetIpv4Src: return "src=" + FormatIpv4(a.port);
    case DpActionType::kSetIpv4Dst: return "dst=" + FormatIpv4(a.port);
    case DpActionType::kSetIpTos: return fmt::format("tos={:#x}/{:#x}", a.tci, a.tci_mask);
    default: return fmt::format("ttl={}", a.tci);
  }
}
}  // namespace

std::string FormatDpActions(const DpActions& actions, const PortNamer& namer) {
  if (actions.empty()) return "drop";
  std::string out;
  for (const DpAction& a : actions) {
    if (!out.empty()) out.push_back(',');
    switch (a.type) {
      case DpActionType::kOutput:
        out += PortName(a.port, namer);
        break;
      case DpActionType::kPushVlan:
        if (a.tci_mask == kEthTypeQinQ) {
          out += fmt::format("push_vlan(tpid=0x88a8,vid={},pcp={})", a.tci & kVlanVidMask,
                             a.tci >> 13);
        } else {
          out += fmt::format("push_vlan(vid={},pcp={})", a.tci & kVlanVidMask, a.tci >> 13);
        }
        break;
      case DpActionType::kPopVlan:
        out += "pop_vlan";
        break;
      case DpActionType::kSetVlan:
        if ((a.tci_mask & kVlanVidMask) && (a.tci_mask & kVlanPcpMask)) {
          out += fmt::format("set(vlan(vid={},pcp={}))", a.tci & kVlanVidMask, a.tci >> 13);
        } else if (a.tci_mask & kVlanVidMask) {
          out += fmt::format("set(vlan(vid={}))", a.tci & kVlanVidMask);
        } else {
          out += fmt::format("set(vlan(pcp={}))", a.tci >> 13);
        }
        break;
      case DpActionType::kSetEthSrc:
        out += "set(eth(src=" + FormatMac(a.mac) + "))";
        break;
      case DpActionType::kSetEthDst:
        out += "set(eth(dst=" + FormatMac(a.mac) + "))";
        break;
      case DpActionType::kSetIpv4Src:
      case DpActionType::kSetIpv4Dst:
      case DpActionType::kSetIpTos:
      case DpActionType::kSetIpTtl:
        out += "set(ipv4(" + IpSetFields(a) + "))";
        break;
      case DpActionType::kSetTpSrc:
      case DpActionType::kSetTpDst:
        out += fmt::format("set({}({}={}))", a.mac[0] == kIpProtoUdp ? "udp" : "tcp",
                           a.type == DpActionType::kSetTpSrc ? "src" : "dst", a.tci);
        break;
    }
  }
  return out;
}

}  // namespace vs::dp
