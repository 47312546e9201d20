// The codecs against real bytes: what ovs-ofctl 3.1 sent and what ovs-vswitchd 3.1
// replied, from ../shared/interop/transcripts/ofctl.pcap.gz.
#include <gtest/gtest.h>

#include "openflow/messages.h"

namespace vs::openflow {
namespace {

Bytes Hex(std::string_view h) {
  Bytes b;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    b.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return b;
}

template <typename T>
const T& As(const OfResult<Message>& m) {
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().detail);
  const T* t = std::get_if<T>(&m->body);
  EXPECT_NE(t, nullptr);
  static T empty;
  return t ? *t : empty;
}

TEST(Codec, HelloWithBitmapNegotiatesOf13) {
  auto m = Decode(Hex("04000010000000010001000800000010"));
  const Hello& h = As<Hello>(m);
  EXPECT_EQ(h.bitmap, 1u << kOf13);
  EXPECT_EQ(NegotiateVersion(kSupportedVersions, h.Accepts()), kOf13);
  // An OF1.0 hello without bitmap accepts 1.0 only among ours.
  auto m10 = Decode(Hex("0100000800000001"));
  EXPECT_EQ(NegotiateVersion(kSupportedVersions, As<Hello>(m10).Accepts()), kOf10);
  // OVS's hello: version 1.5, no element.
  EXPECT_EQ(EncodeHello(kOf15, 1, 0), Hex("0600000800000001"));
  EXPECT_EQ(NegotiateVersion(kSupportedVersions, 1u << 2 | 1u << 3), 0);  // 1.1/1.2 only
}

TEST(Codec, FlowMod13FromOvsOfctl) {
  // add-flow -O OpenFlow13 in_port=1,actions=output:2
  Bytes raw = Hex("040e005800000006000000000000000000000000000000000000000000008000ffffffffff"
                  "ffffffffffffff000000000001000c800000040000000100000000000400180000000000"
                  "000010000000020000000000000000");
  auto m = Decode(raw);
  const FlowMod& fm = As<FlowMod>(m);
  EXPECT_EQ(fm.command, kFmAdd);
  EXPECT_EQ(fm.priority, 0x8000);
  EXPECT_EQ(fm.table_id, 0);
  ASSERT_EQ(fm.match.fields.size(), 1u);
  EXPECT_EQ(fm.match.fields[0].field, Field::kInPort);
  EXPECT_EQ(fm.match.fields[0].ValueInt(), 1u);
  ASSERT_TRUE(fm.instructions.apply);
  ASSERT_EQ(fm.instructions.apply->size(), 1u);
  EXPECT_EQ((*fm.instructions.apply)[0].type, ActionType::kOutput);
  EXPECT_EQ((*fm.instructions.apply)[0].port, 2u);
  auto again = EncodeFlowMod(kOf13, 6, fm);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, raw);
}

TEST(Codec, DeleteAllFlowMod13) {
  Bytes raw = Hex("040e00380000000600000000000000000000000000000000ff03000000008000ffffffffff"
                  "ffffffffffffff000000000001000400000000");
  auto m = Decode(raw);
  const FlowMod& fm = As<FlowMod>(m);
  EXPECT_EQ(fm.command, kFmDelete);
  EXPECT_EQ(fm.table_id, kTableAll);
  EXPECT_TRUE(fm.match.fields.empty());
  EXPECT_EQ(*EncodeFlowMod(kOf13, 6, fm), raw);
}

TEST(Codec, FlowMod10FromOvsOfctl) {
  // -O OpenFlow10 add-flow in_port=1,actions=output:2 (wildcards 0x003820fe)
  Bytes raw = Hex("010e005000000006003820fe0001000000000000000000000000000000000000000000000000"
                  "0000000000000000000000000000000000000000000000008000ffffffffffff000000000008"
                  "00020000");
  auto m = Decode(raw);
  const FlowMod& fm = As<FlowMod>(m);
  EXPECT_EQ(fm.format, FlowFormat::kOf10);
  ASSERT_EQ(fm.match.fields.size(), 1u);
  EXPECT_EQ(fm.match.fields[0].ValueInt(), 1u);
  ASSERT_EQ(fm.instructions.apply->size(), 1u);
  EXPECT_EQ((*fm.instructions.apply)[0].port, 2u);
  EXPECT_EQ(fm.out_port, kPortAny);
}

TEST(Codec, NxSetFlowFormatAndNxstFlow) {
  auto sff = Decode(Hex("0104001400000002000023200000000c00000002"));
  const SetFlowFormat& f = As<SetFlowFormat>(sff);
  EXPECT_EQ(f.format, kNxffNxm);
  Bytes req = Hex("0110002000000004ffff0000000023200000000000000000ffff0000ff000000");
  auto m = Decode(req);
  const MultipartRequest& mp = As<MultipartRequest>(m);
  EXPECT_TRUE(mp.nx);
  EXPECT_EQ(mp.type, kMpFlow);
  EXPECT_EQ(mp.flow.table_id, kTableAll);
  EXPECT_EQ(mp.flow.out_port, kPortAny);
  EXPECT_EQ(*EncodeMultipartRequest(kOf10, 4, mp), req);
  // OVS's reply: one flow, in_port=1 actions=output:2, duration 0.307s.
  FlowStats s;
  s.duration_sec = 0, s.duration_nsec = 0x124c72c0, s.priority = 0x8000;
  s.idle_age = 1, s.hard_age = 1;
  s.match.AddInt(Field::kInPort, 1, 4);
  Action out;
  out.port = 2;
  s.instructions.apply = Actions{out};
  auto entry = EncodeFlowStats(kOf10, FlowFormat::kNxm, s);
  ASSERT_TRUE(entry.ok());
  auto msgs = EncodeMultipartReply(m->header, mp, {*entry});
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0], Hex("0111005800000004ffff00000000232000000000000000000040000000000000124c72c0"
                         "80000000000000060001000100000000000000000000000000000000000000000000"
                         "000000000002000100000000000800020000"));
}

TEST(Codec, FlowStatsReply13MatchesOvs) {
  Bytes req = Hex("04120038000000020001000000000000ff000000ffffffffffffffff00000000000000000000"
                  "000000000000000000000001000400000000");
  auto m = Decode(req);
  const MultipartRequest& mp = As<MultipartRequest>(m);
  EXPECT_EQ(mp.type, kMpFlow);
  EXPECT_EQ(mp.flow.out_group, kGroupAny);
  EXPECT_EQ(*EncodeMultipartRequest(kOf13, 2, mp), req);
  FlowStats a;
  a.duration_nsec = 0x12a80040;
  a.match.AddInt(Field::kInPort, 1, 4);
  Action out2;
  out2.port = 2;
  a.instructions.apply = Actions{out2};
  FlowStats b;
  b.duration_sec = 1, b.duration_nsec = 0x27384880, b.priority = 0;
  Action normal;
  normal.port = kPortNormal;
  b.instructions.apply = Actions{normal};
  auto msgs = EncodeMultipartReply(m->header, mp, {*EncodeFlowStats(kOf13, FlowFormat::kOxm, a),
                                                   *EncodeFlowStats(kOf13, FlowFormat::kOxm, b)});
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0], Hex("041300b8000000020001000000000000005800000000000012a8004080000000000000000000"
                        "00000000000000000000000000000000000000000000000000000001000c8000000400000001"
                        "0000000000040018000000000000001000000002000000000000000000500000000000012738"
                        "4880000000000000000000000000000000000000000000000000000000000000000000000000"
                        "0001000400000000000400180000000000000010fffffffa0000000000000000"));
}

PortDesc Port(uint32_t no, const char* name, const char* mac) {
  PortDesc p;
  p.port_no = no;
  p.name = name;
  Bytes m = Hex(mac);
  std::copy(m.begin(), m.end(), p.hw_addr);
  p.config = kPortConfigDown, p.state = kPortStateLinkDown;
  p.curr = 0x840, p.curr_speed = 10000000;
  return p;
}

TEST(Codec, PortDescAndFeaturesMatchOvs) {
  auto m = Decode(Hex("0412001000000004000d000000000000"));
  const MultipartRequest& mp = As<MultipartRequest>(m);
  EXPECT_EQ(mp.type, kMpPortDesc);
  std::vector<Bytes> e;
  for (const PortDesc& p : {Port(kPortLocal, "br2", "3edb3687d547"), Port(1, "p1", "2606cc5733b6"),
                            Port(2, "p2", "7efb1711e86a")})
    e.push_back(EncodePortDesc(kOf13, p));
  EXPECT_EQ(EncodeMultipartReply(m->header, mp, e)[0],
            Hex("041300d000000004000d000000000000fffffffe000000003edb3687d5470000627232000000"
                "0000000000000000000000000001000000010000084000000000000000000000000000989680"
                "0000000000000001000000002606cc5733b60000703100000000000000000000000000000000"
                "0001000000010000084000000000000000000000000000989680000000000000000200000000"
                "7efb1711e86a0000703200000000000000000000000000000000000100000001000008400000"
                "000000000000000000000098968000000000"));
  FeaturesReply f;
  f.datapath_id = 0x3edb3687d547, f.n_tables = 254, f.capabilities = 0x4f;
  EXPECT_EQ(EncodeFeaturesReply(kOf13, 2, f),
            Hex("040600200000000200003edb3687d54700000000fe0000000000004f00000000"));
  EXPECT_EQ(EncodeGetConfigReply(kOf13, 5, SetConfig{}), Hex("0408000c0000000500000000"));
  EXPECT_EQ(EncodeEmpty(kOf13, kBarrierReply, 7), Hex("0415000800000007"));
}

TEST(Codec, PortStats13MatchesOvs) {
  auto m = Decode(Hex("04120018000000020004000000000000ffffffff00000000"));
  const MultipartRequest& mp = As<MultipartRequest>(m);
  EXPECT_EQ(mp.port_no, kPortAny);
  std::vector<Bytes> e;
  for (uint32_t no : {kPortLocal, 1u, 2u}) {
    PortStats s;
    s.port_no = no, s.duration_sec = 1, s.duration_nsec = 0x39a33fc0;
    e.push_back(EncodePortStats(kOf13, s));
  }
  Bytes got = EncodeMultipartReply(m->header, mp, e)[0];
  EXPECT_EQ(got.size(), 352u);
  EXPECT_EQ(Bytes(got.begin() + 16, got.begin() + 24), Hex("fffffffe00000000"));
  EXPECT_EQ(Bytes(got.end() - 8, got.end()), Hex("0000000139a33fc0"));
}

TEST(Codec, LargeRepliesAreSplitWithMore) {
  Header h{kOf13, kMultipartRequest, 16, 9};
  MultipartRequest mp;
  mp.type = kMpFlow;
  std::vector<Bytes> e(2000, Bytes(88, 0));
  auto msgs = EncodeMultipartReply(h, mp, e);
  ASSERT_EQ(msgs.size(), 3u);
  size_t total = 0;
  for (size_t i = 0; i < msgs.size(); i++) {
    EXPECT_LE(msgs[i].size(), kMaxMessageLen);
    EXPECT_EQ(msgs[i][11], i + 1 < msgs.size() ? 1 : 0);
    total += msgs[i].size() - 16;
  }
  EXPECT_EQ(total, 2000u * 88);
}

TEST(Codec, ErrorsQuoteTheRequestAndUseTheVersionsCodes) {
  Bytes req = Hex("0412001000000004000d000000000000");
  Bytes e = EncodeError(Err::kBadMultipart, kOf13, 4, req);
  EXPECT_EQ(Bytes(e.begin(), e.begin() + 12), Hex("0401001c000000040001" "0002"));
  EXPECT_EQ(Bytes(e.begin() + 12, e.end()), req);
  // BAD_MATCH/BAD_FIELD: (4,6) in 1.3; OF1.0 has no BAD_MATCH: OVS's Nicira vendor error.
  EXPECT_EQ(WireOf(Err::kMatchBadField, kOf13).type, 4);
  EXPECT_EQ(WireOf(Err::kMatchBadField, kOf13).code, 6);
  Bytes e10 = EncodeError(Err::kMatchBadPrereq, kOf10, 1, req);
  EXPECT_EQ(Bytes(e10.begin() + 8, e10.begin() + 20), Hex("b0c20000" "00002320" "00010104"));
  Bytes e13 = EncodeError(Err::kActBadConjunction, kOf13, 1, req);
  EXPECT_EQ(Bytes(e13.begin() + 8, e13.begin() + 16), Hex("ffff000f00002320"));
  // A long request is quoted to 64 bytes.
  EXPECT_EQ(EncodeError(Err::kBadLen, kOf15, 1, Bytes(500, 0)).size(), 12u + 64u);
}

TEST(Codec, NxmAndOxmShareOneTlvCodec) {
  Match m;
  m.AddInt(Field::kInPort, 3, 4);
  m.AddInt(Field::kEthType, 0x0800, 2);
  m.AddInt(Field::kIpProto, 6, 1);
  m.AddMaskedInt(Field::kIpv4Dst, 0x0a000000, 0xff000000, 4);
  m.AddInt(Field::kTcpDst, 80, 2);
  m.AddMaskedInt(Field::kReg0 , 5, 0xff, 4);
  for (TlvFormat f : {TlvFormat::kNxm, TlvFormat::kOxm}) {
    Bytes b;
    ASSERT_TRUE(EncodeTlvs(m, f, &b).ok());
    auto back = DecodeTlvs(b, f);
    ASSERT_TRUE(back.ok()) << back.error().detail;
    EXPECT_EQ(*back, m);
  }
  Bytes nxm;
  ASSERT_TRUE(EncodeTlvs(m, TlvFormat::kNxm, &nxm).ok());
  EXPECT_EQ(Bytes(nxm.begin(), nxm.begin() + 6), Hex("000000020003"));  // NXM_OF_IN_PORT
}

TEST(Codec, NiciraActionsRoundTrip) {
  Actions acts;
  Action a;
  a.type = ActionType::kResubmit, a.port = kPortInPort, a.table = 5;
  acts.push_back(a);
  a = Action{};
  a.type = ActionType::kRegLoad, a.dst = SubField{static_cast<Field>(static_cast<int>(Field::kReg0) + 2), 0, 16}, a.value = 0x1234;
  acts.push_back(a);
  a = Action{};
  a.type = ActionType::kRegMove, a.src = SubField{Field::kReg0, 0, 32};
  a.dst = SubField{static_cast<Field>(static_cast<int>(Field::kReg0) + 1), 0, 32};
  acts.push_back(a);
  a = Action{};
  a.type = ActionType::kNote, a.note = Bytes{1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0};
  acts.push_back(a);
  a = Action{};
  a.type = ActionType::kOutputReg, a.src = SubField{Field::kReg0, 0, 16}, a.max_len = 0xffff;
  acts.push_back(a);
  a = Action{};
  a.type = ActionType::kController, a.max_len = 128, a.reason = 1;
  acts.push_back(a);
  a = Action{};
  a.type = ActionType::kDecTtl;
  acts.push_back(a);
  a = Action{};
  a.type = ActionType::kConjunction, a.conj_id = 7, a.clause = 0, a.n_clauses = 2;
  acts.push_back(a);
  for (uint8_t v : {kOf10, kOf13, kOf15}) {
    Bytes b;
    ASSERT_TRUE(EncodeActions(acts, v, &b).ok());
    auto back = DecodeActions(b, v);
    ASSERT_TRUE(back.ok()) << back.error().detail;
    EXPECT_EQ(*back, acts);
  }
}

TEST(Codec, InstructionsRoundTrip) {
  Instructions in;
  Action set;
  set.type = ActionType::kSetField;
  Match m;
  m.AddInt(Field::kIpv4Src, 0x01020304, 4);
  set.field = m.fields[0];
  in.apply = Actions{set};
  in.goto_table = 3;
  in.write_metadata = std::make_pair(1ull, 0xffull);
  Bytes b;
  ASSERT_TRUE(EncodeInstructions(in, kOf13, &b).ok());
  auto back = DecodeInstructions(b, kOf13);
  ASSERT_TRUE(back.ok()) << back.error().detail;
  EXPECT_EQ(*back, in);
}

}  // namespace
}  // namespace vs::openflow
