// Match: a FlowKey plus a mask of the same shape (1 bits are compared), the unit of the
// OpenFlow table and of megaflows. Invariant: key & mask == key (Normalize() restores it).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "dp/flow_key.h"

namespace vs::dp {

struct Match {
  FlowKey key{};
  FlowKey mask{};

  bool Matches(const FlowKey& k) const {
    const KeyWord* x = Words(k);
    const KeyWord* m = Words(mask);
    const KeyWord* v = Words(key);
    uint64_t diff = 0;
    for (int i = 0; i < kKeyWords; i++) diff |= (x[i] & m[i]) ^ v[i];
    return diff == 0;
  }
  void Normalize() {
    KeyWord* v = Words(key);
    const KeyWord* m = Words(mask);
    for (int i = 0; i < kKeyWords; i++) v[i] &= m[i];
  }
  bool operator==(const Match& o) const { return key == o.key && mask == o.mask; }
};

// Pipeline metadata: what the OpenFlow tables may match besides packet fields — registers
// reg0..reg15 (xregN = reg2N:reg2N+1, xxregN = reg4N..reg4N+3, most significant first),
// `metadata` and `conj_id`. It starts at zero for every packet and only actions change it,
// so it is a function of the packet fields already consulted: never part of a megaflow.
constexpr int kNumRegs = 16;
constexpr int kMetaWords = 10;
struct alignas(8) PipeMeta {
  uint64_t metadata = 0;
  uint32_t reg[kNumRegs] = {};
  uint32_t conj_id = 0;
  uint32_t pad = 0;  // always zero
};
static_assert(sizeof(PipeMeta) == kMetaWords * 8);
inline const KeyWord* Words(const PipeMeta& m) { return reinterpret_cast<const KeyWord*>(&m); }
inline KeyWord* Words(PipeMeta& m) { return reinterpret_cast<KeyWord*>(&m); }
inline bool operator==(const PipeMeta& a, const PipeMeta& b) {
  const KeyWord* x = Words(a);
  const KeyWord* y = Words(b);
  uint64_t diff = 0;
  for (int i = 0; i < kMetaWords; i++) diff |= x[i] ^ y[i];
  return diff == 0;
}

// A rule's match on PipeMeta (key & mask == key).
struct MetaMatch {
  PipeMeta key{};
  PipeMeta mask{};
  bool Matches(const PipeMeta& m) const {
    const KeyWord* x = Words(m);
    const KeyWord* k = Words(key);
    const KeyWord* w = Words(mask);
    uint64_t diff = 0;
    for (int i = 0; i < kMetaWords; i++) diff |= (x[i] & w[i]) ^ k[i];
    return diff == 0;
  }
  bool Empty() const { return mask == PipeMeta{}; }
  void Normalize() {
    KeyWord* k = Words(key);
    const KeyWord* w = Words(mask);
    for (int i = 0; i < kMetaWords; i++) k[i] &= w[i];
  }
  bool operator==(const MetaMatch& o) const { return key == o.key && mask == o.mask; }
};
bool MetaCovers(const MetaMatch& wide, const MetaMatch& narrow);
// "reg0=0x1,metadata=0x5/0xff" (OVS's order and forms); "" when empty. conj_id separately.
std::string FormatMeta(const MetaMatch& m);

// a |= b, word by word.
inline void OrMask(FlowKey* a, const FlowKey& b) {
  KeyWord* x = Words(*a);
  const KeyWord* y = Words(b);
  for (int i = 0; i < kKeyWords; i++) x[i] |= y[i];
}

// True if every packet matching `narrow` also matches `wide` (wide's mask is a subset of
// narrow's and they agree on it): the non-strict del-flows test.
bool MatchCovers(const Match& wide, const Match& narrow);

// Port numbers <-> names for parsing and printing. A namer returns "" for unknown ports
// (printed as the number); a resolver returns nullopt for unknown names.
using PortNamer = std::function<std::string(uint32_t)>;
using PortResolver = std::function<std::optional<uint32_t>(std::string_view)>;

// The match in ovs-ofctl syntax, without priority: "ip,in_port=dpdk0,nw_dst=10.0.0.0/8".
// Empty string for the all-wildcard match.
std::string FormatMatch(const Match& m, const PortNamer& namer);
struct MetaMatch;
// The same with the pipeline metadata (conj_id first, registers and metadata after the
// protocol shorthand, as OVS orders them); meta may be null.
std::string FormatMatchMeta(const Match& m, const MetaMatch* meta, const PortNamer& namer);

// The megaflow (datapath) form, like ovs-appctl dpctl/dump-flows:
// "in_port(1),eth(src=..,dst=..),eth_type(0x0800),ipv4(dst=10.0.0.0/255.0.0.0,frag=no)".
std::string FormatDpMatch(const Match& m, const PortNamer& namer);

std::string FormatMac(const uint8_t mac[6]);
std::string FormatIpv4(uint32_t host_order);
std::string FormatIpv6(const uint8_t addr[16]);

}  // namespace vs::dp
