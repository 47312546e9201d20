#include "switchd/switchd.h"

#include <fmt/format.h>

#include <cstring>
#include <fstream>

#include "base/coverage.h"
#include "base/log.h"
#include "netdev/registry.h"
#include "numa/appctl.h"
#include "numa/eal_log.h"
#include "switchd/identity.h"

namespace vs::switchd {
namespace {

log::Module& kLog = log::GetModule("bridge");
// OVS's names: reconfigurations, datapath ports, and the outcome of the switch's
// transactions to the database (ovsdb-idl's txn_*).
VS_COVERAGE_DEFINE(bridge_reconfigure);
VS_COVERAGE_DEFINE(dpif_port_add);
VS_COVERAGE_DEFINE(dpif_port_del);
VS_COVERAGE_DEFINE(txn_success);
VS_COVERAGE_DEFINE(txn_error);
log::Module& kPmdLog = log::GetModule("dpif_netdev");
constexpr int64_t kOfportLocal = 65534;

using ovsdb::client::GetBool;
using ovsdb::client::GetInteger;
using ovsdb::client::GetOptionalInteger;
using ovsdb::client::GetString;
using ovsdb::client::GetStringMap;
using ovsdb::client::MakeSet;
using ovsdb::client::MakeStringMap;
using ovsdb::client::MakeUuid;

Json WhereUuid(const Uuid& u) { return Json::array({Json::array({"_uuid", "==", MakeUuid(u)})}); }

Json OptionalString(const std::string& s) {
  return s.empty() ? MakeSet({}) : Json(s);
}

netdev::Config NetdevConfig(const InterfaceConfig& c) {
  return netdev::Config{c.name, c.type, c.options, c.mtu_request, c.mac};
}

// PMD threads poll its rx queues or send on its tx queues.
bool Polled(const netdev::Netdev& d) { return d.n_rxq() > 0 || d.n_txq() > 0; }

}  // namespace

Switchd::Switchd(asio::io_context& io, std::string db_remote, std::string sysfs_root)
    : Switchd(io,
              std::make_unique<ovsdb::client::Idl>(io, std::move(db_remote), "Open_vSwitch",
                                                   MonitoredTables()),
              std::move(sysfs_root)) {}

Switchd::Switchd(asio::io_context& io, std::unique_ptr<ovsdb::client::Replica> db,
                 std::string sysfs_root)
    : io_(io),
      db_(std::move(db)),
      idl_(*db_),
      ctx_(std::move(sysfs_root)),
      pmd_tick_(io),
      tick_(io) {}

Switchd::~Switchd() {
  if (pmds_) pmds_->Stop();
  for (auto& [u, in] : ifaces_) in.dev.reset();
}

Status Switchd::Start() {
  auto dp = dp::Datapath::Create();
  if (!dp.ok()) return dp.status();
  dp_ = std::move(*dp);
  pmds_ = std::make_unique<PmdThreads>(*dp_);
  // A device's reconfiguration request (any thread) wakes the loop.
  ctx_.set_notifier([this] { asio::post(io_, [this] { OnDbChange(); }); });
  Tick();
  PmdIntervalTick();
  return idl_.Start([this] { OnDbChange(); });
}

void Switchd::Tick() {
  tick_.expires_after(std::chrono::seconds(1));
  tick_.async_wait([this](std::error_code ec) {
    if (ec) return;
    dp_->Run();
    SampleFlowCount();
    // Every 5 s, refresh what users read (statistics, link state); at once
    // when a link changed or a device wants reopening.
    if (++ticks_ % 5 == 0 || PollLinks()) OnDbChange();
    Tick();
  });
}

bool Switchd::PollLinks() {
  bool changed = false;
  for (auto& [uuid, in] : ifaces_) {
    if (!in.dev) {
      in.link_up.reset();
      continue;
    }
    bool up = in.dev->link_up();
    if (in.link_up != up) {
      if (in.link_up) {
        auto st = in.dev->Status();
        auto why = st.find("link_reason");
        VS_LOG_INFO(kLog, "interface {}: link state changed to {}{}", in.cfg.name, up ? "up" : "down",
                    why != st.end() ? " (" + why->second + ")" : "");
      }
      in.link_up = up;
      changed = true;
    }
    if (in.dev->reopen_wanted()) changed = true;
  }
  return changed;
}

void Switchd::OnDbChange() {
  if (txn_in_flight_) {
    dirty_ = true;
    return;
  }
  Reconcile();
}

int64_t Switchd::OfportOf(const Iface& in) const {
  if (!in.dev || in.dp_port == dp::kNoPort) return -1;
  if (in.cfg.type == "internal" && in.cfg.name == in.bridge) return kOfportLocal;
  return in.dp_port;
}

void Switchd::CloseInterface(Iface* in) {
  if (in->dev && Polled(*in->dev)) pmds_->Stop();  // no PMD may use a closing device
  if (in->dev && in->cfg.type == "dpdk") {
    auto dv = in->cfg.options.find("dpdk-devargs");
    if (dv != in->cfg.options.end()) released_devices_.insert(dv->second.substr(0, dv->second.find(',')));
  }
  in->admin_down = false;
  if (in->dp_port != dp::kNoPort) {
    if (Status s = dp_->DelPort(in->cfg.name); !s.ok())
      VS_LOG_WARN(kLog, "datapath: removing port {}: {}", in->cfg.name, s.message());
    else
      VS_COVERAGE_INC(dpif_port_del);
    in->dp_port = dp::kNoPort;
  }
  in->dev.reset();
}

void Switchd::ApplyInterface(const BridgeConfig& b, const PortConfig& p, const InterfaceConfig& cfg,
                             Iface* in) {
  int tag = p.tag ? static_cast<int>(*p.tag) : -1;
  std::vector<uint16_t> trunks;
  for (int64_t t : p.trunks)
    if (t >= 0 && t < 4096) trunks.push_back(static_cast<uint16_t>(t));
  // A device that would be opened differently now (an internal port opened
  // as a plain TAP before DPDK ran) is reopened.
  const bool reopen = in->dev && in->dev->reopen_wanted();
  const bool changed = !(in->cfg == cfg) || in->bridge != b.name || reopen;
  if (in->dev && !changed) {
    if (in->tag != tag || in->trunks != trunks) {
      in->tag = tag;
      in->trunks = trunks;
      if (Status s = dp_->SetPortVlan(cfg.name, tag, trunks); !s.ok())
        VS_LOG_WARN(kLog, "bridge {}: port {}: {}", b.name, cfg.name, s.message());
    }
    return;  // running and untouched
  }
  if (in->dev && !reopen && in->bridge == b.name && in->cfg.type == cfg.type &&
      in->cfg.name == cfg.name && in->cfg.ofport_request == cfg.ofport_request &&
      in->dev->Reconfigure(NetdevConfig(cfg))) {
    VS_LOG_INFO(kLog, "bridge {}: reconfigured interface {}", b.name, cfg.name);
    in->cfg = cfg;
    return;
  }
  if (in->dev) {
    VS_LOG_INFO(kLog, "bridge {}: reopening interface {}", b.name, cfg.name);
    CloseInterface(in);
  }
  // A failed interface is retried on every reconciliation, as in OVS: the
  // fix may be elsewhere (memory, DPDK settings) or outside the database.
  in->cfg = cfg;
  in->bridge = b.name;
  in->tag = tag;
  in->trunks = trunks;
  // An internal interface's kernel interface is held across reopenings.
  if (cfg.type != "internal" || (in->hold && in->hold->name() != cfg.name)) in->hold.reset();
  Status held = Status::Ok();
  if (cfg.type == "internal" && !in->hold) {
    auto h = netdev::HoldKernelInterface(cfg.name);
    if (h.ok()) in->hold = std::move(*h);
    else held = h.status();
  }
  Result<std::unique_ptr<netdev::Netdev>> dev =
      held.ok() ? netdev::Open(ctx_, NetdevConfig(cfg)) : Result<std::unique_ptr<netdev::Netdev>>(held);
  if (dev.ok()) {
    dp::PortConfig pc;
    pc.name = cfg.name;
    pc.tag = tag;
    pc.trunks = trunks;
    if (cfg.ofport_request && *cfg.ofport_request >= 1 &&
        *cfg.ofport_request < dp_->options().max_ports)
      pc.id = static_cast<uint32_t>(*cfg.ofport_request);
    Result<uint32_t> id = Status(ENOSPC, "no free datapath port");
    if (cfg.type == "internal" && cfg.name == b.name) {
      // The bridge's LOCAL port (ofport 65534) takes datapath numbers from the
      // top, so that the other ports are numbered 1, 2, ... as in OVS.
      for (uint32_t n = dp_->options().max_ports - 1; n >= 1 && !id.ok(); n--) {
        pc.id = n;
        id = dp_->AddPort(b.name, pc);
        if (!id.ok() && id.status().code() != EEXIST) break;
      }
    } else {
      id = dp_->AddPort(b.name, pc);
      if (!id.ok() && pc.id != dp::kNoPort) {  // requested number taken: any number
        pc.id = dp::kNoPort;
        id = dp_->AddPort(b.name, pc);
      }
    }
    if (!id.ok()) {
      dev = Status(id.status().code(), fmt::format("could not add {} to the datapath: {}",
                                                   cfg.name, id.status().message()));
    } else {
      in->dp_port = *id;
      in->added_ns = dp_->Now();
      VS_COVERAGE_INC(dpif_port_add);
    }
  }
  if (dev.ok()) {
    in->dev = std::move(*dev);
    if (!in->error.empty()) VS_LOG_INFO(kLog, "bridge {}: interface {} is up now", b.name, cfg.name);
    else VS_LOG_INFO(kLog, "bridge {}: added interface {} on port {}", b.name, cfg.name, OfportOf(*in));
    in->error.clear();
  } else {
    if (in->error != dev.status().message())
      VS_LOG_WARN(kLog, "bridge {}: {}", b.name, dev.status().message());
    in->error = dev.status().message();
  }
}

// Devices that asked for a reconfiguration (netdev.h) apply it now, with no
// PMD using them; UpdatePmds() then re-homes their queues.
void Switchd::ApplyRequests() {
  for (auto& [u, in] : ifaces_) {
    if (!in.dev || !in.dev->reconfigure_requested()) continue;
    if (Polled(*in.dev)) pmds_->Stop();
    Status s = in.dev->ApplyRequest();
    if (s.ok()) {
      VS_LOG_INFO(kLog, "bridge {}: interface {} reconfigured (NUMA node {}, {} rx queue(s))",
                  in.bridge, in.cfg.name, in.dev->numa_node(), in.dev->n_rxq());
    } else if (in.error != s.message()) {
      VS_LOG_WARN(kLog, "bridge {}: {}", in.bridge, s.message());
    }
    in.error = s.ok() ? "" : s.message();
  }
}

void Switchd::UpdatePmds(const SwitchConfig& cfg) {
  ReadPmdOptions(cfg);
  auto plan = PlanPmds(PmdPorts(), cfg, false);
  if (!plan.ok()) {
    if (pmd_error_ != plan.status().message()) VS_LOG_ERR(kLog, "{}", plan.status().message());
    pmd_error_ = plan.status().message();
    return;  // keep the current PMDs
  }
  pmd_error_.clear();
  std::string warnings = fmt::format("{}", fmt::join(plan->warnings, "; "));
  if (warnings != pmd_warnings_)
    for (const auto& w : plan->warnings) VS_LOG_WARN(kLog, "PMD threads: {}", w);
  pmd_warnings_ = warnings;
  if (!plan->SameAssignment(pmds_->plan()) || pmd_rebalance_)
    for (const auto& line : plan->log) VS_LOG_INFO(kPmdLog, "{}", line);
  pmd_rebalance_ = false;
  if (Status s = pmds_->Apply(*plan); !s.ok()) VS_LOG_ERR(kLog, "PMD threads: {}", s.message());
}

void Switchd::Reconcile() {
  SwitchConfig cfg = ReadConfig(idl_);
  if (!cfg.present) return;
  VS_COVERAGE_INC(bridge_reconfigure);
  applied_seqno_ = idl_.seqno();
  (void)ctx_.Configure(cfg.other_config);  // failures are logged and reported by dpdk ports
  if (ctl_ && !memory_commands_ && ctx_.registry()) {
    numa::RegisterMemoryCommands(*ctl_, *ctx_.registry());
    memory_commands_ = true;
  }
  UpdateFindings();
  std::set<std::string> wanted_bridges;
  for (const auto& b : cfg.bridges) wanted_bridges.insert(b.name);
  std::set<Uuid> wanted_ifaces;
  for (const auto& b : cfg.bridges)
    for (const auto& p : b.ports)
      for (const auto& i : p.interfaces) wanted_ifaces.insert(i.uuid);
  for (auto it = ifaces_.begin(); it != ifaces_.end();) {
    if (!wanted_ifaces.count(it->first)) {
      VS_LOG_INFO(kLog, "bridge {}: deleted interface {}", it->second.bridge, it->second.cfg.name);
      CloseInterface(&it->second);
      it = ifaces_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = bridges_.begin(); it != bridges_.end();) {
    if (!wanted_bridges.count(*it)) {
      VS_LOG_INFO(kLog, "deleted bridge {}", *it);
      ofprotos_.erase(*it);
      if (Status s = dp_->DelBridge(*it); !s.ok()) VS_LOG_WARN(kLog, "datapath: {}", s.message());
      it = bridges_.erase(it);
    } else {
      ++it;
    }
  }
  for (const BridgeConfig& bc : cfg.bridges) {
    if (!bridges_.count(bc.name)) {
      if (Status s = dp_->AddBridge(bc.name); !s.ok()) {
        VS_LOG_ERR(kLog, "could not add bridge {}: {}", bc.name, s.message());
        continue;
      }
      bridges_.insert(bc.name);
      OpenOfproto(bc.name);
      VS_LOG_INFO(kLog, "added bridge {} (datapath_type={})", bc.name,
                  bc.datapath_type.empty() ? "system" : bc.datapath_type);
      if (bc.datapath_type != "netdev")
        VS_LOG_WARN(kLog, "bridge {}: datapath_type \"{}\" is run by numavs's userspace datapath "
                    "(set datapath_type=netdev to say so)", bc.name, bc.datapath_type);
    }
    for (const PortConfig& pc : bc.ports) {
      for (const InterfaceConfig& ic : pc.interfaces) {
        auto [iit, fresh] = ifaces_.try_emplace(ic.uuid);
        Iface& in = iit->second;
        if (!fresh && in.bridge != bc.name) CloseInterface(&in);  // moved to another bridge
        if (std::string why = Refusal(pc, ic); !why.empty()) Refuse(bc, ic, why, &in);
        else ApplyInterface(bc, pc, ic, &in);
      }
    }
  }
  for (const BridgeConfig& bc : cfg.bridges) ConfigureOfproto(bc);
  ApplyRequests();
  UpdatePmds(cfg);
  Json ops = WriteBackOps(cfg);
  if (ops.empty()) return;
  txn_in_flight_ = true;
  idl_.Transact(std::move(ops), [this](Result<Json> r) {
    txn_in_flight_ = false;
    bool refused = !r.ok();
    for (const Json& res : r.ok() ? *r : Json::array())
      if (res.is_object() && res.contains("error")) refused = true;
    if (refused) VS_COVERAGE_INC(txn_error);
    else VS_COVERAGE_INC(txn_success);
    if (!r.ok()) {
      VS_LOG_WARN(kLog, "could not write the switch state to the database: {}",
                  r.status().message());
    } else {
      for (const Json& res : *r) {
        if (res.is_object() && res.contains("error")) {
          VS_LOG_WARN(kLog, "database refused the switch state: {}", JsonToString(res));
          break;
        }
      }
    }
    if (dirty_) {
      dirty_ = false;
      Reconcile();
    }
  });
}

void Switchd::OpenOfproto(const std::string& bridge) {
  auto ports = [this, bridge] {
    std::vector<ofproto::PortState> out;
    for (const auto& [u, in] : ifaces_) {
      if (in.bridge != bridge || !in.dev || in.dp_port == dp::kNoPort) continue;
      ofproto::PortState p;
      p.dp_id = in.dp_port;
      p.name = in.cfg.name;
      p.link_up = in.dev->link_up();
      p.stats = in.dev->Statistics();
      p.added_ns = in.added_ns;
      out.push_back(std::move(p));
    }
    return out;
  };
  std::string path = fmt::format("{}/{}.mgmt", ctl::DefaultRunDir(), bridge);
  auto of = ofproto::Ofproto::Create(io_, bridge, path, dp_.get(), std::move(ports));
  if (!of.ok()) {
    VS_LOG_ERR(kLog, "{} (OpenFlow clients such as ovs-ofctl cannot reach this bridge)",
               of.status().message());
    return;
  }
  (*of)->set_on_change([this] { asio::post(io_, [this] { OnDbChange(); }); });
  ofprotos_[bridge] = std::move(*of);
}

void Switchd::ConfigureOfproto(const BridgeConfig& bc) {
  auto it = ofprotos_.find(bc.name);
  if (it == ofprotos_.end()) return;
  ofproto::OfprotoConfig oc;
  oc.fail_secure = bc.fail_mode == "secure";
  for (const ControllerRow& r : bc.controllers) oc.controllers.push_back(r.cfg);
  std::string warning;
  if (!bc.protocols.empty()) {
    oc.versions = 0;
    std::vector<std::string> unsupported;
    for (const std::string& p : bc.protocols) {
      if (p.size() == 10 && p.rfind("OpenFlow1", 0) == 0 && p[9] >= '0' && p[9] <= '5') {
        uint32_t bit = 1u << (p[9] - '0' + 1);
        if (bit & openflow::kSupportedVersions) oc.versions |= bit;
        else unsupported.push_back(p);
      }
    }
    if (!unsupported.empty())
      warning = fmt::format("bridge {}: protocols {} are not supported by numavs (it speaks "
                            "OpenFlow10, OpenFlow13, OpenFlow14, OpenFlow15){}",
                            bc.name, fmt::join(unsupported, ", "),
                            oc.versions ? "" : ": no OpenFlow connection can be made");
  }
  if (warning != protocol_warnings_[bc.name] && !warning.empty())
    VS_LOG_WARN(kLog, "{}", warning);
  protocol_warnings_[bc.name] = warning;
  for (const std::string& p : it->second->Configure(oc)) VS_LOG_WARN(kLog, "{}", p);
}

void Switchd::AppendControllerOps(const SwitchConfig& cfg, Json* ops) const {
  const auto* rows = idl_.table("Controller");
  if (!rows) return;
  for (const BridgeConfig& bc : cfg.bridges) {
    auto of = ofprotos_.find(bc.name);
    std::map<std::string, ofproto::ControllerStatus> by_target;
    if (of != ofprotos_.end())
      for (auto& st : of->second->ControllerStatuses()) by_target[st.target] = st;
    for (const ControllerRow& r : bc.controllers) {
      auto row = rows->find(r.uuid);
      if (row == rows->end()) continue;
      ofproto::ControllerStatus st = by_target[r.cfg.target];
      Json set = Json::object();
      if (GetBool(row->second, "is_connected") != st.is_connected ||
          !row->second.contains("is_connected"))
        set["is_connected"] = st.is_connected;
      if (GetString(row->second, "role") != st.role) set["role"] = st.role;
      if (GetStringMap(row->second, "status") != st.status) set["status"] = MakeStringMap(st.status);
      if (!set.empty())
        ops->push_back({{"op", "update"}, {"table", "Controller"}, {"where", WhereUuid(r.uuid)},
                        {"row", std::move(set)}});
    }
  }
}

Json Switchd::WriteBackOps(const SwitchConfig& cfg) const {
  Json ops = Json::array();
  const auto* rows = idl_.table("Interface");
  for (const auto& [uuid, in] : ifaces_) {
    auto r = rows ? rows->find(uuid) : decltype(rows->find(uuid)){};
    if (!rows || r == rows->end()) continue;
    const Json& row = r->second;
    Json set = Json::object();
    int64_t ofport = OfportOf(in);
    if (GetOptionalInteger(row, "ofport") != std::optional<int64_t>(ofport)) set["ofport"] = ofport;
    if (GetString(row, "error") != in.error) set["error"] = OptionalString(in.error);
    std::string state = in.dev && !in.admin_down ? "up" : "down";
    if (GetString(row, "admin_state") != state) set["admin_state"] = state;
    std::string link = in.dev && in.dev->link_up() ? "up" : "down";
    if (GetString(row, "link_state") != link) set["link_state"] = link;
    std::string mac = in.dev ? in.dev->mac_in_use() : "";
    if (GetString(row, "mac_in_use") != mac) set["mac_in_use"] = OptionalString(mac);
    std::optional<int64_t> speed;
    if (in.dev) speed = in.dev->link_speed();
    if (GetOptionalInteger(row, "link_speed") != speed)
      set["link_speed"] = speed ? Json(*speed) : MakeSet({});
    std::string duplex = in.dev ? in.dev->duplex() : "";
    if (GetString(row, "duplex") != duplex) set["duplex"] = OptionalString(duplex);
    std::map<std::string, std::string> status = in.dev ? in.dev->Status()
                                                       : std::map<std::string, std::string>{};
    // Which cores poll its rx queues, and whether from another NUMA node.
    AddFindingStatus(uuid, &status);
    for (const auto& pmd : pmds_->plan().pmds) {
      for (const auto& q : pmd.rxqs) {
        if (q.port_name != in.cfg.name || !in.dev) continue;
        status[fmt::format("rxq{}_pmd_core", q.queue)] = std::to_string(pmd.core);
        if (q.remote)
          status["pmd_cross_numa"] = fmt::format(
              "true (device on node {}, polled from node {}: add a core of node {} to "
              "other_config:pmd-cpu-mask)",
              q.numa, pmd.numa, q.numa);
      }
    }
    if (GetStringMap(row, "status") != status) set["status"] = MakeStringMap(status);
    std::optional<int64_t> mtu;
    if (in.dev) mtu = in.dev->mtu();
    if (GetOptionalInteger(row, "mtu") != mtu) set["mtu"] = mtu ? Json(*mtu) : MakeSet({});
    if (in.dev) {
      Json pairs = Json::array();
      for (const auto& [k, v] : in.dev->Statistics()) pairs.push_back(Json::array({k, v}));
      Json stats = Json::array({"map", std::move(pairs)});
      if (row.value("statistics", Json()) != stats) set["statistics"] = std::move(stats);
    }
    if (!set.empty())
      ops.push_back({{"op", "update"}, {"table", "Interface"}, {"where", WhereUuid(uuid)},
                     {"row", std::move(set)}});
  }
  const auto* ovs = idl_.table("Open_vSwitch");
  if (ovs && !ovs->empty()) {
    const Json& row = ovs->begin()->second;
    Json set = Json::object();
    if (cfg.cur_cfg != cfg.next_cfg) set["cur_cfg"] = cfg.next_cfg;
    std::vector<Json> types;
    for (const auto& t : netdev::SupportedTypes()) types.push_back(t);
    Json want_types = MakeSet(types);
    if (row.value("iface_types", Json()) != want_types) set["iface_types"] = want_types;
    Json want_dp = "netdev";
    if (row.value("datapath_types", Json()) != want_dp && row.value("datapath_types", Json()) != MakeSet({"netdev"}))
      set["datapath_types"] = want_dp;
    bool dpdk_up = ctx_.dpdk_ready();
    if (GetBool(row, "dpdk_initialized") != dpdk_up || !row.contains("dpdk_initialized"))
      set["dpdk_initialized"] = dpdk_up;
    // As ovs-vswitchd: the DPDK version from the start, before DPDK is initialised.
    std::string version = ctx_.version();
    if (GetString(row, "dpdk_version") != version) set["dpdk_version"] = OptionalString(version);
    if (!set.empty())
      ops.push_back({{"op", "update"}, {"table", "Open_vSwitch"},
                     {"where", WhereUuid(cfg.ovs_uuid)}, {"row", std::move(set)}});
  }
  AppendIdentityOps(idl_, cfg, bridges_, &ops);
  AppendControllerOps(cfg, &ops);
  AppendStatusOps(&ops);
  return ops;
}

std::string Switchd::ShowText() const {
  std::string out = fmt::format("database: {}\n", idl_.StateText());
  for (const std::string& name : bridges_) {
    out += fmt::format("{}:\n", name);
    std::map<int64_t, const Iface*> by_port;
    std::vector<const Iface*> failed;
    for (const auto& [u, in] : ifaces_) {
      if (in.bridge != name) continue;
      if (in.dev) by_port[OfportOf(in)] = &in;
      else failed.push_back(&in);
    }
    for (const auto& [port, in] : by_port)
      out += fmt::format("  {} {}: ({})\n", in->cfg.name, port, in->dev->type());
    for (const Iface* in : failed)
      out += fmt::format("  {} -: (error: {})\n", in->cfg.name, in->error);
  }
  return out;
}

namespace {

// Wraps a Result<std::string>-returning call for a control command.
template <typename F>
ctl::UnixctlServer::Handler Text(F f) {
  return [f](const std::vector<std::string>& args) -> Result<std::string> { return f(args); };
}

Result<std::string> WithNewline(Result<std::string> r) {
  if (r.ok() && !r->empty() && r->back() != '\n') return *r + "\n";
  return r;
}

}  // namespace

void Switchd::RegisterCommands(ctl::UnixctlServer& ctl) {
  ctl_ = &ctl;
  ctl.Register("dpdk/log-list", "", 0, 0, [](const std::vector<std::string>&) -> Result<std::string> {
    return numa::DpdkLogList();
  });
  ctl.Register("dpdk/log-set", "[{level | pattern:level}]...", 0, 100,
               [](const std::vector<std::string>& a) -> Result<std::string> {
                 VS_RETURN_IF_ERROR(numa::DpdkLogSet(a));
                 return std::string();
               });
  RegisterOvsCommands(ctl);
  RegisterSupportCommands(ctl);
  ctl.Register("dpif/show", "", 0, 0, Text([this](const auto&) -> Result<std::string> {
                 return ShowText();
               }));
  RegisterPmdCommands(ctl);
  // The vhost-user ports: socket, guest state and node, and which PMD polls each rx queue.
  ctl.Register("vhost/show", "", 0, 0, Text([this](const auto&) -> Result<std::string> {
                 std::string out;
                 for (const auto& [u, in] : ifaces_) {
                   if (in.cfg.type.rfind("dpdkvhostuser", 0) != 0) continue;
                   if (!in.dev) {
                     out += fmt::format("{} ({}): error: {}\n", in.cfg.name, in.cfg.type, in.error);
                     continue;
                   }
                   auto st = in.dev->Status();
                   out += fmt::format("{} ({}, bridge {}): {} socket {}, {}, guest NUMA node {} ({}), "
                                      "mempool {} on node {}\n",
                                      in.cfg.name, in.dev->type(), in.bridge, st["mode"],
                                      st["socket"], st["status"], st["numa"], st["numa_source"],
                                      st["mempool"], st["mempool_numa_id"]);
                   if (!in.error.empty()) out += fmt::format("  error: {}\n", in.error);
                   for (const auto& pmd : pmds_->plan().pmds)
                     for (const auto& q : pmd.rxqs)
                       if (q.port_name == in.cfg.name)
                         out += fmt::format("  rxq {}: pmd core {} (NUMA node {}){}\n", q.queue,
                                            pmd.core, pmd.numa, q.remote ? ", cross-NUMA" : "");
                   out += fmt::format("  txq: {} queue(s), shared by the PMDs\n", in.dev->n_txq());
                 }
                 if (out.empty()) out = "no vhost-user ports\n";
                 if (ctx_.dpdk_ready())  // fixed when DPDK started (netdev/context.h)
                   out = fmt::format("vhost-user driver: IOMMU support {}, post-copy support {}\n",
                                     ctx_.vhost().iommu_text, ctx_.vhost().postcopy_text) + out;
                 return out;
               }));
  ctl.Register("fdb/show", "BRIDGE", 1, 1, Text([this](const auto& a) -> Result<std::string> {
                 return WithNewline(dp_->FdbShow(a[0]));
               }));
  ctl.Register("fdb/flush", "BRIDGE", 1, 1, Text([this](const auto& a) -> Result<std::string> {
                 VS_RETURN_IF_ERROR(dp_->FdbFlush(a[0]));
                 return std::string("table successfully flushed\n");
               }));
  ctl.Register("fdb/add", "BRIDGE PORT VLAN MAC", 4, 4,
               Text([this](const auto& a) -> Result<std::string> {
                 VS_RETURN_IF_ERROR(dp_->FdbAdd(a[0], a[1], a[2], a[3]));
                 return std::string();
               }));
  ctl.Register("ofproto/trace", "BRIDGE FLOW", 2, 2,
               Text([this](const auto& a) -> Result<std::string> {
                 return WithNewline(dp_->Trace(a[0], a[1]));
               }));
  // The commands numavs-ofctl sends (OVS's flow syntax).
  ctl.Register("ofctl/add-flow", "BRIDGE FLOW", 2, 2,
               Text([this](const auto& a) -> Result<std::string> {
                 auto notes = dp_->AddFlow(a[0], a[1]);
                 if (!notes.ok()) return notes.status();
                 std::string out;
                 for (const auto& n : *notes) out += n + "\n";
                 return out;
               }));
  // add-flows BRIDGE NAME TEXT: the contents of the file NAME, read by the
  // client (the daemon never opens a file a client names; NAME only labels
  // errors). One flow per line ('#' comments and blank lines skipped); every
  // line is parsed first, so a bad line names its number and nothing is added.
  ctl.Register("ofctl/add-flows", "BRIDGE NAME TEXT", 3, 3,
               Text([this](const auto& a) -> Result<std::string> {
                 std::vector<std::string> lines;
                 size_t at = 0;
                 const std::string& text = a[2];
                 while (at < text.size()) {
                   size_t nl = text.find('\n', at);
                   std::string l = text.substr(at, nl == std::string::npos ? nl : nl - at);
                   if (!l.empty() && l.back() == '\r') l.pop_back();
                   lines.push_back(std::move(l));
                   at = nl == std::string::npos ? text.size() : nl + 1;
                 }
                 auto notes = dp_->AddFlows(a[0], lines);
                 if (!notes.ok() && notes.status().code() == EINVAL) return notes.status().Wrap(a[1]);
                 if (!notes.ok()) return notes.status();
                 std::string out;
                 for (const auto& n : *notes) out += n + "\n";
                 return out;
               }));
  ctl.Register("ofctl/del-flows", "BRIDGE [--strict] [MATCH]", 1, 3,
               Text([this](const auto& a) -> Result<std::string> {
                 bool strict = false;
                 std::string match;
                 for (size_t i = 1; i < a.size(); i++) {
                   if (a[i] == "--strict") strict = true;
                   else match = a[i];
                 }
                 auto n = dp_->DelFlows(a[0], match, strict);
                 if (!n.ok()) return n.status();
                 return std::string();
               }));
  ctl.Register("ofctl/dump-flows", "BRIDGE [MATCH]", 1, 2,
               Text([this](const auto& a) -> Result<std::string> {
                 return WithNewline(dp_->DumpFlows(a[0], a.size() > 1 ? a[1] : ""));
               }));
  ctl.Register("ofctl/show", "BRIDGE", 1, 1, Text([this](const auto& a) -> Result<std::string> {
                 if (!bridges_.count(a[0])) return Status(ENOENT, a[0] + " is not a bridge");
                 std::string out = fmt::format("bridge {}:\n", a[0]);
                 std::map<int64_t, const Iface*> ports;
                 for (const auto& [u, in] : ifaces_)
                   if (in.bridge == a[0] && in.dev) ports[OfportOf(in)] = &in;
                 for (const auto& [no, in] : ports) {
                   out += fmt::format(" {}({}): type {}, link {}, mtu {}\n",
                                      no == kOfportLocal ? "LOCAL" : std::to_string(no),
                                      in->cfg.name, in->dev->type(),
                                      in->dev->link_up() ? "up" : "down", in->dev->mtu());
                 }
                 return out;
               }));
  ctl.Register("ofctl/dump-ports", "BRIDGE", 1, 1, Text([this](const auto& a) -> Result<std::string> {
                 if (!bridges_.count(a[0])) return Status(ENOENT, a[0] + " is not a bridge");
                 std::map<int64_t, const Iface*> ports;
                 for (const auto& [u, in] : ifaces_)
                   if (in.bridge == a[0] && in.dev) ports[OfportOf(in)] = &in;
                 std::string out = fmt::format("port stats of {}: {} ports\n", a[0], ports.size());
                 for (const auto& [no, in] : ports) {
                   auto st = in->dev->Statistics();
                   auto g = [&](const char* k) {
                     auto it = st.find(k);
                     return it == st.end() ? std::string("?") : std::to_string(it->second);
                   };
                   out += fmt::format("  port {:>6}: rx pkts={}, bytes={}, drop={}, errs={}\n"
                                      "              tx pkts={}, bytes={}, drop={}, errs={}\n",
                                      no == kOfportLocal ? "LOCAL" : in->cfg.name, g("rx_packets"),
                                      g("rx_bytes"), g("rx_dropped"), g("rx_errors"),
                                      g("tx_packets"), g("tx_bytes"), g("tx_dropped"),
                                      g("tx_errors"));
                 }
                 return out;
               }));
}

}  // namespace vs::switchd
