// Rcu: DPDK's quiescent-state-based reclamation (rte_rcu_qsbr) for the datapath.
//
// The rule (for every structure PMD threads read: DpSnapshot, RuleSets and Rules,
// BridgeState):
//  1. The control thread is the only writer. It makes a new version, publishes it with a
//     release store, bumps the datapath generation, and only then Retire()s the old
//     version with a deleter.
//  2. A PMD thread is a reader between two calls of Quiescent() (it reports one after
//     every loop iteration, when it holds no pointer into shared state except inside
//     its own caches, which it drops when it sees a new generation before using them).
//     A PMD that sleeps or blocks calls Offline() first and Online() after.
//  3. A retired version is freed by Reclaim() once every online reader has reported a
//     quiescent state after the retirement; Synchronize() waits for that.
//
// Reader calls are wait-free (one store each). Retire/Reclaim/Synchronize are for the
// control thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>

#include "base/status.h"

struct rte_rcu_qsbr;

namespace vs::dp {

class Rcu {
 public:
  // Room for reader threads with ids 0 .. max_readers-1. Errors: EINVAL, ENOMEM.
  static Result<std::unique_ptr<Rcu>> Create(uint32_t max_readers);
  ~Rcu();  // runs every pending deleter; readers must be unregistered

  // Reader side (PMD thread `id`).
  // Registers and puts the thread online. Errors: EINVAL (id out of range or in use).
  Status Register(uint32_t id);
  void Unregister(uint32_t id);  // goes offline first
  void Online(uint32_t id);
  void Offline(uint32_t id);
  void Quiescent(uint32_t id);

  // Writer side (control thread).
  void Retire(std::function<void()> deleter);
  size_t Reclaim();    // frees what every reader has moved past; never blocks
  void Synchronize();  // blocks until all retired objects can be freed, frees them
  size_t pending() const { return pending_.size(); }

 private:
  Rcu(rte_rcu_qsbr* v, uint32_t max) : v_(v), max_(max) {}
  struct Pending {
    uint64_t token;
    std::function<void()> deleter;
  };
  rte_rcu_qsbr* v_;
  uint32_t max_;
  std::deque<Pending> pending_;
};

}  // namespace vs::dp
