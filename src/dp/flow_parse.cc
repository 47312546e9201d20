// ovs-ofctl flow syntax parser.
#include "dp/flow_parse.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

namespace vs::dp {
namespace {

Status Bad(std::string_view token, std::string_view why) {
  return Status(EINVAL, fmt::format("bad token '{}': {}", token, why));
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

bool ParseUint(std::string_view s, uint64_t max, uint64_t* out) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  if (s.empty()) return false;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || v > max) return false;
  *out = v;
  return true;
}

bool ParseMac(std::string_view s, uint8_t out[6]) {
  if (s.size() != 17) return false;
  for (int i = 0; i < 6; i++) {
    if (i < 5 && s[i * 3 + 2] != ':') return false;
    auto [p, ec] = std::from_chars(s.data() + i * 3, s.data() + i * 3 + 2, out[i], 16);
    if (ec != std::errc() || p != s.data() + i * 3 + 2) return false;
  }
  return true;
}

bool ParseIpv4(std::string_view s, uint32_t* out) {
  char buf[INET_ADDRSTRLEN];
  if (s.size() >= sizeof(buf)) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = 0;
  in_addr a;
  if (inet_pton(AF_INET, buf, &a) != 1) return false;
  *out = ntohl(a.s_addr);
  return true;
}

bool ParseIpv6(std::string_view s, uint8_t out[16]) {
  char buf[INET6_ADDRSTRLEN];
  if (s.size() >= sizeof(buf)) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = 0;
  return inet_pton(AF_INET6, buf, out) == 1;
}

// Splits "value/mask".
std::pair<std::string_view, std::string_view> SplitMask(std::string_view v) {
  size_t slash = v.find('/');
  if (slash == std::string_view::npos) return {v, {}};
  return {v.substr(0, slash), v.substr(slash + 1)};
}

struct Ctx {
  FlowSpec* spec;
  const PortResolver* resolver;
  std::string token;  // the whole "name=value" for messages
  // The tokens that set fields needing a prerequisite, for the final check.
  std::string nw_token;  // nw_src/nw_dst/arp_*: IPv4 or ARP
  std::string ip_token;  // nw_proto/nw_tos/nw_ttl: IPv4, IPv6 (nw_proto also ARP)
  std::string ipv6_token, tp_token, icmp_token;
};

Status SetMac(Ctx& c, std::string_view v, uint8_t* key, uint8_t* mask) {
  auto [val, msk] = SplitMask(v);
  uint8_t k[6], m[6];
  if (!ParseMac(val, k)) return Bad(c.token, "expected a MAC address like 00:11:22:33:44:55");
  if (msk.empty()) {
    std::memset(m, 0xff, 6);
  } else if (!ParseMac(msk, m)) {
    return Bad(c.token, "expected a MAC mask like ff:ff:ff:00:00:00 after '/'");
  }
  for (int i = 0; i < 6; i++) {
    key[i] = k[i] & m[i];
    mask[i] = m[i];
  }
  return Status::Ok();
}

Status SetIpv4(Ctx& c, std::string_view v, uint32_t* key, uint32_t* mask) {
  auto [val, msk] = SplitMask(v);
  uint32_t a, m = ~0u;
  if (!ParseIpv4(val, &a)) return Bad(c.token, "expected an IPv4 address like 10.0.0.1");
  if (!msk.empty()) {
    uint64_t plen;
    if (ParseUint(msk, 32, &plen) && msk.find('.') == std::string_view::npos) {
      m = plen == 0 ? 0 : ~0u << (32 - plen);
    } else if (!ParseIpv4(msk, &m)) {
      return Bad(c.token, "expected a prefix length 0-32 or a dotted mask after '/'");
    }
  }
  *key = a & m;
  *mask = m;
  return Status::Ok();
}

Status SetIpv6(Ctx& c, std::string_view v, uint8_t* key, uint8_t* mask) {
  auto [val, msk] = SplitMask(v);
  uint8_t a[16], m[16];
  if (!ParseIpv6(val, a)) return Bad(c.token, "expected an IPv6 address like 2001:db8::1");
  std::memset(m, 0xff, 16);
  if (!msk.empty()) {
    uint64_t plen;
    if (ParseUint(msk, 128, &plen) && msk.find(':') == std::string_view::npos) {
      std::memset(m, 0, 16);
      for (uint64_t i = 0; i < plen; i++) m[i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
    } else if (!ParseIpv6(msk, m)) {
      return Bad(c.token, "expected a prefix length 0-128 or an IPv6 mask after '/'");
    }
  }
  for (int i = 0; i < 16; i++) {
    key[i] = a[i] & m[i];
    mask[i] = m[i];
  }
  return Status::Ok();
}

Status SetU16(Ctx& c, std::string_view v, uint64_t max, uint16_t* key, uint16_t* mask) {
  auto [val, msk] = SplitMask(v);
  uint64_t a, m = 0xffff;
  if (!ParseUint(val, max, &a)) return Bad(c.token, fmt::format("expected a number 0-{}", max));
  if (!msk.empty() && !ParseUint(msk, 0xffff, &m)) {
    return Bad(c.token, "expected a 16-bit mask like 0xff00 after '/'");
  }
  *key = static_cast<uint16_t>(a & m);
  *mask = static_cast<uint16_t>(m);
  return Status::Ok();
}

Status SetU8(Ctx& c, std::string_view v, uint8_t* key, uint8_t* mask) {
  uint64_t a;
  if (!ParseUint(v, 255, &a)) return Bad(c.token, "expected a number 0-255");
  *key = static_cast<uint8_t>(a);
  *mask = 0xff;
  return Status::Ok();
}

void SetProto(FlowSpec* s, uint16_t dl_type, int nw_proto) {
  s->match.key.dl_type = dl_type;
  s->match.mask.dl_type = 0xffff;
  if (nw_proto >= 0) {
    s->match.key.nw_proto = static_cast<uint8_t>(nw_proto);
    s->match.mask.nw_proto = 0xff;
  }
}

bool Shorthand(std::string_view name, FlowSpec* s) {
  struct P {
    const char* name;
    uint16_t dl_type;
    int proto;
  };
  static constexpr P kProtos[] = {{"ip", kEthTypeIpv4, -1},
                                  {"ipv6", kEthTypeIpv6, -1},
                                  {"tcp", kEthTypeIpv4, kIpProtoTcp},
                                  {"udp", kEthTypeIpv4, kIpProtoUdp},
                                  {"icmp", kEthTypeIpv4, kIpProtoIcmp},
                                  {"icmp6", kEthTypeIpv6, kIpProtoIcmpv6},
                                  {"arp", kEthTypeArp, -1},
                                  {"tcp6", kEthTypeIpv6, kIpProtoTcp},
                                  {"udp6", kEthTypeIpv6, kIpProtoUdp}};
  for (const P& p : kProtos) {
    if (name == p.name) {
      SetProto(s, p.dl_type, p.proto);
      return true;
    }
  }
  return false;
}

Result<uint32_t> ResolvePort(std::string_view token, std::string_view name,
                             const PortResolver& resolver) {
  if (resolver) {
    if (auto p = resolver(name)) return *p;
  }
  uint64_t n;
  if (ParseUint(name, 0xfffffffe, &n)) return static_cast<uint32_t>(n);
  return Bad(token, fmt::format("no port named '{}' on this bridge", name));
}

Status SetVlan(Ctx& c, std::string_view name, std::string_view v) {
  FlowKey& k = c.spec->match.key;
  FlowKey& m = c.spec->match.mask;
  uint64_t n;
  if (name == "dl_vlan") {
    if (!ParseUint(v, 0xffff, &n) || (n > 4095 && n != 0xffff)) {
      return Bad(c.token, "expected a VLAN id 0-4095, or 0xffff for untagged frames");
    }
    if (n == 0xffff) {
      k.vlan_tci = 0;
      m.vlan_tci = 0xffff;
    } else {
      k.vlan_tci = static_cast<uint16_t>((k.vlan_tci & ~kVlanVidMask) | n | kVlanPresent);
      m.vlan_tci |= kVlanVidMask | kVlanPresent;
    }
  } else if (name == "dl_vlan_pcp") {
    if (!ParseUint(v, 7, &n)) return Bad(c.token, "expected a VLAN priority 0-7");
    k.vlan_tci = static_cast<uint16_t>((k.vlan_tci & ~kVlanPcpMask) | n << 13 | kVlanPresent);
    m.vlan_tci |= kVlanPcpMask | kVlanPresent;
  } else {  // vlan_tci
    return SetU16(c, v, 0xffff, &k.vlan_tci, &m.vlan_tci);
  }
  return Status::Ok();
}

Status SetField(Ctx& c, std::string_view name, std::string_view v) {
  FlowSpec& s = *c.spec;
  FlowKey& k = s.match.key;
  FlowKey& m = s.match.mask;
  if (name == "in_port") {
    auto p = ResolvePort(c.token, v, *c.resolver);
    if (!p.ok()) return p.status();
    k.in_port = *p;
    m.in_port = ~0u;
    return Status::Ok();
  }
  if (name == "dl_src") return SetMac(c, v, k.dl_src, m.dl_src);
  if (name == "dl_dst") return SetMac(c, v, k.dl_dst, m.dl_dst);
  if (name == "dl_type") {
    uint64_t t;
    if (!ParseUint(v, 0xffff, &t)) return Bad(c.token, "expected an Ethertype like 0x0800");
    SetProto(&s, static_cast<uint16_t>(t), -1);
    return Status::Ok();
  }
  if (name == "dl_vlan" || name == "dl_vlan_pcp" || name == "vlan_tci") return SetVlan(c, name, v);
  if (name == "nw_src" || name == "arp_spa") {
    c.nw_token = c.token;
    return SetIpv4(c, v, &k.nw_src, &m.nw_src);
  }
  if (name == "nw_dst" || name == "arp_tpa") {
    c.nw_token = c.token;
    return SetIpv4(c, v, &k.nw_dst, &m.nw_dst);
  }
  if (name == "ipv6_src" || name == "ipv6_dst") {
    c.ipv6_token = c.token;
    return name == "ipv6_src" ? SetIpv6(c, v, k.ipv6_src, m.ipv6_src)
                              : SetIpv6(c, v, k.ipv6_dst, m.ipv6_dst);
  }
  if (name == "nw_proto" || name == "arp_op") {
    (name == "arp_op" ? c.nw_token : c.ip_token) = c.token;
    return SetU8(c, v, &k.nw_proto, &m.nw_proto);
  }
  if (name == "nw_tos") {
    c.ip_token = c.token;
    uint64_t t;
    if (!ParseUint(v, 255, &t) || (t & 3)) {
      return Bad(c.token, "expected a DSCP-carrying ToS 0-255 with the two ECN bits zero");
    }
    k.nw_tos = static_cast<uint8_t>(t);
    m.nw_tos = 0xfc;
    return Status::Ok();
  }
  if (name == "nw_ttl") {
    c.ip_token = c.token;
    return SetU8(c, v, &k.nw_ttl, &m.nw_ttl);
  }
  if (name == "tp_src" || name == "tcp_src" || name == "udp_src") {
    c.tp_token = c.token;
    return SetU16(c, v, 0xffff, &k.tp_src, &m.tp_src);
  }
  if (name == "tp_dst" || name == "tcp_dst" || name == "udp_dst") {
    c.tp_token = c.token;
    return SetU16(c, v, 0xffff, &k.tp_dst, &m.tp_dst);
  }
  if (name == "icmp_type" || name == "icmpv6_type") {
    c.icmp_token = c.token;
    return SetU16(c, v, 255, &k.tp_src, &m.tp_src);
  }
  if (name == "icmp_code" || name == "icmpv6_code") {
    c.icmp_token = c.token;
    return SetU16(c, v, 255, &k.tp_dst, &m.tp_dst);
  }
  return Bad(c.token,
             "unknown field (see 'man ovs-fields' for names; numavs supports the "
             "Ethernet, VLAN, IPv4/IPv6, TCP/UDP/ICMP and ARP ones)");
}

Status CheckPrerequisites(const Ctx& c) {
  const Match& mt = c.spec->match;
  bool dl_exact = mt.mask.dl_type == 0xffff;
  uint16_t dl = dl_exact ? mt.key.dl_type : 0;
  bool proto_exact = mt.mask.nw_proto == 0xff;
  if (!c.nw_token.empty() && dl != kEthTypeIpv4 && dl != kEthTypeArp) {
    return Status(EINVAL, fmt::format("bad token '{}': this field needs an IPv4 or ARP match "
                                      "first (add 'ip' or 'arp')",
                                      c.nw_token));
  }
  bool proto_ok = c.ip_token.rfind("nw_proto", 0) == 0 && dl == kEthTypeArp;
  if (!c.ip_token.empty() && dl != kEthTypeIpv4 && dl != kEthTypeIpv6 && !proto_ok) {
    return Status(EINVAL, fmt::format("bad token '{}': this field needs an IP match first "
                                      "(add 'ip' or 'ipv6')",
                                      c.ip_token));
  }
  if (!c.ipv6_token.empty() && dl != kEthTypeIpv6) {
    return Status(EINVAL, fmt::format("bad token '{}': this field needs an IPv6 match first "
                                      "(add 'ipv6', 'tcp6' or 'udp6')",
                                      c.ipv6_token));
  }
  if (!c.tp_token.empty() &&
      !(proto_exact && (mt.key.nw_proto == kIpProtoTcp || mt.key.nw_proto == kIpProtoUdp) &&
        (dl == kEthTypeIpv4 || dl == kEthTypeIpv6))) {
    return Status(EINVAL, fmt::format("bad token '{}': transport ports need a TCP or UDP match "
                                      "first (add 'tcp', 'udp', 'tcp6' or 'udp6')",
                                      c.tp_token));
  }
  if (!c.icmp_token.empty() &&
      !(proto_exact && ((dl == kEthTypeIpv4 && mt.key.nw_proto == kIpProtoIcmp) ||
                        (dl == kEthTypeIpv6 && mt.key.nw_proto == kIpProtoIcmpv6)))) {
    return Status(EINVAL, fmt::format("bad token '{}': ICMP fields need an ICMP match first "
                                      "(add 'icmp' or 'icmp6')",
                                      c.icmp_token));
  }
  return Status::Ok();
}

// Non-match keywords; returns true if handled (with *st set).
bool Keyword(Ctx& c, std::string_view name, std::string_view v, Status* st) {
  FlowSpec& s = *c.spec;
  uint64_t n;
  if (name == "priority") {
    *st = ParseUint(v, 65535, &n) ? Status::Ok() : Bad(c.token, "expected a priority 0-65535");
    s.priority = static_cast<uint16_t>(n);
    s.has_priority = true;
  } else if (name == "cookie") {
    auto [val, msk] = SplitMask(v);
    uint64_t m = ~0ull;
    if (!ParseUint(val, ~0ull, &n) || (!msk.empty() && !ParseUint(msk, ~0ull, &m))) {
      *st = Bad(c.token, "expected a 64-bit cookie like 0x1f (optionally /mask)");
    } else {
      s.cookie = n & m;
      s.cookie_mask = m;
      *st = Status::Ok();
    }
  } else if (name == "table") {
    *st = (ParseUint(v, 254, &n) && n == 0)
              ? Status::Ok()
              : Bad(c.token, "numavs has a single OpenFlow table; use table=0 or omit it");
  } else if (name == "idle_timeout" || name == "hard_timeout") {
    *st = ParseUint(v, 65535, &n) ? Status::Ok() : Bad(c.token, "expected seconds 0-65535");
    if (st->ok() && n != 0) {
      s.notes.push_back(fmt::format("{} ignored: numavs flows do not expire", c.token));
    }
  } else {
    return false;
  }
  return true;
}

}  // namespace

Result<OfActions> ParseActions(std::string_view text, const PortResolver& resolver) {
  OfActions out;
  std::string_view rest = Trim(text);
  if (rest == "drop" || rest.empty()) return out;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view tok = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    std::string lower(tok);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    size_t colon = tok.find(':');
    std::string_view name = colon == std::string_view::npos ? tok : tok.substr(0, colon);
    std::string_view arg =
        colon == std::string_view::npos ? std::string_view() : tok.substr(colon + 1);
    OfAction a;
    uint64_t n;
    if (lower == "normal") {
      a.type = OfActionType::kNormal;
    } else if (lower == "flood") {
      a.type = OfActionType::kFlood;
    } else if (lower == "in_port") {
      a.type = OfActionType::kInPort;
    } else if (lower == "strip_vlan" || lower == "pop_vlan") {
      a.type = OfActionType::kStripVlan;
    } else if (lower == "drop") {
      return Bad(tok, "'drop' must be the only action (an empty action list drops)");
    } else if (name == "output" && colon != std::string_view::npos) {
      auto p = ResolvePort(tok, arg, resolver);
      if (!p.ok()) return p.status();
      a.port = *p;
    } else if (name == "mod_vlan_vid") {
      if (!ParseUint(arg, 4095, &n)) return Bad(tok, "expected mod_vlan_vid:VID with VID 0-4095");
      a.type = OfActionType::kSetVlanVid;
      a.value = static_cast<uint16_t>(n);
    } else if (name == "mod_vlan_pcp") {
      if (!ParseUint(arg, 7, &n)) return Bad(tok, "expected mod_vlan_pcp:PCP with PCP 0-7");
      a.type = OfActionType::kSetVlanPcp;
      a.value = static_cast<uint16_t>(n);
    } else if (name == "push_vlan") {
      if (!ParseUint(arg, 0xffff, &n) || (n != kEthTypeVlan && n != kEthTypeQinQ)) {
        return Bad(tok, "expected push_vlan:0x8100 (or 0x88a8)");
      }
      a.type = OfActionType::kPushVlan;
      a.value = static_cast<uint16_t>(n);
    } else if (name == "mod_dl_src" || name == "mod_dl_dst") {
      if (!ParseMac(arg, a.mac)) return Bad(tok, "expected a MAC address like 00:11:22:33:44:55");
      a.type = name == "mod_dl_src" ? OfActionType::kSetDlSrc : OfActionType::kSetDlDst;
    } else if (colon == std::string_view::npos && !tok.empty() &&
               ResolvePort(tok, tok, resolver).ok()) {
      a.port = *ResolvePort(tok, tok, resolver);  // a bare port is output:PORT
    } else {
      return Bad(tok,
                 "unknown action (expected output:PORT, NORMAL, FLOOD, IN_PORT, drop, "
                 "mod_vlan_vid:N, mod_vlan_pcp:N, strip_vlan, push_vlan:0x8100, "
                 "mod_dl_src:MAC or mod_dl_dst:MAC)");
    }
    out.push_back(a);
  }
  return out;
}

Result<FlowSpec> ParseFlow(std::string_view text, ParseMode mode, const PortResolver& resolver) {
  FlowSpec spec;
  Ctx c{&spec, &resolver, {}, {}, {}, {}, {}, {}};
  std::string_view rest = text;
  while (true) {
    size_t start = rest.find_first_not_of(", \t\n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    if (rest.rfind("actions=", 0) == 0 || rest.rfind("actions:", 0) == 0) {
      if (mode == ParseMode::kMatchOnly) {
        return Bad(rest, "actions are not allowed here (this command takes a match only)");
      }
      auto acts = ParseActions(rest.substr(8), resolver);
      if (!acts.ok()) return acts.status().Wrap("in actions");
      spec.actions = std::move(*acts);
      spec.has_actions = true;
      break;
    }
    size_t end = rest.find_first_of(", \t\n");
    std::string_view tok = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    c.token = std::string(tok);
    size_t eq = tok.find('=');
    if (eq == std::string_view::npos) {
      if (!Shorthand(tok, &spec)) {
        return Bad(tok,
                   "expected name=value or a protocol (ip, ipv6, tcp, udp, icmp, icmp6, "
                   "arp, tcp6, udp6)");
      }
      continue;
    }
    std::string_view name = tok.substr(0, eq);
    std::string_view value = Trim(tok.substr(eq + 1));
    Status st;
    if (!Keyword(c, name, value, &st)) st = SetField(c, name, value);
    if (!st.ok()) return st;
  }
  if (mode == ParseMode::kAdd && !spec.has_actions) {
    return Status(EINVAL, "flow has no 'actions=' (use actions=drop to drop)");
  }
  VS_RETURN_IF_ERROR(CheckPrerequisites(c));
  spec.match.Normalize();
  return spec;
}

std::string FormatFlow(uint16_t priority, const Match& m, const OfActions& a,
                       const PortNamer& namer) {
  std::string match = FormatMatch(m, namer);
  std::string out;
  if (priority != kDefaultPriority) out = fmt::format("priority={}", priority);
  if (!match.empty()) out += (out.empty() ? "" : ",") + match;
  if (!out.empty()) out += " ";
  return out + "actions=" + FormatOfActions(a, namer);
}

}  // namespace vs::dp
