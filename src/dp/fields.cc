// Named fields: widths, names, subfield syntax, bit access.
#include "dp/fields.h"

#include <fmt/format.h>

#include <charconv>
#include <cstring>

namespace vs::dp {
namespace {

struct Names {
  FieldId id;
  const char* nxm;
  const char* short_name;
  uint16_t width;
};

constexpr Names kFixed[] = {
    {FieldId::kMetadata, "OXM_OF_METADATA", "metadata", 64},
    {FieldId::kInPort, "NXM_OF_IN_PORT", "in_port", 16},
    {FieldId::kEthSrc, "NXM_OF_ETH_SRC", "eth_src", 48},
    {FieldId::kEthDst, "NXM_OF_ETH_DST", "eth_dst", 48},
    {FieldId::kEthType, "NXM_OF_ETH_TYPE", "eth_type", 16},
    {FieldId::kVlanTci, "NXM_OF_VLAN_TCI", "vlan_tci", 16},
    {FieldId::kIpSrc, "NXM_OF_IP_SRC", "ip_src", 32},
    {FieldId::kIpDst, "NXM_OF_IP_DST", "ip_dst", 32},
    {FieldId::kIpProto, "NXM_OF_IP_PROTO", "nw_proto", 8},
    {FieldId::kIpTos, "NXM_OF_IP_TOS", "nw_tos", 8},
    {FieldId::kIpTtl, "NXM_NX_IP_TTL", "nw_ttl", 8},
    {FieldId::kTpSrc, "NXM_OF_TCP_SRC", "tcp_src", 16},
    {FieldId::kTpDst, "NXM_OF_TCP_DST", "tcp_dst", 16},
};

// Other accepted spellings.
struct Alias {
  const char* name;
  FieldId id;
};
constexpr Alias kAliases[] = {
    {"dl_src", FieldId::kEthSrc},      {"dl_dst", FieldId::kEthDst},
    {"dl_type", FieldId::kEthType},    {"nw_src", FieldId::kIpSrc},
    {"nw_dst", FieldId::kIpDst},       {"ipv4_src", FieldId::kIpSrc},
    {"ipv4_dst", FieldId::kIpDst},     {"ip_proto", FieldId::kIpProto},
    {"ip_ttl", FieldId::kIpTtl},       {"tp_src", FieldId::kTpSrc},
    {"tp_dst", FieldId::kTpDst},       {"udp_src", FieldId::kTpSrc},
    {"udp_dst", FieldId::kTpDst},      {"NXM_OF_UDP_SRC", FieldId::kTpSrc},
    {"NXM_OF_UDP_DST", FieldId::kTpDst}, {"OXM_OF_IN_PORT", FieldId::kInPort},
    {"OXM_OF_ETH_SRC", FieldId::kEthSrc}, {"OXM_OF_ETH_DST", FieldId::kEthDst},
    {"OXM_OF_IPV4_SRC", FieldId::kIpSrc}, {"OXM_OF_IPV4_DST", FieldId::kIpDst},
    {"OXM_OF_TCP_SRC", FieldId::kTpSrc},  {"OXM_OF_TCP_DST", FieldId::kTpDst},
    {"OXM_OF_UDP_SRC", FieldId::kTpSrc},  {"OXM_OF_UDP_DST", FieldId::kTpDst},
};

const Names* FixedOf(FieldId f) {
  for (const Names& n : kFixed) {
    if (n.id == f) return &n;
  }
  return nullptr;
}

int RegIndex(FieldId f) { return static_cast<int>(f) - static_cast<int>(FieldId::kReg0); }

// Register-based fields: (first register, number of registers), else {-1, 0}.
std::pair<int, int> RegSpan(FieldId f) {
  int i = RegIndex(f);
  if (i < kNumRegs) return {i, 1};
  i -= kNumRegs;
  if (i < kNumRegs / 2) return {2 * i, 2};
  i -= kNumRegs / 2;
  if (i < kNumRegs / 4) return {4 * i, 4};
  return {-1, 0};
}

uint64_t Mac48(const uint8_t* m) {
  uint64_t v = 0;
  for (int i = 0; i < 6; i++) v = v << 8 | m[i];
  return v;
}
void SetMac48(uint8_t* m, uint64_t v) {
  for (int i = 5; i >= 0; i--, v >>= 8) m[i] = static_cast<uint8_t>(v);
}

// Whole value of a non-register field.
uint64_t Get(FieldId f, const FlowKey& k, const PipeMeta& meta) {
  switch (f) {
    case FieldId::kMetadata: return meta.metadata;
    case FieldId::kInPort: return k.in_port;
    case FieldId::kEthSrc: return Mac48(k.dl_src);
    case FieldId::kEthDst: return Mac48(k.dl_dst);
    case FieldId::kEthType: return k.dl_type;
    case FieldId::kVlanTci: return k.vlan_tci;
    case FieldId::kIpSrc: return k.nw_src;
    case FieldId::kIpDst: return k.nw_dst;
    case FieldId::kIpProto: return k.nw_proto;
    case FieldId::kIpTos: return k.nw_tos;
    case FieldId::kIpTtl: return k.nw_ttl;
    case FieldId::kTpSrc: return k.tp_src;
    case FieldId::kTpDst: return k.tp_dst;
    default: return 0;
  }
}

void Set(FieldId f, uint64_t v, FlowKey* k, PipeMeta* meta) {
  switch (f) {
    case FieldId::kMetadata: meta->metadata = v; break;
    case FieldId::kInPort: k->in_port = static_cast<uint32_t>(v); break;
    case FieldId::kEthSrc: SetMac48(k->dl_src, v); break;
    case FieldId::kEthDst: SetMac48(k->dl_dst, v); break;
    case FieldId::kEthType: k->dl_type = static_cast<uint16_t>(v); break;
    case FieldId::kVlanTci: k->vlan_tci = static_cast<uint16_t>(v); break;
    case FieldId::kIpSrc: k->nw_src = static_cast<uint32_t>(v); break;
    case FieldId::kIpDst: k->nw_dst = static_cast<uint32_t>(v); break;
    case FieldId::kIpProto: k->nw_proto = static_cast<uint8_t>(v); break;
    case FieldId::kIpTos: k->nw_tos = static_cast<uint8_t>(v); break;
    case FieldId::kIpTtl: k->nw_ttl = static_cast<uint8_t>(v); break;
    case FieldId::kTpSrc: k->tp_src = static_cast<uint16_t>(v); break;
    case FieldId::kTpDst: k->tp_dst = static_cast<uint16_t>(v); break;
    default: break;
  }
}

uint64_t BitsMask(uint16_t n) { return n >= 64 ? ~0ull : (1ull << n) - 1; }

}  // namespace

uint16_t FieldWidth(FieldId f) {
  auto [first, n] = RegSpan(f);
  if (first >= 0) return static_cast<uint16_t>(32 * n);
  const Names* x = FixedOf(f);
  return x ? x->width : 0;
}

bool IsMetaField(FieldId f) { return RegSpan(f).first >= 0 || f == FieldId::kMetadata; }

bool IsWritablePacketField(FieldId f) {
  switch (f) {
    case FieldId::kEthSrc: case FieldId::kEthDst: case FieldId::kIpSrc: case FieldId::kIpDst:
    case FieldId::kIpTos: case FieldId::kIpTtl: case FieldId::kTpSrc: case FieldId::kTpDst:
    case FieldId::kInPort:
      return true;
    default:
      return false;
  }
}

std::string NxmName(FieldId f) {
  int i = RegIndex(f);
  if (i < kNumRegs) return fmt::format("NXM_NX_REG{}", i);
  if (i < kNumRegs + kNumRegs / 2) return fmt::format("NXM_NX_XREG{}", i - kNumRegs);
  if (RegSpan(f).first >= 0) return fmt::format("NXM_NX_XXREG{}", i - kNumRegs - kNumRegs / 2);
  const Names* x = FixedOf(f);
  return x ? x->nxm : "?";
}

std::string ShortName(FieldId f) {
  int i = RegIndex(f);
  if (i < kNumRegs) return fmt::format("reg{}", i);
  if (i < kNumRegs + kNumRegs / 2) return fmt::format("xreg{}", i - kNumRegs);
  if (RegSpan(f).first >= 0) return fmt::format("xxreg{}", i - kNumRegs - kNumRegs / 2);
  const Names* x = FixedOf(f);
  return x ? x->short_name : "?";
}

std::optional<FieldId> ParseFieldName(std::string_view s) {
  auto numbered = [&](std::string_view prefix, int count) -> int {
    if (s.substr(0, prefix.size()) != prefix) return -1;
    std::string_view d = s.substr(prefix.size());
    int n = -1;
    auto [p, ec] = std::from_chars(d.data(), d.data() + d.size(), n);
    if (d.empty() || ec != std::errc() || p != d.data() + d.size() || n < 0 || n >= count)
      return -1;
    return n;
  };
  int n;
  if ((n = numbered("reg", kNumRegs)) >= 0 || (n = numbered("NXM_NX_REG", kNumRegs)) >= 0)
    return static_cast<FieldId>(static_cast<int>(FieldId::kReg0) + n);
  if ((n = numbered("xreg", kNumRegs / 2)) >= 0 || (n = numbered("OXM_OF_PKT_REG", kNumRegs / 2)) >= 0 ||
      (n = numbered("NXM_NX_XREG", kNumRegs / 2)) >= 0)
    return static_cast<FieldId>(static_cast<int>(FieldId::kXreg0) + n);
  if ((n = numbered("xxreg", kNumRegs / 4)) >= 0 || (n = numbered("NXM_NX_XXREG", kNumRegs / 4)) >= 0)
    return static_cast<FieldId>(static_cast<int>(FieldId::kXxreg0) + n);
  for (const Names& x : kFixed) {
    if (s == x.nxm || s == x.short_name) return x.id;
  }
  for (const Alias& a : kAliases) {
    if (s == a.name) return a.id;
  }
  return std::nullopt;
}

std::optional<FieldRef> ParseSubfield(std::string_view s, std::string* why) {
  size_t br = s.find('[');
  auto f = ParseFieldName(s.substr(0, br));
  if (!f) {
    *why = fmt::format("unknown field '{}' (numavs knows registers, metadata and the "
                       "Ethernet/IPv4/TCP/UDP fields)",
                       s.substr(0, br));
    return std::nullopt;
  }
  FieldRef r{*f, 0, FieldWidth(*f)};
  if (br != std::string_view::npos) {
    if (s.back() != ']') {
      *why = fmt::format("'{}': expected FIELD[], FIELD[BIT] or FIELD[START..END]", s);
      return std::nullopt;
    }
    std::string_view in = s.substr(br + 1, s.size() - br - 2);
    if (!in.empty()) {
      size_t dots = in.find("..");
      std::string_view a = in.substr(0, dots);
      std::string_view b = dots == std::string_view::npos ? a : in.substr(dots + 2);
      unsigned lo = 0, hi = 0;
      auto r1 = std::from_chars(a.data(), a.data() + a.size(), lo);
      auto r2 = std::from_chars(b.data(), b.data() + b.size(), hi);
      if (a.empty() || b.empty() || r1.ec != std::errc() || r2.ec != std::errc() ||
          r1.ptr != a.data() + a.size() || r2.ptr != b.data() + b.size() || lo > hi ||
          hi >= FieldWidth(*f)) {
        *why = fmt::format("'{}': bit range outside the field's {} bits", s, FieldWidth(*f));
        return std::nullopt;
      }
      r.ofs = static_cast<uint16_t>(lo);
      r.n_bits = static_cast<uint16_t>(hi - lo + 1);
    }
  }
  if (r.n_bits > 64) {
    *why = fmt::format("'{}': numavs moves at most 64 bits at a time", s);
    return std::nullopt;
  }
  return r;
}

std::string FormatSubfield(const FieldRef& r) {
  std::string name = NxmName(r.field);
  if (r.ofs == 0 && r.n_bits == FieldWidth(r.field)) return name + "[]";
  if (r.n_bits == 1) return fmt::format("{}[{}]", name, r.ofs);
  return fmt::format("{}[{}..{}]", name, r.ofs, r.ofs + r.n_bits - 1);
}

uint64_t ReadField(const FieldRef& r, const FlowKey& key, const PipeMeta& meta) {
  auto [first, n] = RegSpan(r.field);
  if (first < 0) return (Get(r.field, key, meta) >> r.ofs) & BitsMask(r.n_bits);
  uint64_t v = 0;
  for (int i = r.n_bits - 1; i >= 0; i--) {
    int bit = r.ofs + i;
    uint32_t reg = meta.reg[first + n - 1 - bit / 32];
    v = v << 1 | ((reg >> (bit % 32)) & 1);
  }
  return v;
}

void WriteField(const FieldRef& r, uint64_t v, FlowKey* key, PipeMeta* meta) {
  auto [first, n] = RegSpan(r.field);
  if (first < 0) {
    uint64_t m = BitsMask(r.n_bits) << r.ofs;
    uint64_t old = Get(r.field, *key, *meta);
    Set(r.field, (old & ~m) | ((v << r.ofs) & m), key, meta);
    return;
  }
  for (int i = 0; i < r.n_bits; i++) {
    int bit = r.ofs + i;
    uint32_t& reg = meta->reg[first + n - 1 - bit / 32];
    uint32_t b = 1u << (bit % 32);
    reg = ((v >> i) & 1) ? (reg | b) : (reg & ~b);
  }
}

void MarkField(const FieldRef& r, FlowKey* mask) {
  if (IsMetaField(r.field)) return;
  PipeMeta unused;
  uint64_t m = BitsMask(r.n_bits) << r.ofs;
  Set(r.field, Get(r.field, *mask, unused) | m, mask, &unused);
}

std::optional<std::string> MissingPrereq(FieldId f, const Match& m) {
  bool dl = m.mask.dl_type == 0xffff;
  bool ip = dl && m.key.dl_type == kEthTypeIpv4;
  bool proto = m.mask.nw_proto == 0xff;
  switch (f) {
    case FieldId::kIpSrc: case FieldId::kIpDst:
      if (!ip && !(dl && m.key.dl_type == kEthTypeArp)) return "ip or arp";
      return std::nullopt;
    case FieldId::kIpProto: case FieldId::kIpTos: case FieldId::kIpTtl:
      if (!ip && !(dl && m.key.dl_type == kEthTypeIpv6)) return "ip or ipv6";
      return std::nullopt;
    case FieldId::kTpSrc: case FieldId::kTpDst:
      if (!((ip || (dl && m.key.dl_type == kEthTypeIpv6)) && proto &&
            (m.key.nw_proto == kIpProtoTcp || m.key.nw_proto == kIpProtoUdp)))
        return "tcp or udp";
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

}  // namespace vs::dp
