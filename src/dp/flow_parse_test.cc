// ovs-ofctl flow syntax: parse, print, round trip, errors naming the token.
#include "dp/flow_parse.h"

#include <gtest/gtest.h>

namespace vs::dp {
namespace {

std::optional<uint32_t> Resolve(std::string_view n) {
  if (n == "dpdk0") return 1;
  if (n == "dpdk1") return 2;
  if (n == "vhost0") return 3;
  return std::nullopt;
}
std::string Name(uint32_t p) {
  switch (p) {
    case 1:
      return "dpdk0";
    case 2:
      return "dpdk1";
    case 3:
      return "vhost0";
    default:
      return "";
  }
}

FlowSpec Parse(std::string_view s, ParseMode mode = ParseMode::kAdd) {
  auto r = ParseFlow(s, mode, Resolve);
  EXPECT_TRUE(r.ok()) << s << ": " << r.status().message();
  return r.ok() ? *r : FlowSpec{};
}
std::string Error(std::string_view s, ParseMode mode = ParseMode::kAdd) {
  auto r = ParseFlow(s, mode, Resolve);
  EXPECT_FALSE(r.ok()) << s;
  if (!r.ok()) {
    EXPECT_EQ(r.status().code(), EINVAL);
  }
  return r.ok() ? "" : r.status().message();
}
std::string RoundTrip(std::string_view s) {
  FlowSpec f = Parse(s);
  return FormatFlow(f.priority, f.match, f.actions, Name);
}

TEST(FlowParse, TheIssueExample) {
  FlowSpec f = Parse("priority=100,in_port=dpdk0,ip,nw_dst=10.0.0.0/8,actions=output:dpdk1");
  EXPECT_EQ(f.priority, 100);
  EXPECT_EQ(f.match.key.in_port, 1u);
  EXPECT_EQ(f.match.mask.in_port, ~0u);
  EXPECT_EQ(f.match.key.dl_type, kEthTypeIpv4);
  EXPECT_EQ(f.match.key.nw_dst, 10u << 24);
  EXPECT_EQ(f.match.mask.nw_dst, 0xff000000u);
  ASSERT_EQ(f.actions.size(), 1u);
  EXPECT_EQ(f.actions[0].type, OfActionType::kOutput);
  EXPECT_EQ(f.actions[0].port, 2u);
  EXPECT_EQ(FormatFlow(f.priority, f.match, f.actions, Name),
            "priority=100,ip,in_port=dpdk0,nw_dst=10.0.0.0/8 actions=output:dpdk1");
}

TEST(FlowParse, RoundTrips) {
  const char* cases[] = {
      "priority=0 actions=NORMAL",
      "actions=drop",
      "priority=5,tcp,nw_src=192.168.1.0/24,tp_dst=80 actions=output:dpdk1",
      "priority=5,udp6,ipv6_dst=2001:db8::/32,tp_src=53 actions=FLOOD",
      "priority=7,icmp,icmp_type=8,icmp_code=0 actions=drop",
      "priority=7,icmp6,icmp_type=135 actions=IN_PORT",
      "priority=9,arp,arp_spa=10.0.0.1,arp_tpa=10.0.0.2,arp_op=1 actions=NORMAL",
      "priority=9,dl_vlan=100,dl_vlan_pcp=3 actions=strip_vlan,output:dpdk0",
      "priority=9,vlan_tci=0x0000 actions=mod_vlan_vid:10,mod_vlan_pcp:2,output:dpdk1",
      "priority=9,dl_src=00:11:22:33:44:55,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 "
      "actions=mod_dl_src:02:00:00:00:00:01,mod_dl_dst:02:00:00:00:00:02,output:vhost0",
      "priority=9,dl_type=0x88cc actions=drop",
      "priority=9,ip,nw_tos=184,nw_ttl=1 actions=push_vlan:0x8100,output:dpdk0",
      "priority=9,tcp,tp_dst=0x1000/0xf000 actions=output:dpdk0,output:dpdk1",
      "priority=9,ip,nw_dst=10.0.0.0/255.0.255.0 actions=NORMAL",
      "priority=9,ipv6,ipv6_src=2001:db8::1 actions=NORMAL",
      "priority=9,tcp6,tp_src=22 actions=NORMAL",
  };
  for (const char* c : cases) EXPECT_EQ(RoundTrip(c), c);
}

TEST(FlowParse, DefaultsAndSpacesAndCase) {
  FlowSpec f = Parse("  in_port=2  tcp  actions=normal");
  EXPECT_EQ(f.priority, kDefaultPriority);
  EXPECT_EQ(f.match.key.in_port, 2u);
  EXPECT_EQ(f.actions[0].type, OfActionType::kNormal);
  EXPECT_EQ(FormatFlow(f.priority, f.match, f.actions, Name), "tcp,in_port=dpdk1 actions=NORMAL");
  // A bare port in the action list means output.
  f = Parse("actions=dpdk1,3");
  ASSERT_EQ(f.actions.size(), 2u);
  EXPECT_EQ(f.actions[1].port, 3u);
}

TEST(FlowParse, CookieTableTimeouts) {
  FlowSpec f = Parse("cookie=0x1f,table=0,idle_timeout=10,hard_timeout=0,ip,actions=drop");
  EXPECT_EQ(f.cookie, 0x1fu);
  ASSERT_EQ(f.notes.size(), 1u);
  EXPECT_NE(f.notes[0].find("idle_timeout=10 ignored"), std::string::npos);
  EXPECT_EQ(Parse("table=1,actions=drop").table, 1);
  EXPECT_NE(Error("table=255,actions=drop").find("'table=255'"), std::string::npos);
}

TEST(FlowParse, HostBitsAreMasked) {
  FlowSpec f = Parse("ip,nw_src=10.1.2.3/8,actions=drop");
  EXPECT_EQ(f.match.key.nw_src, 10u << 24);
  f = Parse("dl_vlan=0xffff,actions=drop");
  EXPECT_EQ(f.match.mask.vlan_tci, 0xffff);
  EXPECT_EQ(f.match.key.vlan_tci, 0);
}

TEST(FlowParse, ErrorsNameTheToken) {
  EXPECT_NE(Error("priority=70000,actions=drop").find("'priority=70000'"), std::string::npos);
  EXPECT_NE(Error("in_port=eth9,actions=drop").find("no port named 'eth9'"), std::string::npos);
  EXPECT_NE(Error("ip,nw_dst=10.0.0.300,actions=drop").find("'nw_dst=10.0.0.300'"),
            std::string::npos);
  EXPECT_NE(Error("ip,nw_dst=10.0.0.0/33,actions=drop").find("prefix length"), std::string::npos);
  EXPECT_NE(Error("dl_src=00:11:22:33:44,actions=drop").find("MAC address"), std::string::npos);
  EXPECT_NE(Error("foo=1,actions=drop").find("unknown field"), std::string::npos);
  EXPECT_NE(Error("bogus,actions=drop").find("'bogus'"), std::string::npos);
  EXPECT_NE(Error("ip").find("no 'actions='"), std::string::npos);
  EXPECT_NE(Error("actions=output:nope").find("'output:nope'"), std::string::npos);
  EXPECT_NE(Error("actions=frobnicate").find("unknown action"), std::string::npos);
  EXPECT_NE(Error("actions=mod_vlan_vid:5000").find("0-4095"), std::string::npos);
  EXPECT_NE(Error("actions=drop,output:1").find("'drop' must be the only"), std::string::npos);
  EXPECT_NE(Error("ip,nw_tos=3,actions=drop").find("ECN"), std::string::npos);
  EXPECT_NE(Error("ip,actions=drop", ParseMode::kMatchOnly).find("not allowed"), std::string::npos);
}

TEST(FlowParse, Prerequisites) {
  EXPECT_NE(Error("nw_dst=10.0.0.1,actions=drop").find("'nw_dst=10.0.0.1'"), std::string::npos);
  EXPECT_NE(Error("ip,tp_dst=80,actions=drop").find("TCP or UDP"), std::string::npos);
  EXPECT_NE(Error("tcp,icmp_type=8,actions=drop").find("ICMP"), std::string::npos);
  EXPECT_NE(Error("ip,ipv6_src=::1,actions=drop").find("IPv6"), std::string::npos);
  EXPECT_NE(Error("nw_proto=6,actions=drop").find("IP match"), std::string::npos);
  // Order does not matter.
  Parse("nw_dst=10.0.0.1,ip,actions=drop");
  Parse("ipv6,nw_proto=17,actions=drop");
}

TEST(FlowParse, MatchOnlyForDeleteAndTrace) {
  FlowSpec f =
      Parse("in_port=dpdk0,dl_dst=00:00:00:00:00:02,ip,nw_src=1.2.3.4", ParseMode::kMatchOnly);
  EXPECT_EQ(f.match.key.in_port, 1u);
  EXPECT_FALSE(f.has_actions);
  EXPECT_FALSE(f.has_priority);
  Parse("", ParseMode::kMatchOnly);
}

TEST(MatchCovers, NonStrictSemantics) {
  FlowSpec wide = Parse("ip", ParseMode::kMatchOnly);
  FlowSpec narrow = Parse("tcp,nw_dst=10.0.0.0/8", ParseMode::kMatchOnly);
  FlowSpec other = Parse("arp", ParseMode::kMatchOnly);
  FlowSpec all = Parse("", ParseMode::kMatchOnly);
  EXPECT_TRUE(MatchCovers(wide.match, narrow.match));
  EXPECT_FALSE(MatchCovers(narrow.match, wide.match));
  EXPECT_FALSE(MatchCovers(wide.match, other.match));
  EXPECT_TRUE(MatchCovers(all.match, other.match));
}

}  // namespace
}  // namespace vs::dp
