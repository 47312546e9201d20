// Owning the DPDK EAL: start-up from an EalConfig, once per process.
//
// Init() validates the configuration against the topology first (nothing malformed or
// impossible reaches rte_eal_init), logs the final argument list, calls rte_eal_init, and then
// logs, per node, what the EAL reserved. rte_eal_init cannot be repeated in a process, not even
// after rte_eal_cleanup: a second Init() with the same arguments is OK (no-op), with different
// ones it is EALREADY. Tests that need another EAL configuration run in another process.
//
// Thread-safety: Init/Shutdown from the main thread before/after other threads use DPDK.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "numa/eal_config.h"
#include "numa/topology.h"

namespace vs::numa {

class Eal {
 public:
  // Starts the EAL. `argv0` names the program in the argument list.
  // Errors: EINVAL/ENOMEM from ValidateAgainstTopology, EALREADY (started with other
  // arguments), EPERM (dpdk-init is false), or the rte_errno of rte_eal_init with its text.
  static Status Init(const EalConfig& cfg, const Topology& topo,
                     const std::string& argv0 = "numavs-switchd");
  // Parses `other_config` (ParseEalConfig) and starts the EAL: a malformed value is EINVAL naming
  // the key and value, returned before anything reaches rte_eal_init. `cfg_out` gets the parsed
  // configuration when it parses. With dpdk-init=try the caller may carry on without DPDK.
  static Status InitFromOtherConfig(const OtherConfig& other_config, const Topology& topo,
                                    EalConfig* cfg_out = nullptr,
                                    const std::string& argv0 = "numavs-switchd");
  static bool initialized();
  static const std::vector<std::string>& args();
  // Per node, what the EAL holds now ("node 0: 128 MB held, 127 MB free, dynamic").
  static std::string DescribeReservation();
  // rte_eal_cleanup, then removes the EAL's runtime directory; the EAL cannot be started again
  // in this process.
  static void Shutdown();
};

}  // namespace vs::numa
