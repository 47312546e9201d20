// Key extraction from raw frames: every field, VLAN, fragments, truncation, garbage.
#include "dp/flow_key.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "dp/testing/packets.h"

namespace vs::dp {
namespace {

using namespace vs::dp::testing;

FlowKey Extract(const Frame& f, uint32_t port = 7) {
  FlowKey k;
  ExtractKey(f.b.data(), static_cast<uint32_t>(f.b.size()), port, &k);
  return k;
}

TEST(FlowKey, LayoutIsNineWords) { EXPECT_EQ(sizeof(FlowKey), 72u); }

TEST(FlowKey, Ipv4Tcp) {
  Frame f = Eth(0x0a0000000001, 0x0a0000000002, kEthTypeIpv4);
  Ipv4(f, Ip(10, 0, 0, 1), Ip(10, 1, 2, 3), kIpProtoTcp, 1234, 80, 0xb8, 17);
  FlowKey k = Extract(f);
  EXPECT_EQ(k.in_port, 7u);
  EXPECT_EQ(k.dl_type, kEthTypeIpv4);
  EXPECT_EQ(k.dl_dst[5], 1);
  EXPECT_EQ(k.dl_src[5], 2);
  EXPECT_EQ(k.vlan_tci, 0);
  EXPECT_EQ(k.nw_src, Ip(10, 0, 0, 1));
  EXPECT_EQ(k.nw_dst, Ip(10, 1, 2, 3));
  EXPECT_EQ(k.nw_proto, kIpProtoTcp);
  EXPECT_EQ(k.nw_tos, 0xb8);
  EXPECT_EQ(k.nw_ttl, 17);
  EXPECT_EQ(k.tp_src, 1234);
  EXPECT_EQ(k.tp_dst, 80);
  EXPECT_EQ(k.nw_frag, 0);
}

TEST(FlowKey, VlanUdp) {
  Frame f = Eth(1, 2, kEthTypeIpv4, (5 << 13) | 100);
  Ipv4(f, Ip(1, 2, 3, 4), Ip(5, 6, 7, 8), kIpProtoUdp, 53, 5353);
  FlowKey k = Extract(f);
  EXPECT_EQ(k.vlan_tci, (5 << 13) | 100 | kVlanPresent);
  EXPECT_EQ(k.dl_type, kEthTypeIpv4);
  EXPECT_EQ(k.tp_src, 53);
  EXPECT_EQ(k.tp_dst, 5353);
}

TEST(FlowKey, IcmpTypeCode) {
  Frame f = Eth(1, 2, kEthTypeIpv4);
  Ipv4(f, Ip(1, 2, 3, 4), Ip(5, 6, 7, 8), kIpProtoIcmp, 8, 0);
  FlowKey k = Extract(f);
  EXPECT_EQ(k.nw_proto, kIpProtoIcmp);
  EXPECT_EQ(k.tp_src, 8);
  EXPECT_EQ(k.tp_dst, 0);
}

TEST(FlowKey, Ipv6TcpAndIcmpv6) {
  uint8_t s[16] = {0x20, 0x01, 0x0d, 0xb8};
  uint8_t d[16] = {0x20, 0x01, 0x0d, 0xb8};
  s[15] = 1;
  d[15] = 2;
  Frame f = Eth(1, 2, kEthTypeIpv6);
  Ipv6(f, s, d, kIpProtoTcp, 4000, 443);
  FlowKey k = Extract(f);
  EXPECT_EQ(k.dl_type, kEthTypeIpv6);
  EXPECT_EQ(0, std::memcmp(k.ipv6_src, s, 16));
  EXPECT_EQ(0, std::memcmp(k.ipv6_dst, d, 16));
  EXPECT_EQ(k.nw_proto, kIpProtoTcp);
  EXPECT_EQ(k.tp_src, 4000);
  EXPECT_EQ(k.tp_dst, 443);
  EXPECT_EQ(k.nw_ttl, 64);

  Frame g = Eth(1, 2, kEthTypeIpv6);
  Ipv6(g, s, d, kIpProtoIcmpv6, 135, 0);
  k = Extract(g);
  EXPECT_EQ(k.nw_proto, kIpProtoIcmpv6);
  EXPECT_EQ(k.tp_src, 135);
}

TEST(FlowKey, Arp) {
  Frame f = Eth(0xffffffffffff, 2, kEthTypeArp);
  Arp(f, 1, 2, Ip(10, 0, 0, 1), Ip(10, 0, 0, 2));
  FlowKey k = Extract(f);
  EXPECT_EQ(k.dl_type, kEthTypeArp);
  EXPECT_EQ(k.nw_proto, 1);
  EXPECT_EQ(k.nw_src, Ip(10, 0, 0, 1));
  EXPECT_EQ(k.nw_dst, Ip(10, 0, 0, 2));
}

TEST(FlowKey, LaterFragmentHasNoPorts) {
  Frame f = Eth(1, 2, kEthTypeIpv4);
  Ipv4(f, Ip(1, 1, 1, 1), Ip(2, 2, 2, 2), kIpProtoUdp, 1, 2, 0, 64, 0, /*frag=*/100);
  FlowKey k = Extract(f);
  EXPECT_EQ(k.nw_frag, kFragAny | kFragLater);
  EXPECT_EQ(k.tp_src, 0);
  Frame g = Eth(1, 2, kEthTypeIpv4);
  Ipv4(g, Ip(1, 1, 1, 1), Ip(2, 2, 2, 2), kIpProtoUdp, 1, 2, 0, 64, 0, /*MF*/ 0x2000);
  k = Extract(g);
  EXPECT_EQ(k.nw_frag, kFragAny);
  EXPECT_EQ(k.tp_src, 1);
}

TEST(FlowKey, Llc8023FrameIsNone) {
  Frame f = Eth(1, 2, 0x0040);
  f.Zeros(40);
  EXPECT_EQ(Extract(f).dl_type, kDlTypeNone);
}

TEST(FlowKey, EveryTruncationIsSafeAndAPrefixOfTheTruth) {
  Frame f = Eth(1, 2, kEthTypeIpv4, 100);
  Ipv4(f, Ip(10, 0, 0, 1), Ip(10, 1, 2, 3), kIpProtoTcp, 1234, 80);
  FlowKey full;  // the truth from the separately written reference parser, not the fast path
  ExtractKeyReference(f.b.data(), static_cast<uint32_t>(f.b.size()), 7, &full);
  EXPECT_EQ(full.tp_dst, 80);
  EXPECT_EQ(full.nw_dst, Ip(10, 1, 2, 3));
  for (size_t len = 0; len <= f.b.size(); len++) {
    // Copy into an exact-size heap buffer so ASan catches any over-read.
    std::unique_ptr<uint8_t[]> buf(new uint8_t[len + 1]);
    std::memcpy(buf.get(), f.b.data(), len);
    FlowKey k;
    ExtractKey(buf.get(), static_cast<uint32_t>(len), 7, &k);
    EXPECT_EQ(k.pad, 0u);
    if (k.tp_dst) {
      EXPECT_EQ(k.tp_dst, full.tp_dst) << len;
    }
    if (k.nw_dst) {
      EXPECT_EQ(k.nw_dst, full.nw_dst) << len;
    }
    if (len == f.b.size()) {
      EXPECT_EQ(k, full);
    }
    if (len < 14) {
      EXPECT_EQ(k.dl_type, 0) << len;
    }
  }
}

TEST(FlowKey, RandomGarbageNeverCrashes) {
  std::mt19937 rng(42);
  uint16_t types[] = {kEthTypeIpv4, kEthTypeIpv6, kEthTypeArp, kEthTypeVlan, 0x1234};
  for (int iter = 0; iter < 20000; iter++) {
    size_t len = rng() % 120;
    std::unique_ptr<uint8_t[]> buf(new uint8_t[len + 1]);
    for (size_t i = 0; i < len; i++) buf[i] = static_cast<uint8_t>(rng());
    if (len > 14) {
      uint16_t t = types[rng() % 5];
      buf[12] = static_cast<uint8_t>(t >> 8);
      buf[13] = static_cast<uint8_t>(t);
      if (len > 18 && t == kEthTypeVlan) {
        buf[16] = 0x86;
        buf[17] = 0xdd;
      }
      if (rng() % 2 && len > 15) buf[14] = rng() % 2 ? 0x45 : 0x60;
    }
    FlowKey k;
    ExtractKey(buf.get(), static_cast<uint32_t>(len), 1, &k);
    EXPECT_EQ(k.pad, 0u);
  }
}

TEST(FlowKey, HashDependsOnEveryWord) {
  FlowKey a{};
  uint32_t h = HashKey(a);
  for (int w = 0; w < kKeyWords; w++) {
    FlowKey b{};
    Words(b)[w] = 1;
    EXPECT_NE(HashKey(b), h) << w;
  }
}


// The word-building fast path must agree with the field-by-field parser on every frame:
// valid IPv4 (tagged or not, every L4 protocol, Ethernet padding, short L4 headers) and
// random corruption of each of them.
TEST(FlowKey, FastPathMatchesReference) {
  std::mt19937 rng(7);
  uint8_t protos[] = {kIpProtoTcp, kIpProtoUdp, kIpProtoIcmp, kIpProtoIcmpv6, 47, 132};
  int fast_shaped = 0;
  for (int iter = 0; iter < 50000; iter++) {
    int tci = rng() % 3 == 0 ? static_cast<int>(rng() & 0xffff) : -1;
    Frame f = Eth(rng(), rng(), kEthTypeIpv4, tci);
    uint8_t proto = protos[rng() % 6];
    Ipv4(f, static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()), proto,
         static_cast<uint16_t>(rng()), static_cast<uint16_t>(rng()),
         static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng()));
    std::vector<uint8_t> b = f.b;
    switch (rng() % 6) {
      case 0:  // cut anywhere
        b.resize(rng() % (b.size() + 1));
        break;
      case 1:  // Ethernet padding or a lying total length
        b.resize(b.size() + rng() % 40, 0);
        break;
      case 2:  // flip a few header bytes (version/IHL, total length, fragment bits, ...)
        for (int j = 0; j < 3; j++) b[rng() % std::min<size_t>(b.size(), 42)] ^= 1u << (rng() % 8);
        break;
      default:
        fast_shaped++;
        break;
    }
    FlowKey fast, ref;
    std::memset(&fast, 0xa5, sizeof(fast));  // the fast path must write every word
    uint32_t port = rng() % 300;
    ExtractKey(b.data(), static_cast<uint32_t>(b.size()), port, &fast);
    ExtractKeyReference(b.data(), static_cast<uint32_t>(b.size()), port, &ref);
    ASSERT_TRUE(fast == ref) << "iteration " << iter << ", " << b.size() << " bytes";
  }
  EXPECT_GT(fast_shaped, 20000);
}


// SameKeyBytes may only say "same" when the keys are equal: random frames and mutations
// of them (every byte position, tags, lengths), checked against the reference parser.
TEST(FlowKey, SameKeyBytesImpliesEqualKeys) {
  std::mt19937 rng(11);
  uint8_t protos[] = {kIpProtoTcp, kIpProtoUdp, kIpProtoIcmp, 47};
  int same = 0, equal_keys = 0;
  for (int iter = 0; iter < 100000; iter++) {
    int tci = rng() % 8 == 0 ? static_cast<int>(rng() & 0xffff) : -1;
    Frame f = Eth(rng() % 4, rng() % 4, kEthTypeIpv4, tci);
    Ipv4(f, rng() % 4, rng() % 4, protos[rng() % 4], static_cast<uint16_t>(rng() % 3),
         static_cast<uint16_t>(rng() % 3), static_cast<uint8_t>(rng() % 2), 64,
         rng() % 2 ? 0 : rng() % 30);
    std::vector<uint8_t> a = f.b, b = f.b;
    int changes = static_cast<int>(rng() % 3);
    for (int j = 0; j < changes; j++) {
      size_t pos = rng() % std::min<size_t>(b.size(), 60);
      b[pos] = static_cast<uint8_t>(rng() % 4 == 0 ? rng() : b[pos] ^ (1u << (rng() % 8)));
    }
    if (rng() % 10 == 0) b.resize(rng() % (b.size() + 1));
    if (rng() % 10 == 0) a[14] = 0x46;  // options: off the fast path
    FlowKey ka, kb;
    ExtractKeyReference(a.data(), static_cast<uint32_t>(a.size()), 3, &ka);
    ExtractKeyReference(b.data(), static_cast<uint32_t>(b.size()), 3, &kb);
    bool s1 = SameKeyBytes(a.data(), static_cast<uint32_t>(a.size()), b.data(),
                           static_cast<uint32_t>(b.size()));
    if (s1) {
      same++;
      ASSERT_TRUE(ka == kb) << "iteration " << iter;
    }
    equal_keys += ka == kb;
  }
  EXPECT_GT(same, 20000);  // and it does say so often
  EXPECT_GT(equal_keys, same);
}

}  // namespace
}  // namespace vs::dp
