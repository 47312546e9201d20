// Type "dummy": a port that exists only in numavs (tests, as OVS's dummy
// netdev). It has no queues: packets sent to it are dropped and counted.
#pragma once

#include <memory>

#include "base/status.h"
#include "netdev/context.h"
#include "netdev/netdev.h"

namespace vs::netdev {

Result<std::unique_ptr<Netdev>> OpenDummy(Context& ctx, const Config& cfg);

}  // namespace vs::netdev
