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
// (netdev/context.h) before interfaces are opened; interfaces are opened by
// type through the netdev registry (netdev/registry.h). A device that asks
// for a reconfiguration (a vhost-user guest connecting: Netdev::
// RequestReconfigure) wakes this loop, which stops the PMDs, lets the device
// apply it and replans the PMDs from its new node and queues.
// A failed interface gets ofport -1 and its error text, as in OVS, so
// ovs-vsctl prints "Error detected while setting up ...".
//
// Every interface that opens becomes a port of the datapath (dp::Datapath):
// its datapath port number is its OpenFlow port number and Interface.ofport
// (the bridge's own internal interface shows 65534, LOCAL, as in OVS);
// ofport_request is honoured when free. Port tag/trunks set its VLANs.
// Then the PMD plan is recomputed from the ports' rx queues and
// other_config:pmd-cpu-mask (pmd_threads.h); PMD threads are stopped before
// any device they poll or send to is closed, reopened or reconfigured.
//
// Not thread-safe: runs on the daemon's io_context thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <asio.hpp>

#include "ctl/unixctl.h"
#include "ovsdb/client/idl.h"
#include "dp/datapath.h"
#include "netdev/context.h"
#include "netdev/netdev.h"
#include "netdev/tap.h"
#include "ofproto/ofproto.h"
#include "switchd/config.h"
#include "switchd/pmd_threads.h"
#include "switchd/support.h"

namespace vs::switchd {

class Switchd {
 public:
  // sysfs_root: "" for the real machine, else a simulated topology (netdev/context.h).
  Switchd(asio::io_context& io, std::string db_remote, std::string sysfs_root = "");
  // Over a database copy of the caller's (tests: switchd/testing/fake_replica.h)
  // instead of an Idl connected to db_remote.
  Switchd(asio::io_context& io, std::unique_ptr<ovsdb::client::Replica> db,
          std::string sysfs_root = "");
  ~Switchd();
  // Errors: EINVAL (bad remote), ENOMEM (datapath).
  Status Start();
  void RegisterCommands(ctl::UnixctlServer& ctl);
  // OVS's names for what users know (ofproto/list, dpif/dump-flows, dpdk/lcore-list):
  // ovs_appctl.cc. Called by RegisterCommands.
  void RegisterOvsCommands(ctl::UnixctlServer& ctl);
  // dpctl/*, upcall/show, netdev-dpdk/set-admin-state and detach, memory/show before
  // DPDK runs: dpctl.cc. Called by RegisterOvsCommands.
  void RegisterDpctlCommands(ctl::UnixctlServer& ctl);
  // dpif-netdev/pmd-stats-show, pmd-stats-clear, pmd-rxq-show, pmd-perf-show,
  // pmd-rxq-rebalance: pmd_knobs.cc. Called by RegisterCommands.
  void RegisterPmdCommands(ctl::UnixctlServer& ctl);

  // Text of dpif/show: bridges, their interfaces, ofports and state.
  std::string ShowText() const;

 private:
  struct Iface {
    InterfaceConfig cfg;
    std::string bridge;
    uint32_t dp_port = dp::kNoPort;  // datapath port while open
    int tag = -1;
    std::vector<uint16_t> trunks;
    // An internal interface's kernel interface, kept while the row exists so
    // that reopening the device keeps it (netdev/tap.h). Before dev: outlives it.
    std::unique_ptr<netdev::KernelInterfaceHold> hold;
    std::unique_ptr<netdev::Netdev> dev;  // null: failed
    std::string error;
    uint64_t added_ns = 0;  // datapath clock when it became a port (OpenFlow port stats)
    std::optional<bool> link_up;  // as last polled (PollLinks)
    // netdev-dpdk/set-admin-state down: not polled, packets to it dropped (until set up,
    // or the interface is closed).
    bool admin_down = false;
  };
  // dpctl.cc
  std::string DpctlShowText(bool statistics) const;
  Result<std::string> DpctlDumpFlows(const std::vector<std::string>& args) const;
  std::string UpcallShowText();
  void SampleFlowCount();  // upcall/show's average and maximum (every tick)
  Result<std::string> SetAdminState(const std::vector<std::string>& args);
  Result<std::string> DetachDevice(const std::string& name);
  std::string EarlyMemoryText() const;

  void OnDbChange();
  void Reconcile();
  void ApplyInterface(const BridgeConfig& b, const PortConfig& p, const InterfaceConfig& cfg,
                      Iface* in);
  void CloseInterface(Iface* in);
  void ApplyRequests();
  void UpdatePmds(const SwitchConfig& cfg);
  // PMD knobs (pmd_knobs.cc): the ports as the planner sees them; the plan under the
  // PMD keys of other_config, with the measured cycles taken when the ports or keys
  // changed or a rebalance was asked for (else those of the last plan, so that an
  // unchanged configuration gives the same plan); the measuring interval's tick, which
  // also runs pmd-auto-lb.
  std::vector<PortQueues> PmdPorts() const;
  Result<PmdPlan> PlanPmds(std::vector<PortQueues> ports, const SwitchConfig& cfg, bool fresh);
  void ReadPmdOptions(const SwitchConfig& cfg);
  void PmdIntervalTick();
  void AutoLoadBalance();
  int64_t OfportOf(const Iface& in) const;
  Json WriteBackOps(const SwitchConfig& cfg) const;
  void Tick();
  void OpenOfproto(const std::string& bridge);
  // Bridge.controller / protocols / fail_mode onto the bridge's Ofproto.
  void ConfigureOfproto(const BridgeConfig& bc);
  // Controller rows: is_connected, role, status.
  void AppendControllerOps(const SwitchConfig& cfg, Json* ops) const;
  // Unsupported settings (support.h, unsupported.cc): re-read on every
  // reconciliation, logged once per change.
  void UpdateFindings();
  // Why the interface must stay down ("" if it may run).
  std::string Refusal(const PortConfig& p, const InterfaceConfig& i) const;
  void Refuse(const BridgeConfig& b, const InterfaceConfig& cfg, const std::string& why, Iface* in);
  // Interface.status keys of its reported settings; Bridge/Port.status updates.
  void AddFindingStatus(const Uuid& iface, std::map<std::string, std::string>* status) const;
  void AppendStatusOps(Json* ops) const;
  void RegisterSupportCommands(ctl::UnixctlServer& ctl);
  // Polls the links of open devices (1 s tick): logs changes; true if a link
  // changed or a device wants reopening (then the write-back runs at once).
  bool PollLinks();

  asio::io_context& io_;
  std::unique_ptr<ovsdb::client::Replica> db_;
  ovsdb::client::Replica& idl_;  // *db_
  netdev::Context ctx_;
  ctl::UnixctlServer* ctl_ = nullptr;
  bool memory_commands_ = false;  // registered on ctl_ once DPDK runs
  std::unique_ptr<dp::Datapath> dp_;
  std::set<std::string> bridges_;  // names, as in the datapath
  std::map<Uuid, Iface> ifaces_;   // by Interface row uuid
  // The OpenFlow side of each bridge (punix:$OVS_RUNDIR/<bridge>.mgmt); before dp_ goes.
  std::map<std::string, std::unique_ptr<ofproto::Ofproto>> ofprotos_;
  std::map<std::string, std::string> protocol_warnings_;  // by bridge, as last logged
  std::vector<Finding> findings_;               // unsupported settings in use
  std::map<std::string, std::string> reported_;  // what was logged: finding id -> text
  std::string pmd_error_;          // why the PMD plan could not be applied
  std::string pmd_warnings_;  // of the last plan, logged when they change
  PmdOptions pmd_opts_;              // the PMD keys of other_config as applied
  bool pmd_opts_read_ = false;
  std::string pmd_opts_errors_;      // malformed PMD keys (kept values), logged when they change
  std::string pmd_plan_key_;         // ports and keys the last plan was made for
  std::map<std::pair<std::string, uint16_t>, uint64_t> pmd_cycles_;  // measured, as last planned
  bool pmd_rebalance_ = false;       // re-plan with fresh measurements (pmd-rxq-rebalance, auto-lb)
  uint64_t pmd_interval_ms_ = kPmdIntervalMs;  // NUMAVS_PMD_INTERVAL_MS (tests) or OVS's 5 s
  uint64_t alb_last_check_ms_ = 0;   // pmd-auto-lb's rebalance interval timer (0: not running)
  bool pmd_tick_armed_ = false;      // NUMAVS_PMD_INTERVAL_MS read
  asio::steady_timer pmd_tick_;
  asio::steady_timer tick_;
  uint64_t ticks_ = 0;
  bool txn_in_flight_ = false;
  bool dirty_ = false;
  uint64_t applied_seqno_ = 0;
  // Devices (devargs up to the first ',') numavs detached when their interface closed.
  std::set<std::string> released_devices_;
  struct FlowCount {
    uint64_t current = 0, avg = 0, max = 0;
  } flow_count_;
  std::unique_ptr<PmdThreads> pmds_;  // last: stopped before devices and datapath go
};

}  // namespace vs::switchd
