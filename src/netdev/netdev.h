// A port of numavs-switchd, whatever its type: the one interface the switch
// daemon and its PMD threads use (the role of OVS's lib/netdev-provider.h).
//
// A type is a file pair in this folder (dummy.h, tap.h, dpdk.h, ...) whose
// factory is listed once in registry.cc; registry.h opens a port by
// Interface.type and lists the types for Open_vSwitch.iface_types.
//
// What a type implements:
//   type(), Status(), Statistics(), link_up(), mtu(), numa_node(), mac_in_use(),
//   link_speed(), duplex()
//     what users read (Interface.status/statistics/link_state/mtu/...); a
//     device whose link is down for a reason says it in Status()["link_reason"];
//   Reconfigure(cfg)       a changed Interface row of the same type, applied
//                          in place if possible (false: close and reopen);
//   n_rxq(), n_txq(), RxBurst(), TxBurst()
//                          the queues the PMD threads poll and send on, one
//                          virtual call per burst of up to 32/64 packets;
//   ethdev_port()          >= 0 when those queues are exactly a DPDK ethdev's:
//                          PMDs then call rte_eth_rx_burst/rte_eth_tx_burst on
//                          it directly (the devirtualised fast path);
//   reopen_wanted()        the device would be opened differently now (an
//                          internal port opened as a kernel TAP before DPDK ran);
//   ApplyRequest()         see "Reconfigure requests" below.
//
// Reconfigure requests (OVS's netdev_request_reconfigure): a device whose
// facts change on its own — a vhost-user port learns its NUMA node and queue
// count when the guest connects — calls RequestReconfigure() from any thread.
// That sets reconfigure_requested() and calls the notifier the device was
// built with (Context::notifier()), which wakes the switch daemon; on its control thread the daemon stops the PMDs
// that poll the device, calls ApplyRequest() (the device attaches its pool on
// its new node, sets up queues, ...), and replans the PMDs from numa_node()
// and n_rxq(), so the queues are re-homed to a PMD of the new node.
//
// Threading: everything but RxBurst/TxBurst/RequestReconfigure runs on the
// control thread. RxBurst(q) is called by the one PMD that owns rx queue q;
// TxBurst(q) by PMDs that serialise on q themselves (a spinlock per burst
// when fewer tx queues than PMDs). PMDs are stopped before a device is
// reconfigured in place (ApplyRequest) or destroyed.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "base/status.h"

struct rte_mbuf;

namespace vs::netdev {

// What opening a port needs from its Interface row.
struct Config {
  std::string name;
  std::string type;  // "" means "system" in OVS
  std::map<std::string, std::string> options;
  std::optional<int64_t> mtu_request;
  // "aa:bb:cc:dd:ee:ff": the address the device takes (types that can set
  // theirs: "internal"); "" leaves the device's own.
  std::string mac;
  bool operator==(const Config&) const = default;
};

constexpr int kDefaultMtu = 1500;
inline int RequestedMtu(const Config& cfg) {
  return cfg.mtu_request ? static_cast<int>(*cfg.mtu_request) : kDefaultMtu;
}

// Checks what every type shares (mtu_request range). Errors: EINVAL with the fix.
vs::Status CheckCommonOptions(const Config& cfg);

class Netdev {
 public:
  // notify: Context::notifier() for a type that requests reconfigurations
  // (it must be set before the device can call RequestReconfigure()).
  explicit Netdev(std::string name, std::function<void()> notify = {})
      : name_(std::move(name)), notify_(std::move(notify)) {}
  virtual ~Netdev() = default;
  Netdev(const Netdev&) = delete;
  Netdev& operator=(const Netdev&) = delete;

  const std::string& name() const { return name_; }
  virtual std::string type() const = 0;
  // Interface.status: driver_name and type-specific facts.
  virtual std::map<std::string, std::string> Status() const = 0;
  // Interface.statistics (rx_packets, rx_bytes, ... as OVS names them).
  virtual std::map<std::string, int64_t> Statistics() const { return {}; }
  virtual bool link_up() const = 0;
  virtual int mtu() const = 0;
  // The node whose PMDs should poll its rx queues (and where its buffers are).
  virtual int numa_node() const { return 0; }
  // "aa:bb:cc:dd:ee:ff", or "" when the device has no address of its own.
  virtual std::string mac_in_use() const { return {}; }
  // Interface.link_speed (bits/s) and duplex ("full"/"half"), when known.
  virtual std::optional<int64_t> link_speed() const { return std::nullopt; }
  virtual std::string duplex() const { return {}; }

  // Applies a changed configuration of the same type without reopening, if
  // possible; false means "reopen".
  virtual bool Reconfigure(const Config& cfg) = 0;
  virtual bool reopen_wanted() const { return false; }

  // Queues. A device without queues (n_rxq() == n_txq() == 0) is not polled
  // and packets sent to it are dropped and counted by the PMD.
  virtual uint16_t n_rxq() const { return 0; }
  virtual uint16_t n_txq() const { return 0; }
  // Receives up to n packets from rx queue q into pkts; returns how many.
  virtual uint16_t RxBurst(uint16_t q, rte_mbuf** pkts, uint16_t n) { return 0; }
  // Sends pkts[0..n) on tx queue q; returns how many the device took (the
  // caller frees and counts the rest).
  virtual uint16_t TxBurst(uint16_t q, rte_mbuf** pkts, uint16_t n) { return 0; }
  // The ethdev port id when RxBurst/TxBurst are rte_eth_rx_burst/tx_burst on it.
  virtual int ethdev_port() const { return -1; }

  // Reconfigure requests (see the top of this file).
  bool reconfigure_requested() const { return reconfigure_requested_.load(std::memory_order_acquire); }
  // Control thread, PMDs of this device stopped: applies what the device
  // asked for, then clears the request. An error goes to Interface.error.
  vs::Status ApplyRequest();

 protected:
  // Any thread.
  void RequestReconfigure();
  // What ApplyRequest() does for this type (nothing by default).
  virtual vs::Status DoApplyRequest() { return vs::Status::Ok(); }

 private:
  std::string name_;
  std::atomic<bool> reconfigure_requested_{false};
  std::function<void()> notify_;
};

}  // namespace vs::netdev
