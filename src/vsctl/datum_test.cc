// ovs-vsctl value syntax: parsing and printing against the project schema.
#include "vsctl/datum.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "vsctl/schema.h"

namespace vs::vsctl {
namespace {

std::shared_ptr<Schema> LoadSchema() {
  std::ifstream in(NUMAVS_SOURCE_DIR "/schema/vswitch.ovsschema");
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = Schema::FromJson(Json::parse(ss.str()));
  EXPECT_TRUE(s.ok());
  return *s;
}

const ColumnType& Type(const Schema& s, const char* table, const char* column) {
  return s.Find(table)->Find(column)->type;
}

Result<Uuid> NoSymbols(const std::string& name) {
  return Status(EINVAL, "unknown " + name);
}

std::string RoundTrip(const ColumnType& t, std::string_view in) {
  auto d = DatumFromString(in, t, NoSymbols);
  if (!d.ok()) return "ERROR: " + d.status().message();
  return DatumToString(*d, t);
}

TEST(VsctlDatum, MapsSortAndQuoteLikeOvsVsctl) {
  auto s = LoadSchema();
  const ColumnType& options = Type(*s, "Interface", "options");
  EXPECT_EQ(RoundTrip(options, "{dpdk-devargs=\"0000:81:00.1\", a=b}"),
            "{a=b, dpdk-devargs=\"0000:81:00.1\"}");
  EXPECT_EQ(RoundTrip(options, "{}"), "{}");
  EXPECT_EQ(RoundTrip(options, "{k=\"with space\"}"), "{k=\"with space\"}");
}

TEST(VsctlDatum, SetsAndScalars) {
  auto s = LoadSchema();
  const ColumnType& vlans = Type(*s, "Bridge", "flood_vlans");
  EXPECT_EQ(RoundTrip(vlans, "20,10"), "[10, 20]");
  EXPECT_EQ(RoundTrip(vlans, "[30, 10, 30]"), "[10, 30]");
  EXPECT_EQ(RoundTrip(vlans, "[]"), "[]");
  // As in ovs-vsctl, an empty string is not the empty set.
  EXPECT_NE(RoundTrip(vlans, "").find("use \"[]\""), std::string::npos);
  const ColumnType& tag = Type(*s, "Port", "tag");  // optional integer 0..4095
  EXPECT_EQ(RoundTrip(tag, "7"), "7");
  EXPECT_EQ(RoundTrip(tag, "[]"), "[]");
  EXPECT_NE(RoundTrip(tag, "4096").find("ERROR"), std::string::npos);
  EXPECT_NE(RoundTrip(tag, "1,2").find("ERROR"), std::string::npos);
  EXPECT_NE(RoundTrip(tag, "abc").find("ERROR"), std::string::npos);
}

TEST(VsctlDatum, EnumsAreChecked) {
  auto s = LoadSchema();
  const ColumnType& fail_mode = Type(*s, "Bridge", "fail_mode");
  EXPECT_EQ(RoundTrip(fail_mode, "secure"), "secure");
  std::string err = RoundTrip(fail_mode, "bogus");
  EXPECT_NE(err.find("ERROR"), std::string::npos);
  EXPECT_NE(err.find("bogus"), std::string::npos) << err;
}

TEST(VsctlDatum, StringsNeedQuotesOnlyWhenAmbiguous) {
  EXPECT_EQ(QuoteString("plain"), "\"plain\"");
  EXPECT_EQ(AtomToString(Atom::String("plain")), "plain");
  EXPECT_EQ(AtomToString(Atom::String("1024,1024")), "\"1024,1024\"");
  EXPECT_EQ(AtomToString(Atom::String("")), "\"\"");
  EXPECT_EQ(AtomToString(Atom::String("123")), "\"123\"");  // would read back as an integer
  EXPECT_EQ(AtomToString(Atom::Integer(-5)), "-5");
  EXPECT_EQ(AtomToString(Atom::Boolean(true)), "true");
}

TEST(VsctlDatum, WireFormRoundTrip) {
  auto s = LoadSchema();
  const ColumnType& options = Type(*s, "Interface", "options");
  auto d = DatumFromString("{b=2, a=1}", options, NoSymbols);
  ASSERT_TRUE(d.ok());
  Json j = DatumToJson(*d, options, [](const Uuid& u) { return Json::array({"uuid", u.ToString()}); });
  EXPECT_EQ(j, Json::parse(R"(["map",[["a","1"],["b","2"]]])"));
  auto back = DatumFromJson(j, options);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == *d);
}

}  // namespace
}  // namespace vs::vsctl
