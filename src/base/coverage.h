// Coverage counters: named counts of events (an upcall, a reconfiguration, a
// database transaction, ...) that `ovs-appctl coverage/show` prints with their
// rates over the last 5 seconds, minute and hour, as OVS's lib/coverage.h.
//
// A subsystem defines a counter once, at namespace scope in its .cc file:
//
//   VS_COVERAGE_DEFINE(bridge_reconfigure);
//   ...
//   VS_COVERAGE_INC(bridge_reconfigure);   // or VS_COVERAGE_ADD(name, n)
//
// Counting is cheap enough for a PMD's batch path: each thread has its own
// slots (thread_local, allocated on the thread's first count, a relaxed
// load + store, no lock, no shared cache line); a reader sums the slots of
// all live threads plus what exited threads left behind. Two definitions of
// one name share one counter. At most kMaxCounters names per process.
//
// Threading: Add() from any thread; Totals(), Sample() and the text functions
// from any thread (they take the registry's mutex, which Add() never does).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace vs::coverage {

constexpr size_t kMaxCounters = 256;
// Seconds per rate sample (OVS's COVERAGE_RUN_INTERVAL).
constexpr int kSampleSeconds = 5;

// One thread's slots.
struct ThreadSlots {
  std::atomic<uint64_t> v[kMaxCounters] = {};
};

// The calling thread's slots (null until it counted once).
extern constinit thread_local ThreadSlots* t_slots;
// Allocates and registers the calling thread's slots.
ThreadSlots* AttachThread();

class Counter {
 public:
  // Registers `name` (static storage only: defined by VS_COVERAGE_DEFINE).
  explicit Counter(const char* name);
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void Add(uint64_t n = 1) {
    ThreadSlots* s = t_slots;
    if (!s) [[unlikely]]
      s = AttachThread();
    std::atomic<uint64_t>& c = s->v[index_];
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  size_t index() const { return index_; }

 private:
  size_t index_;
};

// Every registered counter with its total so far, in registration order.
std::vector<std::pair<std::string, uint64_t>> Totals();

// Records one rate sample (call every kSampleSeconds; the daemons' main loop
// does). now_s: a monotonic clock in seconds, so that a late call spreads its
// counts over the slots it missed, as OVS does.
void Sample(uint64_t now_s);

// The text of `coverage/show`, OVS's layout: a header line with a hash of the
// counters' shape, one line per counter that was ever hit
// ("NAME  R/sec  M/sec  H/sec   total: N"), then "N events never hit".
std::string ShowText();

// `coverage/read-counter NAME`: the total. Errors: ENOENT ("No such counter").
Result<uint64_t> ReadCounter(const std::string& name);

}  // namespace vs::coverage

// Internal linkage: each file has its own handle; equal names share the counter.
#define VS_COVERAGE_DEFINE(name) static ::vs::coverage::Counter coverage_##name(#name)
#define VS_COVERAGE_ADD(name, n) coverage_##name.Add(n)
#define VS_COVERAGE_INC(name) coverage_##name.Add(1)
