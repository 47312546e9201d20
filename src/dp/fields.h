// Fields that actions read and write by name (load, move, set_field, output:REG):
// the packet fields of FlowKey and the pipeline metadata of PipeMeta, each a bit string
// of fixed width addressed by (field, ofs, n_bits) as OVS's subfields are.
//
// Names follow OVS: NXM/OXM names in subfield syntax ("NXM_NX_REG0[0..15]",
// "NXM_OF_IN_PORT[]", "OXM_OF_METADATA[]") and the short names set_field uses ("reg0",
// "xreg1", "xxreg0", "metadata", "eth_src", "ip_dst", "tcp_dst", ...). xregN is
// reg2N:reg2N+1 and xxregN reg4N..reg4N+3, the lower-numbered register most significant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dp/flow_key.h"
#include "dp/match.h"

namespace vs::dp {

enum class FieldId : uint8_t {
  kReg0,  // .. kReg0 + 15
  kXreg0 = kReg0 + kNumRegs,     // .. + 7
  kXxreg0 = kXreg0 + kNumRegs / 2,  // .. + 3
  kMetadata = kXxreg0 + kNumRegs / 4,
  kInPort,
  kEthSrc,
  kEthDst,
  kEthType,
  kVlanTci,
  kIpSrc,
  kIpDst,
  kIpProto,
  kIpTos,  // the whole ToS byte as NXM_OF_IP_TOS (DSCP bits)
  kIpTtl,
  kTpSrc,
  kTpDst,
  kCount,
};

struct FieldRef {
  FieldId field = FieldId::kReg0;
  uint16_t ofs = 0;
  uint16_t n_bits = 0;  // 1..64
  bool operator==(const FieldRef& o) const = default;
};

uint16_t FieldWidth(FieldId f);
bool IsMetaField(FieldId f);  // registers and metadata (not in the packet)
// A packet field a set action may change (load/set_field target).
bool IsWritablePacketField(FieldId f);

// "NXM_NX_REG0" etc. (the NXM name in subfield syntax).
std::string NxmName(FieldId f);
// set_field's short name ("reg0", "metadata", "ip_dst").
std::string ShortName(FieldId f);

// Parses "NXM_NX_REG0[]", "NXM_NX_REG0[3..4]", "NXM_NX_REG0[5]", "reg0[0..15]", "reg0".
// nullopt with *why set on error.
std::optional<FieldRef> ParseSubfield(std::string_view s, std::string* why);
// A field name alone (set_field target): "reg0", "NXM_NX_REG0", "eth_dst", ...
std::optional<FieldId> ParseFieldName(std::string_view s);
// "NXM_NX_REG0[]" when the whole field, else "NXM_NX_REG0[0..15]" / "[5]".
std::string FormatSubfield(const FieldRef& r);

// The bits of `r` (right-aligned).
uint64_t ReadField(const FieldRef& r, const FlowKey& key, const PipeMeta& meta);
// Sets the bits of `r` to the low bits of `v`.
void WriteField(const FieldRef& r, uint64_t v, FlowKey* key, PipeMeta* meta);
// Sets in *mask the bits `r` covers (for the megaflow mask of packet fields read).
void MarkField(const FieldRef& r, FlowKey* mask);
// Prerequisites of reading or writing a packet field: nullopt if `m` satisfies them,
// else what is missing ("ip", "tcp or udp").
std::optional<std::string> MissingPrereq(FieldId f, const Match& m);

}  // namespace vs::dp
