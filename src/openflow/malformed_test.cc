// Malformed input: every refusal is the spec's error, nothing reads out of bounds (run
// under ASan by the asan preset), and the fuzz entry point survives the same inputs.
#include <gtest/gtest.h>

#include <random>

#include "openflow/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace vs::openflow {
namespace {

Bytes Hex(std::string_view h) {
  Bytes b;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    b.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return b;
}

Err KindOf(const Bytes& b) {
  auto m = Decode(b);
  EXPECT_FALSE(m.ok());
  return m.ok() ? Err::kCount : m.error().kind;
}

const Bytes kFlowMod13 = Hex(
    "040e005800000006000000000000000000000000000000000000000000008000ffffffffffffffffffffffff"
    "000000000001000c800000040000000100000000000400180000000000000010000000020000000000000000");

TEST(Malformed, HeadersAndLengths) {
  EXPECT_EQ(KindOf(Hex("0400")), Err::kBadLen);                   // truncated header
  EXPECT_EQ(KindOf(Hex("0405000400000001")), Err::kBadLen);       // length < 8
  EXPECT_EQ(KindOf(Hex("0405001000000001")), Err::kBadLen);       // says 16, has 8
  EXPECT_EQ(KindOf(Hex("0205000800000001")), Err::kBadVersion);   // OF1.1
  EXPECT_EQ(KindOf(Hex("7f05000800000001")), Err::kBadVersion);
  EXPECT_EQ(KindOf(Hex("04c8000800000001")), Err::kBadType);      // type 200
  EXPECT_EQ(KindOf(Hex("011d000800000001")), Err::kBadType);      // meter mod in 1.0
  EXPECT_EQ(KindOf(Hex("040500090000000100")), Err::kBadLen);     // features request + 1
  EXPECT_EQ(KindOf(Hex("04120010000000020063000000000000")), Err::kBadMultipart);
  EXPECT_EQ(KindOf(Hex("0104001400000002000023210000000c00000002")), Err::kBadExperimenter);
  EXPECT_EQ(KindOf(Hex("0104001400000002000023200000006300000002")), Err::kBadExpType);
  // A HELLO element whose length runs past the message.
  EXPECT_EQ(KindOf(Hex("04000010000000010001004000000010")), Err::kBadLen);
}

TEST(Malformed, EveryTruncationOfAFlowModIsRefused) {
  for (size_t n = 8; n < kFlowMod13.size(); n++) {
    if (n == 64) continue;  // header + fixed part + match: a valid flow_mod without instructions
    Bytes b(kFlowMod13.begin(), kFlowMod13.begin() + n);
    b[2] = static_cast<uint8_t>(n >> 8), b[3] = static_cast<uint8_t>(n);
    auto m = Decode(b);
    EXPECT_FALSE(m.ok()) << n;
  }
}

TEST(Malformed, MatchTlvs) {
  Bytes b = kFlowMod13;
  b[0x37] = 0x08;  // OXM in_port says 8 bytes
  EXPECT_EQ(KindOf(b), Err::kMatchBadLen);
  b = kFlowMod13;
  b[0x36] = 0x7e;  // unknown OXM field 63
  EXPECT_EQ(KindOf(b), Err::kMatchBadField);
  b = kFlowMod13;
  b[0x33] = 0x40;  // ofp_match length 64 runs past the message
  EXPECT_EQ(KindOf(b), Err::kMatchBadLen);
  b = kFlowMod13;
  b[0x31] = 0x00;  // match type 0 (OF1.1 standard match)
  EXPECT_EQ(KindOf(b), Err::kMatchBadType);
  // tcp_dst without ip/tcp: BAD_PREREQ; the same field twice: DUP_FIELD.
  EXPECT_EQ(DecodeTlvs(Hex("80001c020050"), TlvFormat::kOxm).error().kind, Err::kMatchBadPrereq);
  EXPECT_EQ(DecodeTlvs(Hex("80000004000000"), TlvFormat::kOxm).error().kind, Err::kMatchBadLen);
  EXPECT_EQ(DecodeTlvs(Hex("8000000400000001" "8000"), TlvFormat::kOxm).error().kind,
            Err::kMatchBadLen);
  EXPECT_EQ(DecodeTlvs(Hex("8000000400000001" "8000000400000002"), TlvFormat::kOxm).error().kind,
            Err::kMatchDupField);
  EXPECT_EQ(DecodeTlvs(Hex("8000010800000001ffffffff"), TlvFormat::kOxm).error().kind,
            Err::kMatchBadMask);  // in_port is not maskable
  // value bits outside the mask
  EXPECT_EQ(DecodeTlvs(Hex("80000a020800" "800019080a000001ff000000"), TlvFormat::kOxm).error().kind,
            Err::kMatchBadWildcards);
  // Oversized: 65 fields.
  Bytes many;
  for (int i = 0; i < 65; i++) {
    Bytes reg = Hex("00010004");
    reg[2] = static_cast<uint8_t>((i % 16) << 1);
    many.insert(many.end(), reg.begin(), reg.end());
    many.insert(many.end(), {0, 0, 0, 1});
  }
  auto r = DecodeTlvs(many, TlvFormat::kNxm);
  EXPECT_FALSE(r.ok());
}

TEST(Malformed, Actions) {
  EXPECT_EQ(DecodeActions(Hex("00000010000000020000"), kOf13).error().kind, Err::kActBadLen);
  EXPECT_EQ(DecodeActions(Hex("00630008" "00000000"), kOf13).error().kind, Err::kActBadType);
  EXPECT_EQ(DecodeActions(Hex("ffff0010" "00001234" "00010000" "00000000"), kOf13).error().kind,
            Err::kActBadExperimenter);
  // Nicira ct (subtype 35) is not supported: BAD_VENDOR_TYPE.
  EXPECT_EQ(DecodeActions(Hex("ffff0018" "00002320" "00230000" "0000000000000000" "00000000"),
                          kOf13).error().kind, Err::kActBadExpType);
  // Action length 0 would loop forever if not refused.
  EXPECT_EQ(DecodeActions(Hex("00000000" "00000000"), kOf10).error().kind, Err::kActBadLen);
  // reg_load into bits past the end of reg0.
  EXPECT_EQ(DecodeActions(Hex("ffff0018" "00002320" "0007" "07df" "00010004" "0000000000000001"),
                          kOf13).error().kind, Err::kActBadSetLen);
  // conjunction with n_clauses 1.
  EXPECT_EQ(DecodeActions(Hex("ffff0010" "00002320" "0022" "0001" "00000007"), kOf13).error().kind,
            Err::kActBadConjunction);
  // Instructions: unknown type, duplicate apply, experimenter.
  EXPECT_EQ(DecodeInstructions(Hex("00630008" "00000000"), kOf13).error().kind, Err::kInstUnknown);
  EXPECT_EQ(DecodeInstructions(Hex("00040008" "00000000" "00040008" "00000000"), kOf13).error().kind,
            Err::kInstDup);
  EXPECT_EQ(DecodeInstructions(Hex("ffff0008" "00000000"), kOf13).error().kind,
            Err::kInstBadExperimenter);
}

TEST(Malformed, FuzzEntryOnCorruptions) {
  std::mt19937 rng(12);
  std::vector<Bytes> seeds = {kFlowMod13, Hex("04000010000000010001000800000010"),
                              Hex("0110002000000004ffff0000000023200000000000000000ffff0000ff000000"),
                              Hex("04120038000000020001000000000000ff000000ffffffffffffffff0000000000"
                                  "0000000000000000000000000000000001000400000000")};
  for (const Bytes& s : seeds) {
    EXPECT_EQ(LLVMFuzzerTestOneInput(s.data(), s.size()), 0);
    for (int i = 0; i < 3000; i++) {
      Bytes b = s;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; f++) b[rng() % b.size()] = static_cast<uint8_t>(rng());
      if (rng() % 4 == 0) b.resize(rng() % (b.size() + 1));
      EXPECT_EQ(LLVMFuzzerTestOneInput(b.data(), b.size()), 0);
    }
  }
  EXPECT_EQ(LLVMFuzzerTestOneInput(nullptr, 0), 0);
}

}  // namespace
}  // namespace vs::openflow
