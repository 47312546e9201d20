// Memory introspection: the per-node memory report and the preflight for a port to be added.
//
// The report (memory/show in the switch daemon; numavs-mem standalone) shows, per NUMA node:
// CPUs; hugepages by page size (total/free, from sysfs); what DPDK holds there and how far it may
// grow under the configured memory mode; heap statistics (total, free, largest free block,
// allocations); memzones; and every pool (name, node, element size, buffers, in use, free,
// bytes, ports). JSON is the source; the text is rendered from it, so both always agree.
//
// The preflight answers "what happens if I add this port": per node, what is needed (pools that
// exist plus the new one) and what is there, whether the port would join an existing pool, and
// for a shortfall the exact command that fixes it (and whether a restart is needed).
//
// Thread-safety: reads one PoolRegistry::Snapshot (taken under the registry's lock), so it may
// run while another thread attaches and detaches ports.
#pragma once

#include <string>

#include "base/json.h"
#include "numa/pool.h"

namespace vs::numa {

Json MemoryReportJson(const PoolRegistry& reg);
std::string MemoryReportText(const Json& report);

// The text of ovs-appctl dpdk/get-malloc-stats (rte_malloc_dump_stats layout, one block per node).
std::string MallocStatsText(const PoolRegistry& reg);
// The text of ovs-appctl netdev-dpdk/get-mempool-info [PORT]: the port's pool, or every pool.
// Errors: ENOENT naming the port if it has no pool.
Result<std::string> MempoolInfoText(const PoolRegistry& reg, const std::string& port = "");

// `port.node` must be resolved (ResolveDeviceNode).
Json PreflightJson(const PoolRegistry& reg, const PortSpec& port);
std::string PreflightText(const Json& preflight);

}  // namespace vs::numa
