// Network devices behind numavs-switchd's interfaces, by Interface.type:
//
//   dummy     a device that exists only in numavs (tests, as OVS's dummy netdev);
//   internal  the bridge's own kernel interface: a TAP device of the
//             interface's name (needs CAP_NET_ADMIN; the name must fit IFNAMSIZ);
//   dpdk      a DPDK ethdev (PCI address or vdev string in options:dpdk-devargs),
//             opened by switchd/dpdk.h once DPDK is initialised.
//
// Open() either returns a device or an error whose text names the cause and
// the fix, written to Interface.error as is. Nothing here touches other ports.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "base/status.h"
#include "switchd/config.h"

namespace vs::switchd {

class Netdev {
 public:
  virtual ~Netdev() = default;
  virtual const std::string& name() const = 0;
  virtual std::string type() const = 0;
  // Interface.status: driver_name and type-specific facts.
  virtual std::map<std::string, std::string> Status() const = 0;
  virtual bool link_up() const = 0;
  virtual int mtu() const = 0;
  // Applies a changed configuration of the same type without reopening, if
  // possible; false means "reopen".
  virtual bool Reconfigure(const InterfaceConfig& cfg) = 0;
  // The DPDK ethdev behind this interface, for the PMD threads (port -1: none).
  struct Ethdev {
    int port = -1;
    uint16_t n_rxq = 0, n_txq = 0;
    int numa = 0;
  };
  virtual Ethdev ethdev() const { return {}; }
  // Interface.statistics (rx_packets, rx_bytes, ... as OVS names them).
  virtual std::map<std::string, int64_t> Statistics() const { return {}; }
};

// The interface types this build can open, for Open_vSwitch.iface_types.
std::vector<std::string> SupportedTypes();

// Checks what every type shares (mtu_request range). Errors: EINVAL with the fix.
Status CheckCommonOptions(const InterfaceConfig& cfg);

// Opens a dummy or internal interface (dpdk ones: switchd/dpdk.h); any other
// type is an error naming the supported ones.
Result<std::unique_ptr<Netdev>> OpenNetdev(const InterfaceConfig& cfg);

}  // namespace vs::switchd
