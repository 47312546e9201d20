#include "switchd/config.h"

#include <algorithm>

#include "switchd/identity.h"
#include "switchd/support.h"

namespace vs::switchd {

using ovsdb::client::GetInteger;
using ovsdb::client::GetOptionalInteger;
using ovsdb::client::GetString;
using ovsdb::client::GetStringMap;
using ovsdb::client::GetUuids;

std::vector<ovsdb::client::TableSpec> MonitoredTables() {
  std::vector<ovsdb::client::TableSpec> tables = {
      {"Open_vSwitch",
       {"bridges", "next_cfg", "cur_cfg", "other_config", "dpdk_initialized", "dpdk_version",
        "iface_types", "datapath_types", "ovs_version", "datapaths"}},
      {"Bridge",
       {"name", "datapath_type", "ports", "other_config", "datapath_id", "datapath_version",
        "controller", "fail_mode", "protocols"}},
      {"Controller",
       {"target", "max_backoff", "inactivity_probe", "is_connected", "role", "status"}},
      {"Port", {"name", "interfaces", "tag", "trunks", "vlan_mode"}},
      {"Interface",
       {"name", "type", "options", "mtu_request", "ofport_request", "ofport", "error", "status",
        "admin_state", "link_state", "mtu", "statistics", "mac_in_use", "other_config", "mac"}},
      {"Datapath", {"capabilities"}},
  };
  // What the unsupported settings (support.h) are read from.
  for (const auto& extra : SupportMonitoredColumns()) {
    auto it = std::find_if(tables.begin(), tables.end(),
                           [&](const auto& t) { return t.table == extra.table; });
    if (it == tables.end()) {
      tables.push_back(extra);
      continue;
    }
    for (const std::string& c : extra.columns)
      if (std::find(it->columns.begin(), it->columns.end(), c) == it->columns.end())
        it->columns.push_back(c);
  }
  return tables;
}

namespace {

InterfaceConfig ReadInterface(const Uuid& u, const Json& row) {
  InterfaceConfig c;
  c.uuid = u;
  c.name = GetString(row, "name");
  c.type = GetString(row, "type");
  c.options = GetStringMap(row, "options");
  c.mtu_request = GetOptionalInteger(row, "mtu_request");
  c.ofport_request = GetOptionalInteger(row, "ofport_request");
  c.mac_request = GetString(row, "mac");
  return c;
}

std::vector<int64_t> ReadIntegers(const Json& row, const std::string& column) {
  std::vector<int64_t> out;
  auto it = row.find(column);
  if (it == row.end()) return out;
  const Json& v = *it;
  if (v.is_number_integer()) {
    out.push_back(v.get<int64_t>());
  } else if (v.is_array() && v.size() == 2 && v[0] == "set" && v[1].is_array()) {
    for (const Json& e : v[1])
      if (e.is_number_integer()) out.push_back(e.get<int64_t>());
  }
  return out;
}

std::vector<std::string> ReadStrings(const Json& row, const std::string& column) {
  std::vector<std::string> out;
  auto it = row.find(column);
  if (it == row.end()) return out;
  const Json& v = *it;
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
  } else if (v.is_array() && v.size() == 2 && v[0] == "set" && v[1].is_array()) {
    for (const Json& e : v[1])
      if (e.is_string()) out.push_back(e.get<std::string>());
  }
  return out;
}

std::vector<ControllerRow> ReadControllers(const ovsdb::client::Replica& idl, const Json& bridge) {
  std::vector<ControllerRow> out;
  const auto* rows = idl.table("Controller");
  if (!rows) return out;
  for (const Uuid& cu : GetUuids(bridge, "controller")) {
    auto c = rows->find(cu);
    if (c == rows->end()) continue;
    ControllerRow r;
    r.uuid = cu;
    r.cfg.target = GetString(c->second, "target");
    if (auto b = GetOptionalInteger(c->second, "max_backoff")) r.cfg.max_backoff_ms = *b;
    if (auto p = GetOptionalInteger(c->second, "inactivity_probe")) r.cfg.inactivity_probe_ms = *p;
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.cfg.target < b.cfg.target; });
  return out;
}

}  // namespace

SwitchConfig ReadConfig(const ovsdb::client::Replica& idl) {
  SwitchConfig cfg;
  const auto* ovs = idl.table("Open_vSwitch");
  const auto* bridges = idl.table("Bridge");
  const auto* ports = idl.table("Port");
  const auto* ifaces = idl.table("Interface");
  if (!ovs || ovs->empty() || !bridges || !ports || !ifaces) return cfg;
  const auto& [ovs_uuid, ovs_row] = *ovs->begin();
  cfg.present = true;
  cfg.ovs_uuid = ovs_uuid;
  cfg.next_cfg = GetInteger(ovs_row, "next_cfg");
  cfg.cur_cfg = GetInteger(ovs_row, "cur_cfg");
  cfg.other_config = GetStringMap(ovs_row, "other_config");
  for (const Uuid& bu : GetUuids(ovs_row, "bridges")) {
    auto b = bridges->find(bu);
    if (b == bridges->end()) continue;
    BridgeConfig bc;
    bc.uuid = bu;
    bc.name = GetString(b->second, "name");
    bc.datapath_type = GetString(b->second, "datapath_type");
    bc.other_config = GetStringMap(b->second, "other_config");
    bc.controllers = ReadControllers(idl, b->second);
    bc.fail_mode = GetString(b->second, "fail_mode");
    bc.protocols = ReadStrings(b->second, "protocols");
    for (const Uuid& pu : GetUuids(b->second, "ports")) {
      auto p = ports->find(pu);
      if (p == ports->end()) continue;
      PortConfig pc;
      pc.uuid = pu;
      pc.name = GetString(p->second, "name");
      pc.tag = GetOptionalInteger(p->second, "tag");
      pc.trunks = ReadIntegers(p->second, "trunks");
      pc.vlan_mode = GetString(p->second, "vlan_mode");
      for (const Uuid& iu : GetUuids(p->second, "interfaces")) {
        auto i = ifaces->find(iu);
        if (i == ifaces->end()) continue;
        InterfaceConfig ic = ReadInterface(iu, i->second);
        // Interface.mac of another internal interface as hwaddr of a bridge:
        // used when unicast and non-zero, else the stable default.
        if (ic.type == "internal")
          ic.mac = ic.name == bc.name ? BridgeMac(bc.name, bc.other_config)
                                      : BridgeMac(ic.name, {{"hwaddr", ic.mac_request}});
        pc.interfaces.push_back(std::move(ic));
      }
      std::sort(pc.interfaces.begin(), pc.interfaces.end(),
                [](const auto& a, const auto& b) { return a.name < b.name; });
      bc.ports.push_back(std::move(pc));
    }
    std::sort(bc.ports.begin(), bc.ports.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    cfg.bridges.push_back(std::move(bc));
  }
  std::sort(cfg.bridges.begin(), cfg.bridges.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return cfg;
}

}  // namespace vs::switchd
