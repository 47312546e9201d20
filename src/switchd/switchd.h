// numavs-switchd's configuration loop: it turns the Open_vSwitch database
// into running bridges and interfaces and writes back what users read.
//
// On every change of its database copy (ovsdb::client::Idl) Reconcile()
// compares the wanted configuration with what runs: new interfaces are
// opened, removed ones closed, changed ones reconfigured (or reopened), and
// failed ones retried. Ports whose configuration did not change are left
// alone, so a database restart or resync does not disturb them. Then one
// transaction writes back, only where values differ from the database:
// Interface ofport / error / status / admin_state / link_state / mtu, and
// Open_vSwitch cur_cfg = next_cfg (which is what `ovs-vsctl` without
// --no-wait waits for), iface_types, datapath_types, dpdk_initialized,
// dpdk_version. DPDK is started from other_config when dpdk-init asks for it
// (switchd/dpdk.h) before interfaces are opened.
// A failed interface gets ofport -1 and its error text, as in OVS, so
// ovs-vsctl prints "Error detected while setting up ...".
//
// ofport numbers: the bridge's own internal interface is 65534 (LOCAL); others
// get their ofport_request when it is free, else the lowest free number from 1,
// and keep it while they exist.
//
// Not thread-safe: runs on the daemon's io_context thread.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include <asio.hpp>

#include "ctl/unixctl.h"
#include "ovsdb/client/idl.h"
#include "switchd/config.h"
#include "switchd/dpdk.h"
#include "switchd/netdev.h"

namespace vs::switchd {

class Switchd {
 public:
  // sysfs_root: "" for the real machine, else a simulated topology (see dpdk.h).
  Switchd(asio::io_context& io, std::string db_remote, std::string sysfs_root = "");
  Status Start();
  void RegisterCommands(ctl::UnixctlServer& ctl);

  // Text of dpif/show: bridges, their interfaces, ofports and state.
  std::string ShowText() const;

 private:
  struct Iface {
    InterfaceConfig cfg;
    std::string bridge;
    int64_t ofport = -1;
    std::unique_ptr<Netdev> dev;  // null: failed
    std::string error;
  };
  struct Bridge {
    std::string name;
    std::set<int64_t> ofports;
  };

  void OnDbChange();
  void Reconcile();
  void ApplyInterface(const BridgeConfig& b, const InterfaceConfig& cfg, Iface* in);
  int64_t AllocateOfport(Bridge& b, const InterfaceConfig& cfg);
  Json WriteBackOps(const SwitchConfig& cfg) const;

  asio::io_context& io_;
  ovsdb::client::Idl idl_;
  Dpdk dpdk_;
  std::map<std::string, Bridge> bridges_;  // by name
  std::map<Uuid, Iface> ifaces_;           // by Interface row uuid
  bool txn_in_flight_ = false;
  bool dirty_ = false;
  uint64_t applied_seqno_ = 0;
};

}  // namespace vs::switchd
