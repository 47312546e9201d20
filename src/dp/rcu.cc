// rte_rcu_qsbr wrapper.
#include "dp/rcu.h"

#include <rte_errno.h>
#include <rte_rcu_qsbr.h>

#include <cstdlib>

namespace vs::dp {

Result<std::unique_ptr<Rcu>> Rcu::Create(uint32_t max_readers) {
  if (max_readers == 0 || max_readers > RTE_MAX_LCORE) {
    return Status(EINVAL, fmt::format("RCU: {} reader threads requested; allowed 1-{}", max_readers,
                                      RTE_MAX_LCORE));
  }
  size_t sz = rte_rcu_qsbr_get_memsize(max_readers);
  size_t rounded = (sz + RTE_CACHE_LINE_SIZE - 1) / RTE_CACHE_LINE_SIZE * RTE_CACHE_LINE_SIZE;
  auto* v = static_cast<rte_rcu_qsbr*>(std::aligned_alloc(RTE_CACHE_LINE_SIZE, rounded));
  if (!v) return Status(ENOMEM, fmt::format("RCU: cannot allocate {} bytes", rounded));
  if (rte_rcu_qsbr_init(v, max_readers) != 0) {
    int err = rte_errno;
    std::free(v);
    return Status(err, fmt::format("RCU: rte_rcu_qsbr_init failed: {}", rte_strerror(err)));
  }
  return std::unique_ptr<Rcu>(new Rcu(v, max_readers));
}

Rcu::~Rcu() {
  for (auto& p : pending_) p.deleter();
  pending_.clear();
  std::free(v_);
}

Status Rcu::Register(uint32_t id) {
  if (id >= max_) {
    return Status(EINVAL, fmt::format("RCU: reader id {} out of range (max {})", id, max_ - 1));
  }
  if (rte_rcu_qsbr_thread_register(v_, id) != 0) {
    return Status(EINVAL, fmt::format("RCU: cannot register reader {}", id));
  }
  rte_rcu_qsbr_thread_online(v_, id);
  return Status::Ok();
}

void Rcu::Unregister(uint32_t id) {
  rte_rcu_qsbr_thread_offline(v_, id);
  rte_rcu_qsbr_thread_unregister(v_, id);
}

void Rcu::Online(uint32_t id) { rte_rcu_qsbr_thread_online(v_, id); }
void Rcu::Offline(uint32_t id) { rte_rcu_qsbr_thread_offline(v_, id); }
void Rcu::Quiescent(uint32_t id) { rte_rcu_qsbr_quiescent(v_, id); }

void Rcu::Retire(std::function<void()> deleter) {
  uint64_t token = rte_rcu_qsbr_start(v_);
  pending_.push_back(Pending{token, std::move(deleter)});
}

size_t Rcu::Reclaim() {
  size_t n = 0;
  while (!pending_.empty() && rte_rcu_qsbr_check(v_, pending_.front().token, false) == 1) {
    auto d = std::move(pending_.front().deleter);
    pending_.pop_front();
    d();
    n++;
  }
  return n;
}

void Rcu::Synchronize() {
  if (pending_.empty()) return;
  rte_rcu_qsbr_check(v_, pending_.back().token, true);
  while (!pending_.empty()) {
    auto d = std::move(pending_.front().deleter);
    pending_.pop_front();
    d();
  }
}

}  // namespace vs::dp
