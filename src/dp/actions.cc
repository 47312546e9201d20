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
  return type == o.type && port == o.port && value == o.value && std::memcmp(mac, o.mac, 6) == 0;
}
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
    }
  }
  return out;
}

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
    }
  }
  return out;
}

}  // namespace vs::dp
