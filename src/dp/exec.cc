// Datapath action execution on mbufs.
#include "dp/exec.h"

#include <rte_mbuf.h>

#include <cstring>

namespace vs::dp {
namespace {

inline bool Writable(const rte_mbuf* m) {
  return rte_mbuf_refcnt_read(m) == 1 && RTE_MBUF_DIRECT(m);
}

inline bool IsVlanType(const uint8_t* p) {
  return (p[12] == 0x81 && p[13] == 0x00) || (p[12] == 0x88 && p[13] == 0xa8);
}

// Offset of the L3 header after up to two VLAN tags, with its Ethertype; 0 if too short.
uint32_t L3Offset(const uint8_t* p, uint32_t len, uint16_t* type) {
  uint32_t off = 12;
  for (int i = 0; i < 3 && off + 2 <= len; i++) {
    uint16_t t = static_cast<uint16_t>(p[off] << 8 | p[off + 1]);
    if (t != kEthTypeVlan && t != kEthTypeQinQ) {
      *type = t;
      return off + 2;
    }
    off += 4;
  }
  return 0;
}

// RFC 1624 incremental checksum update of the 16-bit one's complement sum at `c` for a
// 16-bit word changing from `old` to `now` (host order values).
inline void CsumReplace16(uint8_t* c, uint16_t old, uint16_t now) {
  uint32_t sum = static_cast<uint16_t>(~(c[0] << 8 | c[1])) + static_cast<uint16_t>(~old) + now;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  uint16_t r = static_cast<uint16_t>(~sum);
  c[0] = static_cast<uint8_t>(r >> 8);
  c[1] = static_cast<uint8_t>(r);
}
inline uint16_t Rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline void Wr16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// The L4 checksum field of an unfragmented (first fragment) TCP/UDP packet, or null
// (UDP with checksum 0 has none).
uint8_t* L4Csum(uint8_t* ip, uint32_t rest, uint8_t* proto_out, uint8_t** l4_out) {
  uint32_t ihl = (ip[0] & 15u) * 4;
  if (ihl < 20 || rest < ihl || (Rd16(ip + 6) & 0x1fff) != 0) return nullptr;
  uint8_t proto = ip[9];
  uint8_t* l4 = ip + ihl;
  *proto_out = proto;
  *l4_out = l4;
  if (proto == kIpProtoTcp && rest >= ihl + 20) return l4 + 16;
  if (proto == kIpProtoUdp && rest >= ihl + 8) return (l4[6] | l4[7]) ? l4 + 6 : nullptr;
  return nullptr;
}

// IPv4/IPv6 and L4 header changes; headers beyond the first segment are left alone.
void ModifyL3(rte_mbuf* m, const DpAction& a) {
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  uint32_t len = m->data_len;
  uint16_t type = 0;
  uint32_t off = L3Offset(p, len, &type);
  if (off == 0) return;
  uint8_t* ip = p + off;
  uint32_t rest = len - off;
  if (type == kEthTypeIpv6) {
    if (a.type == DpActionType::kSetIpTtl && rest >= 40) ip[7] = static_cast<uint8_t>(a.tci);
    return;
  }
  if (type != kEthTypeIpv4 || rest < 20 || (ip[0] >> 4) != 4) return;
  uint8_t proto = 0;
  uint8_t* l4 = nullptr;
  switch (a.type) {
    case DpActionType::kSetIpv4Src:
    case DpActionType::kSetIpv4Dst: {
      uint8_t* f = ip + (a.type == DpActionType::kSetIpv4Src ? 12 : 16);
      uint8_t* l4c = L4Csum(ip, rest, &proto, &l4);
      for (int half = 0; half < 2; half++) {
        uint16_t old = Rd16(f + 2 * half);
        uint16_t now = static_cast<uint16_t>(a.port >> (16 - 16 * half));
        CsumReplace16(ip + 10, old, now);
        if (l4c) CsumReplace16(l4c, old, now);  // the pseudo-header holds the addresses
        Wr16(f + 2 * half, now);
      }
      break;
    }
    case DpActionType::kSetIpTos: {
      uint16_t old = Rd16(ip);
      ip[1] = static_cast<uint8_t>((ip[1] & ~a.tci_mask) | (a.tci & a.tci_mask));
      CsumReplace16(ip + 10, old, Rd16(ip));
      break;
    }
    case DpActionType::kSetIpTtl: {
      uint16_t old = Rd16(ip + 8);
      ip[8] = static_cast<uint8_t>(a.tci);
      CsumReplace16(ip + 10, old, Rd16(ip + 8));
      break;
    }
    case DpActionType::kSetTpSrc:
    case DpActionType::kSetTpDst: {
      uint8_t* l4c = L4Csum(ip, rest, &proto, &l4);
      if (!l4 || (proto != kIpProtoTcp && proto != kIpProtoUdp)) break;
      uint32_t need = proto == kIpProtoTcp ? 20 : 8;
      if (rest < static_cast<uint32_t>(l4 - ip) + need) break;
      uint8_t* f = l4 + (a.type == DpActionType::kSetTpSrc ? 0 : 2);
      if (l4c) CsumReplace16(l4c, Rd16(f), a.tci);
      Wr16(f, a.tci);
      break;
    }
    default:
      break;
  }
}

// Returns false if the packet must be dropped.
bool Modify(rte_mbuf* m, const DpAction& a, ExecCounters* c) {
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  switch (a.type) {
    case DpActionType::kPushVlan: {
      if (m->data_len < 14) return true;
      uint8_t* q = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, 4));
      if (!q) {
        c->no_headroom++;
        return false;
      }
      std::memmove(q, q + 4, 12);
      uint16_t tpid = a.tci_mask ? a.tci_mask : kEthTypeVlan;
      q[12] = static_cast<uint8_t>(tpid >> 8);
      q[13] = static_cast<uint8_t>(tpid);
      q[14] = static_cast<uint8_t>(a.tci >> 8);
      q[15] = static_cast<uint8_t>(a.tci);
      return true;
    }
    case DpActionType::kPopVlan:
      if (m->data_len >= 18 && IsVlanType(p)) {
        std::memmove(p + 4, p, 12);
        rte_pktmbuf_adj(m, 4);
      }
      return true;
    case DpActionType::kSetVlan:
      if (m->data_len >= 18 && IsVlanType(p)) {
        uint16_t tci = static_cast<uint16_t>(p[14] << 8 | p[15]);
        tci = static_cast<uint16_t>((tci & ~a.tci_mask) | (a.tci & a.tci_mask));
        p[14] = static_cast<uint8_t>(tci >> 8);
        p[15] = static_cast<uint8_t>(tci);
      }
      return true;
    case DpActionType::kSetEthSrc:
      if (m->data_len >= 12) std::memcpy(p + 6, a.mac, 6);
      return true;
    case DpActionType::kSetEthDst:
      if (m->data_len >= 6) std::memcpy(p, a.mac, 6);
      return true;
    case DpActionType::kSetIpv4Src:
    case DpActionType::kSetIpv4Dst:
    case DpActionType::kSetIpTos:
    case DpActionType::kSetIpTtl:
    case DpActionType::kSetTpSrc:
    case DpActionType::kSetTpDst:
      ModifyL3(m, a);
      return true;
    case DpActionType::kOutput:
      return true;
  }
  return true;
}

inline void Send(uint32_t port, rte_mbuf* m, TxBatches* tx, ExecCounters* c) {
  if (tx->Add(port, m)) {
    c->tx++;
  } else {
    c->tx_overflow++;
    rte_pktmbuf_free(m);
  }
}

}  // namespace

void Execute(rte_mbuf* m, const Megaflow& f, TxBatches* tx, ExecCounters* c) {
  if (f.last_output < 0) {
    c->dropped++;
    rte_pktmbuf_free(m);
    return;
  }
  const DpAction* acts = f.acts;
  for (int i = 0; i <= f.last_output; i++) {
    const DpAction& a = acts[i];
    if (a.type != DpActionType::kOutput) {
      if (!Writable(m)) {
        rte_mbuf* copy = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
        rte_pktmbuf_free(m);
        if (!copy) {
          c->clone_fail++;
          return;
        }
        m = copy;
      }
      if (!Modify(m, a, c)) {
        rte_pktmbuf_free(m);
        return;
      }
      continue;
    }
    if (i == f.last_output) {
      Send(a.port, m, tx, c);
      return;
    }
    if (i > f.last_modify) {
      // Nothing changes it any more: share it (every segment, as free walks them all).
      for (rte_mbuf* seg = m; seg; seg = seg->next) rte_mbuf_refcnt_update(seg, 1);
      Send(a.port, m, tx, c);
    } else {
      rte_mbuf* copy = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
      if (!copy) {
        c->clone_fail++;
        continue;
      }
      Send(a.port, copy, tx, c);
    }
  }
}

}  // namespace vs::dp
