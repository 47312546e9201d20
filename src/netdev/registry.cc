#include "netdev/registry.h"

#include <fmt/format.h>

#include "netdev/dpdk.h"
#include "netdev/dummy.h"
#include "netdev/tap.h"
#include "netdev/vhost.h"

namespace vs::netdev {

const std::vector<TypeInfo>& Types() {
  static const std::vector<TypeInfo> kTypes = {
      {"dpdk", OpenDpdk},
      {"dpdkvhostuser", OpenVhostUser},
      {"dpdkvhostuserclient", OpenVhostUserClient},
      {"dummy", OpenDummy},
      {"internal", OpenInternal},
  };
  return kTypes;
}

std::vector<std::string> SupportedTypes() {
  std::vector<std::string> names;
  for (const TypeInfo& t : Types()) names.push_back(t.name);
  return names;
}

Result<std::unique_ptr<Netdev>> Open(Context& ctx, const Config& cfg) {
  if (Status s = CheckCommonOptions(cfg); !s.ok()) return s;
  for (const TypeInfo& t : Types())
    if (cfg.type == t.name) return t.open(ctx, cfg);
  if (cfg.type.empty() || cfg.type == "system") {
    return Status(EAFNOSUPPORT,
                  fmt::format("could not open network device {}: numavs has only the userspace "
                              "datapath, so kernel (\"system\") interfaces are attached as DPDK "
                              "ports; run: ovs-vsctl set Interface {} type=dpdk "
                              "options:dpdk-devargs=net_af_packet_{},iface={}",
                              cfg.name, cfg.name, cfg.name, cfg.name));
  }
  return Status(EAFNOSUPPORT,
                fmt::format("could not open network device {}: unsupported interface type \"{}\" "
                            "(numavs supports: {})",
                            cfg.name, cfg.type, fmt::join(SupportedTypes(), ", ")));
}

}  // namespace vs::netdev
