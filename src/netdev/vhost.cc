#include "netdev/vhost.h"

#include <fmt/format.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_vhost.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <climits>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "base/log.h"
#include "numa/dpdk_backend.h"

namespace vs::netdev {
namespace {

log::Module& kLog = log::GetModule("netdev_dpdk_vhost");

// Vring indexes of queue pair q: 2q is the guest's rx ring (we enqueue), 2q+1
// its tx ring (we dequeue).
constexpr uint16_t kGuestRx = 0, kGuestTx = 1;
constexpr uint32_t kDefaultTxRetries = 8, kMaxTxRetries = 32;
// Frame length allowed over the MTU: Ethernet header and one VLAN tag.
constexpr uint32_t kFrameOverhead = 14 + 4;
constexpr uint32_t kVringDesc = 1024;  // sizes the pool like an ethdev ring
constexpr uint16_t kMaxQueuePairs = 16;  // served; a guest with more gets the first 16
// Offloads a guest may not use: it would hand over packets with partial
// checksums or larger than the MTU, which the datapath does not finish.
// Bits of the virtio-net spec: CSUM 0, HOST_TSO4 11, HOST_TSO6 12, HOST_ECN 13,
// HOST_UFO 14 (linux/virtio_net.h does not compile beside DPDK's headers).
constexpr uint64_t kDisabledFeatures =
    (1ULL << 0) | (1ULL << 11) | (1ULL << 12) | (1ULL << 13) | (1ULL << 14);
// VIRTIO_F_IOMMU_PLATFORM (virtio spec) and VHOST_USER_PROTOCOL_F_PAGEFAULT
// (vhost-user spec): what librte_vhost offers when IOMMU / post-copy support
// is on, read back after registration.
constexpr uint64_t kIommuPlatform = 1ULL << 33;
constexpr uint64_t kProtocolPagefault = 1ULL << 8;

// Per-queue counters: one writer at a time (the PMD owning the rx queue; tx
// senders serialise on the queue), so plain load+store, read relaxed.
struct alignas(64) QueueCounters {
  std::atomic<uint64_t> packets{0}, bytes{0}, dropped{0}, retries{0}, failure_drops{0},
      mtu_drops{0};
  std::atomic<bool> busy{false};
};

inline void Add(std::atomic<uint64_t>& c, uint64_t v) {
  c.store(c.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
}

Result<uint32_t> TxRetriesOption(const Config& cfg) {
  auto it = cfg.options.find("tx-retries-max");
  if (it == cfg.options.end()) return kDefaultTxRetries;
  char* end = nullptr;
  unsigned long v = strtoul(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0' || it->second[0] == '-' || v > kMaxTxRetries) {
    return Status(EINVAL,
                  fmt::format("could not open network device {}: options:tx-retries-max="
                              "\"{}\" is invalid (0 to {}); run: ovs-vsctl set Interface "
                              "{} options:tx-retries-max={}",
                              cfg.name, it->second, kMaxTxRetries, cfg.name, kDefaultTxRetries));
  }
  return static_cast<uint32_t>(v);
}

// Checks options:vhost-server-path: present, short enough for a unix socket,
// in an existing directory, and a socket if something is there already.
Result<std::string> ServerPathOption(const Config& cfg) {
  auto it = cfg.options.find("vhost-server-path");
  if (it == cfg.options.end() || it->second.empty()) {
    return Status(EINVAL, fmt::format("could not open network device {}: options:vhost-server-path "
                                      "is required for type dpdkvhostuserclient; run: ovs-vsctl "
                                      "set Interface {} options:vhost-server-path=<the guest's "
                                      "vhost-user socket>",
                                      cfg.name, cfg.name));
  }
  const std::string& path = it->second;
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return Status(ENAMETOOLONG, fmt::format("could not open network device {}: "
                                            "options:vhost-server-path \"{}\" is longer than a "
                                            "unix socket path may be ({} bytes)",
                                            cfg.name, path, sizeof(sockaddr_un::sun_path) - 1));
  }
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  if (dir.empty()) dir = "/";
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status(ENOENT, fmt::format("could not open network device {}: the directory of "
                                      "options:vhost-server-path \"{}\" does not exist; create "
                                      "it or point the option at the guest's socket",
                                      cfg.name, path));
  }
  if (stat(path.c_str(), &st) == 0 && !S_ISSOCK(st.st_mode)) {
    return Status(ENOTSOCK, fmt::format("could not open network device {}: "
                                        "options:vhost-server-path \"{}\" exists and is not a "
                                        "socket; point the option at the guest's vhost-user "
                                        "socket",
                                        cfg.name, path));
  }
  return path;
}

// Server mode: $OVS_RUNDIR/<other_config:vhost-sock-dir>/<name>. A socket left
// there by a process that died is removed; one that a live process listens
// on is an error.
Result<std::string> ServerSocketPath(const Context& ctx, const Config& cfg) {
  const char* env = getenv("OVS_RUNDIR");
  std::string dir = env && *env ? env : "/var/run/openvswitch";
  auto sd = ctx.other_config().find("vhost-sock-dir");
  if (sd != ctx.other_config().end() && !sd->second.empty()) {
    if (sd->second[0] == '/' || sd->second.find("..") != std::string::npos) {
      return Status(EINVAL, fmt::format("could not open network device {}: "
                                        "other_config:vhost-sock-dir=\"{}\" must be a directory "
                                        "below the run directory {} (relative, without \"..\")",
                                        cfg.name, sd->second, dir));
    }
    dir += "/" + sd->second;
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status(ENOENT, fmt::format("could not open network device {}: the vhost-user socket "
                                      "directory {} does not exist; create it or fix "
                                      "other_config:vhost-sock-dir",
                                      cfg.name, dir));
  }
  if (cfg.name.find('/') != std::string::npos)
    return Status(EINVAL, fmt::format("could not open network device {}: a dpdkvhostuser "
                                      "interface name may not contain '/'",
                                      cfg.name));
  std::string path = dir + "/" + cfg.name;
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return Status(ENAMETOOLONG, fmt::format("could not open network device {}: the socket path "
                                            "{} is longer than a unix socket path may be",
                                            cfg.name, path));
  }
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Status(EEXIST, fmt::format("could not open network device {}: {} exists and is not "
                                        "a socket; remove it",
                                        cfg.name, path));
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Status(errno, fmt::format("{}: socket: {}", cfg.name, strerror(errno)));
    sockaddr_un a = {};
    a.sun_family = AF_UNIX;
    memcpy(a.sun_path, path.c_str(), path.size());
    bool live = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    if (live) {
      return Status(EADDRINUSE, fmt::format("could not open network device {}: another process "
                                            "listens on {}; stop it or rename the interface",
                                            cfg.name, path));
    }
    unlink(path.c_str());  // left by a process that died
  }
  return path;
}

class VhostClient;

// Socket path -> device, for librte_vhost's callbacks (which know a vid).
std::mutex g_mu;
std::map<std::string, VhostClient*>& Devices() {
  static std::map<std::string, VhostClient*> m;
  return m;
}

class VhostClient : public Netdev {
 public:
  VhostClient(Context& ctx, const Config& cfg, bool server, std::string path, uint32_t tx_retries,
              numa::PortSpec spec, numa::Assignment a, std::string how)
      : Netdev(cfg.name, ctx.notifier()),
        server_(server),
        reg_(*ctx.registry()),
        path_(std::move(path)),
        tx_retries_max_(tx_retries),
        spec_(std::move(spec)),
        a_(std::move(a)),
        mp_(numa::DpdkBackend::Mempool(a_.raw)),
        how_(std::move(how)),
        settings_(ctx.vhost()) {}

  ~VhostClient() override {
    closing_.store(true);
    // Calls destroy_device for a connected guest (on this thread).
    if (registered_ && rte_vhost_driver_unregister(path_.c_str()) != 0)
      VS_LOG_WARN(kLog, "{}: could not unregister vhost-user socket {}", name(), path_);
    if (in_map_) {
      std::lock_guard<std::mutex> l(g_mu);
      Devices().erase(path_);
    }
    struct stat st;
    if (server_ && registered_ && lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
      unlink(path_.c_str());
    reg_.Detach(name());
    if (registered_) VS_LOG_INFO(kLog, "{}: closed (vhost-user {} {})", name(), mode(), path_);
  }

  // Registers the socket with librte_vhost and starts connecting.
  vs::Status Start();

  std::string type() const override { return server_ ? "dpdkvhostuser" : "dpdkvhostuserclient"; }
  const char* mode() const { return server_ ? "server" : "client"; }
  bool link_up() const override { return vid_.load(std::memory_order_relaxed) >= 0; }
  int mtu() const override { return spec_.mtu; }
  int numa_node() const override { return spec_.node; }
  uint16_t n_rxq() const override { return n_pairs_; }
  uint16_t n_txq() const override { return n_pairs_; }

  bool Reconfigure(const Config& cfg) override {
    auto path = cfg.options.find("vhost-server-path");
    auto retries = TxRetriesOption(cfg);
    bool same_path = server_ || (path != cfg.options.end() && path->second == path_);
    if (!same_path || RequestedMtu(cfg) != spec_.mtu || !retries.ok())
      return false;  // reopen (and report the error, if any)
    tx_retries_max_.store(*retries, std::memory_order_relaxed);
    return true;
  }

  std::map<std::string, std::string> Status() const override;
  std::map<std::string, int64_t> Statistics() const override;

  uint16_t RxBurst(uint16_t q, rte_mbuf** pkts, uint16_t n) override {
    QueueCounters& c = rx_[q];
    c.busy.store(true, std::memory_order_seq_cst);
    int vid = vid_.load(std::memory_order_seq_cst);
    uint16_t got = 0;
    if (vid >= 0) {
      got = rte_vhost_dequeue_burst(vid, static_cast<uint16_t>(q * 2 + kGuestTx), mp_, pkts, n);
      if (got) {
        uint64_t bytes = 0;
        for (uint16_t i = 0; i < got; i++) bytes += rte_pktmbuf_pkt_len(pkts[i]);
        Add(c.packets, got);
        Add(c.bytes, bytes);
      }
    }
    c.busy.store(false, std::memory_order_release);
    return got;
  }

  uint16_t TxBurst(uint16_t q, rte_mbuf** pkts, uint16_t n) override;

  // librte_vhost callbacks (its thread).
  void OnNewDevice(int vid);
  void OnDestroyDevice();
  void OnVringState(uint16_t vring, bool enable);

 protected:
  vs::Status DoApplyRequest() override;

 private:
  static constexpr uint16_t kMaxVrings = 64;

  bool server_;
  numa::PoolRegistry& reg_;
  std::string path_;
  std::atomic<uint32_t> tx_retries_max_;
  numa::PortSpec spec_;  // spec_.node: the port's node
  numa::Assignment a_;
  rte_mempool* mp_;           // changed only with PMDs stopped
  std::string how_;           // how spec_.node was decided
  VhostSettings settings_;    // the driver flags asked for (context.h)
  std::string iommu_, postcopy_;  // what librte_vhost offers (status keys)
  std::atomic<int> vid_{-1};  // what PMDs use (see vhost.h)
  std::atomic<bool> closing_{false};
  bool registered_ = false;  // with librte_vhost
  bool in_map_ = false;      // in Devices()
  std::array<std::atomic<bool>, kMaxVrings> vring_enabled_{};
  // Queue pairs the PMDs are planned with (control thread; PMDs stopped when it changes).
  uint16_t n_pairs_ = 1;
  // Tx queue q -> the guest queue pair it enqueues to: the enabled ones in turn
  // (RemapTx), so a guest that enabled fewer queues than it offered still gets traffic.
  std::array<std::atomic<uint16_t>, kMaxQueuePairs> tx_map_{};
  std::array<QueueCounters, kMaxQueuePairs> rx_, tx_;

  void RemapTx(uint16_t pairs);
  bool AnyBusy() const {
    for (uint16_t q = 0; q < kMaxQueuePairs; q++)
      if (rx_[q].busy.load(std::memory_order_seq_cst) || tx_[q].busy.load(std::memory_order_seq_cst))
        return true;
    return false;
  }

  // The guest as the vhost thread last saw it (mu_).
  mutable std::mutex mu_;
  int guest_vid_ = -1;
  uint64_t generation_ = 0;  // counts connections
  int guest_node_ = -1;
  uint16_t guest_pairs_ = 1;  // queue pairs the guest has (vrings / 2, vring_state_changed)
  uint64_t features_ = 0;
  std::vector<uint16_t> vring_sizes_;
};

Status VhostClient::Start() {
  {
    std::lock_guard<std::mutex> l(g_mu);
    if (Devices().count(path_)) {
      return vs::Status(EBUSY, fmt::format("could not open network device {}: vhost-user socket "
                                           "{} is already used by interface {}; give each port "
                                           "its own options:vhost-server-path",
                                           name(), path_, Devices()[path_]->name()));
    }
    Devices()[path_] = this;
    in_map_ = true;
  }
  // On failure the destructor unregisters and leaves the map.
  auto fail = [&](const char* what) {
    return vs::Status(EIO, fmt::format("could not open network device {}: {} failed for vhost-user "
                                       "socket {}",
                                       name(), what, path_));
  };
  static const rte_vhost_device_ops kOps = {
      .new_device = [](int vid) -> int {
        char path[PATH_MAX];
        if (rte_vhost_get_ifname(vid, path, sizeof path) != 0) return -1;
        std::lock_guard<std::mutex> l(g_mu);
        auto it = Devices().find(path);
        if (it == Devices().end()) return -1;
        it->second->OnNewDevice(vid);
        return 0;
      },
      .destroy_device =
          [](int vid) {
            char path[PATH_MAX];
            if (rte_vhost_get_ifname(vid, path, sizeof path) != 0) return;
            std::lock_guard<std::mutex> l(g_mu);
            auto it = Devices().find(path);
            if (it != Devices().end()) it->second->OnDestroyDevice();
          },
      .vring_state_changed = [](int vid, uint16_t vring, int enable) -> int {
        char path[PATH_MAX];
        if (rte_vhost_get_ifname(vid, path, sizeof path) != 0) return -1;
        std::lock_guard<std::mutex> l(g_mu);
        auto it = Devices().find(path);
        if (it != Devices().end()) it->second->OnVringState(vring, enable != 0);
        return 0;
      },
  };
  uint64_t flags = server_ ? 0 : RTE_VHOST_USER_CLIENT;
  if (settings_.iommu) flags |= RTE_VHOST_USER_IOMMU_SUPPORT;
  if (settings_.postcopy) flags |= RTE_VHOST_USER_POSTCOPY_SUPPORT;
  if (rte_vhost_driver_register(path_.c_str(), flags) != 0) {
    return vs::Status(EIO, fmt::format("could not open network device {}: "
                                       "rte_vhost_driver_register failed for {} (see the log)",
                                       name(), path_));
  }
  registered_ = true;
  if (rte_vhost_driver_disable_features(path_.c_str(), kDisabledFeatures) != 0)
    return fail("rte_vhost_driver_disable_features");
  // The effective values, as the driver will offer them to the guest.
  uint64_t features = 0, protocol = 0;
  if (rte_vhost_driver_get_features(path_.c_str(), &features) != 0 ||
      rte_vhost_driver_get_protocol_features(path_.c_str(), &protocol) != 0)
    return fail("reading back the vhost-user features");
  iommu_ = (features & kIommuPlatform) ? "true" : settings_.iommu_text;
  postcopy_ = (protocol & kProtocolPagefault) ? "true" : settings_.postcopy_text;
  if (((features & kIommuPlatform) != 0) != settings_.iommu ||
      ((protocol & kProtocolPagefault) != 0) != settings_.postcopy)
    return fail("registering with the requested IOMMU/post-copy support");
  if (rte_vhost_driver_callback_register(path_.c_str(), &kOps) != 0)
    return fail("rte_vhost_driver_callback_register");
  if (rte_vhost_driver_start(path_.c_str()) != 0) return fail("rte_vhost_driver_start");
  VS_LOG_INFO(kLog, "{}: vhost-user {} on {} (waiting for the guest), pool {} on node {}", name(),
              mode(), path_, a_.pool, a_.node);
  return vs::Status::Ok();
}

void VhostClient::OnNewDevice(int vid) {
  std::vector<uint16_t> sizes;
  uint16_t n = rte_vhost_get_vring_num(vid);
  for (uint16_t i = 0; i < n; i++) {
    struct rte_vhost_vring vr = {};
    sizes.push_back(rte_vhost_get_vhost_vring(vid, i, &vr) == 0 ? vr.size : 0);
  }
  uint64_t features = 0;
  rte_vhost_get_negotiated_features(vid, &features);
  {
    std::lock_guard<std::mutex> l(mu_);
    guest_vid_ = vid;
    guest_pairs_ = static_cast<uint16_t>(std::clamp<uint16_t>(n / 2, 1, kMaxQueuePairs));
    generation_++;
    guest_node_ = rte_vhost_get_numa_node(vid);
    features_ = features;
    vring_sizes_ = std::move(sizes);
  }
  VS_LOG_INFO(kLog, "{}: guest connected on {} (vid {}, {} vrings)", name(), path_, vid, n);
  RequestReconfigure();
}

// A guest enables a vring beyond the queue pairs known: it has more (the
// multi-queue negotiation, as OVS learns it); the rx queues are re-planned.
void VhostClient::OnVringState(uint16_t vring, bool enable) {
  if (vring >= kMaxVrings) return;
  vring_enabled_[vring].store(enable, std::memory_order_relaxed);
  bool more = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    uint16_t pairs = static_cast<uint16_t>(vring / 2 + 1);
    if (enable && guest_vid_ >= 0 && pairs <= kMaxQueuePairs && pairs > guest_pairs_) {
      guest_pairs_ = pairs;
      more = true;
    }
  }
  RemapTx(n_pairs_);
  if (more) {
    VS_LOG_INFO(kLog, "{}: guest enabled vring {}: {} queue pair(s)", name(), vring, vring / 2 + 1);
    RequestReconfigure();
  }
}

void VhostClient::RemapTx(uint16_t pairs) {
  uint16_t enabled[kMaxQueuePairs];
  uint16_t n = 0;
  for (uint16_t p = 0; p < pairs && p < kMaxQueuePairs; p++)
    if (vring_enabled_[p * 2 + kGuestRx].load(std::memory_order_relaxed)) enabled[n++] = p;
  for (uint16_t q = 0; q < kMaxQueuePairs; q++)
    tx_map_[q].store(n ? enabled[q % n] : static_cast<uint16_t>(q % std::max<uint16_t>(pairs, 1)),
                     std::memory_order_relaxed);
}

void VhostClient::OnDestroyDevice() {
  std::lock_guard<std::mutex> l(mu_);
  vid_.store(-1, std::memory_order_seq_cst);
  // Wait for PMDs inside a burst on the old vid (see vhost.h).
  while (AnyBusy()) rte_pause();
  guest_vid_ = -1;
  generation_++;
  for (auto& e : vring_enabled_) e.store(false, std::memory_order_relaxed);
  VS_LOG_INFO(kLog, "{}: guest disconnected from {}", name(), path_);
  if (!closing_.load()) RequestReconfigure();
}

vs::Status VhostClient::DoApplyRequest() {
  int vid, node;
  uint64_t gen;
  uint16_t pairs;
  {
    std::lock_guard<std::mutex> l(mu_);
    vid = guest_vid_;
    node = guest_node_;
    gen = generation_;
    pairs = guest_pairs_;
  }
  if (vid < 0) return vs::Status::Ok();  // disconnected: the status says so
  if (node >= 0 && reg_.topology().FindNode(node) == nullptr) node = -1;
  if (node >= 0) {
    spec_.node = node;
    how_ = "guest memory (rte_vhost_get_numa_node)";
  } else {
    how_ =
        fmt::format("guest memory node unknown: node {} kept (the EAL's main lcore)", spec_.node);
  }
  numa::PortSpec want = spec_;
  want.n_rxq = want.n_txq = pairs;  // buffers for every vring we fill
  numa::AttachResult ar = reg_.Attach(want);
  if (!ar.ok()) return vs::Status(ar.error().code, ar.error().message);
  spec_ = want;
  n_pairs_ = pairs;
  RemapTx(pairs);
  a_ = ar.value();
  mp_ = numa::DpdkBackend::Mempool(a_.raw);
  std::lock_guard<std::mutex> l(mu_);
  if (gen != generation_) return vs::Status::Ok();  // gone again meanwhile
  vid_.store(vid, std::memory_order_seq_cst);
  VS_LOG_INFO(kLog, "{}: guest ready (vid {}, NUMA node {}: {}), {} queue pair(s), pool {} on "
              "node {}",
              name(), vid, spec_.node, how_, pairs, a_.pool, a_.node);
  return vs::Status::Ok();
}

uint16_t VhostClient::TxBurst(uint16_t q, rte_mbuf** pkts, uint16_t n) {
  QueueCounters& c = tx_[q];
  c.busy.store(true, std::memory_order_seq_cst);
  int vid = vid_.load(std::memory_order_seq_cst);
  if (vid < 0) {
    c.busy.store(false, std::memory_order_release);
    rte_pktmbuf_free_bulk(pkts, n);
    Add(c.dropped, n);
    return n;
  }
  // Oversized frames out, the rest compacted in order.
  const uint32_t max_len = static_cast<uint32_t>(spec_.mtu) + kFrameOverhead;
  uint16_t keep = 0, too_long = 0;
  for (uint16_t i = 0; i < n; i++) {
    if (rte_pktmbuf_pkt_len(pkts[i]) > max_len) {
      rte_pktmbuf_free(pkts[i]);
      too_long++;
    } else {
      pkts[keep++] = pkts[i];
    }
  }
  const uint16_t vring =
      static_cast<uint16_t>(tx_map_[q].load(std::memory_order_relaxed) * 2 + kGuestRx);
  const uint32_t max_retries = tx_retries_max_.load(std::memory_order_relaxed);
  uint16_t sent = 0;
  uint32_t retries = 0;
  while (sent < keep) {
    uint16_t k = rte_vhost_enqueue_burst(vid, vring, pkts + sent, keep - sent);
    if (k == 0) break;  // the guest took nothing: it is not reading, do not spin
    sent += k;
    if (sent < keep && retries++ >= max_retries) break;
  }
  c.busy.store(false, std::memory_order_release);
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < sent; i++) bytes += rte_pktmbuf_pkt_len(pkts[i]);
  rte_pktmbuf_free_bulk(pkts, keep);  // enqueue copied what it took
  Add(c.packets, sent);
  Add(c.bytes, bytes);
  if (retries) Add(c.retries, std::min(retries, max_retries));
  if (keep > sent) {
    Add(c.failure_drops, keep - sent);
    Add(c.dropped, keep - sent);
  }
  if (too_long) {
    Add(c.mtu_drops, too_long);
    Add(c.dropped, too_long);
  }
  return n;
}

std::map<std::string, std::string> VhostClient::Status() const {
  std::map<std::string, std::string> s = {
      {"mode", mode()},      {"socket", path_},    {"numa", std::to_string(spec_.node)},
      {"numa_source", how_}, {"mempool", a_.pool}, {"mempool_numa_id", std::to_string(a_.node)},
      {"n_rxq", std::to_string(n_pairs_)}, {"n_txq", std::to_string(n_pairs_)},
      {"vhost_iommu_support", iommu_}, {"vhost_postcopy_support", postcopy_},
  };
  if (!a_.status.empty()) s["cross_numa"] = a_.status;
  std::lock_guard<std::mutex> l(mu_);
  bool up = guest_vid_ >= 0 && vid_.load(std::memory_order_relaxed) >= 0;
  s["status"] = up ? "connected" : "disconnected";
  if (up) {
    s["features"] = fmt::format("0x{:016x}", features_);
    s["num_of_vrings"] = std::to_string(vring_sizes_.size());
    for (size_t i = 0; i < vring_sizes_.size(); i++) {
      s[fmt::format("vring_{}_size", i)] = std::to_string(vring_sizes_[i]);
      if (i < kMaxVrings)  // as the guest last set it (vring_state_changed)
        s[fmt::format("vring_{}_enabled", i)] =
            vring_enabled_[i].load(std::memory_order_relaxed) ? "true" : "false";
    }
  }
  return s;
}

std::map<std::string, int64_t> VhostClient::Statistics() const {
  auto g = [](const std::atomic<uint64_t>& a) {
    return static_cast<int64_t>(a.load(std::memory_order_relaxed));
  };
  std::map<std::string, int64_t> out;
  for (const char* k : {"rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "tx_dropped",
                        "ovs_tx_retries", "ovs_tx_failure_drops", "ovs_tx_mtu_exceeded_drops"})
    out[k] = 0;
  for (uint16_t q = 0; q < kMaxQueuePairs; q++) {
    const QueueCounters &r = rx_[q], &t = tx_[q];
    out["rx_packets"] += g(r.packets);
    out["rx_bytes"] += g(r.bytes);
    out["tx_packets"] += g(t.packets);
    out["tx_bytes"] += g(t.bytes);
    out["tx_dropped"] += g(t.dropped);
    out["ovs_tx_retries"] += g(t.retries);
    out["ovs_tx_failure_drops"] += g(t.failure_drops);
    out["ovs_tx_mtu_exceeded_drops"] += g(t.mtu_drops);
    if (q < n_pairs_) {  // per queue, under the names DPDK's vhost statistics use
      out[fmt::format("rx_q{}_good_packets", q)] = g(r.packets);
      out[fmt::format("tx_q{}_good_packets", q)] = g(t.packets);
    }
  }
  return out;
}

Result<std::unique_ptr<Netdev>> OpenVhost(Context& ctx, const Config& cfg, bool server) {
  auto path = server ? ServerSocketPath(ctx, cfg) : ServerPathOption(cfg);
  if (!path.ok()) return path.status();
  auto retries = TxRetriesOption(cfg);
  if (!retries.ok()) return retries.status();
  numa::PoolRegistry* registry = ctx.registry();
  if (!registry) return ctx.NotReadyError(cfg.name);
  if (ctx.simulated()) {
    return Status(ENOTSUP, fmt::format("could not open network device {}: vhost-user ports need "
                                       "the real DPDK (numavs-switchd runs with --sysfs-root)",
                                       cfg.name));
  }
  numa::PortSpec spec;
  spec.name = cfg.name;
  spec.node = static_cast<int>(rte_lcore_to_socket_id(rte_get_main_lcore()));
  spec.mtu = RequestedMtu(cfg);
  spec.rxq_size = kVringDesc;
  spec.txq_size = kVringDesc;
  if (Status v = numa::ValidatePort(spec); !v.ok())
    return Status(v.code(),
                  fmt::format("could not open network device {}: {}", cfg.name, v.message()));
  numa::AttachResult ar = registry->Attach(spec);
  if (!ar.ok()) return Status(ar.error().code, ar.error().message);
  std::string how = fmt::format("no guest yet: node {} of the EAL's main lcore", spec.node);
  auto dev =
      std::make_unique<VhostClient>(ctx, cfg, server, *path, *retries, spec, ar.value(), how);
  if (Status s = dev->Start(); !s.ok()) return s;  // the destructor releases the pool
  return std::unique_ptr<Netdev>(std::move(dev));
}

}  // namespace

Result<std::unique_ptr<Netdev>> OpenVhostUserClient(Context& ctx, const Config& cfg) {
  return OpenVhost(ctx, cfg, false);
}

Result<std::unique_ptr<Netdev>> OpenVhostUser(Context& ctx, const Config& cfg) {
  return OpenVhost(ctx, cfg, true);
}

}  // namespace vs::netdev
