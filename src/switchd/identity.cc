#include "switchd/identity.h"

#include <fmt/format.h>

#include <charconv>

#include "netdev/tap.h"

namespace vs::switchd {
namespace {

constexpr uint64_t kMulticastBit = 1ull << 40;  // I/G bit of the first octet

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool UsableHwaddr(uint64_t mac) { return mac != 0 && !(mac & kMulticastBit); }

using ovsdb::client::GetString;
using ovsdb::client::GetStringMap;
using ovsdb::client::MakeStringMap;
using ovsdb::client::MakeUuid;

Json Update(const char* table, const Uuid& u, Json row) {
  return {{"op", "update"},
          {"table", table},
          {"where", Json::array({Json::array({"_uuid", "==", MakeUuid(u)})})},
          {"row", std::move(row)}};
}

// The uuids of a ["map", [[key, ["uuid", U]], ...]] column.
std::vector<Uuid> MapValueUuids(const Json& row, const char* column) {
  std::vector<Uuid> out;
  auto it = row.find(column);
  if (it == row.end() || !it->is_array() || it->size() != 2 || (*it)[0] != "map") return out;
  for (const Json& pair : (*it)[1]) {
    if (!pair.is_array() || pair.size() != 2) continue;
    const Json& v = pair[1];
    if (v.is_array() && v.size() == 2 && v[0] == "uuid" && v[1].is_string())
      if (auto u = Uuid::Parse(v[1].get<std::string>())) out.push_back(*u);
  }
  return out;
}

}  // namespace

std::optional<uint64_t> ParseDatapathId(std::string_view s) {
  if (s.size() != 16) return std::nullopt;
  for (char c : s)
    if (!IsHex(c)) return std::nullopt;
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (v == 0) return std::nullopt;
  return v;
}

std::optional<uint64_t> ParseMac(std::string_view s) {
  if (s.size() != 17) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < 6; i++) {
    const char* p = s.data() + i * 3;
    if (!IsHex(p[0]) || !IsHex(p[1]) || (i < 5 && p[2] != ':')) return std::nullopt;
    unsigned octet = 0;
    std::from_chars(p, p + 2, octet, 16);
    v = (v << 8) | octet;
  }
  return v;
}

std::string DatapathIdString(uint64_t dpid) { return fmt::format("{:016x}", dpid); }

std::string BridgeMac(const std::string& name,
                      const std::map<std::string, std::string>& other_config) {
  auto it = other_config.find("hwaddr");
  if (it != other_config.end())
    if (auto mac = ParseMac(it->second); mac && UsableHwaddr(*mac))
      return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", (*mac >> 40) & 0xff,
                         (*mac >> 32) & 0xff, (*mac >> 24) & 0xff, (*mac >> 16) & 0xff,
                         (*mac >> 8) & 0xff, *mac & 0xff);
  return netdev::StableMac(name);
}

uint64_t PickDatapathId(const std::string& name,
                        const std::map<std::string, std::string>& other_config) {
  auto it = other_config.find("datapath-id");
  if (it != other_config.end())
    if (auto dpid = ParseDatapathId(it->second)) return *dpid;
  return ParseMac(BridgeMac(name, other_config)).value_or(0);
}

std::map<std::string, std::string> DatapathCapabilities() {
  // What dp/ implements: one 802.1Q tag parsed and pushed/popped, output,
  // NORMAL/FLOOD and MAC rewrites translated to plain actions; no
  // recirculation, conntrack, MPLS, tunnels, sampling, hashing or truncation.
  return {{"max_vlan_headers", "1"},
          {"max_mpls_depth", "0"},
          {"recirc", "false"},
          {"ct_state", "false"},
          {"ct_zone", "false"},
          {"ct_mark", "false"},
          {"ct_label", "false"},
          {"ct_state_nat", "false"},
          {"ct_orig_tuple", "false"},
          {"ct_orig_tuple6", "false"},
          {"nd_ext", "false"},
          {"masked_set_action", "false"},
          {"tnl_push_pop", "false"},
          {"ufid", "false"},
          {"trunc", "false"},
          {"clone", "false"},
          {"sample_nesting", "false"},
          {"ct_eventmask", "false"},
          {"ct_clear", "false"},
          {"max_hash_alg", "0"},
          {"check_pkt_len", "false"},
          {"ct_timeout", "false"},
          {"explicit_drop_action", "false"},
          {"lb_output_action", "false"},
          {"ct_zero_snat", "false"},
          {"add_mpls", "false"},
          {"ct_flush", "false"}};
}

void AppendIdentityOps(const ovsdb::client::Replica& idl, const SwitchConfig& cfg,
                       const std::set<std::string>& running, Json* ops) {
  const auto* bridges = idl.table("Bridge");
  for (const BridgeConfig& bc : cfg.bridges) {
    auto row = bridges ? bridges->find(bc.uuid) : decltype(bridges->find(bc.uuid)){};
    if (!bridges || row == bridges->end() || !running.count(bc.name)) continue;
    Json set = Json::object();
    std::string dpid = DatapathIdString(PickDatapathId(bc.name, bc.other_config));
    if (GetString(row->second, "datapath_id") != dpid) set["datapath_id"] = dpid;
    if (GetString(row->second, "datapath_version") != kDatapathVersion)
      set["datapath_version"] = kDatapathVersion;
    if (!set.empty()) ops->push_back(Update("Bridge", bc.uuid, std::move(set)));
  }
  const auto* ovs = idl.table("Open_vSwitch");
  const auto* dps = idl.table("Datapath");
  if (!ovs || ovs->empty() || !dps) return;
  for (const Uuid& u : MapValueUuids(ovs->begin()->second, "datapaths")) {
    auto row = dps->find(u);
    if (row == dps->end()) continue;
    std::map<std::string, std::string> have = GetStringMap(row->second, "capabilities");
    std::map<std::string, std::string> want = have;
    for (const auto& [k, v] : DatapathCapabilities()) want[k] = v;
    if (want != have)
      ops->push_back(Update("Datapath", u, {{"capabilities", MakeStringMap(want)}}));
  }
}

}  // namespace vs::switchd
