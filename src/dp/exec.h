// Executing a megaflow's datapath actions on one mbuf.
//
// Header changes happen in place (VLAN push uses the mbuf headroom, pop moves the MAC
// addresses forward); a packet is copied (rte_pktmbuf_copy) before it is changed if it
// is shared. Outputs before the last one send a copy when the packet is changed later,
// or the same mbuf with its reference count raised when it is not; the last output hands
// the packet itself over. Failures drop and count, never allocate from the heap.
#pragma once

#include <cstdint>

#include "dp/dpcls.h"
#include "dp/tx_batch.h"

struct rte_mbuf;

namespace vs::dp {

struct ExecCounters {
  uint64_t tx = 0;           // packets queued for output
  uint64_t dropped = 0;      // action list sent the packet nowhere
  uint64_t tx_overflow = 0;  // output queue full
  uint64_t clone_fail = 0;   // rte_pktmbuf_copy failed (pool empty)
  uint64_t no_headroom = 0;  // VLAN push without 4 bytes of headroom
};

void Execute(rte_mbuf* m, const Megaflow& flow, TxBatches* tx, ExecCounters* c);

}  // namespace vs::dp
