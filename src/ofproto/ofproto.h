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
// messages: OFPBRC_BAD_TYPE). Controllers (Bridge.controller), packet-in and the
// multi-table pipeline are not here yet.
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

class Ofproto {
 public:
  // Listens on `mgmt_path` (a stale socket file is replaced). Errors: bind/listen errno.
  static Result<std::unique_ptr<Ofproto>> Create(asio::io_context& io, std::string bridge,
                                                 std::string mgmt_path, dp::Datapath* dp,
                                                 PortLister ports);
  ~Ofproto();  // closes every connection and removes the socket file

  const std::string& bridge() const { return bridge_; }
  size_t n_connections() const { return conns_.size(); }
  uint64_t datapath_id() const { return dpid_; }

 private:
  Ofproto(std::string bridge, dp::Datapath* dp, PortLister ports);
  using Conn = OfConnection;
  void OnAccept(Conn::Socket s, const std::string& peer);
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

  std::string bridge_;
  dp::Datapath* dp_;
  PortLister ports_;
  uint64_t dpid_;
  std::unique_ptr<jsonrpc::Listener> listener_;
  std::map<uint64_t, std::shared_ptr<Conn>> conns_;
  bool have_generation_ = false;
  uint64_t generation_id_ = 0;
};

}  // namespace vs::ofproto
