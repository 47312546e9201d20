#include "switchd/identity.h"

#include <gtest/gtest.h>

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
  BridgeAddressInput in{"br0",
                        {{"datapath-id", "00000000cafe0001"}, {"hwaddr", "00:11:22:33:44:55"}},
                        {"00:00:00:00:00:01"},
                        ""};
  EXPECT_EQ(PickDatapathId(in), 0xcafe0001u);
  in.other_config["datapath-id"] = "cafe";  // invalid: ignored, as in OVS
  EXPECT_EQ(PickDatapathId(in), 0x001122334455ull);
}

TEST(DatapathId, HwaddrMustBeUnicastAndNonZero) {
  BridgeAddressInput in{"br0", {{"hwaddr", "01:00:5e:00:00:01"}}, {"00:00:00:00:00:07"}, ""};
  EXPECT_EQ(PickDatapathId(in), 7u);
  in.other_config["hwaddr"] = "00:00:00:00:00:00";
  EXPECT_EQ(PickDatapathId(in), 7u);
}

TEST(DatapathId, LowestGlobalUnicastPortMac) {
  BridgeAddressInput in{"br0",
                        {},
                        {"", "02:00:00:00:00:01", "01:00:00:00:00:02", "00:1b:21:00:00:09",
                         "00:1b:21:00:00:03", "bogus"},
                        "aa:bb:cc:dd:ee:ff"};
  EXPECT_EQ(PickDatapathId(in), 0x001b21000003ull);
}

TEST(DatapathId, LocalMacThenStableFallback) {
  BridgeAddressInput in{"br0", {}, {"02:00:00:00:00:01"}, "aa:bb:cc:dd:ee:f0"};
  EXPECT_EQ(PickDatapathId(in), 0xaabbccddeef0ull);
  in.local_mac = "";
  uint64_t a = PickDatapathId(in);
  EXPECT_EQ(a, PickDatapathId(in));
  EXPECT_EQ(a >> 48, 0u);          // a MAC-sized value
  EXPECT_TRUE(a & (1ull << 41));   // locally administered
  EXPECT_FALSE(a & (1ull << 40));  // unicast
  in.name = "br1";
  EXPECT_NE(PickDatapathId(in), a);
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
