// Header parsing into a FlowKey. Every read is bounds-checked against the remaining length.
#include "dp/flow_key.h"

#include <rte_mbuf.h>

namespace vs::dp {
namespace {

using key_internal::Rd16;
inline uint32_t Rd32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

// L4 header at p (len bytes available) for protocol proto.
void ParseL4(const uint8_t* p, uint32_t len, uint8_t proto, FlowKey* k) {
  switch (proto) {
    case kIpProtoTcp:
      if (len < 20) return;
      break;
    case kIpProtoUdp:
      if (len < 8) return;
      break;
    case kIpProtoIcmp:
    case kIpProtoIcmpv6:
      if (len < 4) return;
      k->tp_src = p[0];
      k->tp_dst = p[1];
      return;
    default:
      return;
  }
  k->tp_src = Rd16(p);
  k->tp_dst = Rd16(p + 2);
}

void ParseIpv4(const uint8_t* p, uint32_t len, FlowKey* k) {
  if (len < 20 || (p[0] >> 4) != 4) return;
  uint32_t ihl = (p[0] & 0x0f) * 4u;
  if (ihl < 20 || ihl > len) return;
  uint32_t tot = Rd16(p + 2);
  if (tot >= ihl && tot < len) len = tot;  // ignore Ethernet padding
  k->nw_tos = p[1];
  k->nw_ttl = p[8];
  k->nw_proto = p[9];
  k->nw_src = Rd32(p + 12);
  k->nw_dst = Rd32(p + 16);
  uint16_t frag = Rd16(p + 6);
  if (frag & 0x3fff) {  // MF or offset
    k->nw_frag = kFragAny;
    if (frag & 0x1fff) {
      k->nw_frag |= kFragLater;
      return;
    }
  }
  ParseL4(p + ihl, len - ihl, k->nw_proto, k);
}

void ParseIpv6(const uint8_t* p, uint32_t len, FlowKey* k) {
  if (len < 40 || (p[0] >> 4) != 6) return;
  k->nw_tos = static_cast<uint8_t>((Rd16(p) >> 4) & 0xff);
  k->nw_ttl = p[7];
  std::memcpy(k->ipv6_src, p + 8, 16);
  std::memcpy(k->ipv6_dst, p + 24, 16);
  uint32_t payload = Rd16(p + 4);
  uint8_t next = p[6];
  p += 40;
  len -= 40;
  if (payload < len) len = payload;
  // Skip the common extension headers (bounded: at most 8 of them).
  for (int i = 0; i < 8; i++) {
    if (next == 0 || next == 43 || next == 60) {  // hop-by-hop, routing, destination
      if (len < 8) {
        k->nw_proto = next;
        return;
      }
      uint32_t hl = (p[1] + 1u) * 8u;
      if (hl > len) {
        k->nw_proto = next;
        return;
      }
      next = p[0];
      p += hl;
      len -= hl;
    } else if (next == 44) {  // fragment
      if (len < 8) {
        k->nw_proto = next;
        return;
      }
      uint16_t off = Rd16(p + 2);
      k->nw_frag = kFragAny;
      next = p[0];
      if (off & 0xfff8) {
        k->nw_frag |= kFragLater;
        k->nw_proto = next;
        return;
      }
      p += 8;
      len -= 8;
    } else {
      break;
    }
  }
  k->nw_proto = next;
  ParseL4(p, len, next, k);
}

void ParseArp(const uint8_t* p, uint32_t len, FlowKey* k) {
  if (len < 28) return;
  if (Rd16(p) != 1 || Rd16(p + 2) != kEthTypeIpv4 || p[4] != 6 || p[5] != 4) return;
  uint16_t op = Rd16(p + 6);
  if (op <= 0xff) k->nw_proto = static_cast<uint8_t>(op);
  k->nw_src = Rd32(p + 14);
  k->nw_dst = Rd32(p + 24);
}

}  // namespace

void ExtractKeyReference(const uint8_t* p, uint32_t len, uint32_t in_port, FlowKey* k) {
  std::memset(k, 0, sizeof(*k));
  k->in_port = in_port;
  if (len < 14) return;
  std::memcpy(k->dl_dst, p, 6);
  std::memcpy(k->dl_src, p + 6, 6);
  uint16_t type = Rd16(p + 12);
  p += 14;
  len -= 14;
  if (type == kEthTypeVlan || type == kEthTypeQinQ) {
    if (len < 4) {
      k->dl_type = type;  // tag cut short: say what we saw, parse no further
      return;
    }
    k->vlan_tci = static_cast<uint16_t>(Rd16(p) | kVlanPresent);
    type = Rd16(p + 2);
    p += 4;
    len -= 4;
  }
  if (type < 0x600) {
    k->dl_type = kDlTypeNone;
    return;
  }
  k->dl_type = type;
  switch (type) {
    case kEthTypeIpv4:
      ParseIpv4(p, len, k);
      break;
    case kEthTypeIpv6:
      ParseIpv6(p, len, k);
      break;
    case kEthTypeArp:
      ParseArp(p, len, k);
      break;
    default:
      break;
  }
}

void ExtractKey(const rte_mbuf* m, uint32_t in_port, FlowKey* key) {
  ExtractKey(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len, in_port, key);
}

}  // namespace vs::dp
