// Emc: the exact-match cache of one PMD thread, in front of its Dpcls.
//
// kEmcEntries slots; a key may live in one of two slots chosen by different bits of its
// hash. A hit needs the stored hash and the whole key to be equal. Entries point at
// megaflows of the same PMD's Dpcls and are cleared together with it (Clear()).
// Single-threaded, no allocation after construction.
#pragma once

#include <cstdint>
#include <memory>

#include "dp/dpcls.h"
#include "dp/flow_key.h"

namespace vs::dp {

constexpr uint32_t kEmcEntries = 8192;  // power of two

class Emc {
 public:
  Emc() : entries_(new Entry[kEmcEntries]()) {}

  void Prefetch(uint32_t hash) const { __builtin_prefetch(&entries_[hash & kMask]); }

  Megaflow* Lookup(const FlowKey& key, uint32_t hash) const {
    const Entry& a = entries_[hash & kMask];
    if (a.flow && a.hash == hash && a.key == key) return a.flow;
    const Entry& b = entries_[(hash >> 13) & kMask];
    if (b.flow && b.hash == hash && b.key == key) return b.flow;
    return nullptr;
  }

  void Insert(const FlowKey& key, uint32_t hash, Megaflow* flow) {
    Entry& a = entries_[hash & kMask];
    Entry& b = entries_[(hash >> 13) & kMask];
    Entry* e;
    if (a.flow && a.hash == hash && a.key == key) {
      e = &a;
    } else if (b.flow && b.hash == hash && b.key == key) {
      e = &b;
    } else if (!a.flow) {
      e = &a;
    } else if (!b.flow) {
      e = &b;
    } else {
      e = a.hash < b.hash ? &a : &b;  // pseudo-random victim, as OVS does
    }
    e->key = key;
    e->hash = hash;
    e->flow = flow;
  }

  void Clear() {
    for (uint32_t i = 0; i < kEmcEntries; i++) entries_[i].flow = nullptr;
  }

 private:
  static constexpr uint32_t kMask = kEmcEntries - 1;
  struct Entry {
    FlowKey key;
    Megaflow* flow;
    uint32_t hash;
  };
  std::unique_ptr<Entry[]> entries_;
};

}  // namespace vs::dp
