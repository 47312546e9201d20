#include "numa/planner.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <map>

namespace vs::numa {
namespace {

constexpr uint64_t kMb = 1ull << 20;
constexpr uint32_t kEtherOverhead = 26;  // header 14 + CRC 4 + 2 VLAN tags 8
constexpr uint32_t kRxBufAlign = 1024;   // NETDEV_DPDK_MBUF_ALIGN
constexpr uint32_t kHeadroom = 128;      // RTE_PKTMBUF_HEADROOM
constexpr uint32_t kMbufStruct = 128;    // sizeof(struct rte_mbuf)
constexpr uint32_t kObjHeader = 64;      // cache-line rounded struct rte_mempool_objhdr
constexpr uint64_t kPoolHeader = 256;    // struct rte_mempool + pktmbuf private area
constexpr uint64_t kMaxLcores = 128;     // RTE_MAX_LCORE of Debian's DPDK 22.11
constexpr uint64_t kLcoreCache = 8256;   // sizeof(struct rte_mempool_cache)
constexpr uint64_t kRingHeader = 128;

uint64_t RoundUp(uint64_t v, uint64_t to) { return (v + to - 1) / to * to; }
uint64_t NextPow2(uint64_t v) {
  uint64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

std::string ReplaceEntry(const EalConfig& cfg, bool limit, int node, uint64_t mb) {
  std::vector<uint64_t> v;
  int n = std::max(cfg.node_count, node + 1);
  for (int i = 0; i < n; i++) v.push_back(limit ? cfg.LimitMb(i) : cfg.StartMb(i));
  v[node] = mb;
  return fmt::format("{}", fmt::join(v, ","));
}

// "echo N > /sys/.../nr_hugepages" giving `node` `short_bytes` more free hugepages.
std::string ReserveCommand(const Topology& topo, int node, uint64_t short_bytes) {
  uint64_t page_kb = topo.DefaultPageKb();
  const Node* n = topo.FindNode(node);
  const HugepagePool* hp = n ? n->Pages(page_kb) : nullptr;
  uint64_t pages = (short_bytes + page_kb * 1024 - 1) / (page_kb * 1024);
  return fmt::format("echo {} > {}", (hp ? hp->total : 0) + pages,
                     topo.NrHugepagesPath(node, page_kb));
}

}  // namespace

std::string Mb(uint64_t bytes) { return fmt::format("{} MB", (bytes + kMb - 1) / kMb); }

Status ValidatePort(const PortSpec& p) {
  auto bad = [&](const char* field, int64_t v, const char* why) {
    return Status(EINVAL, fmt::format("port {}: {}={} is invalid: {}", p.name, field, v, why));
  };
  if (p.mtu < 68 || p.mtu > 65535 - 26) return bad("mtu", p.mtu, "must be 68..65509");
  if (p.n_rxq < 1 || p.n_rxq > 1024) return bad("n_rxq", p.n_rxq, "must be 1..1024");
  if (p.n_txq < 1 || p.n_txq > 1024) return bad("n_txq", p.n_txq, "must be 1..1024");
  if (p.rxq_size < 1 || p.rxq_size > 32768)
    return bad("n_rxq_desc", p.rxq_size, "must be 1..32768");
  if (p.txq_size < 1 || p.txq_size > 32768)
    return bad("n_txq_desc", p.txq_size, "must be 1..32768");
  if (p.n_pmds < 1 || p.n_pmds > 1024) return bad("pmds", p.n_pmds, "must be 1..1024");
  if (p.node < 0) return bad("numa node", p.node, "unresolved");
  return Status::Ok();
}

Result<PortSpec> ParsePortArgs(std::string_view text_in, const Topology& topo) {
  std::string text(text_in);
  std::vector<std::string> parts;
  size_t pos = 0;
  while (true) {
    size_t c = text.find(',', pos);
    parts.push_back(text.substr(pos, c == std::string::npos ? std::string::npos : c - pos));
    if (c == std::string::npos) break;
    pos = c + 1;
  }
  if (parts.size() < 2 || parts[0].empty() || parts[1].empty()) {
    return Status(EINVAL, fmt::format("port \"{}\": expected NAME,DEVARGS[,OPT=N...]", text));
  }
  PortSpec p;
  p.name = parts[0];
  std::string devargs = parts[1];
  int cpu = -1;
  static const char* kNumeric[] = {"mtu",        "n_rxq", "n_txq", "n_rxq_desc",
                                   "n_txq_desc", "pmds",  "cpu"};
  for (size_t i = 2; i < parts.size(); i++) {
    size_t eq = parts[i].find('=');
    std::string k = parts[i].substr(0, eq);
    if (std::find(std::begin(kNumeric), std::end(kNumeric), k) == std::end(kNumeric)) {
      devargs += "," + parts[i];  // a devargs option (numa_node=1, rx_pcap=..., ...)
      continue;
    }
    uint32_t v = 0;
    std::string_view num =
        eq == std::string::npos ? std::string_view() : std::string_view(parts[i]).substr(eq + 1);
    auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
    if (num.empty() || ec != std::errc() || ptr != num.data() + num.size() || v > 1000000) {
      return Status(EINVAL, fmt::format("port {}: option \"{}\" needs a number", p.name, parts[i]));
    }
    if (k == "mtu") p.mtu = static_cast<int>(v);
    if (k == "n_rxq") p.n_rxq = v;
    if (k == "n_txq") p.n_txq = v;
    if (k == "n_rxq_desc") p.rxq_size = v;
    if (k == "n_txq_desc") p.txq_size = v;
    if (k == "pmds") p.n_pmds = v;
    if (k == "cpu") cpu = static_cast<int>(v);
  }
  auto loc = ResolveDeviceNode(topo, devargs, cpu);
  if (!loc.ok()) return loc.status().Wrap(fmt::format("port {}", p.name));
  p.node = loc->node;
  VS_RETURN_IF_ERROR(ValidatePort(p));
  return p;
}

uint32_t DataRoomForMtu(int mtu) {
  return static_cast<uint32_t>(RoundUp(static_cast<uint64_t>(mtu) + kEtherOverhead, kRxBufAlign)) +
         kHeadroom;
}

uint64_t ObjectBytes(uint32_t data_room, const PlannerOptions& o) {
  return kObjHeader + RoundUp(kMbufStruct + o.priv_size + data_room, 64);
}

uint64_t PageBytesFor(const EalConfig& cfg, const Topology& topo) {
  return cfg.memory == MemoryMode::kNoHuge ? 4096 : topo.DefaultPageKb() * 1024;
}

uint64_t PoolBytes(uint32_t mbufs, uint32_t data_room, const PlannerOptions& o) {
  uint64_t obj = ObjectBytes(data_room, o);
  uint64_t page = o.page_bytes ? o.page_bytes : 2ull << 20;
  uint64_t objects = static_cast<uint64_t>(mbufs) * obj;
  if (obj <= page) {
    uint64_t per_page = page / obj;
    objects = mbufs / per_page * page + mbufs % per_page * obj;
  }
  uint64_t ring = kRingHeader + 8 * NextPow2(static_cast<uint64_t>(mbufs) + 1);
  uint64_t header = kPoolHeader + (o.cache_size ? kMaxLcores * kLcoreCache : 0);
  return objects + ring + header;
}

PortBuffers BuffersForPort(const PortSpec& p, const PlannerOptions& o) {
  PortBuffers b;
  b.data_room = DataRoomForMtu(p.mtu);
  uint64_t ring = static_cast<uint64_t>(p.n_rxq) * p.rxq_size +
                  static_cast<uint64_t>(p.n_txq) * p.txq_size +
                  static_cast<uint64_t>(std::min(p.n_rxq, p.n_pmds)) * o.burst +
                  static_cast<uint64_t>(p.n_pmds) * o.cache_size * 3 / 2 + p.driver_mbufs;
  b.ring_mbufs = static_cast<uint32_t>(std::min<uint64_t>(ring, UINT32_MAX / 2));
  b.margin = o.margin;
  return b;
}

bool PoolHasRoom(uint32_t capacity, uint32_t rings, uint32_t ring, const PlannerOptions& o) {
  return static_cast<uint64_t>(rings) + ring + o.min_margin <= capacity;
}

uint64_t NodeCapacity::max_bytes() const {
  if (!grows) return start_bytes;
  uint64_t m = std::max(hugepage_free_bytes, start_bytes);
  if (limit_bytes) m = std::min(m, limit_bytes);
  return m;
}

NodeCapacity CapacityOf(const EalConfig& cfg, const Topology& topo, int node) {
  NodeCapacity c;
  c.node = node;
  if (const Node* n = topo.FindNode(node)) c.hugepage_free_bytes = n->HugepageFreeBytes();
  c.start_bytes = cfg.StartMb(node) * kMb;
  c.limit_bytes = cfg.LimitMb(node) * kMb;
  c.grows = cfg.memory == MemoryMode::kDynamic;
  return c;
}

Remedy RemedyFor(const EalConfig& cfg, const Topology& topo, int node, const NodeState& st,
                 uint64_t more_bytes) {
  Remedy r;
  uint64_t want = st.used_bytes + more_bytes;  // what the heap must hold
  uint64_t want_mb = std::max<uint64_t>(1024, RoundUp(want, 1024 * kMb) / kMb);
  switch (cfg.memory) {
    case MemoryMode::kNoHuge: {
      if (node != 0) {
        // No -m helps: without hugepages DPDK's whole heap is node 0's.
        r.had = fmt::format(
            "with --no-huge DPDK has memory on NUMA node 0 only (dpdk-extra -m {}), none on "
            "node {}",
            cfg.no_huge_mb, node);
        if (cfg.fallback != NumaFallback::kRemote) {
          r.fix = VsctlSetCommand("numa-fallback", "remote");
          r.restart_needed = false;
          return r;
        }
        // Already remote: local memory needs hugepages, i.e. dpdk-extra without --no-huge/-m.
        std::vector<std::string> rest;
        for (size_t i = 0; i < cfg.extra.size(); i++) {
          if (cfg.extra[i] == "-m")
            i++;
          else if (cfg.extra[i] != "--no-huge")
            rest.push_back(cfg.extra[i]);
        }
        r.fix = rest.empty()
                    ? "ovs-vsctl remove Open_vSwitch . other_config dpdk-extra"
                    : VsctlSetCommand("dpdk-extra", fmt::format("{}", fmt::join(rest, " ")));
        r.restart_needed = true;
        return r;
      }
      r.had = fmt::format("the no-hugepage heap (dpdk-extra -m {}) has {} free", cfg.no_huge_mb,
                          Mb(st.held_bytes - std::min(st.held_bytes, st.used_bytes)));
      // Never less than the heap already is: what it holds plus what is asked.
      uint64_t mb = RoundUp(std::max(want, cfg.no_huge_mb * kMb + more_bytes), 64 * kMb) / kMb;
      std::vector<std::string> extra{"--no-huge", "-m", std::to_string(mb)};
      for (const auto& e : cfg.extra) {
        if (e != "--no-huge" && e != std::to_string(cfg.no_huge_mb) && e != "-m")
          extra.push_back(e);
      }
      r.fix = VsctlSetCommand("dpdk-extra", fmt::format("{}", fmt::join(extra, " ")));
      r.restart_needed = true;
      return r;
    }
    case MemoryMode::kLegacy: {
      uint64_t free_in_heap = st.held_bytes - std::min(st.held_bytes, st.used_bytes);
      r.had = st.used_bytes == 0
                  ? fmt::format("node {} has {} reserved for DPDK", node, Mb(st.held_bytes))
                  : fmt::format("node {} has {} free of {} reserved for DPDK", node,
                                Mb(free_in_heap), Mb(st.held_bytes));
      r.had += fmt::format(" (dpdk-socket-mem=\"{}\", legacy memory)", cfg.SocketMemArg());
      r.fix = VsctlSetCommand("dpdk-socket-mem", ReplaceEntry(cfg, false, node, want_mb));
      uint64_t reachable = st.held_bytes + st.hugepage_free;
      if (want_mb * kMb > reachable) {
        r.fix = ReserveCommand(topo, node, want_mb * kMb - reachable) + "; " + r.fix;
      }
      r.restart_needed = true;
      return r;
    }
    case MemoryMode::kDynamic:
      break;
  }
  uint64_t limit = cfg.LimitMb(node) * kMb;
  if (limit && want > limit) {
    r.had = fmt::format(
        "node {} is capped at {} by dpdk-socket-limit=\"{}\" and {} of it is in "
        "use (dynamic memory)",
        node, Mb(limit), cfg.SocketLimitArg(), Mb(st.used_bytes));
    r.fix = VsctlSetCommand("dpdk-socket-limit", ReplaceEntry(cfg, true, node, want_mb));
    r.restart_needed = true;
    if (want > st.held_bytes + st.hugepage_free) {
      r.fix = ReserveCommand(topo, node, want - st.held_bytes - st.hugepage_free) + "; " + r.fix;
    }
    return r;
  }
  const Node* n = topo.FindNode(node);
  uint64_t page_kb = topo.DefaultPageKb();
  const HugepagePool* hp = n ? n->Pages(page_kb) : nullptr;
  r.had = fmt::format(
      "node {} has {} of free hugepages ({} of {} {} kB pages reserved in the "
      "kernel) and DPDK holds {} there, {} in use (dynamic memory)",
      node, Mb(st.hugepage_free), hp ? hp->free : 0, hp ? hp->total : 0, page_kb, Mb(st.held_bytes),
      Mb(st.used_bytes));
  uint64_t reachable = st.held_bytes + st.hugepage_free;
  r.fix = ReserveCommand(topo, node, want > reachable ? want - reachable : page_kb * 1024);
  r.restart_needed = false;  // the dynamic heap maps newly reserved pages on demand
  return r;
}

bool Plan::fits() const {
  return std::all_of(nodes.begin(), nodes.end(), [](const NodePlan& n) { return n.fits; });
}

Plan MakePlan(const std::vector<PortSpec>& ports, const EalConfig& cfg, const Topology& topo,
              const PlannerOptions& opts) {
  Plan plan;
  PlannerOptions o = opts;
  if (!o.page_bytes) o.page_bytes = PageBytesFor(cfg, topo);
  // The registry's rule (pool.h), applied to the ports in order.
  std::vector<std::pair<PlannedPool, uint32_t>> pools;  // pool, rings committed
  for (const auto& p : ports) {
    PortBuffers b = BuffersForPort(p, o);
    auto it = std::find_if(pools.begin(), pools.end(), [&](const auto& pr) {
      return pr.first.node == p.node && pr.first.data_room == b.data_room &&
             PoolHasRoom(pr.first.mbufs, pr.second, b.ring_mbufs, o);
    });
    if (it == pools.end()) {
      PlannedPool np;
      np.node = p.node;
      np.data_room = b.data_room;
      np.mbufs = b.mbufs();
      pools.push_back({np, 0});
      it = pools.end() - 1;
    }
    it->second += b.ring_mbufs;
    it->first.ports.push_back(p.name);
  }
  std::map<int, uint64_t> per_node;
  for (auto& [pool, rings] : pools) {
    pool.bytes = PoolBytes(pool.mbufs, pool.data_room, o);
    per_node[pool.node] += pool.bytes;
    plan.pools.push_back(pool);
  }
  std::vector<int> ids;
  for (const auto& n : topo.nodes()) ids.push_back(n.id);
  for (const auto& [node, bytes] : per_node) {
    if (!topo.HasNode(node)) ids.push_back(node);
  }
  for (int id : ids) {
    NodePlan np;
    np.node = id;
    np.needed_bytes = per_node.count(id) ? per_node[id] : 0;
    np.capacity = CapacityOf(cfg, topo, id);
    np.fits = np.needed_bytes <= np.capacity.max_bytes();
    if (!np.fits) {
      NodeState st{np.capacity.start_bytes, 0,
                   np.capacity.hugepage_free_bytes -
                       std::min(np.capacity.hugepage_free_bytes, np.capacity.start_bytes)};
      Remedy r = RemedyFor(cfg, topo, id, st, np.needed_bytes);
      np.shortfall = fmt::format("node {} needs {} but can give at most {}: {}; run: {}{}", id,
                                 Mb(np.needed_bytes), Mb(np.capacity.max_bytes()), r.had, r.fix,
                                 r.restart_needed ? " (then restart numavs-switchd)" : "");
      np.restart_needed = r.restart_needed;
    }
    plan.nodes.push_back(np);
  }
  return plan;
}

Json Plan::ToJson() const {
  Json jp = Json::array();
  for (const auto& p : pools) {
    jp.push_back({{"node", p.node},
                  {"data_room", p.data_room},
                  {"mbufs", p.mbufs},
                  {"bytes", p.bytes},
                  {"ports", p.ports}});
  }
  Json jn = Json::array();
  for (const auto& n : nodes) {
    Json j = {{"node", n.node},
              {"needed_bytes", n.needed_bytes},
              {"max_bytes", n.capacity.max_bytes()},
              {"start_bytes", n.capacity.start_bytes},
              {"limit_bytes", n.capacity.limit_bytes},
              {"hugepage_free_bytes", n.capacity.hugepage_free_bytes},
              {"grows", n.capacity.grows},
              {"fits", n.fits}};
    if (!n.fits) {
      j["shortfall"] = n.shortfall;
      j["restart_needed"] = n.restart_needed;
    }
    jn.push_back(j);
  }
  return {{"fits", fits()}, {"pools", jp}, {"nodes", jn}};
}

std::string Plan::ToText() const {
  std::string out;
  for (const auto& n : nodes) {
    out += fmt::format("node {}: needs {}, can give {} ({}){}\n", n.node, Mb(n.needed_bytes),
                       Mb(n.capacity.max_bytes()),
                       n.capacity.grows ? "dynamic: grows into free hugepages" : "fixed at start",
                       n.fits ? "" : " -- SHORT");
    if (!n.fits) out += "  " + n.shortfall + "\n";
  }
  for (const auto& p : pools) {
    out += fmt::format("  pool node {} data_room {}: {} buffers, {} for {}\n", p.node, p.data_room,
                       p.mbufs, Mb(p.bytes), fmt::join(p.ports, ", "));
  }
  return out;
}

}  // namespace vs::numa
