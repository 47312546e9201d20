#include "numa/pool.h"

#include <algorithm>
#include <cstdlib>

#include "base/log.h"

namespace vs::numa {
namespace {
vs::log::Module& kLog = vs::log::GetModule("numa_pool");
}  // namespace

PoolRegistry::PoolRegistry(Backend& backend, EalConfig cfg, Topology topo, PlannerOptions o)
    : backend_(backend), cfg_(std::move(cfg)), topo_(std::move(topo)), opts_(o) {
  if (!opts_.page_bytes) opts_.page_bytes = PageBytesFor(cfg_, topo_);
}

PoolRegistry::~PoolRegistry() {
  for (auto& [name, p] : pools_) backend_.FreePool(p->raw);
}

void PoolRegistry::SetFallback(NumaFallback f) {
  std::lock_guard lock(mu_);
  cfg_.fallback = f;
}

PoolRegistry::Pool* PoolRegistry::GetPool(int node, uint32_t data_room, uint32_t ring,
                                          const std::string& skip_user, Status* err,
                                          uint64_t* asked) {
  for (auto& [name, p] : pools_) {
    if (p->node == node && p->data_room == data_room && !p->users.count(skip_user) &&
        PoolHasRoom(p->capacity, p->rings, ring, opts_)) {
      return p.get();
    }
  }
  PoolParams params;
  params.name = fmt::format("vsmp{}_n{}_{}", serial_++, node, data_room);
  params.node = node;
  params.mbufs = opts_.margin + ring;
  params.data_room = data_room;
  params.options = opts_;
  *asked = PoolBytes(params.mbufs, data_room, opts_);
  auto held = [&] {
    for (const auto& h : backend_.Heaps()) {
      if (h.node == node) return h.heap_bytes;
    }
    return uint64_t{0};
  };
  uint64_t held_before = held();
  auto raw = backend_.CreatePool(params);
  if (!raw.ok()) {
    *err = raw.status();
    return nullptr;
  }
  auto pool = std::make_unique<Pool>(Pool{params.name, node, data_room, params.mbufs, 0, *raw, {}});
  Pool* out = pool.get();
  pools_[params.name] = std::move(pool);
  VS_LOG_INFO(kLog, "created pool {} on NUMA node {}: {} buffers of {} bytes data room, {}",
              params.name, node, params.mbufs, data_room, Mb(*asked));
  if (uint64_t after = held(); after > held_before) {
    VS_LOG_INFO(kLog,
                "NUMA node {} heap grew from {} to {} for pool {} ({} memory: the node "
                "that asks grows)",
                node, Mb(held_before), Mb(after), params.name, MemoryModeName(cfg_.memory));
  }
  return out;
}

void PoolRegistry::Release(Pool* p, const std::string& port, uint32_t ring) {
  p->users.erase(port);
  p->rings -= std::min(ring, p->rings);
  if (p->users.empty()) {
    VS_LOG_INFO(kLog, "freeing pool {} on NUMA node {}: its last port {} let go", p->name, p->node,
                port);
    backend_.FreePool(p->raw);
    pools_.erase(p->name);
  }
}

PoolError PoolRegistry::MakeError(const PortSpec& port, const Tried& first) const {
  PoolError e;
  e.port = port.name;
  e.node = first.node;
  e.bytes = first.bytes;
  e.code = first.status.code();
  e.backend_error = first.status.message();
  NodeState st;
  for (const HeapStats& h : backend_.Heaps()) {
    if (h.node == first.node) {
      st.held_bytes = h.heap_bytes;
      st.used_bytes = h.alloc_bytes;
    }
  }
  st.hugepage_free = backend_.HugepageFree(first.node);
  NodeCapacity cap = CapacityOf(cfg_, topo_, first.node);
  uint64_t growable = 0;
  if (cap.grows) {
    growable = st.hugepage_free;
    if (cap.limit_bytes) {
      growable = std::min(growable, cap.limit_bytes - std::min(cap.limit_bytes, st.held_bytes));
    }
  }
  e.node_had = st.held_bytes - std::min(st.held_bytes, st.used_bytes) + growable;
  std::string head = fmt::format("could not allocate {} of packet buffers on NUMA node {} for {}",
                                 Mb(e.bytes), e.node, e.port);
  if (e.code != ENOMEM) {
    e.message = fmt::format("{}: {}", head, e.backend_error);
    return e;
  }
  Remedy r = RemedyFor(cfg_, topo_, first.node, st, e.bytes);
  e.had = r.had;
  e.fix = r.fix;
  e.restart_needed = r.restart_needed;
  e.message = fmt::format("{}: {}; run: {}{}", head, r.had, r.fix,
                          r.restart_needed ? " (then restart numavs-switchd)" : "");
  if (e.node_had >= e.bytes) {
    // By the numbers it should have fitted (fragmentation, an EAL limit): say what DPDK said.
    e.message +=
        fmt::format("; the node seemed to have room, and the allocator said: {}", e.backend_error);
  }
  return e;
}

AttachResult PoolRegistry::Attach(const PortSpec& port) {
  std::lock_guard lock(mu_);
  if (Status v = ValidatePort(port); !v.ok()) {
    PoolError e;
    e.port = port.name;
    e.node = port.node;
    e.code = v.code();
    e.message = v.message();
    return e;
  }
  PortBuffers b = BuffersForPort(port, opts_);
  auto old_it = ports_.find(port.name);
  Pool* old_pool = nullptr;
  if (old_it != ports_.end()) {
    old_pool = pools_.at(old_it->second.pool).get();
    const Assignment& a = old_it->second;
    // Same key, still fits: adjust the share in place.
    // (A port on remote memory always retries its own node first.)
    if (!a.remote && a.wanted_node == port.node && old_pool->data_room == b.data_room &&
        PoolHasRoom(old_pool->capacity, old_pool->rings - a.ring_mbufs, b.ring_mbufs, opts_)) {
      old_pool->rings = old_pool->rings - a.ring_mbufs + b.ring_mbufs;
      old_it->second.ring_mbufs = b.ring_mbufs;
      return old_it->second;
    }
  }
  std::vector<int> order{port.node};
  if (cfg_.fallback == NumaFallback::kRemote) {
    std::vector<int> others;
    for (const Node& n : topo_.nodes()) {
      if (n.id != port.node) others.push_back(n.id);
    }
    std::stable_sort(others.begin(), others.end(), [&](int a, int b) {
      return std::abs(a - port.node) < std::abs(b - port.node);
    });
    order.insert(order.end(), others.begin(), others.end());
  }
  Tried first{port.node, 0, Status::Ok()};
  // Marks an assignment as cross-NUMA and says so (log and Interface.status).
  auto mark_remote = [&](Assignment& a) {
    PoolError why = MakeError(port, first);
    a.status = fmt::format(
        "packet buffers on NUMA node {} for a device on node {} "
        "(numa-fallback=remote): every packet crosses the NUMA interconnect; "
        "to use local memory: {}",
        a.node, port.node, why.fix);
    VS_LOG_WARN(kLog, "{}: {}; {}", port.name, why.message, a.status);
  };
  for (int node : order) {
    // A port already on remote memory that still cannot go home keeps its remote pool if the
    // new spec fits there, rather than taking a second pool on the same node.
    if (node != port.node && old_pool && old_pool->node == node &&
        old_pool->data_room == b.data_room &&
        PoolHasRoom(old_pool->capacity, old_pool->rings - old_it->second.ring_mbufs, b.ring_mbufs,
                    opts_)) {
      old_pool->rings = old_pool->rings - old_it->second.ring_mbufs + b.ring_mbufs;
      Assignment& a = old_it->second;
      a.ring_mbufs = b.ring_mbufs;
      a.wanted_node = port.node;
      a.remote = true;
      mark_remote(a);
      return a;
    }
    Status err;
    uint64_t asked = 0;
    Pool* p = GetPool(node, b.data_room, b.ring_mbufs, port.name, &err, &asked);
    if (!p) {
      if (node == port.node) first = Tried{node, asked, err};
      if (err.code() != ENOMEM) break;
      continue;
    }
    if (old_pool) Release(old_pool, port.name, old_it->second.ring_mbufs);
    p->users.insert(port.name);
    p->rings += b.ring_mbufs;
    Assignment a;
    a.port = port.name;
    a.pool = p->name;
    a.node = node;
    a.wanted_node = port.node;
    a.remote = node != port.node;
    a.data_room = b.data_room;
    a.ring_mbufs = b.ring_mbufs;
    a.raw = p->raw;
    if (a.remote) mark_remote(a);
    ports_[port.name] = a;
    return a;
  }
  PoolError e = MakeError(port, first);
  if (old_pool) {
    e.message +=
        fmt::format("; {} keeps its previous buffers (pool {})", port.name, old_pool->name);
  }
  VS_LOG_ERR(kLog, "{}", e.message);
  if (!e.backend_error.empty())
    VS_LOG_DBG(kLog, "{}: backend said: {}", port.name, e.backend_error);
  return e;
}

PoolRegistry::Preview PoolRegistry::Peek(const PortSpec& port) const {
  std::lock_guard lock(mu_);
  PortBuffers b = BuffersForPort(port, opts_);
  Preview pv;
  for (const auto& [name, p] : pools_) {
    if (p->node == port.node && p->data_room == b.data_room && !p->users.count(port.name) &&
        PoolHasRoom(p->capacity, p->rings, b.ring_mbufs, opts_)) {
      pv.joins = name;
      return pv;
    }
  }
  pv.new_pool_bytes = PoolBytes(opts_.margin + b.ring_mbufs, b.data_room, opts_);
  return pv;
}

void PoolRegistry::Detach(const std::string& port) {
  std::lock_guard lock(mu_);
  auto it = ports_.find(port);
  if (it == ports_.end()) return;
  Pool* p = pools_.at(it->second.pool).get();
  uint32_t ring = it->second.ring_mbufs;
  ports_.erase(it);
  Release(p, port, ring);
}

std::optional<Assignment> PoolRegistry::Find(const std::string& port) const {
  std::lock_guard lock(mu_);
  auto it = ports_.find(port);
  if (it == ports_.end()) return std::nullopt;
  return it->second;
}

std::vector<PoolInfo> PoolRegistry::Pools() const {
  std::lock_guard lock(mu_);
  return PoolsLocked();
}

MemorySnapshot PoolRegistry::Snapshot() const {
  std::lock_guard lock(mu_);
  MemorySnapshot s;
  s.pools = PoolsLocked();
  s.heaps = backend_.Heaps();
  s.memzones = backend_.Memzones();
  std::vector<int> ids;
  for (const Node& n : topo_.nodes()) ids.push_back(n.id);
  for (const HeapStats& h : s.heaps) ids.push_back(h.node);
  for (int id : ids) {
    s.hugepages[id] = backend_.Hugepages(id);
    s.hugepage_free[id] = backend_.HugepageFree(id);
  }
  return s;
}

std::vector<PoolInfo> PoolRegistry::PoolsLocked() const {
  std::vector<PoolInfo> out;
  for (const auto& [name, p] : pools_) {
    PoolInfo i;
    i.name = name;
    i.node = p->node;
    i.data_room = p->data_room;
    i.capacity = p->capacity;
    i.rings = p->rings;
    i.usage = backend_.Usage(p->raw);
    i.users.assign(p->users.begin(), p->users.end());
    out.push_back(std::move(i));
  }
  return out;
}

size_t PoolRegistry::pool_count() const {
  std::lock_guard lock(mu_);
  return pools_.size();
}

}  // namespace vs::numa
