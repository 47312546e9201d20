#include "switchd/identity.h"

#include <gtest/gtest.h>

#include "netdev/tap.h"

namespace vs::switchd {
namespace {

TEST(DatapathId, ParsesOnlySixteenHexDigits) {
  EXPECT_EQ(ParseDatapathId("00000000000000aB"), 0xabu);
  EXPECT_EQ(ParseDatapathId("0123456789abcdef"), 0x0123456789abcdefull);
  EXPECT_FALSE(ParseDatapathId("0000000000000000"));  // zero is not an id
  EXPECT_FALSE(ParseDatapathId("123"));
  EXPECT_FALSE(ParseDatapathId("0x23456789abcdef"));
  EXPECT_FALSE(ParseDatapathId("00000000000000ag"));
  EXPECT_EQ(DatapathIdString(0xab), "00000000000000ab");
}

TEST(DatapathId, ParsesMacs) {
  EXPECT_EQ(ParseMac("00:1B:21:aa:bb:0c"), 0x001b21aabb0cull);
  EXPECT_FALSE(ParseMac("00:1b:21:aa:bb"));
  EXPECT_FALSE(ParseMac("00-1b-21-aa-bb-0c"));
  EXPECT_FALSE(ParseMac("00:1b:21:aa:bb:0g"));
}

TEST(DatapathId, ConfiguredIdWins) {
  std::map<std::string, std::string> oc = {{"datapath-id", "00000000cafe0001"},
                                           {"hwaddr", "00:11:22:33:44:55"}};
  EXPECT_EQ(PickDatapathId("br0", oc), 0xcafe0001u);
  oc["datapath-id"] = "cafe";  // invalid: ignored, as in OVS
  EXPECT_EQ(PickDatapathId("br0", oc), 0x001122334455ull);
}

TEST(BridgeMac, HwaddrMustBeUnicastAndNonZero) {
  EXPECT_EQ(BridgeMac("br0", {{"hwaddr", "00:1B:21:0a:0b:0c"}}), "00:1b:21:0a:0b:0c");
  std::string stable = BridgeMac("br0", {});
  EXPECT_EQ(BridgeMac("br0", {{"hwaddr", "01:00:5e:00:00:01"}}), stable);
  EXPECT_EQ(BridgeMac("br0", {{"hwaddr", "00:00:00:00:00:00"}}), stable);
  EXPECT_EQ(BridgeMac("br0", {{"hwaddr", "bogus"}}), stable);
}

TEST(BridgeMac, StableLocallyAdministeredPerName) {
  std::string a = BridgeMac("br0", {});
  EXPECT_EQ(a, BridgeMac("br0", {}));
  EXPECT_EQ(a, netdev::StableMac("br0"));
  uint64_t v = *ParseMac(a);
  EXPECT_TRUE(v & (1ull << 41));   // locally administered
  EXPECT_FALSE(v & (1ull << 40));  // unicast
  EXPECT_NE(BridgeMac("br1", {}), a);
  EXPECT_EQ(PickDatapathId("br0", {}), v);  // datapath_id is the bridge's MAC
}

TEST(DatapathCapabilities, OvsKeysWithNumavsValues) {
  auto caps = DatapathCapabilities();
  EXPECT_EQ(caps.size(), 27u);  // OVS 3.1's get_datapath_cap() keys
  EXPECT_EQ(caps["max_vlan_headers"], "1");
  EXPECT_EQ(caps["recirc"], "false");
  EXPECT_EQ(caps["ct_state"], "false");
}

}  // namespace
}  // namespace vs::switchd
