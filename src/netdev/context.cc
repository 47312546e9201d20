#include "netdev/context.h"

#include <fcntl.h>
#include <rte_version.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "base/log.h"
#include "numa/dpdk_backend.h"
#include "numa/eal.h"
#include "numa/sim_backend.h"
#include "numa/sysfs.h"

namespace vs::netdev {
namespace {

log::Module& kLog = log::GetModule("netdev_dpdk");

// Locked memory of this process (VmLck of /proc/self/status), as --mlockall leaves it.
bool MemoryLocked() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmLck:", 0) == 0) return strtoull(line.c_str() + 6, nullptr, 10) > 0;
  return false;
}

// "" when userfaultfd(2) works here (post-copy needs it), else why not.
std::string UserfaultfdMissing() {
#ifdef SYS_userfaultfd
  int fd = static_cast<int>(syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK));
  if (fd >= 0) {
    close(fd);
    return {};
  }
  return fmt::format("userfaultfd(2) failed: {}", strerror(errno));
#else
  return "this build has no userfaultfd(2)";
#endif
}

// One vhost-* key: true, false, or false with a warning for another value.
bool VhostFlag(const numa::OtherConfig& oc, const char* key, std::string* text) {
  auto it = oc.find(key);
  if (it == oc.end() || strcasecmp(it->second.c_str(), "false") == 0) {
    *text = "false";
    return false;
  }
  if (strcasecmp(it->second.c_str(), "true") == 0) {
    *text = "true";
    return true;
  }
  *text = fmt::format("false (other_config:{}=\"{}\" is not true or false; run: ovs-vsctl set "
                      "Open_vSwitch . other_config:{}=true, then restart numavs-switchd)",
                      key, it->second, key);
  VS_LOG_WARN(kLog, "other_config:{}=\"{}\" is invalid (true or false): vhost-user {} support "
              "stays off",
              key, it->second, std::string(key) == "vhost-iommu-support" ? "IOMMU" : "post-copy");
  return false;
}

// The vhost-user features for this run of DPDK (see VhostSettings).
VhostSettings DecideVhost(const numa::OtherConfig& oc) {
  VhostSettings v;
  v.iommu = VhostFlag(oc, "vhost-iommu-support", &v.iommu_text);
  v.postcopy = VhostFlag(oc, "vhost-postcopy-support", &v.postcopy_text);
  if (v.postcopy && MemoryLocked()) {
    v.postcopy = false;
    v.postcopy_text = "false (not available: numavs-switchd runs with --mlockall, which post-copy "
                      "migration cannot work with; restart it without --mlockall)";
    VS_LOG_ERR(kLog, "vhost-user post-copy support refused: other_config:vhost-postcopy-support"
               "=true and --mlockall (locked memory) cannot be used together");
  } else if (v.postcopy) {
    if (std::string why = UserfaultfdMissing(); !why.empty()) {
      v.postcopy = false;
      v.postcopy_text = fmt::format("false (not available: {}; post-copy needs it)", why);
      VS_LOG_ERR(kLog, "vhost-user post-copy support not available: {}", why);
    }
  }
  VS_LOG_INFO(kLog, "vhost-user IOMMU support {}", v.iommu ? "enabled" : "disabled");
  VS_LOG_INFO(kLog, "vhost-user post-copy support {}", v.postcopy ? "enabled" : "disabled");
  return v;
}

}  // namespace

Context::Context(std::string sysfs_root) : sysfs_root_(std::move(sysfs_root)) {}

Context::~Context() {
  // Ports are closed by now (the daemon destroys its interfaces first).
  registry_.reset();
  backend_.reset();
  if (!simulated() && numa::Eal::initialized()) numa::Eal::Shutdown();  // removes its runtime dir
}

std::string Context::version() const {
  return simulated() ? fmt::format("{} (simulated memory and devices)", rte_version())
                     : std::string(rte_version());
}

Status Context::NotReadyError(const std::string& port) const {
  if (!init_error_.empty())
    return Status(EAFNOSUPPORT,
                  fmt::format("could not open network device {}: {}", port, init_error_));
  return Status(EAFNOSUPPORT,
                fmt::format("could not open network device {}: DPDK is not initialised; run: "
                            "ovs-vsctl set Open_vSwitch . other_config:dpdk-init=true",
                            port));
}

Status Context::Configure(const numa::OtherConfig& other_config) {
  other_config_ = other_config;
  if (registry_) {
    auto restart = numa::ChangesNeedingRestart(started_with_, other_config);
    std::string note;
    for (const auto& s : restart) note += (note.empty() ? "" : "; ") + s;
    if (note != restart_note_ && !note.empty()) VS_LOG_WARN(kLog, "{}", note);
    restart_note_ = note;
    auto cfg = numa::ParseEalConfig(other_config, topo_);
    if (cfg.ok()) registry_->SetFallback(cfg->fallback);
    return Status::Ok();
  }
  auto it = other_config.find("dpdk-init");
  std::string init = it == other_config.end() ? "false" : it->second;
  if (init != "true" && init != "try") {
    if (init == "false") {
      init_error_.clear();
      return Status::Ok();
    }
    std::string msg = fmt::format("other_config:dpdk-init=\"{}\" is invalid: expected true, try or "
                                  "false; DPDK stays off",
                                  init);
    if (init_error_ != msg) VS_LOG_WARN(kLog, "{}", msg);
    init_error_ = msg;
    return Status(EINVAL, msg);
  }
  if (!topo_loaded_) {
    auto topo = numa::ReadTopology(sysfs_root_.empty() ? "/" : sysfs_root_);
    if (!topo.ok()) {
      init_error_ = fmt::format("DPDK not started: could not read the NUMA topology: {}",
                                topo.status().message());
      return Status(topo.status().code(), init_error_);
    }
    topo_ = std::move(*topo);
    topo_loaded_ = true;
  }
  auto cfg = numa::ParseEalConfig(other_config, topo_);
  if (!cfg.ok()) {
    if (init_error_ != cfg.status().message()) VS_LOG_ERR(kLog, "{}; DPDK not started", cfg.status().message());
    init_error_ = cfg.status().message();
    return cfg.status();
  }
  if (simulated()) {
    auto sim = numa::SimBackend::Create(topo_, *cfg);
    if (!sim.ok()) {
      init_error_ = sim.status().message();
      return sim.status();
    }
    backend_ = std::move(*sim);
    VS_LOG_INFO(kLog, "DPDK memory simulated over {} ({} memory, socket-mem \"{}\")", sysfs_root_,
                numa::MemoryModeName(cfg->memory), cfg->SocketMemArg());
  } else {
    Status st = numa::Eal::InitFromOtherConfig(other_config, topo_);
    if (!st.ok()) {
      if (init_error_ != st.message()) VS_LOG_ERR(kLog, "DPDK not started: {}", st.message());
      init_error_ = st.message();
      return st;
    }
    auto be = numa::DpdkBackend::Create(topo_);
    if (!be.ok()) {
      init_error_ = be.status().message();
      return be.status();
    }
    backend_ = std::move(*be);
  }
  registry_ = std::make_unique<numa::PoolRegistry>(*backend_, *cfg, topo_);
  vhost_ = DecideVhost(other_config);
  started_with_ = other_config;
  init_error_.clear();
  VS_LOG_INFO(kLog, "DPDK ready: {}", version());
  return Status::Ok();
}

}  // namespace vs::netdev
