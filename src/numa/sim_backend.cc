#include "numa/sim_backend.h"

#include <algorithm>

namespace vs::numa {
namespace {
constexpr uint64_t kMb = 1ull << 20;
uint64_t RoundUp(uint64_t v, uint64_t to) { return (v + to - 1) / to * to; }
}  // namespace

Result<std::unique_ptr<SimBackend>> SimBackend::Create(const Topology& topo, const EalConfig& cfg) {
  VS_RETURN_IF_ERROR(ValidateAgainstTopology(cfg, topo));
  std::unique_ptr<SimBackend> b(new SimBackend(topo, cfg));
  b->page_bytes_ = topo.DefaultPageKb() * 1024;
  for (const Node& n : topo.nodes()) {
    Heap h;
    NodeCapacity c = CapacityOf(cfg, topo, n.id);
    h.start = h.held = c.start_bytes;
    h.grows = c.grows;
    h.max = c.max_bytes();
    // In no-huge mode the heap is ordinary memory; hugepages stay untouched.
    uint64_t from_hp = cfg.memory == MemoryMode::kNoHuge ? 0 : h.held;
    h.hp_free = n.HugepageFreeBytes() - std::min(n.HugepageFreeBytes(), from_hp);
    b->heaps_[n.id] = h;
  }
  return b;
}

Result<RawPool*> SimBackend::CreatePool(const PoolParams& p) {
  auto it = heaps_.find(p.node);
  if (it == heaps_.end()) {
    return Status(EINVAL,
                  fmt::format("simulated pool {}: NUMA node {} does not exist", p.name, p.node));
  }
  if (p.mbufs == 0 || p.data_room == 0 || p.name.empty() || p.name.size() > 25) {
    return Status(EINVAL, fmt::format("simulated pool \"{}\": bad parameters ({} buffers of {} "
                                      "bytes)",
                                      p.name, p.mbufs, p.data_room));
  }
  if (pools_.count(p.name)) {
    return Status(EEXIST, fmt::format("simulated pool {} already exists", p.name));
  }
  if (fail_next_ > 0) {
    fail_next_--;
    return Status(ENOMEM, fmt::format("simulated pool {}: injected allocation failure (Cannot "
                                      "allocate memory)",
                                      p.name));
  }
  Heap& h = it->second;
  uint64_t bytes = PoolBytes(p.mbufs, p.data_room, p.options);
  uint64_t free = h.held - h.used;
  if (bytes > free) {
    uint64_t grow = RoundUp(bytes - free, page_bytes_);
    bool can = h.grows && h.held + grow <= h.max && grow <= h.hp_free;
    if (!can) {
      return Status(ENOMEM, fmt::format("simulated heap on node {} cannot hold {} (Cannot "
                                        "allocate memory)",
                                        p.node, Mb(bytes)));
    }
    h.held += grow;
    h.hp_free -= grow;
  }
  h.used += bytes;
  h.allocs++;
  auto pool =
      std::make_unique<Pool>(Pool{p.name, p.node, p.mbufs, 0, bytes,
                                  static_cast<uint32_t>(ObjectBytes(p.data_room, p.options))});
  RawPool* raw = reinterpret_cast<RawPool*>(pool.get());
  pools_[p.name] = std::move(pool);
  return raw;
}

void SimBackend::FreePool(RawPool* raw) {
  if (!raw) return;
  Pool* pool = reinterpret_cast<Pool*>(raw);
  auto it = pools_.find(pool->name);
  if (it == pools_.end() || it->second.get() != pool) return;
  Heap& h = heaps_[pool->node];
  h.used -= pool->bytes;
  h.allocs--;
  if (h.grows) {
    // Give whole unused pages back, never below what was reserved at start.
    uint64_t keep = std::max(h.start, RoundUp(h.used, page_bytes_));
    if (h.held > keep) {
      h.hp_free += h.held - keep;
      h.held = keep;
    }
  }
  pools_.erase(it);
}

PoolUsage SimBackend::Usage(const RawPool* raw) const {
  const Pool* p = reinterpret_cast<const Pool*>(raw);
  return PoolUsage{p->size, p->in_use, p->size - p->in_use, p->bytes, p->element};
}

Status SimBackend::Take(RawPool* raw, uint32_t n) {
  Pool* p = reinterpret_cast<Pool*>(raw);
  if (p->size - p->in_use < n) {
    return Status(ENOBUFS, fmt::format("pool {}: {} buffers asked, {} left", p->name, n,
                                       p->size - p->in_use));
  }
  p->in_use += n;
  return Status::Ok();
}

void SimBackend::Give(RawPool* raw, uint32_t n) {
  Pool* p = reinterpret_cast<Pool*>(raw);
  p->in_use -= std::min(n, p->in_use);
}

std::vector<HeapStats> SimBackend::Heaps() const {
  std::vector<HeapStats> out;
  for (const auto& [node, h] : heaps_) {
    HeapStats s;
    s.node = node;
    s.heap_bytes = h.held;
    s.alloc_bytes = h.used;
    s.free_bytes = h.held - h.used;
    s.largest_free = s.free_bytes;
    s.alloc_count = h.allocs;
    s.free_count = s.free_bytes ? 1 : 0;
    out.push_back(s);
  }
  return out;
}

std::vector<MemzoneInfo> SimBackend::Memzones() const {
  std::vector<MemzoneInfo> out;
  for (const auto& [name, p] : pools_) {
    out.push_back(MemzoneInfo{"MP_" + name, p->node, p->bytes,
                              cfg_.memory == MemoryMode::kNoHuge ? 4 : page_bytes_ / 1024});
  }
  return out;
}

std::vector<HugepagePool> SimBackend::Hugepages(int node) const {
  const Node* n = topo_.FindNode(node);
  if (!n) return {};
  std::vector<HugepagePool> out = n->hugepages;
  // The pages the heap holds came out of the default size's free pages.
  auto it = heaps_.find(node);
  for (auto& hp : out) {
    if (it != heaps_.end() && hp.page_kb * 1024 == page_bytes_ &&
        cfg_.memory != MemoryMode::kNoHuge) {
      uint64_t held_pages = (n->HugepageFreeBytes() - it->second.hp_free) / page_bytes_;
      hp.free -= std::min(hp.free, held_pages);
    }
  }
  return out;
}

void SimBackend::AddHugepages(int node, uint64_t pages) {
  auto it = heaps_.find(node);
  if (it == heaps_.end()) return;
  Heap& h = it->second;
  h.hp_free += pages * page_bytes_;
  if (h.grows) {
    NodeCapacity c = CapacityOf(cfg_, topo_, node);
    uint64_t cap = h.held + h.hp_free;
    h.max = c.limit_bytes ? std::min(cap, c.limit_bytes) : cap;
  }
  topo_.AddHugepages(node, page_bytes_ / 1024, pages);
}

uint64_t SimBackend::HugepageFree(int node) const {
  auto it = heaps_.find(node);
  return it == heaps_.end() ? 0 : it->second.hp_free;
}

}  // namespace vs::numa
