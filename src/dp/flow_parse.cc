// ovs-ofctl flow syntax parser.
#include "dp/flow_parse.h"

#include "dp/fields.h"

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

// Registers, metadata, conj_id; nullopt if `name` is none of them.
std::optional<Status> SetMetaField(Ctx& c, std::string_view name, std::string_view v) {
  MetaMatch& mm = c.spec->meta;
  if (name == "conj_id") {
    uint64_t n;
    if (!ParseUint(v, 0xffffffff, &n)) return Bad(c.token, "expected a conjunction id 0-4294967295");
    mm.key.conj_id = static_cast<uint32_t>(n);
    mm.mask.conj_id = ~0u;
    return Status::Ok();
  }
  auto f = ParseFieldName(name);
  if (!f || !IsMetaField(*f)) return std::nullopt;
  auto [val, msk] = SplitMask(v);
  uint16_t width = FieldWidth(*f);
  if (width > 64) {  // xxregN: four registers, value up to 128 bits; numavs takes 64
    return Bad(c.token, "numavs matches xxreg values of at most 64 bits; match reg/xreg "
                        "fields instead");
  }
  uint64_t max = width == 64 ? ~0ull : (1ull << width) - 1;
  uint64_t a, m = max;
  if (!ParseUint(val, max, &a) || (!msk.empty() && !ParseUint(msk, max, &m)))
    return Bad(c.token, fmt::format("expected a {}-bit number (optionally /mask)", width));
  PipeMeta key = mm.key, mask = mm.mask;
  FlowKey unused{};
  WriteField(FieldRef{*f, 0, width}, a & m, &unused, &key);
  WriteField(FieldRef{*f, 0, width}, m, &unused, &mask);
  mm.key = key;
  mm.mask = mask;
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
  if (auto meta = SetMetaField(c, name, v)) return *meta;
  return Bad(c.token,
             "unknown field (see 'man ovs-fields' for names; numavs supports the "
             "Ethernet, VLAN, IPv4/IPv6, TCP/UDP/ICMP and ARP ones, reg0-15, xreg0-7, "
             "xxreg0-3, metadata and conj_id)");
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
    *st = ParseUint(v, kNumTables - 1, &n) ? Status::Ok()
                                           : Bad(c.token, "expected a table number 0-254");
    s.table = static_cast<uint8_t>(n);
    s.has_table = true;
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

namespace {

// Splits an action list at the commas outside parentheses and brackets.
std::vector<std::string_view> SplitActions(std::string_view s) {
  std::vector<std::string_view> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); i++) {
    if (i < s.size() && (s[i] == '(' || s[i] == '[')) depth++;
    if (i < s.size() && (s[i] == ')' || s[i] == ']')) depth--;
    if (i == s.size() || (s[i] == ',' && depth == 0)) {
      out.push_back(Trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  return out;
}

// "VALUE->DST": the two sides.
bool SplitArrow(std::string_view arg, std::string_view* left, std::string_view* right) {
  size_t arrow = arg.find("->");
  if (arrow == std::string_view::npos) return false;
  *left = Trim(arg.substr(0, arrow));
  *right = Trim(arg.substr(arrow + 2));
  return true;
}

// A value in a field's own syntax (MAC, IPv4 address, number).
bool ParseFieldValue(FieldId f, std::string_view v, uint64_t* out) {
  if (f == FieldId::kEthSrc || f == FieldId::kEthDst) {
    uint8_t mac[6];
    if (!ParseMac(v, mac)) return false;
    *out = 0;
    for (uint8_t b : mac) *out = *out << 8 | b;
    return true;
  }
  if ((f == FieldId::kIpSrc || f == FieldId::kIpDst) && v.find('.') != std::string_view::npos) {
    uint32_t a;
    if (!ParseIpv4(v, &a)) return false;
    *out = a;
    return true;
  }
  uint16_t w = FieldWidth(f);
  return ParseUint(v, w >= 64 ? ~0ull : (1ull << w) - 1, out);
}

Status ParseLoadLike(std::string_view tok, std::string_view name, std::string_view arg,
                     OfAction* a) {
  std::string_view left, right;
  if (!SplitArrow(arg, &left, &right)) return Bad(tok, "expected VALUE->FIELD");
  std::string why;
  if (name == "move") {
    auto src = ParseSubfield(left, &why);
    if (!src) return Bad(tok, why);
    auto dst = ParseSubfield(right, &why);
    if (!dst) return Bad(tok, why);
    if (src->n_bits != dst->n_bits)
      return Bad(tok, fmt::format("source has {} bits and destination {}: they must be equal",
                                  src->n_bits, dst->n_bits));
    a->type = OfActionType::kMove;
    a->src = *src;
    a->dst = *dst;
    return Status::Ok();
  }
  a->type = OfActionType::kLoad;
  if (name == "load") {
    auto dst = ParseSubfield(right, &why);
    if (!dst) return Bad(tok, why);
    uint64_t v;
    uint64_t max = dst->n_bits >= 64 ? ~0ull : (1ull << dst->n_bits) - 1;
    if (!ParseUint(left, ~0ull, &v) || v > max)
      return Bad(tok, fmt::format("expected a value that fits the destination's {} bits",
                                  dst->n_bits));
    a->dst = *dst;
    a->value64 = v;
    return Status::Ok();
  }
  // set_field:VALUE[/MASK]->FIELD
  auto f = ParseFieldName(right);
  if (!f) return Bad(tok, fmt::format("unknown field '{}'", right));
  uint16_t width = FieldWidth(*f);
  if (width > 64) return Bad(tok, "numavs sets at most 64 bits at a time");
  auto [val, msk] = SplitMask(left);
  uint64_t v, m = width >= 64 ? ~0ull : (1ull << width) - 1;
  if (!ParseFieldValue(*f, val, &v) || (!msk.empty() && !ParseFieldValue(*f, msk, &m)))
    return Bad(tok, fmt::format("expected a value for {} (optionally /mask)", ShortName(*f)));
  if (m == 0) return Bad(tok, "the mask is zero: nothing to set");
  int lo = __builtin_ctzll(m);
  int bits = 64 - __builtin_clzll(m) - lo;
  uint64_t contiguous = (bits >= 64 ? ~0ull : (1ull << bits) - 1) << lo;
  if (m != contiguous) return Bad(tok, "numavs sets contiguous bits only (a mask like 0xff00)");
  a->set_field = true;
  a->dst = FieldRef{*f, static_cast<uint16_t>(lo), static_cast<uint16_t>(bits)};
  a->value64 = (v & m) >> lo;
  return Status::Ok();
}

Status ParseResubmit(std::string_view tok, std::string_view rest, const PortResolver& resolver,
                     OfAction* a) {
  a->type = OfActionType::kResubmit;
  a->port = kNoPortAction;
  a->table = kTableHere;
  std::string_view port = rest, table;
  if (!rest.empty() && rest.front() == '(') {
    if (rest.back() != ')') return Bad(tok, "expected resubmit(PORT,TABLE)");
    std::string_view in = rest.substr(1, rest.size() - 2);
    size_t comma = in.find(',');
    port = Trim(in.substr(0, comma));
    table = comma == std::string_view::npos ? std::string_view() : Trim(in.substr(comma + 1));
  } else if (!rest.empty() && rest.front() == ':') {
    port = Trim(rest.substr(1));
  } else {
    return Bad(tok, "expected resubmit:PORT or resubmit([PORT],[TABLE])");
  }
  if (!port.empty() && port != "in_port" && port != "IN_PORT") {
    auto p = ResolvePort(tok, port, resolver);
    if (!p.ok()) return p.status();
    a->port = *p;
  }
  if (!table.empty()) {
    uint64_t t;
    if (!ParseUint(table, kNumTables - 1, &t)) return Bad(tok, "expected a table number 0-254");
    a->table = static_cast<uint8_t>(t);
  }
  if (a->port == kNoPortAction && a->table == kTableHere)
    return Bad(tok, "resubmit needs a port or a table");
  return Status::Ok();
}

Status ParseConjunction(std::string_view tok, std::string_view rest, OfAction* a) {
  // conjunction(ID,K/N)
  if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')')
    return Bad(tok, "expected conjunction(ID,K/N)");
  std::string_view in = rest.substr(1, rest.size() - 2);
  size_t comma = in.find(',');
  size_t slash = in.find('/');
  uint64_t id, k, n;
  if (comma == std::string_view::npos || slash == std::string_view::npos || slash < comma ||
      !ParseUint(Trim(in.substr(0, comma)), 0xffffffff, &id) ||
      !ParseUint(Trim(in.substr(comma + 1, slash - comma - 1)), 64, &k) ||
      !ParseUint(Trim(in.substr(slash + 1)), 64, &n) || n < 2 || k < 1 || k > n)
    return Bad(tok, "expected conjunction(ID,K/N) with 1 <= K <= N and 2 <= N <= 64");
  a->type = OfActionType::kConjunction;
  a->value64 = id;
  a->clause = static_cast<uint8_t>(k - 1);
  a->n_clauses = static_cast<uint8_t>(n);
  return Status::Ok();
}

Status ParseNote(std::string_view tok, std::string_view arg, OfAction* a) {
  a->type = OfActionType::kNote;
  std::string bytes;
  size_t i = 0;
  while (i < arg.size()) {
    if (arg[i] == '.') {
      i++;
      continue;
    }
    uint8_t b;
    auto [p, ec] = std::from_chars(arg.data() + i, arg.data() + std::min(arg.size(), i + 2), b, 16);
    if (ec != std::errc() || p != arg.data() + std::min(arg.size(), i + 2))
      return Bad(tok, "expected note:HEX bytes like note:01.02.ab");
    bytes.push_back(static_cast<char>(b));
    i += 2;
  }
  // As the Nicira note action carries it: padded with zeros to 8-byte alignment.
  size_t padded = (10 + bytes.size() + 7) / 8 * 8 - 10;
  bytes.resize(padded, '\0');
  a->note = std::move(bytes);
  return Status::Ok();
}

// What the datapath cannot execute: named, so the user knows it is not a typo.
bool Unsupported(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "ct", "ct_clear", "set_tunnel", "set_tunnel64", "learn", "controller", "group", "enqueue",
      "set_queue", "pop_queue", "push_mpls", "pop_mpls", "multipath", "bundle", "bundle_load",
      "sample", "clone", "fin_timeout", "exit", "meter", "check_pkt_larger", "encap", "decap",
      "dec_mpls_ttl", "set_mpls_label", "set_mpls_tc", "set_mpls_ttl", "push", "pop",
      "write_actions", "clear_actions", "nat", "output_trunc"};
  for (std::string_view n : kNames) {
    if (name == n) return true;
  }
  return false;
}

// The pipeline actions; false if `name` is none of them.
bool ParsePipelineAction(std::string_view tok, std::string_view name, std::string_view arg,
                         const PortResolver& resolver, OfAction* a, Status* st) {
  uint64_t n;
  *st = Status::Ok();
  if (name == "resubmit") {
    *st = ParseResubmit(tok, tok.substr(name.size()), resolver, a);
  } else if (name == "goto_table") {
    if (!ParseUint(arg, kNumTables - 1, &n)) *st = Bad(tok, "expected goto_table:TABLE (0-254)");
    a->type = OfActionType::kGotoTable;
    a->table = static_cast<uint8_t>(n);
  } else if (name == "load" || name == "move" || name == "set_field") {
    *st = ParseLoadLike(tok, name, arg, a);
  } else if (name == "dec_ttl") {
    if (tok != "dec_ttl" && tok != "dec_ttl()")
      *st = Bad(tok, "dec_ttl with controller ids is not supported (numavs has no controller "
                     "action yet): use dec_ttl");
    a->type = OfActionType::kDecTtl;
  } else if (name == "mod_nw_src" || name == "mod_nw_dst") {
    uint32_t ip;
    if (!ParseIpv4(arg, &ip)) *st = Bad(tok, "expected an IPv4 address like 10.0.0.1");
    a->type = name == "mod_nw_src" ? OfActionType::kSetNwSrc : OfActionType::kSetNwDst;
    a->value64 = ip;
  } else if (name == "mod_nw_tos") {
    if (!ParseUint(arg, 255, &n) || (n & 3))
      *st = Bad(tok, "expected mod_nw_tos:TOS, a ToS 0-252 with the two ECN bits zero");
    a->type = OfActionType::kSetNwTos;
    a->value = static_cast<uint16_t>(n);
  } else if (name == "mod_nw_ttl") {
    if (!ParseUint(arg, 255, &n)) *st = Bad(tok, "expected mod_nw_ttl:TTL (0-255)");
    a->type = OfActionType::kSetNwTtl;
    a->value = static_cast<uint16_t>(n);
  } else if (name == "mod_tp_src" || name == "mod_tp_dst") {
    if (!ParseUint(arg, 0xffff, &n)) *st = Bad(tok, "expected a port number 0-65535");
    a->type = name == "mod_tp_src" ? OfActionType::kSetTpSrc : OfActionType::kSetTpDst;
    a->value = static_cast<uint16_t>(n);
  } else if (name == "note") {
    *st = ParseNote(tok, arg, a);
  } else if (name == "conjunction") {
    *st = ParseConjunction(tok, tok.substr(name.size()), a);
  } else if (name == "write_metadata") {
    auto [val, msk] = SplitMask(arg);
    uint64_t m = ~0ull;
    if (!ParseUint(val, ~0ull, &n) || (!msk.empty() && !ParseUint(msk, ~0ull, &m)))
      *st = Bad(tok, "expected write_metadata:VALUE[/MASK]");
    a->type = OfActionType::kWriteMetadata;
    a->value64 = n & m;
    a->value2 = m;
  } else if (name == "output" && arg.find('[') != std::string_view::npos) {
    std::string why;
    auto src = ParseSubfield(arg, &why);
    if (!src) *st = Bad(tok, why);
    a->type = OfActionType::kOutputReg;
    if (src) a->src = *src;
  } else {
    return false;
  }
  return true;
}

}  // namespace

Result<OfActions> ParseActions(std::string_view text, const PortResolver& resolver) {
  OfActions out;
  std::string_view all = Trim(text);
  if (all == "drop" || all.empty()) return out;
  for (std::string_view tok : SplitActions(all)) {
    std::string lower(tok);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    size_t colon = tok.find(':');
    size_t paren = tok.find('(');
    size_t cut = std::min(colon, paren);
    std::string_view name = cut == std::string_view::npos ? tok : tok.substr(0, cut);
    std::string_view arg =
        colon == std::string_view::npos || colon > paren ? std::string_view() : tok.substr(colon + 1);
    OfAction a;
    uint64_t n;
    Status st;
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
    } else if (ParsePipelineAction(tok, name, arg, resolver, &a, &st)) {
      if (!st.ok()) return st;
    } else if (name == "output" && colon != std::string_view::npos) {
      auto f = ParseFieldName(arg);
      if (f && IsMetaField(*f) && !(resolver && resolver(arg))) {
        a.type = OfActionType::kOutputReg;
        a.src = FieldRef{*f, 0, FieldWidth(*f)};
      } else {
        auto p = ResolvePort(tok, arg, resolver);
        if (!p.ok()) return p.status();
        a.port = *p;
      }
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
    } else if (Unsupported(name)) {
      return Bad(tok, fmt::format("the datapath cannot execute '{}' yet (numavs refuses it "
                                  "rather than ignore it)",
                                  name));
    } else if (colon == std::string_view::npos && paren == std::string_view::npos &&
               !tok.empty() && ResolvePort(tok, tok, resolver).ok()) {
      a.port = *ResolvePort(tok, tok, resolver);  // a bare port is output:PORT
    } else {
      return Bad(tok,
                 "unknown action (expected output:PORT, NORMAL, FLOOD, IN_PORT, drop, "
                 "mod_vlan_vid:N, mod_vlan_pcp:N, strip_vlan, push_vlan:0x8100, "
                 "mod_dl_src:MAC, mod_dl_dst:MAC, mod_nw_src/dst:IP, mod_nw_tos:N, "
                 "mod_nw_ttl:N, mod_tp_src/dst:N, dec_ttl, resubmit, goto_table:N, load, "
                 "move, set_field, output:REG, note, conjunction or write_metadata)");
    }
    out.push_back(a);
  }
  // Instructions come last, in OpenFlow's order: write_metadata, then goto_table.
  for (size_t i = 0; i < out.size(); i++) {
    bool inst = out[i].type == OfActionType::kGotoTable ||
                out[i].type == OfActionType::kWriteMetadata;
    if (!inst) {
      for (size_t j = 0; j < i; j++) {
        if (out[j].type == OfActionType::kGotoTable || out[j].type == OfActionType::kWriteMetadata)
          return Status(EINVAL, fmt::format("'{}' must come after every action (it is an "
                                            "instruction)",
                                            FormatOfActions({out[j]}, {})));
      }
    } else if (out[i].type == OfActionType::kWriteMetadata && i + 1 < out.size() &&
               out[i + 1].type == OfActionType::kWriteMetadata) {
      return Status(EINVAL, "write_metadata given twice");
    }
  }
  size_t gotos = std::count_if(out.begin(), out.end(), [](const OfAction& x) {
    return x.type == OfActionType::kGotoTable;
  });
  if (gotos > 1 || (gotos == 1 && out.back().type != OfActionType::kGotoTable))
    return Status(EINVAL, "goto_table must be the last instruction, and only one");
  return out;
}

Status CheckActions(const FlowSpec& spec) {
  bool conj = false, other = false;
  for (const OfAction& a : spec.actions) {
    switch (a.type) {
      case OfActionType::kConjunction: conj = true; break;
      case OfActionType::kNote: break;
      default: other = true; break;
    }
    std::optional<std::string> miss;
    std::string what = FormatOfActions({a}, {});
    switch (a.type) {
      case OfActionType::kGotoTable:
        if (a.table <= spec.table)
          return Status(EINVAL, fmt::format("'{}' in table {}: goto_table must go to a later "
                                            "table",
                                            what, spec.table));
        break;
      case OfActionType::kSetNwSrc: case OfActionType::kSetNwDst:
        miss = MissingPrereq(FieldId::kIpSrc, spec.match);
        break;
      case OfActionType::kSetNwTos: case OfActionType::kSetNwTtl:
        miss = MissingPrereq(FieldId::kIpTos, spec.match);
        break;
      case OfActionType::kSetTpSrc: case OfActionType::kSetTpDst:
        miss = MissingPrereq(FieldId::kTpSrc, spec.match);
        break;
      case OfActionType::kLoad:
        miss = MissingPrereq(a.dst.field, spec.match);
        break;
      case OfActionType::kMove:
        miss = MissingPrereq(a.src.field, spec.match);
        if (!miss) miss = MissingPrereq(a.dst.field, spec.match);
        break;
      default:
        break;
    }
    if (miss)
      return Status(EINVAL, fmt::format("'{}' needs a match on {} (OVS's "
                                        "OFPBAC_MATCH_INCONSISTENT)",
                                        what, *miss));
    if ((a.type == OfActionType::kLoad || a.type == OfActionType::kMove) &&
        !IsMetaField(a.dst.field) && !IsWritablePacketField(a.dst.field))
      return Status(EINVAL, fmt::format("'{}': {} cannot be written", what,
                                        NxmName(a.dst.field)));
  }
  if (conj && other)
    return Status(EINVAL, "\"conjunction\" actions may be used along with \"note\" but not "
                          "any other kind of action");
  return Status::Ok();
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
  spec.meta.Normalize();
  if (mode == ParseMode::kMatchOnly && !spec.has_table) spec.table = kAllTables;
  if (mode == ParseMode::kAdd) VS_RETURN_IF_ERROR(CheckActions(spec));
  return spec;
}

std::string FormatFlow(uint16_t priority, const Match& m, const OfActions& a,
                       const PortNamer& namer) {
  return FormatFlow(priority, m, MetaMatch{}, a, namer);
}

std::string FormatFullMatch(const Match& m, const MetaMatch& meta, const PortNamer& namer) {
  return FormatMatchMeta(m, &meta, namer);
}

std::string FormatFlow(uint16_t priority, const Match& m, const MetaMatch& meta,
                       const OfActions& a, const PortNamer& namer) {
  std::string match = FormatMatchMeta(m, &meta, namer);
  std::string out;
  if (priority != kDefaultPriority) out = fmt::format("priority={}", priority);
  if (!match.empty()) out += (out.empty() ? "" : ",") + match;
  if (!out.empty()) out += " ";
  return out + "actions=" + FormatOfActions(a, namer);
}

}  // namespace vs::dp
