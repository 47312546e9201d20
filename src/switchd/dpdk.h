// DPDK in numavs-switchd: EAL start-up from Open_vSwitch other_config, the
// packet-buffer pool registry, and `dpdk` interfaces.
//
// Configure() is called on every reconciliation with the current
// other_config. The first time dpdk-init is true (or try) it parses the dpdk-*
// keys (a malformed value fails here, naming the key, before the EAL is
// touched), starts the EAL through numa::Eal (or, with --sysfs-root, the
// simulated memory backend over that topology: the same planner, pool
// registry and error values, with simulated devices) and creates the pool
// registry. Later changes of keys that need a restart are logged once with
// that sentence; live keys (numa-fallback) apply at once.
//
// OpenPort() resolves the device's NUMA node (PCI sysfs numa_node, devargs
// numa_node=N, else the node of the first PMD core), attaches the port to a
// pool of that node (numa::PoolRegistry: shared per node and buffer size,
// failure as a value with the fix), then opens the device: with real DPDK it
// probes devargs, configures n_rxq/n_txq queues with their descriptors on the
// pool and starts the port; simulated, it only records it. The returned
// Netdev releases device and pool share when destroyed.
//
// Not thread-safe: the daemon's control thread only.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "base/status.h"
#include "numa/backend.h"
#include "numa/eal_config.h"
#include "numa/pool.h"
#include "numa/topology.h"
#include "switchd/config.h"
#include "switchd/netdev.h"

namespace vs::ctl {
class UnixctlServer;
}

namespace vs::switchd {

class Dpdk {
 public:
  // sysfs_root "" = the real machine and the real EAL; otherwise the
  // simulated topology under that directory and simulated memory.
  explicit Dpdk(std::string sysfs_root);
  ~Dpdk();

  // Errors: EINVAL (a malformed key, named), ENOMEM/EINVAL from the EAL's own
  // checks, or the EAL's failure; the text is what ports report.
  Status Configure(const numa::OtherConfig& other_config);
  bool initialized() const { return registry_ != nullptr; }
  bool simulated() const { return !sysfs_root_.empty(); }
  // Why DPDK is not running ("" if it is or was never asked for).
  const std::string& init_error() const { return init_error_; }
  std::string version() const;
  // The topology DPDK was started over (null before).
  const numa::Topology* topology() const { return topo_loaded_ ? &topo_ : nullptr; }

  Result<std::unique_ptr<Netdev>> OpenPort(const InterfaceConfig& cfg);
  // The bridge's internal port as a DPDK net_tap device (kernel interface of
  // the same name), so PMD threads carry its traffic like any other port.
  // Needs real DPDK (not simulated).
  Result<std::unique_ptr<Netdev>> OpenTapPort(const InterfaceConfig& cfg);

  // Registers memory/show, dpdk/get-malloc-stats, dpdk/get-mempool-info once
  // DPDK runs (they say so before).
  // Also registers dpdk/log-list and dpdk/log-set (numa/eal_log.h).
  void SetControl(ctl::UnixctlServer* ctl);

 private:
  std::string sysfs_root_;
  numa::Topology topo_;
  bool topo_loaded_ = false;
  std::string init_error_;
  numa::OtherConfig started_with_;
  std::string restart_note_;
  std::unique_ptr<numa::Backend> backend_;
  std::unique_ptr<numa::PoolRegistry> registry_;
  ctl::UnixctlServer* ctl_ = nullptr;
};

}  // namespace vs::switchd
