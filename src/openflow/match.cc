#include "openflow/match.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "openflow/consts.h"

namespace vs::openflow {
namespace {

enum class Prereq : uint8_t {
  kNone, kIp, kIpv4, kIpv6, kArp, kTcp, kUdp, kSctp, kIcmpv4, kIcmpv6, kNd, kNdSll, kNdTll,
  kMpls, kVlan,
};

// One row per Field: names, widths, its NXM and OXM numbers (class 0 = absent for
// OXM's basic class is 0x8000, so a zero class means "not in this format").
struct Row {
  FieldInfo info;
  Prereq prereq;
  uint16_t nxm_class;  // kNone16 = not in NXM
  uint8_t nxm_field;
  uint8_t nxm_width;
  uint16_t oxm_class;  // kNone16 = not in OXM
  uint8_t oxm_field;
  uint8_t oxm_width;
};
constexpr uint16_t kNo = 0xfffe;  // no such encoding (0xfffe is not a class we use)

#define VS_F(id, name, width, maskable, pre, nc, nf, nw, oc, of, ow) \
  Row{FieldInfo{Field::id, name, width, maskable}, Prereq::pre, nc, nf, nw, oc, of, ow}

// Field numbers: NXM from Open vSwitch's nicira-ext/meta-flow documentation, OXM from
// the OpenFlow 1.3/1.5 specifications (ofp_oxm_ofb_match_fields).
constexpr Row kRows[] = {
    VS_F(kInPort, "in_port", 4, false, kNone, 0, 0, 2, 0x8000, 0, 4),
    VS_F(kMetadata, "metadata", 8, true, kNone, kNo, 0, 0, 0x8000, 2, 8),
    VS_F(kEthDst, "dl_dst", 6, true, kNone, 0, 1, 6, 0x8000, 3, 6),
    VS_F(kEthSrc, "dl_src", 6, true, kNone, 0, 2, 6, 0x8000, 4, 6),
    VS_F(kEthType, "dl_type", 2, false, kNone, 0, 3, 2, 0x8000, 5, 2),
    VS_F(kVlanTci, "vlan_tci", 2, true, kNone, 0, 4, 2, kNo, 0, 0),
    VS_F(kVlanVid, "vlan_vid", 2, true, kNone, kNo, 0, 0, 0x8000, 6, 2),
    VS_F(kVlanPcp, "vlan_pcp", 1, false, kVlan, kNo, 0, 0, 0x8000, 7, 1),
    VS_F(kIpTos, "nw_tos", 1, false, kIp, 0, 5, 1, kNo, 0, 0),
    VS_F(kIpDscp, "ip_dscp", 1, false, kIp, kNo, 0, 0, 0x8000, 8, 1),
    VS_F(kIpEcn, "nw_ecn", 1, false, kIp, 1, 28, 1, 0x8000, 9, 1),
    VS_F(kIpProto, "nw_proto", 1, false, kIp, 0, 6, 1, 0x8000, 10, 1),
    VS_F(kIpTtl, "nw_ttl", 1, false, kIp, 1, 29, 1, kNo, 0, 0),
    VS_F(kIpFrag, "ip_frag", 1, true, kIp, 1, 26, 1, kNo, 0, 0),
    VS_F(kIpv4Src, "nw_src", 4, true, kIpv4, 0, 7, 4, 0x8000, 11, 4),
    VS_F(kIpv4Dst, "nw_dst", 4, true, kIpv4, 0, 8, 4, 0x8000, 12, 4),
    VS_F(kTcpSrc, "tcp_src", 2, true, kTcp, 0, 9, 2, 0x8000, 13, 2),
    VS_F(kTcpDst, "tcp_dst", 2, true, kTcp, 0, 10, 2, 0x8000, 14, 2),
    VS_F(kUdpSrc, "udp_src", 2, true, kUdp, 0, 11, 2, 0x8000, 15, 2),
    VS_F(kUdpDst, "udp_dst", 2, true, kUdp, 0, 12, 2, 0x8000, 16, 2),
    VS_F(kSctpSrc, "sctp_src", 2, true, kSctp, 1, 67, 2, 0x8000, 17, 2),
    VS_F(kSctpDst, "sctp_dst", 2, true, kSctp, 1, 68, 2, 0x8000, 18, 2),
    VS_F(kIcmpv4Type, "icmp_type", 1, false, kIcmpv4, 0, 13, 1, 0x8000, 19, 1),
    VS_F(kIcmpv4Code, "icmp_code", 1, false, kIcmpv4, 0, 14, 1, 0x8000, 20, 1),
    VS_F(kArpOp, "arp_op", 2, false, kArp, 0, 15, 2, 0x8000, 21, 2),
    VS_F(kArpSpa, "arp_spa", 4, true, kArp, 0, 16, 4, 0x8000, 22, 4),
    VS_F(kArpTpa, "arp_tpa", 4, true, kArp, 0, 17, 4, 0x8000, 23, 4),
    VS_F(kArpSha, "arp_sha", 6, true, kArp, 1, 17, 6, 0x8000, 24, 6),
    VS_F(kArpTha, "arp_tha", 6, true, kArp, 1, 18, 6, 0x8000, 25, 6),
    VS_F(kIpv6Src, "ipv6_src", 16, true, kIpv6, 1, 19, 16, 0x8000, 26, 16),
    VS_F(kIpv6Dst, "ipv6_dst", 16, true, kIpv6, 1, 20, 16, 0x8000, 27, 16),
    VS_F(kIpv6Label, "ipv6_label", 4, true, kIpv6, 1, 27, 4, 0x8000, 28, 4),
    VS_F(kIcmpv6Type, "icmpv6_type", 1, false, kIcmpv6, 1, 21, 1, 0x8000, 29, 1),
    VS_F(kIcmpv6Code, "icmpv6_code", 1, false, kIcmpv6, 1, 22, 1, 0x8000, 30, 1),
    VS_F(kNdTarget, "nd_target", 16, true, kNd, 1, 23, 16, 0x8000, 31, 16),
    VS_F(kNdSll, "nd_sll", 6, true, kNdSll, 1, 24, 6, 0x8000, 32, 6),
    VS_F(kNdTll, "nd_tll", 6, true, kNdTll, 1, 25, 6, 0x8000, 33, 6),
    VS_F(kMplsLabel, "mpls_label", 4, false, kMpls, kNo, 0, 0, 0x8000, 34, 4),
    VS_F(kMplsTc, "mpls_tc", 1, false, kMpls, kNo, 0, 0, 0x8000, 35, 1),
    VS_F(kMplsBos, "mpls_bos", 1, false, kMpls, kNo, 0, 0, 0x8000, 36, 1),
    VS_F(kTunId, "tun_id", 8, true, kNone, 1, 16, 8, 0x8000, 38, 8),
    VS_F(kTcpFlags, "tcp_flags", 2, true, kTcp, 1, 34, 2, kNo, 0, 0),
    VS_F(kPktMark, "pkt_mark", 4, true, kNone, 1, 33, 4, kNo, 0, 0),
    VS_F(kConjId, "conj_id", 4, false, kNone, 1, 37, 4, kNo, 0, 0),
    VS_F(kCtState, "ct_state", 4, true, kNone, 1, 105, 4, kNo, 0, 0),
    VS_F(kCtZone, "ct_zone", 2, false, kNone, 1, 106, 2, kNo, 0, 0),
    VS_F(kCtMark, "ct_mark", 4, true, kNone, 1, 107, 4, kNo, 0, 0),
    VS_F(kCookie, "cookie", 8, true, kNone, 1, 30, 8, kNo, 0, 0),
#define VS_REG(n) VS_F(kReg0, "reg" #n, 4, true, kNone, 1, n, 4, kNo, 0, 0)
    VS_REG(0), VS_REG(1), VS_REG(2), VS_REG(3), VS_REG(4), VS_REG(5), VS_REG(6), VS_REG(7),
    VS_REG(8), VS_REG(9), VS_REG(10), VS_REG(11), VS_REG(12), VS_REG(13), VS_REG(14), VS_REG(15),
#define VS_XREG(n) VS_F(kXreg0, "xreg" #n, 8, true, kNone, kNo, 0, 0, 0x8001, n, 8)
    VS_XREG(0), VS_XREG(1), VS_XREG(2), VS_XREG(3), VS_XREG(4), VS_XREG(5), VS_XREG(6), VS_XREG(7),
};
#undef VS_REG
#undef VS_XREG
#undef VS_F
static_assert(std::size(kRows) == static_cast<size_t>(Field::kCount));

// The register rows above all say kReg0/kXreg0; their index is what counts.
const Row& RowOf(Field f) { return kRows[static_cast<size_t>(f)]; }
Field FieldAt(size_t i) { return static_cast<Field>(i); }

uint64_t BeInt(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n && i < 8; i++) v = v << 8 | p[i];
  return v;
}
void PutBe(uint8_t* p, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; i++) p[n - 1 - i] = static_cast<uint8_t>(v >> (8 * i));
}

bool ExactIs(const Match& m, Field f, uint64_t want) {
  const MatchField* x = m.Find(f);
  return x && !x->has_mask && x->ValueInt() == want;
}
bool IsIp(const Match& m) {
  return ExactIs(m, Field::kEthType, 0x0800) || ExactIs(m, Field::kEthType, 0x86dd);
}
bool ProtoIs(const Match& m, uint8_t p) { return ExactIs(m, Field::kIpProto, p); }

bool PrereqMet(Prereq p, const Match& m) {
  switch (p) {
    case Prereq::kNone: return true;
    case Prereq::kIp: return IsIp(m);
    case Prereq::kIpv4: return ExactIs(m, Field::kEthType, 0x0800);
    case Prereq::kIpv6: return ExactIs(m, Field::kEthType, 0x86dd);
    case Prereq::kArp:
      return ExactIs(m, Field::kEthType, 0x0806) || ExactIs(m, Field::kEthType, 0x8035);
    case Prereq::kTcp: return IsIp(m) && ProtoIs(m, 6);
    case Prereq::kUdp: return IsIp(m) && ProtoIs(m, 17);
    case Prereq::kSctp: return IsIp(m) && ProtoIs(m, 132);
    case Prereq::kIcmpv4: return ExactIs(m, Field::kEthType, 0x0800) && ProtoIs(m, 1);
    case Prereq::kIcmpv6: return ExactIs(m, Field::kEthType, 0x86dd) && ProtoIs(m, 58);
    case Prereq::kNd:
      return PrereqMet(Prereq::kIcmpv6, m) && (ExactIs(m, Field::kIcmpv6Type, 135) ||
                                               ExactIs(m, Field::kIcmpv6Type, 136));
    case Prereq::kNdSll: return PrereqMet(Prereq::kIcmpv6, m) && ExactIs(m, Field::kIcmpv6Type, 135);
    case Prereq::kNdTll: return PrereqMet(Prereq::kIcmpv6, m) && ExactIs(m, Field::kIcmpv6Type, 136);
    case Prereq::kMpls:
      return ExactIs(m, Field::kEthType, 0x8847) || ExactIs(m, Field::kEthType, 0x8848);
    case Prereq::kVlan: {
      const MatchField* v = m.Find(Field::kVlanVid);
      return v && (v->ValueInt() & 0x1000) && (v->MaskInt() & 0x1000);
    }
  }
  return false;
}

// Checks and stores one decoded TLV (value/mask in wire width).
OfResult<bool> AddTlv(Match* m, Field f, const uint8_t* value, const uint8_t* mask,
                      uint8_t wire_width, bool check_prereqs) {
  const Row& row = RowOf(f);
  if (m->Find(f))
    return Fail(Err::kMatchDupField, fmt::format("{} appears twice in the match", row.info.name));
  if (check_prereqs && !PrereqMet(row.prereq, *m))
    return Fail(Err::kMatchBadPrereq,
                fmt::format("{} is matched without its prerequisites (eth_type/ip_proto)",
                            row.info.name));
  for (uint8_t i = 0; mask && i < wire_width; i++) {
    if (value[i] & ~mask[i])
      return Fail(Err::kMatchBadWildcards,
                  fmt::format("{}: the value has bits outside its mask", row.info.name));
  }
  if (f == Field::kInPort) {
    uint32_t port = wire_width == 2 ? PortFrom10(static_cast<uint16_t>(BeInt(value, 2)))
                                    : static_cast<uint32_t>(BeInt(value, 4));
    m->AddInt(f, port, 4);
    return true;
  }
  if (f == Field::kVlanVid && (BeInt(value, 2) & ~0x1fffu))
    return Fail(Err::kMatchBadValue, "vlan_vid: value above 0x1fff");
  if (f == Field::kVlanPcp && value[0] > 7) return Fail(Err::kMatchBadValue, "vlan_pcp above 7");
  if (f == Field::kIpDscp && value[0] > 63) return Fail(Err::kMatchBadValue, "ip_dscp above 63");
  if (f == Field::kIpEcn && value[0] > 3) return Fail(Err::kMatchBadValue, "ip_ecn above 3");
  if (f == Field::kIpTos && (value[0] & 3))
    return Fail(Err::kMatchBadValue, "nw_tos: the two ECN bits must be zero");
  m->Add(f, value, mask, wire_width);
  return true;
}

}  // namespace

uint64_t MatchField::ValueInt() const { return BeInt(value.data(), len); }
uint64_t MatchField::MaskInt() const { return BeInt(mask.data(), len); }

const MatchField* Match::Find(Field f) const {
  for (const MatchField& x : fields)
    if (x.field == f) return &x;
  return nullptr;
}

void Match::Add(Field f, const uint8_t* value, const uint8_t* mask, uint8_t len) {
  MatchField x;
  x.field = f;
  x.len = std::min<uint8_t>(len, 16);
  std::memcpy(x.value.data(), value, x.len);
  std::memset(x.mask.data(), 0xff, x.len);
  if (mask) {
    std::memcpy(x.mask.data(), mask, x.len);
    x.has_mask = true;
  }
  fields.push_back(x);
}

void Match::AddInt(Field f, uint64_t value, uint8_t len) {
  uint8_t v[8];
  PutBe(v, value, len);
  Add(f, v, nullptr, len);
}

void Match::AddMaskedInt(Field f, uint64_t value, uint64_t mask, uint8_t len) {
  uint64_t all = len >= 8 ? ~0ull : (1ull << (8 * len)) - 1;
  if ((mask & all) == all) return AddInt(f, value, len);
  uint8_t v[8], m[8];
  PutBe(v, value & mask, len);
  PutBe(m, mask, len);
  Add(f, v, m, len);
}

const FieldInfo& InfoOf(Field f) { return RowOf(f).info; }

namespace {
std::optional<uint32_t> TlvIn(Field f, TlvFormat format, uint8_t* width) {
  const Row& r = RowOf(f);
  size_t idx = static_cast<size_t>(f);
  uint16_t cls = format == TlvFormat::kNxm ? r.nxm_class : r.oxm_class;
  if (cls == kNo) return std::nullopt;
  uint8_t field = format == TlvFormat::kNxm ? r.nxm_field : r.oxm_field;
  *width = format == TlvFormat::kNxm ? r.nxm_width : r.oxm_width;
  if (f >= Field::kReg0 && f <= Field::kReg15)
    field = static_cast<uint8_t>(idx - static_cast<size_t>(Field::kReg0));
  if (f >= Field::kXreg0 && f <= Field::kXreg7)
    field = static_cast<uint8_t>(idx - static_cast<size_t>(Field::kXreg0));
  return TlvHeader(cls, field, false, 0);
}
}  // namespace

std::optional<uint32_t> TlvOf(Field f, TlvFormat format, uint8_t* width) {
  if (auto h = TlvIn(f, format, width)) return h;
  return TlvIn(f, format == TlvFormat::kNxm ? TlvFormat::kOxm : TlvFormat::kNxm, width);
}

std::optional<Field> FieldOfTlv(uint16_t cls, uint8_t field, uint8_t* width) {
  TlvFormat format = cls >= 0x8000 ? TlvFormat::kOxm : TlvFormat::kNxm;
  for (size_t i = 0; i < std::size(kRows); i++) {
    auto h = TlvIn(FieldAt(i), format, width);
    if (h && *h == TlvHeader(cls, field, false, 0)) return FieldAt(i);
  }
  return std::nullopt;
}

OfResult<Match> DecodeTlvs(ByteView b, TlvFormat format, bool check_prereqs) {
  Match m;
  Reader r(b);
  while (!r.empty()) {
    uint32_t h;
    if (!r.U32(&h)) return Fail(Err::kMatchBadLen, "match: truncated field header");
    uint16_t cls = static_cast<uint16_t>(h >> 16);
    uint8_t field = static_cast<uint8_t>((h >> 9) & 0x7f);
    bool has_mask = h & 0x100;
    uint8_t len = static_cast<uint8_t>(h);
    ByteView payload;
    if (!r.Sub(len, &payload))
      return Fail(Err::kMatchBadLen,
                  fmt::format("match: field {:#010x} says {} bytes, {} left", h, len, r.left()));
    if (m.fields.size() >= kMaxMatchFields)
      return Fail(Err::kMatchBadLen, fmt::format("match: more than {} fields", kMaxMatchFields));
    uint8_t width = 0;
    std::optional<Field> f = FieldOfTlv(cls, field, &width);
    if (!f)
      return Fail(Err::kMatchBadField, fmt::format("match: unknown field {:#010x} in {}", h,
                                                   format == TlvFormat::kNxm ? "NXM" : "OXM"));
    if (len != (has_mask ? 2 * width : width))
      return Fail(Err::kMatchBadLen, fmt::format("match: {} has length {}, expected {}",
                                                 InfoOf(*f).name, len, has_mask ? 2 * width : width));
    if (has_mask && !InfoOf(*f).maskable)
      return Fail(Err::kMatchBadMask, fmt::format("match: {} cannot be masked", InfoOf(*f).name));
    auto added = AddTlv(&m, *f, payload.data(), has_mask ? payload.data() + width : nullptr, width,
                        check_prereqs);
    if (!added.ok()) return added.error();
  }
  return m;
}

OfResult<size_t> EncodeTlvs(const Match& m, TlvFormat format, Bytes* out) {
  size_t start = out->size();
  Writer w(out);
  for (const MatchField& x : m.fields) {
    uint8_t width = 0;
    std::optional<uint32_t> h = TlvOf(x.field, format, &width);
    if (!h)
      return Fail(Err::kMatchBadField, fmt::format("{} cannot be encoded in {}", InfoOf(x.field).name,
                                                   format == TlvFormat::kNxm ? "NXM" : "OXM"));
    uint8_t value[16], mask[16];
    std::memcpy(value, x.value.data(), 16);
    std::memcpy(mask, x.mask.data(), 16);
    if (x.field == Field::kInPort) {
      uint32_t port = static_cast<uint32_t>(x.ValueInt());
      if (width == 2) {
        if (!PortFits10(port))
          return Fail(Err::kMatchBadValue, fmt::format("in_port {} does not fit NXM", port));
        PutBe(value, PortTo10(port), 2);
      } else {
        PutBe(value, port, 4);
      }
    } else if (width != x.len) {
      return Fail(Err::kMatchBadLen, fmt::format("{}: value of {} bytes", InfoOf(x.field).name, x.len));
    }
    w.U32(*h | (x.has_mask ? 0x100u : 0u) | (x.has_mask ? 2u * width : width));
    w.Raw(value, width);
    if (x.has_mask) w.Raw(mask, width);
  }
  return out->size() - start;
}

OfResult<Match> DecodeOxmMatch(Reader* r) {
  uint16_t type, len;
  if (!r->U16(&type) || !r->U16(&len)) return Fail(Err::kMatchBadLen, "ofp_match: truncated");
  if (type != 1)
    return Fail(Err::kMatchBadType, fmt::format("ofp_match type {} (only OXM, 1)", type));
  ByteView tlvs;
  if (len < 4 || !r->Sub(len - 4, &tlvs))
    return Fail(Err::kMatchBadLen, fmt::format("ofp_match length {} exceeds the message", len));
  size_t pad = (8 - len % 8) % 8;
  if (!r->Skip(pad)) return Fail(Err::kMatchBadLen, "ofp_match: missing padding");
  return DecodeTlvs(tlvs, TlvFormat::kOxm);
}

OfResult<bool> EncodeOxmMatch(const Match& m, Bytes* out) {
  size_t start = out->size();
  Writer w(out);
  w.U16(1);
  w.U16(0);
  auto n = EncodeTlvs(m, TlvFormat::kOxm, out);
  if (!n.ok()) {
    out->resize(start);
    return n.error();
  }
  w.Patch16(start + 2, static_cast<uint16_t>(4 + *n));
  w.PadTo(start, 8);
  return true;
}

OfResult<bool> CheckPrerequisites(const Match& m) {
  Match seen;
  for (const MatchField& x : m.fields) {
    if (!PrereqMet(RowOf(x.field).prereq, seen))
      return Fail(Err::kMatchBadPrereq,
                  fmt::format("{} is matched without its prerequisites", InfoOf(x.field).name));
    seen.fields.push_back(x);
  }
  return true;
}

}  // namespace vs::openflow
