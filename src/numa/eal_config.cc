#include "numa/eal_config.h"

#include <fmt/ranges.h>

#include <charconv>
#include <set>

namespace vs::numa {
namespace {

constexpr uint64_t kLegacyDefaultMb = 1024;     // OVS 3.1's per-node default in legacy mode
constexpr uint64_t kMaxMbPerNode = 1ull << 30;  // 1 PB: anything larger is a typo

Status Invalid(const std::string& key, const std::string& value, const std::string& why) {
  return Status(EINVAL, fmt::format("other_config:{}=\"{}\" is invalid: {}", key, value, why));
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool ParseU64(std::string_view s, uint64_t* out, int base = 10) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

// "1024,0" -> {1024, 0}; one entry per node, index = node id.
Result<std::vector<uint64_t>> ParsePerNodeMb(const std::string& key, const std::string& value,
                                             const Topology& topo) {
  std::vector<uint64_t> out;
  std::string_view s = value;
  if (Trim(s).empty())
    return Invalid(key, value, "empty; give MB per NUMA node, e.g. \"1024,1024\"");
  size_t pos = 0;
  int index = 0;
  while (true) {
    size_t comma = s.find(',', pos);
    std::string_view item =
        Trim(s.substr(pos, comma == std::string_view::npos ? s.npos : comma - pos));
    uint64_t mb = 0;
    if (!item.empty() && item.front() == '-') {
      return Invalid(key, value, fmt::format("entry {} (node {}) is negative", index, index));
    }
    if (!ParseU64(item, &mb)) {
      return Invalid(
          key, value,
          fmt::format("entry {} (node {}) \"{}\" is not a number of MB", index, index, item));
    }
    if (mb > kMaxMbPerNode) {
      return Invalid(key, value,
                     fmt::format("entry {} (node {}) is {} MB, more than any machine "
                                 "has",
                                 index, index, mb));
    }
    out.push_back(mb);
    index++;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  int nodes = topo.MaxNodeId() + 1;
  if (static_cast<int>(out.size()) > nodes) {
    return Invalid(key, value,
                   fmt::format("{} entries but this machine has {} NUMA node{} "
                               "(one entry per node, node 0 first)",
                               out.size(), nodes, nodes == 1 ? "" : "s"));
  }
  for (size_t i = 0; i < out.size(); i++) {
    if (out[i] > 0 && !topo.HasNode(static_cast<int>(i))) {
      return Invalid(key, value,
                     fmt::format("entry {} asks for memory on node {}, which this "
                                 "machine does not have",
                                 i, i));
    }
  }
  return out;
}

std::vector<std::string> SplitBlanks(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  char quote = 0;
  bool have = false;
  for (char c : s) {
    if (quote) {
      if (c == quote)
        quote = 0;
      else
        cur += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
      have = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (have || !cur.empty()) out.push_back(cur);
      cur.clear();
      have = false;
    } else {
      cur += c;
    }
  }
  if (have || !cur.empty()) out.push_back(cur);
  return out;
}

std::string JoinMb(const std::vector<uint64_t>& v) { return fmt::format("{}", fmt::join(v, ",")); }

// Options of dpdk-extra that duplicate a dedicated key.
struct Owned {
  const char* option;
  const char* key;
};
constexpr Owned kOwned[] = {
    {"--socket-mem", "dpdk-socket-mem"},
    {"--socket-limit", "dpdk-socket-limit"},
    {"-c", "dpdk-lcore-mask"},
    {"--huge-dir", "dpdk-hugepage-dir"},
};

Status ParseExtra(const std::string& value, EalConfig* cfg, const OtherConfig& oc) {
  const std::string key = "dpdk-extra";
  if (value.find('\0') != std::string::npos) return Invalid(key, value, "holds a NUL byte");
  std::vector<std::string> args = SplitBlanks(value);
  for (size_t i = 0; i < args.size(); i++) {
    const std::string& a = args[i];
    for (const auto& o : kOwned) {
      if ((a == o.option || a.rfind(std::string(o.option) + "=", 0) == 0) && oc.count(o.key)) {
        return Invalid(key, value,
                       fmt::format("{} is also set by other_config:{}; set it in one "
                                   "place",
                                   o.option, o.key));
      }
    }
    // numavs plans memory from the dedicated keys, so they may not hide in dpdk-extra.
    for (const char* opt : {"--socket-mem", "--socket-limit"}) {
      std::string o(opt);
      if (a == o || a.rfind(o + "=", 0) == 0) {
        std::string v = a == o ? (i + 1 < args.size() ? args[i + 1] : "") : a.substr(o.size() + 1);
        return Invalid(key, value,
                       fmt::format("numavs plans memory from other_config:dpdk-{0}; move it "
                                   "there: {1}",
                                   o.substr(2), VsctlSetCommand("dpdk-" + o.substr(2), v)));
      }
    }
    if (a == "-l" || a == "--lcores" || a.rfind("--lcores=", 0) == 0 || a == "-c") {
      cfg->extra_sets_lcores = true;  // then EalArgs adds no -c of its own
    }
    if (a == "--legacy-mem") {
      if (cfg->memory == MemoryMode::kNoHuge) {
        return Invalid(key, value,
                       "--legacy-mem and --no-huge together make no sense (no-huge "
                       "is already a fixed amount)");
      }
      cfg->memory = MemoryMode::kLegacy;
    } else if (a == "--no-huge") {
      if (cfg->memory == MemoryMode::kLegacy) {
        return Invalid(key, value, "--legacy-mem and --no-huge together make no sense");
      }
      cfg->memory = MemoryMode::kNoHuge;
    } else if (a == "-m") {
      uint64_t mb = 0;
      if (i + 1 >= args.size() || !ParseU64(args[i + 1], &mb) || mb == 0 || mb > kMaxMbPerNode) {
        return Invalid(key, value, "-m needs a positive number of MB after it");
      }
      cfg->no_huge_mb = mb;
    } else if (a == "--in-memory") {
      // Added by EalArgs in dynamic mode; written by hand it must not contradict the mode.
      if (std::find(args.begin(), args.end(), "--legacy-mem") != args.end() ||
          std::find(args.begin(), args.end(), "--no-huge") != args.end()) {
        return Invalid(key, value,
                       "--in-memory cannot be combined with --legacy-mem or --no-huge (the "
                       "EAL refuses it)");
      }
      continue;
    } else if (a.empty()) {
      return Invalid(key, value, "holds an empty argument");
    }
    cfg->extra.push_back(a);
  }
  bool has_m = std::find(args.begin(), args.end(), "-m") != args.end();
  if (has_m && cfg->memory != MemoryMode::kNoHuge) {
    return Invalid(key, value,
                   "-m is only supported here with --no-huge; use "
                   "other_config:dpdk-socket-mem for hugepage memory");
  }
  return Status::Ok();
}

const char* FallbackName(NumaFallback f) {
  return f == NumaFallback::kStrict ? "strict" : "remote";
}

}  // namespace

const char* MemoryModeName(MemoryMode m) {
  switch (m) {
    case MemoryMode::kDynamic:
      return "dynamic";
    case MemoryMode::kLegacy:
      return "legacy";
    case MemoryMode::kNoHuge:
      return "no-huge";
  }
  return "?";
}

Result<EalConfig> ParseEalConfig(const OtherConfig& oc, const Topology& topo) {
  EalConfig cfg;
  cfg.node_count = topo.MaxNodeId() + 1;
  auto get = [&](const char* k) -> const std::string* {
    auto it = oc.find(k);
    return it == oc.end() ? nullptr : &it->second;
  };
  if (const std::string* v = get("dpdk-init")) {
    if (*v == "true")
      cfg.init = InitMode::kTrue;
    else if (*v == "try")
      cfg.init = InitMode::kTry;
    else if (*v == "false")
      cfg.init = InitMode::kFalse;
    else
      return Invalid("dpdk-init", *v, "expected true, try or false");
  }
  // dpdk-extra first: it selects the memory mode the other keys are checked against.
  if (const std::string* v = get("dpdk-extra")) VS_RETURN_IF_ERROR(ParseExtra(*v, &cfg, oc));
  if (const std::string* v = get("dpdk-socket-mem")) {
    auto mb = ParsePerNodeMb("dpdk-socket-mem", *v, topo);
    if (!mb.ok()) return mb.status();
    if (cfg.memory == MemoryMode::kNoHuge) {
      return Invalid("dpdk-socket-mem", *v,
                     "cannot be used with dpdk-extra=\"--no-huge\" "
                     "(use -m MB there)");
    }
    cfg.socket_mem_mb = std::move(*mb);
  }
  if (const std::string* v = get("dpdk-socket-limit")) {
    auto mb = ParsePerNodeMb("dpdk-socket-limit", *v, topo);
    if (!mb.ok()) return mb.status();
    if (cfg.memory != MemoryMode::kDynamic) {
      return Invalid("dpdk-socket-limit", *v,
                     fmt::format("only works with dynamic memory; with {} memory each node has "
                                 "exactly its dpdk-socket-mem",
                                 MemoryModeName(cfg.memory)));
    }
    cfg.socket_limit_mb = std::move(*mb);
    for (size_t i = 0; i < cfg.socket_limit_mb.size() && i < cfg.socket_mem_mb.size(); i++) {
      if (cfg.socket_limit_mb[i] != 0 && cfg.socket_limit_mb[i] < cfg.socket_mem_mb[i]) {
        return Invalid("dpdk-socket-limit", *v,
                       fmt::format("node {} limit {} MB is below its dpdk-socket-mem {} MB", i,
                                   cfg.socket_limit_mb[i], cfg.socket_mem_mb[i]));
      }
    }
  }
  if (const std::string* v = get("dpdk-lcore-mask")) {
    std::string_view s = Trim(*v);
    if (s.starts_with("0x") || s.starts_with("0X")) s.remove_prefix(2);
    uint64_t mask = 0;
    if (s.empty() || s.size() > 16 || !ParseU64(s, &mask, 16)) {
      return Invalid("dpdk-lcore-mask", *v,
                     "expected a hexadecimal CPU mask such as 0x3 (at "
                     "most 64 CPUs)");
    }
    if (mask == 0) return Invalid("dpdk-lcore-mask", *v, "selects no CPU");
    cfg.lcore_mask = mask;
  }
  if (const std::string* v = get("dpdk-hugepage-dir")) {
    if (v->empty() || (*v)[0] != '/') {
      return Invalid("dpdk-hugepage-dir", *v, "must be an absolute path of a hugetlbfs mount");
    }
    if (cfg.memory == MemoryMode::kNoHuge) {
      return Invalid("dpdk-hugepage-dir", *v, "cannot be used with dpdk-extra=\"--no-huge\"");
    }
    cfg.hugepage_dir = *v;
  }
  if (const std::string* v = get("numa-fallback")) {
    if (*v == "strict")
      cfg.fallback = NumaFallback::kStrict;
    else if (*v == "remote")
      cfg.fallback = NumaFallback::kRemote;
    else
      return Invalid("numa-fallback", *v, "expected strict or remote");
  }
  return cfg;
}

uint64_t EalConfig::StartMb(int node) const {
  if (node < 0) return 0;
  if (memory == MemoryMode::kNoHuge) return node == 0 ? no_huge_mb : 0;
  if (static_cast<size_t>(node) < socket_mem_mb.size()) return socket_mem_mb[node];
  if (memory == MemoryMode::kLegacy && socket_mem_mb.empty() && node < node_count) {
    return kLegacyDefaultMb;
  }
  return 0;
}

uint64_t EalConfig::LimitMb(int node) const {
  if (node < 0 || static_cast<size_t>(node) >= socket_limit_mb.size()) return 0;
  return socket_limit_mb[node];
}

std::string EalConfig::SocketMemArg() const {
  if (memory == MemoryMode::kNoHuge) return "";
  if (!socket_mem_mb.empty()) return JoinMb(socket_mem_mb);
  if (memory == MemoryMode::kLegacy) {
    std::vector<uint64_t> v;
    for (int n = 0; n < node_count; n++) v.push_back(StartMb(n));
    return JoinMb(v);
  }
  return "";
}

std::string EalConfig::SocketLimitArg() const {
  return socket_limit_mb.empty() ? "" : JoinMb(socket_limit_mb);
}

std::vector<std::string> EalConfig::EalArgs(const std::string& argv0) const {
  std::vector<std::string> a{argv0};
  if (!extra_sets_lcores) {
    a.push_back("-c");
    a.push_back(fmt::format("{:#x}", lcore_mask.value_or(1)));
  }
  if (!hugepage_dir.empty()) {
    a.push_back("--huge-dir");
    a.push_back(hugepage_dir);
  }
  if (memory == MemoryMode::kDynamic) a.push_back("--in-memory");
  if (std::string sm = SocketMemArg(); !sm.empty()) {
    a.push_back("--socket-mem");
    a.push_back(sm);
  }
  if (std::string sl = SocketLimitArg(); !sl.empty()) {
    a.push_back("--socket-limit");
    a.push_back(sl);
  }
  for (const auto& e : extra) a.push_back(e);
  return a;
}

Json EalConfig::ToJson() const {
  const char* init_name = init == InitMode::kTrue  ? "true"
                          : init == InitMode::kTry ? "try"
                                                   : "false";
  Json j = {{"dpdk_init", init_name},
            {"memory_mode", MemoryModeName(memory)},
            {"socket_mem", SocketMemArg()},
            {"socket_limit", SocketLimitArg()},
            {"lcore_mask", fmt::format("{:#x}", lcore_mask.value_or(1))},
            {"hugepage_dir", hugepage_dir},
            {"extra", extra},
            {"numa_fallback", FallbackName(fallback)},
            {"eal_args", EalArgs()}};
  if (memory == MemoryMode::kNoHuge) j["no_huge_mb"] = no_huge_mb;
  return j;
}

Status ValidateAgainstTopology(const EalConfig& cfg, const Topology& topo) {
  if (cfg.lcore_mask) {
    for (int cpu = 0; cpu < 64; cpu++) {
      if ((*cfg.lcore_mask >> cpu & 1) && topo.NodeOfCpu(cpu) == kUnknownNode) {
        return Status(EINVAL, fmt::format("other_config:dpdk-lcore-mask=\"{:#x}\" names CPU {}, "
                                          "which is not on any NUMA node of this machine",
                                          *cfg.lcore_mask, cpu));
      }
    }
  }
  if (cfg.memory == MemoryMode::kNoHuge) return Status::Ok();
  // Both modes reserve dpdk-socket-mem at start; the EAL refuses to start if a node cannot.
  for (const Node& n : topo.nodes()) {
    uint64_t want = cfg.StartMb(n.id) << 20;
    uint64_t have = n.HugepageFreeBytes();
    if (want <= have) continue;
    uint64_t page = topo.DefaultPageKb() * 1024;
    uint64_t short_pages = (want - have + page - 1) / page;
    const HugepagePool* hp = n.Pages(topo.DefaultPageKb());
    uint64_t nr = (hp ? hp->total : 0) + short_pages;
    return Status(
        ENOMEM,
        fmt::format("the EAL cannot reserve {} MB on NUMA node {} (dpdk-socket-mem=\"{}\", {} "
                    "memory): node {} "
                    "has {} MB of free hugepages; run: echo {} > {} (or lower node {}'s entry in "
                    "dpdk-socket-mem); a restart of numavs-switchd is needed",
                    want >> 20, n.id, cfg.SocketMemArg(), MemoryModeName(cfg.memory), n.id,
                    have >> 20, nr, topo.NrHugepagesPath(n.id, topo.DefaultPageKb()), n.id));
  }
  return Status::Ok();
}

bool KeyIsLive(const std::string& key) { return key == "numa-fallback"; }

std::vector<std::string> ChangesNeedingRestart(const OtherConfig& before,
                                               const OtherConfig& after) {
  static const char* kKeys[] = {"dpdk-init",       "dpdk-socket-mem",   "dpdk-socket-limit",
                                "dpdk-lcore-mask", "dpdk-hugepage-dir", "dpdk-extra",
                                "vhost-iommu-support", "vhost-postcopy-support"};
  std::vector<std::string> out;
  for (const char* k : kKeys) {
    auto b = before.find(k);
    auto a = after.find(k);
    std::string bv = b == before.end() ? "" : b->second;
    std::string av = a == after.end() ? "" : a->second;
    bool bset = b != before.end(), aset = a != after.end();
    if (bset == aset && bv == av) continue;
    // dpdk-init false -> true/try starts DPDK without a restart, as in OVS.
    if (std::string(k) == "dpdk-init" && (!bset || bv == "false") &&
        (av == "true" || av == "try")) {
      continue;
    }
    out.push_back(
        fmt::format("{} changed from {} to {}; it takes effect when numavs-switchd "
                    "restarts",
                    k, bset ? "\"" + bv + "\"" : "(unset)", aset ? "\"" + av + "\"" : "(unset)"));
  }
  return out;
}

std::string VsctlSetCommand(const std::string& key, const std::string& value) {
  return fmt::format("ovs-vsctl set Open_vSwitch . other_config:{}=\"{}\"", key, value);
}

}  // namespace vs::numa
