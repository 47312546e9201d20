#include "numa/report.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <map>

namespace vs::numa {
namespace {

std::string CpuRanges(const std::vector<int>& cpus) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) j++;
    parts.push_back(j == i ? std::to_string(cpus[i]) : fmt::format("{}-{}", cpus[i], cpus[j]));
    i = j + 1;
  }
  return parts.empty() ? "none" : fmt::format("{}", fmt::join(parts, ","));
}

HeapStats HeapOf(const MemorySnapshot& s, int node) {
  for (const auto& h : s.heaps) {
    if (h.node == node) return h;
  }
  HeapStats h;
  h.node = node;
  return h;
}

// Bytes the node's heap can still give: free in the heap plus what it may still grow by.
uint64_t Available(const PoolRegistry& reg, const MemorySnapshot& s, int node, const HeapStats& h) {
  NodeCapacity cap = CapacityOf(reg.config(), reg.topology(), node);
  uint64_t growable = 0;
  if (cap.grows) {
    auto it = s.hugepage_free.find(node);
    growable = it == s.hugepage_free.end() ? 0 : it->second;
    if (cap.limit_bytes) {
      growable = std::min(growable, cap.limit_bytes - std::min(cap.limit_bytes, h.heap_bytes));
    }
  }
  return h.free_bytes + growable;
}

}  // namespace

Json MemoryReportJson(const PoolRegistry& reg) {
  const Topology& topo = reg.topology();
  const EalConfig& cfg = reg.config();
  const char* backend_name = reg.backend().name();
  MemorySnapshot snap = reg.Snapshot();
  const auto& pools = snap.pools;
  const auto& zones = snap.memzones;
  Json nodes = Json::array();
  std::vector<int> ids;
  for (const Node& n : topo.nodes()) ids.push_back(n.id);
  for (const auto& h : snap.heaps) {
    if (std::find(ids.begin(), ids.end(), h.node) == ids.end()) ids.push_back(h.node);
  }
  for (int id : ids) {
    const Node* n = topo.FindNode(id);
    Json hp = Json::array();
    for (const auto& p : snap.hugepages[id]) {
      hp.push_back({{"page_kb", p.page_kb}, {"total", p.total}, {"free", p.free}});
    }
    HeapStats h = HeapOf(snap, id);
    NodeCapacity cap = CapacityOf(cfg, topo, id);
    Json jz = Json::array();
    for (const auto& z : zones) {
      if (z.node == id) jz.push_back({{"name", z.name}, {"len", z.len}, {"page_kb", z.page_kb}});
    }
    Json jp = Json::array();
    for (const auto& p : pools) {
      if (p.node != id) continue;
      jp.push_back({{"name", p.name},
                    {"node", p.node},
                    {"data_room", p.data_room},
                    {"element_size", p.usage.element_size},
                    {"count", p.usage.size},
                    {"in_use", p.usage.in_use},
                    {"free", p.usage.avail},
                    {"bytes", p.usage.bytes},
                    {"ring_buffers", p.rings},
                    {"ports", p.users}});
    }
    nodes.push_back({{"node", id},
                     {"cpus", n ? n->cpus : std::vector<int>{}},
                     {"hugepages", hp},
                     {"dpdk",
                      {{"held_bytes", h.heap_bytes},
                       {"start_bytes", cap.start_bytes},
                       {"limit_bytes", cap.limit_bytes},
                       {"grows", cap.grows},
                       {"available_bytes", Available(reg, snap, id, h)}}},
                     {"heap",
                      {{"total_bytes", h.heap_bytes},
                       {"free_bytes", h.free_bytes},
                       {"alloc_bytes", h.alloc_bytes},
                       {"largest_free_bytes", h.largest_free},
                       {"alloc_count", h.alloc_count},
                       {"free_count", h.free_count}}},
                     {"memzones", jz},
                     {"pools", jp}});
  }
  return {{"backend", backend_name},
          {"sysfs_root", topo.sysfs_root()},
          {"memory_mode", MemoryModeName(cfg.memory)},
          {"socket_mem", cfg.SocketMemArg()},
          {"socket_limit", cfg.SocketLimitArg()},
          {"numa_fallback", cfg.fallback == NumaFallback::kStrict ? "strict" : "remote"},
          {"nodes", nodes}};
}

std::string MemoryReportText(const Json& r) {
  std::string out = fmt::format(
      "memory backend {}, {} memory, dpdk-socket-mem=\"{}\", dpdk-socket-limit=\"{}\", "
      "numa-fallback={}\n",
      r["backend"].get<std::string>(), r["memory_mode"].get<std::string>(),
      r["socket_mem"].get<std::string>(), r["socket_limit"].get<std::string>(),
      r["numa_fallback"].get<std::string>());
  // With --no-huge DPDK's heap is ordinary process memory: the host's
  // hugepages are shown for what they are, not as DPDK's.
  const bool no_huge = r["memory_mode"] == "no-huge";
  if (no_huge) {
    out +=
        "DPDK runs without hugepages (dpdk-extra --no-huge): its memory is ordinary process "
        "memory; the host's hugepages below are not used by DPDK\n";
  }
  for (const Json& n : r["nodes"]) {
    out += fmt::format("NUMA node {}: cpus {}\n", n["node"].get<int>(),
                       CpuRanges(n["cpus"].get<std::vector<int>>()));
    const char* whose = no_huge ? "host hugepages (not DPDK's)" : "hugepages";
    if (n["hugepages"].empty()) out += fmt::format("  {}: none\n", whose);
    for (const Json& h : n["hugepages"]) {
      out += fmt::format("  {} {} kB: {} total, {} free\n", whose, h["page_kb"].get<uint64_t>(),
                         h["total"].get<uint64_t>(), h["free"].get<uint64_t>());
    }
    const Json& d = n["dpdk"];
    out += fmt::format(
        "  DPDK holds {}{} ({}), can still give {}\n", Mb(d["held_bytes"].get<uint64_t>()),
        no_huge ? " of ordinary memory" : "",
        d["grows"].get<bool>()
            ? (d["limit_bytes"].get<uint64_t>()
                   ? fmt::format("dynamic, limit {}", Mb(d["limit_bytes"].get<uint64_t>()))
                   : std::string("dynamic, no limit"))
            : fmt::format("fixed at {}", Mb(d["start_bytes"].get<uint64_t>())),
        Mb(d["available_bytes"].get<uint64_t>()));
    const Json& h = n["heap"];
    out +=
        fmt::format("  heap: total {}, free {}, largest free block {}, {} allocations\n",
                    Mb(h["total_bytes"].get<uint64_t>()), Mb(h["free_bytes"].get<uint64_t>()),
                    Mb(h["largest_free_bytes"].get<uint64_t>()), h["alloc_count"].get<uint32_t>());
    for (const Json& z : n["memzones"]) {
      out += fmt::format("  memzone {}: {} bytes\n", z["name"].get<std::string>(),
                         z["len"].get<uint64_t>());
    }
    for (const Json& p : n["pools"]) {
      out += fmt::format(
          "  pool {}: {} buffers of {} bytes (data room {}), {} in use, {} free, {}; "
          "ports: {}\n",
          p["name"].get<std::string>(), p["count"].get<uint32_t>(),
          p["element_size"].get<uint32_t>(), p["data_room"].get<uint32_t>(),
          p["in_use"].get<uint32_t>(), p["free"].get<uint32_t>(), Mb(p["bytes"].get<uint64_t>()),
          fmt::join(p["ports"].get<std::vector<std::string>>(), ", "));
    }
  }
  return out;
}

std::string MallocStatsText(const PoolRegistry& reg) {
  std::string out;
  for (const HeapStats& h : reg.Snapshot().heaps) {
    out += fmt::format(
        "Heap id:{}\n\tHeap name:socket_{}\n\tHeap_size:{},\n\tFree_size:{},\n"
        "\tAlloc_size:{},\n\tGreatest_free_size:{},\n\tAlloc_count:{},\n"
        "\tFree_count:{},\n",
        h.node, h.node, h.heap_bytes, h.free_bytes, h.alloc_bytes, h.largest_free, h.alloc_count,
        h.free_count);
  }
  return out;
}

Result<std::string> MempoolInfoText(const PoolRegistry& reg, const std::string& port) {
  std::string want;
  if (!port.empty()) {
    auto a = reg.Find(port);
    if (!a) return Status(ENOENT, fmt::format("{} has no packet-buffer pool", port));
    want = a->pool;
  }
  std::string out;
  for (const PoolInfo& p : reg.Pools()) {
    if (!want.empty() && p.name != want) continue;
    out += fmt::format(
        "mempool <{}>\n  socket_id={}\n  size={}\n  total_obj_size={}\n"
        "  data_room={}\n  ring_buffers={}\n  bytes={}\n  ports={}\n"
        "    count: avail ({}), in use ({})\n",
        p.name, p.node, p.usage.size, p.usage.element_size, p.data_room, p.rings, p.usage.bytes,
        fmt::join(p.users, ","), p.usage.avail, p.usage.in_use);
  }
  return out;
}

Json PreflightJson(const PoolRegistry& reg, const PortSpec& port) {
  const Topology& topo = reg.topology();
  const EalConfig& cfg = reg.config();
  PoolRegistry::Preview pv = reg.Peek(port);
  PortBuffers b = BuffersForPort(port, reg.options());
  MemorySnapshot snap = reg.Snapshot();
  std::map<int, uint64_t> pool_bytes;
  for (const auto& p : snap.pools) pool_bytes[p.node] += p.usage.bytes;
  Json nodes = Json::array();
  bool fits = true;
  for (const Node& n : topo.nodes()) {
    HeapStats h = HeapOf(snap, n.id);
    uint64_t add = n.id == port.node ? pv.new_pool_bytes : 0;
    uint64_t avail = Available(reg, snap, n.id, h);
    // Like with like: what the pools need (those there and the new one)
    // against what they can have (what the pools hold and what DPDK can
    // still give).
    Json j = {{"node", n.id},
              {"pools_bytes", pool_bytes[n.id]},
              {"new_bytes", add},
              {"needed_bytes", pool_bytes[n.id] + add},
              {"can_give_bytes", avail},
              {"available_bytes", pool_bytes[n.id] + avail},
              {"fits", add <= avail}};
    if (add > avail) {
      fits = false;
      NodeState st{h.heap_bytes, h.alloc_bytes, snap.hugepage_free[n.id]};
      Remedy r = RemedyFor(cfg, topo, n.id, st, add);
      j["had"] = r.had;
      j["fix"] = r.fix;
      j["restart_needed"] = r.restart_needed;
    }
    nodes.push_back(j);
  }
  Json out = {{"port", port.name},
              {"node", port.node},
              {"mtu", port.mtu},
              {"data_room", b.data_room},
              {"buffers", b.ring_mbufs},
              {"joins_pool", pv.joins},
              {"fits", fits},
              {"numa_fallback", cfg.fallback == NumaFallback::kStrict ? "strict" : "remote"},
              {"nodes", nodes}};
  return out;
}

std::string PreflightText(const Json& p) {
  std::string out = fmt::format(
      "preflight for {} (NUMA node {}, MTU {}, {} ring buffers of data room "
      "{}): {}\n",
      p["port"].get<std::string>(), p["node"].get<int>(), p["mtu"].get<int>(),
      p["buffers"].get<uint32_t>(), p["data_room"].get<uint32_t>(),
      p["fits"].get<bool>() ? "fits" : "DOES NOT FIT");
  if (!p["joins_pool"].get<std::string>().empty()) {
    out += fmt::format("  joins existing pool {}\n", p["joins_pool"].get<std::string>());
  }
  for (const Json& n : p["nodes"]) {
    out += fmt::format(
        "  node {}: pools {} + new {} = {} needed, {} available (pools {} + DPDK can still give "
        "{}){}\n",
        n["node"].get<int>(), Mb(n["pools_bytes"].get<uint64_t>()),
        Mb(n["new_bytes"].get<uint64_t>()), Mb(n["needed_bytes"].get<uint64_t>()),
        Mb(n["available_bytes"].get<uint64_t>()), Mb(n["pools_bytes"].get<uint64_t>()),
        Mb(n["can_give_bytes"].get<uint64_t>()), n["fits"].get<bool>() ? "" : " -- SHORT");
    if (!n["fits"].get<bool>()) {
      out += fmt::format("    {}\n    run: {}{}\n", n["had"].get<std::string>(),
                         n["fix"].get<std::string>(),
                         n["restart_needed"].get<bool>() ? " (then restart numavs-switchd)" : "");
    }
  }
  if (!p["fits"].get<bool>() && p["numa_fallback"].get<std::string>() == "remote") {
    out += "  numa-fallback=remote: the port would use another node's memory (cross-NUMA)\n";
  }
  return out;
}

}  // namespace vs::numa
