#include "numa/topology.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "base/log.h"
#include "numa/sysfs.h"

namespace vs::numa {
namespace {

vs::log::Module& kLog = vs::log::GetModule("numa");

bool ParseInt(std::string_view s, int* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::string_view TrimWs(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Finds the value of `key=` in comma-separated devargs options.
std::optional<std::string_view> DevargOption(std::string_view devargs, std::string_view key) {
  size_t pos = 0;
  while (pos <= devargs.size()) {
    size_t comma = devargs.find(',', pos);
    std::string_view item =
        devargs.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    if (item.size() > key.size() && item.substr(0, key.size()) == key && item[key.size()] == '=') {
      return item.substr(key.size() + 1);
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return std::nullopt;
}

}  // namespace

uint64_t Node::HugepageFreeBytes() const {
  uint64_t b = 0;
  for (const auto& h : hugepages) b += h.free_bytes();
  return b;
}

uint64_t Node::HugepageTotalBytes() const {
  uint64_t b = 0;
  for (const auto& h : hugepages) b += h.total_bytes();
  return b;
}

const HugepagePool* Node::Pages(uint64_t page_kb) const {
  for (const auto& h : hugepages) {
    if (h.page_kb == page_kb) return &h;
  }
  return nullptr;
}

Topology::Topology(std::vector<Node> nodes, std::string sysfs_root)
    : nodes_(std::move(nodes)), sysfs_root_(std::move(sysfs_root)) {
  std::sort(nodes_.begin(), nodes_.end(), [](const Node& a, const Node& b) { return a.id < b.id; });
}

Result<Topology> Topology::FromCpuMap(std::string_view cpu_nodes, uint64_t pages_2m) {
  std::map<int, Node> by_id;
  int cpu = 0;
  size_t pos = 0;
  while (pos <= cpu_nodes.size()) {
    size_t comma = cpu_nodes.find(',', pos);
    std::string_view item = TrimWs(cpu_nodes.substr(
        pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    int node = 0;
    if (!ParseInt(item, &node) || node < 0) {
      return Status(EINVAL, fmt::format("CPU map \"{}\": element {} (\"{}\") is not a node "
                                        "number",
                                        cpu_nodes, cpu, item));
    }
    Node& n = by_id[node];
    n.id = node;
    n.cpus.push_back(cpu++);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  std::vector<Node> nodes;
  for (auto& [id, n] : by_id) {
    n.hugepages.push_back(HugepagePool{2048, pages_2m, pages_2m});
    nodes.push_back(std::move(n));
  }
  return Topology(std::move(nodes));
}

const Node* Topology::FindNode(int id) const {
  for (const auto& n : nodes_) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

int Topology::MaxNodeId() const { return nodes_.empty() ? -1 : nodes_.back().id; }

int Topology::NodeOfCpu(int cpu) const {
  for (const auto& n : nodes_) {
    if (std::find(n.cpus.begin(), n.cpus.end(), cpu) != n.cpus.end()) return n.id;
  }
  return kUnknownNode;
}

std::string Topology::NrHugepagesPath(int node, uint64_t page_kb) const {
  std::string rel = fmt::format("devices/system/node/node{}/hugepages/hugepages-{}kB/nr_hugepages",
                                node, page_kb);
  // Always the real path: with --sysfs-root the fixture stands for the machine the operator
  // would type the command on.
  return "/sys/" + rel;
}

uint64_t Topology::DefaultPageKb() const {
  uint64_t smallest = 0;
  for (const auto& n : nodes_) {
    for (const auto& h : n.hugepages) {
      if (h.page_kb == 2048 && h.total > 0) return 2048;
      if (h.total > 0 && (smallest == 0 || h.page_kb < smallest)) smallest = h.page_kb;
    }
  }
  return smallest ? smallest : 2048;
}

void Topology::AddHugepages(int node, uint64_t page_kb, uint64_t pages) {
  for (auto& n : nodes_) {
    if (n.id != node) continue;
    for (auto& hp : n.hugepages) {
      if (hp.page_kb == page_kb) {
        hp.total += pages;
        hp.free += pages;
        return;
      }
    }
    n.hugepages.push_back(HugepagePool{page_kb, pages, pages});
    std::sort(n.hugepages.begin(), n.hugepages.end(),
              [](const HugepagePool& a, const HugepagePool& b) { return a.page_kb < b.page_kb; });
  }
}

Json Topology::ToJson() const {
  Json nodes = Json::array();
  for (const auto& n : nodes_) {
    Json hp = Json::array();
    for (const auto& h : n.hugepages) {
      hp.push_back({{"page_kb", h.page_kb}, {"total", h.total}, {"free", h.free}});
    }
    nodes.push_back({{"id", n.id}, {"cpus", n.cpus}, {"hugepages", hp}});
  }
  return {{"sysfs_root", sysfs_root_}, {"nodes", nodes}};
}

Result<std::vector<int>> ParseCpuList(std::string_view text) {
  std::vector<int> out;
  std::string_view s = TrimWs(text);
  if (s.empty()) return out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    std::string_view item =
        s.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    size_t dash = item.find('-');
    int lo = 0, hi = 0;
    bool ok = dash == std::string_view::npos
                  ? ParseInt(item, &lo) && (hi = lo, true)
                  : ParseInt(item.substr(0, dash), &lo) && ParseInt(item.substr(dash + 1), &hi);
    if (!ok || lo < 0 || hi < lo || hi - lo > 65536) {
      return Status(EINVAL, fmt::format("cpulist \"{}\": \"{}\" is not a CPU or a range", s, item));
    }
    for (int c = lo; c <= hi; c++) out.push_back(c);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

bool IsPciAddress(std::string_view d) {
  // DDDD:BB:DD.F or BB:DD.F, hex digits.
  size_t end = d.find(',');
  if (end != std::string_view::npos) d = d.substr(0, end);
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  auto check = [&](std::string_view s) {
    return s.size() == 7 && hex(s[0]) && hex(s[1]) && s[2] == ':' && hex(s[3]) && hex(s[4]) &&
           s[5] == '.' && s[6] >= '0' && s[6] <= '7';
  };
  if (d.size() == 12) {
    return hex(d[0]) && hex(d[1]) && hex(d[2]) && hex(d[3]) && d[4] == ':' && check(d.substr(5));
  }
  return check(d);
}

Result<DeviceLocation> ResolveDeviceNode(const Topology& topo, std::string_view devargs,
                                         int polling_cpu) {
  if (devargs.empty()) return Status(EINVAL, "empty dpdk-devargs: cannot locate the device");
  DeviceLocation loc;
  for (std::string_view key : {"numa_node", "socket_id"}) {
    if (auto v = DevargOption(devargs, key)) {
      int node = 0;
      if (!ParseInt(*v, &node) || !topo.HasNode(node)) {
        return Status(EINVAL, fmt::format("dpdk-devargs \"{}\": {}={} is not a NUMA node of this "
                                          "machine (nodes 0..{})",
                                          devargs, key, *v, topo.MaxNodeId()));
      }
      loc.node = node;
      loc.how = fmt::format("devargs {}", key);
      return loc;
    }
  }
  if (IsPciAddress(devargs)) {
    std::string_view addr = devargs.substr(0, devargs.find(','));
    std::string full = addr.size() == 7 ? "0000:" + std::string(addr) : std::string(addr);
    auto node = ReadPciNumaNode(topo.sysfs_root().empty() ? "/" : topo.sysfs_root(), full);
    if (!node.ok()) return node.status();
    if (*node != kUnknownNode && topo.HasNode(*node)) {
      loc.node = *node;
      loc.how = "pci numa_node";
      return loc;
    }
    loc.how = "pci numa_node unknown (-1)";
  } else {
    loc.how = "virtual device";
  }
  int cpu_node = polling_cpu >= 0 ? topo.NodeOfCpu(polling_cpu) : kUnknownNode;
  if (cpu_node != kUnknownNode) {
    loc.node = cpu_node;
    loc.how += fmt::format(", node of polling cpu {}", polling_cpu);
    loc.guessed = !loc.how.starts_with("virtual");
    return loc;
  }
  loc.node = topo.nodes().empty() ? 0 : topo.nodes().front().id;
  loc.guessed = true;
  loc.how += fmt::format(", defaulting to node {}", loc.node);
  VS_LOG_DBG(kLog, "{}: NUMA node not known, using node {}", devargs, loc.node);
  return loc;
}

}  // namespace vs::numa
