// Packet-buffer sizing: how many buffers a port needs, how big they are, what a pool of them
// costs in hugepage memory, and the per-node total against what each node can give.
//
// The formula (docs/memory.md explains each term; it follows OVS netdev-dpdk's per-port
// estimate, netdev_dpdk_mempool_calculate_mbufs_per_port, with two changes marked *):
//
//   data_room  = ROUND_UP(mtu + 26, 1024) + 128
//                 26 = Ethernet header 14 + CRC 4 + two VLAN tags 8; 1024 = the Rx buffer
//                 granularity of NIC drivers; 128 = RTE_PKTMBUF_HEADROOM.
//   ring_mbufs = n_rxq * rxq_size                 buffers posted to the device's Rx rings
//              + n_txq * txq_size                 buffers waiting in its Tx rings
//              + min(n_rxq, n_pmds) * 32          one burst in flight per polling PMD
//              + n_pmds * cache_size * 3 / 2    * what the per-PMD mempool caches can hold
//              + driver_mbufs                   * what the driver holds on its own (net_pcap
//                                                 infinite_rx: every packet of its file)
//   margin     = 16384                            corner cases (OVS MIN_NB_MBUF), counted
//                                               * once per pool, not once per port
//   pool mbufs = ring_mbufs of the port that creates it + margin
//   sharing    * a port joins an existing pool of its (node, data_room) if, after its rings are
//                filled, the pool still keeps min_margin (8192) spare buffers:
//                  capacity - sum(ring_mbufs of users) - ring_mbufs >= min_margin
//                otherwise it gets a new pool. A pool cannot grow (rte_mempool has a fixed size),
//                so sharing spends part of the margin, down to a floor, the way OVS retries a
//                failed pool with half the buffers down to MIN_NB_MBUF.
//   object     = 64 (mempool object header) + ROUND_UP(128 (struct rte_mbuf) + priv + data_room,
//   64) objects    = objects never straddle a page: with per_page = page / object,
//                (mbufs / per_page) * page + (mbufs % per_page) * object
//                (2 MB hugepages: ~0.1% lost; no-huge 4 kB pages: one 2368-byte buffer per page)
//   pool bytes = objects + ring (8 * next_pow2(mbufs + 1) + 128)
//              + header (256 + 128 lcores * 8256 bytes of per-lcore cache, when cache_size > 0)
//
// Pools are shared per (node, data_room): two ports with default queues and MTU 1500 on node 1
// use one pool of 20,896 buffers (49 MB), where OVS's per-port model would reserve two
// and its default shared model reserves 262,144 buffers (about 600 MB at MTU 1500) whatever the
// ports need.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/json.h"
#include "numa/eal_config.h"
#include "numa/topology.h"

namespace vs::numa {

struct PlannerOptions {
  uint32_t burst = 32;         // NETDEV_MAX_BURST
  uint32_t margin = 16384;     // MIN_NB_MBUF in OVS
  uint32_t min_margin = 8192;  // spare buffers a shared pool keeps beyond its users' rings
  uint32_t cache_size = 256;   // per-lcore mempool cache (objects)
  uint32_t priv_size = 0;      // mbuf private area (bytes)
  // Page size the pool's memory comes in; objects never straddle a page (DPDK keeps each
  // buffer IOVA-contiguous). 0 = 2 MB. PageBytesFor() gives the EAL's value.
  uint64_t page_bytes = 0;
};

// The page size DPDK lays out pool objects in: 4 kB in no-huge mode, else the hugepage size.
uint64_t PageBytesFor(const EalConfig& cfg, const Topology& topo);

// A port as the memory planner sees it.
struct PortSpec {
  std::string name;  // "dpdk0"
  int node = 0;      // the node its device is on (ResolveDeviceNode)
  int mtu = 1500;
  uint32_t n_rxq = 1;
  uint32_t n_txq = 1;
  uint32_t rxq_size = 2048;  // descriptors per Rx queue
  uint32_t txq_size = 2048;  // descriptors per Tx queue
  uint32_t n_pmds = 1;       // PMD threads that poll its Rx queues
  // Buffers the driver keeps for itself beyond its rings (net_pcap with infinite_rx=1
  // loads every packet of its rx_pcap file into buffers of the pool when it starts).
  uint32_t driver_mbufs = 0;
  // The smallest buffer data room (headroom included) the driver's rx queues accept
  // (dev_info.min_rx_bufsize, net_af_packet's frame size): raised to it for small MTUs.
  uint32_t min_data_room = 0;
};

// Checks a PortSpec's numbers. Errors: EINVAL naming the field and value.
Status ValidatePort(const PortSpec& p);

// Parses "NAME,DEVARGS[,OPT=N...]" (OPT: mtu, n_rxq, n_txq, n_rxq_desc, n_txq_desc, pmds, cpu =
// the polling CPU; any other OPT=V is a devargs option such as numa_node=1) and resolves the
// device's node. Used by numavs-mem and memory/preflight.
// Errors: EINVAL (malformed, naming the part), ENODEV (PCI device absent).
Result<PortSpec> ParsePortArgs(std::string_view text, const Topology& topo);

uint32_t DataRoomForMtu(int mtu);
// Bytes one buffer occupies in a pool, header included.
uint64_t ObjectBytes(uint32_t data_room, const PlannerOptions& o = {});
// Bytes a whole pool of `mbufs` buffers occupies (objects, ring, header with caches).
uint64_t PoolBytes(uint32_t mbufs, uint32_t data_room, const PlannerOptions& o = {});

struct PortBuffers {
  uint32_t data_room = 0;
  uint32_t ring_mbufs = 0;  // this port's share of a pool
  uint32_t margin = 0;      // the pool's corner-case margin (once per pool)
  uint32_t mbufs() const { return ring_mbufs + margin; }  // a pool for this port alone
};
PortBuffers BuffersForPort(const PortSpec& p, const PlannerOptions& o = {});
// The sharing rule: may a port with `ring` buffers join a pool of `capacity` whose users hold
// `rings` buffers in their rings?
bool PoolHasRoom(uint32_t capacity, uint32_t rings, uint32_t ring, const PlannerOptions& o = {});

// What a node can give to DPDK, following the EAL's rules for the configured memory mode.
struct NodeCapacity {
  int node = 0;
  uint64_t hugepage_free_bytes = 0;  // free hugepages of every size, from sysfs
  uint64_t start_bytes = 0;          // reserved at EAL start (dpdk-socket-mem, or -m)
  uint64_t limit_bytes = 0;          // dpdk-socket-limit, 0 = none
  bool grows = false;                // dynamic memory: the heap may map more pages
  // The most the node's heap can ever reach.
  uint64_t max_bytes() const;
};
NodeCapacity CapacityOf(const EalConfig& cfg, const Topology& topo, int node);

struct PlannedPool {
  int node = 0;
  uint32_t data_room = 0;
  uint32_t mbufs = 0;
  uint64_t bytes = 0;
  std::vector<std::string> ports;
};

struct NodePlan {
  int node = 0;
  uint64_t needed_bytes = 0;
  NodeCapacity capacity;
  bool fits = true;
  std::string shortfall;  // "" when it fits; otherwise what is there and the command to fix it
  bool restart_needed = false;
};

struct Plan {
  std::vector<PlannedPool> pools;
  std::vector<NodePlan> nodes;  // every node of the topology
  bool fits() const;
  Json ToJson() const;
  std::string ToText() const;
};

// Plans pools for `ports` (grouped per (node, data_room)) and checks each node.
Plan MakePlan(const std::vector<PortSpec>& ports, const EalConfig& cfg, const Topology& topo,
              const PlannerOptions& o = {});

// What a node has and how to give it `more_bytes` more, as one clause each:
//   had: "node 1 has 0 MB reserved for DPDK (dpdk-socket-mem="1024,0", legacy memory)"
//   fix: "ovs-vsctl set Open_vSwitch . other_config:dpdk-socket-mem="1024,1024""
struct Remedy {
  std::string had;
  std::string fix;
  bool restart_needed = false;
};
// The state of a node's memory at the moment of the question.
struct NodeState {
  uint64_t held_bytes = 0;     // what DPDK's heap on the node holds
  uint64_t used_bytes = 0;     // how much of that is allocated
  uint64_t hugepage_free = 0;  // free hugepages not yet held by DPDK (bytes)
};
Remedy RemedyFor(const EalConfig& cfg, const Topology& topo, int node, const NodeState& st,
                 uint64_t more_bytes);

// "36 MB" style rounding up, for messages.
std::string Mb(uint64_t bytes);

}  // namespace vs::numa
