// What port types share: DPDK (the EAL started from Open_vSwitch
// other_config), the NUMA topology and the packet-buffer pool registry, and
// the notifier through which a device asks the switch daemon to reconfigure
// it (netdev.h). The daemon owns one Context and passes it to every factory
// (registry.h); src/numa below does the work.
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
// Not thread-safe: the daemon's control thread only (but notifier() may be
// called from any thread).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "numa/backend.h"
#include "numa/eal_config.h"
#include "numa/pool.h"
#include "numa/topology.h"

namespace vs::netdev {

// vhost-user driver features, decided once when DPDK starts from
// other_config:vhost-iommu-support and vhost-postcopy-support (both "true" or
// "false", default false; as OVS reads them in dpdk_init) and fixed until the
// daemon restarts. Post-copy is refused while the daemon's memory is locked
// (--mlockall), as in OVS, and is unavailable without userfaultfd(2).
struct VhostSettings {
  bool iommu = false;     // RTE_VHOST_USER_IOMMU_SUPPORT at driver registration
  bool postcopy = false;  // RTE_VHOST_USER_POSTCOPY_SUPPORT
  // What users read (Interface.status, vhost/show): "true", "false", or
  // "false (why, and the fix)" when asked for and not given.
  std::string iommu_text = "false";
  std::string postcopy_text = "false";
};

class Context {
 public:
  // sysfs_root "" = the real machine and the real EAL; otherwise the
  // simulated topology under that directory and simulated memory.
  explicit Context(std::string sysfs_root);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Errors: EINVAL (a malformed key, named), ENOMEM/EINVAL from the EAL's own
  // checks, or the EAL's failure; the text is what ports report.
  Status Configure(const numa::OtherConfig& other_config);
  bool dpdk_ready() const { return registry_ != nullptr; }
  bool simulated() const { return !sysfs_root_.empty(); }
  // Why DPDK is not running ("" if it is or was never asked for).
  const std::string& init_error() const { return init_error_; }
  std::string version() const;
  // The topology DPDK was started over (null before).
  const numa::Topology* topology() const { return topo_loaded_ ? &topo_ : nullptr; }
  // The pool registry (null until DPDK runs).
  numa::PoolRegistry* registry() { return registry_.get(); }
  // The vhost-user features DPDK was started with (defaults before).
  const VhostSettings& vhost() const { return vhost_; }
  // Open_vSwitch other_config as last given to Configure().
  const numa::OtherConfig& other_config() const { return other_config_; }
  // "" or the keys changed since start-up that need a restart.
  const std::string& restart_note() const { return restart_note_; }
  // The error a DPDK-backed port gets while DPDK is not running, naming the
  // cause and the fix.
  Status NotReadyError(const std::string& port) const;

  // Called (from any thread) by a device that requests a reconfiguration.
  // Set by the daemon before it opens ports.
  void set_notifier(std::function<void()> f) { notify_ = std::move(f); }
  std::function<void()> notifier() const { return notify_; }

 private:
  std::string sysfs_root_;
  numa::Topology topo_;
  bool topo_loaded_ = false;
  std::string init_error_;
  numa::OtherConfig started_with_;
  numa::OtherConfig other_config_;
  std::string restart_note_;
  std::unique_ptr<numa::Backend> backend_;
  std::unique_ptr<numa::PoolRegistry> registry_;
  std::function<void()> notify_;
  VhostSettings vhost_;
};

}  // namespace vs::netdev
