// SimBackend: a memory backend with one heap per node of a (usually simulated) topology.
//
// Budgets follow the EAL's rules for the configured memory mode (eal_config.h):
//   dynamic  heap starts at dpdk-socket-mem (0 if unset), grows in page steps while the node
//            has free hugepages and stays within dpdk-socket-limit; pages are given back when
//            freed memory makes whole pages unused (DPDK's dynamic mode does the same).
//   legacy   heap is dpdk-socket-mem for its whole life.
//   no-huge  one heap of -m MB on node 0.
// Create() refuses what rte_eal_init would refuse (ValidateAgainstTopology).
//
// The heap model is exact accounting without fragmentation: largest_free == free. Each pool is
// one memzone "MP_<name>" of PoolBytes() bytes. Pools can hand out buffers (Take/Give) so the
// report shows in-use counts. FailNextCreates(n) injects ENOMEM (STYLE T7).
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "numa/backend.h"
#include "numa/eal_config.h"
#include "numa/topology.h"

namespace vs::numa {

class SimBackend final : public Backend {
 public:
  // Errors: those of ValidateAgainstTopology (ENOMEM, EINVAL).
  static Result<std::unique_ptr<SimBackend>> Create(const Topology& topo, const EalConfig& cfg);

  const char* name() const override { return "simulated"; }
  Result<RawPool*> CreatePool(const PoolParams& p) override;
  void FreePool(RawPool* pool) override;
  PoolUsage Usage(const RawPool* pool) const override;
  std::vector<HeapStats> Heaps() const override;
  std::vector<MemzoneInfo> Memzones() const override;
  uint64_t HugepageFree(int node) const override;
  std::vector<HugepagePool> Hugepages(int node) const override;

  // Takes `n` buffers out of a pool (as an Rx ring fill would). Errors: ENOBUFS.
  Status Take(RawPool* pool, uint32_t n);
  void Give(RawPool* pool, uint32_t n);
  void FailNextCreates(int n) { fail_next_ = n; }
  // The operator reserved `pages` more default-size hugepages on `node` (echo N > nr_hugepages):
  // a dynamic heap can grow into them at once; legacy heaps are fixed until a restart.
  void AddHugepages(int node, uint64_t pages);

 private:
  struct Heap {
    uint64_t start = 0, held = 0, used = 0, max = 0, hp_free = 0;
    bool grows = false;
    uint32_t allocs = 0;
  };
  struct Pool {
    std::string name;
    int node;
    uint32_t size, in_use;
    uint64_t bytes;
    uint32_t element;
  };
  SimBackend(Topology topo, EalConfig cfg) : topo_(std::move(topo)), cfg_(std::move(cfg)) {}

  Topology topo_;
  EalConfig cfg_;
  uint64_t page_bytes_ = 2ull << 20;
  std::map<int, Heap> heaps_;
  std::map<std::string, std::unique_ptr<Pool>> pools_;
  int fail_next_ = 0;
};

}  // namespace vs::numa
