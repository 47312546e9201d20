// The memory backend: where packet-buffer pools really come from (STYLE M4).
//
//   DpdkBackend (dpdk_backend.h)  rte_pktmbuf_pool_create on a socket, heap statistics from
//                                 rte_malloc_get_socket_stats, memzones from rte_memzone_walk.
//                                 Needs the EAL started (eal.h).
//   SimBackend  (sim_backend.h)   per-node heaps whose budgets are a fixture's free hugepages,
//                                 limited by dpdk-socket-mem/socket-limit the way the EAL limits
//                                 them, for multi-node tests and --sysfs-root demos.
//
// Everything above this interface (pool registry, report, preflight) is the same code for both.
// A backend never falls back to another node by itself: a pool is created on exactly the node
// asked, or the call fails (the registry decides about fallback, see pool.h).
//
// Thread-safety: callers serialise calls (the registry holds its mutex around them).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "numa/planner.h"

namespace vs::numa {

struct PoolParams {
  std::string name;  // unique, at most 25 characters (RTE_MEMPOOL_NAMESIZE less "MP_")
  int node = 0;
  uint32_t mbufs = 0;
  uint32_t data_room = 0;
  PlannerOptions options;  // cache_size, priv_size
};

// Opaque pool handle; a backend casts it to its own type.
struct RawPool;

struct PoolUsage {
  uint32_t size = 0;          // buffers in the pool
  uint32_t in_use = 0;        // taken by ports/PMDs
  uint32_t avail = 0;         // in the pool (ring + caches)
  uint64_t bytes = 0;         // memory the pool occupies
  uint32_t element_size = 0;  // bytes per buffer, header included
};

struct HeapStats {
  int node = 0;
  uint64_t heap_bytes = 0;  // what the heap holds (hugepage memory mapped by the EAL)
  uint64_t free_bytes = 0;
  uint64_t alloc_bytes = 0;
  uint64_t largest_free = 0;
  uint32_t alloc_count = 0;
  uint32_t free_count = 0;
};

struct MemzoneInfo {
  std::string name;
  int node = 0;
  uint64_t len = 0;
  uint64_t page_kb = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;  // "dpdk", "simulated"

  // Creates a pool on exactly `p.node`.
  // Errors: ENOMEM (the node's heap cannot hold it), EINVAL (no such node, bad sizes),
  // EEXIST (name in use); messages carry the backend's own text (rte_strerror).
  virtual Result<RawPool*> CreatePool(const PoolParams& p) = 0;
  virtual void FreePool(RawPool* pool) = 0;
  virtual PoolUsage Usage(const RawPool* pool) const = 0;

  // One entry per node known to the backend.
  virtual std::vector<HeapStats> Heaps() const = 0;
  virtual std::vector<MemzoneInfo> Memzones() const = 0;
  // Free hugepages on `node` not yet held by DPDK (bytes), as of now.
  virtual uint64_t HugepageFree(int node) const = 0;
  // Hugepages of `node` by page size as of now (sysfs, or the simulation's view of it).
  virtual std::vector<HugepagePool> Hugepages(int node) const = 0;
};

}  // namespace vs::numa
