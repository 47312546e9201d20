// The slow path: megaflow masks are correct for every packet they cover (randomized against
// direct table evaluation), megaflows never overlap, action translation, ofproto/trace.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "dp/datapath.h"
#include "dp/dpcls.h"
#include "dp/xlate.h"

namespace vs::dp {
namespace {

struct Fixture {
  std::unique_ptr<Datapath> dp;
  uint64_t now = 1000000000;
  Fixture() {
    DatapathOptions o;
    o.clock = [this] { return now; };
    auto r = Datapath::Create(o);
    dp = std::move(r.value());
    EXPECT_TRUE(dp->AddBridge("br0").ok());
    EXPECT_TRUE(dp->AddPort("br0", {"p1", 10, {}}).ok());        // access VLAN 10
    EXPECT_TRUE(dp->AddPort("br0", {"p2", -1, {10, 20}}).ok());  // trunk 10,20
    EXPECT_TRUE(dp->AddPort("br0", {"p3", -1, {}}).ok());        // trunk, all
  }
  void Flow(const std::string& f) {
    auto r = dp->AddFlow("br0", f);
    ASSERT_TRUE(r.ok()) << f << ": " << r.status().message();
  }
  UpcallResult Up(const FlowKey& k, bool learn = false) {
    UpcallResult r;
    Upcall(*dp->snapshot(), k, now, learn, &r, nullptr);
    return r;
  }
};

FlowKey RandomKey(std::mt19937& rng) {
  FlowKey k{};
  k.in_port = 1 + rng() % 3;
  static const uint16_t kTypes[] = {kEthTypeIpv4, kEthTypeIpv4, kEthTypeIpv6, kEthTypeArp};
  k.dl_type = kTypes[rng() % 4];
  static const uint16_t kTci[] = {
      0, 0, kVlanPresent | 10, kVlanPresent | 20, kVlanPresent | (3 << 13) | 10, kVlanPresent};
  k.vlan_tci = kTci[rng() % 6];
  k.dl_dst[5] = static_cast<uint8_t>(rng() % 4);
  k.dl_src[5] = static_cast<uint8_t>(rng() % 4);
  if (rng() % 8 == 0) k.dl_dst[0] = 0x01;
  k.nw_src = 0x0a000000 | (rng() % 4) << 8 | (rng() % 256);
  k.nw_dst = 0x0a000000 | (rng() % 4) << 8 | (rng() % 256);
  static const uint8_t kProto[] = {6, 17, 1};
  k.nw_proto = kProto[rng() % 3];
  k.tp_src = static_cast<uint16_t>(rng() % 4);
  k.tp_dst = static_cast<uint16_t>(rng() % 4);
  k.ipv6_dst[15] = static_cast<uint8_t>(rng() % 3);
  return k;
}

std::string RandomRule(std::mt19937& rng) {
  std::string r = "priority=" + std::to_string(rng() % 40);
  if (rng() % 3 == 0) r += ",in_port=p" + std::to_string(1 + rng() % 3);
  static const char* kProto[] = {"", "ip", "tcp", "udp", "icmp", "ipv6", "arp", "tcp6"};
  std::string proto = kProto[rng() % 8];
  if (!proto.empty()) r += "," + proto;
  if (proto == "ip" || proto == "tcp" || proto == "udp" || proto == "icmp") {
    if (rng() % 2)
      r += ",nw_src=10.0." + std::to_string(rng() % 4) + ".0/" + std::to_string(22 + rng() % 11);
    if (rng() % 2) r += ",nw_dst=10.0." + std::to_string(rng() % 4) + ".128/25";
  }
  if ((proto == "tcp" || proto == "udp" || proto == "tcp6") && rng() % 2) {
    r += rng() % 2 ? ",tp_dst=" + std::to_string(rng() % 4) : ",tp_src=0x1/0x1";
  }
  if (proto == "ipv6" && rng() % 2) r += ",ipv6_dst=::1/127";
  if (rng() % 4 == 0) r += ",dl_vlan=" + std::string(rng() % 2 ? "10" : "20");
  if (rng() % 5 == 0) r += ",dl_vlan=0xffff";
  if (rng() % 4 == 0) r += ",dl_dst=00:00:00:00:00:0" + std::to_string(rng() % 4);
  static const char* kActs[] = {"output:p2",
                                "drop",
                                "NORMAL",
                                "FLOOD",
                                "IN_PORT",
                                "mod_vlan_vid:30,output:p3",
                                "strip_vlan,output:p1",
                                "push_vlan:0x8100,output:p3,output:p1",
                                "mod_dl_dst:00:00:00:00:00:02,NORMAL",
                                "mod_vlan_pcp:5,output:p2,strip_vlan,output:p3",
                                "output:p1,output:p2,output:p3"};
  return r + ",actions=" + kActs[rng() % 11];
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

TEST(Upcall, MegaflowIsCorrectForEveryPacketItCovers) {
  std::mt19937 rng(1234);
  for (int table = 0; table < 30; table++) {
    Fixture fx;
    int n_rules = 1 + rng() % 25;
    for (int i = 0; i < n_rules; i++) fx.Flow(RandomRule(rng));
    // Some learned stations for NORMAL.
    MacTable& macs = fx.dp->snapshot()->bridges[0].state->macs;
    for (int i = 0; i < 4; i++) {
      uint8_t mac[6] = {0, 0, 0, 0, 0, static_cast<uint8_t>(i)};
      macs.Learn(mac, static_cast<uint16_t>(i % 2 ? 10 : 20), 1 + rng() % 3, fx.now);
    }
    std::vector<Match> megaflows;
    for (int s = 0; s < 60; s++) {
      FlowKey k = RandomKey(rng);
      UpcallResult r = fx.Up(k);
      EXPECT_EQ(r.mask.in_port, ~0u);
      Match mf{k, r.mask};
      mf.Normalize();
      // Every key the megaflow covers gets the same answer from the table.
      for (int j = 0; j < 40; j++) {
        FlowKey other = RandomKey(rng);
        KeyWord* o = Words(other);
        const KeyWord* kw = Words(k);
        const KeyWord* mw = Words(r.mask);
        for (int w = 0; w < kKeyWords; w++) o[w] = (o[w] & ~mw[w]) | (kw[w] & mw[w]);
        ASSERT_TRUE(mf.Matches(other));
        UpcallResult r2 = fx.Up(other);
        ASSERT_EQ(r2.actions, r.actions) << "table " << table << " sample " << s;
        ASSERT_EQ(r2.rule, r.rule);
      }
      bool dup = false;
      for (const Match& m : megaflows) dup = dup || m == mf;
      if (!dup) megaflows.push_back(mf);
    }
    // Distinct megaflows from one table never overlap.
    for (size_t a = 0; a < megaflows.size(); a++) {
      for (size_t b = a + 1; b < megaflows.size(); b++) {
        EXPECT_FALSE(Overlap(megaflows[a], megaflows[b])) << "table " << table;
      }
    }
  }
}

TEST(Upcall, RevalidationKeepsOnlyMegaflowsThatAreStillCorrect) {
  std::mt19937 rng(77);
  int kept = 0, evicted = 0;
  for (int table = 0; table < 30; table++) {
    Fixture fx;
    for (int i = 0; i < 1 + static_cast<int>(rng() % 15); i++) fx.Flow(RandomRule(rng));
    MacTable* macs = &fx.dp->snapshot()->bridges[0].state->macs;
    for (int i = 0; i < 4; i++) {
      uint8_t mac[6] = {0, 0, 0, 0, 0, static_cast<uint8_t>(i)};
      macs->Learn(mac, static_cast<uint16_t>(i % 2 ? 10 : 20), 1 + rng() % 3, fx.now);
    }
    std::vector<std::unique_ptr<Megaflow>> flows;
    for (int s = 0; s < 40; s++) {
      FlowKey k = RandomKey(rng);
      UpcallResult r = fx.Up(k);
      auto f = std::make_unique<Megaflow>();
      f->match = Match{k, r.mask};
      f->match.Normalize();
      f->actions = r.actions;
      f->rule = r.rule;
      f->Prepare();
      flows.push_back(std::move(f));
    }
    // Change the table and the MAC table a little.
    for (int i = 0; i < 2; i++) fx.Flow(RandomRule(rng));
    if (rng() % 2) {
      ASSERT_TRUE(fx.dp->DelFlows("br0", "tcp", false).ok());
    }
    uint8_t moved[6] = {0, 0, 0, 0, 0, 1};
    macs->Learn(moved, 10, 1 + rng() % 3, fx.now);
    for (auto& f : flows) {
      if (!Revalidate(*fx.dp->snapshot(), f.get(), fx.now)) {
        evicted++;
        continue;
      }
      kept++;
      for (int j = 0; j < 20; j++) {
        FlowKey other = RandomKey(rng);
        KeyWord* o = Words(other);
        const KeyWord* kw = Words(f->match.key);
        const KeyWord* mw = Words(f->match.mask);
        for (int w = 0; w < kKeyWords; w++) o[w] = (o[w] & ~mw[w]) | (kw[w] & mw[w]);
        UpcallResult r2 = fx.Up(other);
        ASSERT_EQ(r2.actions, f->actions) << "table " << table;
        ASSERT_EQ(r2.rule, f->rule);
      }
    }
  }
  EXPECT_GT(kept, 100);
  EXPECT_GT(evicted, 50);
}

TEST(Upcall, MaskIsNarrowForSimpleTables) {
  Fixture fx;
  ASSERT_TRUE(fx.dp->DelFlows("br0", "", false).ok());
  fx.Flow("priority=100,in_port=p1,ip,nw_dst=10.0.0.0/8,actions=output:p2");
  // Staged lookup: these differ from the packet at L2 (dl_type) or L3 (nw_proto), so
  // they add only the fields up to that stage to the megaflow.
  fx.Flow("priority=200,tcp6,tp_dst=443,actions=drop");
  fx.Flow("priority=150,udp,nw_src=192.168.0.0/16,tp_dst=53,actions=drop");
  FlowKey k{};
  k.in_port = 1;
  k.dl_type = kEthTypeIpv4;
  k.nw_dst = 0x0a010203;
  k.tp_dst = 80;
  UpcallResult r = fx.Up(k);
  Match mf{k, r.mask};
  mf.Normalize();
  EXPECT_EQ(FormatMatch(mf, nullptr),
            "ip,in_port=1,nw_src=0.0.0.0/16,nw_dst=10.0.0.0/8,nw_proto=0");  // no prefix tries (OVS
                                                                             // would stop at /1)
  EXPECT_EQ(FormatDpActions(r.actions, nullptr), "2");
}

TEST(Upcall, ActionTranslation) {
  Fixture fx;
  fx.Flow(
      "priority=10,in_port=p3,actions=mod_vlan_vid:7,output:p2,strip_vlan,output:p1,"
      "output:p3,IN_PORT");
  fx.Flow("priority=10,in_port=p2,actions=FLOOD");
  fx.Flow(
      "priority=10,in_port=p1,actions=mod_dl_src:02:00:00:00:00:01,push_vlan:0x8100,"
      "mod_vlan_pcp:3,output:p2");
  FlowKey k{};
  k.in_port = 3;
  // Untagged: mod_vlan_vid pushes, strip pops; output to the input port is skipped.
  EXPECT_EQ(FormatDpActions(fx.Up(k).actions, nullptr), "push_vlan(vid=7,pcp=0),2,pop_vlan,1,3");
  EXPECT_EQ(fx.Up(k).mask.vlan_tci, kVlanPresent);
  // Tagged: mod_vlan_vid rewrites the VID only.
  k.vlan_tci = kVlanPresent | (2 << 13) | 99;
  EXPECT_EQ(FormatDpActions(fx.Up(k).actions, nullptr), "set(vlan(vid=7)),2,pop_vlan,1,3");
  k.in_port = 2;
  EXPECT_EQ(FormatDpActions(fx.Up(k).actions, nullptr), "1,3");
  k.in_port = 1;
  k.vlan_tci = 0;
  EXPECT_EQ(FormatDpActions(fx.Up(k).actions, nullptr),
            "set(eth(src=02:00:00:00:00:01)),push_vlan(vid=0,pcp=0),set(vlan(pcp=3)),2");
}

TEST(Upcall, NoMatchDrops) {
  Fixture fx;
  ASSERT_TRUE(fx.dp->DelFlows("br0", "", false).ok());
  FlowKey k{};
  k.in_port = 1;
  UpcallResult r = fx.Up(k);
  EXPECT_TRUE(r.actions.empty());
  EXPECT_EQ(r.rule, nullptr);
}

TEST(Trace, ExplainsRuleAndActions) {
  Fixture fx;
  fx.Flow("priority=100,in_port=p1,ip,nw_dst=10.0.0.0/8,actions=output:p2");
  auto t = fx.dp->Trace("br0", "in_port=p1,dl_dst=00:00:00:00:00:02,ip,nw_dst=10.1.1.1");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_NE(t->find("bridge(\"br0\")"), std::string::npos) << *t;
  EXPECT_NE(t->find(" 0. ip,in_port=p1,nw_dst=10.0.0.0/8, priority 100"), std::string::npos) << *t;
  EXPECT_NE(t->find("    output:p2"), std::string::npos) << *t;
  EXPECT_NE(t->find("Datapath actions: p2"), std::string::npos) << *t;
  EXPECT_NE(t->find("Megaflow: ip,in_port=p1,nw_dst=10.0.0.0/8"), std::string::npos) << *t;
  EXPECT_NE(t->find("Final flow: unchanged"), std::string::npos) << *t;

  t = fx.dp->Trace("br0", "in_port=p1,dl_dst=00:00:00:00:00:02,arp");
  ASSERT_TRUE(t.ok());
  EXPECT_NE(t->find("priority 0"), std::string::npos) << *t;
  EXPECT_NE(t->find("no learned MAC for destination, flooding"), std::string::npos) << *t;
  EXPECT_NE(t->find("Datapath actions: push_vlan(vid=10,pcp=0),p2,p3"), std::string::npos) << *t;

  fx.Flow("priority=200,in_port=p3,actions=mod_vlan_vid:5,mod_dl_dst:02:00:00:00:00:07,output:p2");
  t = fx.dp->Trace("br0", "in_port=p3,dl_dst=00:00:00:00:00:02,ip");
  ASSERT_TRUE(t.ok());
  EXPECT_NE(t->find("Final flow: ip,in_port=p3,dl_vlan=5,dl_vlan_pcp=0,dl_dst=02:00:00:00:00:07"),
            std::string::npos)
      << *t;

  EXPECT_EQ(fx.dp->Trace("br0", "ip").status().code(), EINVAL);
  EXPECT_EQ(fx.dp->Trace("br9", "in_port=p1").status().code(), ENOENT);
  EXPECT_NE(fx.dp->Trace("br0", "in_port=p9").status().message().find("p9"), std::string::npos);
}

}  // namespace
}  // namespace vs::dp
