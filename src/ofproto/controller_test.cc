// Controllers of an Ofproto (controller.h): the backoff, an active unix: target that a
// test "controller" accepts, drops and accepts again, a passive punix: target, fail
// mode (the NORMAL flow, fail-open) and the status a Controller row shows.
#include "ofproto/controller.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "ofproto/ofproto.h"
#include "openflow/messages.h"

namespace vs::ofproto {
namespace {
namespace of = vs::openflow;
using asio::local::stream_protocol;

TEST(BackoffTest, DoublesUpToMaxAndResetsAfterALongConnection) {
  Backoff b(8000);
  EXPECT_EQ(b.Next(-1), 1000);
  EXPECT_EQ(b.Next(-1), 2000);
  EXPECT_EQ(b.Next(-1), 4000);
  EXPECT_EQ(b.Next(-1), 8000);
  EXPECT_EQ(b.Next(-1), 8000);
  EXPECT_EQ(b.Next(100), 8000);    // a short connection does not reset it
  EXPECT_EQ(b.Next(9000), 1000);   // one that lasted longer than the backoff does
  Backoff small(10);               // below the minimum: 1 s
  EXPECT_EQ(small.Next(-1), 1000);
  EXPECT_EQ(small.Next(-1), 1000);
}

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fmt::format("/tmp/ofproto-ctl-test-{}", getpid());
    auto d = dp::Datapath::Create();
    ASSERT_TRUE(d.ok());
    dp_ = std::move(*d);
    ASSERT_TRUE(dp_->AddBridge("br0").ok());
    auto p = Ofproto::Create(io_, "br0", base_ + ".mgmt", dp_.get(),
                             [] { return std::vector<PortState>{}; });
    ASSERT_TRUE(p.ok()) << p.status().message();
    of_ = std::move(*p);
    of_->set_on_change([this] { changes_++; });
  }
  void TearDown() override {
    of_.reset();
    ::unlink((base_ + ".ctl").c_str());
  }
  // Runs the io_context until pred() or 5 s.
  template <typename P>
  bool RunUntil(P pred, int ms = 5000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < deadline) {
      io_.poll();
      io_.restart();
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return pred();
  }
  size_t NRules() { return (*dp_->Rules("br0"))->size(); }
  ControllerStatus StatusOf(const std::string& target) {
    for (auto& s : of_->ControllerStatuses())
      if (s.target == target) return s;
    return {};
  }
  // HELLO from the peer (OF1.3) after reading the switch's.
  void Handshake(stream_protocol::socket& s) {
    uint8_t hdr[8];
    ASSERT_TRUE(RunUntil([&] { return s.available() >= 8; }));
    asio::read(s, asio::buffer(hdr));
    std::vector<uint8_t> rest((hdr[2] << 8 | hdr[3]) - 8);
    if (!rest.empty()) asio::read(s, asio::buffer(rest));
    EXPECT_EQ(hdr[1], 0);  // HELLO
    auto h = of::EncodeHello(of::kOf13, 1, 1u << of::kOf13);
    asio::write(s, asio::buffer(h));
  }

  asio::io_context io_;
  std::string base_;
  std::unique_ptr<dp::Datapath> dp_;
  std::unique_ptr<Ofproto> of_;
  int changes_ = 0;
};

TEST_F(ControllerTest, ActiveUnixTargetConnectsReconnectsAndDrivesFailOpen) {
  const std::string path = base_ + ".ctl";
  ::unlink(path.c_str());
  stream_protocol::acceptor acc(io_, stream_protocol::endpoint(path));
  EXPECT_EQ(NRules(), 1u);  // a new bridge's priority=0,actions=NORMAL
  OfprotoConfig cfg;
  cfg.controllers.push_back({"unix:" + path, 1000, 0});
  EXPECT_TRUE(of_->Configure(cfg).empty());
  EXPECT_EQ(NRules(), 0u);       // the first controller flushes the table
  EXPECT_TRUE(of_->fail_open());  // standalone, not connected yet
  stream_protocol::socket peer(io_);
  bool accepted = false;
  acc.async_accept(peer, [&](std::error_code ec) { accepted = !ec; });
  ASSERT_TRUE(RunUntil([&] { return accepted; }));
  Handshake(peer);
  ASSERT_TRUE(RunUntil([&] { return StatusOf("unix:" + path).is_connected; }));
  EXPECT_FALSE(of_->fail_open());
  EXPECT_EQ(StatusOf("unix:" + path).status["state"], "ACTIVE");
  EXPECT_GT(changes_, 0);
  // The controller goes away: not connected, fail-open, reconnect after the backoff.
  peer.close();
  ASSERT_TRUE(RunUntil([&] { return !StatusOf("unix:" + path).is_connected; }));
  EXPECT_TRUE(of_->fail_open());
  ControllerStatus st = StatusOf("unix:" + path);
  EXPECT_TRUE(st.status.count("sec_since_disconnect"));
  stream_protocol::socket peer2(io_);
  accepted = false;
  acc.async_accept(peer2, [&](std::error_code ec) { accepted = !ec; });
  ASSERT_TRUE(RunUntil([&] { return accepted; }, 4000));
  Handshake(peer2);
  ASSERT_TRUE(RunUntil([&] { return StatusOf("unix:" + path).is_connected; }));
  EXPECT_FALSE(of_->fail_open());
  // Removing the last controller flushes and puts the NORMAL flow back (standalone).
  EXPECT_TRUE(of_->Configure(OfprotoConfig{}).empty());
  EXPECT_EQ(NRules(), 1u);
  EXPECT_FALSE(of_->fail_open());
  EXPECT_TRUE(of_->ControllerStatuses().empty());
}

TEST_F(ControllerTest, SecureNeverFailsOpenAndHasNoNormalFlow) {
  OfprotoConfig cfg;
  cfg.fail_secure = true;
  EXPECT_TRUE(of_->Configure(cfg).empty());
  EXPECT_EQ(NRules(), 0u);
  cfg.controllers.push_back({"unix:" + base_ + ".nobody", 1000, 0});
  EXPECT_TRUE(of_->Configure(cfg).empty());
  EXPECT_FALSE(of_->fail_open());
  ASSERT_TRUE(RunUntil([&] {
    return StatusOf("unix:" + base_ + ".nobody").status["state"] == "BACKOFF";
  }));
  EXPECT_FALSE(StatusOf("unix:" + base_ + ".nobody").status["last_error"].empty());
  // Back to standalone without controllers: the NORMAL flow returns.
  EXPECT_TRUE(of_->Configure(OfprotoConfig{}).empty());
  EXPECT_EQ(NRules(), 1u);
}

TEST_F(ControllerTest, PassiveTargetAndBadTarget) {
  const std::string path = base_ + ".ctl";
  OfprotoConfig cfg;
  cfg.controllers.push_back({"punix:" + path, 8000, 0});
  cfg.controllers.push_back({"tcp:nohost", 8000, 0});
  auto problems = of_->Configure(cfg);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("tcp:nohost"), std::string::npos) << problems[0];
  EXPECT_TRUE(of_->Configure(cfg).empty());  // reported once
  ControllerStatus bad = StatusOf("tcp:nohost");
  EXPECT_FALSE(bad.is_connected);
  EXPECT_FALSE(bad.status["last_error"].empty());
  stream_protocol::socket s(io_);
  s.connect(stream_protocol::endpoint(path));
  Handshake(s);
  ASSERT_TRUE(RunUntil([&] { return StatusOf("punix:" + path).is_connected; }));
  EXPECT_FALSE(of_->fail_open());
  // Requests are served on it, e.g. a role request making it master.
  of::RoleRequest rr;
  rr.role = of::kRoleMaster;
  rr.generation_id = 1;
  of::Bytes req = {of::kOf13, of::kRoleRequest, 0, 24, 0, 0, 0, 7, 0, 0, 0, 2, 0, 0, 0, 0,
                   0, 0, 0, 0, 0, 0, 0, 1};
  asio::write(s, asio::buffer(req));
  ASSERT_TRUE(RunUntil([&] { return StatusOf("punix:" + path).role == "master"; }));
}

TEST_F(ControllerTest, ProtocolsLimitNegotiation) {
  OfprotoConfig cfg;
  cfg.versions = 1u << of::kOf10;
  const std::string path = base_ + ".ctl";
  cfg.controllers.push_back({"punix:" + path, 8000, 0});
  EXPECT_TRUE(of_->Configure(cfg).empty());
  stream_protocol::socket s(io_);
  s.connect(stream_protocol::endpoint(path));
  Handshake(s);  // offers OF1.3 only: no common version
  uint8_t hdr[8];
  ASSERT_TRUE(RunUntil([&] { return s.available() >= 8; }));
  asio::read(s, asio::buffer(hdr));
  EXPECT_EQ(hdr[1], 1);  // OFPT_ERROR (HELLO_FAILED)
  EXPECT_FALSE(StatusOf("punix:" + path).is_connected);
}

}  // namespace
}  // namespace vs::ofproto
