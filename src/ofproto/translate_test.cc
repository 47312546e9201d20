// OpenFlow values <-> datapath table values, and the refusals of what dp cannot do.
#include "ofproto/translate.h"

#include <gtest/gtest.h>

#include "dp/flow_parse.h"
#include "openflow/consts.h"

namespace vs::ofproto {
namespace {
namespace of = vs::openflow;

PortMap Map() {
  PortMap pm;
  pm.local_dp_id = 255;
  pm.max_ports = 256;
  return pm;
}

dp::Match Parse(const char* text) {
  auto spec = dp::ParseFlow(text, dp::ParseMode::kMatchOnly,
                            [](std::string_view) { return std::nullopt; });
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return spec->match;
}

TEST(Translate, MatchesRoundTripThroughBothTlvFormats) {
  for (const char* text :
       {"in_port=3", "tcp,nw_dst=10.0.0.0/8,tp_dst=80", "udp,nw_src=1.2.3.4,tp_src=53",
        "arp,arp_spa=10.0.0.1,arp_op=2", "icmp,icmp_type=8,icmp_code=0",
        "dl_src=00:11:22:33:44:55,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00",
        "dl_vlan=10", "ipv6,ipv6_dst=fe80::/64", "ip,nw_tos=32", "dl_vlan=0xffff"}) {
    dp::Match m = Parse(text);
    for (of::TlvFormat f : {of::TlvFormat::kNxm, of::TlvFormat::kOxm}) {
      of::Match wire = MatchFromDp(m, Map(), f);
      ASSERT_TRUE(of::CheckPrerequisites(wire).ok()) << text;
      of::Bytes b;
      ASSERT_TRUE(of::EncodeTlvs(wire, f, &b).ok()) << text;
      auto back = of::DecodeTlvs(b, f);
      ASSERT_TRUE(back.ok()) << text << ": " << back.error().detail;
      auto d = MatchToDp(*back, Map());
      ASSERT_TRUE(d.ok()) << text;
      EXPECT_EQ(*d, m) << text << (f == of::TlvFormat::kNxm ? " (NXM)" : " (OXM)");
    }
  }
}

TEST(Translate, LocalPortIsOfppLocal) {
  of::Match m;
  m.AddInt(of::Field::kInPort, of::kPortLocal, 4);
  auto d = MatchToDp(m, Map());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->key.in_port, 255u);
  EXPECT_EQ(MatchFromDp(*d, Map(), of::TlvFormat::kOxm), m);
  of::Match bad;
  bad.AddInt(of::Field::kInPort, 70000, 4);
  EXPECT_EQ(MatchToDp(bad, Map()).error().kind, of::Err::kMatchBadValue);
}

TEST(Translate, UnsupportedFieldsAndActionsAreRefused) {
  of::Match m;
  m.AddInt(of::Field::kReg0, 1, 4);
  EXPECT_EQ(MatchToDp(m, Map()).error().kind, of::Err::kMatchBadField);
  dp::Match any;
  of::Action resubmit;
  resubmit.type = of::ActionType::kResubmit;
  EXPECT_EQ(ActionsToDp({resubmit}, any, Map()).error().kind, of::Err::kActBadExpType);
  of::Action group;
  group.type = of::ActionType::kGroup;
  EXPECT_EQ(ActionsToDp({group}, any, Map()).error().kind, of::Err::kActBadType);
  of::Action all;
  all.port = of::kPortAll;
  EXPECT_EQ(ActionsToDp({all}, any, Map()).error().kind, of::Err::kActBadOutPort);
  of::Action ctl;
  ctl.port = of::kPortController;
  EXPECT_EQ(ActionsToDp({ctl}, any, Map()).error().kind, of::Err::kActBadOutPort);
  of::Instructions in;
  in.goto_table = 1;
  EXPECT_EQ(InstructionsToDp(in, any, Map()).error().kind, of::Err::kInstBadTableId);
  of::Instructions in2;
  in2.clear_actions = true;
  EXPECT_EQ(InstructionsToDp(in2, any, Map()).error().kind, of::Err::kInstUnsupInst);
  // set_field of a VLAN id with no tag guaranteed: refused, not silently different.
  of::Action set;
  set.type = of::ActionType::kSetField;
  of::Match f;
  f.AddInt(of::Field::kVlanVid, 0x1000 | 10, 2);
  set.field = f.fields[0];
  EXPECT_EQ(ActionsToDp({set}, any, Map()).error().kind, of::Err::kActMatchInconsistent);
  of::Action push;
  push.type = of::ActionType::kPushVlan, push.value = 0x8100;
  auto ok = ActionsToDp({push, set}, any, Map());
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)[1].type, dp::OfActionType::kSetVlanVid);
  EXPECT_EQ((*ok)[1].value, 10);
}

TEST(Translate, ActionsRoundTrip) {
  auto acts = dp::ParseActions("output:1,NORMAL,mod_dl_src:00:00:00:00:00:01,strip_vlan,IN_PORT",
                               [](std::string_view) { return std::nullopt; });
  ASSERT_TRUE(acts.ok());
  dp::Match any;
  for (uint8_t v : {of::kOf10, of::kOf13, of::kOf15}) {
    of::Actions wire = ActionsFromDp(*acts, any, Map(), v);
    of::Bytes b;
    ASSERT_TRUE(of::EncodeActions(wire, v, &b).ok());
    auto back = of::DecodeActions(b, v);
    ASSERT_TRUE(back.ok());
    auto d = ActionsToDp(*back, any, Map());
    ASSERT_TRUE(d.ok()) << d.error().detail;
    EXPECT_EQ(*d, *acts);
  }
  // mod_vlan_vid on an untagged match becomes push_vlan + set_field in OF1.3.
  auto vid = dp::ParseActions("mod_vlan_vid:10", [](std::string_view) { return std::nullopt; });
  of::Actions w13 = ActionsFromDp(*vid, any, Map(), of::kOf13);
  ASSERT_EQ(w13.size(), 2u);
  EXPECT_EQ(w13[0].type, of::ActionType::kPushVlan);
  EXPECT_TRUE(OutputsTo(*acts, 1, Map()));
  EXPECT_FALSE(OutputsTo(*acts, 2, Map()));
}

}  // namespace
}  // namespace vs::ofproto
