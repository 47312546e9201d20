#include "netdev/tap.h"

#include <fcntl.h>
#include <net/if.h>  // before linux/if.h, whose libc-compat part then steps aside
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

#include "netdev/dpdk.h"

namespace vs::netdev {
namespace {

// A TAP device: the bridge's kernel-visible interface. Closing the fd
// removes the (non-persistent) device.
class TapNetdev : public Netdev {
 public:
  TapNetdev(const Context& ctx, std::string name, int fd, int mtu)
      : Netdev(std::move(name)), ctx_(ctx), fd_(fd), mtu_(mtu) {}
  ~TapNetdev() override { close(fd_); }
  std::string type() const override { return "internal"; }
  std::map<std::string, std::string> Status() const override {
    return {{"driver_name", "tun"}, {"tap_fd", std::to_string(fd_)}};
  }
  bool link_up() const override { return true; }
  int mtu() const override { return mtu_; }
  bool Reconfigure(const Config& cfg) override { return RequestedMtu(cfg) == mtu_; }
  bool reopen_wanted() const override { return ctx_.dpdk_ready() && !ctx_.simulated(); }

 private:
  const Context& ctx_;
  int fd_;
  int mtu_;
};

Result<std::unique_ptr<Netdev>> OpenTap(const Context& ctx, const Config& cfg) {
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
  return std::unique_ptr<Netdev>(new TapNetdev(ctx, cfg.name, fd, mtu));
}

}  // namespace

Result<std::unique_ptr<Netdev>> OpenInternal(Context& ctx, const Config& cfg) {
  if (!ctx.dpdk_ready() || ctx.simulated()) return OpenTap(ctx, cfg);
  if (cfg.name.empty() || cfg.name.size() >= IFNAMSIZ) {
    return Status(EINVAL, fmt::format("could not open network device {}: an internal interface "
                                      "name must have 1 to {} characters",
                                      cfg.name, IFNAMSIZ - 1));
  }
  Config tap = cfg;
  tap.options["dpdk-devargs"] = fmt::format("net_tap_{},iface={}", cfg.name, cfg.name);
  return OpenEthdev(ctx, tap, "internal");
}

}  // namespace vs::netdev
