// The netdev layer without an EAL: the type registry, dummy ports, the dpdk
// type over the simulated two-node machine (--sysfs-root), and reconfigure
// requests.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "netdev/context.h"
#include "netdev/registry.h"

namespace vs::netdev {
namespace {

Config Cfg(std::string name, std::string type, std::map<std::string, std::string> options = {}) {
  Config c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.options = std::move(options);
  return c;
}

TEST(Registry, ListsEveryTypeOnce) {
  EXPECT_EQ(SupportedTypes(), (std::vector<std::string>{"dpdk", "dpdkvhostuser", "dpdkvhostuserclient", "dummy", "internal"}));
}

TEST(Registry, UnknownAndSystemTypesNameTheFix) {
  Context ctx("");
  auto bad = Open(ctx, Cfg("p0", "geneve"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), EAFNOSUPPORT);
  EXPECT_NE(bad.status().message().find("unsupported interface type \"geneve\" (numavs supports: "
                                        "dpdk, dpdkvhostuser, dpdkvhostuserclient, dummy, internal)"),
            std::string::npos)
      << bad.status().message();
  auto sys = Open(ctx, Cfg("eth9", ""));
  ASSERT_FALSE(sys.ok());
  EXPECT_NE(sys.status().message().find("type=dpdk options:dpdk-devargs=net_af_packet_eth9"),
            std::string::npos)
      << sys.status().message();
}

TEST(Registry, CommonOptionsAreCheckedForEveryType) {
  Context ctx("");
  Config c = Cfg("d0", "dummy");
  c.mtu_request = 20;
  auto r = Open(ctx, c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("mtu_request=20 is out of range"), std::string::npos);
}

// The options of a vhost-user client port are checked before DPDK is needed.
TEST(VhostUserClient, BadOptionsNameTheFix) {
  Context ctx("");
  auto msg = [&](std::map<std::string, std::string> opts) {
    auto r = Open(ctx, Cfg("vhu0", "dpdkvhostuserclient", std::move(opts)));
    return r.ok() ? std::string("opened") : r.status().message();
  };
  EXPECT_NE(msg({}).find("options:vhost-server-path is required for type dpdkvhostuserclient; "
                         "run: ovs-vsctl set Interface vhu0 options:vhost-server-path="),
            std::string::npos);
  EXPECT_NE(msg({{"vhost-server-path", "/nonexistent-numavs-dir/s"}}).find("does not exist"),
            std::string::npos);
  EXPECT_NE(msg({{"vhost-server-path", "/etc/hostname"}}).find("exists and is not a socket"),
            std::string::npos);
  EXPECT_NE(msg({{"vhost-server-path", "/tmp/" + std::string(120, 'x')}}).find("longer than"),
            std::string::npos);
  for (const char* bad : {"33", "-1", "x", ""}) {
    EXPECT_NE(msg({{"vhost-server-path", "/tmp/vhu0.sock"}, {"tx-retries-max", bad}})
                  .find("is invalid (0 to 32); run: ovs-vsctl set Interface vhu0 "
                        "options:tx-retries-max=8"),
              std::string::npos)
        << bad;
  }
  // Good options without DPDK: the not-ready error, not an option error.
  EXPECT_EQ(msg({{"vhost-server-path", "/tmp/vhu0.sock"}, {"tx-retries-max", "0"}}).find("option"),
            std::string::npos);
}

// Server mode: the socket directory, a stale socket, a socket another process listens on.
TEST(VhostUserServer, SocketPathChecks) {
  char tmpl[] = "/tmp/netdev-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  setenv("OVS_RUNDIR", dir.c_str(), 1);
  Context ctx("");
  auto msg = [&](const std::string& name) {
    auto r = Open(ctx, Cfg(name, "dpdkvhostuser"));
    return r.ok() ? std::string("opened") : r.status().message();
  };
  ASSERT_TRUE(ctx.Configure({{"vhost-sock-dir", "../etc"}}).ok());
  EXPECT_NE(msg("vhs0").find("other_config:vhost-sock-dir=\"../etc\" must be a directory below "
                             "the run directory"),
            std::string::npos);
  ASSERT_TRUE(ctx.Configure({{"vhost-sock-dir", "nosuchdir"}}).ok());
  EXPECT_NE(msg("vhs0").find("socket directory " + dir + "/nosuchdir does not exist"),
            std::string::npos);
  ASSERT_TRUE(ctx.Configure({}).ok());
  // A socket nobody listens on (its process died) is removed; then DPDK is missing.
  auto make_socket = [&](const std::string& path, bool listening) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a = {};
    a.sun_family = AF_UNIX;
    strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    if (listening) EXPECT_EQ(listen(fd, 1), 0);
    else close(fd);
    return fd;
  };
  make_socket(dir + "/stale", false);
  EXPECT_NE(msg("stale").find("DPDK is not initialised"), std::string::npos) << msg("stale");
  EXPECT_NE(access((dir + "/stale").c_str(), F_OK), 0);
  int fd = make_socket(dir + "/live", true);
  EXPECT_NE(msg("live").find("another process listens on " + dir + "/live"), std::string::npos);
  close(fd);
  unlink((dir + "/live").c_str());
  EXPECT_EQ(rmdir(dir.c_str()), 0);
  unsetenv("OVS_RUNDIR");
}

TEST(Dummy, OpensWithoutQueuesAndReconfiguresItsMtu) {
  Context ctx("");
  Config c = Cfg("d0", "dummy");
  auto d = Open(ctx, c);
  ASSERT_TRUE(d.ok()) << d.status().message();
  Netdev& dev = **d;
  EXPECT_EQ(dev.name(), "d0");
  EXPECT_EQ(dev.type(), "dummy");
  EXPECT_EQ(dev.mtu(), 1500);
  EXPECT_EQ(dev.n_rxq(), 0);
  EXPECT_EQ(dev.n_txq(), 0);
  EXPECT_EQ(dev.ethdev_port(), -1);
  c.mtu_request = 9000;
  EXPECT_TRUE(dev.Reconfigure(c));
  EXPECT_EQ(dev.mtu(), 9000);
}

TEST(Dpdk, NeedsDpdkFirst) {
  Context ctx("");
  auto r = Open(ctx, Cfg("dpdk0", "dpdk", {{"dpdk-devargs", "net_null0"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("other_config:dpdk-init=true"), std::string::npos);
}

TEST(Dpdk, SimulatedPortTakesAPoolOnItsDevicesNode) {
  Context ctx(std::string(NUMAVS_FIXTURES) + "/two-node");
  ASSERT_TRUE(ctx.Configure({{"dpdk-init", "true"}, {"dpdk-socket-mem", "1024,1024"}}).ok());
  ASSERT_TRUE(ctx.dpdk_ready());
  auto bad = Open(ctx, Cfg("dpdk0", "dpdk", {{"dpdk-devargs", "0000:81:00.1"}, {"n_rxq", "x"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("options:n_rxq=\"x\" is invalid"), std::string::npos);
  auto d = Open(ctx, Cfg("dpdk0", "dpdk", {{"dpdk-devargs", "0000:81:00.1"}}));
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ((*d)->numa_node(), 1);
  auto st = (*d)->Status();
  EXPECT_EQ(st["driver_name"], "simulated");
  EXPECT_EQ(st["mempool_numa_id"], "1");
  EXPECT_EQ((*d)->n_rxq(), 0);  // simulated devices carry no packets
  EXPECT_EQ(ctx.registry()->pool_count(), 1u);
  d->reset();
  EXPECT_EQ(ctx.registry()->pool_count(), 0u);  // the pool share goes with the port
}

// A device that learns its node late, as a vhost-user port does when the guest connects.
class LateNode : public Netdev {
 public:
  LateNode(std::function<void()> notify) : Netdev("vhost0", std::move(notify)) {}
  std::string type() const override { return "test"; }
  std::map<std::string, std::string> Status() const override { return {}; }
  bool link_up() const override { return true; }
  int mtu() const override { return 1500; }
  bool Reconfigure(const Config&) override { return false; }
  int numa_node() const override { return node_; }
  void GuestConnected(int node) {
    learned_ = node;
    RequestReconfigure();
  }

 private:
  vs::Status DoApplyRequest() override {
    if (learned_ > 7) return vs::Status(ENOMEM, "no memory on node " + std::to_string(learned_));
    node_ = learned_;
    return vs::Status::Ok();
  }
  std::atomic<int> learned_{0};
  int node_ = 0;
};

TEST(ReconfigureRequest, NotifiesFromAnyThreadAndAppliesOnTheControlThread) {
  Context ctx("");
  std::atomic<int> woken{0};
  ctx.set_notifier([&] { woken++; });
  LateNode dev(ctx.notifier());
  EXPECT_FALSE(dev.reconfigure_requested());
  std::thread guest([&] { dev.GuestConnected(1); });
  guest.join();
  EXPECT_EQ(woken.load(), 1);
  EXPECT_TRUE(dev.reconfigure_requested());
  EXPECT_EQ(dev.numa_node(), 0);  // nothing moves before the daemon applies it
  EXPECT_TRUE(dev.ApplyRequest().ok());
  EXPECT_FALSE(dev.reconfigure_requested());
  EXPECT_EQ(dev.numa_node(), 1);
  dev.GuestConnected(9);
  vs::Status s = dev.ApplyRequest();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "no memory on node 9");
  EXPECT_FALSE(dev.reconfigure_requested());
  EXPECT_EQ(dev.numa_node(), 1);
}

}  // namespace
}  // namespace vs::netdev
