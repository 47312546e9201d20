// TxBatches: per-output-port packet batches that one PMD fills while executing actions
// and the caller flushes (rte_eth_tx_burst) after each ProcessBurst.
//
// Sized on the control path (one queue per possible port id); Add never allocates.
// Touched ports are listed in first-touch order so the caller flushes only those.
#pragma once

#include <cstdint>
#include <memory>

struct rte_mbuf;

namespace vs::dp {

class TxBatches {
 public:
  static constexpr uint16_t kCapacity = 64;  // per port per flush
  struct Queue {
    uint16_t count = 0;
    rte_mbuf* pkts[kCapacity];
  };

  explicit TxBatches(uint32_t max_ports)
      : max_ports_(max_ports), queues_(new Queue[max_ports]), touched_(new uint32_t[max_ports]) {}

  // Appends; false if the port id is out of range or its queue is full (caller frees m).
  bool Add(uint32_t port, rte_mbuf* m) {
    if (port >= max_ports_) return false;
    Queue& q = queues_[port];
    if (q.count == kCapacity) return false;
    if (q.count == 0) touched_[n_touched_++] = port;
    q.pkts[q.count++] = m;
    return true;
  }

  // Appends up to n packets (as many as fit); returns how many it took (0 if the port id
  // is out of range). The caller frees the rest.
  uint16_t AddBulk(uint32_t port, rte_mbuf* const* m, uint16_t n) {
    if (port >= max_ports_) return 0;
    Queue& q = queues_[port];
    uint16_t room = static_cast<uint16_t>(kCapacity - q.count);
    uint16_t k = n < room ? n : room;
    if (k == 0) return 0;
    if (q.count == 0) touched_[n_touched_++] = port;
    for (uint16_t i = 0; i < k; i++) q.pkts[q.count + i] = m[i];
    q.count = static_cast<uint16_t>(q.count + k);
    return k;
  }

  uint32_t n_touched() const { return n_touched_; }
  uint32_t touched(uint32_t i) const { return touched_[i]; }
  Queue& queue(uint32_t port) { return queues_[port]; }

  // Empties every queue (the caller has sent or freed their packets).
  void Reset() {
    for (uint32_t i = 0; i < n_touched_; i++) queues_[touched_[i]].count = 0;
    n_touched_ = 0;
  }

 private:
  uint32_t max_ports_;
  std::unique_ptr<Queue[]> queues_;
  std::unique_ptr<uint32_t[]> touched_;
  uint32_t n_touched_ = 0;
};

}  // namespace vs::dp
