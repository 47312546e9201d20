#include "ofproto/ofproto.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/log.h"

namespace vs::ofproto {
namespace of = vs::openflow;
using of::Err;
using of::Fail;

namespace {

log::Module& kLog = log::GetModule("ofproto");

// The datapath id: 48 bits from the bridge name (FNV-1a), stable across restarts.
uint64_t DatapathId(const std::string& name) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : name) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ull;
  return h & 0xffffffffffffull;
}

uint64_t Stat(const std::map<std::string, int64_t>& s, const char* name) {
  auto it = s.find(name);
  // The spec's "not available": all ones (ovs-ofctl prints "?").
  return it == s.end() || it->second < 0 ? ~0ull : static_cast<uint64_t>(it->second);
}

of::TlvFormat TlvFormatOf(of::FlowFormat f) {
  return f == of::FlowFormat::kOxm ? of::TlvFormat::kOxm : of::TlvFormat::kNxm;
}

// What table 0 supports, for TABLE_FEATURES (as translate.h accepts it).
of::TableFeatures TableZeroFeatures() {
  of::TableFeatures t;
  t.max_entries = 1000000;
  t.instructions = {4};              // apply-actions
  t.apply_actions = {0, 17, 18, 25};  // output, push_vlan, pop_vlan, set_field
  using F = of::Field;
  for (F f : {F::kInPort, F::kEthDst, F::kEthSrc, F::kEthType, F::kVlanVid, F::kVlanPcp,
              F::kIpDscp, F::kIpEcn, F::kIpProto, F::kIpv4Src, F::kIpv4Dst, F::kTcpSrc,
              F::kTcpDst, F::kUdpSrc, F::kUdpDst, F::kIcmpv4Type, F::kIcmpv4Code, F::kArpOp,
              F::kArpSpa, F::kArpTpa, F::kIpv6Src, F::kIpv6Dst, F::kIcmpv6Type, F::kIcmpv6Code}) {
    uint8_t width = 0;
    auto h = of::TlvOf(f, of::TlvFormat::kOxm, &width);
    bool maskable = of::InfoOf(f).maskable;
    uint32_t header = *h | (maskable ? 0x100u | 2u * width : width);
    t.match.push_back(header);
    t.wildcards.push_back(*h | width);  // WILDCARDS lists headers without hasmask
    if (f == F::kEthDst || f == F::kEthSrc || f == F::kVlanVid || f == F::kVlanPcp)
      t.apply_setfield.push_back(*h | width);
  }
  return t;
}

}  // namespace

Result<std::unique_ptr<Ofproto>> Ofproto::Create(asio::io_context& io, std::string bridge,
                                                 std::string mgmt_path, dp::Datapath* dp,
                                                 PortLister ports) {
  std::unique_ptr<Ofproto> p(new Ofproto(io, std::move(bridge), dp, std::move(ports)));
  Ofproto* self = p.get();
  auto l = jsonrpc::Listener::Create(io, "punix:" + mgmt_path,
                                     [self](Conn::Socket s, std::string peer) {
                                       self->Adopt(std::move(s), peer, nullptr);
                                     });
  if (!l.ok()) return l.status().Wrap(fmt::format("bridge {}: OpenFlow management socket", p->bridge_));
  p->listener_ = std::move(*l);
  VS_LOG_INFO(kLog, "bridge {}: OpenFlow on punix:{}", p->bridge_, mgmt_path);
  return p;
}

Ofproto::Ofproto(asio::io_context& io, std::string bridge, dp::Datapath* dp, PortLister ports)
    : io_(io), bridge_(std::move(bridge)), dp_(dp), ports_(std::move(ports)),
      dpid_(DatapathId(bridge_)) {}

Ofproto::~Ofproto() {
  listener_.reset();
  auto conns = std::move(conns_);
  for (auto& [id, c] : conns) c->Detach("bridge deleted");
  controllers_.clear();
}

std::shared_ptr<OfConnection> Ofproto::Adopt(Conn::Socket s, const std::string& peer,
                                             Controller* controller) {
  auto c = std::make_shared<Conn>(std::move(s), peer, versions_);
  c->controller = controller;
  conns_[c->id()] = c;
  if (controller) {
    c->on_ready = [this](Conn& conn) {
      VS_LOG_INFO(kLog, "bridge {}: controller {} connected (OpenFlow version {:#04x})", bridge_,
                  conn.peer(), conn.version());
      UpdateFailOpen();
      if (on_change_) on_change_();
    };
  }
  c->Start([this](Conn& conn, const of::Message& m, of::ByteView raw) { OnMessage(conn, m, raw); },
           [this](Conn& conn, const std::string& why) {
             VS_LOG_DBG(kLog, "bridge {}: {} disconnected: {}", bridge_, conn.peer(), why);
             auto keep = conns_[conn.id()];  // conn lives until this handler returns
             conns_.erase(conn.id());
             if (conn.controller) {
               conn.controller->Closed(conn.id(), why);
               UpdateFailOpen();
             }
           });
  return c;
}

std::vector<std::string> Ofproto::Configure(const OfprotoConfig& cfg) {
  std::vector<std::string> problems;
  versions_ = cfg.versions;
  const bool had = !controllers_.empty();
  std::map<std::string, const ControllerConfig*> want;
  for (const ControllerConfig& cc : cfg.controllers) want[cc.target] = &cc;
  for (auto it = controllers_.begin(); it != controllers_.end();) {
    if (want.count(it->first)) {
      ++it;
      continue;
    }
    for (auto c = conns_.begin(); c != conns_.end();) {
      if (c->second->controller != it->second.get()) {
        ++c;
        continue;
      }
      c->second->Detach("controller removed");
      c = conns_.erase(c);
    }
    VS_LOG_INFO(kLog, "bridge {}: removed controller {}", bridge_, it->first);
    it = controllers_.erase(it);
  }
  std::map<std::string, std::string> bad;
  for (const auto& [target, cc] : want) {
    if (auto it = controllers_.find(target); it != controllers_.end()) {
      it->second->Update(*cc);
      continue;
    }
    auto c = Controller::Create(
        io_, *cc,
        [this](Conn::Socket s, const std::string& peer, Controller* ctl) {
          return Adopt(std::move(s), peer, ctl);
        },
        [this] {
          if (on_change_) on_change_();
        });
    if (!c.ok()) {
      bad[target] = c.status().message();
      if (!bad_targets_.count(target) || bad_targets_[target] != bad[target])
        problems.push_back(fmt::format("bridge {}: controller \"{}\": {}", bridge_, target,
                                       c.status().message()));
      continue;
    }
    VS_LOG_INFO(kLog, "bridge {}: added controller {}", bridge_, target);
    controllers_[target] = std::move(*c);
  }
  bad_targets_ = std::move(bad);
  const bool has = !controllers_.empty();
  if (!configured_) {
    if (has || cfg.fail_secure) FlushFlows(false);  // the new bridge's NORMAL flow goes
  } else if (has != had || (cfg.fail_secure != fail_secure_ && !has)) {
    FlushFlows(!has && !cfg.fail_secure);
  }
  configured_ = true;
  fail_secure_ = cfg.fail_secure;
  UpdateFailOpen();
  return problems;
}

void Ofproto::FlushFlows(bool normal) {
  dp::FlowSpec all;
  if (auto n = dp_->DelFlowSpec(bridge_, all, false); !n.ok())
    VS_LOG_WARN(kLog, "bridge {}: flushing flows: {}", bridge_, n.status().message());
  if (!normal) return;
  if (auto r = dp_->AddFlow(bridge_, "priority=0,actions=NORMAL"); !r.ok())
    VS_LOG_WARN(kLog, "bridge {}: adding the NORMAL flow: {}", bridge_, r.status().message());
}

void Ofproto::UpdateFailOpen() {
  bool any = false;
  for (const auto& [t, c] : controllers_) any = any || c->connected();
  bool on = !fail_secure_ && !controllers_.empty() && !any;
  if (on == fail_open_) return;
  fail_open_ = on;
  VS_LOG_INFO(kLog, "bridge {}: {} fail-open mode", bridge_, on ? "entering" : "leaving");
  if (Status s = dp_->SetFailOpen(bridge_, on); !s.ok())
    VS_LOG_WARN(kLog, "bridge {}: fail-open: {}", bridge_, s.message());
}

std::vector<ControllerStatus> Ofproto::ControllerStatuses() const {
  std::vector<ControllerStatus> out;
  for (const auto& [t, c] : controllers_) out.push_back(c->Status());
  for (const auto& [t, why] : bad_targets_) {
    ControllerStatus st;
    st.target = t;
    st.status["state"] = "VOID";
    st.status["last_error"] = why;
    out.push_back(std::move(st));
  }
  return out;
}

PortMap Ofproto::Ports() const {
  PortMap pm;
  pm.max_ports = dp_->options().max_ports;
  if (auto id = dp_->PortId(bridge_)) pm.local_dp_id = *id;
  return pm;
}

void Ofproto::OnMessage(Conn& c, const of::Message& m, of::ByteView raw) {
  const uint8_t v = c.version();
  const uint32_t xid = m.header.xid;
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, of::EchoRequest>) {
          c.Send(of::EncodeEcho(v, of::kEchoReply, xid, b.data));
        } else if constexpr (std::is_same_v<T, of::FeaturesRequest>) {
          of::FeaturesReply f;
          f.datapath_id = dpid_, f.n_tables = 1;
          f.capabilities = of::kCapFlowStats | of::kCapTableStats | of::kCapPortStats;
          if (v == of::kOf10) {
            f.capabilities |= of::kCapArpMatchIp;
            f.actions10 = 0x3f;  // output, set_vlan_vid/pcp, strip_vlan, set_dl_src/dst
            f.ports = PortDescs(v);
          }
          c.Send(of::EncodeFeaturesReply(v, xid, f));
        } else if constexpr (std::is_same_v<T, of::GetConfigRequest>) {
          c.Send(of::EncodeGetConfigReply(v, xid, c.config));
        } else if constexpr (std::is_same_v<T, of::SetConfig>) {
          if (b.flags & 3) return c.SendError(Err::kConfigBadFlags, raw);  // frag drop/reasm
          c.config = b;
        } else if constexpr (std::is_same_v<T, of::BarrierRequest>) {
          // Every earlier request is done: they are handled in order, synchronously.
          uint8_t type = v == of::kOf10 ? uint8_t{of::kBarrierReply10} : uint8_t{of::kBarrierReply};
          c.Send(of::EncodeEmpty(v, type, xid));
        } else if constexpr (std::is_same_v<T, of::FlowMod>) {
          OnFlowMod(c, b, raw);
        } else if constexpr (std::is_same_v<T, of::MultipartRequest>) {
          OnMultipart(c, m, raw);
        } else if constexpr (std::is_same_v<T, of::RoleRequest>) {
          OnRole(c, m, raw);
        } else if constexpr (std::is_same_v<T, of::SetFlowFormat>) {
          c.flow_format = b.format;
        } else if constexpr (std::is_same_v<T, of::FlowModTableId>) {
          c.flow_mod_table_id = b.enable;
        } else if constexpr (std::is_same_v<T, of::SetPacketInFormat>) {
          c.packet_in_format = b.format;  // numavs sends no packet-ins yet
        } else if constexpr (std::is_same_v<T, of::GroupMod>) {
          c.SendError(Err::kGroupBadType, raw);  // no group types are supported yet
        } else if constexpr (std::is_same_v<T, of::PacketOut>) {
          c.SendError(Err::kBadType, raw);  // packet-out is not supported yet
        } else if constexpr (std::is_same_v<T, of::ErrorMsg>) {
          VS_LOG_INFO(kLog, "bridge {}: {} sent error type {} code {}", bridge_, c.peer(), b.type,
                      b.code);
        }
        // HELLO after negotiation and ECHO_REPLY need no answer.
      },
      m.body);
}

void Ofproto::OnRole(Conn& c, const of::Message& m, of::ByteView raw) {
  of::RoleRequest rr = std::get<of::RoleRequest>(m.body);
  uint32_t role = rr.role;
  if (rr.nx) role = rr.role == 1 ? of::kRoleMaster : rr.role == 2 ? of::kRoleSlave : of::kRoleEqual;
  if (role == of::kRoleMaster || role == of::kRoleSlave) {
    if (have_generation_ && static_cast<int64_t>(rr.generation_id - generation_id_) < 0)
      return c.SendError(Err::kRoleStale, raw);
    have_generation_ = true;
    generation_id_ = rr.generation_id;
  }
  if (role != of::kRoleNoChange) {
    if (role == of::kRoleMaster)
      for (auto& [id, o] : conns_)
        if (o.get() != &c && o->role == of::kRoleMaster) o->role = of::kRoleSlave;
    c.role = role;
  }
  of::RoleRequest reply = rr;
  reply.generation_id = generation_id_;
  reply.role = rr.nx ? (c.role == of::kRoleMaster ? 1 : c.role == of::kRoleSlave ? 2 : 0) : c.role;
  c.Send(of::EncodeRoleReply(c.version(), m.header.xid, reply));
}

void Ofproto::OnFlowMod(Conn& c, const of::FlowMod& fm_in, of::ByteView raw) {
  if (c.role == of::kRoleSlave) return c.SendError(Err::kIsSlave, raw);
  of::FlowMod fm = fm_in;
  const bool del = fm.command == of::kFmDelete || fm.command == of::kFmDeleteStrict;
  if (fm.format != of::FlowFormat::kOxm) {
    // OF1.0 / NXM: the table id rides in the command's high byte once enabled.
    if (!c.flow_mod_table_id && fm.table_id != 0) return c.SendError(Err::kFmBadCommand, raw);
    if (!c.flow_mod_table_id) fm.table_id = del ? of::kTableAll : 0;
  }
  of::OfResult<bool> r = true;
  if (fm.command == of::kFmAdd) r = AddFlow(fm, c.version());
  else if (del) r = DeleteFlows(fm, c.version());
  else r = ModifyFlows(fm, c.version());
  if (!r.ok()) {
    VS_LOG_DBG(kLog, "bridge {}: flow_mod refused: {} ({})", bridge_, r.error().detail,
               of::ErrName(r.error().kind));
    c.SendError(r.error().kind, raw);
  }
}

namespace {

// Checks what add and modify share; fills the datapath spec.
of::OfResult<dp::FlowSpec> SpecOf(const of::FlowMod& fm, uint8_t version, const PortMap& ports) {
  if (fm.table_id != 0)
    return Fail(Err::kFmBadTableId, fmt::format("table {}: numavs has table 0 only", fm.table_id));
  if (fm.buffer_id != of::kNoBuffer)
    return Fail(Err::kBufferUnknown, "numavs buffers no packets (n_buffers is 0)");
  if (fm.idle_timeout || fm.hard_timeout)
    return Fail(Err::kFmBadTimeout, "numavs does not expire flows yet (idle/hard timeouts)");
  uint16_t refused = of::kFmfSendFlowRem | of::kFmfCheckOverlap;
  if (version == of::kOf10) refused |= 1 << 2;  // OFPFF_EMERG
  if (fm.flags & refused)
    return Fail(Err::kFmBadFlags, fmt::format("flow_mod flags {:#x}: numavs supports none of "
                                              "send_flow_rem, check_overlap, emergency", fm.flags));
  if (fm.importance) return Fail(Err::kFmUnknown, "numavs does not evict flows (importance)");
  auto match = MatchToDp(fm.match, ports);
  if (!match.ok()) return match.error();
  auto acts = InstructionsToDp(fm.instructions, *match, ports);
  if (!acts.ok()) return acts.error();
  dp::FlowSpec spec;
  spec.priority = fm.priority, spec.has_priority = true;
  spec.cookie = fm.cookie;
  spec.match = *match;
  spec.actions = std::move(*acts);
  spec.has_actions = true;
  return spec;
}

bool CookieOk(const dp::Rule& r, const of::FlowMod& fm) {
  return (r.cookie & fm.cookie_mask) == (fm.cookie & fm.cookie_mask);
}

}  // namespace

of::OfResult<bool> Ofproto::AddFlow(const of::FlowMod& fm, uint8_t version) {
  auto spec = SpecOf(fm, version, Ports());
  if (!spec.ok()) return spec.error();
  auto r = dp_->AddFlowSpecs(bridge_, {*spec});
  if (!r.ok()) return Fail(Err::kFmUnknown, r.status().message());
  return true;
}

of::OfResult<bool> Ofproto::ModifyFlows(const of::FlowMod& fm, uint8_t version) {
  auto spec = SpecOf(fm, version, Ports());
  if (!spec.ok()) return spec.error();
  auto rules = dp_->Rules(bridge_);
  if (!rules.ok()) return Fail(Err::kFmUnknown, rules.status().message());
  const bool strict = fm.command == of::kFmModifyStrict;
  std::vector<dp::FlowSpec> changed;
  for (const auto& r : (*rules)->All()) {
    if (r->table != 0) continue;  // the wire side serves table 0 only yet
    bool hit = strict ? r->priority == spec->priority && r->match == spec->match
                      : dp::MatchCovers(spec->match, r->match);
    if (!hit || !CookieOk(*r, fm)) continue;
    dp::FlowSpec s = *spec;
    s.priority = r->priority, s.match = r->match, s.cookie = r->cookie;
    changed.push_back(std::move(s));
  }
  // OpenFlow 1.0 (and NXM): modifying nothing adds the flow; 1.1+ does nothing.
  if (changed.empty() && fm.format != of::FlowFormat::kOxm) changed.push_back(*spec);
  if (changed.empty()) return true;
  auto r = dp_->AddFlowSpecs(bridge_, changed);
  if (!r.ok()) return Fail(Err::kFmUnknown, r.status().message());
  return true;
}

of::OfResult<bool> Ofproto::DeleteFlows(const of::FlowMod& fm, uint8_t version) {
  if (fm.table_id != 0 && fm.table_id != of::kTableAll)
    return Fail(Err::kFmBadTableId, fmt::format("table {}: numavs has table 0 only", fm.table_id));
  PortMap ports = Ports();
  auto match = MatchToDp(fm.match, ports);
  if (!match.ok()) return match.error();
  if (fm.out_group != of::kGroupAny) return true;  // no rule outputs to a group
  const bool strict = fm.command == of::kFmDeleteStrict;
  dp::FlowSpec spec;
  spec.priority = fm.priority;
  spec.match = *match;
  spec.cookie = fm.cookie, spec.cookie_mask = fm.cookie_mask;
  if (fm.out_port == of::kPortAny) {
    auto n = dp_->DelFlowSpec(bridge_, spec, strict);
    if (!n.ok()) return Fail(Err::kFmUnknown, n.status().message());
    return true;
  }
  // With an out_port filter: the rules it selects, one strict delete each.
  auto rules = dp_->Rules(bridge_);
  if (!rules.ok()) return Fail(Err::kFmUnknown, rules.status().message());
  std::vector<dp::FlowSpec> victims;
  for (const auto& r : (*rules)->All()) {
    if (r->table != 0) continue;  // the wire side serves table 0 only yet
    bool hit = strict ? r->priority == spec.priority && r->match == spec.match
                      : dp::MatchCovers(spec.match, r->match);
    if (!hit || !CookieOk(*r, fm) || !OutputsTo(r->actions, fm.out_port, ports)) continue;
    dp::FlowSpec v;
    v.priority = r->priority, v.match = r->match;
    victims.push_back(v);
  }
  for (const dp::FlowSpec& v : victims) (void)dp_->DelFlowSpec(bridge_, v, true);
  return true;
}

of::OfResult<std::vector<of::Bytes>> Ofproto::FlowStats(const of::MultipartRequest& mp,
                                                        uint8_t version, bool aggregate) {
  const of::FlowStatsRequest& f = mp.flow;
  std::vector<of::Bytes> out;
  if (f.table_id != 0 && f.table_id != of::kTableAll)
    return Fail(Err::kBadTableId, fmt::format("table {}: numavs has table 0 only", f.table_id));
  PortMap ports = Ports();
  auto match = MatchToDp(f.match, ports);
  if (!match.ok()) return match.error();
  auto rules = dp_->Rules(bridge_);
  if (!rules.ok()) return Fail(Err::kEperm, rules.status().message());
  of::AggregateStats agg;
  uint64_t now = dp_->Now();
  for (const auto& r : (*rules)->All()) {
    if (r->table != 0) continue;  // the wire side serves table 0 only yet
    if (!dp::MatchCovers(*match, r->match)) continue;
    if ((r->cookie & f.cookie_mask) != (f.cookie & f.cookie_mask)) continue;
    if (f.out_port != of::kPortAny && !OutputsTo(r->actions, f.out_port, ports)) continue;
    if (f.out_group != of::kGroupAny) continue;
    if (aggregate) {
      agg.packet_count += r->n_packets(), agg.byte_count += r->n_bytes(), agg.flow_count++;
      continue;
    }
    of::FlowStats s;
    uint64_t age = now > r->created_ns ? now - r->created_ns : 0;
    s.duration_sec = static_cast<uint32_t>(age / 1000000000);
    s.duration_nsec = static_cast<uint32_t>(age % 1000000000 / 1000000 * 1000000);  // ms, as OVS
    s.priority = r->priority, s.cookie = r->cookie;
    s.packet_count = r->n_packets(), s.byte_count = r->n_bytes();
    s.match = MatchFromDp(r->match, ports, TlvFormatOf(f.format));
    of::Actions acts = ActionsFromDp(r->actions, r->match, ports, version);
    if (!acts.empty()) s.instructions.apply = std::move(acts);
    auto e = of::EncodeFlowStats(version, f.format, s);
    if (!e.ok()) return e.error();
    out.push_back(std::move(*e));
  }
  if (aggregate) out.push_back(of::EncodeAggregate(version, agg));
  return out;
}

std::vector<of::PortDesc> Ofproto::PortDescs(uint8_t version) const {
  PortMap pm = Ports();
  std::vector<of::PortDesc> out;
  for (const PortState& p : ports_()) {
    of::PortDesc d;
    d.port_no = pm.ToOf(p.dp_id);
    std::copy(p.mac, p.mac + 6, d.hw_addr);
    d.name = p.name;
    d.config = p.admin_up ? 0 : of::kPortConfigDown;
    d.state = p.link_up ? (version == of::kOf10 ? 0 : of::kPortStateLive) : of::kPortStateLinkDown;
    out.push_back(std::move(d));
  }
  // LOCAL first, then by number (as OVS lists a small bridge).
  std::stable_sort(out.begin(), out.end(), [](const of::PortDesc& a, const of::PortDesc& b) {
    return (a.port_no == of::kPortLocal) != (b.port_no == of::kPortLocal)
               ? a.port_no == of::kPortLocal
               : a.port_no < b.port_no;
  });
  return out;
}

of::OfResult<std::vector<of::Bytes>> Ofproto::PortStats(uint32_t port, uint8_t version) const {
  PortMap pm = Ports();
  std::vector<of::PortStats> all;
  uint64_t now = dp_->Now();
  for (const PortState& p : ports_()) {
    of::PortStats s;
    s.port_no = pm.ToOf(p.dp_id);
    if (port != of::kPortAny && port != s.port_no) continue;
    const auto& st = p.stats;
    s.rx_packets = Stat(st, "rx_packets"), s.tx_packets = Stat(st, "tx_packets");
    s.rx_bytes = Stat(st, "rx_bytes"), s.tx_bytes = Stat(st, "tx_bytes");
    s.rx_dropped = Stat(st, "rx_dropped"), s.tx_dropped = Stat(st, "tx_dropped");
    s.rx_errors = Stat(st, "rx_errors"), s.tx_errors = Stat(st, "tx_errors");
    s.rx_frame_err = Stat(st, "rx_frame_err"), s.rx_over_err = Stat(st, "rx_over_err");
    s.rx_crc_err = Stat(st, "rx_crc_err"), s.collisions = Stat(st, "collisions");
    uint64_t age = now > p.added_ns ? now - p.added_ns : 0;
    s.duration_sec = static_cast<uint32_t>(age / 1000000000);
    s.duration_nsec = static_cast<uint32_t>(age % 1000000000 / 1000000 * 1000000);  // ms, as OVS
    all.push_back(s);
  }
  if (port != of::kPortAny && all.empty())
    return Fail(Err::kBadPort, fmt::format("no port {} on bridge {}", port, bridge_));
  std::stable_sort(all.begin(), all.end(), [](const of::PortStats& a, const of::PortStats& b) {
    return (a.port_no == of::kPortLocal) != (b.port_no == of::kPortLocal)
               ? a.port_no == of::kPortLocal
               : a.port_no < b.port_no;
  });
  std::vector<of::Bytes> out;
  for (const auto& s : all) out.push_back(of::EncodePortStats(version, s));
  return out;
}

void Ofproto::OnMultipart(Conn& c, const of::Message& m, of::ByteView raw) {
  const auto& mp = std::get<of::MultipartRequest>(m.body);
  const uint8_t v = c.version();
  of::OfResult<std::vector<of::Bytes>> entries = std::vector<of::Bytes>{};
  switch (mp.type) {
    case of::kMpDesc:
      entries->push_back(of::EncodeDesc(of::Desc{"numavs", "numavs userspace switch (DPDK)",
                                                 "numavs 0.1.0", "None", bridge_}));
      break;
    case of::kMpFlow: entries = FlowStats(mp, v, false); break;
    case of::kMpAggregate: entries = FlowStats(mp, v, true); break;
    case of::kMpTable: {
      auto rules = dp_->Rules(bridge_);
      of::TableStats t;
      t.wildcards = 0x3fffff, t.max_entries = 1000000;  // no name, as OVS's tables
      t.active_count = rules.ok() ? static_cast<uint32_t>((*rules)->size()) : 0;
      t.lookup_count = ~0ull;  // not counted by the datapath (the spec's "unavailable")
      if (rules.ok())
        for (const auto& r : (*rules)->All()) t.matched_count += r->n_packets();
      entries->push_back(of::EncodeTableStats(v, t));
      break;
    }
    case of::kMpTableFeatures:
      if (mp.body_len) return c.SendError(Err::kTableFeaturesEperm, raw);
      // Table 0 without properties (ovs-ofctl refuses an empty reply); no name, as OVS.
      entries->push_back(of::EncodeTableFeatures(v, TableZeroFeatures()));
      break;
    case of::kMpPortStats: entries = PortStats(mp.port_no, v); break;
    case of::kMpPortDesc:
      for (const of::PortDesc& d : PortDescs(v))
        if (mp.port_no == of::kPortAny || mp.port_no == d.port_no)
          entries->push_back(of::EncodePortDesc(v, d));
      break;
    case of::kMpQueue: case of::kMpGroup: case of::kMpGroupDesc: case of::kMpMeter:
    case of::kMpMeterConfig:
      break;  // none configured
    case of::kMpGroupFeatures: entries->push_back(of::EncodeGroupFeatures({})); break;
    case of::kMpMeterFeatures: entries->push_back(of::EncodeMeterFeatures(v, {})); break;
    default: return c.SendError(Err::kBadMultipart, raw);
  }
  if (!entries.ok()) return c.SendError(entries.error().kind, raw);
  for (of::Bytes& msg : of::EncodeMultipartReply(m.header, mp, *entries)) c.Send(std::move(msg));
}

}  // namespace vs::ofproto
