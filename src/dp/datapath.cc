// Datapath control side: bridges, ports, tables, snapshots.
#include "dp/datapath.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "base/log.h"
#include "dp/flow_parse.h"
#include "dp/xlate.h"

namespace vs::dp {

namespace {
vs::log::Module& kLog = vs::log::GetModule("dp");
}  // namespace

Result<std::unique_ptr<Datapath>> Datapath::Create(DatapathOptions o) {
  if (o.max_ports < 2 || o.max_ports > 65535) {
    return Status(EINVAL, fmt::format("max_ports {} out of range 2-65535", o.max_ports));
  }
  if (!o.clock) {
    o.clock = [] {
      return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       std::chrono::steady_clock::now().time_since_epoch())
                                       .count());
    };
  }
  auto rcu = Rcu::Create(o.max_pmds);
  if (!rcu.ok()) return rcu.status().Wrap("creating the datapath");
  auto dp = std::unique_ptr<Datapath>(new Datapath(std::move(o), std::move(*rcu)));
  dp->Publish();
  return dp;
}

Datapath::Datapath(DatapathOptions o, std::unique_ptr<Rcu> rcu)
    : options_(std::move(o)), rcu_(std::move(rcu)) {
  ports_.resize(options_.max_ports);
}

Datapath::~Datapath() {
  rcu_.reset();  // runs pending deleters
  delete snap_.load();
}

void Datapath::Publish() {
  auto* s = new DpSnapshot;
  s->ports.resize(ports_.size());
  std::map<std::string, uint32_t> index;
  for (auto& [name, b] : bridges_) {
    index[name] = static_cast<uint32_t>(s->bridges.size());
    s->bridges.push_back(BridgeView{b.state, b.table.rules(), {}, b.fail_open});
  }
  for (const PortCtl& p : ports_) {
    if (!p.info.valid()) continue;
    PortInfo info = p.info;
    info.bridge = index.at(p.bridge);
    s->bridges[info.bridge].ports.push_back(info.id);
    s->ports[info.id] = std::move(info);
  }
  const DpSnapshot* old = snap_.exchange(s, std::memory_order_release);
  gen_.fetch_add(1, std::memory_order_release);
  if (old) rcu_->Retire([old] { delete old; });
  rcu_->Reclaim();
}

Status Datapath::SetFailOpen(const std::string& bridge, bool on) {
  auto b = Find(bridge);
  if (!b.ok()) return b.status();
  if (((*b)->fail_open != nullptr) == on) return Status::Ok();
  if (on) {
    auto r = std::make_shared<Rule>();
    r->actions.push_back(OfAction{OfActionType::kNormal});
    (*b)->fail_open = std::move(r);
  } else {
    (*b)->fail_open.reset();
  }
  Publish();
  return Status::Ok();
}

Result<Datapath::BridgeCtl*> Datapath::Find(const std::string& bridge) {
  auto it = bridges_.find(bridge);
  if (it == bridges_.end()) {
    return Status(ENOENT, fmt::format("no bridge named {}", bridge));
  }
  return &it->second;
}

PortResolver Datapath::Resolver(const std::string& bridge) const {
  return [this, bridge](std::string_view name) -> std::optional<uint32_t> {
    for (const PortCtl& p : ports_) {
      if (p.info.valid() && p.bridge == bridge && p.info.name == name) return p.info.id;
    }
    return std::nullopt;
  };
}

Status Datapath::AddBridge(const std::string& name) {
  if (name.empty()) return Status(EINVAL, "bridge name is empty");
  if (bridges_.count(name)) return Status(EEXIST, fmt::format("bridge {} already exists", name));
  auto state = std::make_shared<BridgeState>(name, &gen_, options_.mac_aging_ns);
  bridges_.emplace(name, BridgeCtl{std::move(state), OfTable(Now())});
  Publish();
  VS_LOG_DBG(kLog, "bridge {}: created with priority=0,actions=NORMAL", name);
  return Status::Ok();
}

Status Datapath::DelBridge(const std::string& name) {
  auto it = bridges_.find(name);
  if (it == bridges_.end()) return Status(ENOENT, fmt::format("no bridge named {}", name));
  for (PortCtl& p : ports_) {
    if (p.info.valid() && p.bridge == name) p = PortCtl{};
  }
  bridges_.erase(it);
  Publish();
  VS_LOG_DBG(kLog, "bridge {}: deleted", name);
  return Status::Ok();
}

Result<uint32_t> Datapath::AddPort(const std::string& bridge, const PortConfig& c) {
  if (!bridges_.count(bridge)) return Status(ENOENT, fmt::format("no bridge named {}", bridge));
  if (c.name.empty()) return Status(EINVAL, "port name is empty");
  if (c.tag < -1 || c.tag > 4095) {
    return Status(EINVAL, fmt::format("port {}: tag {} out of range 0-4095", c.name, c.tag));
  }
  if (PortId(c.name)) return Status(EEXIST, fmt::format("port {} already exists", c.name));
  uint32_t id = c.id;
  if (id != kNoPort) {
    if (id == 0 || id >= ports_.size()) {
      return Status(EINVAL,
                    fmt::format("port {}: id {} out of range 1-{}", c.name, id, ports_.size() - 1));
    }
    if (ports_[id].info.valid()) {
      return Status(EEXIST,
                    fmt::format("port {}: id {} is used by {}", c.name, id, ports_[id].info.name));
    }
  } else {
    for (uint32_t i = 1; i < ports_.size(); i++) {
      if (!ports_[i].info.valid()) {
        id = i;
        break;
      }
    }
    if (id == kNoPort) {
      return Status(ENOSPC, fmt::format("port {}: all {} port ids are in use (raise max_ports)",
                                        c.name, ports_.size() - 1));
    }
  }
  PortCtl& p = ports_[id];
  p.info.id = id;
  p.info.name = c.name;
  p.info.tag = c.tag;
  p.info.trunks = c.trunks;
  p.bridge = bridge;
  Publish();
  VS_LOG_DBG(kLog, "bridge {}: added port {} as port {}{}", bridge, c.name, id,
             c.tag >= 0 ? fmt::format(" (access VLAN {})", c.tag) : std::string());
  return id;
}

Status Datapath::SetPortVlan(const std::string& port, int tag, std::vector<uint16_t> trunks) {
  auto id = PortId(port);
  if (!id) return Status(ENOENT, fmt::format("no port named {}", port));
  if (tag < -1 || tag > 4095) {
    return Status(EINVAL, fmt::format("port {}: tag {} out of range 0-4095", port, tag));
  }
  PortCtl& p = ports_[*id];
  p.info.tag = tag;
  p.info.trunks = std::move(trunks);
  bridges_.at(p.bridge).state->macs.FlushPort(*id);
  Publish();
  return Status::Ok();
}

Status Datapath::DelPort(const std::string& port) {
  auto id = PortId(port);
  if (!id) return Status(ENOENT, fmt::format("no port named {}", port));
  bridges_.at(ports_[*id].bridge).state->macs.FlushPort(*id);
  VS_LOG_DBG(kLog, "bridge {}: deleted port {}", ports_[*id].bridge, port);
  ports_[*id] = PortCtl{};
  Publish();
  return Status::Ok();
}

Result<std::vector<std::string>> Datapath::AddFlow(const std::string& bridge,
                                                   std::string_view flow) {
  auto b = Find(bridge);
  if (!b.ok()) return b.status();
  auto spec = ParseFlow(flow, ParseMode::kAdd, Resolver(bridge));
  if (!spec.ok()) return spec.status();
  (*b)->table.Add(*spec, Now());
  Publish();
  return spec->notes;
}

Result<std::vector<std::string>> Datapath::AddFlows(const std::string& bridge,
                                                    const std::vector<std::string>& lines) {
  auto b = Find(bridge);
  if (!b.ok()) return b.status();
  std::vector<FlowSpec> specs;
  std::vector<std::string> notes;
  PortResolver resolver = Resolver(bridge);
  for (size_t i = 0; i < lines.size(); i++) {
    std::string_view l = lines[i];
    size_t first = l.find_first_not_of(" \t");
    if (first == std::string_view::npos || l[first] == '#') continue;
    auto spec = ParseFlow(l, ParseMode::kAdd, resolver);
    if (!spec.ok()) return spec.status().Wrap(fmt::format("line {}", i + 1));
    for (auto& n : spec->notes) notes.push_back(fmt::format("line {}: {}", i + 1, n));
    specs.push_back(std::move(*spec));
  }
  (*b)->table.AddAll(specs, Now());
  Publish();
  return notes;
}

Result<size_t> Datapath::DelFlows(const std::string& bridge, std::string_view match, bool strict) {
  auto b = Find(bridge);
  if (!b.ok()) return b.status();
  auto spec = ParseFlow(match, ParseMode::kMatchOnly, Resolver(bridge));
  if (!spec.ok()) return spec.status();
  size_t n = (*b)->table.Delete(*spec, strict);
  if (n) Publish();
  return n;
}

Result<size_t> Datapath::AddFlowSpecs(const std::string& bridge,
                                      const std::vector<FlowSpec>& specs) {
  auto b = Find(bridge);
  if (!b.ok()) return b.status();
  size_t replaced = (*b)->table.AddAll(specs, Now());
  Publish();
  return replaced;
}

Result<size_t> Datapath::DelFlowSpec(const std::string& bridge, const FlowSpec& spec, bool strict) {
  auto b = Find(bridge);
  if (!b.ok()) return b.status();
  size_t n = (*b)->table.Delete(spec, strict);
  if (n) Publish();
  return n;
}

Result<std::shared_ptr<const Pipeline>> Datapath::Rules(const std::string& bridge) const {
  auto it = bridges_.find(bridge);
  if (it == bridges_.end()) return Status(ENOENT, fmt::format("no bridge named {}", bridge));
  return it->second.table.rules();
}

Result<std::string> Datapath::DumpFlows(const std::string& bridge, std::string_view filter) {
  auto b = Find(bridge);
  if (!b.ok()) return b.status();
  std::optional<FlowSpec> f;
  if (!filter.empty()) {
    auto spec = ParseFlow(filter, ParseMode::kMatchOnly, Resolver(bridge));
    if (!spec.ok()) return spec.status();
    f = *spec;
  }
  return (*b)->table.Dump(Namer(), Now(), f ? &*f : nullptr);
}

Result<std::string> Datapath::BridgeDumpFlows(const std::string& bridge) {
  auto b = Find(bridge);
  if (!b.ok()) return b.status();
  return (*b)->table.DumpAppctl(Namer(), Now());
}

Result<std::string> Datapath::Trace(const std::string& bridge, std::string_view flow) {
  auto b = Find(bridge);
  if (!b.ok()) return b.status();
  auto spec = ParseFlow(flow, ParseMode::kMatchOnly, Resolver(bridge));
  if (!spec.ok()) return spec.status();
  if (!spec->match.mask.in_port) {
    return Status(EINVAL, "trace needs the input port: add in_port=PORT to the flow");
  }
  if (!spec->meta.Empty()) {
    return Status(EINVAL, "numavs traces start with zero registers and metadata: remove "
                          "reg/metadata/conj_id from the flow");
  }
  const DpSnapshot* snap = snapshot();
  const FlowKey& key = spec->match.key;
  std::string out = "Flow: " + FormatMatch(spec->match, Namer()) + "\n\n";
  UpcallResult r;
  Upcall(*snap, key, Now(), /*learn=*/false, &r, &out);
  Match mega{key, r.mask};
  mega.Normalize();
  FlowKey final_key = ApplyToKey(key, r.actions);
  if (final_key == key) {
    out += "\nFinal flow: unchanged\n";
  } else {
    // Print the fields the user gave plus whatever the actions changed.
    Match fin{final_key, spec->match.mask};
    if (final_key.vlan_tci != key.vlan_tci) fin.mask.vlan_tci = 0xffff;
    if (std::memcmp(final_key.dl_src, key.dl_src, 6)) std::memset(fin.mask.dl_src, 0xff, 6);
    if (std::memcmp(final_key.dl_dst, key.dl_dst, 6)) std::memset(fin.mask.dl_dst, 0xff, 6);
    if (final_key.nw_src != key.nw_src) fin.mask.nw_src = ~0u;
    if (final_key.nw_dst != key.nw_dst) fin.mask.nw_dst = ~0u;
    if (final_key.nw_tos != key.nw_tos) fin.mask.nw_tos = 0xff;
    if (final_key.nw_ttl != key.nw_ttl) fin.mask.nw_ttl = 0xff;
    if (final_key.tp_src != key.tp_src) fin.mask.tp_src = 0xffff;
    if (final_key.tp_dst != key.tp_dst) fin.mask.tp_dst = 0xffff;
    fin.Normalize();
    out += "\nFinal flow: " + FormatMatch(fin, Namer()) + "\n";
  }
  out += "Megaflow: " + FormatMatch(mega, Namer()) + "\n";
  out += "Datapath actions: " + FormatDpActions(r.actions, Namer()) + "\n";
  return out;
}

Result<std::string> Datapath::FdbShow(const std::string& bridge) {
  auto b = Find(bridge);
  if (!b.ok()) return b.status();
  // Ports by OpenFlow number, as OVS prints them; the bridge's own port is LOCAL.
  return (*b)->state->macs.Show(
      [this, &bridge](uint32_t id) {
        return PortName(id) == bridge ? std::string("LOCAL") : std::to_string(id);
      },
      Now());
}

Status Datapath::FdbFlush(const std::string& bridge) {
  auto b = Find(bridge);
  if (!b.ok()) return b.status();
  (*b)->state->macs.Flush();
  return Status::Ok();
}

Status Datapath::FdbAdd(const std::string& bridge, const std::string& port,
                       const std::string& vlan, const std::string& mac) {
  auto b = Find(bridge);
  if (!b.ok()) return b.status();
  auto id = PortId(port);
  if (!id || ports_[*id].bridge != bridge)
    return Status(ENOENT, fmt::format("no port named {} on bridge {}", port, bridge));
  char* end = nullptr;
  unsigned long v = strtoul(vlan.c_str(), &end, 10);
  if (vlan.empty() || *end != '\0' || v > 4095)
    return Status(EINVAL, fmt::format("VLAN \"{}\" is invalid (0 to 4095)", vlan));
  unsigned int m[6];
  char tail;
  if (sscanf(mac.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5],
             &tail) != 6)
    return Status(EINVAL, fmt::format("MAC \"{}\" is invalid (expected 00:11:22:33:44:55)", mac));
  uint8_t bytes[6];
  for (int i = 0; i < 6; i++) bytes[i] = static_cast<uint8_t>(m[i]);
  if (bytes[0] & 1) return Status(EINVAL, fmt::format("MAC {} is a multicast address", mac));
  (*b)->state->macs.AddStatic(bytes, static_cast<uint16_t>(v), *id);
  return Status::Ok();
}

void Datapath::Run() {
  uint64_t now = Now();
  for (auto& [name, b] : bridges_) b.state->macs.Expire(now);
  rcu_->Reclaim();
}

Result<std::vector<PortInfo>> Datapath::Ports(const std::string& bridge) const {
  if (!bridges_.count(bridge)) return Status(ENOENT, fmt::format("no bridge named {}", bridge));
  std::vector<PortInfo> out;
  for (const PortCtl& p : ports_) {
    if (p.info.valid() && p.bridge == bridge) out.push_back(p.info);
  }
  return out;
}

std::optional<uint32_t> Datapath::PortId(std::string_view name) const {
  for (const PortCtl& p : ports_) {
    if (p.info.valid() && p.info.name == name) return p.info.id;
  }
  return std::nullopt;
}

std::string Datapath::PortName(uint32_t id) const {
  return id < ports_.size() && ports_[id].info.valid() ? ports_[id].info.name : std::string();
}

PortNamer Datapath::Namer() const {
  return [this](uint32_t id) { return PortName(id); };
}

std::vector<std::string> Datapath::Bridges() const {
  std::vector<std::string> out;
  for (const auto& [name, b] : bridges_) out.push_back(name);
  return out;
}

}  // namespace vs::dp
