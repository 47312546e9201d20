// What numavs-switchd writes about its bridges and datapath, where ovs-vswitchd
// 3.1 writes the same columns (vswitchd/bridge.c, ofproto-dpif):
//
//   Bridge.datapath_id       16 hex digits: other_config:datapath-id when it is
//                            valid, else the bridge's Ethernet address (BridgeMac,
//                            the MAC of its internal interface);
//   Bridge.datapath_version  "<built-in>", as OVS's userspace datapath;
//   Datapath.capabilities    OVS 3.1's keys with the values of numavs's datapath,
//                            in the Datapath rows Open_vSwitch.datapaths names
//                            (ovs-vswitchd fills existing rows; it creates none).
//
// The system identity (ovs_version, external_ids:system-id, system-type,
// system-version) is written by the launcher, apps/numavs, as ovs-ctl does.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ovsdb/client/idl.h"
#include "switchd/config.h"

namespace vs::switchd {

inline constexpr const char* kDatapathVersion = "<built-in>";

// OVS's rule: exactly 16 hexadecimal digits, not all zero.
std::optional<uint64_t> ParseDatapathId(std::string_view s);
// "aa:bb:cc:dd:ee:ff" (either case) -> the 48-bit value.
std::optional<uint64_t> ParseMac(std::string_view s);
// The 16 lower-case hex digits OVS writes.
std::string DatapathIdString(uint64_t dpid);

// The bridge's Ethernet address, which its internal (LOCAL) interface takes:
// other_config:hwaddr when it is a unicast, non-zero MAC; else a locally
// administered address derived from the bridge's name (netdev::StableMac), the
// same on every run. (ovs-vswitchd's default is the lowest MAC among the
// bridge's ports, which changes as ports come and go; numavs keeps the
// bridge's address stable instead.) "aa:bb:cc:dd:ee:ff", lower case.
std::string BridgeMac(const std::string& name, const std::map<std::string, std::string>& other_config);

// The datapath ID as ovs-vswitchd picks it: other_config:datapath-id when
// valid, else the bridge's Ethernet address (BridgeMac).
uint64_t PickDatapathId(const std::string& name,
                        const std::map<std::string, std::string>& other_config);

// Datapath.capabilities of numavs's userspace datapath, under OVS 3.1's keys.
std::map<std::string, std::string> DatapathCapabilities();

// Appends to `ops` the updates of Bridge.datapath_id/datapath_version (for the
// bridges in `running`) and of the capabilities of the Datapath rows that
// Open_vSwitch.datapaths names, where the database copy differs.
void AppendIdentityOps(const ovsdb::client::Replica& idl, const SwitchConfig& cfg,
                       const std::set<std::string>& running, Json* ops);

}  // namespace vs::switchd
