// DPDK's own log in numavs's log (issue 13, defect 6): rte_log lines go to
// the vlog module "dpdk" at the matching level, so that the EAL's start-up
// messages reach the log file of a detached daemon, and the levels of DPDK's
// log types can be read and changed at run time (ovs-appctl dpdk/log-list,
// dpdk/log-set, as in OVS).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace vs::numa {

// Points DPDK's log stream into the vlog (idempotent). Call before
// rte_eal_init so that its messages are caught. Thread-safe: PMD threads may
// log through it (whole lines are emitted; a partial line waits for its end).
Status RouteDpdkLog();

// dpdk/log-list: DPDK's log types and their levels (rte_log_dump).
std::string DpdkLogList();
// dpdk/log-set [{level | pattern:level}]...: a bare level sets the global
// level, pattern:level the types matching the glob pattern ("lib.eal",
// "pmd.net.*"). Levels: emergency, alert, critical, error, warning, notice,
// info, debug. No argument: debug for everything, as OVS. Errors: EINVAL
// naming the bad argument; nothing is changed then.
Status DpdkLogSet(const std::vector<std::string>& args);

}  // namespace vs::numa
