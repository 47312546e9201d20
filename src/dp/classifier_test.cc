// Dpcls and EMC against a linear reference classifier on random megaflows and keys.
#include <gtest/gtest.h>

#include <random>

#include "dp/dpcls.h"
#include "dp/emc.h"

namespace vs::dp {
namespace {

// Random keys over a small domain so that masks and keys collide often.
FlowKey RandomKey(std::mt19937& rng) {
  FlowKey k{};
  k.in_port = 1 + rng() % 3;
  k.dl_type = rng() % 2 ? kEthTypeIpv4 : kEthTypeIpv6;
  k.vlan_tci = rng() % 2 ? 0 : static_cast<uint16_t>(kVlanPresent | (rng() % 4));
  k.dl_dst[5] = static_cast<uint8_t>(rng() % 4);
  k.nw_src = 0x0a000000 | (rng() % 8) << 8 | (rng() % 4);
  k.nw_dst = 0x0a000000 | (rng() % 8) << 16 | (rng() % 4);
  k.nw_proto = rng() % 2 ? 6 : 17;
  k.tp_dst = static_cast<uint16_t>(rng() % 4);
  k.ipv6_src[15] = static_cast<uint8_t>(rng() % 3);
  return k;
}

FlowKey RandomMask(std::mt19937& rng) {
  FlowKey m{};
  m.in_port = ~0u;
  if (rng() % 2) m.dl_type = 0xffff;
  if (rng() % 3 == 0) m.vlan_tci = 0xffff;
  if (rng() % 3 == 0) std::memset(m.dl_dst, 0xff, 6);
  if (rng() % 2) m.nw_src = ~0u << (rng() % 24);
  if (rng() % 2) m.nw_dst = 0xffff0000;
  if (rng() % 2) m.nw_proto = 0xff;
  if (rng() % 3 == 0) m.tp_dst = 0xffff;
  if (rng() % 4 == 0) std::memset(m.ipv6_src, 0xff, 16);
  return m;
}

bool Overlap(const Match& a, const Match& b) {
  const KeyWord* ak = Words(a.key);
  const KeyWord* bk = Words(b.key);
  const KeyWord* am = Words(a.mask);
  const KeyWord* bm = Words(b.mask);
  for (int i = 0; i < kKeyWords; i++) {
    if ((ak[i] ^ bk[i]) & am[i] & bm[i]) return false;
  }
  return true;
}

// With and without the signature cache; halfway, Retain() drops every other megaflow and
// renumbers the rest, so the cache holds stale indexes that must only cost misses.
class DpclsReference : public ::testing::TestWithParam<bool> {};

TEST_P(DpclsReference, MatchesLinearReference) {
  const bool smc = GetParam();
  std::mt19937 rng(7);
  std::vector<FlowKey> masks;
  for (int i = 0; i < 12; i++) masks.push_back(RandomMask(rng));
  Dpcls cls;
  cls.SetSmc(smc);
  EXPECT_EQ(cls.smc_on(), smc);
  std::vector<const Megaflow*> ref;
  for (int i = 0; i < 3000; i++) {
    auto mf = std::make_unique<Megaflow>();
    mf->match.key = RandomKey(rng);
    mf->match.mask = masks[rng() % masks.size()];
    mf->match.Normalize();
    bool clash = false;
    for (const Megaflow* r : ref) clash = clash || Overlap(r->match, mf->match);
    if (clash) continue;
    mf->actions.push_back(DpAction{DpActionType::kOutput, {}, 0, 0, static_cast<uint32_t>(i)});
    ref.push_back(cls.Insert(std::move(mf)));
  }
  ASSERT_GT(ref.size(), 50u);
  EXPECT_EQ(cls.size(), ref.size());
  EXPECT_LE(cls.subtables(), masks.size());

  // Keys come from a pool, so that they repeat (as a flow's packets do).
  std::vector<FlowKey> pool;
  for (int i = 0; i < 300; i++) pool.push_back(RandomKey(rng));
  uint32_t smc_hits = 0;
  for (int round = 0; round < 400; round++) {
    if (round == 200) {
      std::vector<const Megaflow*> kept;
      cls.Retain([&](Megaflow& f) {
        bool keep = f.actions[0].port % 2 == 0;
        if (keep) kept.push_back(&f);
        return keep;
      });
      ref = kept;
      EXPECT_EQ(cls.size(), ref.size());
    }
    FlowKey keys[32];
    Megaflow* flows[32] = {};
    uint32_t miss = 0;
    for (int i = 0; i < 32; i++) {
      keys[i] = pool[rng() % pool.size()];
      if (rng() % 2) miss |= 1u << i;
    }
    uint32_t asked = miss;
    smc_hits += cls.LookupBatch(keys, &miss, flows);
    for (int i = 0; i < 32; i++) {
      const Megaflow* want = nullptr;
      for (const Megaflow* r : ref) {
        if (r->match.Matches(keys[i])) want = r;
      }
      EXPECT_EQ(cls.Lookup(keys[i]), want);
      if (asked & (1u << i)) {
        EXPECT_EQ(flows[i], want);
        EXPECT_EQ(!(miss & (1u << i)), want != nullptr);
      } else {
        EXPECT_EQ(flows[i], nullptr);  // not asked, untouched
      }
    }
  }
  if (smc) {
    EXPECT_GT(smc_hits, 500u);  // the small key domain repeats keys
  } else {
    EXPECT_EQ(smc_hits, 0u);
  }
  auto [walks, probes] = cls.TakeProbeCounts();
  EXPECT_GT(walks, 0u);
  EXPECT_GE(probes, walks);
  cls.Clear();
  EXPECT_EQ(cls.size(), 0u);
  EXPECT_EQ(cls.Lookup(RandomKey(rng)), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Smc, DpclsReference, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "WithSmc" : "WithoutSmc"; });

TEST(Megaflow, PrepareFindsLastOutputAndModify) {
  Megaflow f;
  f.actions = {
      DpAction{DpActionType::kOutput, {}, 0, 0, 1}, DpAction{DpActionType::kPushVlan, {}, 10, 0, 0},
      DpAction{DpActionType::kOutput, {}, 0, 0, 2}, DpAction{DpActionType::kOutput, {}, 0, 0, 3}};
  f.Prepare();
  EXPECT_EQ(f.last_output, 3);
  EXPECT_EQ(f.last_modify, 1);
  f.actions.clear();
  f.Prepare();
  EXPECT_EQ(f.last_output, -1);
}

TEST(Emc, InsertLookupReplaceClear) {
  std::mt19937 rng(3);
  Emc emc;
  Megaflow a, b;
  std::vector<FlowKey> keys;
  for (int i = 0; i < 4000; i++) {
    FlowKey k = RandomKey(rng);
    k.tp_src = static_cast<uint16_t>(i);  // distinct
    keys.push_back(k);
    emc.Insert(k, HashKey(k), i % 2 ? &a : &b);
  }
  // Recently inserted keys are mostly present and never wrong.
  int hits = 0;
  for (size_t i = 0; i < keys.size(); i++) {
    Megaflow* f = emc.Lookup(keys[i], HashKey(keys[i]));
    if (f) {
      EXPECT_EQ(f, i % 2 ? &a : &b);
      hits++;
    }
  }
  EXPECT_GT(hits, 3000);
  // Same key re-inserted updates in place.
  emc.Insert(keys[0], HashKey(keys[0]), &a);
  EXPECT_EQ(emc.Lookup(keys[0], HashKey(keys[0])), &a);
  // A key never inserted misses even with a colliding slot.
  FlowKey other = keys[0];
  other.tp_src = 60000;
  EXPECT_EQ(emc.Lookup(other, HashKey(keys[0])), nullptr);
  emc.Clear();
  EXPECT_EQ(emc.Lookup(keys[0], HashKey(keys[0])), nullptr);
}

}  // namespace
}  // namespace vs::dp
