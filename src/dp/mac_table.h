// MacTable: the MAC learning table of one bridge (the NORMAL action's memory).
//
// Entries map (VLAN, MAC) to a port and age out `aging_ns` after they were last seen
// (300 s by default, as OVS). Times come from the caller (an injectable clock), so tests
// control aging exactly.
//
// Threading: written by PMD threads on upcalls (Learn) and by their housekeeping
// (Refresh), read by upcalls (Lookup) and by the control thread (Show, Expire). One mutex
// guards it; it is never taken on the per-packet fast path — only on upcalls, which are
// the slow path, and on housekeeping.
//
// Every change that can alter a forwarding decision (a new entry, a MAC moving to another
// port, an entry expiring or being flushed) bumps the datapath generation it was given,
// which makes every PMD drop its cached megaflows before its next batch.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "dp/match.h"

namespace vs::dp {

constexpr uint64_t kDefaultMacAgingNs = 300ull * 1000 * 1000 * 1000;
constexpr size_t kDefaultMacTableSize = 8192;

class MacTable {
 public:
  MacTable(std::atomic<uint64_t>* generation, uint64_t aging_ns = kDefaultMacAgingNs,
           size_t max_entries = kDefaultMacTableSize);

  // Learns that `mac` on `vlan` is behind `port`. Returns true if that changed the table
  // (new entry or a move). When full, the least recently seen entry is replaced (O(1)).
  // Multicast sources are ignored.
  bool Learn(const uint8_t mac[6], uint16_t vlan, uint32_t port, uint64_t now_ns);
  // A static entry (ovs-appctl fdb/add): never ages and learning does not move it;
  // replaces a learned entry for the same (vlan, mac).
  void AddStatic(const uint8_t mac[6], uint16_t vlan, uint32_t port);
  // Marks an existing entry as seen (no generation bump unless it moved).
  void Refresh(const uint8_t mac[6], uint16_t vlan, uint32_t port, uint64_t now_ns);
  // The port for (vlan, mac) if learned and not aged out.
  std::optional<uint32_t> Lookup(const uint8_t mac[6], uint16_t vlan, uint64_t now_ns) const;
  // Removes aged-out entries; returns how many.
  size_t Expire(uint64_t now_ns);
  // Forgets everything learned on `port` (port deleted or its VLAN changed).
  void FlushPort(uint32_t port);
  void Flush();

  // ovs-appctl fdb/show text: " port  VLAN  MAC                Age".
  std::string Show(const PortNamer& namer, uint64_t now_ns) const;

  size_t size() const;
  uint64_t aging_ns() const { return aging_ns_; }

 private:
  struct Entry {
    uint32_t port;
    uint64_t seen_ns;
    std::list<uint64_t>::iterator lru;  // position in lru_
  };
  // Marks the entry most recently seen.
  void Touch(Entry& e, uint64_t now_ns) {
    e.seen_ns = now_ns;
    lru_.splice(lru_.begin(), lru_, e.lru);
  }
  static uint64_t KeyOf(const uint8_t mac[6], uint16_t vlan);
  void Bump() { generation_->fetch_add(1, std::memory_order_release); }

  std::atomic<uint64_t>* generation_;
  const uint64_t aging_ns_;
  const size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Entry> entries_;  // guarded by mu_
  std::list<uint64_t> lru_;                      // keys, most recently seen first; guarded by mu_
  std::unordered_map<uint64_t, uint32_t> static_;  // key -> port; guarded by mu_
};

}  // namespace vs::dp
