// The configuration numavs-switchd applies, read from its copy of the
// Open_vSwitch database (ovsdb::client::Idl). Only what the daemon acts on is
// kept; everything is by value so a reconciliation can compare old and new.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/uuid.h"
#include "ofproto/controller.h"
#include "ovsdb/client/idl.h"

namespace vs::switchd {

struct InterfaceConfig {
  Uuid uuid;
  std::string name;
  std::string type;  // "" means "system" in OVS
  std::map<std::string, std::string> options;
  std::optional<int64_t> mtu_request;
  std::optional<int64_t> ofport_request;
  std::string mac_request;  // Interface.mac
  // The address the device takes (netdev::Config::mac): for an internal
  // interface its bridge's (BridgeMac) when it is the bridge's own, else
  // Interface.mac when valid, else netdev::StableMac(name); "" otherwise.
  std::string mac;
  bool operator==(const InterfaceConfig&) const = default;
};

struct PortConfig {
  Uuid uuid;
  std::string name;
  std::vector<InterfaceConfig> interfaces;
  std::optional<int64_t> tag;
  std::vector<int64_t> trunks;
  std::string vlan_mode;
  bool operator==(const PortConfig&) const = default;
};

struct ControllerRow {
  Uuid uuid;
  ofproto::ControllerConfig cfg;
};

struct BridgeConfig {
  Uuid uuid;
  std::string name;
  std::string datapath_type;
  std::vector<PortConfig> ports;  // sorted by name
  std::vector<ControllerRow> controllers;  // Bridge.controller
  std::string fail_mode;                   // "", "standalone" or "secure"
  std::vector<std::string> protocols;      // Bridge.protocols ("OpenFlow13", ...)
  std::map<std::string, std::string> other_config;
};

struct SwitchConfig {
  bool present = false;  // an Open_vSwitch row exists
  Uuid ovs_uuid;
  int64_t next_cfg = 0;
  int64_t cur_cfg = 0;
  std::map<std::string, std::string> other_config;
  std::vector<BridgeConfig> bridges;  // sorted by name
};

// The tables and columns the daemon monitors.
std::vector<ovsdb::client::TableSpec> MonitoredTables();

// Builds the configuration from the Idl's copy. Rows referenced but missing
// (possible for a moment during a resync) are skipped.
SwitchConfig ReadConfig(const ovsdb::client::Replica& idl);

}  // namespace vs::switchd
