// FlowKey: the fixed-size, fully parsed header summary of one packet, and its hash.
//
// The key is what every lookup tier compares: the EMC compares whole keys, the megaflow
// classifier (dpcls) compares key & mask, the OpenFlow table (oftable) compares
// rule-masked fields. It is a POD of kKeyWords 64-bit words so that masking, hashing and
// comparing are word loops with no per-field branches. Padding is always zero.
//
// Conventions (fixed; printers and parsers rely on them):
//  * integers are in host byte order (dl_type, vlan_tci, nw_src/nw_dst, tp_src/tp_dst);
//    MAC and IPv6 addresses are byte arrays in wire order;
//  * vlan_tci carries kVlanPresent (the 802.1Q CFI bit position, as OVS does) when the
//    frame had a tag; vid = tci & 0xfff, pcp = tci >> 13;
//  * an 802.3 (length) frame has dl_type kDlTypeNone (0x05ff);
//  * ARP: nw_proto = opcode (if <= 255), nw_src/nw_dst = spa/tpa;
//  * ICMP/ICMPv6: tp_src = type, tp_dst = code;
//  * fields of a header that is missing or cut short stay zero, and nothing past the
//    given length is ever read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

struct rte_mbuf;

namespace vs::dp {

constexpr uint16_t kEthTypeIpv4 = 0x0800;
constexpr uint16_t kEthTypeArp = 0x0806;
constexpr uint16_t kEthTypeVlan = 0x8100;
constexpr uint16_t kEthTypeQinQ = 0x88a8;
constexpr uint16_t kEthTypeIpv6 = 0x86dd;
constexpr uint16_t kDlTypeNone = 0x05ff;
constexpr uint16_t kVlanPresent = 0x1000;
constexpr uint16_t kVlanVidMask = 0x0fff;
constexpr uint16_t kVlanPcpMask = 0xe000;
constexpr uint8_t kIpProtoIcmp = 1;
constexpr uint8_t kIpProtoTcp = 6;
constexpr uint8_t kIpProtoUdp = 17;
constexpr uint8_t kIpProtoIcmpv6 = 58;

// nw_frag values.
constexpr uint8_t kFragAny = 1;    // this is a fragment
constexpr uint8_t kFragLater = 2;  // ... and not the first one (no L4 header)

constexpr int kKeyWords = 9;

struct alignas(8) FlowKey {
  uint32_t in_port;
  uint16_t dl_type;
  uint16_t vlan_tci;
  uint8_t dl_dst[6];
  uint8_t dl_src[6];
  uint32_t nw_src;
  uint32_t nw_dst;
  uint8_t nw_proto;
  uint8_t nw_tos;
  uint8_t nw_ttl;
  uint8_t nw_frag;
  uint16_t tp_src;
  uint16_t tp_dst;
  uint32_t pad;  // always zero
  uint8_t ipv6_src[16];
  uint8_t ipv6_dst[16];
};
static_assert(sizeof(FlowKey) == kKeyWords * 8);
static_assert(offsetof(FlowKey, nw_src) == 20 && offsetof(FlowKey, tp_src) == 32);
static_assert(offsetof(FlowKey, ipv6_src) == 40 && offsetof(FlowKey, ipv6_dst) == 56);

// Word views of a key (GCC may_alias: safe to read a FlowKey through these).
using KeyWord = uint64_t __attribute__((__may_alias__));
inline const KeyWord* Words(const FlowKey& k) { return reinterpret_cast<const KeyWord*>(&k); }
inline KeyWord* Words(FlowKey& k) { return reinterpret_cast<KeyWord*>(&k); }

inline bool operator==(const FlowKey& a, const FlowKey& b) {
  const KeyWord* x = Words(a);
  const KeyWord* y = Words(b);
  uint64_t diff = 0;
#pragma GCC unroll 9
  for (int i = 0; i < kKeyWords; i++) diff |= x[i] ^ y[i];
  return diff == 0;
}

// Word hashing: the SSE4.2 CRC32 instruction where the build has it (DPDK's pkg-config
// flags give -march=corei7), a multiply-rotate mix otherwise. Only equality of hashes
// within one process matters; both are deterministic.
inline uint64_t HashMix(uint64_t h, uint64_t w) {
#if defined(__SSE4_2__)
  return __builtin_ia32_crc32di(h, w);
#else
  w *= 0x87c37b91114253d5ULL;
  w = (w << 31) | (w >> 33);
  h ^= w * 0x4cf5ad432745937fULL;
  return ((h << 27) | (h >> 37)) * 5 + 0x52dce729;
#endif
}
inline uint32_t HashFinish(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return static_cast<uint32_t>(h);
}

// Hash of the whole key (EMC, signature cache, rule maps). Two independent CRC chains
// (odd and even words) so that the dependent CRC steps are five, not nine; the IPv6
// address words are hashed only when not all zero (every IPv4 key), and the two chains
// are combined without a multiply: CRC output is well mixed already, and a table index
// only needs its bits to vary.
inline uint32_t HashKey(const FlowKey& k) {
  const KeyWord* w = Words(k);
  uint64_t a = HashMix(0, w[0]);
  uint64_t b = HashMix(0x9e3779b97f4a7c15ULL, w[1]);
  a = HashMix(a, w[2]);
  b = HashMix(b, w[3]);
  a = HashMix(a, w[4]);
  if (__builtin_expect((w[5] | w[6] | w[7] | w[8]) != 0, 0)) {
    b = HashMix(b, w[5]);
    a = HashMix(a, w[6]);
    b = HashMix(b, w[7]);
    a = HashMix(a, w[8]);
  }
#if defined(__SSE4_2__)
  return static_cast<uint32_t>(a ^ (b << 16 | b >> 16));
#else
  return HashFinish(a ^ (b << 32 | b >> 32));
#endif
}

// The field-by-field parser that ExtractKey's fast path (untagged or single-tagged
// IPv4 without options) must agree with, bit for bit; ExtractKey falls back to it for
// everything else. Exposed for the differential test.
void ExtractKeyReference(const uint8_t* data, uint32_t len, uint32_t in_port, FlowKey* key);

// Fills *key from the first `len` bytes at `data` (an Ethernet frame). Never reads past
// data + len; a short or malformed frame yields a key with the unparsed fields zero.
// Inline: the PMD calls it once per packet.
namespace key_internal {

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline uint16_t Rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

}  // namespace key_internal

// The fast path builds the five words an IPv4 key uses in registers and stores each
// once: writing fields byte by byte and then reading the key back as words (to hash or
// compare it) would stall on store forwarding for every word. The word layout follows
// FlowKey's field offsets on a little-endian machine.
__attribute__((always_inline)) inline void ExtractKey(const uint8_t* p, uint32_t len,
                                                     uint32_t in_port, FlowKey* k) {
  using namespace key_internal;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (__builtin_expect(len >= 14 + 20, 1)) {
    uint32_t l2 = 14;
    uint64_t tci = 0;
    uint16_t type = Rd16(p + 12);
    if (type == kEthTypeVlan || type == kEthTypeQinQ) {
      tci = static_cast<uint16_t>(Rd16(p + 14) | kVlanPresent);
      type = Rd16(p + 16);
      l2 = 18;
    }
    const uint8_t* ip = p + l2;
    uint32_t rest = len - l2;
    if (type == kEthTypeIpv4 && rest >= 20 && ip[0] == 0x45 && (Rd16(ip + 6) & 0x3fff) == 0) {
      uint32_t tot = Rd16(ip + 2);
      if (tot >= 20 && tot < rest) rest = tot;
      uint8_t proto = ip[9];
      const uint8_t* l4 = ip + 20;
      uint32_t l4len = rest - 20;
      uint64_t w4 = 0;
      if ((proto == kIpProtoUdp && l4len >= 8) || (proto == kIpProtoTcp && l4len >= 20)) {
        uint32_t x = Load32(l4);  // sport, dport in network order -> two host u16
        w4 = ((x & 0x00ff00ffu) << 8) | ((x >> 8) & 0x00ff00ffu);
      } else if ((proto == kIpProtoIcmp || proto == kIpProtoIcmpv6) && l4len >= 4) {
        w4 = static_cast<uint64_t>(l4[0]) | static_cast<uint64_t>(l4[1]) << 16;
      }
      KeyWord* w = Words(*k);
      w[0] = in_port | static_cast<uint64_t>(kEthTypeIpv4) << 32 | tci << 48;
      w[1] = Load64(p);
      w[2] = Load32(p + 8) | static_cast<uint64_t>(__builtin_bswap32(Load32(ip + 12))) << 32;
      w[3] = __builtin_bswap32(Load32(ip + 16)) | static_cast<uint64_t>(proto) << 32 |
             static_cast<uint64_t>(ip[1]) << 40 | static_cast<uint64_t>(ip[8]) << 48;
      w[4] = w4;
      w[5] = w[6] = w[7] = w[8] = 0;
      return;
    }
  }
#endif
  ExtractKeyReference(p, len, in_port, k);
}


// True only if the frames at a (alen bytes) and b (blen bytes) are sure to have equal
// keys (for one in_port): both untagged IPv4 without options or fragmentation, of equal
// length, with equal bytes in the first 38 except the IPv4 identification and checksum
// (which the key does not hold, and which differ between packets of one flow). False
// says nothing. Lets a run of one flow's packets skip key extraction.
__attribute__((always_inline)) inline bool SameKeyBytes(const uint8_t* a, uint32_t alen,
                                                         const uint8_t* b, uint32_t blen) {
  using key_internal::Load64;
  if (alen != blen || alen < 38) return false;
  // Bytes 12-13 type, 14 version/IHL, 20-21 flags/fragment offset: what puts `a` on
  // ExtractKey's untagged IPv4 fast path; equal bytes put `b` there too.
  if (a[12] != 0x08 || a[13] != 0x00 || a[14] != 0x45 || ((a[20] & 0x3f) | a[21]) != 0)
    return false;
  constexpr uint64_t kNoId = ~0xffff0000ull;       // bytes 16..23 without 18-19 (id)
  constexpr uint64_t kNoCsum = ~0xffffull;         // bytes 24..31 without 24-25 (checksum)
  uint64_t diff = (Load64(a) ^ Load64(b)) | (Load64(a + 8) ^ Load64(b + 8)) |
                  ((Load64(a + 16) ^ Load64(b + 16)) & kNoId) |
                  ((Load64(a + 24) ^ Load64(b + 24)) & kNoCsum) | (Load64(a + 30) ^ Load64(b + 30));
  return diff == 0;
}

// Same for an mbuf: parses the first segment only (headers are expected there).
void ExtractKey(const rte_mbuf* m, uint32_t in_port, FlowKey* key);


}  // namespace vs::dp
