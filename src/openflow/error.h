// OpenFlow errors as values. A decoder that refuses input returns an Error naming the
// version-independent kind (Err) and a sentence for the log; ErrorWire() gives the
// (type, code) pair of the spec for the connection's version — or the Nicira vendor
// encoding OVS uses where the spec has none (OF1.0 lacks BAD_MATCH, for example), so
// ovs-ofctl prints the error by name — and EncodeError() builds the OFPT_ERROR reply
// quoting the offending request.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

#include "openflow/wire.h"

namespace vs::openflow {

enum class Err : uint8_t {
  kHelloIncompatible,
  kHelloEperm,
  // BAD_REQUEST
  kBadVersion,
  kBadType,
  kBadMultipart,
  kBadExperimenter,
  kBadExpType,
  kEperm,
  kBadLen,
  kBufferUnknown,
  kBadTableId,
  kIsSlave,
  kBadPort,
  kMultipartBufferOverflow,
  kNxmInvalid,
  kNxmBadType,
  kMustBeZero,
  // BAD_ACTION
  kActBadType,
  kActBadLen,
  kActBadExperimenter,
  kActBadExpType,
  kActBadOutPort,
  kActBadArgument,
  kActTooMany,
  kActBadOutGroup,
  kActMatchInconsistent,
  kActBadSetType,
  kActBadSetLen,
  kActBadSetArgument,
  kActMustBeZero,
  kActBadConjunction,
  // BAD_INSTRUCTION
  kInstUnknown,
  kInstUnsupInst,
  kInstBadTableId,
  kInstUnsupMetadata,
  kInstBadExperimenter,
  kInstBadExpType,
  kInstBadLen,
  kInstDup,
  // BAD_MATCH
  kMatchBadType,
  kMatchBadLen,
  kMatchBadWildcards,
  kMatchBadField,
  kMatchBadValue,
  kMatchBadMask,
  kMatchBadPrereq,
  kMatchDupField,
  // FLOW_MOD_FAILED
  kFmUnknown,
  kFmTableFull,
  kFmBadTableId,
  kFmOverlap,
  kFmBadTimeout,
  kFmBadCommand,
  kFmBadFlags,
  // GROUP_MOD_FAILED
  kGroupInvalid,
  kGroupUnknown,
  kGroupBadType,
  kGroupBadCommand,
  // METER_MOD_FAILED
  kMeterUnknown,
  // SWITCH_CONFIG_FAILED
  kConfigBadFlags,
  // ROLE_REQUEST_FAILED
  kRoleStale,
  kRoleUnsup,
  kRoleBadRole,
  // TABLE_FEATURES_FAILED
  kTableFeaturesEperm,
  // Fallback when a kind has no encoding in a version.
  kUnencodable,
  kCount,
};

struct Error {
  Err kind = Err::kBadType;
  std::string detail;  // for the log: what exactly was wrong
};

// The spec's name of the kind, as ovs-ofctl prints it ("OFPBRC_BAD_LEN").
const char* ErrName(Err e);

// How a kind is put on the wire in one version.
struct ErrorWire {
  uint16_t type = 0;
  uint16_t code = 0;
  bool nx = false;  // Nicira vendor error: OF1.0 NXET_VENDOR(type, code), 1.2+ experimenter(type)
};
ErrorWire WireOf(Err e, uint8_t version);

// An OFPT_ERROR with `xid`, quoting the first kErrorQuoteLen bytes of `request`.
Bytes EncodeError(Err e, uint8_t version, uint32_t xid, ByteView request);

// A decoded OFPT_ERROR (for tests and tools): type/code as on the wire.
struct ErrorMsg {
  uint16_t type = 0;
  uint16_t code = 0;
  Bytes data;
};

// A value or the OpenFlow error to send back.
template <typename T>
class [[nodiscard]] OfResult {
 public:
  OfResult(T v) : v_(std::move(v)) {}      // NOLINT: implicit by design
  OfResult(Error e) : v_(std::move(e)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Shorthand used by the decoders.
inline Error Fail(Err e, std::string detail) { return Error{e, std::move(detail)}; }

}  // namespace vs::openflow
