#include "netdev/dpdk.h"

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_version.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <thread>

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

// A real DPDK ethdev.
class EthNetdev : public DpdkNetdevBase {
 public:
  EthNetdev(const Config& cfg, std::string type, numa::PoolRegistry& reg, numa::Assignment a,
            numa::PortSpec spec, std::string how, uint16_t port_id, std::string driver)
      : DpdkNetdevBase(cfg, std::move(type), reg, std::move(a), spec, std::move(how)),
        port_id_(port_id),
        driver_(std::move(driver)) {}
  ~EthNetdev() override {
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
  bool link_up() const override {
    struct rte_eth_link link = {};
    return rte_eth_link_get_nowait(port_id_, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
  }
  bool Reconfigure(const Config&) override { return false; }
  std::map<std::string, std::string> Status() const override {
    auto s = DpdkNetdevBase::Status();
    s["driver_name"] = driver_;
    s["port_no"] = std::to_string(port_id_);
    return s;
  }
  std::map<std::string, int64_t> Statistics() const override {
    struct rte_eth_stats st = {};
    if (rte_eth_stats_get(port_id_, &st) != 0) return {};
    return {{"rx_packets", static_cast<int64_t>(st.ipackets)},
            {"rx_bytes", static_cast<int64_t>(st.ibytes)},
            {"rx_dropped", static_cast<int64_t>(st.imissed)},
            {"rx_errors", static_cast<int64_t>(st.ierrors)},
            {"rx_mbuf_allocation_errors", static_cast<int64_t>(st.rx_nombuf)},
            {"tx_packets", static_cast<int64_t>(st.opackets)},
            {"tx_bytes", static_cast<int64_t>(st.obytes)},
            {"tx_errors", static_cast<int64_t>(st.oerrors)}};
  }
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
  uint16_t port_id_;
  std::string driver_;
};

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

// Configures queues on the pool and starts the port. On failure the caller
// removes the device.
Status StartEthdev(const Config& cfg, uint16_t port, const numa::PortSpec& spec,
                   const numa::Assignment& a) {
  auto fail = [&](const std::string& what, int rc) {
    return Status(EIO, fmt::format("could not open network device {}: {} failed ({})", cfg.name,
                                   what, rte_strerror(rc < 0 ? -rc : rc)));
  };
  struct rte_eth_conf conf = {};
  if (int rc = rte_eth_dev_configure(port, spec.n_rxq, spec.n_txq, &conf); rc != 0)
    return fail("rte_eth_dev_configure", rc);
  uint16_t nb_rxd = static_cast<uint16_t>(spec.rxq_size), nb_txd = static_cast<uint16_t>(spec.txq_size);
  if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd); rc != 0)
    return fail("rte_eth_dev_adjust_nb_rx_tx_desc", rc);
  if (int rc = rte_eth_dev_set_mtu(port, static_cast<uint16_t>(spec.mtu)); rc != 0 && rc != -ENOTSUP)
    return fail(fmt::format("setting MTU {}", spec.mtu), rc);
  auto* mp = numa::DpdkBackend::Mempool(a.raw);
  unsigned socket = static_cast<unsigned>(a.node);
  for (uint16_t q = 0; q < spec.n_rxq; q++)
    if (int rc = rte_eth_rx_queue_setup(port, q, nb_rxd, socket, nullptr, mp); rc != 0)
      return fail(fmt::format("rx queue {} setup", q), rc);
  for (uint16_t q = 0; q < spec.n_txq; q++)
    if (int rc = rte_eth_tx_queue_setup(port, q, nb_txd, socket, nullptr); rc != 0)
      return fail(fmt::format("tx queue {} setup", q), rc);
  if (int rc = rte_eth_dev_start(port); rc != 0) return fail("rte_eth_dev_start", rc);
  return Status::Ok();
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
  if (!ctx.simulated()) {
    auto p = ProbeEthdev(cfg, devargs);
    if (!p.ok()) return p.status();
    probed = *p;
    if (spec.n_rxq > probed->info.max_rx_queues) {
      RemoveDevice(probed->port);
      return Status(EINVAL, fmt::format("could not open network device {}: options:n_rxq={} but "
                                        "the device has at most {} rx queues; run: ovs-vsctl set "
                                        "Interface {} options:n_rxq={}",
                                        cfg.name, spec.n_rxq, probed->info.max_rx_queues, cfg.name,
                                        probed->info.max_rx_queues));
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
  if (Status st = StartEthdev(cfg, probed->port, spec, ar.value()); !st.ok()) {
    RemoveDevice(probed->port);
    registry->Detach(cfg.name);
    return st;
  }
  std::string driver = probed->info.driver_name ? probed->info.driver_name : "?";
  VS_LOG_INFO(kLog, "{}: port {} ({}) on NUMA node {}, {} rx / {} tx queue(s), pool {}", cfg.name,
              probed->port, driver, loc->node, spec.n_rxq, spec.n_txq, ar.value().pool);
  return std::unique_ptr<Netdev>(
      new EthNetdev(cfg, std::move(type), *registry, ar.value(), spec, how, probed->port, driver));
}
}  // namespace vs::netdev
