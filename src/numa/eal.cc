#include "numa/eal.h"

#include <fmt/ranges.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "base/log.h"
#include "numa/eal_log.h"
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
  std::string failed;  // why rte_eal_init failed in this process ("" = it did not)
};

// The EAL's runtime directory for `args` (as DPDK 22.11 makes it for root:
// /var/run/dpdk/PREFIX, PREFIX from --file-prefix, default "rte").
std::string RuntimeConfigFile(const std::vector<std::string>& args) {
  std::string prefix = "rte";
  for (size_t i = 0; i < args.size(); i++) {
    if (args[i].rfind("--file-prefix=", 0) == 0) prefix = args[i].substr(14);
    else if (args[i] == "--file-prefix" && i + 1 < args.size()) prefix = args[i + 1];
  }
  const char* xdg = getenv("XDG_RUNTIME_DIR");
  std::string base = getuid() == 0 || !xdg ? "/var/run/dpdk" : std::string(xdg) + "/dpdk";
  return base + "/" + prefix + "/config";
}

// A DPDK primary process holds a write lock on its runtime config file for
// its lifetime. Checked before rte_eal_init, which cannot be retried in a
// process once it has failed there.
Status CheckPrefixFree(const std::vector<std::string>& args) {
  std::string config = RuntimeConfigFile(args);
  int fd = open(config.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Ok();
  struct flock lck = {};
  lck.l_type = F_WRLCK;
  lck.l_whence = SEEK_SET;
  int rc = fcntl(fd, F_GETLK, &lck);
  close(fd);
  if (rc != 0 || lck.l_type == F_UNLCK) return Status::Ok();
  std::string comm;
  std::ifstream(fmt::format("/proc/{}/comm", lck.l_pid)) >> comm;
  std::string dir = config.substr(0, config.rfind('/'));
  return Status(EBUSY, fmt::format("DPDK's file prefix \"{}\" is in use by pid {}{} (another DPDK "
                                   "primary process holds {}); give this one another "
                                   "--file-prefix in other_config:dpdk-extra, or stop that process",
                                   dir.substr(dir.rfind('/') + 1), lck.l_pid,
                                   comm.empty() ? "" : " (" + comm + ")", config));
}
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
  if (!s.failed.empty()) return Status(EALREADY, s.failed);
  VS_RETURN_IF_ERROR(ValidateAgainstTopology(cfg, topo));
  VS_RETURN_IF_ERROR(CheckPrefixFree(args));
  if (Status r = RouteDpdkLog(); !r.ok()) VS_LOG_WARN(kLog, "{}", r.message());
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
    // The EAL keeps state from a failed start: it cannot start again in
    // this process.
    s.failed = fmt::format("rte_eal_init(\"{}\") failed: {} (the EAL's own lines in this log, "
                           "module dpdk, say which argument or resource); the EAL cannot start "
                           "twice in one process: fix the cause, then restart {} (numavs restart)",
                           fmt::join(args, " "), rte_strerror(err), argv0);
    return Status(err ? err : EINVAL, s.failed);
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
