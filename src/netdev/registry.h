// The port types of this build, in one place (registry.cc): Interface.type ->
// factory. A new type is a file pair in this folder plus one line in the
// table of registry.cc.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "netdev/context.h"
#include "netdev/netdev.h"

namespace vs::netdev {

// Opens a port of cfg.type. A factory validates the options it reads before
// it touches anything, and returns either a device or an error whose text
// names the cause and the fix (written to Interface.error as is). Nothing it
// does touches other ports.
using Factory = Result<std::unique_ptr<Netdev>> (*)(Context& ctx, const Config& cfg);

struct TypeInfo {
  const char* name;  // Interface.type
  Factory open;
};

// Every type, sorted by name.
const std::vector<TypeInfo>& Types();

// The type names, for Open_vSwitch.iface_types.
std::vector<std::string> SupportedTypes();

// Checks the options every type shares, then calls the type's factory.
// Errors: EINVAL (options), EAFNOSUPPORT (unknown or kernel "system" type,
// naming the supported ones), or the factory's.
Result<std::unique_ptr<Netdev>> Open(Context& ctx, const Config& cfg);

}  // namespace vs::netdev
