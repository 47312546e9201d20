// Actions and instructions as values, and their codecs: OpenFlow 1.0 actions, OpenFlow
// 1.3+ actions and instructions (set_field included), and the Nicira extension actions
// numavs understands (resubmit, reg_load, reg_load2, reg_move, note, output_reg,
// controller, dec_ttl, conjunction). Any other action decodes to the error a switch
// owes the controller: OFPBAC_BAD_TYPE for an unknown standard type, BAD_VENDOR for an
// unknown experimenter, BAD_VENDOR_TYPE for an unknown Nicira subtype, BAD_LEN for a
// length that is not the type's or runs past the list. Decoding never recurses beyond
// instruction -> action list, so no input nests deeper.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "openflow/error.h"
#include "openflow/match.h"
#include "openflow/wire.h"

namespace vs::openflow {

enum class ActionType : uint8_t {
  kOutput,      // port, max_len
  kEnqueue,     // port, queue (OF1.0)
  kSetVlanVid,  // value (OF1.0 action)
  kSetVlanPcp,  // value (OF1.0 action)
  kStripVlan,   // OF1.0 strip_vlan / OF1.3 pop_vlan
  kPushVlan,    // value = ethertype
  kSetDlSrc,    // mac (OF1.0 action)
  kSetDlDst,    // mac
  kSetNwSrc,    // value (OF1.0)
  kSetNwDst,
  kSetNwTos,
  kSetTpSrc,
  kSetTpDst,
  kSetField,    // field (OF1.2+; value, and a mask in 1.5)
  kGroup,       // port = group id
  kSetQueue,    // port = queue id
  kSetNwTtl,    // value
  kDecNwTtl,
  kCopyTtlOut,
  kCopyTtlIn,
  kSetMplsTtl,
  kDecMplsTtl,
  kPushMpls,    // value = ethertype
  kPopMpls,     // value = ethertype
  // Nicira extensions.
  kResubmit,     // port (0xfff8 OF1.0 form = in_port, stored 32-bit), table (0xff = this one)
  kRegLoad,      // dst subfield, value
  kRegLoad2,     // field (value/mask)
  kRegMove,      // src, dst subfields
  kNote,         // note bytes
  kOutputReg,    // src subfield, max_len
  kController,   // max_len, controller_id, reason
  kDecTtl,       // Nicira dec_ttl (no controller ids)
  kConjunction,  // conj_id, clause, n_clauses
};

// A part of a field: n_bits bits from bit ofs (NXM/OXM subfield).
struct SubField {
  Field field = Field::kReg0;
  uint16_t ofs = 0;
  uint16_t n_bits = 0;
  bool operator==(const SubField& o) const = default;
};

struct Action {
  ActionType type = ActionType::kOutput;
  uint32_t port = 0;
  uint16_t max_len = 0;
  uint8_t table = 0xff;
  uint64_t value = 0;
  uint8_t mac[6] = {};
  MatchField field;  // kSetField / kRegLoad2
  SubField src, dst;
  Bytes note;
  uint32_t conj_id = 0;
  uint8_t clause = 0, n_clauses = 0;
  uint16_t controller_id = 0;
  uint8_t reason = 0;
  bool operator==(const Action& o) const = default;
};
using Actions = std::vector<Action>;

// At most this many actions in one list (OFPBAC_TOO_MANY beyond).
constexpr size_t kMaxActions = 4096;

// Decodes an action list filling exactly `b`, for `version`.
OfResult<Actions> DecodeActions(ByteView b, uint8_t version);
// Appends the encoding for `version`. Values a version cannot express give
// OFPBAC_BAD_TYPE (e.g. set_field in OF1.0).
OfResult<bool> EncodeActions(const Actions& a, uint8_t version, Bytes* out);

struct Instructions {
  std::optional<uint8_t> goto_table;
  std::optional<std::pair<uint64_t, uint64_t>> write_metadata;  // value, mask
  std::optional<Actions> apply;
  std::optional<Actions> write;
  bool clear_actions = false;
  std::optional<uint32_t> meter;
  bool operator==(const Instructions& o) const = default;
};

// OF1.1+ instruction list filling exactly `b`: duplicates give OFPBIC_DUP_INST, unknown
// types OFPBIC_UNKNOWN_INST, experimenter instructions OFPBIC_BAD_EXPERIMENTER.
OfResult<Instructions> DecodeInstructions(ByteView b, uint8_t version);
OfResult<bool> EncodeInstructions(const Instructions& in, uint8_t version, Bytes* out);

}  // namespace vs::openflow
