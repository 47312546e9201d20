// OpenFlow tables: levels of copy-on-write rule sets, lookups with conjunctions.
#include "dp/oftable.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace vs::dp {
namespace {

constexpr int kTableWords = kKeyWords + kMetaWords;

const KeyWord* Words(const TableKey& k) { return reinterpret_cast<const KeyWord*>(&k); }
KeyWord* Words(TableKey& k) { return reinterpret_cast<KeyWord*>(&k); }
static_assert(sizeof(TableKey) == kTableWords * 8);

bool CookieMatches(const Rule& r, const FlowSpec& f) {
  return f.cookie_mask == 0 || (r.cookie & f.cookie_mask) == f.cookie;
}

bool Better(const Rule* a, const Rule* b) {
  if (a->priority != b->priority) return a->priority > b->priority;
  return a->seq < b->seq;
}
bool Before(const std::shared_ptr<const Rule>& a, const std::shared_ptr<const Rule>& b) {
  return Better(a.get(), b.get());
}

TableKey And(const TableKey& a, const TableKey& b) {
  TableKey r;
  KeyWord* w = Words(r);
  const KeyWord* x = Words(a);
  const KeyWord* y = Words(b);
  for (int i = 0; i < kTableWords; i++) w[i] = x[i] & y[i];
  return r;
}

size_t HashWords(const KeyWord* w, int n) {
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < n; i++) h = HashMix(h, w[i]);
  return HashFinish(h);
}

// The fields up to each stage: metadata (and in_port), + Ethernet/VLAN, + L3.
TableKey StageFields(int stage) {
  TableKey f{};
  std::memset(&f.meta, 0xff, sizeof f.meta);
  f.flow.in_port = ~0u;
  if (stage >= 1) {
    f.flow.dl_type = 0xffff;
    f.flow.vlan_tci = 0xffff;
    std::memset(f.flow.dl_src, 0xff, 6);
    std::memset(f.flow.dl_dst, 0xff, 6);
  }
  if (stage >= 2) {
    f.flow.nw_src = f.flow.nw_dst = ~0u;
    f.flow.nw_proto = f.flow.nw_tos = f.flow.nw_ttl = f.flow.nw_frag = 0xff;
    std::memset(f.flow.ipv6_src, 0xff, 16);
    std::memset(f.flow.ipv6_dst, 0xff, 16);
  }
  return f;
}

void InitStages(RuleSet::Group* g) {
  TableKey prev{};
  for (int s = 0; s < RuleSet::kStages; s++) {
    g->stage_mask[s] = And(g->mask, StageFields(s));
    g->stage_used[s] = !(g->stage_mask[s] == prev) && !(g->stage_mask[s] == g->mask);
    prev = g->stage_mask[s];
  }
}

TableKey KeyOf(const Rule& r) { return TableKey{r.match.key, r.meta.key}; }
TableKey MaskOf(const Rule& r) { return TableKey{r.match.mask, r.meta.mask}; }

size_t IdentityHash(uint8_t table, uint16_t priority, const Match& m, const MetaMatch& meta) {
  TableKey k{m.key, meta.key}, w{m.mask, meta.mask};
  return HashWords(Words(k), kTableWords) ^ (HashWords(Words(w), kTableWords) << 1) ^
         (static_cast<size_t>(priority) << 8 | table);
}
size_t IdentityHash(const Rule& r) { return IdentityHash(r.table, r.priority, r.match, r.meta); }
bool SameIdentity(const Rule& a, const Rule& b) {
  return a.table == b.table && a.priority == b.priority && a.match == b.match && a.meta == b.meta;
}

// Probes one group; returns the rules whose masked key equals the key's, or null.
const std::vector<const Rule*>* Probe(const RuleSet::Group& g, const TableKey& key,
                                      FlowKey* consulted) {
  for (int st = 0; st < RuleSet::kStages; st++) {
    if (!g.stage_used[st]) continue;
    TableKey sk = And(key, g.stage_mask[st]);
    if (!g.stage_keys[st].count(HashWords(Words(sk), kTableWords))) {
      OrMask(consulted, g.stage_mask[st].flow);  // no rule here agrees on these fields
      return nullptr;
    }
  }
  OrMask(consulted, g.mask.flow);
  auto it = g.by_key.find(And(key, g.mask));
  return it == g.by_key.end() ? nullptr : &it->second;
}

const Rule* LookupPlain(const TableRules& t, const TableKey& key, FlowKey* consulted) {
  const Rule* best = nullptr;
  for (const auto& level : t.levels) {
    for (const RuleSet::Group& g : level->groups) {
      if (best && g.max_priority < best->priority) break;
      const std::vector<const Rule*>* hit = Probe(g, key, consulted);
      if (hit && (!best || Better(hit->front(), best))) best = hit->front();
    }
  }
  return best;
}

// Conjunctive matches above `floor` priority: the conj_id of the first conjunction
// (highest priority first) all of whose clauses match, or 0.
uint32_t FindConjunction(const TableRules& t, const TableKey& key, int floor,
                         FlowKey* consulted) {
  std::vector<const Rule*> cands;
  for (const auto& level : t.levels) {
    for (const RuleSet::Group& g : level->conj_groups) {
      if (static_cast<int>(g.max_priority) <= floor) break;
      const std::vector<const Rule*>* hit = Probe(g, key, consulted);
      if (hit) cands.insert(cands.end(), hit->begin(), hit->end());
    }
  }
  if (cands.empty()) return 0;
  std::sort(cands.begin(), cands.end(), Better);
  size_t i = 0;
  while (i < cands.size()) {
    uint16_t prio = cands[i]->priority;
    struct Seen {
      uint32_t id;
      uint8_t n;
      uint64_t clauses;
    };
    std::vector<Seen> seen;
    for (; i < cands.size() && cands[i]->priority == prio; i++) {
      if (static_cast<int>(prio) <= floor) return 0;
      for (const OfAction& a : cands[i]->actions) {
        if (a.type != OfActionType::kConjunction) continue;
        auto s = std::find_if(seen.begin(), seen.end(), [&](const Seen& x) {
          return x.id == a.value64 && x.n == a.n_clauses;
        });
        if (s == seen.end()) {
          seen.push_back({static_cast<uint32_t>(a.value64), a.n_clauses, 0});
          s = seen.end() - 1;
        }
        s->clauses |= 1ull << a.clause;
      }
    }
    for (const Seen& s : seen) {
      uint64_t all = s.n >= 64 ? ~0ull : (1ull << s.n) - 1;
      if (s.clauses == all) return s.id;
    }
  }
  return 0;
}

}  // namespace

size_t RuleSet::KeyHash::operator()(const TableKey& k) const {
  return HashWords(Words(k), kTableWords);
}

std::shared_ptr<const RuleSet> RuleSet::Build(RuleList list) {
  auto set = std::make_shared<RuleSet>();
  set->list = std::move(list);
  std::unordered_map<TableKey, size_t, KeyHash> group_of[2];  // mask -> index in groups
  for (const auto& r : set->list) {  // list order: best first within every bucket
    std::vector<Group>& groups = r->conjunctive ? set->conj_groups : set->groups;
    TableKey mask = MaskOf(*r);
    auto [it, fresh] = group_of[r->conjunctive].try_emplace(mask, groups.size());
    if (fresh) {
      groups.emplace_back();
      groups.back().mask = mask;
      groups.back().max_priority = r->priority;
      InitStages(&groups.back());
    }
    Group& g = groups[it->second];
    TableKey key = KeyOf(*r);
    for (int st = 0; st < kStages; st++) {
      if (g.stage_used[st])
        g.stage_keys[st].insert(HashWords(Words(And(key, g.stage_mask[st])), kTableWords));
    }
    g.by_key[key].push_back(r.get());
  }
  for (auto* groups : {&set->groups, &set->conj_groups}) {
    std::stable_sort(groups->begin(), groups->end(), [](const Group& a, const Group& b) {
      return a.max_priority > b.max_priority;
    });
  }
  return set;
}

bool RuleSet::Contains(const Rule* r) const {
  const std::vector<Group>& gs = r->conjunctive ? conj_groups : groups;
  TableKey mask = MaskOf(*r);
  for (const Group& g : gs) {
    if (!(g.mask == mask)) continue;
    auto it = g.by_key.find(KeyOf(*r));
    if (it == g.by_key.end()) return false;
    return std::find(it->second.begin(), it->second.end(), r) != it->second.end();
  }
  return false;
}

size_t Pipeline::size() const {
  size_t n = 0;
  for (const TableRules& t : tables) n += t.size;
  return n;
}

RuleList Pipeline::TableList(uint8_t table) const {
  RuleList out;
  if (table >= tables.size()) return out;
  const TableRules& t = tables[table];
  out.reserve(t.size);
  for (const auto& level : t.levels) {
    size_t mid = out.size();
    out.insert(out.end(), level->list.begin(), level->list.end());
    std::inplace_merge(out.begin(), out.begin() + static_cast<ptrdiff_t>(mid), out.end(), Before);
  }
  return out;
}

RuleList Pipeline::All() const {
  RuleList out;
  out.reserve(size());
  for (size_t t = 0; t < tables.size(); t++) {
    if (!tables[t].size) continue;
    RuleList one = TableList(static_cast<uint8_t>(t));
    out.insert(out.end(), one.begin(), one.end());
  }
  return out;
}

const Rule* LookupTable(const Pipeline& p, uint8_t table, const FlowKey& key,
                        const PipeMeta& meta, FlowKey* consulted) {
  if (table >= p.tables.size()) return nullptr;
  const TableRules& t = p.tables[table];
  TableKey k{key, meta};
  const Rule* best = LookupPlain(t, k, consulted);
  bool any_conj = false;
  for (const auto& level : t.levels) any_conj |= !level->conj_groups.empty();
  if (!any_conj) return best;
  int floor = best ? best->priority : -1;
  uint32_t id = FindConjunction(t, k, floor, consulted);
  if (id == 0) return best;
  k.meta.conj_id = id;
  const Rule* conj = LookupPlain(t, k, consulted);
  return conj ? conj : best;
}

const Rule* LookupRule(const Pipeline& p, const FlowKey& key, FlowKey* consulted) {
  return LookupTable(p, 0, key, PipeMeta{}, consulted);
}

const Rule* LookupRuleLinear(const Pipeline& p, uint8_t table, const FlowKey& key,
                             const PipeMeta& meta) {
  for (const auto& r : p.TableList(table)) {
    if (!r->conjunctive && r->match.Matches(key) && r->meta.Matches(meta)) return r.get();
  }
  return nullptr;
}

const Rule* LookupRuleLinear(const Pipeline& p, const FlowKey& key) {
  return LookupRuleLinear(p, 0, key, PipeMeta{});
}

OfTable::OfTable(uint64_t now_ns) : tables_(kNumTables) {
  FlowSpec normal;
  normal.priority = 0;
  normal.actions.push_back(OfAction{OfActionType::kNormal});
  Add(normal, now_ns);
}

std::shared_ptr<const Pipeline> OfTable::rules() const {
  if (!published_) {
    auto p = std::make_shared<Pipeline>();
    p->tables = tables_;
    published_ = std::move(p);
  }
  return published_;
}

std::shared_ptr<Rule> OfTable::MakeRule(const FlowSpec& spec, uint64_t now_ns) {
  auto r = std::make_shared<Rule>();
  r->priority = spec.priority;
  r->table = spec.table;
  r->cookie = spec.cookie;
  r->match = spec.match;
  r->meta = spec.meta;
  r->actions = spec.actions;
  r->conjunctive = !spec.actions.empty();
  for (const OfAction& a : spec.actions) {
    if (a.type != OfActionType::kConjunction && a.type != OfActionType::kNote)
      r->conjunctive = false;
  }
  bool has_conj = std::any_of(spec.actions.begin(), spec.actions.end(), [](const OfAction& a) {
    return a.type == OfActionType::kConjunction;
  });
  r->conjunctive = r->conjunctive && has_conj;
  r->created_ns = now_ns;
  r->seq = next_seq_++;
  return r;
}

const Rule* OfTable::FindSame(const Rule& r) const {
  auto [a, b] = index_.equal_range(IdentityHash(r));
  for (auto it = a; it != b; ++it) {
    if (SameIdentity(*it->second, r)) return it->second;
  }
  return nullptr;
}

void OfTable::IndexAdd(const Rule* r) { index_.emplace(IdentityHash(*r), r); }

void OfTable::IndexDel(const Rule* r) {
  auto [a, b] = index_.equal_range(IdentityHash(*r));
  for (auto it = a; it != b; ++it) {
    if (it->second == r) {
      index_.erase(it);
      return;
    }
  }
}

void OfTable::RemoveFrom(uint8_t t, const std::vector<const Rule*>& victims) {
  if (victims.empty()) return;
  TableRules& tr = tables_[t];
  std::unordered_set<const Rule*> dead(victims.begin(), victims.end());
  std::vector<std::shared_ptr<const RuleSet>> kept;
  for (auto& level : tr.levels) {
    bool touched = false;
    if (dead.size() * 4 < level->size()) {
      for (const Rule* v : victims) touched |= level->Contains(v);
    } else {
      touched = true;
    }
    if (!touched) {
      kept.push_back(level);
      continue;
    }
    RuleList rest;
    rest.reserve(level->size());
    for (const auto& r : level->list) {
      if (!dead.count(r.get())) rest.push_back(r);
    }
    if (rest.size() == level->size()) {
      kept.push_back(level);
    } else if (!rest.empty()) {
      kept.push_back(RuleSet::Build(std::move(rest)));
    }
  }
  for (const Rule* v : victims) IndexDel(v);
  tr.levels = std::move(kept);
  tr.size -= victims.size();
  size_ -= victims.size();
  published_.reset();
}

void OfTable::PushLevel(uint8_t t, RuleList fresh) {
  if (fresh.empty()) return;
  TableRules& tr = tables_[t];
  tr.size += fresh.size();
  size_ += fresh.size();
  for (const auto& r : fresh) IndexAdd(r.get());
  auto level = RuleSet::Build(std::move(fresh));
  // Merge while the older neighbour is at most twice as large: sizes fall geometrically,
  // so there are O(log n) levels and each rule is merged O(log n) times.
  while (!tr.levels.empty() && tr.levels.back()->size() <= 2 * level->size()) {
    RuleList merged;
    merged.reserve(tr.levels.back()->size() + level->size());
    std::merge(tr.levels.back()->list.begin(), tr.levels.back()->list.end(), level->list.begin(),
               level->list.end(), std::back_inserter(merged), Before);
    tr.levels.pop_back();
    level = RuleSet::Build(std::move(merged));
  }
  tr.levels.push_back(std::move(level));
  published_.reset();
}

bool OfTable::Add(const FlowSpec& spec, uint64_t now_ns) {
  return AddAll({spec}, now_ns) > 0;
}

size_t OfTable::AddAll(const std::vector<FlowSpec>& specs, uint64_t now_ns) {
  // New rules per table; a later spec with the same identity replaces an earlier one.
  std::vector<std::vector<std::shared_ptr<Rule>>> fresh(kNumTables);
  std::unordered_multimap<size_t, Rule*> batch;
  std::vector<std::vector<const Rule*>> victims(kNumTables);
  size_t replaced = 0;
  for (const FlowSpec& spec : specs) {
    std::shared_ptr<Rule> r = MakeRule(spec, now_ns);
    size_t h = IdentityHash(*r);
    bool dup = false;
    auto [a, b] = batch.equal_range(h);
    for (auto it = a; it != b; ++it) {
      if (SameIdentity(*it->second, *r)) {
        it->second->seq = ~0ull;  // marks the superseded one
        it->second = r.get();
        dup = true;
        break;
      }
    }
    if (!dup) {
      batch.emplace(h, r.get());
      if (const Rule* old = FindSame(*r)) victims[r->table].push_back(old);
    }
    if (dup || FindSame(*r)) replaced++;
    fresh[r->table].push_back(std::move(r));
  }
  for (int t = 0; t < kNumTables; t++) {
    if (fresh[t].empty()) continue;
    RemoveFrom(static_cast<uint8_t>(t), victims[t]);
    RuleList list;
    list.reserve(fresh[t].size());
    for (auto& r : fresh[t]) {
      if (r->seq != ~0ull) list.push_back(std::move(r));
    }
    std::stable_sort(list.begin(), list.end(), Before);
    PushLevel(static_cast<uint8_t>(t), std::move(list));
  }
  return replaced;
}

size_t OfTable::Delete(const FlowSpec& spec, bool strict) {
  size_t removed = 0;
  for (int t = 0; t < kNumTables; t++) {
    if (spec.table != kAllTables && spec.table != t) continue;
    if (!tables_[t].size) continue;
    std::vector<const Rule*> victims;
    if (strict) {
      Rule probe;
      probe.table = static_cast<uint8_t>(t);
      probe.priority = spec.priority;
      probe.match = spec.match;
      probe.meta = spec.meta;
      const Rule* r = FindSame(probe);
      if (r && CookieMatches(*r, spec)) victims.push_back(r);
    } else {
      for (const auto& level : tables_[t].levels) {
        for (const auto& r : level->list) {
          if (MatchCovers(spec.match, r->match) && MetaCovers(spec.meta, r->meta) &&
              CookieMatches(*r, spec))
            victims.push_back(r.get());
        }
      }
    }
    removed += victims.size();
    RemoveFrom(static_cast<uint8_t>(t), victims);
  }
  return removed;
}

std::string OfTable::Dump(const PortNamer& namer, uint64_t now_ns, const FlowSpec* filter) const {
  std::string out;
  for (const auto& r : rules()->All()) {
    if (filter && !(MatchCovers(filter->match, r->match) && MetaCovers(filter->meta, r->meta) &&
                    CookieMatches(*r, *filter)))
      continue;
    if (filter && filter->has_table && filter->table != kAllTables && filter->table != r->table)
      continue;
    double dur = now_ns >= r->created_ns ? (now_ns - r->created_ns) / 1e9 : 0.0;
    out += fmt::format(" cookie={:#x}, duration={:.3f}s, table={}, n_packets={}, n_bytes={}, {}\n",
                       r->cookie, dur, r->table, r->n_packets(), r->n_bytes(),
                       FormatFlow(r->priority, r->match, r->meta, r->actions, namer));
  }
  return out;
}

std::string OfTable::DumpAppctl(const PortNamer& namer, uint64_t now_ns) const {
  std::string out;
  for (const auto& r : rules()->All()) {
    uint64_t dur = now_ns >= r->created_ns ? (now_ns - r->created_ns) / 1000000000ull : 0;
    // As OVS's cls_rule_format: the table unless 0, the priority unless it is the
    // default, then the match.
    std::string match = r->table ? fmt::format("table_id={}, ", r->table) : "";
    std::string prio =
        r->priority == kDefaultPriority ? "" : fmt::format("priority={}", r->priority);
    std::string fields = FormatFullMatch(r->match, r->meta, namer);
    if (!fields.empty()) prio += (prio.empty() ? "" : ",") + fields;
    out += fmt::format("{}duration={}s, n_packets={}, n_bytes={}, {}{}actions={}\n", match, dur,
                       r->n_packets(), r->n_bytes(), prio, prio.empty() ? "" : ",",
                       FormatOfActions(r->actions, namer));
  }
  return out;
}

}  // namespace vs::dp
