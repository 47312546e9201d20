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
  for (size_t i = 0; i < actions.size(); i++) {
    if (actions[i].type == DpActionType::kOutput) {
      last_output = static_cast<int16_t>(i);
    } else {
      last_modify = static_cast<int16_t>(i);
    }
  }
}

struct Dpcls::Subtable {
  FlowKey mask{};
  uint8_t words[kKeyWords];  // indices of the mask's nonzero words
  int n_words = 0;
  struct Slot {
    uint32_t hash;
    Megaflow* flow;  // nullptr = empty
  };
  std::vector<Slot> slots;  // power of two, at most half full
  size_t used = 0;
  mutable uint64_t hits = 0;  // since the last Rank()

  explicit Subtable(const FlowKey& m) : mask(m) {
    const KeyWord* w = Words(mask);
    for (int i = 0; i < kKeyWords; i++) {
      if (w[i]) words[n_words++] = static_cast<uint8_t>(i);
    }
    slots.assign(16, Slot{0, nullptr});
  }

  uint32_t Hash(const FlowKey& k) const {
    const KeyWord* kw = Words(k);
    const KeyWord* mw = Words(mask);
    uint64_t h = 0;
    for (int i = 0; i < n_words; i++) h = HashMix(h, kw[words[i]] & mw[words[i]]);
    return HashFinish(h);
  }
  // True if k & mask == flow's masked key (only the mask's words can differ).
  bool Equal(const FlowKey& k, const Megaflow& f) const {
    const KeyWord* kw = Words(k);
    const KeyWord* mw = Words(mask);
    const KeyWord* fw = Words(f.match.key);
    uint64_t diff = 0;
    for (int i = 0; i < n_words; i++) diff |= (kw[words[i]] & mw[words[i]]) ^ fw[words[i]];
    return diff == 0;
  }
  Megaflow* Find(const FlowKey& k, uint32_t h) const {
    size_t m = slots.size() - 1;
    for (size_t i = h & m;; i = (i + 1) & m) {
      const Slot& s = slots[i];
      if (!s.flow) return nullptr;
      if (s.hash == h && Equal(k, *s.flow)) return s.flow;
    }
  }
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

void Dpcls::LookupBatch(const FlowKey* keys, uint32_t* miss_map, Megaflow** flows) const {
  uint32_t hashes[32];
  for (const auto& st : subtables_) {
    uint32_t todo = *miss_map;
    if (!todo) return;
    size_t m = st->slots.size() - 1;
    for (uint32_t t = todo; t; t &= t - 1) {
      int i = __builtin_ctz(t);
      hashes[i] = st->Hash(keys[i]);
      __builtin_prefetch(&st->slots[hashes[i] & m]);
    }
    // The first probe's flow, if its hash matches, is what Find will compare.
    for (uint32_t t = todo; t; t &= t - 1) {
      int i = __builtin_ctz(t);
      const Subtable::Slot& slot = st->slots[hashes[i] & m];
      if (slot.flow && slot.hash == hashes[i]) __builtin_prefetch(&slot.flow->match.key);
    }
    for (uint32_t t = todo; t; t &= t - 1) {
      int i = __builtin_ctz(t);
      if (Megaflow* f = st->Find(keys[i], hashes[i])) {
        flows[i] = f;
        *miss_map &= ~(1u << i);
      }
    }
    st->hits += static_cast<uint64_t>(__builtin_popcount(todo & ~*miss_map));
  }
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
  flows_.push_back(std::move(flow));
  st->Put(f);
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
  flows_.clear();
}

}  // namespace vs::dp
