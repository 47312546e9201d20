// Match printing (ovs-ofctl and dpctl forms) and the covering test.
#include "dp/match.h"

#include <arpa/inet.h>
#include <fmt/format.h>

namespace vs::dp {
namespace {

bool AllOnes(const uint8_t* p, int n) {
  for (int i = 0; i < n; i++) {
    if (p[i] != 0xff) return false;
  }
  return true;
}
bool AllZero(const uint8_t* p, int n) {
  for (int i = 0; i < n; i++) {
    if (p[i] != 0) return false;
  }
  return true;
}

// Prefix length of a contiguous mask, or -1.
int Ipv4Prefix(uint32_t mask) {
  int n = __builtin_popcount(mask);
  uint32_t want = n == 0 ? 0 : ~0u << (32 - n);
  return mask == want ? n : -1;
}
int Ipv6Prefix(const uint8_t m[16]) {
  int n = 0;
  int i = 0;
  for (; i < 16 && m[i] == 0xff; i++) n += 8;
  if (i < 16) {
    int b = __builtin_popcount(m[i]);
    if (m[i] != static_cast<uint8_t>(0xff00 >> b)) return -1;
    n += b;
    for (i++; i < 16; i++) {
      if (m[i]) return -1;
    }
  }
  return n;
}

// dotted = true: always "a.b.c.d/m.m.m.m" (the datapath form, as ovs-dpctl prints).
std::string Ipv4WithMask(uint32_t v, uint32_t m, bool dotted = false) {
  if (m == ~0u) return FormatIpv4(v);
  if (dotted) return fmt::format("{}/{}", FormatIpv4(v), FormatIpv4(m));
  int p = Ipv4Prefix(m);
  if (p >= 0) return fmt::format("{}/{}", FormatIpv4(v), p);
  return fmt::format("{}/{}", FormatIpv4(v), FormatIpv4(m));
}
std::string Ipv6WithMask(const uint8_t v[16], const uint8_t m[16]) {
  if (AllOnes(m, 16)) return FormatIpv6(v);
  int p = Ipv6Prefix(m);
  if (p >= 0) return fmt::format("{}/{}", FormatIpv6(v), p);
  return fmt::format("{}/{}", FormatIpv6(v), FormatIpv6(m));
}
std::string MacWithMask(const uint8_t v[6], const uint8_t m[6]) {
  if (AllOnes(m, 6)) return FormatMac(v);
  return fmt::format("{}/{}", FormatMac(v), FormatMac(m));
}
std::string U16WithMask(uint16_t v, uint16_t m) {
  if (m == 0xffff) return std::to_string(v);
  return fmt::format("{:#x}/{:#x}", v, m);
}
std::string PortName(uint32_t port, const PortNamer& namer) {
  std::string n = namer ? namer(port) : std::string();
  return n.empty() ? std::to_string(port) : n;
}

// The shorthand for the protocol part, or "" when none applies.
const char* Shorthand(const Match& m) {
  if (m.mask.dl_type != 0xffff) return "";
  bool proto = m.mask.nw_proto == 0xff;
  switch (m.key.dl_type) {
    case kEthTypeArp:
      return "arp";
    case kEthTypeIpv4:
      if (!proto) return "ip";
      if (m.key.nw_proto == kIpProtoTcp) return "tcp";
      if (m.key.nw_proto == kIpProtoUdp) return "udp";
      if (m.key.nw_proto == kIpProtoIcmp) return "icmp";
      return "ip";
    case kEthTypeIpv6:
      if (!proto) return "ipv6";
      if (m.key.nw_proto == kIpProtoTcp) return "tcp6";
      if (m.key.nw_proto == kIpProtoUdp) return "udp6";
      if (m.key.nw_proto == kIpProtoIcmpv6) return "icmp6";
      return "ipv6";
    default:
      return "";
  }
}

void Add(std::string* out, const std::string& item) {
  if (!out->empty()) out->push_back(',');
  out->append(item);
}

}  // namespace

std::string FormatMac(const uint8_t m[6]) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4],
                     m[5]);
}
std::string FormatIpv4(uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}
std::string FormatIpv6(const uint8_t a[16]) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, a, buf, sizeof(buf));
  return buf;
}

bool MatchCovers(const Match& wide, const Match& narrow) {
  const KeyWord* wm = Words(wide.mask);
  const KeyWord* nm = Words(narrow.mask);
  const KeyWord* wk = Words(wide.key);
  const KeyWord* nk = Words(narrow.key);
  for (int i = 0; i < kKeyWords; i++) {
    if ((wm[i] & nm[i]) != wm[i]) return false;  // wide tests a bit narrow leaves free
    if ((nk[i] & wm[i]) != wk[i]) return false;  // they disagree on wide's bits
  }
  return true;
}

std::string FormatMatch(const Match& m, const PortNamer& namer) {
  return FormatMatchMeta(m, nullptr, namer);
}

std::string FormatMatchMeta(const Match& m, const MetaMatch* meta, const PortNamer& namer) {
  const FlowKey& k = m.key;
  const FlowKey& x = m.mask;
  std::string out;
  if (meta && meta->mask.conj_id) Add(&out, fmt::format("conj_id={}", meta->key.conj_id));
  const char* sh = Shorthand(m);
  std::string_view shv(sh);
  if (!shv.empty()) Add(&out, sh);
  if (meta) {
    std::string regs = FormatMeta(*meta);
    if (!regs.empty()) Add(&out, regs);
  }
  if (x.in_port) Add(&out, "in_port=" + PortName(k.in_port, namer));
  if (x.vlan_tci) {
    if (x.vlan_tci == 0xffff && k.vlan_tci == 0) {
      Add(&out, "vlan_tci=0x0000");
    } else if ((x.vlan_tci | kVlanPresent | kVlanVidMask | kVlanPcpMask) == 0xffff &&
               (x.vlan_tci & kVlanPresent) &&
               ((x.vlan_tci & kVlanVidMask) == 0 || (x.vlan_tci & kVlanVidMask) == kVlanVidMask) &&
               ((x.vlan_tci & kVlanPcpMask) == 0 || (x.vlan_tci & kVlanPcpMask) == kVlanPcpMask) &&
               (k.vlan_tci & kVlanPresent)) {
      if (x.vlan_tci & kVlanVidMask)
        Add(&out, fmt::format("dl_vlan={}", k.vlan_tci & kVlanVidMask));
      if (x.vlan_tci & kVlanPcpMask) Add(&out, fmt::format("dl_vlan_pcp={}", k.vlan_tci >> 13));
      if (!(x.vlan_tci & (kVlanVidMask | kVlanPcpMask))) Add(&out, "vlan_tci=0x1000/0x1000");
    } else {
      Add(&out, fmt::format("vlan_tci={:#06x}/{:#06x}", k.vlan_tci, x.vlan_tci));
    }
  }
  if (!AllZero(x.dl_src, 6)) Add(&out, "dl_src=" + MacWithMask(k.dl_src, x.dl_src));
  if (!AllZero(x.dl_dst, 6)) Add(&out, "dl_dst=" + MacWithMask(k.dl_dst, x.dl_dst));
  if (x.dl_type && shv.empty()) Add(&out, fmt::format("dl_type={:#06x}", k.dl_type));
  bool arp = k.dl_type == kEthTypeArp && x.dl_type;
  if (x.nw_src) Add(&out, (arp ? "arp_spa=" : "nw_src=") + Ipv4WithMask(k.nw_src, x.nw_src));
  if (x.nw_dst) Add(&out, (arp ? "arp_tpa=" : "nw_dst=") + Ipv4WithMask(k.nw_dst, x.nw_dst));
  if (!AllZero(x.ipv6_src, 16)) Add(&out, "ipv6_src=" + Ipv6WithMask(k.ipv6_src, x.ipv6_src));
  if (!AllZero(x.ipv6_dst, 16)) Add(&out, "ipv6_dst=" + Ipv6WithMask(k.ipv6_dst, x.ipv6_dst));
  bool proto_in_shorthand = shv != "" && shv != "ip" && shv != "ipv6" && shv != "arp";
  if (x.nw_proto && !proto_in_shorthand) {
    Add(&out, fmt::format("{}={}", arp ? "arp_op" : "nw_proto", k.nw_proto));
  }
  if (x.nw_tos) Add(&out, fmt::format("nw_tos={}", k.nw_tos));
  if (x.nw_ttl) Add(&out, fmt::format("nw_ttl={}", k.nw_ttl));
  bool icmp = shv == "icmp" || shv == "icmp6";
  if (x.tp_src) Add(&out, (icmp ? "icmp_type=" : "tp_src=") + U16WithMask(k.tp_src, x.tp_src));
  if (x.tp_dst) Add(&out, (icmp ? "icmp_code=" : "tp_dst=") + U16WithMask(k.tp_dst, x.tp_dst));
  return out;
}

std::string FormatDpMatch(const Match& m, const PortNamer& namer) {
  const FlowKey& k = m.key;
  const FlowKey& x = m.mask;
  std::string out;
  auto group = [&out](const char* name, const std::string& inner) {
    if (inner.empty()) return;
    if (!out.empty()) out.push_back(',');
    out += fmt::format("{}({})", name, inner);
  };
  if (x.in_port) group("in_port", PortName(k.in_port, namer));
  std::string eth;
  if (!AllZero(x.dl_src, 6)) Add(&eth, "src=" + MacWithMask(k.dl_src, x.dl_src));
  if (!AllZero(x.dl_dst, 6)) Add(&eth, "dst=" + MacWithMask(k.dl_dst, x.dl_dst));
  group("eth", eth);
  if (x.vlan_tci) {
    if (k.vlan_tci & kVlanPresent) {
      std::string v;
      if (x.vlan_tci & kVlanVidMask) Add(&v, "vid=" + std::to_string(k.vlan_tci & kVlanVidMask));
      if (x.vlan_tci & kVlanPcpMask) Add(&v, "pcp=" + std::to_string(k.vlan_tci >> 13));
      group("vlan", v.empty() ? std::string("present") : v);
    } else {
      group("vlan", "none");
    }
  }
  if (x.dl_type) group("eth_type", fmt::format("{:#06x}", k.dl_type));
  std::string l3;
  const char* l3name = k.dl_type == kEthTypeIpv6  ? "ipv6"
                       : k.dl_type == kEthTypeArp ? "arp"
                                                  : "ipv4";
  if (k.dl_type == kEthTypeArp) {
    if (x.nw_src) Add(&l3, "sip=" + Ipv4WithMask(k.nw_src, x.nw_src, true));
    if (x.nw_dst) Add(&l3, "tip=" + Ipv4WithMask(k.nw_dst, x.nw_dst, true));
    if (x.nw_proto) Add(&l3, fmt::format("op={}", k.nw_proto));
  } else {
    if (x.nw_src) Add(&l3, "src=" + Ipv4WithMask(k.nw_src, x.nw_src, true));
    if (x.nw_dst) Add(&l3, "dst=" + Ipv4WithMask(k.nw_dst, x.nw_dst, true));
    if (!AllZero(x.ipv6_src, 16)) Add(&l3, "src=" + Ipv6WithMask(k.ipv6_src, x.ipv6_src));
    if (!AllZero(x.ipv6_dst, 16)) Add(&l3, "dst=" + Ipv6WithMask(k.ipv6_dst, x.ipv6_dst));
    if (x.nw_proto) Add(&l3, fmt::format("proto={}", k.nw_proto));
    if (x.nw_tos) Add(&l3, fmt::format("tos={:#x}", k.nw_tos));
    if (x.nw_ttl) Add(&l3, fmt::format("ttl={}", k.nw_ttl));
    if (x.nw_frag) {
      Add(&l3, std::string("frag=") + (k.nw_frag == 0             ? "no"
                                       : (k.nw_frag & kFragLater) ? "later"
                                                                  : "first"));
    }
  }
  group(l3name, l3);
  std::string l4;
  if (x.tp_src)
    Add(&l4,
        std::string(k.nw_proto == kIpProtoIcmp || k.nw_proto == kIpProtoIcmpv6 ? "type=" : "src=") +
            U16WithMask(k.tp_src, x.tp_src));
  if (x.tp_dst)
    Add(&l4,
        std::string(k.nw_proto == kIpProtoIcmp || k.nw_proto == kIpProtoIcmpv6 ? "code=" : "dst=") +
            U16WithMask(k.tp_dst, x.tp_dst));
  const char* l4name = k.nw_proto == kIpProtoTcp      ? "tcp"
                       : k.nw_proto == kIpProtoUdp    ? "udp"
                       : k.nw_proto == kIpProtoIcmp   ? "icmp"
                       : k.nw_proto == kIpProtoIcmpv6 ? "icmpv6"
                                                      : "l4";
  group(l4name, l4);
  return out.empty() ? std::string("(any)") : out;
}

}  // namespace vs::dp

namespace vs::dp {

bool MetaCovers(const MetaMatch& wide, const MetaMatch& narrow) {
  const KeyWord* wm = Words(wide.mask);
  const KeyWord* nm = Words(narrow.mask);
  const KeyWord* wk = Words(wide.key);
  const KeyWord* nk = Words(narrow.key);
  for (int i = 0; i < kMetaWords; i++) {
    if ((wm[i] & nm[i]) != wm[i]) return false;
    if ((nk[i] & wm[i]) != wk[i]) return false;
  }
  return true;
}

namespace {
// OVS's format of a masked integer: "0x5", "0" for zero, "0x3/0xf" when masked.
std::string Masked(uint64_t v, uint64_t m, uint64_t all) {
  std::string val = v ? fmt::format("{:#x}", v) : "0";
  if (m == all) return val;
  return fmt::format("{}/{:#x}", val, m);
}
}  // namespace

std::string FormatMeta(const MetaMatch& m) {
  std::string out;
  for (int i = 0; i < kNumRegs; i++) {
    if (!m.mask.reg[i]) continue;
    if (!out.empty()) out.push_back(',');
    out += fmt::format("reg{}={}", i, Masked(m.key.reg[i], m.mask.reg[i], 0xffffffffu));
  }
  if (m.mask.metadata) {
    if (!out.empty()) out.push_back(',');
    out += "metadata=" + Masked(m.key.metadata, m.mask.metadata, ~0ull);
  }
  return out;
}

}  // namespace vs::dp
