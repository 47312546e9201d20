#include "switchd/switchd.h"

#include <fmt/format.h>

#include "base/log.h"

namespace vs::switchd {
namespace {

log::Module& kLog = log::GetModule("bridge");
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

}  // namespace

Switchd::Switchd(asio::io_context& io, std::string db_remote, std::string sysfs_root)
    : io_(io),
      idl_(io, std::move(db_remote), "Open_vSwitch", MonitoredTables()),
      dpdk_(std::move(sysfs_root)) {}

Status Switchd::Start() {
  return idl_.Start([this] { OnDbChange(); });
}

void Switchd::OnDbChange() {
  if (txn_in_flight_) {
    dirty_ = true;
    return;
  }
  Reconcile();
}

int64_t Switchd::AllocateOfport(Bridge& b, const InterfaceConfig& cfg) {
  if (cfg.type == "internal" && cfg.name == b.name) return kOfportLocal;
  if (cfg.ofport_request && *cfg.ofport_request >= 1 && *cfg.ofport_request < 65280 &&
      !b.ofports.count(*cfg.ofport_request)) {
    b.ofports.insert(*cfg.ofport_request);
    return *cfg.ofport_request;
  }
  int64_t n = 1;
  while (b.ofports.count(n)) n++;
  b.ofports.insert(n);
  return n;
}

void Switchd::ApplyInterface(const BridgeConfig& b, const InterfaceConfig& cfg, Iface* in) {
  const bool changed = !(in->cfg == cfg) || in->bridge != b.name;
  if (in->dev && !changed) return;  // running and untouched
  if (in->dev && in->bridge == b.name && in->cfg.type == cfg.type && in->cfg.name == cfg.name &&
      in->dev->Reconfigure(cfg)) {
    VS_LOG_INFO(kLog, "bridge {}: reconfigured interface {}", b.name, cfg.name);
    in->cfg = cfg;
    return;
  }
  if (in->dev) {
    VS_LOG_INFO(kLog, "bridge {}: reopening interface {}", b.name, cfg.name);
    in->dev.reset();
  }
  // A failed interface is retried on every reconciliation, as in OVS: the
  // fix may be elsewhere (memory, DPDK settings) or outside the database.
  in->cfg = cfg;
  in->bridge = b.name;
  Bridge& br = bridges_[b.name];
  Result<std::unique_ptr<Netdev>> dev = Status(EINVAL, "");
  if (cfg.type == "dpdk") {
    Status common = CheckCommonOptions(cfg);
    dev = common.ok() ? dpdk_.OpenPort(cfg) : Result<std::unique_ptr<Netdev>>(common);
  } else {
    dev = OpenNetdev(cfg);
  }
  if (dev.ok()) {
    in->dev = std::move(*dev);
    if (in->ofport < 0) in->ofport = AllocateOfport(br, cfg);
    if (!in->error.empty()) VS_LOG_INFO(kLog, "bridge {}: interface {} is up now", b.name, cfg.name);
    else VS_LOG_INFO(kLog, "bridge {}: added interface {} on port {}", b.name, cfg.name, in->ofport);
    in->error.clear();
  } else {
    if (in->error != dev.status().message())
      VS_LOG_WARN(kLog, "bridge {}: {}", b.name, dev.status().message());
    in->error = dev.status().message();
    if (in->ofport >= 0) br.ofports.erase(in->ofport);  // a failed interface has no number
    in->ofport = -1;
  }
}

void Switchd::Reconcile() {
  SwitchConfig cfg = ReadConfig(idl_);
  if (!cfg.present) return;
  applied_seqno_ = idl_.seqno();
  (void)dpdk_.Configure(cfg.other_config);  // failures are logged and reported by dpdk ports
  // Bridges that went away, and their interfaces.
  std::set<std::string> wanted_bridges;
  for (const auto& b : cfg.bridges) wanted_bridges.insert(b.name);
  std::set<Uuid> wanted_ifaces;
  for (const auto& b : cfg.bridges)
    for (const auto& p : b.ports)
      for (const auto& i : p.interfaces) wanted_ifaces.insert(i.uuid);
  for (auto it = ifaces_.begin(); it != ifaces_.end();) {
    if (!wanted_ifaces.count(it->first)) {
      VS_LOG_INFO(kLog, "bridge {}: deleted interface {}", it->second.bridge, it->second.cfg.name);
      auto b = bridges_.find(it->second.bridge);
      if (b != bridges_.end() && it->second.ofport >= 0) b->second.ofports.erase(it->second.ofport);
      it = ifaces_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = bridges_.begin(); it != bridges_.end();) {
    if (!wanted_bridges.count(it->first)) {
      VS_LOG_INFO(kLog, "deleted bridge {}", it->first);
      it = bridges_.erase(it);
    } else {
      ++it;
    }
  }
  for (const BridgeConfig& bc : cfg.bridges) {
    auto [bit, created] = bridges_.try_emplace(bc.name);
    Bridge& br = bit->second;
    if (created) {
      br.name = bc.name;
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
        if (!fresh && in.bridge != bc.name) {
          // Moved to another bridge: its number belonged to the old one.
          auto old = bridges_.find(in.bridge);
          if (old != bridges_.end()) old->second.ofports.erase(in.ofport);
          in.ofport = -1;
          in.dev.reset();
        }
        ApplyInterface(bc, ic, &in);
      }
    }
  }
  Json ops = WriteBackOps(cfg);
  if (ops.empty()) return;
  txn_in_flight_ = true;
  idl_.Transact(std::move(ops), [this](Result<Json> r) {
    txn_in_flight_ = false;
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

Json Switchd::WriteBackOps(const SwitchConfig& cfg) const {
  Json ops = Json::array();
  const auto* rows = idl_.table("Interface");
  for (const auto& [uuid, in] : ifaces_) {
    auto r = rows ? rows->find(uuid) : decltype(rows->find(uuid)){};
    if (!rows || r == rows->end()) continue;
    const Json& row = r->second;
    Json set = Json::object();
    int64_t ofport = in.dev ? in.ofport : -1;
    if (GetOptionalInteger(row, "ofport") != std::optional<int64_t>(ofport)) set["ofport"] = ofport;
    if (GetString(row, "error") != in.error) set["error"] = OptionalString(in.error);
    std::string state = in.dev ? "up" : "down";
    if (GetString(row, "admin_state") != state) set["admin_state"] = state;
    std::string link = in.dev && in.dev->link_up() ? "up" : "down";
    if (GetString(row, "link_state") != link) set["link_state"] = link;
    std::map<std::string, std::string> status = in.dev ? in.dev->Status()
                                                       : std::map<std::string, std::string>{};
    if (GetStringMap(row, "status") != status) set["status"] = MakeStringMap(status);
    std::optional<int64_t> mtu;
    if (in.dev) mtu = in.dev->mtu();
    if (GetOptionalInteger(row, "mtu") != mtu) set["mtu"] = mtu ? Json(*mtu) : MakeSet({});
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
    for (const auto& t : SupportedTypes()) types.push_back(t);
    Json want_types = MakeSet(types);
    if (row.value("iface_types", Json()) != want_types) set["iface_types"] = want_types;
    Json want_dp = "netdev";
    if (row.value("datapath_types", Json()) != want_dp && row.value("datapath_types", Json()) != MakeSet({"netdev"}))
      set["datapath_types"] = want_dp;
    bool dpdk_up = dpdk_.initialized();
    if (GetBool(row, "dpdk_initialized") != dpdk_up || !row.contains("dpdk_initialized"))
      set["dpdk_initialized"] = dpdk_up;
    std::string version = dpdk_up ? dpdk_.version() : "";
    if (GetString(row, "dpdk_version") != version) set["dpdk_version"] = OptionalString(version);
    if (!set.empty())
      ops.push_back({{"op", "update"}, {"table", "Open_vSwitch"},
                     {"where", WhereUuid(cfg.ovs_uuid)}, {"row", std::move(set)}});
  }
  return ops;
}

std::string Switchd::ShowText() const {
  std::string out = fmt::format("database: {}\n", idl_.StateText());
  for (const auto& [name, br] : bridges_) {
    out += fmt::format("{}:\n", name);
    std::map<int64_t, const Iface*> by_port;
    std::vector<const Iface*> failed;
    for (const auto& [u, in] : ifaces_) {
      if (in.bridge != name) continue;
      if (in.dev) by_port[in.ofport] = &in;
      else failed.push_back(&in);
    }
    for (const auto& [port, in] : by_port)
      out += fmt::format("  {} {}: ({})\n", in->cfg.name, port, in->dev->type());
    for (const Iface* in : failed)
      out += fmt::format("  {} -: (error: {})\n", in->cfg.name, in->error);
  }
  return out;
}

void Switchd::RegisterCommands(ctl::UnixctlServer& ctl) {
  dpdk_.SetControl(&ctl);
  ctl.Register("dpif/show", "", 0, 0,
               [this](const std::vector<std::string>&) -> Result<std::string> { return ShowText(); });
}

}  // namespace vs::switchd
