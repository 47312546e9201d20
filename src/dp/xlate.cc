// Upcall translation: OpenFlow actions -> datapath actions + megaflow mask.
#include "dp/xlate.h"

#include <fmt/format.h>

#include <cstring>

namespace vs::dp {
namespace {

struct Xlate {
  const DpSnapshot& snap;
  const BridgeView& br;
  const PortInfo& in;
  const FlowKey& key;
  uint64_t now;
  bool learn;
  UpcallResult* out;
  std::string* trace;
  uint16_t cur_tci;  // the packet's outer VLAN as the actions so far leave it
  uint8_t cur_src[6];
  uint8_t cur_dst[6];

  std::string Name(uint32_t port) const {
    const PortInfo* p = snap.Port(port);
    return p ? p->name : std::to_string(port);
  }
  void Note(const std::string& s) {
    if (trace) *trace += "     -> " + s + "\n";
  }
  void Emit(DpAction a) { out->actions.push_back(a); }
  void Output(uint32_t port) {
    DpAction a;
    a.type = DpActionType::kOutput;
    a.port = port;
    Emit(a);
  }
  void NeedVlanPresence() { out->mask.vlan_tci |= kVlanPresent; }
  void NeedVlan() { out->mask.vlan_tci |= kVlanPresent | kVlanVidMask; }

  void PushVlan(uint16_t tci, uint16_t tpid = kEthTypeVlan) {
    DpAction a;
    a.type = DpActionType::kPushVlan;
    a.tci = tci & ~kVlanPresent;
    a.tci_mask = tpid;
    Emit(a);
    cur_tci = tci | kVlanPresent;
  }
  void PopVlan() {
    DpAction a;
    a.type = DpActionType::kPopVlan;
    Emit(a);
    cur_tci = 0;
  }
  void SetVlan(uint16_t value, uint16_t mask) {
    DpAction a;
    a.type = DpActionType::kSetVlan;
    a.tci = value & mask;
    a.tci_mask = mask;
    Emit(a);
    cur_tci = static_cast<uint16_t>((cur_tci & ~mask) | (value & mask));
  }

  // Output to `port` carrying `vlan` the NORMAL way (access: untagged, trunk: tagged).
  void OutputInVlan(uint32_t port, uint16_t vlan) {
    const PortInfo* p = snap.Port(port);
    if (!p) return;
    bool tagged = p->tag < 0 && vlan != 0;
    if (!tagged && (cur_tci & kVlanPresent)) {
      PopVlan();
    } else if (tagged && !(cur_tci & kVlanPresent)) {
      PushVlan(vlan);
    } else if (tagged && (cur_tci & kVlanVidMask) != vlan) {
      SetVlan(vlan, kVlanVidMask);
    }
    Output(port);
  }

  void DoNormal();
  void DoAction(const OfAction& a);
};

void Xlate::DoNormal() {
  // Input VLAN.
  NeedVlan();
  uint16_t vlan;
  bool tagged = cur_tci & kVlanPresent;
  uint16_t vid = cur_tci & kVlanVidMask;
  if (in.tag >= 0) {
    if (tagged && vid != 0) {
      Note(fmt::format("dropping VLAN {} tagged packet received on access port {} (VLAN {})", vid,
                       in.name, in.tag));
      return;
    }
    vlan = static_cast<uint16_t>(in.tag);
  } else {
    vlan = tagged ? vid : 0;
    if (!in.InVlan(vlan)) {
      Note(
          fmt::format("dropping VLAN {} packet received on port {} not configured for trunking "
                      "VLAN {}",
                      vlan, in.name, vlan));
      return;
    }
  }
  std::memset(out->mask.dl_src, 0xff, 6);
  std::memset(out->mask.dl_dst, 0xff, 6);
  static constexpr uint8_t kReserved[5] = {0x01, 0x80, 0xc2, 0x00, 0x00};
  if (std::memcmp(cur_dst, kReserved, 5) == 0 && cur_dst[5] <= 0x0f) {
    // STP, LACP, LLDP, 802.1X...: link-local, never bridged (OVS's forward-bpdu=false).
    Note("dropping packet to reserved multicast address " + FormatMac(cur_dst));
    return;
  }
  if (!(cur_src[0] & 1)) {
    out->learn_table = &br.state->macs;
    out->learn_vlan = vlan;
    if (learn && br.state->macs.Learn(cur_src, vlan, in.id, now)) {
      Note(fmt::format("learned that {} is on port {} in VLAN {}", FormatMac(cur_src), in.name,
                       vlan));
    }
  }
  std::optional<uint32_t> dst;
  if (!(cur_dst[0] & 1)) dst = br.state->macs.Lookup(cur_dst, vlan, now);
  if (dst && *dst == in.id) {
    Note("learned port is input port, dropping");
    return;
  }
  if (dst && snap.Port(*dst) && snap.Port(*dst)->InVlan(vlan)) {
    Note(fmt::format("forwarding to learned port {}", Name(*dst)));
    OutputInVlan(*dst, vlan);
    return;
  }
  Note(cur_dst[0] & 1 ? "multicast/broadcast destination, flooding"
                      : "no learned MAC for destination, flooding");
  for (uint32_t p : br.ports) {
    const PortInfo* pi = snap.Port(p);
    if (p != in.id && pi && pi->InVlan(vlan)) OutputInVlan(p, vlan);
  }
}

void Xlate::DoAction(const OfAction& a) {
  switch (a.type) {
    case OfActionType::kOutput:
      if (a.port == in.id) {
        Note("skipping output to input port (use IN_PORT to send it back)");
      } else if (!snap.Port(a.port) || snap.Port(a.port)->bridge != in.bridge) {
        Note(fmt::format("output to port {} that is not on this bridge, skipped", a.port));
      } else {
        Output(a.port);
      }
      break;
    case OfActionType::kNormal:
      DoNormal();
      break;
    case OfActionType::kFlood:
      for (uint32_t p : br.ports) {
        if (p != in.id) Output(p);
      }
      break;
    case OfActionType::kInPort:
      Output(in.id);
      break;
    case OfActionType::kSetVlanVid:
    case OfActionType::kSetVlanPcp: {
      NeedVlanPresence();
      bool vid = a.type == OfActionType::kSetVlanVid;
      uint16_t m = vid ? kVlanVidMask : kVlanPcpMask;
      uint16_t v = vid ? a.value : static_cast<uint16_t>(a.value << 13);
      if (cur_tci & kVlanPresent) {
        SetVlan(v, m);
      } else {
        PushVlan(v);
      }
      break;
    }
    case OfActionType::kStripVlan:
      NeedVlanPresence();
      if (cur_tci & kVlanPresent) PopVlan();
      break;
    case OfActionType::kPushVlan:
      out->mask.vlan_tci = 0xffff;
      PushVlan(cur_tci & kVlanPresent ? cur_tci : 0, a.value);
      break;
    case OfActionType::kSetDlSrc:
    case OfActionType::kSetDlDst: {
      DpAction d;
      bool src = a.type == OfActionType::kSetDlSrc;
      d.type = src ? DpActionType::kSetEthSrc : DpActionType::kSetEthDst;
      std::memcpy(d.mac, a.mac, 6);
      std::memcpy(src ? cur_src : cur_dst, a.mac, 6);
      Emit(d);
      break;
    }
  }
}

}  // namespace

void Upcall(const DpSnapshot& snap, const FlowKey& key, uint64_t now_ns, bool learn,
            UpcallResult* out, std::string* trace) {
  *out = UpcallResult{};
  out->mask.in_port = ~0u;
  const PortInfo* in = snap.Port(key.in_port);
  if (!in || in->bridge >= snap.bridges.size()) {
    if (trace) *trace += fmt::format("No such port {}: dropping\n", key.in_port);
    return;
  }
  const BridgeView& br = snap.bridges[in->bridge];
  PortNamer namer = [&snap](uint32_t p) {
    const PortInfo* pi = snap.Port(p);
    return pi ? pi->name : std::string();
  };
  if (trace) {
    std::string title = fmt::format("bridge(\"{}\")", br.state->name);
    *trace += title + "\n" + std::string(title.size(), '-') + "\n";
  }
  const Rule* rule = br.fail_open ? br.fail_open.get() : LookupRule(*br.rules, key, &out->mask);
  out->rule = rule;
  if (!rule) {
    if (trace) *trace += " 0. No match.\n    drop\n";
    return;
  }
  if (trace) {
    std::string m = FormatMatch(rule->match, namer);
    *trace += fmt::format(" 0. {}{}priority {}{}\n", m, m.empty() ? "" : ", ", rule->priority,
                          rule->cookie ? fmt::format(", cookie {:#x}", rule->cookie) : "");
  }
  Xlate x{snap, br, *in, key, now_ns, learn, out, trace, key.vlan_tci, {}, {}};
  std::memcpy(x.cur_src, key.dl_src, 6);
  std::memcpy(x.cur_dst, key.dl_dst, 6);
  for (const OfAction& a : rule->actions) {
    if (trace) *trace += "    " + FormatOfActions({a}, namer) + "\n";
    x.DoAction(a);
  }
  if (trace && rule->actions.empty()) *trace += "    drop\n";
}

bool Revalidate(const DpSnapshot& snap, Megaflow* f, uint64_t now_ns) {
  UpcallResult r;
  Upcall(snap, f->match.key, now_ns, /*learn=*/false, &r, nullptr);
  if (!(r.actions == f->actions)) return false;
  const KeyWord* nm = Words(r.mask);
  const KeyWord* om = Words(f->match.mask);
  for (int i = 0; i < kKeyWords; i++) {
    if (nm[i] & ~om[i]) return false;
  }
  if (r.learn_table) {
    auto port = r.learn_table->Lookup(f->match.key.dl_src, r.learn_vlan, now_ns);
    if (!port || *port != f->match.key.in_port) return false;
  }
  f->rule = r.rule;
  f->learn_table = r.learn_table;
  f->learn_vlan = r.learn_vlan;
  return true;
}

FlowKey ApplyToKey(const FlowKey& key, const DpActions& actions) {
  FlowKey k = key;
  for (const DpAction& a : actions) {
    switch (a.type) {
      case DpActionType::kOutput:
        break;
      case DpActionType::kPushVlan:
        k.vlan_tci = static_cast<uint16_t>(a.tci | kVlanPresent);
        break;
      case DpActionType::kPopVlan:
        k.vlan_tci = 0;
        break;
      case DpActionType::kSetVlan:
        if (k.vlan_tci & kVlanPresent) {
          k.vlan_tci = static_cast<uint16_t>((k.vlan_tci & ~a.tci_mask) | (a.tci & a.tci_mask));
        }
        break;
      case DpActionType::kSetEthSrc:
        std::memcpy(k.dl_src, a.mac, 6);
        break;
      case DpActionType::kSetEthDst:
        std::memcpy(k.dl_dst, a.mac, 6);
        break;
    }
  }
  return k;
}

}  // namespace vs::dp
