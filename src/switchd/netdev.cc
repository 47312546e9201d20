#include "switchd/netdev.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

namespace vs::switchd {
namespace {

constexpr int kDefaultMtu = 1500;

int RequestedMtu(const InterfaceConfig& cfg) {
  return cfg.mtu_request ? static_cast<int>(*cfg.mtu_request) : kDefaultMtu;
}

class DummyNetdev : public Netdev {
 public:
  explicit DummyNetdev(const InterfaceConfig& cfg) : name_(cfg.name), mtu_(RequestedMtu(cfg)) {}
  const std::string& name() const override { return name_; }
  std::string type() const override { return "dummy"; }
  std::map<std::string, std::string> Status() const override { return {{"driver_name", "dummy"}}; }
  bool link_up() const override { return true; }
  int mtu() const override { return mtu_; }
  bool Reconfigure(const InterfaceConfig& cfg) override {
    mtu_ = RequestedMtu(cfg);
    return true;
  }

 private:
  std::string name_;
  int mtu_;
};

// A TAP device: the bridge's kernel-visible interface. Closing the fd
// removes the (non-persistent) device.
class TapNetdev : public Netdev {
 public:
  TapNetdev(std::string name, int fd, int mtu) : name_(std::move(name)), fd_(fd), mtu_(mtu) {}
  ~TapNetdev() override { close(fd_); }
  const std::string& name() const override { return name_; }
  std::string type() const override { return "internal"; }
  std::map<std::string, std::string> Status() const override {
    return {{"driver_name", "tun"}, {"tap_fd", std::to_string(fd_)}};
  }
  bool link_up() const override { return true; }
  int mtu() const override { return mtu_; }
  bool Reconfigure(const InterfaceConfig& cfg) override { return RequestedMtu(cfg) == mtu_; }

 private:
  std::string name_;
  int fd_;
  int mtu_;
};

Result<std::unique_ptr<Netdev>> OpenTap(const InterfaceConfig& cfg) {
  if (cfg.name.empty() || cfg.name.size() >= IFNAMSIZ) {
    return Status(EINVAL, fmt::format("could not open network device {}: an internal interface "
                                      "name must have 1 to {} characters",
                                      cfg.name, IFNAMSIZ - 1));
  }
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return Status(errno, fmt::format("could not open network device {}: /dev/net/tun: {}",
                                     cfg.name, strerror(errno)));
  }
  struct ifreq ifr = {};
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  std::memcpy(ifr.ifr_name, cfg.name.c_str(), cfg.name.size());
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    return Status(err, fmt::format("could not open network device {} (TUNSETIFF: {}){}", cfg.name,
                                   strerror(err),
                                   err == EBUSY ? "; a kernel interface of that name exists" : ""));
  }
  int mtu = RequestedMtu(cfg);
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock >= 0) {
    struct ifreq r = {};
    std::memcpy(r.ifr_name, cfg.name.c_str(), cfg.name.size());
    r.ifr_mtu = mtu;
    (void)ioctl(sock, SIOCSIFMTU, &r);
    close(sock);
  }
  return std::unique_ptr<Netdev>(new TapNetdev(cfg.name, fd, mtu));
}

}  // namespace

std::vector<std::string> SupportedTypes() { return {"dpdk", "dummy", "internal"}; }

Status CheckCommonOptions(const InterfaceConfig& cfg) {
  if (cfg.mtu_request && (*cfg.mtu_request < 68 || *cfg.mtu_request > 9710)) {
    return Status(EINVAL, fmt::format("{}: mtu_request={} is out of range (68 to 9710); run: "
                                      "ovs-vsctl set Interface {} mtu_request=1500",
                                      cfg.name, *cfg.mtu_request, cfg.name));
  }
  return Status::Ok();
}

Result<std::unique_ptr<Netdev>> OpenNetdev(const InterfaceConfig& cfg) {
  if (Status s = CheckCommonOptions(cfg); !s.ok()) return s;
  if (cfg.type == "dummy") return std::unique_ptr<Netdev>(new DummyNetdev(cfg));
  if (cfg.type == "internal") return OpenTap(cfg);
  if (cfg.type.empty() || cfg.type == "system") {
    return Status(EAFNOSUPPORT,
                  fmt::format("could not open network device {}: numavs has only the userspace "
                              "datapath, so kernel (\"system\") interfaces are attached as DPDK "
                              "ports; run: ovs-vsctl set Interface {} type=dpdk "
                              "options:dpdk-devargs=net_af_packet_{},iface={}",
                              cfg.name, cfg.name, cfg.name, cfg.name));
  }
  return Status(EAFNOSUPPORT,
                fmt::format("could not open network device {}: unsupported interface type \"{}\" "
                            "(numavs supports: dpdk, internal, dummy)",
                            cfg.name, cfg.type));
}

}  // namespace vs::switchd
