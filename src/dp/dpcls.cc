// Tuple-space megaflow classifier.
#include "dp/dpcls.h"

#include <algorithm>
#include <cstring>

namespace vs::dp {

void Megaflow::Prepare() {
  n_acts = static_cast<uint16_t>(actions.size());
  if (actions.size() <= kInlineActions) {
    std::copy(actions.begin(), actions.end(), inline_acts);
    acts = inline_acts;
  } else {
    acts = actions.data();
  }
  last_output = -1;
  last_modify = -1;
  simple_out = -1;
  for (size_t i = 0; i < actions.size(); i++) {
    if (actions[i].type == DpActionType::kOutput) {
      last_output = static_cast<int16_t>(i);
    } else {
      last_modify = static_cast<int16_t>(i);
    }
  }
  if (actions.size() == 1 && last_output == 0 && actions[0].port <= INT16_MAX) {
    simple_out = static_cast<int16_t>(actions[0].port);
  }
}

namespace {

// True if the mask is exactly "in_port".
bool IsPortOnly(const FlowKey& mask) {
  const KeyWord* w = Words(mask);
  if (mask.in_port != ~0u || (w[0] >> 32) != 0) return false;
  for (int i = 1; i < kKeyWords; i++)
    if (w[i]) return false;
  return true;
}

}  // namespace

struct Dpcls::Subtable {
  struct Slot {
    uint32_t hash;
    Megaflow* flow;  // nullptr = empty
  };
  // Looks up the keys of `todo`; sets flows[i] and bit i of *found for each hit.
  using BatchFn = void (*)(const Subtable& st, const FlowKey* keys, uint32_t todo,
                           Megaflow** flows, uint32_t* found);

  FlowKey mask{};
  uint8_t words[kKeyWords];  // indices of the mask's nonzero words
  uint64_t mwords[kKeyWords];  // ... and those words of the mask
  int n_words = 0;
  BatchFn batch = nullptr;
  std::vector<Slot> slots;  // power of two, at most half full
  size_t used = 0;
  mutable uint64_t hits = 0;  // since the last Rank()

  explicit Subtable(const FlowKey& m) : mask(m) {
    const KeyWord* w = Words(mask);
    for (int i = 0; i < kKeyWords; i++) {
      if (w[i]) {
        mwords[n_words] = w[i];
        words[n_words++] = static_cast<uint8_t>(i);
      }
    }
    // Lookups specialised per subtable shape: the word loops of the common masks (one to
    // five words: in_port-only up to L2+L3+L4) are unrolled by the compiler.
    static constexpr BatchFn kByWords[] = {&LookupShape<0>, &LookupShape<1>, &LookupShape<2>,
                                           &LookupShape<3>, &LookupShape<4>, &LookupShape<5>};
    batch = n_words >= 1 && n_words <= 5 ? kByWords[n_words] : &LookupShape<0>;
    slots.assign(16, Slot{0, nullptr});
  }

  // N = number of mask words, or 0 for "n_words, not known at compile time".
  template <int N>
  uint32_t HashN(const FlowKey& k) const {
    const int n = N ? N : n_words;
    const KeyWord* kw = Words(k);
    uint64_t h = 0;
    for (int j = 0; j < n; j++) h = HashMix(h, kw[words[j]] & mwords[j]);
    return HashFinish(h);
  }
  template <int N>
  bool EqualN(const FlowKey& k, const Megaflow& f) const {
    const int n = N ? N : n_words;
    const KeyWord* kw = Words(k);
    const KeyWord* fw = Words(f.match.key);
    uint64_t diff = 0;
    for (int j = 0; j < n; j++) diff |= (kw[words[j]] & mwords[j]) ^ fw[words[j]];
    return diff == 0;
  }
  template <int N>
  Megaflow* FindN(const FlowKey& k, uint32_t h) const {
    size_t m = slots.size() - 1;
    for (size_t i = h & m;; i = (i + 1) & m) {
      const Slot& s = slots[i];
      if (!s.flow) return nullptr;
      if (s.hash == h && EqualN<N>(k, *s.flow)) return s.flow;
    }
  }
  template <int N>
  static void LookupShape(const Subtable& st, const FlowKey* keys, uint32_t todo,
                          Megaflow** flows, uint32_t* found) {
    uint32_t hashes[32];
    const Slot* slots = st.slots.data();
    size_t m = st.slots.size() - 1;
    for (uint32_t t = todo; t; t &= t - 1) {
      int i = __builtin_ctz(t);
      hashes[i] = st.HashN<N>(keys[i]);
      __builtin_prefetch(&slots[hashes[i] & m]);
    }
    // The first probe's flow, if its hash matches, is what Find will compare.
    for (uint32_t t = todo; t; t &= t - 1) {
      int i = __builtin_ctz(t);
      const Slot& slot = slots[hashes[i] & m];
      if (slot.flow && slot.hash == hashes[i]) __builtin_prefetch(&slot.flow->match.key);
    }
    uint32_t hit = 0;
    for (uint32_t t = todo; t; t &= t - 1) {
      int i = __builtin_ctz(t);
      if (Megaflow* f = st.FindN<N>(keys[i], hashes[i])) {
        flows[i] = f;
        hit |= 1u << i;
      }
    }
    *found = hit;
  }

  uint32_t Hash(const FlowKey& k) const { return HashN<0>(k); }
  Megaflow* Find(const FlowKey& k, uint32_t h) const { return FindN<0>(k, h); }
  void Put(Megaflow* f) {
    if ((used + 1) * 2 > slots.size()) {
      std::vector<Slot> old(slots.size() * 2, Slot{0, nullptr});
      old.swap(slots);
      used = 0;
      for (const Slot& s : old) {
        if (s.flow) Place(s.hash, s.flow);
      }
    }
    Place(Hash(f->match.key), f);
  }
  void Place(uint32_t h, Megaflow* f) {
    size_t m = slots.size() - 1;
    size_t i = h & m;
    while (slots[i].flow) i = (i + 1) & m;
    slots[i] = Slot{h, f};
    used++;
  }
};

Dpcls::Dpcls() = default;
Dpcls::~Dpcls() = default;

Megaflow* Dpcls::Lookup(const FlowKey& key) const {
  for (const auto& st : subtables_) {
    if (Megaflow* f = st->Find(key, st->Hash(key))) {
      st->hits++;
      return f;
    }
  }
  return nullptr;
}

namespace {

// True if key & f's mask equals f's (masked) key.
inline bool Covers(const Megaflow& f, const FlowKey& key) {
  const KeyWord* k = Words(key);
  const KeyWord* fk = Words(f.match.key);
  const KeyWord* fm = Words(f.match.mask);
  uint64_t diff = 0;
#pragma GCC unroll 9
  for (int i = 0; i < kKeyWords; i++) diff |= (k[i] & fm[i]) ^ fk[i];
  return diff == 0;
}

}  // namespace

void Dpcls::SetSmc(bool on) {
  if (on && !smc_) {
    smc_.reset(new (std::nothrow) SmcBucket[kSmcEntries / 4]());
    if (!smc_) return;  // no memory: stay without it
  }
  smc_on_ = on && smc_;
}

uint32_t Dpcls::LookupBatch(const FlowKey* keys, uint32_t* miss_map, Megaflow** flows) {
  uint32_t hashes[32];
  uint32_t smc_hits = 0;
  const bool smc = smc_on_;
  constexpr uint32_t kSmcMask = kSmcEntries / 4 - 1;
  if (smc) {
    uint32_t todo = *miss_map;
    for (uint32_t t = todo; t; t &= t - 1) {
      int i = __builtin_ctz(t);
      hashes[i] = HashKey(keys[i]);
      __builtin_prefetch(&smc_[hashes[i] & kSmcMask]);
    }
    // Read the buckets and prefetch the candidates' keys and masks for the whole batch,
    // then verify: at 100,000s of flows both are cache misses, and they overlap this way.
    Megaflow* cand[32];
    for (uint32_t t = todo; t; t &= t - 1) {
      int i = __builtin_ctz(t);
      const SmcBucket& b = smc_[hashes[i] & kSmcMask];
      cand[i] = nullptr;
      for (int w = 0; w < 4; w++) {
        if (b.hash[w] == hashes[i] && b.index[w] < flows_.size()) {
          cand[i] = flows_[b.index[w]].get();
          __builtin_prefetch(&cand[i]->match);
          __builtin_prefetch(reinterpret_cast<const char*>(&cand[i]->match) + 64);
          break;
        }
      }
    }
    for (uint32_t t = todo; t; t &= t - 1) {
      int i = __builtin_ctz(t);
      if (Megaflow* f = cand[i]) {
        if (Covers(*f, keys[i])) {
          flows[i] = f;
          *miss_map &= ~(1u << i);
          smc_hits++;
        }
      }
    }
  }
  const uint32_t walk = *miss_map;
  walks_ += static_cast<uint64_t>(__builtin_popcount(walk));
  for (const auto& st : subtables_) {
    uint32_t todo = *miss_map;
    if (!todo) break;
    probes_ += static_cast<uint64_t>(__builtin_popcount(todo));
    uint32_t found = 0;
    st->batch(*st, keys, todo, flows, &found);
    *miss_map = todo & ~found;
    st->hits += static_cast<uint64_t>(__builtin_popcount(found));
  }
  if (smc) {
    for (uint32_t t = walk & ~*miss_map; t; t &= t - 1) {
      int i = __builtin_ctz(t);
      SmcBucket& b = smc_[hashes[i] & kSmcMask];
      int w = 0;  // the way holding this hash, else an empty one, else one by hash bits
      while (w < 4 && b.hash[w] != hashes[i]) w++;
      if (w == 4) {
        w = 0;
        while (w < 4 && b.hash[w] != 0) w++;
        if (w == 4) w = static_cast<int>(hashes[i] >> 30);
      }
      b.hash[w] = hashes[i];
      b.index[w] = flows[i]->smc_index;
    }
  }
  return smc_hits;
}

Megaflow* Dpcls::Insert(std::unique_ptr<Megaflow> flow) {
  flow->match.Normalize();
  flow->Prepare();
  Subtable* st = nullptr;
  for (auto& s : subtables_) {
    if (s->mask == flow->match.mask) {
      st = s.get();
      break;
    }
  }
  if (!st) {
    subtables_.push_back(std::make_unique<Subtable>(flow->match.mask));
    st = subtables_.back().get();
  }
  Megaflow* f = flow.get();
  f->smc_index = static_cast<uint32_t>(flows_.size());
  flows_.push_back(std::move(flow));
  st->Put(f);
  if (IsPortOnly(f->match.mask)) {
    uint32_t port = f->match.key.in_port;
    if (port >= port_flows_.size()) port_flows_.resize(port + 1, nullptr);
    port_flows_[port] = f;
  }
  return f;
}

void Dpcls::Rank() {
  std::stable_sort(subtables_.begin(), subtables_.end(),
                   [](const auto& a, const auto& b) { return a->hits > b->hits; });
  for (auto& st : subtables_) st->hits = 0;
}

size_t Dpcls::Retain(const std::function<bool(Megaflow&)>& keep) {
  std::vector<std::unique_ptr<Megaflow>> old;
  old.swap(flows_);
  subtables_.clear();
  port_flows_.clear();
  size_t freed = 0;
  for (auto& f : old) {
    if (keep(*f)) {
      Insert(std::move(f));
    } else {
      freed++;
    }
  }
  return freed;
}

void Dpcls::Clear() {
  subtables_.clear();
  port_flows_.clear();
  flows_.clear();
}

}  // namespace vs::dp
