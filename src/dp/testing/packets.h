// Test/bench helper: builds Ethernet frames byte by byte.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "dp/flow_key.h"

namespace vs::dp::testing {

struct Frame {
  std::vector<uint8_t> b;

  void U8(uint8_t v) { b.push_back(v); }
  void U16(uint16_t v) {
    U8(static_cast<uint8_t>(v >> 8));
    U8(static_cast<uint8_t>(v));
  }
  void U32(uint32_t v) {
    U16(static_cast<uint16_t>(v >> 16));
    U16(static_cast<uint16_t>(v));
  }
  void Bytes(const uint8_t* p, size_t n) { b.insert(b.end(), p, p + n); }
  void Zeros(size_t n) { b.insert(b.end(), n, 0); }
};

struct Mac {
  uint8_t a[6];
};
inline Mac MacOf(uint64_t v) {
  Mac m;
  for (int i = 0; i < 6; i++) m.a[i] = static_cast<uint8_t>(v >> (40 - 8 * i));
  return m;
}

// Ethernet header (+ optional 802.1Q tag when tci >= 0).
inline Frame Eth(uint64_t dst, uint64_t src, uint16_t type, int tci = -1) {
  Frame f;
  f.Bytes(MacOf(dst).a, 6);
  f.Bytes(MacOf(src).a, 6);
  if (tci >= 0) {
    f.U16(kEthTypeVlan);
    f.U16(static_cast<uint16_t>(tci));
  }
  f.U16(type);
  return f;
}

// IPv4 header (no options) followed by an L4 header for TCP/UDP/ICMP and `payload` bytes.
inline void Ipv4(Frame& f, uint32_t src, uint32_t dst, uint8_t proto, uint16_t sport = 0,
                 uint16_t dport = 0, uint8_t tos = 0, uint8_t ttl = 64, size_t payload = 0,
                 uint16_t frag = 0) {
  size_t l4 = proto == kIpProtoTcp ? 20 : proto == kIpProtoUdp ? 8 : proto == kIpProtoIcmp ? 8 : 0;
  f.U8(0x45);
  f.U8(tos);
  f.U16(static_cast<uint16_t>(20 + l4 + payload));
  f.U16(0);
  f.U16(frag);
  f.U8(ttl);
  f.U8(proto);
  f.U16(0);
  f.U32(src);
  f.U32(dst);
  if (proto == kIpProtoTcp) {
    f.U16(sport);
    f.U16(dport);
    f.Zeros(8);
    f.U8(0x50);
    f.Zeros(7);
  } else if (proto == kIpProtoUdp) {
    f.U16(sport);
    f.U16(dport);
    f.U16(static_cast<uint16_t>(8 + payload));
    f.U16(0);
  } else if (proto == kIpProtoIcmp) {
    f.U8(static_cast<uint8_t>(sport));  // type
    f.U8(static_cast<uint8_t>(dport));  // code
    f.Zeros(6);
  }
  f.Zeros(payload);
}

inline void Ipv6(Frame& f, const uint8_t src[16], const uint8_t dst[16], uint8_t next,
                 uint16_t sport = 0, uint16_t dport = 0) {
  size_t l4 = next == kIpProtoTcp ? 20 : next == kIpProtoUdp ? 8 : next == kIpProtoIcmpv6 ? 8 : 0;
  f.U32(0x60000000);
  f.U16(static_cast<uint16_t>(l4));
  f.U8(next);
  f.U8(64);
  f.Bytes(src, 16);
  f.Bytes(dst, 16);
  if (next == kIpProtoTcp || next == kIpProtoUdp) {
    f.U16(sport);
    f.U16(dport);
    f.Zeros(l4 - 4);
  } else if (next == kIpProtoIcmpv6) {
    f.U8(static_cast<uint8_t>(sport));
    f.U8(static_cast<uint8_t>(dport));
    f.Zeros(6);
  }
}

inline void Arp(Frame& f, uint16_t op, uint64_t sha, uint32_t spa, uint32_t tpa) {
  f.U16(1);
  f.U16(kEthTypeIpv4);
  f.U8(6);
  f.U8(4);
  f.U16(op);
  f.Bytes(MacOf(sha).a, 6);
  f.U32(spa);
  f.Zeros(6);
  f.U32(tpa);
}

inline uint32_t Ip(int a, int b, int c, int d) {
  return static_cast<uint32_t>(a) << 24 | static_cast<uint32_t>(b) << 16 |
         static_cast<uint32_t>(c) << 8 | static_cast<uint32_t>(d);
}

// A TCP/IPv4 frame from src/dst MACs and addresses.
inline Frame TcpFrame(uint64_t dmac, uint64_t smac, uint32_t sip, uint32_t dip, uint16_t sport,
                      uint16_t dport, int tci = -1) {
  Frame f = Eth(dmac, smac, kEthTypeIpv4, tci);
  Ipv4(f, sip, dip, kIpProtoTcp, sport, dport);
  return f;
}

}  // namespace vs::dp::testing
