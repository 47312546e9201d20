// The datapath and device commands OVS users type, with OVS 3.1's names,
// arguments and output layouts (lib/dpctl.c, ofproto-dpif-upcall.c,
// lib/netdev-dpdk.c), over numavs's datapath:
//
//   dpctl/dump-dps                  netdev@ovs-netdev (numavs has one datapath)
//   dpctl/show [-s] [DP...]         lookups hit/missed/lost, flows, masks, ports
//                                   (datapath number, name, type and config)
//   dpctl/dump-flows [-m] [--names|--no-names] [DP] [type=..] [pmd=N]
//                                   the PMDs' megaflows; -m adds a flow id
//                                   (ufid: a hash of the match), every field of
//                                   the key with its mask, and dp:ovs
//   upcall/show                     megaflows now / average / maximum / limit
//   netdev-dpdk/set-admin-state [IFACE] up|down
//                                   down: the port's rx queues are no longer
//                                   polled, packets to it are dropped (and
//                                   counted as the PMDs' tx drops), its link
//                                   is set down where the device supports it;
//                                   Interface.admin_state follows
//   netdev-dpdk/detach DEVICE       refused while an interface uses the device
//   memory/show                     before DPDK runs (the memory report
//                                   replaces it once DPDK started)
//
// Where numavs differs from OVS: datapath port numbers are the OpenFlow port
// numbers (the bridge's LOCAL port takes a number from the top), there is no
// "ovs-netdev" port 0, megaflow keys keep only the fields numavs matches on,
// upcalls never fail (lost is 0), the flow limit is per PMD, and "dump
// duration" is the time the command took to collect the PMDs' flows.
#include <fmt/format.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <strings.h>

#include <chrono>

#include "base/log.h"
#include "dp/actions.h"
#include "switchd/switchd.h"

namespace vs::switchd {
namespace {

log::Module& kLog = log::GetModule("netdev_dpdk");
constexpr char kDpName[] = "netdev@ovs-netdev";

// dpctl's options, parsed as OVS's dpctl_unixctl_handler does: leading -m/-s/--more/
// --statistics/--names/--no-names, then the arguments.
struct DpctlArgs {
  int verbosity = 0;
  bool statistics = false;
  bool names = false;
  std::vector<std::string> args;
};

Result<DpctlArgs> ParseDpctl(const std::vector<std::string>& a) {
  DpctlArgs out;
  bool set_names = false;
  size_t i = 0;
  for (; i < a.size(); i++) {
    const std::string& arg = a[i];
    if (arg.rfind("--", 0) == 0) {
      if (arg == "--statistics")
        out.statistics = true;
      else if (arg == "--more")
        out.verbosity++;
      else if (arg == "--names")
        out.names = set_names = true;
      else if (arg == "--no-names")
        set_names = true, out.names = false;
      else
        return Status(EINVAL, "Unrecognized option " + arg);
    } else if (arg.size() > 1 && arg[0] == '-') {
      for (char c : arg.substr(1)) {
        if (c == 'm')
          out.verbosity++;
        else if (c == 's')
          out.statistics = true;
        else
          return Status(EINVAL, fmt::format("Unrecognized option -{}", c));
      }
    } else {
      break;
    }
  }
  out.args.assign(a.begin() + static_cast<std::ptrdiff_t>(i), a.end());
  if (!set_names) out.names = out.verbosity > 0;
  return out;
}

Status NoSuchDatapath(const std::string& name) {
  return Status(ENODEV,
                fmt::format("numavs-switchd: opening datapath {} failed (No such device)", name));
}

std::string Masked(const std::string& v, const std::string& m, bool exact) {
  return exact ? v : v + "/" + m;
}
std::string Num(uint64_t v, uint64_t m, uint64_t all) {
  if (m == all) return std::to_string(v);
  return m ? fmt::format("{}/{:#x}", v, m) : fmt::format("{}/0", v);
}
bool Ones(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != 0xff) return false;
  return true;
}

// The megaflow with every field numavs keys on and its mask (dpctl/dump-flows -m).
std::string FullMatch(const dp::Match& m, const dp::PortNamer& namer) {
  const dp::FlowKey& k = m.key;
  const dp::FlowKey& x = m.mask;
  std::string port = namer ? namer(k.in_port) : "";
  std::string out = fmt::format("in_port({})", port.empty() ? std::to_string(k.in_port) : port);
  out += fmt::format(",eth(src={},dst={})",
                     Masked(dp::FormatMac(k.dl_src), dp::FormatMac(x.dl_src), Ones(x.dl_src, 6)),
                     Masked(dp::FormatMac(k.dl_dst), dp::FormatMac(x.dl_dst), Ones(x.dl_dst, 6)));
  if (x.vlan_tci || (k.vlan_tci & dp::kVlanPresent))
    out += fmt::format(",vlan(tci={})", Num(k.vlan_tci, x.vlan_tci, 0xffff));
  out += fmt::format(",eth_type({})", x.dl_type == 0xffff ? fmt::format("{:#06x}", k.dl_type)
                                      : x.dl_type == 0
                                          ? fmt::format("{}/0", k.dl_type)
                                          : fmt::format("{:#06x}/{:#x}", k.dl_type, x.dl_type));
  if (x.dl_type != 0xffff) return out;
  auto ip4 = [](uint32_t v, uint32_t mk) {
    return Masked(dp::FormatIpv4(v), dp::FormatIpv4(mk), mk == ~0u);
  };
  if (k.dl_type == dp::kEthTypeIpv4 || k.dl_type == dp::kEthTypeIpv6) {
    bool v6 = k.dl_type == dp::kEthTypeIpv6;
    std::string src =
        v6 ? Masked(dp::FormatIpv6(k.ipv6_src), dp::FormatIpv6(x.ipv6_src), Ones(x.ipv6_src, 16))
           : ip4(k.nw_src, x.nw_src);
    std::string dst =
        v6 ? Masked(dp::FormatIpv6(k.ipv6_dst), dp::FormatIpv6(x.ipv6_dst), Ones(x.ipv6_dst, 16))
           : ip4(k.nw_dst, x.nw_dst);
    out += fmt::format(",{}(src={},dst={},proto={},tos={},{}={}", v6 ? "ipv6" : "ipv4", src, dst,
                       Num(k.nw_proto, x.nw_proto, 0xff), Num(k.nw_tos, x.nw_tos, 0xff),
                       v6 ? "hlimit" : "ttl", Num(k.nw_ttl, x.nw_ttl, 0xff));
    if (x.nw_frag)
      out += std::string(",frag=") + (k.nw_frag == 0                 ? "no"
                                      : (k.nw_frag & dp::kFragLater) ? "later"
                                                                     : "first");
    out += ")";
    const char* l4 = k.nw_proto == dp::kIpProtoTcp      ? "tcp"
                     : k.nw_proto == dp::kIpProtoUdp    ? "udp"
                     : k.nw_proto == dp::kIpProtoIcmp   ? "icmp"
                     : k.nw_proto == dp::kIpProtoIcmpv6 ? "icmpv6"
                                                        : nullptr;
    if (l4 && x.nw_proto == 0xff) {
      bool icmp = k.nw_proto == dp::kIpProtoIcmp || k.nw_proto == dp::kIpProtoIcmpv6;
      out += fmt::format(",{}({}={},{}={})", l4, icmp ? "type" : "src",
                         Num(k.tp_src, x.tp_src, 0xffff), icmp ? "code" : "dst",
                         Num(k.tp_dst, x.tp_dst, 0xffff));
    }
  } else if (k.dl_type == dp::kEthTypeArp) {
    out += fmt::format(",arp(sip={},tip={},op={})", ip4(k.nw_src, x.nw_src),
                       ip4(k.nw_dst, x.nw_dst), Num(k.nw_proto, x.nw_proto, 0xff));
  }
  return out;
}

// A megaflow's id: a 128-bit hash of its (masked) key and mask, as a UUID.
std::string Ufid(const dp::Match& m) {
  const dp::KeyWord* k = dp::Words(m.key);
  const dp::KeyWord* x = dp::Words(m.mask);
  uint64_t a = 0x243f6a8885a308d3ULL, b = 0x13198a2e03707344ULL;
  for (int i = 0; i < dp::kKeyWords; i++) {
    a = dp::HashMix(a, k[i]);
    b = dp::HashMix(b, x[i] ^ a);
  }
  uint64_t hi = (static_cast<uint64_t>(dp::HashFinish(a)) << 32) | dp::HashFinish(b ^ a);
  uint64_t lo = (static_cast<uint64_t>(dp::HashFinish(b)) << 32) | dp::HashFinish(a + b);
  return fmt::format("ufid:{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff,
                     hi & 0xffff, lo >> 48, lo & 0xffffffffffffULL);
}

// One PMD's megaflows in dpctl/dump-flows lines (runs on the PMD's thread).
std::string FlowLines(const dp::Pmd& pmd, const dp::PortNamer& namer, bool verbose, uint64_t now) {
  std::string out;
  pmd.ForEachFlow([&](const dp::Megaflow& f) {
    std::string used = f.packets ? fmt::format("{:.3f}s", (now - f.used_ns) / 1e9) : "never";
    if (verbose)
      out += Ufid(f.match) + ", " + FullMatch(f.match, namer);
    else
      out += dp::FormatDpMatch(f.match, namer);
    out += fmt::format(", packets:{}, bytes:{}, used:{}{}, actions:{}\n", f.packets, f.bytes, used,
                       verbose ? ", dp:ovs" : "", dp::FormatDpActions(f.actions, namer));
  });
  return out;
}

std::string Stat(const std::map<std::string, int64_t>& s, const char* key) {
  auto it = s.find(key);
  return it == s.end() ? std::string("?") : std::to_string(it->second);
}

std::string HumanSize(const std::map<std::string, int64_t>& s, const char* key) {
  auto it = s.find(key);
  if (it == s.end()) return "";
  double v = static_cast<double>(it->second);
  if (v >= 1024.0 * 1024 * 1024 * 1024)
    return fmt::format(" ({:.1f} TiB)", v / (1024.0 * 1024 * 1024 * 1024));
  if (v >= 1024.0 * 1024 * 1024) return fmt::format(" ({:.1f} GiB)", v / (1024.0 * 1024 * 1024));
  if (v >= 1024.0 * 1024) return fmt::format(" ({:.1f} MiB)", v / (1024.0 * 1024));
  if (v >= 1024) return fmt::format(" ({:.1f} KiB)", v / 1024.0);
  return "";
}

bool IsDpdkType(const std::string& type) {
  return type == "dpdk" || type.rfind("dpdkvhostuser", 0) == 0;
}

// The device name a dpdk interface's devargs names (before the first ',').
std::string DeviceName(const std::map<std::string, std::string>& options) {
  auto it = options.find("dpdk-devargs");
  return it == options.end() ? "" : it->second.substr(0, it->second.find(','));
}

}  // namespace

std::string Switchd::DpctlShowText(bool statistics) const {
  uint64_t hit = 0, missed = 0, flows = 0, masks = 0;
  for (const auto& [core, pmd] : pmds_->pmds()) {
    const dp::PmdStats& s = pmd->stats();
    auto v = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
    hit += v(s.simple_match_hits) + v(s.same_flow_hits) + v(s.emc_hits) + v(s.smc_hits) +
           v(s.megaflow_hits);
    missed += v(s.upcalls);
    flows += v(s.megaflows);
    masks += v(s.subtables);
  }
  uint64_t mask_hit = 0;
  for (const auto& a : pmds_->AskPmds([](dp::Pmd& p) { return std::to_string(p.mask_probes()); }))
    mask_hit += std::stoull(a.text);
  uint64_t pkts = hit + missed;
  std::string out = fmt::format("{}:\n  lookups: hit:{} missed:{} lost:0\n  flows: {}\n", kDpName,
                                hit, missed, flows);
  out += fmt::format("  masks: hit:{} total:{} hit/pkt:{:.2f}\n", mask_hit, masks,
                     pkts ? static_cast<double>(mask_hit) / pkts : 0.0);
  std::map<uint32_t, const Iface*> ports;
  for (const auto& [u, in] : ifaces_)
    if (in.dev && in.dp_port != dp::kNoPort) ports[in.dp_port] = &in;
  for (const auto& [no, in] : ports) {
    const netdev::Netdev& d = *in->dev;
    std::string type = d.type() == "internal" ? "tap" : d.type();
    std::map<std::string, std::string> config;
    if (d.n_rxq() || d.n_txq()) {
      auto req = in->cfg.options.find("n_rxq");
      config["requested_rx_queues"] =
          req == in->cfg.options.end() ? std::to_string(d.n_rxq()) : req->second;
      config["configured_rx_queues"] = std::to_string(d.n_rxq());
      config["requested_tx_queues"] = config["configured_tx_queues"] = std::to_string(d.n_txq());
      config["mtu"] = std::to_string(d.mtu());
    }
    if (in->cfg.type == "dpdk") {
      auto st = d.Status();
      for (auto [from, to] : {std::pair<const char*, const char*>{"n_rxq_desc", "rxq_descriptors"},
                              {"n_txq_desc", "txq_descriptors"}}) {
        if (!st.count(from)) continue;
        config[std::string("requested_") + to] = config[std::string("configured_") + to] = st[from];
      }
      if (st.count("rx_csum_offload"))
        config["rx_csum_offload"] = st["rx_csum_offload"] == "true" ? "true" : "false";
    }
    out += fmt::format("  port {}: {} ({}", no, in->cfg.name, type);
    char sep = ':';
    for (const auto& [k, v] : config) {
      out += fmt::format("{} {}={}", sep, k, v);
      sep = ',';
    }
    out += ")\n";
    if (!statistics) continue;
    auto s = d.Statistics();
    out += fmt::format("    RX packets:{} errors:{} dropped:{} overruns:{} frame:{}\n",
                       Stat(s, "rx_packets"), Stat(s, "rx_errors"), Stat(s, "rx_dropped"),
                       Stat(s, "rx_over_errors"), Stat(s, "rx_frame_errors"));
    out += fmt::format("    TX packets:{} errors:{} dropped:{} aborted:{} carrier:{}\n",
                       Stat(s, "tx_packets"), Stat(s, "tx_errors"), Stat(s, "tx_dropped"),
                       Stat(s, "tx_aborted_errors"), Stat(s, "tx_carrier_errors"));
    out += fmt::format("    collisions:{}\n", Stat(s, "collisions"));
    out += fmt::format("    RX bytes:{}{}  TX bytes:{}{}\n", Stat(s, "rx_bytes"),
                       HumanSize(s, "rx_bytes"), Stat(s, "tx_bytes"), HumanSize(s, "tx_bytes"));
  }
  return out;
}

Result<std::string> Switchd::DpctlDumpFlows(const std::vector<std::string>& argv) const {
  auto o = ParseDpctl(argv);
  if (!o.ok()) return o.status();
  std::vector<std::string> args = o->args;
  int pmd_filter = -1;
  bool want_none = false;
  bool seen_type = false;
  // Trailing filter=/type=/pmd= as in OVS (each once).
  for (bool more = true; more && !args.empty();) {
    const std::string& a = args.back();
    more = false;
    if (a.rfind("filter=", 0) == 0) {
      return Status(ENOTSUP,
                    "numavs-switchd: dpctl/dump-flows filter= is not supported by numavs "
                    "(dump all flows and select with grep)");
    } else if (a.rfind("type=", 0) == 0 && !seen_type) {
      // numavs's flows are all in its userspace datapath ("ovs"), none offloaded.
      for (size_t p = 5; p <= a.size();) {
        size_t e = a.find(',', p);
        std::string t = a.substr(p, e == std::string::npos ? std::string::npos : e - p);
        if (t != "ovs" && t != "all" && t != "non-offloaded" && t != "tc" && t != "dpdk" &&
            t != "offloaded" && t != "partially-offloaded")
          return Status(EINVAL, fmt::format("numavs-switchd: Failed to parse type ({})", t));
        if (t == "ovs" || t == "all" || t == "non-offloaded")
          want_none = false, seen_type = true;
        else if (!seen_type)
          want_none = true;
        if (e == std::string::npos) break;
        p = e + 1;
      }
      seen_type = true;
      args.pop_back();
      more = true;
    } else if (a.rfind("pmd=", 0) == 0) {
      char* end = nullptr;
      long v = strtol(a.c_str() + 4, &end, 10);
      if (a.size() == 4 || *end)
        return Status(EINVAL, "numavs-switchd: invalid pmd=" + a.substr(4));
      pmd_filter = static_cast<int>(v);
      args.pop_back();
      more = true;
    }
  }
  if (args.size() > 1 || (args.size() == 1 && args[0] != kDpName))
    return Status(EINVAL, "numavs-switchd: datapath not found (Invalid argument)");
  if (want_none) return std::string();
  dp::PortNamer namer = o->names ? dp_->Namer() : dp::PortNamer();
  bool verbose = o->verbosity > 0;
  uint64_t now = dp_->Now();
  std::string out;
  for (const auto& a : pmds_->AskPmds(
           [namer, verbose, now](dp::Pmd& p) { return FlowLines(p, namer, verbose, now); })) {
    if (pmd_filter >= 0 && a.core != pmd_filter) continue;
    if (a.text.empty()) continue;
    if (pmd_filter < 0) out += fmt::format("flow-dump from pmd on cpu core: {}\n", a.core);
    out += a.text;
  }
  return out;
}

std::string Switchd::UpcallShowText() {
  auto start = std::chrono::steady_clock::now();
  auto keys = pmds_->AskPmds(
      [](dp::Pmd& p) { return fmt::format("  {}: (keys {})\n", p.id(), p.megaflow_count()); });
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  SampleFlowCount();
  std::string out = fmt::format(
      "{}:\n  flows         : (current {}) (avg {}) (max {}) (limit {})\n  dump duration : {}ms\n"
      "  ufid enabled : true\n\n",
      kDpName, flow_count_.current, flow_count_.avg, flow_count_.max, dp_->options().max_megaflows,
      ms);
  for (const auto& k : keys) out += k.text;
  return out;
}

void Switchd::SampleFlowCount() {
  uint64_t n = 0;
  for (const auto& [core, pmd] : pmds_->pmds()) n += pmd->megaflow_count();
  flow_count_.current = n;
  flow_count_.max = std::max(flow_count_.max, n);
  flow_count_.avg = (flow_count_.avg + n) / 2;  // as OVS's revalidators average it
}

Result<std::string> Switchd::SetAdminState(const std::vector<std::string>& a) {
  const std::string& state = a.back();
  bool up;
  if (!strcasecmp(state.c_str(), "up"))
    up = true;
  else if (!strcasecmp(state.c_str(), "down"))
    up = false;
  else
    return Status(EINVAL, "Invalid Admin State");
  std::vector<Iface*> targets;
  for (auto& [u, in] : ifaces_) {
    if (!in.dev || !IsDpdkType(in.cfg.type)) continue;
    if (a.size() == 2 && in.cfg.name != a[0]) continue;
    targets.push_back(&in);
  }
  if (a.size() == 2 && targets.empty()) return Status(ENODEV, "Not a DPDK Interface");
  for (Iface* in : targets) {
    if (in->admin_down == !up) continue;
    int port = in->dev->ethdev_port();
    if (port >= 0) {
      int rc = up ? rte_eth_dev_set_link_up(static_cast<uint16_t>(port))
                  : rte_eth_dev_set_link_down(static_cast<uint16_t>(port));
      if (rc == -ENOTSUP) {
        VS_LOG_INFO(kLog, "Interface {} does not support link state configuration", in->cfg.name);
      } else if (rc < 0) {
        VS_LOG_ERR(kLog, "Interface {} link change error: {}", in->cfg.name, rte_strerror(-rc));
        return Status(EIO, fmt::format("Interface {} link change error: {}", in->cfg.name,
                                       rte_strerror(-rc)));
      }
    }
    in->admin_down = !up;
    VS_LOG_INFO(kLog, "interface {}: admin state {} (netdev-dpdk/set-admin-state)", in->cfg.name,
                up ? "up" : "down");
  }
  OnDbChange();  // replan the PMDs (an admin-down port is not polled) and write admin_state
  return std::string("OK");
}

Result<std::string> Switchd::DetachDevice(const std::string& name) {
  std::string users;
  for (const auto& [u, in] : ifaces_)
    if (in.dev && IsDpdkType(in.cfg.type) && DeviceName(in.cfg.options) == name)
      users += " " + in.cfg.name;
  if (!users.empty())
    return Status(EBUSY, fmt::format("Device '{}' is being used by the following interfaces:{}. "
                                     "Remove them before detaching.",
                                     name, users));
  std::string done = fmt::format("All devices shared with device '{}' have been detached", name);
  uint16_t port = 0;
  if (ctx_.dpdk_ready() && !ctx_.simulated() &&
      rte_eth_dev_get_port_by_name(name.c_str(), &port) == 0) {
    struct rte_eth_dev_info info = {};
    bool have = rte_eth_dev_info_get(port, &info) == 0;
    rte_eth_dev_close(port);
    if (!have || !info.device || rte_dev_remove(info.device) < 0)
      return Status(EIO, fmt::format("Device '{}' can not be detached", name));
    return done;
  }
  // numavs detaches a device when its last interface is deleted.
  if (released_devices_.count(name)) return done;
  return Status(ENODEV, fmt::format("Device '{}' not found in DPDK", name));
}

std::string Switchd::EarlyMemoryText() const {
  size_t ports = 0;
  for (const auto& [u, in] : ifaces_) ports += in.dev ? 1 : 0;
  std::string out = fmt::format("bridges:{} ports:{}\n", bridges_.size(), ports);
  if (!ctx_.init_error().empty()) return out + "DPDK is not running: " + ctx_.init_error() + "\n";
  return out +
         "DPDK is not initialized (other_config:dpdk-init=true starts it): no packet "
         "buffers are allocated yet\n";
}

void Switchd::RegisterDpctlCommands(ctl::UnixctlServer& ctl) {
  ctl.Register("dpctl/dump-dps", "", 0, 0,
               [](const auto&) -> Result<std::string> { return std::string(kDpName) + "\n"; });
  ctl.Register("dpctl/show", "[-s] [dp...]", 0, 100, [this](const auto& a) -> Result<std::string> {
    auto o = ParseDpctl(a);
    if (!o.ok()) return o.status();
    for (const std::string& dp : o->args)
      if (dp != kDpName) return NoSuchDatapath(dp);
    return DpctlShowText(o->statistics);
  });
  ctl.Register("dpctl/dump-flows", "[-m] [--names] [dp] [filter=..] [type=..] [pmd=..]", 0, 100,
               [this](const auto& a) { return DpctlDumpFlows(a); });
  ctl.Register("upcall/show", "", 0, 0,
               [this](const auto&) -> Result<std::string> { return UpcallShowText(); });
  ctl.Register("netdev-dpdk/set-admin-state", "[netdev] up|down", 1, 2,
               [this](const auto& a) { return SetAdminState(a); });
  ctl.Register("netdev-dpdk/detach", "pci address of device", 1, 1,
               [this](const auto& a) { return DetachDevice(a[0]); });
  // Until DPDK runs; then src/numa's memory report takes the name (Reconcile).
  ctl.Register("memory/show", "[--format=json]", 0, 1,
               [this](const auto& a) -> Result<std::string> {
                 if (!a.empty() && a[0] != "--format=text" && a[0] != "--format=json")
                   return Status(EINVAL, "usage: memory/show [--format=json]");
                 if (!a.empty() && a[0] == "--format=json") {
                   Json j = {{"dpdk", ctx_.init_error().empty() ? "not initialized" : "failed"},
                             {"error", ctx_.init_error()},
                             {"bridges", bridges_.size()}};
                   return j.dump(2) + "\n";
                 }
                 return EarlyMemoryText();
               });
}

}  // namespace vs::switchd
