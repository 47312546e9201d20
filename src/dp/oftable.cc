// OpenFlow table: copy-on-write rule lists.
#include "dp/oftable.h"

#include <algorithm>

#include <fmt/format.h>

namespace vs::dp {
namespace {

bool CookieMatches(const Rule& r, const FlowSpec& f) {
  return f.cookie_mask == 0 || (r.cookie & f.cookie_mask) == f.cookie;
}

bool Before(const std::shared_ptr<const Rule>& a, const std::shared_ptr<const Rule>& b) {
  if (a->priority != b->priority) return a->priority > b->priority;
  return a->seq < b->seq;
}

}  // namespace

const Rule* LookupRule(const RuleList& rules, const FlowKey& key, FlowKey* consulted) {
  for (const auto& r : rules) {
    OrMask(consulted, r->match.mask);
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
  rules_ = std::make_shared<const RuleList>(RuleList{r});
}

bool OfTable::Add(const FlowSpec& spec, uint64_t now_ns) {
  auto r = std::make_shared<Rule>();
  r->priority = spec.priority;
  r->cookie = spec.cookie;
  r->match = spec.match;
  r->actions = spec.actions;
  r->created_ns = now_ns;
  r->seq = next_seq_++;
  auto next = std::make_shared<RuleList>();
  next->reserve(rules_->size() + 1);
  bool replaced = false;
  for (const auto& old : *rules_) {
    if (old->priority == spec.priority && old->match == spec.match) {
      replaced = true;
      continue;
    }
    next->push_back(old);
  }
  next->insert(std::upper_bound(next->begin(), next->end(), r, Before), r);
  rules_ = std::move(next);
  return replaced;
}

size_t OfTable::Delete(const FlowSpec& spec, bool strict) {
  auto next = std::make_shared<RuleList>();
  for (const auto& r : *rules_) {
    bool hit = strict ? (r->priority == spec.priority && r->match == spec.match)
                      : MatchCovers(spec.match, r->match);
    if (!(hit && CookieMatches(*r, spec))) next->push_back(r);
  }
  size_t removed = rules_->size() - next->size();
  rules_ = std::move(next);
  return removed;
}

std::string OfTable::Dump(const PortNamer& namer, uint64_t now_ns, const FlowSpec* filter) const {
  std::string out;
  for (const auto& r : *rules_) {
    if (filter && !(MatchCovers(filter->match, r->match) && CookieMatches(*r, *filter))) continue;
    double dur = now_ns >= r->created_ns ? (now_ns - r->created_ns) / 1e9 : 0.0;
    out += fmt::format(" cookie={:#x}, duration={:.3f}s, table=0, n_packets={}, n_bytes={}, {}\n",
                       r->cookie, dur, r->n_packets.load(std::memory_order_relaxed),
                       r->n_bytes.load(std::memory_order_relaxed),
                       FormatFlow(r->priority, r->match, r->actions, namer));
  }
  return out;
}

}  // namespace vs::dp
