#include "numa/dpdk_backend.h"

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_memzone.h>

#include "numa/eal.h"
#include "numa/sysfs.h"

namespace vs::numa {
namespace {

static_assert(sizeof(rte_mbuf) == 128, "planner.cc assumes a 128-byte struct rte_mbuf");
static_assert(RTE_MAX_LCORE == 128, "planner.cc assumes RTE_MAX_LCORE 128 for cache sizes");

bool SocketKnown(int node) {
  for (unsigned i = 0; i < rte_socket_count(); i++) {
    if (rte_socket_id_by_idx(i) == node) return true;
  }
  return false;
}

}  // namespace

Result<std::unique_ptr<DpdkBackend>> DpdkBackend::Create(const Topology& topo) {
  if (!Eal::initialized()) {
    return Status(ENODEV,
                  "the DPDK EAL is not running (other_config:dpdk-init is not true, or "
                  "its start-up failed; see the log)");
  }
  return std::unique_ptr<DpdkBackend>(new DpdkBackend(topo));
}

Result<RawPool*> DpdkBackend::CreatePool(const PoolParams& p) {
  if (p.node < 0 || !SocketKnown(p.node)) {
    return Status(EINVAL, fmt::format("rte_pktmbuf_pool_create({}): NUMA node {} is not one the "
                                      "EAL knows",
                                      p.name, p.node));
  }
  if (p.data_room > UINT16_MAX) {
    return Status(EINVAL, fmt::format("rte_pktmbuf_pool_create({}): data room {} is above 65535",
                                      p.name, p.data_room));
  }
  rte_mempool* mp = rte_pktmbuf_pool_create(p.name.c_str(), p.mbufs, p.options.cache_size,
                                            static_cast<uint16_t>(p.options.priv_size),
                                            static_cast<uint16_t>(p.data_room), p.node);
  if (!mp) {
    int err = rte_errno;  // read at once
    return Status(err ? err : ENOMEM,
                  fmt::format("rte_pktmbuf_pool_create({}, {} buffers of {} bytes, socket {}): {}",
                              p.name, p.mbufs, p.data_room, p.node, rte_strerror(err)));
  }
  return reinterpret_cast<RawPool*>(mp);
}

void DpdkBackend::FreePool(RawPool* pool) {
  if (pool) rte_mempool_free(Mempool(pool));
}

PoolUsage DpdkBackend::Usage(const RawPool* pool) const {
  auto* mp = reinterpret_cast<rte_mempool*>(const_cast<RawPool*>(pool));
  PoolUsage u;
  u.size = mp->size;
  u.avail = rte_mempool_avail_count(mp);
  u.in_use = rte_mempool_in_use_count(mp);
  u.element_size = mp->header_size + mp->elt_size + mp->trailer_size;
  uint64_t chunks = 0;
  rte_mempool_mem_iter(
      mp,
      [](rte_mempool*, void* arg, rte_mempool_memhdr* hdr, unsigned) {
        *static_cast<uint64_t*>(arg) += hdr->len;
      },
      &chunks);
  u.bytes = chunks + (mp->mz ? mp->mz->len : 0);
  // The ring the default mempool driver keeps the free buffers in is a memzone of its own
  // ("RG_" + the ring's name "MP_<pool>"); the planner counts it, so count it here too.
  char ring[RTE_MEMZONE_NAMESIZE];
  if (snprintf(ring, sizeof(ring), "RG_MP_%s", mp->name) < static_cast<int>(sizeof(ring))) {
    if (const rte_memzone* rz = rte_memzone_lookup(ring)) u.bytes += rz->len;
  }
  return u;
}

std::vector<HeapStats> DpdkBackend::Heaps() const {
  std::vector<HeapStats> out;
  for (unsigned i = 0; i < rte_socket_count(); i++) {
    int sid = rte_socket_id_by_idx(i);
    rte_malloc_socket_stats st{};
    if (rte_malloc_get_socket_stats(sid, &st) != 0) continue;
    HeapStats h;
    h.node = sid;
    h.heap_bytes = st.heap_totalsz_bytes;
    h.free_bytes = st.heap_freesz_bytes;
    h.alloc_bytes = st.heap_allocsz_bytes;
    h.largest_free = st.greatest_free_size;
    h.alloc_count = st.alloc_count;
    h.free_count = st.free_count;
    out.push_back(h);
  }
  return out;
}

std::vector<MemzoneInfo> DpdkBackend::Memzones() const {
  std::vector<MemzoneInfo> out;
  rte_memzone_walk(
      [](const rte_memzone* mz, void* arg) {
        static_cast<std::vector<MemzoneInfo>*>(arg)->push_back(
            MemzoneInfo{mz->name, mz->socket_id, mz->len, mz->hugepage_sz / 1024});
      },
      &out);
  return out;
}

std::vector<HugepagePool> DpdkBackend::Hugepages(int node) const {
  auto t = ReadTopology(topo_.sysfs_root().empty() ? "/" : topo_.sysfs_root());
  if (!t.ok()) return {};
  const Node* n = t->FindNode(node);
  return n ? n->hugepages : std::vector<HugepagePool>{};
}

uint64_t DpdkBackend::HugepageFree(int node) const {
  auto t = ReadTopology(topo_.sysfs_root().empty() ? "/" : topo_.sysfs_root());
  if (!t.ok()) return 0;
  const Node* n = t->FindNode(node);
  return n ? n->HugepageFreeBytes() : 0;
}

}  // namespace vs::numa
