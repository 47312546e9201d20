// NORMAL: MAC learning, aging with an injected clock, VLAN-aware flooding, never back to
// the input port; the generation moves when a decision could change.
#include <gtest/gtest.h>

#include "dp/datapath.h"
#include "dp/xlate.h"

namespace vs::dp {
namespace {

constexpr uint64_t kSec = 1000000000;

class Normal : public ::testing::Test {
 protected:
  void SetUp() override {
    DatapathOptions o;
    o.clock = [this] { return now_; };
    auto r = Datapath::Create(o);
    ASSERT_TRUE(r.ok());
    dp_ = std::move(r.value());
    ASSERT_TRUE(dp_->AddBridge("br0").ok());
    ASSERT_TRUE(dp_->AddPort("br0", {"a10", 10, {}}).ok());          // 1: access 10
    ASSERT_TRUE(dp_->AddPort("br0", {"b10", 10, {}}).ok());          // 2: access 10
    ASSERT_TRUE(dp_->AddPort("br0", {"c20", 20, {}}).ok());          // 3: access 20
    ASSERT_TRUE(dp_->AddPort("br0", {"trunk", -1, {10, 20}}).ok());  // 4: trunk 10,20
    ASSERT_TRUE(dp_->AddPort("br0", {"all", -1, {}}).ok());          // 5: trunk, all VLANs
    ASSERT_TRUE(dp_->AddBridge("br1").ok());
    ASSERT_TRUE(dp_->AddPort("br1", {"other", -1, {}}).ok());  // 6: another bridge
  }
  FlowKey Key(uint32_t in, uint8_t src, uint8_t dst, int vid = -1) {
    FlowKey k{};
    k.in_port = in;
    k.dl_src[5] = src;
    k.dl_dst[5] = dst;
    if (dst == 0xff) std::memset(k.dl_dst, 0xff, 6);
    if (vid >= 0) k.vlan_tci = static_cast<uint16_t>(kVlanPresent | vid);
    k.dl_type = kEthTypeIpv4;
    return k;
  }
  std::string Actions(const FlowKey& k) {
    UpcallResult r;
    Upcall(*dp_->snapshot(), k, now_, /*learn=*/true, &r, nullptr);
    return FormatDpActions(r.actions, dp_->Namer());
  }
  uint64_t now_ = 100 * kSec;
  std::unique_ptr<Datapath> dp_;
};

TEST_F(Normal, FloodsUnknownWithinTheVlanOnly) {
  // From access VLAN 10: to the other access-10 port untagged, to trunks tagged 10.
  EXPECT_EQ(Actions(Key(1, 1, 2)), "b10,push_vlan(vid=10,pcp=0),trunk,all");
  // From VLAN 20 access port.
  EXPECT_EQ(Actions(Key(3, 3, 2)), "push_vlan(vid=20,pcp=0),trunk,all");
  // Tagged 20 in on the trunk: out untagged to c20, tagged to "all".
  EXPECT_EQ(Actions(Key(4, 4, 9, 20)), "pop_vlan,c20,push_vlan(vid=20,pcp=0),all");
  // Untagged on a trunk is VLAN 0: only trunks carry it, untagged.
  EXPECT_EQ(Actions(Key(5, 5, 9)), "trunk");
  // Broadcast floods too.
  EXPECT_EQ(Actions(Key(2, 2, 0xff)), "a10,push_vlan(vid=10,pcp=0),trunk,all");
}

TEST_F(Normal, LearnsAndForwardsNeverBackToInput) {
  EXPECT_EQ(Actions(Key(1, 1, 2)), "b10,push_vlan(vid=10,pcp=0),trunk,all");
  // 2 answers 1: 1 is known now, 2 gets learned.
  EXPECT_EQ(Actions(Key(2, 2, 1)), "a10");
  EXPECT_EQ(Actions(Key(1, 1, 2)), "b10");
  // The same MAC in VLAN 20 is another station: unknown there.
  EXPECT_EQ(Actions(Key(3, 3, 1)), "push_vlan(vid=20,pcp=0),trunk,all");
  // Destination learned on the input port: drop.
  EXPECT_EQ(Actions(Key(1, 7, 1)), "drop");
  // Via the trunk: tagged 10 to 1 arrives untagged at a10.
  EXPECT_EQ(Actions(Key(4, 8, 1, 10)), "pop_vlan,a10");
  EXPECT_EQ(Actions(Key(1, 1, 8)), "push_vlan(vid=10,pcp=0),trunk");
  auto fdb = dp_->FdbShow("br0");
  ASSERT_TRUE(fdb.ok());
  EXPECT_NE(fdb->find(" port  VLAN  MAC                Age"), std::string::npos);
  EXPECT_NE(fdb->find("    1    10  00:00:00:00:00:01    0"), std::string::npos) << *fdb;
}

TEST_F(Normal, FdbShowPrintsTheBridgesOwnPortAsLocal) {
  // As OVS: OpenFlow port numbers, and LOCAL for the bridge's internal port.
  auto local = dp_->AddPort("br1", {"br1", -1, {}});
  ASSERT_TRUE(local.ok());
  ASSERT_TRUE(dp_->FdbAdd("br1", "br1", "0", "00:00:00:00:00:0b").ok());
  ASSERT_TRUE(dp_->FdbAdd("br1", "other", "0", "00:00:00:00:00:0c").ok());
  auto fdb = dp_->FdbShow("br1");
  ASSERT_TRUE(fdb.ok());
  EXPECT_NE(fdb->find("LOCAL     0  00:00:00:00:00:0b  static"), std::string::npos) << *fdb;
  EXPECT_NE(fdb->find("    6     0  00:00:00:00:00:0c  static"), std::string::npos) << *fdb;
}

TEST_F(Normal, ReservedMulticastIsNotBridged) {
  FlowKey k = Key(1, 1, 0);
  uint8_t lldp[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e};
  std::memcpy(k.dl_dst, lldp, 6);
  EXPECT_EQ(Actions(k), "drop");
  k.dl_dst[5] = 0x10;  // outside the reserved range: flooded like any multicast
  EXPECT_EQ(Actions(k), "b10,push_vlan(vid=10,pcp=0),trunk,all");
}

TEST_F(Normal, DropsWrongVlans) {
  // Tagged (non-zero VID) frame on an access port.
  EXPECT_EQ(Actions(Key(1, 1, 2, 10)), "drop");
  // Priority-tagged (VID 0) is accepted into the access VLAN.
  EXPECT_EQ(Actions(Key(1, 1, 0xff, 0)), "pop_vlan,b10,push_vlan(vid=10,pcp=0),trunk,all");
  // VLAN 30 on a trunk that carries only 10 and 20.
  EXPECT_EQ(Actions(Key(4, 1, 2, 30)), "drop");
  // "all" carries 30; nobody else does.
  EXPECT_EQ(Actions(Key(5, 1, 2, 30)), "drop");
}

TEST_F(Normal, AgingWithInjectedClock) {
  Actions(Key(1, 1, 2));  // learn 1 on a10
  EXPECT_EQ(Actions(Key(2, 2, 1)), "a10");
  now_ += 299 * kSec;
  EXPECT_EQ(Actions(Key(3, 3, 1)), "push_vlan(vid=20,pcp=0),trunk,all");  // other VLAN
  EXPECT_EQ(Actions(Key(2, 2, 1)), "a10");
  now_ += 2 * kSec;  // 301 s since 1 was last seen
  EXPECT_EQ(Actions(Key(2, 2, 1)), "a10,push_vlan(vid=10,pcp=0),trunk,all");
  uint64_t gen = dp_->generation();
  dp_->Run();  // expires 1 (and 3; 2 was refreshed just now)
  EXPECT_GT(dp_->generation(), gen);
  auto fdb = dp_->FdbShow("br0");
  EXPECT_EQ(fdb->find("00:00:00:00:00:01"), std::string::npos) << *fdb;
  EXPECT_NE(fdb->find("00:00:00:00:00:02"), std::string::npos) << *fdb;
}

TEST_F(Normal, GenerationMovesOnlyWhenDecisionsCanChange) {
  uint64_t g0 = dp_->generation();
  Actions(Key(1, 1, 2));  // new station
  uint64_t g1 = dp_->generation();
  EXPECT_GT(g1, g0);
  Actions(Key(1, 1, 2));  // seen again, same port
  EXPECT_EQ(dp_->generation(), g1);
  Actions(Key(2, 1, 2));  // moved
  EXPECT_GT(dp_->generation(), g1);
  uint64_t g2 = dp_->generation();
  ASSERT_TRUE(dp_->AddFlow("br0", "priority=5,arp,actions=drop").ok());
  EXPECT_GT(dp_->generation(), g2);
}

TEST_F(Normal, PortVlanChangeAndDeleteForget) {
  Actions(Key(1, 1, 2));
  ASSERT_TRUE(dp_->SetPortVlan("a10", 20, {}).ok());
  EXPECT_EQ(dp_->FdbShow("br0")->find("00:00:00:00:00:01"), std::string::npos);
  EXPECT_EQ(Actions(Key(1, 1, 2)), "c20,push_vlan(vid=20,pcp=0),trunk,all");
  ASSERT_TRUE(dp_->DelPort("c20").ok());
  EXPECT_EQ(Actions(Key(1, 1, 2)), "push_vlan(vid=20,pcp=0),trunk,all");
  EXPECT_EQ(dp_->DelPort("c20").code(), ENOENT);
  // FLOOD stays within the bridge.
  ASSERT_TRUE(dp_->AddFlow("br1", "actions=FLOOD").ok());
  ASSERT_TRUE(dp_->AddPort("br1", {"other2", -1, {}}).ok());
  FlowKey k = Key(6, 1, 2);
  EXPECT_EQ(Actions(k), "other2");
}

TEST_F(Normal, ControlErrorsAndPortListing) {
  EXPECT_EQ(dp_->AddBridge("br0").code(), EEXIST);
  EXPECT_EQ(dp_->AddPort("br0", {"a10", -1, {}}).status().code(), EEXIST);
  EXPECT_EQ(dp_->AddPort("br0", {"x", 5000, {}}).status().code(), EINVAL);
  EXPECT_EQ(dp_->AddPort("nope", {"x", -1, {}}).status().code(), ENOENT);
  PortConfig c{"fixed", -1, {}, 9};
  auto id = dp_->AddPort("br0", c);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 9u);
  c.name = "fixed2";
  EXPECT_EQ(dp_->AddPort("br0", c).status().code(), EEXIST);
  auto ports = dp_->Ports("br0");
  ASSERT_TRUE(ports.ok());
  ASSERT_EQ(ports->size(), 6u);
  EXPECT_EQ(ports->back().name, "fixed");
  EXPECT_EQ(dp_->AddFlow("br0", "in_port=other,actions=drop").status().code(), EINVAL);
  EXPECT_EQ(dp_->AddFlow("br9", "actions=drop").status().code(), ENOENT);
  auto notes = dp_->AddFlows("br0", {"# comment", "", "priority=3,arp,actions=drop",
                                     "idle_timeout=9,priority=4,arp,actions=NORMAL"});
  ASSERT_TRUE(notes.ok());
  EXPECT_EQ(notes->at(0), "line 4: idle_timeout=9 ignored: numavs flows do not expire");
  auto bad = dp_->AddFlows("br0", {"priority=5,ip,actions=drop", "priority=5,ipp,actions=drop"});
  EXPECT_NE(bad.status().message().find("line 2: bad token 'ipp'"), std::string::npos)
      << bad.status().message();
  EXPECT_EQ(dp_->DumpFlows("br0")->find("priority=5"), std::string::npos);  // nothing added
  ASSERT_TRUE(dp_->DelBridge("br1").ok());
  EXPECT_FALSE(dp_->PortId("other").has_value());
  EXPECT_EQ(dp_->Bridges(), std::vector<std::string>{"br0"});
}

TEST(MacTable, CapacityEvictsOldest) {
  std::atomic<uint64_t> gen{0};
  MacTable t(&gen, kDefaultMacAgingNs, 2);
  uint8_t a[6] = {0, 0, 0, 0, 0, 1}, b[6] = {0, 0, 0, 0, 0, 2}, c[6] = {0, 0, 0, 0, 0, 3};
  EXPECT_TRUE(t.Learn(a, 0, 1, 1));
  EXPECT_TRUE(t.Learn(b, 0, 1, 2));
  EXPECT_TRUE(t.Learn(c, 0, 1, 3));
  EXPECT_EQ(t.size(), 2u);
  EXPECT_FALSE(t.Lookup(a, 0, 4).has_value());
  EXPECT_EQ(*t.Lookup(c, 0, 4), 1u);
  uint8_t mcast[6] = {1, 0, 0, 0, 0, 1};
  EXPECT_FALSE(t.Learn(mcast, 0, 1, 5));
}

TEST(MacTable, StaticEntriesNeverAgeAndDoNotMove) {
  std::atomic<uint64_t> gen{0};
  MacTable t(&gen, 1000);
  uint8_t a[6] = {2, 0, 0, 0, 0, 1};
  EXPECT_TRUE(t.Learn(a, 0, 1, 0));
  uint64_t g = gen.load();
  t.AddStatic(a, 0, 2);
  EXPECT_GT(gen.load(), g);
  EXPECT_FALSE(t.Learn(a, 0, 3, 10));          // learning does not move it
  EXPECT_EQ(*t.Lookup(a, 0, 1000000), 2u);    // nor does it age
  EXPECT_EQ(t.Expire(1000000), 0u);
  EXPECT_NE(t.Show(nullptr, 5).find("static"), std::string::npos);
  t.FlushPort(2);
  EXPECT_FALSE(t.Lookup(a, 0, 5).has_value());
}

}  // namespace
}  // namespace vs::dp
