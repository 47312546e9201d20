// The memory commands of the control socket (STYLE D6: the module registers its own commands).
//
//   memory/show [--format=json]              the per-node memory report (report.h)
//   memory/preflight NAME,DEVARGS[,OPT=N...] [--format=json]
//                                            what adding that port would need, per node
//   dpdk/get-malloc-stats                    heap statistics, in OVS's layout
//   netdev-dpdk/get-mempool-info [PORT]      the port's pool (or every pool)
//
// A separate library (numavs::numa_appctl) so that numavs::numa itself depends only on base and
// DPDK. The registry must outlive the server's use of these commands. Runs on the server's
// thread; each command reads the registry under its lock.
#pragma once

#include "ctl/unixctl.h"
#include "numa/pool.h"

namespace vs::numa {

void RegisterMemoryCommands(ctl::UnixctlServer& server, PoolRegistry& registry);

}  // namespace vs::numa
