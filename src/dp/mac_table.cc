// MAC learning table.
#include "dp/mac_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "base/coverage.h"

namespace vs::dp {

MacTable::MacTable(std::atomic<uint64_t>* generation, uint64_t aging_ns, size_t max_entries)
    : generation_(generation), aging_ns_(aging_ns), max_entries_(max_entries) {}

uint64_t MacTable::KeyOf(const uint8_t m[6], uint16_t vlan) {
  uint64_t k = static_cast<uint64_t>(vlan & kVlanVidMask) << 48;
  for (int i = 0; i < 6; i++) k |= static_cast<uint64_t>(m[i]) << (40 - 8 * i);
  return k;
}

VS_COVERAGE_DEFINE(mac_learning_learned);
VS_COVERAGE_DEFINE(mac_learning_moved);
VS_COVERAGE_DEFINE(mac_learning_expired);
VS_COVERAGE_DEFINE(mac_learning_evicted);

bool MacTable::Learn(const uint8_t mac[6], uint16_t vlan, uint32_t port, uint64_t now_ns) {
  if (mac[0] & 1) return false;
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t key = KeyOf(mac, vlan);
  if (static_.count(key)) return false;
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    bool expired = now_ns - it->second.seen_ns >= aging_ns_;
    bool moved = it->second.port != port;
    it->second.port = port;
    Touch(it->second, now_ns);
    if (moved) VS_COVERAGE_INC(mac_learning_moved);
    if (moved || expired) Bump();
    return moved || expired;
  }
  if (entries_.size() >= max_entries_ && !lru_.empty()) {
    entries_.erase(lru_.back());
    lru_.pop_back();
    VS_COVERAGE_INC(mac_learning_evicted);
  }
  lru_.push_front(key);
  VS_COVERAGE_INC(mac_learning_learned);
  entries_.emplace(key, Entry{port, now_ns, lru_.begin()});
  Bump();
  return true;
}

void MacTable::AddStatic(const uint8_t mac[6], uint16_t vlan, uint32_t port) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t key = KeyOf(mac, vlan);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    lru_.erase(it->second.lru);
    entries_.erase(it);
  }
  static_[key] = port;
  Bump();
}

void MacTable::Refresh(const uint8_t mac[6], uint16_t vlan, uint32_t port, uint64_t now_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(KeyOf(mac, vlan));
  if (it == entries_.end()) return;
  if (it->second.port != port) Bump();
  it->second.port = port;
  Touch(it->second, now_ns);
}

std::optional<uint32_t> MacTable::Lookup(const uint8_t mac[6], uint16_t vlan,
                                         uint64_t now_ns) const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t key = KeyOf(mac, vlan);
  if (auto st = static_.find(key); st != static_.end()) return st->second;
  auto it = entries_.find(key);
  if (it == entries_.end() || now_ns - it->second.seen_ns >= aging_ns_) return std::nullopt;
  return it->second.port;
}

size_t MacTable::Expire(uint64_t now_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  // The LRU list is ordered by last sighting, so the expired ones are at its end.
  while (!lru_.empty()) {
    auto it = entries_.find(lru_.back());
    if (now_ns - it->second.seen_ns < aging_ns_) break;
    entries_.erase(it);
    lru_.pop_back();
    n++;
  }
  if (n) Bump();
  VS_COVERAGE_ADD(mac_learning_expired, n);
  return n;
}

void MacTable::FlushPort(uint32_t port) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.port == port) {
      lru_.erase(it->second.lru);
      it = entries_.erase(it);
      n++;
    } else {
      ++it;
    }
  }
  n += std::erase_if(static_, [port](const auto& kv) { return kv.second == port; });
  if (n) Bump();
}

void MacTable::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!entries_.empty() || !static_.empty()) Bump();
  entries_.clear();
  lru_.clear();
  static_.clear();
}

size_t MacTable::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size() + static_.size();
}

std::string MacTable::Show(const PortNamer& namer, uint64_t now_ns) const {
  struct Row {
    uint32_t port;
    uint16_t vlan;
    uint8_t mac[6];
    uint64_t age_s;
    bool is_static;
  };
  std::vector<Row> rows;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [k, e] : entries_) {
      if (now_ns - e.seen_ns >= aging_ns_) continue;
      Row r{e.port, static_cast<uint16_t>(k >> 48), {}, (now_ns - e.seen_ns) / 1000000000ull,
            false};
      for (int i = 0; i < 6; i++) r.mac[i] = static_cast<uint8_t>(k >> (40 - 8 * i));
      rows.push_back(r);
    }
    for (const auto& [k, port] : static_) {
      Row r{port, static_cast<uint16_t>(k >> 48), {}, 0, true};
      for (int i = 0; i < 6; i++) r.mac[i] = static_cast<uint8_t>(k >> (40 - 8 * i));
      rows.push_back(r);
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.port, a.vlan) < std::tie(b.port, b.vlan);
  });
  std::string out = " port  VLAN  MAC                Age\n";
  for (const Row& r : rows) {
    std::string name = namer ? namer(r.port) : std::string();
    if (name.empty()) name = std::to_string(r.port);
    out += fmt::format("{:>5}  {:>4}  {}  {:>3}\n", name, r.vlan, FormatMac(r.mac),
                       r.is_static ? std::string("static") : std::to_string(r.age_s));
  }
  return out;
}

}  // namespace vs::dp
