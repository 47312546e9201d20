// OpenFlow table: default rule, add/replace, priorities, del-flows strict and not, dump.
#include "dp/oftable.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>

#include "dp/flow_parse.h"

namespace vs::dp {
namespace {

std::optional<uint32_t> Resolve(std::string_view n) {
  if (n == "dpdk0") return 1;
  if (n == "dpdk1") return 2;
  return std::nullopt;
}
std::string Name(uint32_t p) { return p == 1 ? "dpdk0" : p == 2 ? "dpdk1" : ""; }

FlowSpec Spec(std::string_view s, ParseMode m = ParseMode::kAdd) {
  auto r = ParseFlow(s, m, Resolve);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return *r;
}

FlowKey Key(uint32_t in_port, uint16_t dl_type, uint32_t nw_dst, uint8_t proto = 0,
            uint16_t tp_dst = 0) {
  FlowKey k{};
  k.in_port = in_port;
  k.dl_type = dl_type;
  k.nw_dst = nw_dst;
  k.nw_proto = proto;
  k.tp_dst = tp_dst;
  return k;
}

TEST(OfTable, NewTableHasNormal) {
  OfTable t(0);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.Dump(Name, 1500000000, nullptr),
            " cookie=0x0, duration=1.500s, table=0, n_packets=0, n_bytes=0, priority=0 "
            "actions=NORMAL\n");
}

TEST(OfTable, PriorityOrderAndReplace) {
  OfTable t(0);
  EXPECT_FALSE(
      t.Add(Spec("priority=100,in_port=dpdk0,ip,nw_dst=10.0.0.0/8,actions=output:dpdk1"), 0));
  EXPECT_FALSE(t.Add(Spec("priority=200,tcp,tp_dst=80,actions=drop"), 0));
  FlowKey consulted{};
  const Rule* r = LookupRule(*t.rules(), Key(1, kEthTypeIpv4, 10u << 24, 6, 80), &consulted);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->priority, 200);
  r = LookupRule(*t.rules(), Key(1, kEthTypeIpv4, 10u << 24, 6, 81), &consulted);
  EXPECT_EQ(r->priority, 100);
  r = LookupRule(*t.rules(), Key(2, kEthTypeIpv4, 10u << 24), &consulted);
  EXPECT_EQ(r->priority, 0);

  // Identical match and priority: replaced, counters reset, size unchanged.
  t.rules()->All().at(0)->Count(0, 5, 300);
  EXPECT_TRUE(t.Add(Spec("priority=200,tcp,tp_dst=80,actions=output:dpdk0"), 0));
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.rules()->All().at(0)->n_packets(), 0u);
  EXPECT_EQ(t.rules()->All().at(0)->actions[0].port, 1u);
  // Same match, other priority: a second rule.
  EXPECT_FALSE(t.Add(Spec("priority=201,tcp,tp_dst=80,actions=drop"), 0));
  EXPECT_EQ(t.size(), 4u);
}

TEST(OfTable, OldListStaysValidForReaders) {
  OfTable t(0);
  auto before = t.rules();
  t.Add(Spec("priority=5,ip,actions=drop"), 0);
  t.Delete(Spec("", ParseMode::kMatchOnly), false);
  EXPECT_EQ(before->size(), 1u);
  EXPECT_EQ(before->All().at(0)->priority, 0);
  EXPECT_EQ(t.size(), 0u);
}

TEST(OfTable, DeleteNonStrictAndStrict) {
  OfTable t(0);
  t.Add(Spec("priority=100,ip,nw_dst=10.0.0.0/8,actions=drop"), 0);
  t.Add(Spec("priority=90,tcp,nw_dst=10.0.0.0/8,actions=drop"), 0);
  t.Add(Spec("priority=80,arp,actions=drop"), 0);
  // --strict needs the priority too.
  EXPECT_EQ(t.Delete(Spec("ip,nw_dst=10.0.0.0/8", ParseMode::kMatchOnly), true), 0u);
  EXPECT_EQ(t.Delete(Spec("priority=100,ip,nw_dst=10.0.0.0/8", ParseMode::kMatchOnly), true), 1u);
  t.Add(Spec("priority=100,ip,nw_dst=10.0.0.0/8,actions=drop"), 0);
  // Non-strict "ip" removes both IPv4 rules and keeps arp and the default rule.
  EXPECT_EQ(t.Delete(Spec("ip", ParseMode::kMatchOnly), false), 2u);
  EXPECT_EQ(t.size(), 2u);
  // Empty match removes everything.
  EXPECT_EQ(t.Delete(Spec("", ParseMode::kMatchOnly), false), 2u);
  EXPECT_EQ(t.size(), 0u);
}

TEST(OfTable, CookieFilter) {
  OfTable t(0);
  t.Add(Spec("cookie=0x10,priority=5,ip,actions=drop"), 0);
  t.Add(Spec("cookie=0x20,priority=6,ip,actions=drop"), 0);
  EXPECT_EQ(t.Delete(Spec("cookie=0x10/0xff", ParseMode::kMatchOnly), false), 1u);
  EXPECT_EQ(t.size(), 2u);
}

TEST(OfTable, DumpLikeOvsOfctl) {
  OfTable t(0);
  t.Add(Spec("priority=100,ip,nw_dst=10.0.0.0/8,actions=output:dpdk1"), 1000000000);
  const Rule& r = *t.rules()->All().at(0);
  r.Count(1, 2, 120);
  r.Count(kRuleCounterSlots + 1, 1, 60);  // shares slot 1, adds atomically
  std::string d = t.Dump(Name, 2234000000, nullptr);
  EXPECT_EQ(d,
            " cookie=0x0, duration=1.234s, table=0, n_packets=3, n_bytes=180, "
            "priority=100,ip,nw_dst=10.0.0.0/8 actions=output:dpdk1\n"
            " cookie=0x0, duration=2.234s, table=0, n_packets=0, n_bytes=0, priority=0 "
            "actions=NORMAL\n");
  FlowSpec filter = Spec("ip", ParseMode::kMatchOnly);
  EXPECT_EQ(t.Dump(Name, 2234000000, &filter).find("NORMAL"), std::string::npos);
}

TEST(OfTable, DumpLikeBridgeDumpFlows) {
  OfTable t(0);
  t.Add(Spec("priority=100,ip,nw_dst=10.0.0.0/8,actions=output:dpdk1"), 1000000000);
  t.Add(Spec("tcp,actions=drop"), 1000000000);  // default priority: not printed, as in OVS
  t.rules()->All().at(1)->Count(1, 2, 120);  // by priority: tcp (32768), then ip (100), NORMAL (0)
  EXPECT_EQ(t.DumpAppctl(Name, 3500000000),
            "duration=2s, n_packets=0, n_bytes=0, tcp,actions=drop\n"
            "duration=2s, n_packets=2, n_bytes=120, priority=100,ip,nw_dst=10.0.0.0/8,"
            "actions=output:dpdk1\n"
            "duration=3s, n_packets=0, n_bytes=0, priority=0,actions=NORMAL\n");
}

TEST(OfTable, EqualPrioritiesFirstAddedWins) {
  OfTable t(0);
  t.Add(Spec("priority=10,ip,actions=output:1"), 0);
  t.Add(Spec("priority=10,tcp,actions=output:2"), 0);
  FlowKey c{};
  const Rule* r = LookupRule(*t.rules(), Key(1, kEthTypeIpv4, 0, 6), &c);
  EXPECT_EQ(r->actions[0].port, 1u);
}

TEST(OfTable, AddAllEqualsAddOneByOne) {
  std::vector<FlowSpec> specs = {Spec("priority=5,ip,actions=drop"),
                                 Spec("priority=7,tcp,actions=output:1"),
                                 Spec("priority=5,ip,actions=output:2"),  // replaces the first
                                 Spec("priority=0,actions=drop")};        // replaces NORMAL
  OfTable a(0), b(0);
  size_t replaced = 0;
  for (const auto& s : specs) replaced += a.Add(s, 0);
  EXPECT_EQ(b.AddAll(specs, 0), replaced);
  EXPECT_EQ(replaced, 2u);
  EXPECT_EQ(a.Dump(Name, 0, nullptr), b.Dump(Name, 0, nullptr));
  EXPECT_EQ(b.size(), 3u);
}

TEST(OfTable, GroupedLookupEqualsLinearScan) {
  std::mt19937 rng(99);
  for (int round = 0; round < 20; round++) {
    OfTable t(0);
    for (int i = 0; i < 200; i++) {
      std::string f = fmt::format("priority={}", rng() % 8);
      if (rng() % 2) f += fmt::format(",in_port={}", 1 + rng() % 2);
      if (rng() % 3) {
        f += ",tcp";
        if (rng() % 2) f += fmt::format(",nw_dst=10.0.{}.0/{}", rng() % 4, 22 + rng() % 3);
        if (rng() % 2) f += fmt::format(",tp_dst={}", rng() % 4);
      }
      t.Add(Spec(f + fmt::format(",actions=output:{}", i)), 0);
    }
    size_t groups = 0;
    for (const auto& level : t.rules()->tables[0].levels) groups += level->groups.size();
    EXPECT_LT(groups, t.size());
    for (int k = 0; k < 500; k++) {
      FlowKey key = Key(1 + rng() % 2, kEthTypeIpv4, 0x0a000000 | (rng() % 4) << 8 | rng() % 256, 6,
                        static_cast<uint16_t>(rng() % 4));
      FlowKey c{};
      EXPECT_EQ(LookupRule(*t.rules(), key, &c), LookupRuleLinear(*t.rules(), key));
    }
  }
}

}  // namespace
}  // namespace vs::dp
