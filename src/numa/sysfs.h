// Reading NUMA topology from sysfs, or from a directory laid out like it.
//
// Layout read (paths relative to the root, which is "/" on a real machine and a
// fixture directory with --sysfs-root=DIR):
//   sys/devices/system/node/nodeN/cpulist
//   sys/devices/system/node/nodeN/hugepages/hugepages-<size>kB/{nr,free}_hugepages
//   sys/bus/pci/devices/<addr>/numa_node
// A fixture may omit the leading "sys/" (its root is then the sysfs mount itself);
// both shapes are accepted, the real one is tried first.
//
// A machine without devices/system/node (a kernel built without NUMA) is one
// node 0 holding every CPU and the global hugepages under kernel/mm/hugepages.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "numa/topology.h"

namespace vs::numa {

// Reads the topology under `root` ("/" or "" for the real machine).
// Errors: ENOENT (root missing or holds no node directories), EINVAL (a malformed file,
// named with its path and contents).
Result<Topology> ReadTopology(const std::string& root = "/");

// Reads bus/pci/devices/<addr>/numa_node under `root`: the node, or kUnknownNode (-1).
// Errors: ENODEV (no such device), EINVAL (the file does not hold a number).
Result<int> ReadPciNumaNode(const std::string& root, std::string_view pci_addr);

// Maps a path below sysfs ("devices/system/node") to the file system path under `root`.
std::string SysfsPath(const std::string& root, std::string_view rel);

}  // namespace vs::numa
