// OVSDB types (RFC 7047 §3.2 <type>, <base-type>, <atomic-type>) and atoms.
//
// An Atom is one value of an atomic type, held in a std::variant whose index
// equals the AtomicType ordinal, so `atom.index()` tells its type and the
// variant's own operators give the per-type total order (integers and reals
// numerically, booleans false<true, strings bytewise, UUIDs as 128-bit
// numbers, which is also their textual order). Atoms of different types are
// never compared by the engine.
//
// BaseType is an atomic type plus its constraints (enum, integer/real range,
// string length, refTable/refType). ColumnType is a key BaseType, an optional
// value BaseType (a map), and a cardinality [n_min, n_max]
// (n_max == kUnlimited for "unlimited"). Types are immutable once a schema is
// built; `ref_table_index` is filled in by DatabaseSchema when it resolves
// table names.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/json.h"
#include "base/uuid.h"
#include "ovsdb/error.h"

namespace vs::ovsdb {

enum class AtomicType : uint8_t { kInteger = 0, kReal, kBoolean, kString, kUuid };

// "integer", "real", "boolean", "string", "uuid".
const char* AtomicTypeName(AtomicType t);
std::optional<AtomicType> ParseAtomicType(std::string_view s);

using Atom = std::variant<int64_t, double, bool, std::string, Uuid>;

inline AtomicType TypeOf(const Atom& a) { return static_cast<AtomicType>(a.index()); }
// The default atom of a type: 0, 0.0, false, "", all-zero UUID.
Atom DefaultAtom(AtomicType t);
// Wire form: number, boolean, string, or ["uuid","..."].
Json AtomToJson(const Atom& a);
// Human form for error messages: 5, 1.5, true, "abc", <uuid>.
std::string AtomToString(const Atom& a);

enum class RefType : uint8_t { kStrong, kWeak };

struct BaseType {
  AtomicType type = AtomicType::kInteger;
  // Allowed values (sorted, unique), or nullopt for no enum constraint.
  std::optional<std::vector<Atom>> enum_values;
  int64_t min_integer = std::numeric_limits<int64_t>::min();
  int64_t max_integer = std::numeric_limits<int64_t>::max();
  double min_real = -std::numeric_limits<double>::max();
  double max_real = std::numeric_limits<double>::max();
  uint64_t min_length = 0;
  uint64_t max_length = std::numeric_limits<uint64_t>::max();
  std::string ref_table;  // empty unless a uuid reference
  RefType ref_type = RefType::kStrong;
  int ref_table_index = -1;  // index of ref_table in the schema, set on resolve

  static BaseType Of(AtomicType t) { BaseType b; b.type = t; return b; }
  // Parses <base-type>. Errors: syntax error.
  static ErrorOr<BaseType> FromJson(const Json& j);
  Json ToJson() const;

  bool is_ref() const { return !ref_table.empty(); }
  bool is_strong_ref() const { return is_ref() && ref_type == RefType::kStrong; }
  bool is_weak_ref() const { return is_ref() && ref_type == RefType::kWeak; }
  bool has_constraints() const;
  // Errors: constraint violation (range, length, enum).
  MaybeError CheckConstraints(const Atom& a) const;
};

struct ColumnType {
  static constexpr unsigned kUnlimited = std::numeric_limits<unsigned>::max();

  BaseType key;
  std::optional<BaseType> value;  // set: maps only
  unsigned n_min = 1;
  unsigned n_max = 1;

  static ColumnType Scalar(AtomicType t) { ColumnType c; c.key = BaseType::Of(t); return c; }
  // Parses <type>. Errors: syntax error.
  static ErrorOr<ColumnType> FromJson(const Json& j);
  Json ToJson() const;

  bool is_map() const { return value.has_value(); }
  bool is_scalar() const { return n_min == 1 && n_max == 1 && !is_map(); }
  // OVS "composite": may hold more than one element; monitor diffs apply only here.
  bool is_composite() const { return n_max > 1; }
  bool has_strong_refs() const {
    return key.is_strong_ref() || (value && value->is_strong_ref());
  }
  bool has_weak_refs() const { return key.is_weak_ref() || (value && value->is_weak_ref()); }
  bool has_refs() const { return key.is_ref() || (value && value->is_ref()); }
  std::string ToString() const;  // for error messages
  // As ovsdb-server words a type in its error messages: "string",
  // "set of up to 4096 integers", "map of (string, string) pairs".
  std::string ToEnglish() const;
};

}  // namespace vs::ovsdb
