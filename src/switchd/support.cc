#include "switchd/support.h"

#include <fmt/format.h>

#include <cstring>
#include <map>
#include <set>

namespace vs::switchd {
namespace {

using ovsdb::client::GetString;
using ovsdb::client::GetUuids;

constexpr Support A = Support::kApplied;
constexpr Support W = Support::kWritten;
constexpr Support S = Support::kStored;
constexpr Support R = Support::kReported;
constexpr Support X = Support::kRefused;
constexpr Support P = Support::kViaParent;

std::string Str(const Json& v) { return v.is_string() ? v.get<std::string>() : std::string(); }

bool LacpOn(const Json& v, const RowContext&) { return Str(v) == "active" || Str(v) == "passive"; }
bool OddVlanMode(const Json& v, const RowContext&) {
  std::string m = Str(v);
  return !m.empty() && m != "access" && m != "trunk";
}
// More than one interface: a bond.
bool Bond(const Json& v, const RowContext&) {
  return v.is_array() && v.size() == 2 && v[0] == "set" && v[1].is_array() && v[1].size() > 1;
}
// Applied on internal interfaces other than the bridge's own.
bool MacIgnored(const Json& v, const RowContext& c) {
  return !Str(v).empty() && (c.iface_type != "internal" || c.local);
}

constexpr const char* kNoStp = "no spanning tree runs: the bridge forwards on every port";
constexpr const char* kNoBond = "bonds are not supported: the port's interfaces stay down";
constexpr const char* kNoLacp = "no LACP runs";
constexpr const char* kNoCfm = "no CFM runs";
constexpr const char* kNoMcast = "no multicast snooping: multicast is flooded";
constexpr const char* kNoOffload = "no flow offload: the datapath runs in software";
constexpr const char* kNoTunnel = "tunnel types are not supported (Interface.type is refused)";
constexpr const char* kIgnoredStat = "not used by numavs's datapath (no upcall handler threads, revalidators or EMC knobs)";

// clang-format off
const std::vector<SupportEntry> kTable = {
  // Open_vSwitch
  {"Open_vSwitch", "bridges", "", A, "", "bridges run"},
  {"Open_vSwitch", "cur_cfg", "", W, "", "set to next_cfg once a change is applied"},
  {"Open_vSwitch", "next_cfg", "", A, "", "answered in cur_cfg (ovs-vsctl waits for it)"},
  {"Open_vSwitch", "datapath_types", "", W, "", "netdev"},
  {"Open_vSwitch", "datapaths", "", A, "", "the named Datapath rows get numavs's capabilities"},
  {"Open_vSwitch", "db_version", "", W, "", "filled by the launcher"},
  {"Open_vSwitch", "dpdk_initialized", "", W, "", "filled"},
  {"Open_vSwitch", "dpdk_version", "", W, "", "filled at start"},
  {"Open_vSwitch", "external_ids", "", S, "", "system-id, hostname, rundir filled by the launcher"},
  {"Open_vSwitch", "iface_types", "", W, "", "the port types of the netdev registry"},
  {"Open_vSwitch", "manager_options", "", A, "", "served by numavs-db (--remote=db:...manager_options)"},
  {"Open_vSwitch", "ovs_version", "", W, "", "filled by the launcher"},
  {"Open_vSwitch", "ssl", "", R, "", "no SSL: ssl:/pssl: remotes are not served"},
  {"Open_vSwitch", "statistics", "", W, "", "not filled (see other_config:enable-statistics)"},
  {"Open_vSwitch", "system_type", "", W, "", "filled by the launcher"},
  {"Open_vSwitch", "system_version", "", W, "", "filled by the launcher"},
  {"Open_vSwitch", "other_config", "dpdk-init", A, "", "starts DPDK"},
  {"Open_vSwitch", "other_config", "dpdk-lcore-mask", A, "", "EAL cores"},
  {"Open_vSwitch", "other_config", "dpdk-socket-mem", A, "", "hugepage memory per node"},
  {"Open_vSwitch", "other_config", "dpdk-socket-limit", A, "", "memory limit per node"},
  {"Open_vSwitch", "other_config", "dpdk-hugepage-dir", A, "", "hugetlbfs mount"},
  {"Open_vSwitch", "other_config", "dpdk-extra", A, "", "extra EAL arguments"},
  {"Open_vSwitch", "other_config", "pmd-cpu-mask", A, "", "PMD cores"},
  {"Open_vSwitch", "other_config", "vhost-sock-dir", A, "", "vhost-user socket directory"},
  {"Open_vSwitch", "other_config", "dpdk-alloc-mem", R, "", "ignored: use dpdk-socket-mem"},
  {"Open_vSwitch", "other_config", "dpdk-probe-at-init", R, "", "ignored: devices are probed when their port is added"},
  {"Open_vSwitch", "other_config", "vhost-iommu-support", A, "", "read when DPDK starts (status vhost_iommu_support, vhost/show)"},
  {"Open_vSwitch", "other_config", "vhost-postcopy-support", A, "", "read when DPDK starts (status vhost_postcopy_support, vhost/show)"},
  {"Open_vSwitch", "other_config", "per-port-memory", R, "", "ignored: pools are shared per NUMA node and buffer size"},
  {"Open_vSwitch", "other_config", "shared-mempool-config", R, "", "ignored: pools are shared per NUMA node and buffer size"},
  {"Open_vSwitch", "other_config", "pmd-rxq-assign", A, "", "cycles, roundrobin or group, as OVS 3.1"},
  {"Open_vSwitch", "other_config", "pmd-rxq-isolate", A, "", "as OVS 3.1 (false only with group)"},
  {"Open_vSwitch", "other_config", "pmd-auto-lb", A, "", "automatic PMD load balancing as OVS 3.1"},
  {"Open_vSwitch", "other_config", "pmd-auto-lb-rebal-interval", A, "", "minutes between auto-lb rebalances"},
  {"Open_vSwitch", "other_config", "pmd-auto-lb-load-threshold", A, "", "busy % that counts as overloaded"},
  {"Open_vSwitch", "other_config", "pmd-auto-lb-improvement-threshold", A, "", "variance improvement % a rebalance needs"},
  {"Open_vSwitch", "other_config", "pmd-sleep-max", R, "", "ignored: PMD threads busy-poll"},
  {"Open_vSwitch", "other_config", "pmd-perf-metrics", R, "", "ignored: pmd-perf-show always shows numavs's counters"},
  {"Open_vSwitch", "other_config", "tx-flush-interval", R, "", "ignored: packets are sent at the end of each burst"},
  {"Open_vSwitch", "other_config", "smc-enable", R, "", "ignored: no signature match cache (EMC + megaflows)"},
  {"Open_vSwitch", "other_config", "emc-insert-inv-prob", R, "", "ignored: every miss is inserted into the EMC"},
  {"Open_vSwitch", "other_config", "stats-update-interval", R, "", "ignored: statistics are written every 5 s"},
  {"Open_vSwitch", "other_config", "flow-restore-wait", R, "", "ignored: forwarding starts at once"},
  {"Open_vSwitch", "other_config", "flow-limit", R, "", kIgnoredStat},
  {"Open_vSwitch", "other_config", "max-idle", R, "", kIgnoredStat},
  {"Open_vSwitch", "other_config", "max-revalidator", R, "", kIgnoredStat},
  {"Open_vSwitch", "other_config", "min-revalidate-pps", R, "", kIgnoredStat},
  {"Open_vSwitch", "other_config", "n-handler-threads", R, "", kIgnoredStat},
  {"Open_vSwitch", "other_config", "n-revalidator-threads", R, "", kIgnoredStat},
  {"Open_vSwitch", "other_config", "offloaded-stats-delay", R, "", kNoOffload},
  {"Open_vSwitch", "other_config", "hw-offload", R, "", kNoOffload},
  {"Open_vSwitch", "other_config", "hw-offload-priority", R, "", kNoOffload},
  {"Open_vSwitch", "other_config", "n-offload-threads", R, "", kNoOffload},
  {"Open_vSwitch", "other_config", "offload-rebalance", R, "", kNoOffload},
  {"Open_vSwitch", "other_config", "tc-policy", R, "", kNoOffload},
  {"Open_vSwitch", "other_config", "vlan-limit", R, "", "ignored: one VLAN header is parsed"},
  {"Open_vSwitch", "other_config", "bundle-idle-timeout", R, "", "ignored: OpenFlow bundles do not time out"},
  {"Open_vSwitch", "other_config", "userspace-tso-enable", R, "", "ignored: no TCP segmentation offload"},
  {"Open_vSwitch", "other_config", "explicit-sampled-drops", R, "", "ignored: no sampling"},
  {"Open_vSwitch", "other_config", "enable-statistics", R, "", "ignored: Open_vSwitch.statistics is not filled"},
  {"Open_vSwitch", "other_config", "private_key", R, "", "ignored: no IPsec"},
  {"Open_vSwitch", "other_config", "certificate", R, "", "ignored: no IPsec"},
  {"Open_vSwitch", "other_config", "ca_cert", R, "", "ignored: no IPsec"},
  {"Open_vSwitch", "other_config", "ipsec_skb_mark", R, "", "ignored: no IPsec"},
  {"Open_vSwitch", "other_config", "*", R, "", "unknown key (neither numavs nor OVS reads it): ignored"},
  // Bridge
  {"Bridge", "auto_attach", "", R, "", "no IEEE 802.1ag Auto Attach"},
  {"Bridge", "controller", "", A, "", "OpenFlow controller connections (active and passive), Controller rows written back"},
  {"Bridge", "datapath_id", "", W, "", "filled (other_config:datapath-id, else the bridge's MAC)"},
  {"Bridge", "datapath_type", "", A, "", "netdev (others are run by the same userspace datapath, with a warning)"},
  {"Bridge", "datapath_version", "", W, "", "<built-in>"},
  {"Bridge", "external_ids", "", S, "", "for other programs"},
  {"Bridge", "fail_mode", "", A, "", "standalone (fail-open NORMAL while no controller is connected) or secure (flows only)"},
  {"Bridge", "flood_vlans", "", R, "", "no MAC learning is disabled: those VLANs learn as any other"},
  {"Bridge", "flow_tables", "", R, "", "Flow_Table settings (limits, names, prefixes) are not applied"},
  {"Bridge", "ipfix", "", R, "", "no IPFIX sampling"},
  {"Bridge", "mcast_snooping_enable", "", R, "", kNoMcast},
  {"Bridge", "mirrors", "", R, "", "no port mirroring: nothing is copied to the mirror's output"},
  {"Bridge", "name", "", A, "", "the bridge and its internal interface"},
  {"Bridge", "netflow", "", R, "", "no NetFlow export"},
  {"Bridge", "ports", "", A, "", "ports run"},
  {"Bridge", "protocols", "", A, "", "the versions offered on new OpenFlow connections (OpenFlow11/12 reported as unsupported)"},
  {"Bridge", "rstp_enable", "", R, "", kNoStp},
  {"Bridge", "rstp_status", "", W, "", "not filled (no RSTP)"},
  {"Bridge", "sflow", "", R, "", "no sFlow sampling"},
  {"Bridge", "status", "", W, "", "unsupported settings in use"},
  {"Bridge", "stp_enable", "", R, "", kNoStp},
  {"Bridge", "other_config", "datapath-id", A, "", "Bridge.datapath_id"},
  {"Bridge", "other_config", "hwaddr", A, "", "the MAC of the bridge's internal interface and its datapath_id"},
  {"Bridge", "other_config", "mac-aging-time", R, "", "ignored: MAC entries age after 300 s"},
  {"Bridge", "other_config", "mac-table-size", R, "", "ignored: the MAC table has numavs's fixed size"},
  {"Bridge", "other_config", "forward-bpdu", R, "", "ignored: BPDUs are forwarded as other multicast"},
  {"Bridge", "other_config", "dp-desc", R, "", "ignored in OpenFlow descriptions"},
  {"Bridge", "other_config", "dp-sn", R, "", "ignored in OpenFlow descriptions"},
  {"Bridge", "other_config", "disable-in-band", R, "", "no in-band control runs anyway"},
  {"Bridge", "other_config", "in-band-queue", R, "", "no in-band control"},
  {"Bridge", "other_config", "controller-queue-size", R, "", "ignored"},
  {"Bridge", "other_config", "*", R, "", "unknown key (STP/RSTP/multicast snooping keys included: not implemented): ignored"},
  // Port
  {"Port", "bond_active_slave", "", W, "", "not filled (no bonds)"},
  {"Port", "bond_downdelay", "", R, "", kNoBond},
  {"Port", "bond_fake_iface", "", R, "", kNoBond},
  {"Port", "bond_mode", "", R, "", kNoBond},
  {"Port", "bond_updelay", "", R, "", kNoBond},
  {"Port", "cvlans", "", R, "", "no dot1q-tunnel: ignored"},
  {"Port", "external_ids", "", S, "", "for other programs (fake-bridge-* for ovs-vsctl)"},
  {"Port", "fake_bridge", "", S, "", "read by ovs-vsctl only, as in OVS"},
  {"Port", "interfaces", "", X, "", "a port with several interfaces is a bond, which numavs does not implement: its interfaces stay down (as separate ports they would loop)", "", Bond},
  {"Port", "lacp", "", R, "", kNoLacp, "", LacpOn},
  {"Port", "mac", "", R, "", "ignored (bond MAC)"},
  {"Port", "name", "", A, "", "the port"},
  {"Port", "protected", "", X, "", "protected ports are not implemented: the port's interfaces stay down (they would forward to other protected ports)"},
  {"Port", "qos", "", X, "", "QoS is not implemented: the port's interfaces stay down rather than run without their rate limits"},
  {"Port", "rstp_statistics", "", W, "", "not filled (no RSTP)"},
  {"Port", "rstp_status", "", W, "", "not filled (no RSTP)"},
  {"Port", "statistics", "", W, "", "not filled"},
  {"Port", "status", "", W, "", "unsupported settings in use"},
  {"Port", "tag", "", A, "", "access VLAN"},
  {"Port", "trunks", "", A, "", "trunk VLANs"},
  {"Port", "vlan_mode", "", X, "", "only access and trunk are implemented: the port's interfaces stay down", "", OddVlanMode},
  {"Port", "other_config", "transient", S, "", "read by ovs-ctl's restart only, as in OVS"},
  {"Port", "other_config", "*", R, "", "unknown key (bond, LACP, STP/RSTP, QinQ and multicast snooping keys included: not implemented): ignored"},
  // Interface
  {"Interface", "admin_state", "", W, "", "filled"},
  {"Interface", "bfd", "", R, "", "no BFD runs"},
  {"Interface", "bfd_status", "", W, "", "not filled (no BFD)"},
  {"Interface", "cfm_fault", "", W, "", "not filled (no CFM)"},
  {"Interface", "cfm_fault_status", "", W, "", "not filled (no CFM)"},
  {"Interface", "cfm_flap_count", "", W, "", "not filled (no CFM)"},
  {"Interface", "cfm_health", "", W, "", "not filled (no CFM)"},
  {"Interface", "cfm_mpid", "", R, "", kNoCfm},
  {"Interface", "cfm_remote_mpids", "", W, "", "not filled (no CFM)"},
  {"Interface", "cfm_remote_opstate", "", W, "", "not filled (no CFM)"},
  {"Interface", "duplex", "", W, "", "filled"},
  {"Interface", "error", "", W, "", "filled"},
  {"Interface", "external_ids", "", S, "", "for other programs (iface-id, attached-mac, ...)"},
  {"Interface", "ifindex", "", W, "", "not filled"},
  {"Interface", "ingress_policing_burst", "", X, "", "policing is not implemented: the interface stays down rather than run unpoliced"},
  {"Interface", "ingress_policing_kpkts_burst", "", X, "", "policing is not implemented: the interface stays down rather than run unpoliced"},
  {"Interface", "ingress_policing_kpkts_rate", "", X, "", "policing is not implemented: the interface stays down rather than run unpoliced"},
  {"Interface", "ingress_policing_rate", "", X, "", "policing is not implemented: the interface stays down rather than run unpoliced"},
  {"Interface", "lacp_current", "", W, "", "not filled (no LACP)"},
  {"Interface", "link_resets", "", W, "", "not filled"},
  {"Interface", "link_speed", "", W, "", "filled"},
  {"Interface", "link_state", "", W, "", "filled"},
  {"Interface", "lldp", "", R, "", "no LLDP runs"},
  {"Interface", "mac", "", R, "", "applied to internal interfaces other than the bridge's own (whose MAC is Bridge other_config:hwaddr); ignored here", "", MacIgnored},
  {"Interface", "mac_in_use", "", W, "", "filled"},
  {"Interface", "mtu", "", W, "", "filled"},
  {"Interface", "mtu_request", "", A, "", "the device's MTU"},
  {"Interface", "name", "", A, "", "the device"},
  {"Interface", "ofport", "", W, "", "filled"},
  {"Interface", "ofport_request", "", A, "", "the OpenFlow port number, when free"},
  {"Interface", "statistics", "", W, "", "filled"},
  {"Interface", "status", "", W, "", "filled, with unsupported settings in use"},
  {"Interface", "type", "", A, "", "the port type (unknown types fail with an error)"},
  {"Interface", "options", "dpdk-devargs", A, "", "the DPDK device", "dpdk"},
  {"Interface", "options", "n_rxq", A, "", "rx queues", "dpdk"},
  {"Interface", "options", "n_rxq_desc", A, "", "rx descriptors", "dpdk"},
  {"Interface", "options", "n_txq_desc", A, "", "tx descriptors", "dpdk"},
  {"Interface", "options", "vhost-server-path", A, "", "the vhost-user socket", "dpdkvhostuserclient"},
  {"Interface", "options", "tx-retries-max", A, "", "vhost-user tx retries", "dpdkvhostuser,dpdkvhostuserclient"},
  {"Interface", "options", "n_rxq", R, "", "ignored: vhost-user queues follow the guest", "dpdkvhostuser,dpdkvhostuserclient"},
  {"Interface", "options", "vhost-max-queue-pairs", R, "", "ignored: as many queue pairs as the guest asks", "dpdkvhostuserclient"},
  {"Interface", "options", "dpdk-vf-mac", R, "", "ignored: the VF keeps its MAC", "dpdk"},
  {"Interface", "options", "rx-steering", R, "", "ignored: RSS only", "dpdk"},
  {"Interface", "options", "rx-flow-ctrl", R, "", "ignored: flow control is left as the device has it", "dpdk"},
  {"Interface", "options", "tx-flow-ctrl", R, "", "ignored: flow control is left as the device has it", "dpdk"},
  {"Interface", "options", "flow-ctrl-autoneg", R, "", "ignored: flow control is left as the device has it", "dpdk"},
  {"Interface", "options", "dpdk-lsc-interrupt", R, "", "ignored: the link is polled", "dpdk"},
  {"Interface", "options", "*", R, "", "not an option of this interface type in numavs: ignored (tunnel and patch types are refused by type)"},
  {"Interface", "other_config", "pmd-rxq-affinity", A, "", "pins rx queues to PMD cores"},
  {"Interface", "other_config", "tx-steering", R, "", "ignored: tx queues per PMD"},
  {"Interface", "other_config", "emc-enable", R, "", "ignored: the EMC is always on"},
  {"Interface", "other_config", "hw-offload-priority", R, "", kNoOffload},
  {"Interface", "other_config", "*", R, "", "unknown key (CFM and LACP keys included: not implemented): ignored"},
  // Tables whose rows matter once a column above references them.
  {"Flow_Table", "*", "", P, "", "Bridge.flow_tables"},
  {"QoS", "*", "", P, "", "Port.qos"},
  {"Queue", "*", "", P, "", "Port.qos"},
  {"Mirror", "*", "", P, "", "Bridge.mirrors"},
  {"NetFlow", "*", "", P, "", "Bridge.netflow"},
  {"sFlow", "*", "", P, "", "Bridge.sflow"},
  {"IPFIX", "*", "", P, "", "Bridge.ipfix"},
  {"Controller", "*", "", P, "", "Bridge.controller"},
  {"SSL", "*", "", P, "", "Open_vSwitch.ssl"},
  {"AutoAttach", "*", "", P, "", "Bridge.auto_attach"},
  {"CT_Zone", "*", "", P, "", "Datapath.ct_zones"},
  {"CT_Timeout_Policy", "*", "", P, "", "Datapath.ct_zones"},
  {"Manager", "target", "", A, "", "served by numavs-db"},
  {"Manager", "*", "", P, "", "Open_vSwitch.manager_options (only target is used by numavs-db)"},
  {"Flow_Sample_Collector_Set", "bridge", "", R, "", "no sampling to collectors"},
  {"Flow_Sample_Collector_Set", "id", "", P, "", "Flow_Sample_Collector_Set.bridge"},
  {"Flow_Sample_Collector_Set", "ipfix", "", P, "", "Flow_Sample_Collector_Set.bridge"},
  {"Flow_Sample_Collector_Set", "external_ids", "", S, "", "for other programs"},
  {"Datapath", "capabilities", "", W, "", "filled"},
  {"Datapath", "datapath_version", "", W, "", "not filled"},
  {"Datapath", "external_ids", "", S, "", "for other programs"},
  {"Datapath", "ct_zones", "", R, "", "no connection tracking"},
};
// clang-format on

bool TypeListed(const char* types, const std::string& type) {
  if (!*types) return true;
  std::string list = std::string(",") + types + ",";
  return list.find("," + (type.empty() ? std::string("system") : type) + ",") != std::string::npos;
}

// Not the column's default: a non-empty set/map, a non-zero number, a
// non-empty string, true.
bool IsSet(const Json& v) {
  if (v.is_null()) return false;
  if (v.is_array() && v.size() == 2 && (v[0] == "set" || v[0] == "map"))
    return v[1].is_array() && !v[1].empty();
  if (v.is_string()) return !v.get<std::string>().empty();
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v != 0;
  return true;  // a uuid reference
}

std::string RowName(const std::string& table, const Uuid& u, const Json& row) {
  if (table == "Open_vSwitch") return ".";
  for (const char* c : {"name", "target"}) {
    std::string n = GetString(row, c);
    if (!n.empty()) return n;
  }
  return u.ToString();
}

void CheckMap(const std::string& table, const Uuid& u, const std::string& name, const Json& row,
              const char* column, const RowContext& ctx, std::vector<Finding>* out) {
  for (const auto& [k, v] : ovsdb::client::GetStringMap(row, column)) {
    const SupportEntry* e = FindSupport(table, column, k, ctx.iface_type);
    if (!e || (e->support != R && e->support != X)) continue;
    out->push_back({table, u, name, column, k, e->support, e->owner, e->note});
  }
}

void CheckRow(const std::string& table, const Uuid& u, const Json& row, const RowContext& ctx,
              std::vector<Finding>* out) {
  std::string name = RowName(table, u, row);
  std::set<std::string> maps_done;
  for (const SupportEntry& e : kTable) {
    if (table != e.table) continue;
    if (*e.key) {
      if (maps_done.insert(e.column).second) CheckMap(table, u, name, row, e.column, ctx, out);
      continue;
    }
    if (e.support != R && e.support != X) continue;
    auto it = row.find(e.column);
    if (it == row.end()) continue;
    bool used = e.in_use ? e.in_use(*it, ctx) : IsSet(*it);
    if (used) out->push_back({table, u, name, e.column, "", e.support, e.owner, e.note});
  }
}

}  // namespace

const char* SupportName(Support s) {
  switch (s) {
    case Support::kApplied: return "applied";
    case Support::kWritten: return "written";
    case Support::kStored: return "stored";
    case Support::kReported: return "reported";
    case Support::kRefused: return "refused";
    case Support::kViaParent: return "via-parent";
  }
  return "?";
}

const std::vector<SupportEntry>& SupportTable() { return kTable; }

const SupportEntry* FindSupport(const std::string& table, const std::string& column,
                                const std::string& key, const std::string& type) {
  const SupportEntry* any_key = nullptr;
  const SupportEntry* any_column = nullptr;
  for (const SupportEntry& e : kTable) {
    if (table != e.table) continue;
    if (!std::strcmp(e.column, "*")) any_column = &e;
    if (column != e.column) continue;
    if (key == e.key && TypeListed(e.types, type)) return &e;
    if (!key.empty() && !std::strcmp(e.key, "*")) any_key = &e;
  }
  return any_key ? any_key : any_column;
}

std::string Finding::StatusKey() const {
  return key.empty() ? "unsupported:" + column : "unsupported:" + column + ":" + key;
}

std::string Finding::Text() const {
  return fmt::format("{} {}: {}{} is not supported by numavs{}: {}", table, row_name, column,
                     key.empty() ? "" : ":" + key,
                     owner.empty() ? "" : fmt::format(" yet (work \"{}\")", owner), note);
}

std::vector<Finding> FindUnsupported(const ovsdb::client::Replica& idl) {
  std::vector<Finding> out;
  // Interfaces: their type and whether they are their bridge's own.
  std::map<Uuid, bool> local;
  const auto* bridges = idl.table("Bridge");
  const auto* ports = idl.table("Port");
  const auto* ifaces = idl.table("Interface");
  if (bridges && ports && ifaces) {
    for (const auto& [bu, b] : *bridges)
      for (const Uuid& pu : GetUuids(b, "ports"))
        if (auto p = ports->find(pu); p != ports->end())
          for (const Uuid& iu : GetUuids(p->second, "interfaces"))
            if (auto i = ifaces->find(iu); i != ifaces->end())
              local[iu] = GetString(i->second, "name") == GetString(b, "name");
  }
  std::set<std::string> tables;
  for (const SupportEntry& e : kTable) tables.insert(e.table);
  for (const std::string& t : tables) {
    const auto* rows = idl.table(t);
    if (!rows) continue;
    for (const auto& [u, row] : *rows) {
      RowContext ctx{&row, "", false};
      if (t == "Interface") {
        ctx.iface_type = GetString(row, "type");
        ctx.local = local.count(u) && local[u];
      }
      CheckRow(t, u, row, ctx, &out);
    }
  }
  return out;
}

std::vector<ovsdb::client::TableSpec> SupportMonitoredColumns() {
  std::map<std::string, std::set<std::string>> cols;
  for (const SupportEntry& e : kTable) {
    if ((e.support != R && e.support != X) || !std::strcmp(e.column, "*")) continue;
    cols[e.table].insert(e.column);
  }
  for (auto& [t, c] : cols) {
    c.insert("name");
    if (t == "Interface") c.insert("type");
    if (t == "Bridge" || t == "Port") c.insert("status");
    if (t == "Open_vSwitch" || t == "Flow_Sample_Collector_Set" || t == "Datapath") c.erase("name");
  }
  std::vector<ovsdb::client::TableSpec> out;
  for (auto& [t, c] : cols) out.push_back({t, std::vector<std::string>(c.begin(), c.end())});
  return out;
}

Json SupportTableJson() {
  Json out = Json::array();
  for (const SupportEntry& e : kTable)
    out.push_back({{"table", e.table}, {"column", e.column}, {"key", e.key},
                   {"support", SupportName(e.support)}, {"owner", e.owner}, {"note", e.note},
                   {"types", e.types}});
  return out;
}

}  // namespace vs::switchd
