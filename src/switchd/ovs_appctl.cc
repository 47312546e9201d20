// ovs-appctl commands that OVS users and their scripts know, with OVS's names
// and output shapes, over numavs-switchd's state:
//
//   ofproto/list            the bridges, one per line
//   dpif/dump-flows BRIDGE  the datapath flows whose input port is on BRIDGE
//                           (dpctl/dump-flows's lines)
//   bridge/dump-flows BRIDGE  the OpenFlow rules with their counters, OVS's layout
//   dpdk/lcore-list         DPDK's lcore table (rte_lcore_dump), once DPDK runs
#include <fmt/format.h>
#include <rte_lcore.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>

#include "switchd/switchd.h"

namespace vs::switchd {
namespace {

Result<std::string> LcoreDump() {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  if (!f) return Status(errno, "dpdk/lcore-list: open_memstream failed");
  rte_lcore_dump(f);
  std::fclose(f);
  std::string out(buf, len);
  std::free(buf);
  return out;
}

}  // namespace

void Switchd::RegisterOvsCommands(ctl::UnixctlServer& ctl) {
  RegisterDpctlCommands(ctl);
  ctl.Register("ofproto/list", "", 0, 0, [this](const auto&) -> Result<std::string> {
    std::string out;
    for (const std::string& b : bridges_) out += b + "\n";
    return out;
  });
  ctl.Register("dpif/dump-flows", "[-m] [--names | --no-names] BRIDGE", 1, 4,
               [this](const auto& a) -> Result<std::string> {
                 const std::string& bridge = a.back();
                 if (!bridges_.count(bridge))
                   return Status(ENOENT, fmt::format("no such bridge ({})", bridge));
                 std::vector<std::string> ports;
                 for (const auto& [u, in] : ifaces_)
                   if (in.bridge == bridge && in.dp_port != dp::kNoPort)
                     ports.push_back(in.cfg.name);
                 std::istringstream all(pmds_->DumpFlows());
                 std::string out;
                 for (std::string line; std::getline(all, line);) {
                   for (const std::string& p : ports) {
                     if (line.find("in_port(" + p + ")") != std::string::npos) {
                       out += line + "\n";
                       break;
                     }
                   }
                 }
                 return out;
               });
  ctl.Register("bridge/dump-flows", "BRIDGE", 1, 1,
               [this](const auto& a) -> Result<std::string> { return dp_->BridgeDumpFlows(a[0]); });
  ctl.Register("dpdk/lcore-list", "", 0, 0, [this](const auto&) -> Result<std::string> {
    if (!ctx_.dpdk_ready())
      return Status(ENOTCONN, "DPDK is not initialized (other_config:dpdk-init=true starts it)");
    if (ctx_.simulated())
      return Status(ENOTSUP, "DPDK is simulated (--sysfs-root): there are no DPDK lcores");
    return LcoreDump();
  });
}

}  // namespace vs::switchd
