// An Ofproto on a real unix socket, driven by a raw client in the same io_context:
// negotiation, requests, errors for bad input, many connections, a peer that does not
// read. The real ovs-ofctl drives it in tests/ofproto.
#include "ofproto/ofproto.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "openflow/messages.h"

namespace vs::ofproto {
namespace {
namespace of = vs::openflow;
using asio::local::stream_protocol;

class OfprotoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fmt::format("/tmp/ofproto-test-{}.mgmt", getpid());
    auto d = dp::Datapath::Create();
    ASSERT_TRUE(d.ok());
    dp_ = std::move(*d);
    ASSERT_TRUE(dp_->AddBridge("br0").ok());
    dp::PortConfig pc;
    pc.name = "p1";
    ASSERT_TRUE(dp_->AddPort("br0", pc).ok());
    auto p = Ofproto::Create(io_, "br0", path_, dp_.get(), [this] {
      std::vector<PortState> out;
      auto ports = dp_->Ports("br0");
      for (const auto& info : *ports) {
        PortState s;
        s.dp_id = info.id, s.name = info.name, s.link_up = true;
        s.stats = {{"rx_packets", 5}, {"tx_packets", 6}};
        out.push_back(s);
      }
      return out;
    });
    ASSERT_TRUE(p.ok()) << p.status().message();
    of_ = std::move(*p);
  }

  stream_protocol::socket Connect() {
    stream_protocol::socket s(io_);
    s.connect(stream_protocol::endpoint(path_));
    return s;
  }
  // Runs the io_context until `s` has a complete message, returns it.
  of::Bytes Recv(stream_protocol::socket& s) {
    of::Bytes buf;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      io_.poll();
      io_.restart();
      size_t avail = s.available();
      if (avail) {
        size_t old = buf.size();
        buf.resize(old + avail);
        s.read_some(asio::buffer(buf.data() + old, avail));
      }
      if (buf.size() >= 8) {
        size_t len = buf[2] << 8 | buf[3];
        if (buf.size() >= len) {
          pending_.assign(buf.begin() + len, buf.end());
          buf.resize(len);
          return buf;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return {};
  }
  of::Bytes RecvNext(stream_protocol::socket& s) {
    if (pending_.size() >= 8 && pending_.size() >= size_t(pending_[2] << 8 | pending_[3])) {
      size_t len = pending_[2] << 8 | pending_[3];
      of::Bytes m(pending_.begin(), pending_.begin() + len);
      pending_.erase(pending_.begin(), pending_.begin() + len);
      return m;
    }
    return Recv(s);
  }
  void Send(stream_protocol::socket& s, const of::Bytes& b) { asio::write(s, asio::buffer(b)); }
  void Hello(stream_protocol::socket& s, uint8_t v) {
    Send(s, of::EncodeHello(v, 1, 1u << v));
    of::Bytes h = Recv(s);
    ASSERT_EQ(h.size() >= 8 ? h[1] : 0xff, of::kHello);
  }

  asio::io_context io_;
  std::string path_;
  std::unique_ptr<dp::Datapath> dp_;
  std::unique_ptr<Ofproto> of_;
  of::Bytes pending_;
};

TEST_F(OfprotoTest, AddDumpDeleteOverOf13) {
  auto s = Connect();
  Hello(s, of::kOf13);
  of::FlowMod fm;
  fm.match.AddInt(of::Field::kInPort, 1, 4);
  of::Action out;
  out.port = of::kPortNormal;
  fm.instructions.apply = of::Actions{out};
  Send(s, *of::EncodeFlowMod(of::kOf13, 10, fm));
  Send(s, of::EncodeEmpty(of::kOf13, of::kBarrierRequest, 11));
  of::Bytes r = RecvNext(s);
  ASSERT_GE(r.size(), 8u);
  EXPECT_EQ(r[1], of::kBarrierReply);  // no error before it
  of::MultipartRequest mp;
  mp.type = of::kMpAggregate;
  Send(s, *of::EncodeMultipartRequest(of::kOf13, 12, mp));
  r = RecvNext(s);
  ASSERT_EQ(r.size(), 16u + 24u);
  EXPECT_EQ(r[16 + 16 + 3], 2);  // flow_count: the default NORMAL flow + ours
  // A flow_mod to table 1: OFPFMFC_BAD_TABLE_ID (5,2), quoting the request.
  fm.table_id = 1;
  of::Bytes bad = *of::EncodeFlowMod(of::kOf13, 13, fm);
  Send(s, bad);
  r = RecvNext(s);
  ASSERT_GE(r.size(), 12u);
  EXPECT_EQ(r[1], of::kError);
  EXPECT_EQ(r[9], 5);
  EXPECT_EQ(r[11], 2);
  EXPECT_EQ(of::Bytes(r.begin() + 12, r.begin() + 20), of::Bytes(bad.begin(), bad.begin() + 8));
  // Delete everything, then the aggregate says 0.
  fm = of::FlowMod{};
  fm.command = of::kFmDelete, fm.table_id = of::kTableAll;
  Send(s, *of::EncodeFlowMod(of::kOf13, 14, fm));
  Send(s, *of::EncodeMultipartRequest(of::kOf13, 15, mp));
  r = RecvNext(s);
  ASSERT_EQ(r.size(), 40u);
  EXPECT_EQ(r[16 + 16 + 3], 0);
}

TEST_F(OfprotoTest, BadInputGetsErrorsOrCleanCloseAndOthersKeepWorking) {
  auto good = Connect();
  Hello(good, of::kOf10);
  auto s = Connect();
  Hello(s, of::kOf13);
  Send(s, of::EncodeEmpty(of::kOf10, of::kFeaturesRequest, 3));  // wrong version
  of::Bytes r = RecvNext(s);
  EXPECT_EQ(r[1], of::kError);
  EXPECT_EQ(r[9], 1);   // BAD_REQUEST
  EXPECT_EQ(r[11], 0);  // BAD_VERSION
  Send(s, of::Bytes{4, 0x63, 0, 8, 0, 0, 0, 4});  // unknown type
  r = RecvNext(s);
  EXPECT_EQ(r[11], 1);  // BAD_TYPE
  Send(s, of::Bytes{4, 5, 0, 4, 0, 0, 0, 5});  // length 4: the stream is lost
  r = RecvNext(s);
  EXPECT_EQ(r[11], 6);  // BAD_LEN, then close
  for (int i = 0; i < 50 && of_->n_connections() > 1; i++) io_.poll(), io_.restart();
  EXPECT_EQ(of_->n_connections(), 1u);
  // The other connection still works.
  Send(good, of::EncodeEmpty(of::kOf10, of::kFeaturesRequest, 9));
  r = Recv(good);
  ASSERT_GE(r.size(), 8u);
  EXPECT_EQ(r[1], of::kFeaturesReply);
  EXPECT_EQ(r.size(), 32u + 48u);  // one port (p1) in OF1.0's features reply
}

TEST_F(OfprotoTest, IncompatibleHelloIsRefused) {
  auto s = Connect();
  Send(s, of::EncodeHello(of::kOf12, 1, 1u << of::kOf12));
  of::Bytes h = Recv(s);
  EXPECT_EQ(h[1], of::kHello);
  of::Bytes e = RecvNext(s);
  ASSERT_GE(e.size(), 12u);
  EXPECT_EQ(e[1], of::kError);
  EXPECT_EQ(e[9], 0);  // HELLO_FAILED
  EXPECT_EQ(e[11], 0);  // INCOMPATIBLE
}

}  // namespace
}  // namespace vs::ofproto
