// The EAL configuration, from the Open_vSwitch table's other_config keys.
//
// Keys (as OVS users write them; docs/memory.md has the table):
//   dpdk-init          "true" | "try" | "false" (default)         live false->true, else restart
//   dpdk-socket-mem    "1024,0": MB per node, index = node id      restart
//   dpdk-socket-limit  "2048,2048": MB cap per node, 0 = no cap    restart
//   dpdk-lcore-mask    hex CPU mask ("0x3" or "3")                 restart
//   dpdk-hugepage-dir  absolute path of a hugetlbfs mount          restart
//   dpdk-extra         more EAL arguments; "--legacy-mem" selects DPDK's legacy memory mode,
//                      "--no-huge -m 256" the no-hugepage test mode                restart
//   numa-fallback      "strict" (default) | "remote"               live
//
// Memory modes, mirroring the EAL (and the simulated backend, see backend.h):
//   dynamic (default)  each node's heap starts at its dpdk-socket-mem (0 if unset) and grows,
//                      page by page, on whichever node asks, up to the node's free hugepages
//                      and its dpdk-socket-limit.
//   legacy             each node gets exactly its dpdk-socket-mem at start (default 1024 MB per
//                      node, as OVS 3.1) and never grows: the mode of the seed's DPDK 16.11.
//   no-huge            one heap of `-m` MB (default 64) of ordinary memory, on node 0.
//
// ParseEalConfig rejects every malformed value with EINVAL and a sentence naming the key and
// the value, before anything reaches the EAL. ValidateAgainstTopology then checks what the
// EAL itself would refuse at start-up (more socket-mem on a node than it has free hugepages
// in legacy mode, a lcore that does not exist) and says how to fix it.
//
// Thread-safety: values; no shared state.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "numa/topology.h"

namespace vs::numa {

using OtherConfig = std::map<std::string, std::string>;

enum class InitMode { kFalse, kTrue, kTry };
enum class MemoryMode { kDynamic, kLegacy, kNoHuge };
enum class NumaFallback { kStrict, kRemote };

const char* MemoryModeName(MemoryMode m);  // "dynamic", "legacy", "no-huge"

struct EalConfig {
  InitMode init = InitMode::kFalse;
  MemoryMode memory = MemoryMode::kDynamic;
  std::vector<uint64_t> socket_mem_mb;    // empty = key not set
  std::vector<uint64_t> socket_limit_mb;  // empty = key not set; 0 entries = no cap
  std::optional<uint64_t> lcore_mask;     // unset = 0x1
  std::string hugepage_dir;               // "" = the EAL's default mount
  std::vector<std::string> extra;         // dpdk-extra, split on blanks
  bool extra_sets_lcores = false;         // dpdk-extra has -l/--lcores/-c: no default -c
  uint64_t no_huge_mb = 64;               // -m with --no-huge
  NumaFallback fallback = NumaFallback::kStrict;
  int node_count = 0;  // MaxNodeId()+1 of the topology it was parsed for

  // MB requested at start-up on `node`: socket-mem entry, or the legacy default of 1024,
  // or 0. In no-huge mode: no_huge_mb on node 0.
  uint64_t StartMb(int node) const;
  // MB cap on `node` (0 = none): dpdk-socket-limit entry.
  uint64_t LimitMb(int node) const;
  // "1024,0" as the EAL will receive it (after the legacy default), "" if none.
  std::string SocketMemArg() const;
  std::string SocketLimitArg() const;
  // The full argv for rte_eal_init, argv[0] first.
  std::vector<std::string> EalArgs(const std::string& argv0 = "numavs-switchd") const;
  Json ToJson() const;
};

// Parses and checks the keys above. Unknown keys are ignored (they belong to others).
// Errors: EINVAL "other_config:KEY="VALUE" is invalid: WHY".
Result<EalConfig> ParseEalConfig(const OtherConfig& other_config, const Topology& topo);

// What the EAL would refuse at start-up on this machine, with the fix.
// Errors: ENOMEM (legacy socket-mem above a node's free hugepages), EINVAL (lcore not present).
Status ValidateAgainstTopology(const EalConfig& cfg, const Topology& topo);

// Keys whose change between two configurations needs a restart of numavs-switchd to take
// effect, with a sentence each ("dpdk-socket-mem changed from "1024,0" to "1024,1024"; it
// takes effect when numavs-switchd restarts"). Live keys are not listed.
std::vector<std::string> ChangesNeedingRestart(const OtherConfig& before, const OtherConfig& after);

// True if `key` takes effect without a restart (numa-fallback; dpdk-init only from false to true).
bool KeyIsLive(const std::string& key);

// The ovs-vsctl command that sets `key` to `value` (value quoted).
std::string VsctlSetCommand(const std::string& key, const std::string& value);

}  // namespace vs::numa
