// Upcall translation: OpenFlow actions -> datapath actions + megaflow mask.
#include "dp/xlate.h"

#include <fmt/format.h>

#include <cstring>

#include "dp/fields.h"

namespace vs::dp {
namespace {

struct Xlate {
  const DpSnapshot& snap;
  const BridgeView& br;
  const PortInfo& in;
  uint64_t now;
  bool learn;
  UpcallResult* out;
  std::string* trace;
  FlowKey flow;     // the packet as the actions so far leave it (VLAN/MAC changes emitted)
  FlowKey base;     // IPv4/L4 fields as the datapath actions so far leave them
  FlowKey written{};  // IPv4/L4 bits set actions wrote since the last commit
  PipeMeta meta{};
  int depth = 0;
  int resubmits = 0;
  bool failed = false;  // recursion too deep: the packet is dropped
  bool stop = false;    // dec_ttl on TTL <= 1: the action list ends
  uint8_t table = 0;

  std::string Name(uint32_t port) const {
    const PortInfo* p = snap.Port(port);
    return p ? p->name : std::to_string(port);
  }
  void Note(const std::string& s) {
    if (trace) *trace += "     -> " + s + "\n";
  }
  void Emit(DpAction a) { out->actions.push_back(a); }
  void Output(uint32_t port) {
    Commit();
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
    flow.vlan_tci = tci | kVlanPresent;
  }
  void PopVlan() {
    DpAction a;
    a.type = DpActionType::kPopVlan;
    Emit(a);
    flow.vlan_tci = 0;
  }
  void SetVlan(uint16_t value, uint16_t mask) {
    DpAction a;
    a.type = DpActionType::kSetVlan;
    a.tci = value & mask;
    a.tci_mask = mask;
    Emit(a);
    flow.vlan_tci = static_cast<uint16_t>((flow.vlan_tci & ~mask) | (value & mask));
  }
  void SetMac(bool src, const uint8_t mac[6]) {
    DpAction d;
    d.type = src ? DpActionType::kSetEthSrc : DpActionType::kSetEthDst;
    std::memcpy(d.mac, mac, 6);
    std::memcpy(src ? flow.dl_src : flow.dl_dst, mac, 6);
    Emit(d);
  }

  // Output to `port` carrying `vlan` the NORMAL way (access: untagged, trunk: tagged).
  void OutputInVlan(uint32_t port, uint16_t vlan) {
    const PortInfo* p = snap.Port(port);
    if (!p) return;
    bool tagged = p->tag < 0 && vlan != 0;
    if (!tagged && (flow.vlan_tci & kVlanPresent)) {
      PopVlan();
    } else if (tagged && !(flow.vlan_tci & kVlanPresent)) {
      PushVlan(vlan);
    } else if (tagged && (flow.vlan_tci & kVlanVidMask) != vlan) {
      SetVlan(vlan, kVlanVidMask);
    }
    Output(port);
  }

  void Commit();
  void WritePacketField(const FieldRef& r, uint64_t v);
  void OutputPort(uint32_t port);
  void DoNormal();
  void DoAction(const OfAction& a);
  void DoPipelineAction(const OfAction& a);
  void DoTable(uint8_t table_id, uint32_t in_port);
  void RunActions(const OfActions& acts);
};

// Emits set actions for the IPv4/L4 fields written since the last commit. Each written
// field is un-wildcarded: whether a set is needed depends on the packet's value.
void Xlate::Commit() {
  auto emit = [&](DpActionType t, uint32_t port, uint16_t v, uint16_t m) {
    DpAction d;
    d.type = t;
    d.port = port;
    d.tci = v;
    d.tci_mask = m;
    d.mac[0] = flow.nw_proto;
    Emit(d);
  };
  if (written.nw_src) {
    out->mask.nw_src = ~0u;
    if (flow.nw_src != base.nw_src) emit(DpActionType::kSetIpv4Src, flow.nw_src, 0, 0);
  }
  if (written.nw_dst) {
    out->mask.nw_dst = ~0u;
    if (flow.nw_dst != base.nw_dst) emit(DpActionType::kSetIpv4Dst, flow.nw_dst, 0, 0);
  }
  if (written.nw_tos) {
    out->mask.nw_tos |= 0xfc;
    if ((flow.nw_tos ^ base.nw_tos) & 0xfc) emit(DpActionType::kSetIpTos, 0, flow.nw_tos & 0xfc, 0xfc);
  }
  if (written.nw_ttl) {
    out->mask.nw_ttl = 0xff;
    if (flow.nw_ttl != base.nw_ttl) emit(DpActionType::kSetIpTtl, 0, flow.nw_ttl, 0xff);
  }
  if (written.tp_src) {
    out->mask.tp_src = 0xffff;
    if (flow.tp_src != base.tp_src) emit(DpActionType::kSetTpSrc, 0, flow.tp_src, 0xffff);
  }
  if (written.tp_dst) {
    out->mask.tp_dst = 0xffff;
    if (flow.tp_dst != base.tp_dst) emit(DpActionType::kSetTpDst, 0, flow.tp_dst, 0xffff);
  }
  base = flow;
  written = FlowKey{};
}

void Xlate::DoNormal() {
  // Input VLAN.
  NeedVlan();
  uint16_t vlan;
  bool tagged = flow.vlan_tci & kVlanPresent;
  uint16_t vid = flow.vlan_tci & kVlanVidMask;
  const uint8_t* cur_src = flow.dl_src;
  const uint8_t* cur_dst = flow.dl_dst;
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

void Xlate::OutputPort(uint32_t port) {
  if (port == flow.in_port) {
    Note("skipping output to input port (use IN_PORT to send it back)");
  } else if (!snap.Port(port) || snap.Port(port)->bridge != in.bridge) {
    Note(fmt::format("output to port {} that is not on this bridge, skipped", port));
  } else {
    Output(port);
  }
}

void Xlate::DoAction(const OfAction& a) {
  switch (a.type) {
    case OfActionType::kOutput:
      OutputPort(a.port);
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
      if (flow.vlan_tci & kVlanPresent) {
        SetVlan(v, m);
      } else {
        PushVlan(v);
      }
      break;
    }
    case OfActionType::kStripVlan:
      NeedVlanPresence();
      if (flow.vlan_tci & kVlanPresent) PopVlan();
      break;
    case OfActionType::kPushVlan:
      out->mask.vlan_tci = 0xffff;
      PushVlan(flow.vlan_tci & kVlanPresent ? flow.vlan_tci : 0, a.value);
      break;
    case OfActionType::kSetDlSrc:
    case OfActionType::kSetDlDst:
      SetMac(a.type == OfActionType::kSetDlSrc, a.mac);
      break;
    default:
      DoPipelineAction(a);
      break;
  }
}

// A set of a packet field (load, set_field, move, mod_nw_*, mod_tp_*): Ethernet changes
// are emitted at once, IPv4/L4 ones at the next commit. Fields whose header the packet
// lacks stay as they are (the rule's match guaranteed the prerequisites for its table).
void Xlate::WritePacketField(const FieldRef& r, uint64_t v) {
  FlowKey after = flow;
  PipeMeta unused;
  WriteField(r, v, &after, &unused);
  switch (r.field) {
    case FieldId::kEthSrc: SetMac(true, after.dl_src); return;
    case FieldId::kEthDst: SetMac(false, after.dl_dst); return;
    case FieldId::kInPort: flow.in_port = after.in_port; return;
    default: break;
  }
  out->mask.dl_type = 0xffff;
  bool ip4 = flow.dl_type == kEthTypeIpv4;
  bool l4 = (ip4 || flow.dl_type == kEthTypeIpv6) &&
            (flow.nw_proto == kIpProtoTcp || flow.nw_proto == kIpProtoUdp);
  if (r.field == FieldId::kTpSrc || r.field == FieldId::kTpDst) {
    out->mask.nw_proto = 0xff;
    if (!l4) return;
  } else if (!ip4) {
    return;
  }
  MarkField(r, &written);
  flow = after;
}

void Xlate::DoPipelineAction(const OfAction& a) {
  switch (a.type) {
    case OfActionType::kResubmit: {
      if (resubmits >= kMaxResubmits) {
        Note(fmt::format("over {} resubmit actions on bridge {}", kMaxResubmits, br.state->name));
        failed = true;
        return;
      }
      resubmits++;
      DoTable(a.table == kTableHere ? table : a.table,
              a.port == kNoPortAction ? flow.in_port : a.port);
      break;
    }
    case OfActionType::kGotoTable:
      DoTable(a.table, flow.in_port);
      break;
    case OfActionType::kLoad:
      if (IsMetaField(a.dst.field)) {
        FlowKey unused = flow;
        WriteField(a.dst, a.value64, &unused, &meta);
      } else {
        WritePacketField(a.dst, a.value64);
      }
      break;
    case OfActionType::kMove: {
      MarkField(a.src, &out->mask);
      uint64_t v = ReadField(a.src, flow, meta);
      if (IsMetaField(a.dst.field)) {
        FlowKey unused = flow;
        WriteField(a.dst, v, &unused, &meta);
      } else {
        WritePacketField(a.dst, v);
      }
      break;
    }
    case OfActionType::kOutputReg:
      MarkField(a.src, &out->mask);
      OutputPort(static_cast<uint32_t>(ReadField(a.src, flow, meta)));
      break;
    case OfActionType::kDecTtl:
      out->mask.dl_type = 0xffff;
      if (flow.dl_type != kEthTypeIpv4 && flow.dl_type != kEthTypeIpv6) break;
      out->mask.nw_ttl = 0xff;
      if (flow.nw_ttl <= 1) {
        Note("TTL exceeded: the packet is dropped (no controller to send it to)");
        stop = true;
        break;
      }
      flow.nw_ttl--;
      written.nw_ttl = 0xff;
      break;
    case OfActionType::kSetNwSrc:
    case OfActionType::kSetNwDst:
      WritePacketField({a.type == OfActionType::kSetNwSrc ? FieldId::kIpSrc : FieldId::kIpDst, 0, 32},
                       a.value64);
      break;
    case OfActionType::kSetNwTos:
      WritePacketField({FieldId::kIpTos, 2, 6}, a.value >> 2);
      break;
    case OfActionType::kSetNwTtl:
      WritePacketField({FieldId::kIpTtl, 0, 8}, a.value);
      break;
    case OfActionType::kSetTpSrc:
    case OfActionType::kSetTpDst:
      WritePacketField({a.type == OfActionType::kSetTpSrc ? FieldId::kTpSrc : FieldId::kTpDst, 0, 16},
                       a.value);
      break;
    case OfActionType::kWriteMetadata:
      meta.metadata = (meta.metadata & ~a.value2) | (a.value64 & a.value2);
      break;
    case OfActionType::kNote:
    case OfActionType::kConjunction:  // only in conjunctive rules, which never win
      break;
    default:
      break;
  }
}

void Xlate::RunActions(const OfActions& acts) {
  for (const OfAction& a : acts) {
    if (failed || stop) return;
    if (trace) *trace += std::string(4, ' ') + FormatOfActions({a}, PortNamer{[this](uint32_t p) {
                           const PortInfo* pi = snap.Port(p);
                           return pi ? pi->name : std::string();
                         }}) + "\n";
    DoAction(a);
  }
}

// Looks `table_id` up with in_port temporarily `in_port` and runs the rule's actions.
void Xlate::DoTable(uint8_t table_id, uint32_t in_port) {
  if (depth >= kMaxResubmitDepth) {
    Note(fmt::format("over max translation depth {}", kMaxResubmitDepth));
    failed = true;
    return;
  }
  uint32_t saved_port = flow.in_port;
  uint8_t saved_table = table;
  flow.in_port = in_port;
  table = table_id;
  depth++;
  const Rule* rule = LookupTable(*br.rules, table_id, flow, meta, &out->mask);
  if (rule) {
    if (!out->rule) {
      out->rule = rule;
    } else {
      out->more_rules.push_back(rule);
    }
  }
  if (trace) {
    if (!rule) {
      *trace += fmt::format("{:>2}. No match.\n    drop\n", table_id);
    } else {
      PortNamer namer = [this](uint32_t p) {
        const PortInfo* pi = snap.Port(p);
        return pi ? pi->name : std::string();
      };
      std::string m = FormatFullMatch(rule->match, rule->meta, namer);
      *trace += fmt::format("{:>2}. {}{}priority {}{}\n", table_id, m, m.empty() ? "" : ", ",
                            rule->priority,
                            rule->cookie ? fmt::format(", cookie {:#x}", rule->cookie) : "");
      if (rule->actions.empty()) *trace += "    drop\n";
    }
  }
  if (rule) RunActions(rule->actions);
  stop = false;  // dec_ttl ends its own action list only
  depth--;
  table = saved_table;
  flow.in_port = saved_port;
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
  if (trace) {
    std::string title = fmt::format("bridge(\"{}\")", br.state->name);
    *trace += title + "\n" + std::string(title.size(), '-') + "\n";
  }
  Xlate x{snap, br, *in, now_ns, learn, out, trace, key, key};
  if (br.fail_open) {
    // Fail-open (src/ofproto: standalone with controllers configured, none connected): NORMAL
    // above every table.
    out->rule = br.fail_open.get();
    if (trace) *trace += " fail-open: priority above all tables\n";
    x.RunActions(br.fail_open->actions);
  } else {
    x.DoTable(0, key.in_port);
  }
  x.Commit();
  if (x.failed) {
    out->actions.clear();
    if (trace) *trace += "\nTranslation failed (Recursion too deep), packet is dropped.\n";
  }
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
  f->more_rules = std::move(r.more_rules);
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
      case DpActionType::kSetIpv4Src: k.nw_src = a.port; break;
      case DpActionType::kSetIpv4Dst: k.nw_dst = a.port; break;
      case DpActionType::kSetIpTos:
        k.nw_tos = static_cast<uint8_t>((k.nw_tos & ~a.tci_mask) | (a.tci & a.tci_mask));
        break;
      case DpActionType::kSetIpTtl: k.nw_ttl = static_cast<uint8_t>(a.tci); break;
      case DpActionType::kSetTpSrc: k.tp_src = a.tci; break;
      case DpActionType::kSetTpDst: k.tp_dst = a.tci; break;
    }
  }
  return k;
}

}  // namespace vs::dp
