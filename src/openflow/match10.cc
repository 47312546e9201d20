// The OpenFlow 1.0 ofp_match <-> Match (see match.h).
#include <fmt/format.h>

#include <algorithm>

#include "openflow/consts.h"
#include "openflow/match.h"

namespace vs::openflow {
namespace {

// ofp_flow_wildcards.
constexpr uint32_t kWcInPort = 1 << 0;
constexpr uint32_t kWcDlVlan = 1 << 1;
constexpr uint32_t kWcDlSrc = 1 << 2;
constexpr uint32_t kWcDlDst = 1 << 3;
constexpr uint32_t kWcDlType = 1 << 4;
constexpr uint32_t kWcNwProto = 1 << 5;
constexpr uint32_t kWcTpSrc = 1 << 6;
constexpr uint32_t kWcTpDst = 1 << 7;
constexpr int kWcNwSrcShift = 8;
constexpr int kWcNwDstShift = 14;
constexpr uint32_t kWcDlVlanPcp = 1 << 20;
constexpr uint32_t kWcNwTos = 1 << 21;
constexpr uint32_t kWcAll = (1 << 22) - 1;
constexpr uint16_t kVlanNone = 0xffff;

uint32_t PrefixMask(uint32_t wildcard_bits) {
  return wildcard_bits >= 32 ? 0 : ~0u << wildcard_bits;
}
// Number of wildcarded low bits of a CIDR mask, or -1 if the mask is not a prefix.
int WildcardBits(uint32_t mask) {
  for (int n = 0; n <= 32; n++)
    if (PrefixMask(static_cast<uint32_t>(n)) == mask) return n;
  return -1;
}

struct Raw10 {
  uint32_t wc;
  uint16_t in_port;
  uint8_t dl_src[6], dl_dst[6];
  uint16_t dl_vlan;
  uint8_t dl_vlan_pcp;
  uint16_t dl_type;
  uint8_t nw_tos, nw_proto;
  uint32_t nw_src, nw_dst;
  uint16_t tp_src, tp_dst;
};

bool ReadRaw(ByteView b, Raw10* m) {
  Reader r(b);
  return r.U32(&m->wc) && r.U16(&m->in_port) && r.Raw(m->dl_src, 6) && r.Raw(m->dl_dst, 6) &&
         r.U16(&m->dl_vlan) && r.U8(&m->dl_vlan_pcp) && r.Skip(1) && r.U16(&m->dl_type) &&
         r.U8(&m->nw_tos) && r.U8(&m->nw_proto) && r.Skip(2) && r.U32(&m->nw_src) &&
         r.U32(&m->nw_dst) && r.U16(&m->tp_src) && r.U16(&m->tp_dst);
}

void AddL3L4(const Raw10& x, Match* m) {
  uint32_t src_mask = PrefixMask((x.wc >> kWcNwSrcShift) & 0x3f);
  uint32_t dst_mask = PrefixMask((x.wc >> kWcNwDstShift) & 0x3f);
  if (x.dl_type == 0x0806) {  // ARP: nw_proto is the opcode, nw_src/dst the addresses
    if (!(x.wc & kWcNwProto)) m->AddInt(Field::kArpOp, x.nw_proto, 2);
    if (src_mask) m->AddMaskedInt(Field::kArpSpa, x.nw_src, src_mask, 4);
    if (dst_mask) m->AddMaskedInt(Field::kArpTpa, x.nw_dst, dst_mask, 4);
    return;
  }
  if (x.dl_type != 0x0800) return;  // OF1.0: L3 fields of other types are ignored
  if (!(x.wc & kWcNwProto)) m->AddInt(Field::kIpProto, x.nw_proto, 1);
  if (!(x.wc & kWcNwTos)) m->AddInt(Field::kIpTos, x.nw_tos & 0xfc, 1);
  if (src_mask) m->AddMaskedInt(Field::kIpv4Src, x.nw_src, src_mask, 4);
  if (dst_mask) m->AddMaskedInt(Field::kIpv4Dst, x.nw_dst, dst_mask, 4);
  if (x.wc & kWcNwProto) return;
  Field src, dst;
  uint8_t width = 2;
  switch (x.nw_proto) {
    case 6: src = Field::kTcpSrc, dst = Field::kTcpDst; break;
    case 17: src = Field::kUdpSrc, dst = Field::kUdpDst; break;
    case 1: src = Field::kIcmpv4Type, dst = Field::kIcmpv4Code, width = 1; break;
    default: return;
  }
  if (!(x.wc & kWcTpSrc)) m->AddInt(src, x.tp_src, width);
  if (!(x.wc & kWcTpDst)) m->AddInt(dst, x.tp_dst, width);
}

}  // namespace

OfResult<Match> DecodeMatch10(ByteView b) {
  Raw10 x;
  if (b.size() < kMatch10Len || !ReadRaw(b, &x)) return Fail(Err::kBadLen, "ofp_match truncated");
  Match m;
  x.wc &= kWcAll;
  if (!(x.wc & kWcInPort)) m.AddInt(Field::kInPort, PortFrom10(x.in_port), 4);
  if (!(x.wc & kWcDlSrc)) m.Add(Field::kEthSrc, x.dl_src, nullptr, 6);
  if (!(x.wc & kWcDlDst)) m.Add(Field::kEthDst, x.dl_dst, nullptr, 6);
  if (!(x.wc & kWcDlType)) m.AddInt(Field::kEthType, x.dl_type, 2);
  // VLAN: dl_vlan 0xffff = untagged; otherwise VID (and PCP) with the "present" bit.
  bool vid = !(x.wc & kWcDlVlan), pcp = !(x.wc & kWcDlVlanPcp);
  if (vid && x.dl_vlan == kVlanNone) {
    m.AddInt(Field::kVlanTci, 0, 2);
  } else if (vid || pcp) {
    uint16_t value = 0x1000, mask = 0x1000;
    if (vid) value |= x.dl_vlan & 0xfff, mask |= 0xfff;
    if (pcp) value |= static_cast<uint16_t>((x.dl_vlan_pcp & 7) << 13), mask |= 0xe000;
    if (vid && x.dl_vlan > 0xfff) return Fail(Err::kMatchBadValue, "dl_vlan above 4095");
    if (mask == 0xffff) m.AddInt(Field::kVlanTci, value, 2);
    else m.AddMaskedInt(Field::kVlanTci, value, mask, 2);
  }
  if (!(x.wc & kWcDlType)) AddL3L4(x, &m);
  return m;
}

OfResult<bool> EncodeMatch10(const Match& m, Bytes* out) {
  Raw10 x{};
  x.wc = kWcAll;
  uint32_t src_wc = 32, dst_wc = 32;
  auto no = [](const MatchField& f) {
    return Fail(Err::kMatchBadField, fmt::format("{} (or its mask) cannot be expressed in an "
                                                 "OpenFlow 1.0 match", InfoOf(f.field).name));
  };
  for (const MatchField& f : m.fields) {
    uint64_t v = f.ValueInt();
    bool exact = !f.has_mask || f.MaskInt() == (f.len >= 8 ? ~0ull : (1ull << (8 * f.len)) - 1);
    switch (f.field) {
      case Field::kInPort:
        if (!PortFits10(static_cast<uint32_t>(v))) return no(f);
        x.in_port = PortTo10(static_cast<uint32_t>(v)), x.wc &= ~kWcInPort;
        break;
      case Field::kEthSrc:
        if (!exact) return no(f);
        std::copy_n(f.value.begin(), 6, x.dl_src), x.wc &= ~kWcDlSrc;
        break;
      case Field::kEthDst:
        if (!exact) return no(f);
        std::copy_n(f.value.begin(), 6, x.dl_dst), x.wc &= ~kWcDlDst;
        break;
      case Field::kEthType: x.dl_type = static_cast<uint16_t>(v), x.wc &= ~kWcDlType; break;
      case Field::kVlanTci: {
        uint16_t mask = static_cast<uint16_t>(f.MaskInt());
        if (mask == 0xffff && v == 0) {
          x.dl_vlan = kVlanNone, x.wc &= ~kWcDlVlan;
        } else if (mask == 0xffff || mask == 0x1fff || mask == 0xf000) {
          if (!(v & 0x1000)) return no(f);
          if (mask & 0x0fff) x.dl_vlan = v & 0xfff, x.wc &= ~kWcDlVlan;
          if (mask & 0xe000) x.dl_vlan_pcp = static_cast<uint8_t>(v >> 13), x.wc &= ~kWcDlVlanPcp;
        } else {
          return no(f);
        }
        break;
      }
      case Field::kIpTos: x.nw_tos = static_cast<uint8_t>(v), x.wc &= ~kWcNwTos; break;
      case Field::kIpProto: x.nw_proto = static_cast<uint8_t>(v), x.wc &= ~kWcNwProto; break;
      case Field::kArpOp:
        if (v > 255) return no(f);
        x.nw_proto = static_cast<uint8_t>(v), x.wc &= ~kWcNwProto;
        break;
      case Field::kIpv4Src:
      case Field::kArpSpa: {
        int n = WildcardBits(static_cast<uint32_t>(f.MaskInt()));
        if (n < 0) return no(f);
        x.nw_src = static_cast<uint32_t>(v), src_wc = static_cast<uint32_t>(n);
        break;
      }
      case Field::kIpv4Dst:
      case Field::kArpTpa: {
        int n = WildcardBits(static_cast<uint32_t>(f.MaskInt()));
        if (n < 0) return no(f);
        x.nw_dst = static_cast<uint32_t>(v), dst_wc = static_cast<uint32_t>(n);
        break;
      }
      case Field::kTcpSrc: case Field::kUdpSrc: case Field::kIcmpv4Type:
        if (!exact) return no(f);
        x.tp_src = static_cast<uint16_t>(v), x.wc &= ~kWcTpSrc;
        break;
      case Field::kTcpDst: case Field::kUdpDst: case Field::kIcmpv4Code:
        if (!exact) return no(f);
        x.tp_dst = static_cast<uint16_t>(v), x.wc &= ~kWcTpDst;
        break;
      default:
        return no(f);
    }
  }
  x.wc = (x.wc & ~(0x3fu << kWcNwSrcShift) & ~(0x3fu << kWcNwDstShift)) |
         src_wc << kWcNwSrcShift | dst_wc << kWcNwDstShift;
  Writer w(out);
  w.U32(x.wc);
  w.U16(x.in_port);
  w.Raw(x.dl_src, 6);
  w.Raw(x.dl_dst, 6);
  w.U16(x.dl_vlan);
  w.U8(x.dl_vlan_pcp);
  w.U8(0);
  w.U16(x.dl_type);
  w.U8(x.nw_tos);
  w.U8(x.nw_proto);
  w.U16(0);
  w.U32(x.nw_src);
  w.U32(x.nw_dst);
  w.U16(x.tp_src);
  w.U16(x.tp_dst);
  return true;
}

}  // namespace vs::openflow
