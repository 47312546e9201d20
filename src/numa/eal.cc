#include "numa/eal.h"

#include <fmt/ranges.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include <filesystem>
#include <mutex>

#include "base/log.h"
#include "numa/planner.h"

namespace vs::numa {
namespace {

vs::log::Module& kLog = vs::log::GetModule("numa_eal");

struct State {
  std::mutex mu;
  bool initialized = false;
  bool shut_down = false;
  std::vector<std::string> args;
  MemoryMode mode = MemoryMode::kDynamic;
};
State& S() {
  static State s;
  return s;
}

}  // namespace

Status Eal::Init(const EalConfig& cfg, const Topology& topo, const std::string& argv0) {
  State& s = S();
  std::lock_guard lock(s.mu);
  std::vector<std::string> args = cfg.EalArgs(argv0);
  if (s.initialized) {
    if (args == s.args) return Status::Ok();
    return Status(EALREADY, fmt::format("the DPDK EAL is already running with \"{}\"; changing it "
                                        "to \"{}\" needs a restart of {}",
                                        fmt::join(s.args, " "), fmt::join(args, " "), argv0));
  }
  if (s.shut_down) {
    return Status(EALREADY, "the DPDK EAL was shut down and cannot start again in this process");
  }
  if (cfg.init == InitMode::kFalse) {
    return Status(
        EPERM, fmt::format("DPDK is not enabled; run: {}", VsctlSetCommand("dpdk-init", "true")));
  }
  VS_RETURN_IF_ERROR(ValidateAgainstTopology(cfg, topo));
  VS_LOG_INFO(kLog, "EAL arguments: {}", fmt::join(args, " "));
  VS_LOG_INFO(kLog, "memory mode {}{}", MemoryModeName(cfg.memory),
              cfg.memory == MemoryMode::kDynamic
                  ? ": heaps grow on whichever node asks, from that node's free hugepages"
                  : ": heaps are fixed at start");
  std::vector<std::string> copy = args;  // rte_eal_init may permute argv
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  int rc = rte_eal_init(static_cast<int>(argv.size() - 1), argv.data());
  if (rc < 0) {
    int err = rte_errno;
    return Status(err ? err : EINVAL,
                  fmt::format("rte_eal_init(\"{}\") failed: {} (the EAL log above says which "
                              "argument or resource)",
                              fmt::join(args, " "), rte_strerror(err)));
  }
  s.initialized = true;
  s.args = args;
  s.mode = cfg.memory;
  VS_LOG_INFO(kLog, "EAL started; {}", DescribeReservation());
  return Status::Ok();
}

Status Eal::InitFromOtherConfig(const OtherConfig& other_config, const Topology& topo,
                                EalConfig* cfg_out, const std::string& argv0) {
  auto cfg = ParseEalConfig(other_config, topo);
  if (!cfg.ok()) {
    VS_LOG_ERR(kLog, "{}; DPDK not started", cfg.status().message());
    return cfg.status();
  }
  if (cfg_out) *cfg_out = *cfg;
  return Init(*cfg, topo, argv0);
}

bool Eal::initialized() {
  std::lock_guard lock(S().mu);
  return S().initialized;
}

const std::vector<std::string>& Eal::args() { return S().args; }

std::string Eal::DescribeReservation() {
  std::vector<std::string> parts;
  for (unsigned i = 0; i < rte_socket_count(); i++) {
    int sid = rte_socket_id_by_idx(i);
    rte_malloc_socket_stats st{};
    if (rte_malloc_get_socket_stats(sid, &st) != 0) continue;
    parts.push_back(fmt::format("node {}: {} held, {} free", sid, Mb(st.heap_totalsz_bytes),
                                Mb(st.heap_freesz_bytes)));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

void Eal::Shutdown() {
  State& s = S();
  std::lock_guard lock(s.mu);
  if (!s.initialized) return;
  // DPDK 22.11 leaves its runtime directory (/var/run/dpdk/PREFIX) behind; this process made
  // it as the primary, so it removes it.
  std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  std::error_code ec;
  if (!runtime_dir.empty()) std::filesystem::remove_all(runtime_dir, ec);
  s.initialized = false;
  s.shut_down = true;
}

}  // namespace vs::numa
