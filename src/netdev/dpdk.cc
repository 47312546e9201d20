#include "netdev/dpdk.h"

#include <linux/if_packet.h>
#include <net/if.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_version.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "base/log.h"
#include "numa/dpdk_backend.h"

namespace vs::netdev {
namespace {

log::Module& kLog = log::GetModule("netdev_dpdk");
constexpr uint32_t kDefaultDesc = 2048;

// Reads a positive integer option; `fallback` when absent.
Result<uint32_t> UintOption(const Config& cfg, const char* key, uint32_t fallback,
                            uint32_t max) {
  auto it = cfg.options.find(key);
  if (it == cfg.options.end()) return fallback;
  char* end = nullptr;
  unsigned long v = strtoul(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0' || v == 0 || v > max) {
    return Status(EINVAL, fmt::format("{}: options:{}=\"{}\" is invalid (1 to {}); run: ovs-vsctl "
                                      "set Interface {} options:{}={}",
                                      cfg.name, key, it->second, max, cfg.name, key, fallback));
  }
  return static_cast<uint32_t>(v);
}

// The common part: a port's pool share, released when the device goes.
class DpdkNetdevBase : public Netdev {
 public:
  DpdkNetdevBase(const Config& cfg, std::string type, numa::PoolRegistry& reg, numa::Assignment a,
                 numa::PortSpec spec, std::string how)
      : Netdev(cfg.name),
        type_(std::move(type)),
        reg_(reg),
        a_(std::move(a)),
        spec_(spec),
        how_(std::move(how)) {}
  ~DpdkNetdevBase() override { reg_.Detach(name()); }
  std::string type() const override { return type_; }
  int mtu() const override { return spec_.mtu; }
  int numa_node() const override { return a_.wanted_node; }
  std::map<std::string, std::string> Status() const override {
    std::map<std::string, std::string> s = {
        {"numa_id", std::to_string(a_.wanted_node)},
        {"n_rxq", std::to_string(spec_.n_rxq)},
        {"n_txq", std::to_string(spec_.n_txq)},
        {"n_rxq_desc", std::to_string(spec_.rxq_size)},
        {"n_txq_desc", std::to_string(spec_.txq_size)},
        {"mempool", a_.pool},
        {"mempool_numa_id", std::to_string(a_.node)},
        {"numa_id_source", how_},
    };
    if (!a_.status.empty()) s["cross_numa"] = a_.status;
    return s;
  }

 protected:
  std::string type_;
  numa::PoolRegistry& reg_;
  numa::Assignment a_;
  numa::PortSpec spec_;
  std::string how_;
};

// --sysfs-root mode: the device exists only as its memory; no queues, no packets.
class SimDpdkNetdev : public DpdkNetdevBase {
 public:
  using DpdkNetdevBase::DpdkNetdevBase;
  bool link_up() const override { return true; }
  bool Reconfigure(const Config&) override { return false; }
  std::map<std::string, std::string> Status() const override {
    auto s = DpdkNetdevBase::Status();
    s["driver_name"] = "simulated";
    return s;
  }
};

// What bring-up learned from the device's capabilities and applied.
struct Caps {
  uint64_t rss_hf = 0;       // RSS hash fields in use (0: no RSS)
  uint64_t rx_offloads = 0;  // rx checksum offloads in use
  std::string promisc;       // "true", or why not
  std::string kernel_if;     // net_af_packet: the kernel interface it is bound to
  bool mtu_by_caller = false;  // the internal port (tap.cc) sets its kernel MTU itself
  unsigned kernel_ifindex = 0;
};

// Bad rx checksums: counted per rx queue by an rx callback (run inside
// rte_eth_rx_burst by the queue's one PMD) and dropped, never forwarded as good.
struct alignas(64) CsumCounter {
  std::atomic<uint64_t> bad{0};
};

uint16_t DropBadChecksums(uint16_t, uint16_t, rte_mbuf** pkts, uint16_t n, uint16_t, void* arg) {
  uint16_t kept = 0, bad = 0;
  for (uint16_t i = 0; i < n; i++) {
    uint64_t f = pkts[i]->ol_flags;
    if ((f & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
        (f & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD) {
      rte_pktmbuf_free(pkts[i]);
      bad++;
    } else {
      pkts[kept++] = pkts[i];
    }
  }
  if (bad) {
    auto* c = static_cast<CsumCounter*>(arg);
    c->bad.store(c->bad.load(std::memory_order_relaxed) + bad, std::memory_order_relaxed);
  }
  return kept;
}

// The kernel interface's state: "" when up, else why not.
std::string KernelIfDown(const std::string& ifname, unsigned ifindex) {
  unsigned now = if_nametoindex(ifname.c_str());
  if (now == 0) return fmt::format("kernel interface {} does not exist", ifname);
  if (now != ifindex)
    return fmt::format("kernel interface {} was recreated (ifindex {} -> {}): reopening", ifname,
                       ifindex, now);
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return {};
  struct ifreq ifr = {};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  std::string why;
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) == 0) {
    if (!(ifr.ifr_flags & IFF_UP)) why = fmt::format("kernel interface {} is down", ifname);
    else if (!(ifr.ifr_flags & IFF_RUNNING)) why = fmt::format("kernel interface {} has no carrier", ifname);
  }
  close(sock);
  return why;
}

// A real DPDK ethdev.
class EthNetdev : public DpdkNetdevBase {
 public:
  EthNetdev(const Config& cfg, std::string type, numa::PoolRegistry& reg, numa::Assignment a,
            numa::PortSpec spec, std::string how, uint16_t port_id, std::string driver, Caps caps,
            std::unique_ptr<CsumCounter[]> csum, std::vector<const rte_eth_rxtx_callback*> cbs)
      : DpdkNetdevBase(cfg, std::move(type), reg, std::move(a), spec, std::move(how)),
        port_id_(port_id),
        driver_(std::move(driver)),
        caps_(std::move(caps)),
        csum_(std::move(csum)),
        cbs_(std::move(cbs)) {}
  ~EthNetdev() override {
    for (uint16_t q = 0; q < cbs_.size(); q++) {
      if (!cbs_[q]) continue;
      if (rte_eth_remove_rx_callback(port_id_, q, cbs_[q]) == 0)
        rte_free(const_cast<rte_eth_rxtx_callback*>(cbs_[q]));  // no PMD polls it any more
    }
    struct rte_eth_dev_info info = {};
    bool have_info = rte_eth_dev_info_get(port_id_, &info) == 0;
    if (int rc = rte_eth_dev_stop(port_id_); rc != 0)
      VS_LOG_WARN(kLog, "{}: rte_eth_dev_stop: {}", name(), rte_strerror(-rc));
    rte_eth_dev_close(port_id_);
    if (have_info && info.device) {
      if (int rc = rte_dev_remove(info.device); rc != 0)
        VS_LOG_WARN(kLog, "{}: rte_dev_remove: {}", name(), rte_strerror(-rc));
    }
    VS_LOG_INFO(kLog, "{}: closed (port {})", name(), port_id_);
  }
  // Why the link is down ("" if it is up).
  std::string LinkDownReason() const {
    if (!caps_.kernel_if.empty()) {
      std::string why = KernelIfDown(caps_.kernel_if, caps_.kernel_ifindex);
      if (!why.empty()) return why;
    }
    struct rte_eth_link link = {};
    if (int rc = rte_eth_link_get_nowait(port_id_, &link); rc != 0)
      return fmt::format("rte_eth_link_get_nowait: {}", rte_strerror(-rc));
    return link.link_status == RTE_ETH_LINK_UP ? "" : "the device reports link down";
  }
  bool link_up() const override { return LinkDownReason().empty(); }
  std::optional<int64_t> link_speed() const override {
    struct rte_eth_link link = {};
    if (rte_eth_link_get_nowait(port_id_, &link) != 0 || link.link_status != RTE_ETH_LINK_UP ||
        link.link_speed == RTE_ETH_SPEED_NUM_NONE || link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN)
      return std::nullopt;
    return static_cast<int64_t>(link.link_speed) * 1000000;  // Mbps -> bit/s
  }
  std::string duplex() const override {
    struct rte_eth_link link = {};
    if (rte_eth_link_get_nowait(port_id_, &link) != 0 || link.link_status != RTE_ETH_LINK_UP)
      return {};
    return link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? "full" : "half";
  }
  // net_af_packet over a kernel interface that was deleted and created again:
  // its sockets are bound to the old one, so the device is opened anew.
  bool reopen_wanted() const override {
    if (caps_.kernel_if.empty()) return false;
    unsigned now = if_nametoindex(caps_.kernel_if.c_str());
    return now != 0 && now != caps_.kernel_ifindex;
  }
  bool Reconfigure(const Config&) override { return false; }
  std::map<std::string, std::string> Status() const override {
    auto s = DpdkNetdevBase::Status();
    s["driver_name"] = driver_;
    s["port_no"] = std::to_string(port_id_);
    s["promiscuous"] = caps_.promisc;
    s["rss"] = RssText();
    s["rx_csum_offload"] = caps_.rx_offloads ? "true" : "false (not offered by the device)";
    std::string why = LinkDownReason();
    if (!why.empty()) s["link_reason"] = why;
    return s;
  }
  std::map<std::string, int64_t> Statistics() const override;
  std::string mac_in_use() const override {
    struct rte_ether_addr ea;
    if (rte_eth_macaddr_get(port_id_, &ea) != 0) return {};
    const uint8_t* b = ea.addr_bytes;
    return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4],
                       b[5]);
  }
  uint16_t n_rxq() const override { return static_cast<uint16_t>(spec_.n_rxq); }
  uint16_t n_txq() const override { return static_cast<uint16_t>(spec_.n_txq); }
  uint16_t RxBurst(uint16_t q, rte_mbuf** pkts, uint16_t n) override {
    return rte_eth_rx_burst(port_id_, q, pkts, n);
  }
  uint16_t TxBurst(uint16_t q, rte_mbuf** pkts, uint16_t n) override {
    return rte_eth_tx_burst(port_id_, q, pkts, n);
  }
  int ethdev_port() const override { return port_id_; }

 private:
  std::string RssText() const {
    if (spec_.n_rxq <= 1) return "off (1 rx queue)";
    if (!caps_.rss_hf) return "off (the device offers no IPv4/IPv6/TCP/UDP hash)";
    std::vector<std::string> f;
    if (caps_.rss_hf & RTE_ETH_RSS_IP) f.push_back("ip");
    if (caps_.rss_hf & RTE_ETH_RSS_TCP) f.push_back("tcp");
    if (caps_.rss_hf & RTE_ETH_RSS_UDP) f.push_back("udp");
    return fmt::format("{}", fmt::join(f, ","));
  }

  uint16_t port_id_;
  std::string driver_;
  Caps caps_;
  std::unique_ptr<CsumCounter[]> csum_;  // one per rx queue, when checksum offload is on
  std::vector<const rte_eth_rxtx_callback*> cbs_;
};

std::map<std::string, int64_t> EthNetdev::Statistics() const {
  std::map<std::string, int64_t> out;
  // The device's extended statistics under their DPDK names (as OVS shows them).
  int n = rte_eth_xstats_get_names(port_id_, nullptr, 0);
  if (n > 0) {
    std::vector<rte_eth_xstat_name> names(n);
    std::vector<rte_eth_xstat> vals(n);
    int got_names = rte_eth_xstats_get_names(port_id_, names.data(), n);
    int got = rte_eth_xstats_get(port_id_, vals.data(), n);
    if (got_names == n && got == n) {
      for (int i = 0; i < n; i++)
        if (vals[i].id < static_cast<uint64_t>(n))
          out[names[vals[i].id].name] = static_cast<int64_t>(vals[i].value);
    }
  }
  struct rte_eth_stats st = {};
  if (rte_eth_stats_get(port_id_, &st) == 0) {
    out["rx_packets"] = static_cast<int64_t>(st.ipackets);
    out["rx_bytes"] = static_cast<int64_t>(st.ibytes);
    out["rx_dropped"] = static_cast<int64_t>(st.imissed);
    out["rx_errors"] = static_cast<int64_t>(st.ierrors);
    out["rx_mbuf_allocation_errors"] = static_cast<int64_t>(st.rx_nombuf);
    out["tx_packets"] = static_cast<int64_t>(st.opackets);
    out["tx_bytes"] = static_cast<int64_t>(st.obytes);
    out["tx_errors"] = static_cast<int64_t>(st.oerrors);
  }
  if (csum_) {
    uint64_t bad = 0;
    for (uint32_t q = 0; q < spec_.n_rxq; q++) bad += csum_[q].bad.load(std::memory_order_relaxed);
    out["rx_csum_bad_drops"] = static_cast<int64_t>(bad);
  }
  return out;
}

// net_pcap with infinite_rx=1 copies every packet of its rx_pcap file into
// buffers of the port's pool when it starts (and crashes inside DPDK if the
// pool runs dry), so those buffers are part of the port's need. Returns the
// packet count of the file, 0 for other devices or an unreadable file (the
// probe then reports the file).
uint32_t PcapPreloadMbufs(const std::string& devargs) {
  if (devargs.rfind("net_pcap", 0) != 0 || devargs.find("infinite_rx=1") == std::string::npos)
    return 0;
  uint64_t total = 0;
  size_t pos = 0;
  while ((pos = devargs.find("rx_pcap=", pos)) != std::string::npos) {
    pos += 8;
    std::string path = devargs.substr(pos, devargs.find(',', pos) - pos);
    FILE* f = fopen(path.c_str(), "rb");
    if (!f) continue;
    unsigned char hdr[24];
    if (fread(hdr, 1, sizeof hdr, f) == sizeof hdr) {
      uint32_t magic;
      memcpy(&magic, hdr, 4);
      bool swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
      unsigned char rec[16];
      while (fread(rec, 1, sizeof rec, f) == sizeof rec) {
        uint32_t incl;
        memcpy(&incl, rec + 8, 4);
        if (swap) incl = __builtin_bswap32(incl);
        if (incl > (1u << 20) || fseek(f, incl, SEEK_CUR) != 0) break;
        total++;
      }
    }
    fclose(f);
  }
  return static_cast<uint32_t>(std::min<uint64_t>(total, 1u << 24));
}

struct Probed {
  uint16_t port = 0;
  struct rte_eth_dev_info info = {};
};

void RemoveDevice(uint16_t port) {
  struct rte_eth_dev_info info = {};
  bool have = rte_eth_dev_info_get(port, &info) == 0;
  rte_eth_dev_close(port);
  if (have && info.device) rte_dev_remove(info.device);
}

// Attaches the device named by devargs (it must not be in use already).
Result<Probed> ProbeEthdev(const Config& cfg, const std::string& devargs) {
  std::string dev_name = devargs.substr(0, devargs.find(','));
  Probed p;
  if (rte_eth_dev_get_port_by_name(dev_name.c_str(), &p.port) == 0) {
    return Status(EBUSY, fmt::format("could not open network device {}: \"{}\" is already in use "
                                     "by another interface",
                                     cfg.name, dev_name));
  }
  int rc = rte_dev_probe(devargs.c_str());
  if (rc != 0 || rte_eth_dev_get_port_by_name(dev_name.c_str(), &p.port) != 0) {
    return Status(ENODEV, fmt::format("could not open network device {}: DPDK could not attach "
                                      "\"{}\" ({}); check options:dpdk-devargs (a PCI address "
                                      "bound to a DPDK driver, or a vdev such as "
                                      "net_af_packet0,iface=veth0)",
                                      cfg.name, devargs, rc ? rte_strerror(-rc) : "no port"));
  }
  if (int r = rte_eth_dev_info_get(p.port, &p.info); r != 0) {
    RemoveDevice(p.port);
    return Status(EIO, fmt::format("could not open network device {}: rte_eth_dev_info_get failed "
                                   "({})",
                                   cfg.name, rte_strerror(-r)));
  }
  return p;
}

// The MTU range the device accepts (as rte_eth_dev_set_mtu checks it: min_mtu
// and max_mtu, and the frame must fit max_rx_pktlen).
std::pair<int, int> MtuRange(const rte_eth_dev_info& info) {
  uint32_t overhead = info.max_mtu != UINT16_MAX && info.max_rx_pktlen > info.max_mtu
                          ? info.max_rx_pktlen - info.max_mtu
                          : RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
  uint32_t by_frame = info.max_rx_pktlen > overhead ? info.max_rx_pktlen - overhead : 0;
  return {info.min_mtu, static_cast<int>(std::min<uint32_t>(info.max_mtu, by_frame))};
}

// The value of `key=` in devargs ("" when absent).
std::string DevargValue(const std::string& devargs, const std::string& key) {
  size_t pos = 0;
  while ((pos = devargs.find(',', pos)) != std::string::npos) {
    pos++;
    if (devargs.compare(pos, key.size() + 1, key + "=") == 0) {
      size_t start = pos + key.size() + 1;
      return devargs.substr(start, devargs.find(',', start) - start);
    }
  }
  return {};
}

// The smallest data room (headroom included) the driver's rx queues accept.
// net_af_packet copies whole ring frames (framesz, 2048 by default, less its
// tpacket2 header) into one buffer and refuses smaller buffers with ENOMEM,
// without setting dev_info.min_rx_bufsize.
uint32_t MinDataRoom(const rte_eth_dev_info& info, const std::string& driver,
                     const std::string& devargs) {
  uint32_t room = info.min_rx_bufsize ? info.min_rx_bufsize + RTE_PKTMBUF_HEADROOM : 0;
  if (driver == "net_af_packet") {
    std::string fs = DevargValue(devargs, "framesz");
    uint32_t frame = fs.empty() ? 2048 : static_cast<uint32_t>(strtoul(fs.c_str(), nullptr, 10));
    uint32_t hdr = TPACKET_ALIGN(sizeof(struct tpacket2_hdr));
    if (frame > hdr) room = std::max(room, frame - hdr + RTE_PKTMBUF_HEADROOM);
  }
  return room;
}

// Checks the port's settings against the device's capabilities and decides
// what to turn on (RSS, rx checksum offload). Errors name the range and the fix.
Status PlanFromCaps(const Config& cfg, const Probed& p, const std::string& devargs,
                    numa::PortSpec* spec, Caps* caps) {
  const rte_eth_dev_info& info = p.info;
  std::string driver = info.driver_name ? info.driver_name : "?";
  if (spec->n_rxq > info.max_rx_queues) {
    return Status(EINVAL, fmt::format("could not open network device {}: options:n_rxq={} but "
                                      "the device has at most {} rx queues; run: ovs-vsctl set "
                                      "Interface {} options:n_rxq={}",
                                      cfg.name, spec->n_rxq, info.max_rx_queues, cfg.name,
                                      info.max_rx_queues));
  }
  auto [min_mtu, max_mtu] = MtuRange(info);
  // net_tap as the internal port reports the 1522-byte frame of a plain
  // Ethernet port but reads whole frames of the kernel interface's MTU into
  // the port's buffers, which are sized for that MTU.
  if (caps->mtu_by_caller && driver == "net_tap") max_mtu = std::max<int>(max_mtu, info.max_mtu == UINT16_MAX ? 9710 : info.max_mtu);
  if (spec->mtu < min_mtu || spec->mtu > max_mtu) {
    return Status(EINVAL, fmt::format("could not open network device {}: MTU {} is outside what "
                                      "the device ({}) accepts: {} to {}; run: ovs-vsctl set "
                                      "Interface {} mtu_request={}",
                                      cfg.name, spec->mtu, driver, min_mtu, max_mtu, cfg.name,
                                      spec->mtu < min_mtu ? min_mtu : max_mtu));
  }
  spec->min_data_room = MinDataRoom(info, driver, devargs);
  if (spec->n_rxq > 1)
    caps->rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
  caps->rx_offloads = info.rx_offload_capa & (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM |
                                              RTE_ETH_RX_OFFLOAD_UDP_CKSUM |
                                              RTE_ETH_RX_OFFLOAD_TCP_CKSUM);
  if (driver == "net_af_packet") {
    caps->kernel_if = DevargValue(devargs, "iface");
    caps->kernel_ifindex = if_nametoindex(caps->kernel_if.c_str());
  }
  return Status::Ok();
}

struct Started {
  std::unique_ptr<CsumCounter[]> csum;
  std::vector<const rte_eth_rxtx_callback*> cbs;
};

void RemoveCallbacks(uint16_t port, Started* st) {
  for (uint16_t q = 0; q < st->cbs.size(); q++)
    if (st->cbs[q] && rte_eth_remove_rx_callback(port, q, st->cbs[q]) == 0)
      rte_free(const_cast<rte_eth_rxtx_callback*>(st->cbs[q]));
  st->cbs.clear();
}

// Configures queues on the pool, starts the port and turns promiscuous mode
// on. On failure the caller removes the device.
Result<Started> StartEthdev(const Config& cfg, uint16_t port, const numa::PortSpec& spec,
                            const numa::Assignment& a, Caps* caps) {
  auto fail = [&](const std::string& what, int rc) {
    return Status(EIO, fmt::format("could not open network device {}: {} failed ({})", cfg.name,
                                   what, rte_strerror(rc < 0 ? -rc : rc)));
  };
  struct rte_eth_conf conf = {};
  if (caps->rss_hf) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = caps->rss_hf;
  }
  conf.rxmode.offloads = caps->rx_offloads;
  if (int rc = rte_eth_dev_configure(port, spec.n_rxq, spec.n_txq, &conf); rc != 0)
    return fail("rte_eth_dev_configure", rc);
  uint16_t nb_rxd = static_cast<uint16_t>(spec.rxq_size), nb_txd = static_cast<uint16_t>(spec.txq_size);
  if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd); rc != 0)
    return fail("rte_eth_dev_adjust_nb_rx_tx_desc", rc);
  // The internal port's kernel interface gets its MTU from tap.cc: DPDK
  // refuses MTUs above the 1522-byte frame net_tap reports.
  if (!caps->mtu_by_caller)
    if (int rc = rte_eth_dev_set_mtu(port, static_cast<uint16_t>(spec.mtu)); rc != 0 && rc != -ENOTSUP)
      return fail(fmt::format("setting MTU {}", spec.mtu), rc);
  auto* mp = numa::DpdkBackend::Mempool(a.raw);
  unsigned socket = static_cast<unsigned>(a.node);
  for (uint16_t q = 0; q < spec.n_rxq; q++)
    if (int rc = rte_eth_rx_queue_setup(port, q, nb_rxd, socket, nullptr, mp); rc != 0)
      return fail(fmt::format("rx queue {} setup (buffers of {} bytes data room)", q,
                              rte_pktmbuf_data_room_size(mp)),
                  rc);
  for (uint16_t q = 0; q < spec.n_txq; q++)
    if (int rc = rte_eth_tx_queue_setup(port, q, nb_txd, socket, nullptr); rc != 0)
      return fail(fmt::format("tx queue {} setup", q), rc);
  if (int rc = rte_eth_dev_start(port); rc != 0) return fail("rte_eth_dev_start", rc);
  // A switch port must receive frames for every MAC.
  int rc = rte_eth_promiscuous_enable(port);
  if (rc == -ENOTSUP) {
    caps->promisc = "not supported by the driver";
  } else if (rc != 0 || rte_eth_promiscuous_get(port) != 1) {
    rte_eth_dev_stop(port);
    return fail("enabling promiscuous mode (without it the port drops frames for other MACs)",
                rc ? rc : EIO);
  } else {
    caps->promisc = "true";
  }
  Started st;
  if (caps->rx_offloads) {
    st.csum = std::make_unique<CsumCounter[]>(spec.n_rxq);
    for (uint16_t q = 0; q < spec.n_rxq; q++) {
      const rte_eth_rxtx_callback* cb = rte_eth_add_rx_callback(port, q, DropBadChecksums, &st.csum[q]);
      if (!cb) {
        int err = rte_errno;
        RemoveCallbacks(port, &st);
        rte_eth_dev_stop(port);
        return fail("adding the rx checksum counter", err);
      }
      st.cbs.push_back(cb);
    }
  }
  return st;
}

}  // namespace

Result<std::unique_ptr<Netdev>> OpenDpdk(Context& ctx, const Config& cfg) {
  return OpenEthdev(ctx, cfg, "dpdk");
}

Result<std::unique_ptr<Netdev>> OpenEthdev(Context& ctx, const Config& cfg, std::string type) {
  numa::PoolRegistry* registry = ctx.registry();
  if (!registry) return ctx.NotReadyError(cfg.name);
  auto dv = cfg.options.find("dpdk-devargs");
  if (dv == cfg.options.end() || dv->second.empty()) {
    return Status(EINVAL, fmt::format("could not open network device {}: options:dpdk-devargs is "
                                      "required; run: ovs-vsctl set Interface {} "
                                      "options:dpdk-devargs=<PCI address or vdev>",
                                      cfg.name, cfg.name));
  }
  const std::string& devargs = dv->second;
  auto loc = numa::ResolveDeviceNode(*ctx.topology(), devargs, -1);
  if (!loc.ok()) {
    return Status(loc.status().code(),
                  fmt::format("could not open network device {}: {}", cfg.name, loc.status().message()));
  }
  numa::PortSpec spec;
  spec.name = cfg.name;
  spec.node = loc->node;
  spec.mtu = cfg.mtu_request ? static_cast<int>(*cfg.mtu_request) : 1500;
  auto rxq = UintOption(cfg, "n_rxq", 1, 1024);
  if (!rxq.ok()) return rxq.status();
  auto rxd = UintOption(cfg, "n_rxq_desc", kDefaultDesc, 4096);
  if (!rxd.ok()) return rxd.status();
  auto txd = UintOption(cfg, "n_txq_desc", kDefaultDesc, 4096);
  if (!txd.ok()) return txd.status();
  for (auto [key, v] : {std::pair<const char*, uint32_t>{"n_rxq_desc", *rxd}, {"n_txq_desc", *txd}}) {
    if ((v & (v - 1)) == 0) continue;
    uint32_t lower = 1;
    while (lower * 2 < v) lower *= 2;
    return Status(EINVAL, fmt::format("{}: options:{}=\"{}\" is invalid: descriptor ring sizes are "
                                      "powers of two, as in OVS; run: ovs-vsctl set Interface {} "
                                      "options:{}={}",
                                      cfg.name, key, v, cfg.name, key, lower));
  }
  spec.n_rxq = *rxq;
  spec.n_txq = 1;
  spec.rxq_size = *rxd;
  spec.txq_size = *txd;
  spec.n_pmds = 1;
  spec.driver_mbufs = PcapPreloadMbufs(devargs);
  if (Status v = numa::ValidatePort(spec); !v.ok())
    return Status(v.code(), fmt::format("could not open network device {}: {}", cfg.name, v.message()));
  std::optional<Probed> probed;
  Caps caps;
  caps.mtu_by_caller = type == "internal";
  if (!ctx.simulated()) {
    auto p = ProbeEthdev(cfg, devargs);
    if (!p.ok()) return p.status();
    probed = *p;
    if (Status c = PlanFromCaps(cfg, *probed, devargs, &spec, &caps); !c.ok()) {
      RemoveDevice(probed->port);
      return c;
    }
    // One tx queue per CPU where the device allows (PMD threads share the
    // rest under a lock per burst).
    spec.n_txq = std::max<uint32_t>(1, std::min<uint32_t>(probed->info.max_tx_queues,
                                                          std::thread::hardware_concurrency()));
    // net_tap pairs its queues: as many tx as rx queues.
    if (probed->info.driver_name && std::string(probed->info.driver_name) == "net_tap")
      spec.n_txq = spec.n_rxq;
  }
  numa::AttachResult ar = registry->Attach(spec);
  if (!ar.ok()) {
    if (probed) RemoveDevice(probed->port);
    std::string msg = ar.error().message;
    if (!ctx.restart_note().empty() && ar.error().restart_needed && msg.find("restart") == std::string::npos)
      msg += " (then restart numavs-switchd)";
    return Status(ar.error().code, msg);
  }
  std::string how = loc->how + (loc->guessed ? " (guessed)" : "");
  if (ctx.simulated()) {
    VS_LOG_INFO(kLog, "{}: simulated device \"{}\" on NUMA node {}, pool {} on node {}", cfg.name,
                devargs, loc->node, ar.value().pool, ar.value().node);
    return std::unique_ptr<Netdev>(new SimDpdkNetdev(cfg, std::move(type), *registry, ar.value(), spec, how));
  }
  auto started = StartEthdev(cfg, probed->port, spec, ar.value(), &caps);
  if (!started.ok()) {
    RemoveDevice(probed->port);
    registry->Detach(cfg.name);
    return started.status();
  }
  std::string driver = probed->info.driver_name ? probed->info.driver_name : "?";
  VS_LOG_INFO(kLog, "{}: port {} ({}) on NUMA node {}, {} rx / {} tx queue(s), pool {}", cfg.name,
              probed->port, driver, loc->node, spec.n_rxq, spec.n_txq, ar.value().pool);
  return std::unique_ptr<Netdev>(new EthNetdev(cfg, std::move(type), *registry, ar.value(), spec,
                                               how, probed->port, driver, std::move(caps),
                                               std::move(started->csum), std::move(started->cbs)));
}
}  // namespace vs::netdev
