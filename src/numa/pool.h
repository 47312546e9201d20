// The packet-buffer pool registry: the role of OVS's dpdk_mp_get/dpdk_mp_put, without the
// seed's crash.
//
// Pools are keyed by (node, data_room) and shared by the ports that need the same key. A pool is
// made for the port that first needs it with margin + its ring_mbufs buffers (planner.h); another
// port joins it if the pool keeps min_margin spare buffers after the newcomer's rings are filled
// (PoolHasRoom), otherwise the newcomer gets a new pool. A pool is freed when its last port lets
// go.
//
// Attach() is also the reconfiguration call (MTU, queue counts, descriptors, node): it is
// make-before-break. The new pool is obtained first; only then is the old one released. If the
// new one cannot be had, the port keeps its old pool and the error says why, so a failed MTU
// change never leaves a port without buffers.
//
// Failure is a value (PoolError), never a null pointer: it names the port, the node asked, the
// bytes asked, what the node had, the command that fixes it and whether a restart is needed:
//   could not allocate 36 MB of packet buffers on NUMA node 1 for dpdk0: node 1 has 0 MB reserved
//   for DPDK (dpdk-socket-mem="1024,0", legacy memory); run: ovs-vsctl set Open_vSwitch .
//   other_config:dpdk-socket-mem="1024,1024" (then restart numavs-switchd)
//
// numa-fallback: strict (default) fails the port and leaves every other port as it was; remote
// tries the other nodes, nearest id first, logs a WARN about cross-NUMA cost and records it in
// the assignment's status (for Interface.status). The policy is live (SetFallback).
//
// Thread-safety: every public method takes the registry's mutex; control path only.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "base/json.h"
#include "numa/backend.h"
#include "numa/eal_config.h"
#include "numa/planner.h"
#include "numa/topology.h"

namespace vs::numa {

struct PoolError {
  std::string port;
  int node = 0;               // the node asked for
  uint64_t bytes = 0;         // the bytes asked for
  uint64_t node_had = 0;      // bytes the node's heap could still give (free + growable)
  int code = ENOMEM;          // errno class
  std::string backend_error;  // the backend's own text (rte_strerror)
  std::string had;            // "node 1 has 0 MB reserved for DPDK (...)"
  std::string fix;            // the command
  bool restart_needed = false;
  std::string message;  // the one line for the log, Interface.error and the CLI

  Status ToStatus() const { return Status(code, message); }
};

// Where a port's buffers come from.
struct Assignment {
  std::string port;
  std::string pool;     // pool name
  int node = 0;         // node of the pool
  int wanted_node = 0;  // node of the device
  bool remote = false;  // cross-NUMA fallback in use
  uint32_t data_room = 0;
  uint32_t ring_mbufs = 0;
  std::string status;      // "" or the cross-NUMA note for Interface.status
  RawPool* raw = nullptr;  // the backend's pool (rte_mempool* for DpdkBackend)
};

class AttachResult {
 public:
  AttachResult(Assignment a) : v_(std::move(a)) {}  // NOLINT
  AttachResult(PoolError e) : v_(std::move(e)) {}   // NOLINT
  bool ok() const { return v_.index() == 0; }
  const Assignment& value() const { return std::get<0>(v_); }
  const PoolError& error() const { return std::get<1>(v_); }
  Status status() const { return ok() ? Status::Ok() : error().ToStatus(); }

 private:
  std::variant<Assignment, PoolError> v_;
};

struct PoolInfo {
  std::string name;
  int node = 0;
  uint32_t data_room = 0;
  uint32_t capacity = 0;  // buffers
  uint32_t rings = 0;     // ring_mbufs of its users (the rest is the spare margin)
  PoolUsage usage;
  std::vector<std::string> users;  // port names
};

// Everything the report needs, read in one go under the registry's lock.
struct MemorySnapshot {
  std::vector<PoolInfo> pools;
  std::vector<HeapStats> heaps;
  std::vector<MemzoneInfo> memzones;
  std::map<int, std::vector<HugepagePool>> hugepages;  // by node
  std::map<int, uint64_t> hugepage_free;               // by node, not held by DPDK
};

class PoolRegistry {
 public:
  // `backend` must outlive the registry. o.page_bytes 0 = PageBytesFor(cfg, topo).
  PoolRegistry(Backend& backend, EalConfig cfg, Topology topo, PlannerOptions o = {});
  ~PoolRegistry();  // frees every pool
  PoolRegistry(const PoolRegistry&) = delete;
  PoolRegistry& operator=(const PoolRegistry&) = delete;

  // Gives `port` buffers on port.node (or, with numa-fallback=remote, another node), or moves it
  // to a pool matching its new spec. Errors (PoolError.code): ENOMEM (no node could hold the
  // pool), EINVAL (bad port spec), others from the backend.
  AttachResult Attach(const PortSpec& port);
  // Releases the port's pool share; frees the pool if it was the last user. No-op if unknown.
  void Detach(const std::string& port);

  // What Attach(port) would do now, without doing it: the pool it would join, or the bytes a
  // new pool on port.node would take (0 if it joins).
  struct Preview {
    std::string joins;
    uint64_t new_pool_bytes = 0;
  };
  Preview Peek(const PortSpec& port) const;

  void SetFallback(NumaFallback f);
  std::optional<Assignment> Find(const std::string& port) const;
  std::vector<PoolInfo> Pools() const;
  MemorySnapshot Snapshot() const;
  size_t pool_count() const;
  Backend& backend() { return backend_; }
  const Backend& backend() const { return backend_; }
  const PlannerOptions& options() const { return opts_; }
  const EalConfig& config() const { return cfg_; }
  const Topology& topology() const { return topo_; }

 private:
  struct Pool {
    std::string name;
    int node;
    uint32_t data_room;
    uint32_t capacity;
    uint32_t rings;
    RawPool* raw;
    std::set<std::string> users;
  };
  struct Tried {
    int node;
    uint64_t bytes;
    Status status;
  };
  // Finds or creates a pool for (node, data_room) with room for `ring`. nullptr + *err on failure.
  Pool* GetPool(int node, uint32_t data_room, uint32_t ring, const std::string& skip_user,
                Status* err, uint64_t* asked);
  void Release(Pool* p, const std::string& port, uint32_t ring);
  PoolError MakeError(const PortSpec& port, const Tried& first) const;
  std::vector<PoolInfo> PoolsLocked() const;

  mutable std::mutex mu_;
  Backend& backend_;
  EalConfig cfg_;
  Topology topo_;
  PlannerOptions opts_;
  uint64_t serial_ = 0;
  std::map<std::string, std::unique_ptr<Pool>> pools_;  // by name
  std::map<std::string, Assignment> ports_;
};

}  // namespace vs::numa
