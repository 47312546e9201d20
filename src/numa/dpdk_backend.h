// DpdkBackend: packet-buffer pools from the real DPDK (rte_pktmbuf_pool_create on a socket).
//
// Every DPDK call is checked; a NULL pool becomes a Status carrying rte_errno and its
// rte_strerror text, read at once (STYLE M2). Heap statistics come from
// rte_malloc_get_socket_stats, memzones from rte_memzone_walk, free hugepages from sysfs
// (re-read when asked, since the EAL takes pages as its heaps grow).
//
// Needs Eal::Init() to have succeeded. Thread-safety: as Backend.
#pragma once

#include <memory>

#include "numa/backend.h"
#include "numa/topology.h"

struct rte_mempool;

namespace vs::numa {

class DpdkBackend final : public Backend {
 public:
  // Errors: ENODEV if the EAL is not running.
  static Result<std::unique_ptr<DpdkBackend>> Create(const Topology& topo);

  const char* name() const override { return "dpdk"; }
  Result<RawPool*> CreatePool(const PoolParams& p) override;
  void FreePool(RawPool* pool) override;
  PoolUsage Usage(const RawPool* pool) const override;
  std::vector<HeapStats> Heaps() const override;
  std::vector<MemzoneInfo> Memzones() const override;
  uint64_t HugepageFree(int node) const override;
  std::vector<HugepagePool> Hugepages(int node) const override;

  static rte_mempool* Mempool(RawPool* pool) { return reinterpret_cast<rte_mempool*>(pool); }

 private:
  explicit DpdkBackend(Topology topo) : topo_(std::move(topo)) {}
  Topology topo_;
};

}  // namespace vs::numa
