#include "netdev/netdev.h"

#include <fmt/format.h>

namespace vs::netdev {

vs::Status CheckCommonOptions(const Config& cfg) {
  if (cfg.mtu_request && (*cfg.mtu_request < 68 || *cfg.mtu_request > 9710)) {
    return vs::Status(EINVAL, fmt::format("{}: mtu_request={} is out of range (68 to 9710); run: "
                                          "ovs-vsctl set Interface {} mtu_request=1500",
                                          cfg.name, *cfg.mtu_request, cfg.name));
  }
  return vs::Status::Ok();
}

void Netdev::RequestReconfigure() {
  reconfigure_requested_.store(true, std::memory_order_release);
  if (notify_) notify_();
}

vs::Status Netdev::ApplyRequest() {
  // Cleared first: a request made while this one is applied is not lost.
  reconfigure_requested_.store(false, std::memory_order_release);
  return DoApplyRequest();
}

}  // namespace vs::netdev
