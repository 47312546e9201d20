// Type "dpdk": a DPDK ethdev (a PCI address or a vdev string in
// options:dpdk-devargs), opened once DPDK runs (context.h).
//
// OpenDpdk() resolves the device's NUMA node (PCI sysfs numa_node, devargs
// numa_node=N, else the node of the first PMD core), attaches the port to a
// pool of that node (numa::PoolRegistry: shared per node and buffer size,
// failure as a value with the fix), then opens the device: with real DPDK it
// probes devargs, configures n_rxq/n_txq queues with their descriptors on the
// pool and starts the port; simulated (--sysfs-root), it only records it and
// has no queues. The returned Netdev releases device and pool share when
// destroyed. Its queues are the ethdev's (ethdev_port()), so PMDs call
// rte_eth_rx_burst/rte_eth_tx_burst on them directly.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "netdev/context.h"
#include "netdev/netdev.h"

namespace vs::netdev {

Result<std::unique_ptr<Netdev>> OpenDpdk(Context& ctx, const Config& cfg);

// The same for a device of another Interface.type (the internal port's
// net_tap, tap.h): `type` is what the Netdev reports.
Result<std::unique_ptr<Netdev>> OpenEthdev(Context& ctx, const Config& cfg, std::string type);

}  // namespace vs::netdev
