#include "netdev/tap.h"

#include <fcntl.h>
#include <net/if.h>  // before linux/if.h, whose libc-compat part then steps aside
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

#include "netdev/dpdk.h"

namespace vs::netdev {
namespace {

// The flags DPDK's net_tap attaches with (it reads and writes packet
// information headers, so no IFF_NO_PI): the interface keeps the flags of
// whoever created it, and net_tap's frames would be dropped with others.
constexpr short kTapFlags = IFF_TAP | IFF_MULTI_QUEUE;

Status CheckName(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return Status(EINVAL, fmt::format("could not open network device {}: an internal interface "
                                      "name must have 1 to {} characters",
                                      name, IFNAMSIZ - 1));
  }
  return Status::Ok();
}

// Opens a queue of the multi-queue TAP `name` (created if absent).
Result<int> OpenTapQueue(const std::string& name) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return Status(errno, fmt::format("could not open network device {}: /dev/net/tun: {}", name,
                                     strerror(errno)));
  }
  struct ifreq ifr = {};
  ifr.ifr_flags = kTapFlags;
  std::memcpy(ifr.ifr_name, name.c_str(), name.size());
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    return Status(err, fmt::format("could not open network device {} (TUNSETIFF: {}){}", name,
                                   strerror(err),
                                   err == EBUSY || err == EINVAL
                                       ? "; a kernel interface of that name exists that is not a "
                                         "multi-queue TAP: delete it (ip link del " + name + ")"
                                       : ""));
  }
  return fd;
}

// One ioctl on an AF_INET socket for the interface `name`.
Status IfIoctl(const std::string& name, unsigned long req, struct ifreq* r, const char* what) {
  std::memcpy(r->ifr_name, name.c_str(), name.size());
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return Status(errno, fmt::format("{}: socket: {}", name, strerror(errno)));
  int rc = ioctl(sock, req, r);
  int err = errno;
  close(sock);
  if (rc < 0) return Status(err, fmt::format("{}: {}: {}", name, what, strerror(err)));
  return Status::Ok();
}

Status SetKernelMtu(const std::string& name, int mtu) {
  struct ifreq r = {};
  r.ifr_mtu = mtu;
  return IfIoctl(name, SIOCSIFMTU, &r, fmt::format("setting MTU {}", mtu).c_str());
}

int KernelMtu(const std::string& name) {
  struct ifreq r = {};
  if (!IfIoctl(name, SIOCGIFMTU, &r, "reading the MTU").ok()) return -1;
  return r.ifr_mtu;
}

bool ParseMacBytes(const std::string& s, unsigned char out[6]) {
  unsigned b[6];
  char tail;
  if (s.size() != 17 || sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
                               &b[4], &b[5], &tail) != 6)
    return false;
  for (int i = 0; i < 6; i++) out[i] = static_cast<unsigned char>(b[i]);
  return true;
}

Status SetKernelMac(const std::string& name, const std::string& mac) {
  struct ifreq r = {};
  unsigned char b[6];
  if (!ParseMacBytes(mac, b)) return Status(EINVAL, fmt::format("{}: bad MAC \"{}\"", name, mac));
  r.ifr_hwaddr.sa_family = ARPHRD_ETHER;
  std::memcpy(r.ifr_hwaddr.sa_data, b, 6);
  return IfIoctl(name, SIOCSIFHWADDR, &r, fmt::format("setting MAC {}", mac).c_str());
}

std::string KernelMac(const std::string& name) {
  struct ifreq r = {};
  if (!IfIoctl(name, SIOCGIFHWADDR, &r, "reading the MAC").ok()) return {};
  const auto* b = reinterpret_cast<const unsigned char*>(r.ifr_hwaddr.sa_data);
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4],
                     b[5]);
}

// A TAP queue: the bridge's kernel-visible interface before DPDK runs.
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
  std::string mac_in_use() const override { return KernelMac(name()); }
  // MTU and MAC change in place; anything else reopens.
  bool Reconfigure(const Config& cfg) override {
    int want = RequestedMtu(cfg);
    if (want != mtu_) {
      if (!SetKernelMtu(name(), want).ok()) return false;
      mtu_ = want;
    }
    if (!cfg.mac.empty() && cfg.mac != KernelMac(name()) && !SetKernelMac(name(), cfg.mac).ok())
      return false;
    return true;
  }
  bool reopen_wanted() const override { return ctx_.dpdk_ready() && !ctx_.simulated(); }

 private:
  const Context& ctx_;
  int fd_;
  int mtu_;
};

Result<std::unique_ptr<Netdev>> OpenTap(const Context& ctx, const Config& cfg) {
  VS_RETURN_IF_ERROR(CheckName(cfg.name));
  auto fd = OpenTapQueue(cfg.name);
  if (!fd.ok()) return fd.status();
  auto fail = [&](vs::Status s) {
    close(*fd);
    return Status(s.code(), fmt::format("could not open network device {}: {}", cfg.name,
                                        s.message()));
  };
  int mtu = RequestedMtu(cfg);
  if (Status s = SetKernelMtu(cfg.name, mtu); !s.ok()) return fail(s);
  if (!cfg.mac.empty() && cfg.mac != KernelMac(cfg.name))
    if (Status s = SetKernelMac(cfg.name, cfg.mac); !s.ok()) return fail(s);
  return std::unique_ptr<Netdev>(new TapNetdev(ctx, cfg.name, *fd, mtu));
}

}  // namespace

KernelInterfaceHold::~KernelInterfaceHold() { close(fd_); }

Result<std::unique_ptr<KernelInterfaceHold>> HoldKernelInterface(const std::string& name) {
  VS_RETURN_IF_ERROR(CheckName(name));
  auto fd = OpenTapQueue(name);
  if (!fd.ok()) return fd.status();
  // A detached queue keeps the interface registered but is given no packets.
  struct ifreq ifr = {};
  ifr.ifr_flags = IFF_DETACH_QUEUE;
  if (ioctl(*fd, TUNSETQUEUE, &ifr) < 0) {
    int err = errno;
    close(*fd);
    return Status(err, fmt::format("could not open network device {}: detaching its keep-alive "
                                   "queue (TUNSETQUEUE): {}",
                                   name, strerror(err)));
  }
  return std::make_unique<KernelInterfaceHold>(name, *fd);
}

std::string StableMac(const std::string& name) {
  // FNV-1a of the name, kept to 48 bits, unicast and locally administered.
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ull;
  uint64_t mac = ((h & 0xffffffffffffull) & ~(1ull << 40)) | (1ull << 41);
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", (mac >> 40) & 0xff,
                     (mac >> 32) & 0xff, (mac >> 24) & 0xff, (mac >> 16) & 0xff, (mac >> 8) & 0xff,
                     mac & 0xff);
}

Result<std::unique_ptr<Netdev>> OpenInternal(Context& ctx, const Config& cfg) {
  if (!ctx.dpdk_ready() || ctx.simulated()) return OpenTap(ctx, cfg);
  VS_RETURN_IF_ERROR(CheckName(cfg.name));
  Config tap = cfg;
  // net_tap attaches to the interface the daemon holds; mac= gives it and
  // the ethdev our address (else net_tap picks a random one on every open).
  tap.options["dpdk-devargs"] = fmt::format("net_tap_{},iface={}{}", cfg.name, cfg.name,
                                            cfg.mac.empty() ? "" : ",mac=" + cfg.mac);
  auto dev = OpenEthdev(ctx, tap, "internal");
  // net_tap refuses MTUs above its reported frame size; the kernel interface
  // takes them (its frames fit the port's buffers, sized for the MTU).
  if (!dev.ok()) return dev;
  Status s = (*dev)->mtu() != KernelMtu(cfg.name) ? SetKernelMtu(cfg.name, (*dev)->mtu())
                                                  : Status::Ok();
  // The kernel interface's MAC, should net_tap not have set it (mac= devarg).
  if (s.ok() && !cfg.mac.empty() && cfg.mac != KernelMac(cfg.name)) s = SetKernelMac(cfg.name, cfg.mac);
  if (!s.ok())
    return Status(s.code(), fmt::format("could not open network device {}: {}", cfg.name,
                                        s.message()));
  return dev;
}

}  // namespace vs::netdev
