#include "base/coverage.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>

namespace vs::coverage {

constinit thread_local ThreadSlots* t_slots = nullptr;

namespace {

constexpr size_t kMinuteSamples = 60 / kSampleSeconds;
constexpr size_t kHourSamples = 3600 / kSampleSeconds;

struct Registry {
  std::mutex mu;
  std::vector<std::string> names;
  std::set<ThreadSlots*> live;          // threads that counted and still run
  uint64_t retired[kMaxCounters] = {};  // what exited threads counted
  // Rates: the total at the last sample, and per counter a ring of the counts
  // of the last hour's samples (kSampleSeconds each); `next` is the ring slot
  // the next sample fills.
  uint64_t last_total[kMaxCounters] = {};
  std::vector<std::array<uint32_t, kHourSamples>> ring;
  uint64_t next = 0;
  uint64_t next_due_s = 0;  // 0: no sample yet
};

// Never destroyed: threads may exit (and fold their counts in) after static
// destructors ran.
Registry& Reg() {
  static Registry* r = new Registry;
  return *r;
}

// Folds the exiting thread's counts into `retired` and forgets its slots.
struct ThreadGuard {
  ThreadSlots* slots = nullptr;
  ~ThreadGuard() {
    if (!slots) return;
    Registry& r = Reg();
    {
      std::lock_guard<std::mutex> lock(r.mu);
      for (size_t i = 0; i < kMaxCounters; i++)
        r.retired[i] += slots->v[i].load(std::memory_order_relaxed);
      r.live.erase(slots);
    }
    t_slots = nullptr;
    delete slots;
  }
};

// Totals, with r.mu held.
std::vector<uint64_t> TotalsLocked(Registry& r) {
  std::vector<uint64_t> t(r.names.size());
  for (size_t i = 0; i < t.size(); i++) {
    uint64_t sum = r.retired[i];
    for (const ThreadSlots* s : r.live) sum += s->v[i].load(std::memory_order_relaxed);
    t[i] = sum;
  }
  return t;
}

// A hash of which counters were hit and how they rank (as OVS's, so that two
// outputs with the same shape show the same hash); FNV-1a.
uint32_t ShapeHash(const std::vector<std::string>& names, const std::vector<uint64_t>& totals) {
  std::vector<size_t> order(names.size());
  for (size_t i = 0; i < order.size(); i++) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return totals[a] != totals[b] ? totals[a] > totals[b] : names[a] < names[b];
  });
  uint32_t h = 2166136261u;
  auto mix = [&h](const void* p, size_t n) {
    for (size_t i = 0; i < n; i++) {
      h ^= static_cast<const uint8_t*>(p)[i];
      h *= 16777619u;
    }
  };
  uint32_t rank = 0;
  for (size_t k = 0; k < order.size() && totals[order[k]]; k++) {
    if (k == 0 || totals[order[k]] != totals[order[k - 1]]) {
      rank = static_cast<uint32_t>(k);
      mix(&rank, sizeof rank);
    }
    mix(names[order[k]].data(), names[order[k]].size());
  }
  return h;
}

}  // namespace

ThreadSlots* AttachThread() {
  static thread_local ThreadGuard guard;
  auto* s = new ThreadSlots;
  Registry& r = Reg();
  {
    std::lock_guard<std::mutex> lock(r.mu);
    r.live.insert(s);
  }
  guard.slots = s;
  t_slots = s;
  return s;
}

Counter::Counter(const char* name) {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lock(r.mu);
  auto it = std::find(r.names.begin(), r.names.end(), name);
  if (it != r.names.end()) {
    index_ = static_cast<size_t>(it - r.names.begin());
    return;
  }
  if (r.names.size() >= kMaxCounters) {
    std::fprintf(stderr, "coverage: more than %zu counters (raise kMaxCounters)\n", kMaxCounters);
    std::abort();
  }
  index_ = r.names.size();
  r.names.push_back(name);
}

std::vector<std::pair<std::string, uint64_t>> Totals() {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<uint64_t> t = TotalsLocked(r);
  std::vector<std::pair<std::string, uint64_t>> out;
  for (size_t i = 0; i < t.size(); i++) out.emplace_back(r.names[i], t[i]);
  return out;
}

void Sample(uint64_t now_s) {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lock(r.mu);
  if (r.next_due_s == 0) r.next_due_s = now_s;
  if (now_s < r.next_due_s) return;
  // Missed samples (a busy loop) share the counts evenly, as in OVS.
  uint64_t slots = std::min<uint64_t>((now_s - r.next_due_s) / kSampleSeconds + 1, kHourSamples);
  std::vector<uint64_t> t = TotalsLocked(r);
  r.ring.resize(t.size(), std::array<uint32_t, kHourSamples>{});
  for (size_t i = 0; i < t.size(); i++) {
    uint64_t delta = t[i] - r.last_total[i];
    r.last_total[i] = t[i];
    for (uint64_t j = 0; j < slots; j++) {
      uint64_t part = delta / slots + (j == slots - 1 ? delta % slots : 0);
      r.ring[i][(r.next + j) % kHourSamples] =
          static_cast<uint32_t>(std::min<uint64_t>(part, UINT32_MAX));
    }
  }
  r.next += slots;
  r.next_due_s += slots * kSampleSeconds;
}

std::string ShowText() {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<uint64_t> t = TotalsLocked(r);
  std::string out = fmt::format(
      "Event coverage, avg rate over last: {} seconds, last minute, last hour,  hash={:08x}:\n",
      kSampleSeconds, ShapeHash(r.names, t));
  size_t never = 0;
  for (size_t i = 0; i < t.size(); i++) {
    if (!t[i]) {
      never++;
      continue;
    }
    double last = 0, minute = 0, hour = 0;
    if (i < r.ring.size() && r.next > 0) {
      const auto& ring = r.ring[i];
      last = ring[(r.next - 1) % kHourSamples];
      for (size_t k = 1; k <= kMinuteSamples && k <= r.next; k++)
        minute += ring[(r.next - k) % kHourSamples];
      for (uint32_t v : ring) hour += v;
    }
    out += fmt::format("{:<24} {:5.1f}/sec {:9.3f}/sec {:13.4f}/sec   total: {}\n", r.names[i],
                       last / kSampleSeconds, minute / 60.0, hour / 3600.0, t[i]);
  }
  out += fmt::format("{} events never hit\n", never);
  return out;
}

Result<uint64_t> ReadCounter(const std::string& name) {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lock(r.mu);
  auto it = std::find(r.names.begin(), r.names.end(), name);
  if (it == r.names.end()) return Status(ENOENT, "No such counter");
  return TotalsLocked(r)[static_cast<size_t>(it - r.names.begin())];
}

}  // namespace vs::coverage
