#include "openflow/error.h"

#include <algorithm>
#include <array>

#include "openflow/consts.h"

namespace vs::openflow {
namespace {

constexpr int kNone = -1;
// One encoding: OpenFlow type/code, or a Nicira vendor error (for OF1.2+ the vendor
// "type" is the experimenter error type and code is unused).
struct Wire {
  int type = kNone;
  int code = 0;
  bool nx = false;
};
constexpr Wire Of(int t, int c) { return Wire{t, c, false}; }
constexpr Wire Nx(int t, int c = 0) { return Wire{t, c, true}; }
constexpr Wire None() { return Wire{}; }

struct Entry {
  Err kind;
  const char* name;
  Wire of10;
  Wire of13;   // OF1.1-1.3
  Wire of14;   // OF1.4+
};

// From the specifications' error tables; the NX encodings are OVS's (ofp-errors.h), so
// that its tools decode them by name.
constexpr Entry kTable[] = {
    {Err::kHelloIncompatible, "OFPHFC_INCOMPATIBLE", Of(0, 0), Of(0, 0), Of(0, 0)},
    {Err::kHelloEperm, "OFPHFC_EPERM", Of(0, 1), Of(0, 1), Of(0, 1)},
    {Err::kBadVersion, "OFPBRC_BAD_VERSION", Of(1, 0), Of(1, 0), Of(1, 0)},
    {Err::kBadType, "OFPBRC_BAD_TYPE", Of(1, 1), Of(1, 1), Of(1, 1)},
    {Err::kBadMultipart, "OFPBRC_BAD_STAT", Of(1, 2), Of(1, 2), Of(1, 2)},
    {Err::kBadExperimenter, "OFPBRC_BAD_VENDOR", Of(1, 3), Of(1, 3), Of(1, 3)},
    {Err::kBadExpType, "OFPBRC_BAD_SUBTYPE", Of(1, 4), Of(1, 4), Of(1, 4)},
    {Err::kEperm, "OFPBRC_EPERM", Of(1, 5), Of(1, 5), Of(1, 5)},
    {Err::kBadLen, "OFPBRC_BAD_LEN", Of(1, 6), Of(1, 6), Of(1, 6)},
    {Err::kBufferUnknown, "OFPBRC_BUFFER_UNKNOWN", Of(1, 8), Of(1, 8), Of(1, 8)},
    {Err::kBadTableId, "OFPBRC_BAD_TABLE_ID", Nx(1, 512), Of(1, 9), Of(1, 9)},
    {Err::kIsSlave, "OFPBRC_IS_SLAVE", Of(1, 5), Of(1, 10), Of(1, 10)},
    {Err::kBadPort, "OFPBRC_BAD_PORT", Nx(1, 514), Of(1, 11), Of(1, 11)},
    {Err::kMultipartBufferOverflow, "OFPBRC_MULTIPART_BUFFER_OVERFLOW", None(), Of(1, 13),
     Of(1, 13)},
    {Err::kNxmInvalid, "NXBRC_NXM_INVALID", Nx(1, 256), Nx(2), Nx(2)},
    {Err::kNxmBadType, "NXBRC_NXM_BAD_TYPE", Nx(1, 257), Nx(3), Nx(3)},
    {Err::kMustBeZero, "NXBRC_MUST_BE_ZERO", Nx(1, 515), Nx(4), Nx(4)},
    {Err::kActBadType, "OFPBAC_BAD_TYPE", Of(2, 0), Of(2, 0), Of(2, 0)},
    {Err::kActBadLen, "OFPBAC_BAD_LEN", Of(2, 1), Of(2, 1), Of(2, 1)},
    {Err::kActBadExperimenter, "OFPBAC_BAD_VENDOR", Of(2, 2), Of(2, 2), Of(2, 2)},
    {Err::kActBadExpType, "OFPBAC_BAD_VENDOR_TYPE", Of(2, 3), Of(2, 3), Of(2, 3)},
    {Err::kActBadOutPort, "OFPBAC_BAD_OUT_PORT", Of(2, 4), Of(2, 4), Of(2, 4)},
    {Err::kActBadArgument, "OFPBAC_BAD_ARGUMENT", Of(2, 5), Of(2, 5), Of(2, 5)},
    {Err::kActTooMany, "OFPBAC_TOO_MANY", Of(2, 7), Of(2, 7), Of(2, 7)},
    {Err::kActBadOutGroup, "OFPBAC_BAD_OUT_GROUP", Nx(2, 9), Of(2, 9), Of(2, 9)},
    {Err::kActMatchInconsistent, "OFPBAC_MATCH_INCONSISTENT", Nx(1, 522), Of(2, 10), Of(2, 10)},
    {Err::kActBadSetType, "OFPBAC_BAD_SET_TYPE", Nx(1, 523), Of(2, 13), Of(2, 13)},
    {Err::kActBadSetLen, "OFPBAC_BAD_SET_LEN", Nx(1, 524), Of(2, 14), Of(2, 14)},
    {Err::kActBadSetArgument, "OFPBAC_BAD_SET_ARGUMENT", Nx(1, 525), Of(2, 15), Of(2, 15)},
    {Err::kActMustBeZero, "NXBAC_MUST_BE_ZERO", Nx(2, 256), Nx(11), Nx(11)},
    {Err::kActBadConjunction, "NXBAC_BAD_CONJUNCTION", Nx(2, 526), Nx(15), Nx(15)},
    {Err::kInstUnknown, "OFPBIC_UNKNOWN_INST", None(), Of(3, 0), Of(3, 0)},
    {Err::kInstUnsupInst, "OFPBIC_UNSUP_INST", Nx(2, 257), Of(3, 1), Of(3, 1)},
    {Err::kInstBadTableId, "OFPBIC_BAD_TABLE_ID", None(), Of(3, 2), Of(3, 2)},
    {Err::kInstUnsupMetadata, "OFPBIC_UNSUP_METADATA", None(), Of(3, 3), Of(3, 3)},
    {Err::kInstBadExperimenter, "OFPBIC_BAD_EXPERIMENTER", None(), Of(3, 5), Of(3, 5)},
    {Err::kInstBadExpType, "OFPBIC_BAD_EXP_TYPE", None(), Of(3, 6), Of(3, 6)},
    {Err::kInstBadLen, "OFPBIC_BAD_LEN", None(), Of(3, 7), Of(3, 7)},
    {Err::kInstDup, "OFPBIC_DUP_INST", None(), None(), Of(3, 9)},
    {Err::kMatchBadType, "OFPBMC_BAD_TYPE", None(), Of(4, 0), Of(4, 0)},
    {Err::kMatchBadLen, "OFPBMC_BAD_LEN", None(), Of(4, 1), Of(4, 1)},
    {Err::kMatchBadWildcards, "OFPBMC_BAD_WILDCARDS", Nx(1, 262), Of(4, 5), Of(4, 5)},
    {Err::kMatchBadField, "OFPBMC_BAD_FIELD", Nx(0, 263), Of(4, 6), Of(4, 6)},
    {Err::kMatchBadValue, "OFPBMC_BAD_VALUE", Nx(1, 258), Of(4, 7), Of(4, 7)},
    {Err::kMatchBadMask, "OFPBMC_BAD_MASK", Nx(1, 259), Of(4, 8), Of(4, 8)},
    {Err::kMatchBadPrereq, "OFPBMC_BAD_PREREQ", Nx(1, 260), Of(4, 9), Of(4, 9)},
    {Err::kMatchDupField, "OFPBMC_DUP_FIELD", Nx(1, 261), Of(4, 10), Of(4, 10)},
    {Err::kFmUnknown, "OFPFMFC_UNKNOWN", None(), Of(5, 0), Of(5, 0)},
    {Err::kFmTableFull, "OFPFMFC_TABLE_FULL", Of(3, 0), Of(5, 1), Of(5, 1)},
    {Err::kFmBadTableId, "OFPFMFC_BAD_TABLE_ID", Nx(1, 512), Of(5, 2), Of(5, 2)},
    {Err::kFmOverlap, "OFPFMFC_OVERLAP", Of(3, 1), Of(5, 3), Of(5, 3)},
    // OF1.0 has no BAD_TIMEOUT; its "non-zero idle/hard timeout" code is the closest.
    {Err::kFmBadTimeout, "OFPFMFC_BAD_TIMEOUT", Of(3, 3), Of(5, 5), Of(5, 5)},
    {Err::kFmBadCommand, "OFPFMFC_BAD_COMMAND", Of(3, 4), Of(5, 6), Of(5, 6)},
    {Err::kFmBadFlags, "OFPFMFC_BAD_FLAGS", Nx(3, 258), Of(5, 7), Of(5, 7)},
    {Err::kGroupInvalid, "OFPGMFC_INVALID_GROUP", Nx(6, 1), Of(6, 1), Of(6, 1)},
    {Err::kGroupUnknown, "OFPGMFC_UNKNOWN_GROUP", Nx(6, 8), Of(6, 8), Of(6, 8)},
    {Err::kGroupBadType, "OFPGMFC_BAD_TYPE", Nx(6, 10), Of(6, 10), Of(6, 10)},
    {Err::kGroupBadCommand, "OFPGMFC_BAD_COMMAND", Nx(6, 11), Of(6, 11), Of(6, 11)},
    {Err::kMeterUnknown, "OFPMMFC_UNKNOWN", None(), Of(12, 0), Of(12, 0)},
    {Err::kConfigBadFlags, "OFPSCFC_BAD_FLAGS", None(), Of(10, 0), Of(10, 0)},
    {Err::kRoleStale, "OFPRRFC_STALE", None(), Of(11, 0), Of(11, 0)},
    {Err::kRoleUnsup, "OFPRRFC_UNSUP", None(), Of(11, 1), Of(11, 1)},
    {Err::kRoleBadRole, "OFPRRFC_BAD_ROLE", Nx(1, 513), Of(11, 2), Of(11, 2)},
    {Err::kTableFeaturesEperm, "OFPTFFC_EPERM", None(), Of(13, 5), Of(13, 5)},
    {Err::kUnencodable, "NXBRC_UNENCODABLE_ERROR", Nx(1, 521), Nx(10), Nx(10)},
};
static_assert(std::size(kTable) == static_cast<size_t>(Err::kCount));

constexpr bool TableInOrder() {
  for (size_t i = 0; i < std::size(kTable); i++)
    if (static_cast<size_t>(kTable[i].kind) != i) return false;
  return true;
}
static_assert(TableInOrder(), "kTable must list Err kinds in declaration order");

constexpr uint16_t kNxetVendor = 0xb0c2;  // OF1.0 vendor error type (OVS)
constexpr uint16_t kExperimenterError = 0xffff;

Wire Lookup(Err e, uint8_t version) {
  const Entry& en = kTable[static_cast<size_t>(e)];
  if (version <= kOf10) return en.of10;
  if (version <= kOf13) return en.of13;
  return en.of14;
}

}  // namespace

const char* ErrName(Err e) {
  size_t i = static_cast<size_t>(e);
  return i < std::size(kTable) ? kTable[i].name : "?";
}

ErrorWire WireOf(Err e, uint8_t version) {
  Wire w = Lookup(e, version);
  if (w.type == kNone) w = Lookup(Err::kUnencodable, version);
  return ErrorWire{static_cast<uint16_t>(w.type), static_cast<uint16_t>(w.code), w.nx};
}

Bytes EncodeError(Err e, uint8_t version, uint32_t xid, ByteView request) {
  ErrorWire w = WireOf(e, version);
  Bytes out;
  Writer wr(&out);
  wr.U8(version);
  wr.U8(kError);
  wr.U16(0);
  wr.U32(xid);
  if (!w.nx) {
    wr.U16(w.type);
    wr.U16(w.code);
  } else if (version <= kOf10) {
    wr.U16(kNxetVendor);
    wr.U16(0);  // NXVC_VENDOR_ERROR
    wr.U32(kNxVendor);
    wr.U16(w.type);
    wr.U16(w.code);
  } else {
    wr.U16(kExperimenterError);
    wr.U16(w.type);
    wr.U32(kNxVendor);
  }
  wr.Raw(request.first(std::min(request.size(), kErrorQuoteLen)));
  wr.Patch16(2, static_cast<uint16_t>(out.size()));
  return out;
}

}  // namespace vs::openflow
