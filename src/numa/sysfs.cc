#include "numa/sysfs.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/log.h"

namespace vs::numa {
namespace fs = std::filesystem;
namespace {

vs::log::Module& kLog = vs::log::GetModule("numa");

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) i++;
  return s.substr(i);
}

Result<std::string> ReadSmallFile(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return Status(ENOENT, fmt::format("cannot read {}", p.string()));
  std::stringstream ss;
  ss << in.rdbuf();
  return Trim(ss.str());
}

Result<int64_t> ReadInt(const fs::path& p) {
  auto text = ReadSmallFile(p);
  if (!text.ok()) return text.status();
  int64_t v = 0;
  const std::string& s = *text;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) {
    return Status(EINVAL, fmt::format("{} holds \"{}\", not a number", p.string(), s));
  }
  return v;
}

// Reads hugepages-*kB directories under `dir`.
Result<std::vector<HugepagePool>> ReadHugepages(const fs::path& dir) {
  std::vector<HugepagePool> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("hugepages-", 0) != 0 || name.size() < 13 ||
        name.compare(name.size() - 2, 2, "kB") != 0) {
      continue;
    }
    std::string num = name.substr(10, name.size() - 12);
    HugepagePool hp;
    auto [ptr, err] = std::from_chars(num.data(), num.data() + num.size(), hp.page_kb);
    if (err != std::errc() || ptr != num.data() + num.size() || hp.page_kb == 0) {
      return Status(EINVAL,
                    fmt::format("{}: cannot read the page size from the name", e.path().string()));
    }
    auto total = ReadInt(e.path() / "nr_hugepages");
    if (!total.ok()) return total.status();
    auto free = ReadInt(e.path() / "free_hugepages");
    if (!free.ok()) return free.status();
    if (*total < 0 || *free < 0 || *free > *total) {
      return Status(EINVAL, fmt::format("{}: nr_hugepages={} free_hugepages={} is not possible",
                                        e.path().string(), *total, *free));
    }
    hp.total = static_cast<uint64_t>(*total);
    hp.free = static_cast<uint64_t>(*free);
    out.push_back(hp);
  }
  std::sort(out.begin(), out.end(),
            [](const HugepagePool& a, const HugepagePool& b) { return a.page_kb < b.page_kb; });
  return out;
}

// The base under which "devices/..." and "bus/..." live.
fs::path SysBase(const std::string& root) {
  fs::path r = root.empty() ? fs::path("/") : fs::path(root);
  std::error_code ec;
  if (fs::is_directory(r / "sys" / "devices", ec)) return r / "sys";
  return r;
}

}  // namespace

std::string SysfsPath(const std::string& root, std::string_view rel) {
  return (SysBase(root) / fs::path(rel)).string();
}

Result<Topology> ReadTopology(const std::string& root) {
  fs::path base = SysBase(root);
  std::string shown_root = root.empty() ? "/" : root;
  std::error_code ec;
  if (!fs::is_directory(base / "devices", ec)) {
    return Status(ENOENT, fmt::format("sysfs root {} has no devices/ directory (expected a "
                                      "directory laid out like /sys)",
                                      shown_root));
  }
  fs::path node_dir = base / "devices/system/node";
  std::vector<Node> nodes;
  if (fs::is_directory(node_dir, ec)) {
    for (const auto& e : fs::directory_iterator(node_dir, ec)) {
      std::string name = e.path().filename().string();
      if (name.rfind("node", 0) != 0 || name.size() == 4 || !e.is_directory()) continue;
      Node n;
      auto [ptr, err] = std::from_chars(name.data() + 4, name.data() + name.size(), n.id);
      if (err != std::errc() || ptr != name.data() + name.size()) continue;
      auto cpus_text = ReadSmallFile(e.path() / "cpulist");
      if (cpus_text.ok()) {
        auto cpus = ParseCpuList(*cpus_text);
        if (!cpus.ok()) return cpus.status().Wrap((e.path() / "cpulist").string());
        n.cpus = std::move(*cpus);
      }
      auto hp = ReadHugepages(e.path() / "hugepages");
      if (!hp.ok()) return hp.status();
      n.hugepages = std::move(*hp);
      nodes.push_back(std::move(n));
    }
  }
  if (nodes.empty()) {
    // No NUMA support in the kernel: one node with the global pools.
    fs::path cpu_online = base / "devices/system/cpu/online";
    auto hp = ReadHugepages(base / "kernel/mm/hugepages");
    if (!hp.ok()) return hp.status();
    auto online = ReadSmallFile(cpu_online);
    if (!online.ok() && hp->empty()) {
      return Status(ENOENT, fmt::format("sysfs root {} has no devices/system/node/node* "
                                        "directories and no devices/system/cpu/online",
                                        shown_root));
    }
    Node n;
    n.id = 0;
    if (online.ok()) {
      auto cpus = ParseCpuList(*online);
      if (!cpus.ok()) return cpus.status().Wrap(cpu_online.string());
      n.cpus = std::move(*cpus);
    }
    n.hugepages = std::move(*hp);
    nodes.push_back(std::move(n));
    VS_LOG_DBG(kLog, "{}: no NUMA nodes in sysfs, treating the machine as node 0", shown_root);
  }
  std::sort(nodes.begin(), nodes.end(), [](const Node& a, const Node& b) { return a.id < b.id; });
  return Topology(std::move(nodes), shown_root);
}

Result<int> ReadPciNumaNode(const std::string& root, std::string_view pci_addr) {
  fs::path dev = SysBase(root) / "bus/pci/devices" / std::string(pci_addr);
  std::error_code ec;
  if (!fs::is_directory(dev, ec)) {
    return Status(
        ENODEV, fmt::format("PCI device {} not found ({} does not exist)", pci_addr, dev.string()));
  }
  auto v = ReadInt(dev / "numa_node");
  if (!v.ok()) {
    if (v.status().code() == ENOENT) return kUnknownNode;  // no NUMA: node unknown
    return v.status();
  }
  if (*v < -1) return kUnknownNode;
  return static_cast<int>(*v);
}

}  // namespace vs::numa
