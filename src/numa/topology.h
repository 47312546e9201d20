// NUMA topology: nodes, their CPUs, their hugepages, and the node of a device.
//
// A Topology is a plain snapshot read once (from /sys, or from a directory laid
// out like /sys given with --sysfs-root, see sysfs.h) or built by hand for
// tests. Nothing here talks to DPDK. Node ids are the kernel's ids and need not
// be dense ("node0", "node2" is a valid machine); any number of nodes works.
//
// Device nodes (DeviceNode): a PCI device's node comes from
// bus/pci/devices/ADDR/numa_node, where -1 means the firmware did not say. A
// virtual device (net_ring0, net_null0, ...) has no node of its own: it lives
// where the thread that polls it lives, unless its devargs carry
// numa_node=N (or socket_id=N). An unknown node resolves to the node of the
// polling CPU, else the first node, and the answer says it guessed.
//
// Thread-safety: a Topology is an immutable value once built.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace vs::numa {

constexpr int kUnknownNode = -1;

struct HugepagePool {
  uint64_t page_kb = 0;  // 2048 for 2 MB pages, 1048576 for 1 GB pages
  uint64_t total = 0;    // nr_hugepages
  uint64_t free = 0;     // free_hugepages
  uint64_t total_bytes() const { return total * page_kb * 1024; }
  uint64_t free_bytes() const { return free * page_kb * 1024; }
};

struct Node {
  int id = 0;
  std::vector<int> cpus;
  std::vector<HugepagePool> hugepages;  // sorted by page size, smallest first

  uint64_t HugepageFreeBytes() const;
  uint64_t HugepageTotalBytes() const;
  const HugepagePool* Pages(uint64_t page_kb) const;  // nullptr if that size is absent
};

class Topology {
 public:
  Topology() = default;
  explicit Topology(std::vector<Node> nodes, std::string sysfs_root = "");

  // Builds a topology from a CPU-to-node map, "0,0,1,1" = CPUs 0,1 on node 0 and
  // CPUs 2,3 on node 1, each node with `pages_2m` free 2 MB hugepages.
  // Errors: EINVAL naming the bad element.
  static Result<Topology> FromCpuMap(std::string_view cpu_nodes, uint64_t pages_2m = 0);

  const std::vector<Node>& nodes() const { return nodes_; }
  // "" for a hand-built topology; otherwise the root that was read ("/" for the real one).
  const std::string& sysfs_root() const { return sysfs_root_; }
  const Node* FindNode(int id) const;
  bool HasNode(int id) const { return FindNode(id) != nullptr; }
  int MaxNodeId() const;  // -1 if there are no nodes
  // The node of a CPU, or kUnknownNode.
  int NodeOfCpu(int cpu) const;
  // The path whose nr_hugepages reserves pages on `node` ("/sys/devices/system/node/node1/
  // hugepages/hugepages-2048kB/nr_hugepages"; the real path even for a fixture root).
  std::string NrHugepagesPath(int node, uint64_t page_kb = 2048) const;
  // The page size (kB) the EAL would use: 2048 if any node has 2 MB pages, else the
  // smallest size present, else 2048.
  uint64_t DefaultPageKb() const;

  Json ToJson() const;
  // Adds `pages` free pages of `page_kb` to `node` (simulating echo N > nr_hugepages).
  void AddHugepages(int node, uint64_t page_kb, uint64_t pages);

 private:
  std::vector<Node> nodes_;
  std::string sysfs_root_;
};

// Parses a kernel cpulist ("0-3,8,10-11"; "" or "\n" is empty).
// Errors: EINVAL naming the text.
Result<std::vector<int>> ParseCpuList(std::string_view text);

struct DeviceLocation {
  int node = kUnknownNode;  // the node to allocate on (never kUnknownNode after ResolveDeviceNode)
  bool guessed = false;     // true if the node was not known and a default was taken
  std::string how;          // "pci numa_node", "devargs numa_node", "polling cpu 3", ...
};

// Where a device's memory should live. `devargs` is an OVS options:dpdk-devargs value:
// a PCI address ("0000:81:00.1", optionally followed by ",opts") or a vdev spec
// ("net_ring0", "net_null0,numa_node=1"). `polling_cpu` is the CPU of the PMD thread that
// will poll it, or -1 if not known yet.
// Errors: EINVAL (malformed devargs or numa_node option naming a node that does not exist),
// ENODEV (PCI device not present under the sysfs root).
Result<DeviceLocation> ResolveDeviceNode(const Topology& topo, std::string_view devargs,
                                         int polling_cpu = -1);

// True if `devargs` starts with a PCI address (DDDD:BB:DD.F or BB:DD.F).
bool IsPciAddress(std::string_view devargs);

}  // namespace vs::numa
