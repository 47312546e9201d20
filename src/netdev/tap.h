// Type "internal": the bridge's own kernel interface, of the interface's name
// (needs CAP_NET_ADMIN; the name must fit IFNAMSIZ).
//
// Once DPDK runs (not simulated) it is a DPDK net_tap device (dpdk.h), so PMD
// threads carry its traffic like any other port's. Before that it is a plain
// TAP file descriptor without queues, which asks to be reopened
// (reopen_wanted()) as soon as DPDK is up.
#pragma once

#include <memory>

#include "base/status.h"
#include "netdev/context.h"
#include "netdev/netdev.h"

namespace vs::netdev {

Result<std::unique_ptr<Netdev>> OpenInternal(Context& ctx, const Config& cfg);

}  // namespace vs::netdev
