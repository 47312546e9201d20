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
