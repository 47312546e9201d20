// Matches: ONE codec for the NXM (Nicira) and OXM (OpenFlow 1.2+) type-length-value
// encodings, plus the fixed OpenFlow 1.0 ofp_match, all to and from one value: a list
// of fields (MatchField), each a field id with a value and an optional mask.
//
// A TLV header is class(16) | field(7) | hasmask(1) | length(8). Decoding checks each
// TLV's class and field (unknown: OFPBMC_BAD_FIELD), its length against the field's
// width (OFPBMC_BAD_LEN), that only maskable fields carry a mask (BAD_MASK), that the
// value has no bits outside the mask (BAD_WILDCARDS), that no field appears twice
// (DUP_FIELD) and that each field's prerequisites (eth_type, ip_proto) were matched
// before it (BAD_PREREQ), as Open vSwitch does.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "openflow/error.h"
#include "openflow/wire.h"

namespace vs::openflow {

// Match fields numavs knows, independent of the encoding. Registers are contiguous.
enum class Field : uint8_t {
  kInPort,      // 32-bit port number (NXM carries 16 bits, converted)
  kMetadata,    // OXM only
  kEthDst,
  kEthSrc,
  kEthType,
  kVlanTci,     // NXM: 802.1Q TCI with the CFI bit meaning "tag present"
  kVlanVid,     // OXM: 12-bit VID | 0x1000 present
  kVlanPcp,     // OXM
  kIpTos,       // NXM: DSCP in the upper 6 bits
  kIpDscp,      // OXM: DSCP as a 6-bit number
  kIpEcn,
  kIpProto,
  kIpTtl,       // NXM only
  kIpFrag,      // NXM only
  kIpv4Src,
  kIpv4Dst,
  kTcpSrc,
  kTcpDst,
  kUdpSrc,
  kUdpDst,
  kSctpSrc,
  kSctpDst,
  kIcmpv4Type,
  kIcmpv4Code,
  kArpOp,
  kArpSpa,
  kArpTpa,
  kArpSha,
  kArpTha,
  kIpv6Src,
  kIpv6Dst,
  kIpv6Label,
  kIcmpv6Type,
  kIcmpv6Code,
  kNdTarget,
  kNdSll,
  kNdTll,
  kMplsLabel,
  kMplsTc,
  kMplsBos,
  kTunId,
  kTcpFlags,
  kPktMark,
  kConjId,
  kCtState,
  kCtZone,
  kCtMark,
  kCookie,  // NXM only: a flow's cookie, in NXT_FLOW_MOD / NXST_FLOW matches (moved out
            // of the match into the message's cookie/cookie_mask when decoded)
  kReg0,  // .. kReg0 + 15
  kReg15 = kReg0 + 15,
  kXreg0,  // OXM experimenter class 0x8001 (pairs of registers), .. kXreg0 + 7
  kXreg7 = kXreg0 + 7,
  kCount,
};

// Which TLV encoding a match uses on the wire.
enum class TlvFormat : uint8_t { kNxm, kOxm };

struct MatchField {
  Field field = Field::kInPort;
  uint8_t len = 0;   // bytes of value (and of mask)
  bool has_mask = false;
  std::array<uint8_t, 16> value{};
  std::array<uint8_t, 16> mask{};  // all ones when !has_mask

  uint64_t ValueInt() const;  // big-endian value of up to 8 bytes
  uint64_t MaskInt() const;
  bool operator==(const MatchField& o) const = default;
};

struct Match {
  std::vector<MatchField> fields;
  const MatchField* Find(Field f) const;
  // Adds an exact (mask == nullptr or all-ones) or masked field of `len` bytes.
  void Add(Field f, const uint8_t* value, const uint8_t* mask, uint8_t len);
  void AddInt(Field f, uint64_t value, uint8_t len);
  void AddMaskedInt(Field f, uint64_t value, uint64_t mask, uint8_t len);
  bool operator==(const Match& o) const = default;
};

// Static description of a field.
struct FieldInfo {
  Field field;
  const char* name;  // OVS's name ("in_port", "NXM_NX_REG0" printed as "reg0")
  uint8_t width;     // value bytes in numavs's form
  bool maskable;
};
const FieldInfo& InfoOf(Field f);

// A TLV header as a 32-bit number (class, field, hasmask, length).
constexpr uint32_t TlvHeader(uint16_t cls, uint8_t field, bool has_mask, uint8_t len) {
  return static_cast<uint32_t>(cls) << 16 | static_cast<uint32_t>(field) << 9 |
         static_cast<uint32_t>(has_mask) << 8 | len;
}
constexpr uint16_t kNxmClass0 = 0x0000;
constexpr uint16_t kNxmClass1 = 0x0001;
constexpr uint16_t kOxmClassBasic = 0x8000;
constexpr uint16_t kOxmClassPacketRegs = 0x8001;
constexpr uint16_t kOxmClassExperimenter = 0xffff;

// The TLV header (without mask bit and length) that encodes `f`, preferably in
// `format` and else in the other one (as OVS, which puts registers in OF1.3 matches as
// NXM TLVs and metadata in NXM matches as OXM), or nullopt. *width: the value's bytes.
std::optional<uint32_t> TlvOf(Field f, TlvFormat format, uint8_t* width);
// The field of a TLV class/field number (NXM classes 0-1, OXM 0x8000-0x8001; decoding
// accepts both in either kind of match), or nullopt. *width: the value's wire bytes.
std::optional<Field> FieldOfTlv(uint16_t cls, uint8_t field, uint8_t* width);

// Decodes TLVs filling exactly `b` (NXM: the nx_match; OXM: the oxm_fields of an
// ofp_match, without its header and padding). At most kMaxMatchFields fields.
constexpr size_t kMaxMatchFields = 64;
// check_prereqs = false for a lone field (set_field).
OfResult<Match> DecodeTlvs(ByteView b, TlvFormat format, bool check_prereqs = true);
// Appends the TLVs of `m`; returns their byte count (unpadded). Fields the format
// cannot carry give OFPBMC_BAD_FIELD.
OfResult<size_t> EncodeTlvs(const Match& m, TlvFormat format, Bytes* out);

// An OXM ofp_match (type 1, length, fields, padding to 8) at the reader: consumes it.
OfResult<Match> DecodeOxmMatch(Reader* r);
OfResult<bool> EncodeOxmMatch(const Match& m, Bytes* out);

// The OpenFlow 1.0 ofp_match (40 bytes).
constexpr size_t kMatch10Len = 40;
OfResult<Match> DecodeMatch10(ByteView b);
// Fields OF1.0 cannot express give OFPBMC_BAD_FIELD (callers then use NXM).
OfResult<bool> EncodeMatch10(const Match& m, Bytes* out);

// The prerequisite check alone (decoders already apply it): every field's eth_type /
// ip_proto / VLAN prerequisites are present in `m` before it.
OfResult<bool> CheckPrerequisites(const Match& m);

}  // namespace vs::openflow
