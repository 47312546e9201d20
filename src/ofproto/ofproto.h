// Ofproto: the OpenFlow side of one bridge. It listens on the bridge's management
// socket (punix:$OVS_RUNDIR/<bridge>.mgmt, where ovs-ofctl looks for it), serves any
// number of connections at once (connection.h) and maps their requests onto the
// datapath's OpenFlow table of the bridge (dp::Datapath: table 0 only, today):
//
//   HELLO/ECHO/BARRIER/FEATURES/GET_CONFIG/SET_CONFIG/ROLE_REQUEST, FLOW_MOD (OF1.0,
//   NXT_FLOW_MOD, OF1.3+: add, modify[_strict], delete[_strict] with out_port and
//   cookie filters), the Nicira NXT_SET_FLOW_FORMAT / NXT_FLOW_MOD_TABLE_ID /
//   NXT_SET_PACKET_IN_FORMAT, and multipart desc, flow, aggregate, table, table
//   features (table 0, no properties), port stats, port desc, queue (empty), group/group desc (empty),
//   group features and meter features (none supported).
//
// What the datapath cannot do yet is refused with the OpenFlow error (translate.h for
// matches and actions; tables other than 0: OFPFMFC_BAD_TABLE_ID / OFPBRC_BAD_TABLE_ID;
// idle/hard timeouts: OFPFMFC_BAD_TIMEOUT; SEND_FLOW_REM/CHECK_OVERLAP: BAD_FLAGS;
// buffered packets: BUFFER_UNKNOWN; groups: OFPGMFC_BAD_TYPE; packet-out and other
// messages: OFPBRC_BAD_TYPE). Packet-in and the multi-table pipeline are not here yet.
//
// Controllers (Configure, from the bridge's Bridge.controller / protocols / fail_mode):
// each target is a Controller (controller.h: active with reconnect and backoff, or
// passive); its connections are served like the management socket's. Bridge.protocols
// limits the versions every new connection offers (numavs speaks 1.0, 1.3, 1.4, 1.5).
// Fail mode, as OVS's connmgr: with no controller and fail_mode standalone (the
// default) the table holds priority=0,actions=NORMAL; configuring the first controller,
// removing the last, or changing fail_mode without controllers flushes the table (and
// puts that flow back when standalone without controllers). While controllers are
// configured, fail_mode standalone and none is connected, the bridge is in fail-open:
// NORMAL for every packet, above the table and not shown in it (dp BridgeView::
// fail_open); fail_mode secure never falls back to NORMAL.
//
// Runs on the switch daemon's io_context thread, like the datapath's control API.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <asio.hpp>

#include "base/status.h"
#include "dp/datapath.h"
#include "jsonrpc/connection.h"
#include "ofproto/connection.h"
#include "ofproto/controller.h"
#include "ofproto/translate.h"

namespace vs::ofproto {

// What the switch knows about a port beyond the datapath.
struct PortState {
  uint32_t dp_id = 0;
  std::string name;
  uint8_t mac[6] = {};  // all zero when the device has none
  bool admin_up = true;
  bool link_up = false;
  std::map<std::string, int64_t> stats;  // Interface.statistics names
  uint64_t added_ns = 0;                 // dp::Datapath::Now() when the port was added
};
using PortLister = std::function<std::vector<PortState>()>;

struct OfprotoConfig {
  uint32_t versions = openflow::kSupportedVersions;  // Bridge.protocols as a bitmap
  bool fail_secure = false;                           // Bridge.fail_mode
  std::vector<ControllerConfig> controllers;
};

class Ofproto {
 public:
  // Listens on `mgmt_path` (a stale socket file is replaced). Errors: bind/listen errno.
  static Result<std::unique_ptr<Ofproto>> Create(asio::io_context& io, std::string bridge,
                                                 std::string mgmt_path, dp::Datapath* dp,
                                                 PortLister ports);
  ~Ofproto();  // closes every connection and removes the socket file

  // Applies controllers, protocols and fail mode (see above). Returns the problems to
  // report (a target that cannot be used, with why); the rest is applied.
  std::vector<std::string> Configure(const OfprotoConfig& cfg);
  // Each configured target's state, for its Controller row (a target that could not be
  // set up: not connected, last_error saying why).
  std::vector<ControllerStatus> ControllerStatuses() const;
  // Called (on the io thread) when a controller connects or disconnects.
  void set_on_change(std::function<void()> f) { on_change_ = std::move(f); }
  bool fail_open() const { return fail_open_; }

  const std::string& bridge() const { return bridge_; }
  size_t n_connections() const { return conns_.size(); }
  uint64_t datapath_id() const { return dpid_; }

 private:
  Ofproto(asio::io_context& io, std::string bridge, dp::Datapath* dp, PortLister ports);
  using Conn = OfConnection;
  std::shared_ptr<Conn> Adopt(Conn::Socket s, const std::string& peer, Controller* controller);
  void FlushFlows(bool normal);
  void UpdateFailOpen();
  void OnMessage(Conn& c, const openflow::Message& m, openflow::ByteView raw);
  void OnFlowMod(Conn& c, const openflow::FlowMod& fm, openflow::ByteView raw);
  void OnMultipart(Conn& c, const openflow::Message& m, openflow::ByteView raw);
  void OnRole(Conn& c, const openflow::Message& m, openflow::ByteView raw);
  openflow::OfResult<bool> AddFlow(const openflow::FlowMod& fm, uint8_t version);
  openflow::OfResult<bool> ModifyFlows(const openflow::FlowMod& fm, uint8_t version);
  openflow::OfResult<bool> DeleteFlows(const openflow::FlowMod& fm, uint8_t version);
  openflow::OfResult<std::vector<openflow::Bytes>> FlowStats(const openflow::MultipartRequest& mp,
                                                             uint8_t version, bool aggregate);
  std::vector<openflow::PortDesc> PortDescs(uint8_t version) const;
  openflow::OfResult<std::vector<openflow::Bytes>> PortStats(uint32_t port, uint8_t version) const;
  PortMap Ports() const;

  asio::io_context& io_;
  std::string bridge_;
  dp::Datapath* dp_;
  PortLister ports_;
  uint64_t dpid_;
  std::unique_ptr<jsonrpc::Listener> listener_;
  std::map<uint64_t, std::shared_ptr<Conn>> conns_;
  std::map<std::string, std::unique_ptr<Controller>> controllers_;  // by target
  std::map<std::string, std::string> bad_targets_;                  // target -> why
  uint32_t versions_ = openflow::kSupportedVersions;
  bool fail_secure_ = false;
  bool configured_ = false;
  bool fail_open_ = false;
  std::function<void()> on_change_;
  bool have_generation_ = false;
  uint64_t generation_id_ = 0;
};

}  // namespace vs::ofproto
