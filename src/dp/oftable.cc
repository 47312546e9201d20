// OpenFlow table: copy-on-write rule lists.
#include "dp/oftable.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace vs::dp {
namespace {

bool CookieMatches(const Rule& r, const FlowSpec& f) {
  return f.cookie_mask == 0 || (r.cookie & f.cookie_mask) == f.cookie;
}

bool Before(const std::shared_ptr<const Rule>& a, const std::shared_ptr<const Rule>& b) {
  if (a->priority != b->priority) return a->priority > b->priority;
  return a->seq < b->seq;
}

FlowKey And(const FlowKey& a, const FlowKey& b) {
  FlowKey r;
  KeyWord* w = Words(r);
  const KeyWord* x = Words(a);
  const KeyWord* y = Words(b);
  for (int i = 0; i < kKeyWords; i++) w[i] = x[i] & y[i];
  return r;
}

// The fields up to each stage: Ethernet and VLAN (with in_port), then the L3 ones.
FlowKey StageFields(int stage) {
  FlowKey f{};
  f.in_port = ~0u;
  f.dl_type = 0xffff;
  f.vlan_tci = 0xffff;
  std::memset(f.dl_src, 0xff, 6);
  std::memset(f.dl_dst, 0xff, 6);
  if (stage >= 1) {
    f.nw_src = f.nw_dst = ~0u;
    f.nw_proto = f.nw_tos = f.nw_ttl = f.nw_frag = 0xff;
    std::memset(f.ipv6_src, 0xff, 16);
    std::memset(f.ipv6_dst, 0xff, 16);
  }
  return f;
}

void InitStages(RuleSet::Group* g) {
  FlowKey prev{};
  for (int s = 0; s < RuleSet::kStages; s++) {
    g->stage_mask[s] = And(g->mask, StageFields(s));
    g->stage_used[s] = !(g->stage_mask[s] == prev) && !(g->stage_mask[s] == g->mask);
    prev = g->stage_mask[s];
  }
}

bool Better(const Rule* a, const Rule* b) {
  if (a->priority != b->priority) return a->priority > b->priority;
  return a->seq < b->seq;
}

}  // namespace

std::shared_ptr<const RuleSet> RuleSet::Build(RuleList list) {
  auto set = std::make_shared<RuleSet>();
  set->list = std::move(list);
  std::unordered_map<FlowKey, size_t, KeyHash> group_of;  // mask -> index in groups
  for (const auto& r : set->list) {  // list order: best first within every bucket
    auto [it, fresh] = group_of.try_emplace(r->match.mask, set->groups.size());
    if (fresh) {
      set->groups.emplace_back();
      set->groups.back().mask = r->match.mask;
      set->groups.back().max_priority = r->priority;
      InitStages(&set->groups.back());
    }
    Group& g = set->groups[it->second];
    for (int st = 0; st < kStages; st++) {
      if (g.stage_used[st]) g.stage_keys[st].insert(And(r->match.key, g.stage_mask[st]));
    }
    g.by_key[r->match.key].push_back(r.get());
  }
  std::stable_sort(set->groups.begin(), set->groups.end(),
                   [](const Group& a, const Group& b) { return a.max_priority > b.max_priority; });
  return set;
}

const Rule* LookupRule(const RuleSet& rules, const FlowKey& key, FlowKey* consulted) {
  const Rule* best = nullptr;
  for (const RuleSet::Group& g : rules.groups) {
    if (best && g.max_priority < best->priority) break;
    bool staged_out = false;
    for (int st = 0; st < RuleSet::kStages && !staged_out; st++) {
      if (!g.stage_used[st]) continue;
      if (!g.stage_keys[st].count(And(key, g.stage_mask[st]))) {
        OrMask(consulted, g.stage_mask[st]);  // no rule here agrees on these fields
        staged_out = true;
      }
    }
    if (staged_out) continue;
    OrMask(consulted, g.mask);
    auto it = g.by_key.find(And(key, g.mask));
    if (it == g.by_key.end()) continue;
    const Rule* cand = it->second.front();
    if (!best || Better(cand, best)) best = cand;
  }
  return best;
}

const Rule* LookupRuleLinear(const RuleSet& rules, const FlowKey& key) {
  for (const auto& r : rules.list) {
    if (r->match.Matches(key)) return r.get();
  }
  return nullptr;
}

OfTable::OfTable(uint64_t now_ns) {
  auto r = std::make_shared<Rule>();
  r->priority = 0;
  r->actions.push_back(OfAction{OfActionType::kNormal});
  r->created_ns = now_ns;
  r->seq = next_seq_++;
  rules_ = RuleSet::Build(RuleList{r});
}

bool OfTable::Add(const FlowSpec& spec, uint64_t now_ns) {
  auto r = std::make_shared<Rule>();
  r->priority = spec.priority;
  r->cookie = spec.cookie;
  r->match = spec.match;
  r->actions = spec.actions;
  r->created_ns = now_ns;
  r->seq = next_seq_++;
  RuleList next;
  next.reserve(rules_->size() + 1);
  bool replaced = false;
  for (const auto& old : rules_->list) {
    if (old->priority == spec.priority && old->match == spec.match) {
      replaced = true;
      continue;
    }
    next.push_back(old);
  }
  std::shared_ptr<const Rule> cr = r;
  next.insert(std::upper_bound(next.begin(), next.end(), cr, Before), cr);
  rules_ = RuleSet::Build(std::move(next));
  return replaced;
}

size_t OfTable::AddAll(const std::vector<FlowSpec>& specs, uint64_t now_ns) {
  // (priority, match) -> position in `all`; replaced rules become null.
  struct Id {
    uint16_t priority;
    Match match;
    bool operator==(const Id& o) const { return priority == o.priority && match == o.match; }
  };
  struct IdHash {
    size_t operator()(const Id& id) const {
      return HashKey(id.match.key) ^ (static_cast<size_t>(HashKey(id.match.mask)) << 16) ^
             id.priority;
    }
  };
  std::vector<std::shared_ptr<const Rule>> all(rules_->list.begin(), rules_->list.end());
  std::unordered_map<Id, size_t, IdHash> where;
  for (size_t i = 0; i < all.size(); i++) where[Id{all[i]->priority, all[i]->match}] = i;
  size_t replaced = 0;
  for (const FlowSpec& spec : specs) {
    auto r = std::make_shared<Rule>();
    r->priority = spec.priority;
    r->cookie = spec.cookie;
    r->match = spec.match;
    r->actions = spec.actions;
    r->created_ns = now_ns;
    r->seq = next_seq_++;
    auto [it, fresh] = where.try_emplace(Id{spec.priority, spec.match}, all.size());
    if (!fresh) {
      all[it->second] = nullptr;
      it->second = all.size();
      replaced++;
    }
    all.push_back(std::move(r));
  }
  std::erase(all, nullptr);
  std::stable_sort(all.begin(), all.end(), Before);
  rules_ = RuleSet::Build(std::move(all));
  return replaced;
}

size_t OfTable::Delete(const FlowSpec& spec, bool strict) {
  RuleList next;
  for (const auto& r : rules_->list) {
    bool hit = strict ? (r->priority == spec.priority && r->match == spec.match)
                      : MatchCovers(spec.match, r->match);
    if (!(hit && CookieMatches(*r, spec))) next.push_back(r);
  }
  size_t removed = rules_->size() - next.size();
  if (removed) rules_ = RuleSet::Build(std::move(next));
  return removed;
}

std::string OfTable::Dump(const PortNamer& namer, uint64_t now_ns, const FlowSpec* filter) const {
  std::string out;
  for (const auto& r : rules_->list) {
    if (filter && !(MatchCovers(filter->match, r->match) && CookieMatches(*r, *filter))) continue;
    double dur = now_ns >= r->created_ns ? (now_ns - r->created_ns) / 1e9 : 0.0;
    out += fmt::format(" cookie={:#x}, duration={:.3f}s, table=0, n_packets={}, n_bytes={}, {}\n",
                       r->cookie, dur, r->n_packets(),
                       r->n_bytes(),
                       FormatFlow(r->priority, r->match, r->actions, namer));
  }
  return out;
}

std::string OfTable::DumpAppctl(const PortNamer& namer, uint64_t now_ns) const {
  std::string out;
  for (const auto& r : rules_->list) {
    uint64_t dur = now_ns >= r->created_ns ? (now_ns - r->created_ns) / 1000000000ull : 0;
    // As OVS's cls_rule_format: the priority unless it is the default, then the match.
    std::string match =
        r->priority == kDefaultPriority ? "" : fmt::format("priority={}", r->priority);
    std::string fields = FormatMatch(r->match, namer);
    if (!fields.empty()) match += (match.empty() ? "" : ",") + fields;
    out += fmt::format("duration={}s, n_packets={}, n_bytes={}, {}{}actions={}\n", dur,
                       r->n_packets(), r->n_bytes(), match, match.empty() ? "" : ",",
                       FormatOfActions(r->actions, namer));
  }
  return out;
}

}  // namespace vs::dp
