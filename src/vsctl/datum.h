// OVSDB values: atoms and datums (RFC 7047 §5.1) in the three spellings a
// CLI needs:
//   * the wire (JSON) form: 5, "x", ["uuid",U], ["set",[...]], ["map",[[k,v]...]];
//   * the ovs-vsctl input syntax: `a,b`, `[a, b]`, `{k=v, "k 2"="v"}`, `"quoted"`,
//     `@name` references to rows created in the same run;
//   * the ovs-vsctl output syntax: strings quoted only when they would not
//     read back as the same string, sets in [], maps in {}, and a column that
//     holds at most one value printed bare (or [] when empty).
//
// A Datum keeps its keys sorted and unique (with values parallel for maps),
// the canonical order OVSDB itself uses, so equal datums compare equal.
// Nothing here throws; parse errors are EINVAL with ovs-vsctl's wording.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "base/uuid.h"
#include "vsctl/schema.h"

namespace vs::vsctl {

struct Atom {
  AtomicType type = AtomicType::kString;
  int64_t i = 0;
  double r = 0;
  bool b = false;
  std::string s;
  Uuid u;

  static Atom Integer(int64_t v) { Atom a; a.type = AtomicType::kInteger; a.i = v; return a; }
  static Atom Real(double v) { Atom a; a.type = AtomicType::kReal; a.r = v; return a; }
  static Atom Boolean(bool v) { Atom a; a.type = AtomicType::kBoolean; a.b = v; return a; }
  static Atom String(std::string v) { Atom a; a.type = AtomicType::kString; a.s = std::move(v); return a; }
  static Atom FromUuid(Uuid v) { Atom a; a.type = AtomicType::kUuid; a.u = v; return a; }
  static Atom Default(AtomicType t);

  std::weak_ordering operator<=>(const Atom& o) const;
  bool operator==(const Atom& o) const { return (*this <=> o) == 0; }
};

// Resolves "@name" in input (ovs-vsctl --id=@name); returns EINVAL if unknown.
using SymbolResolver = std::function<Result<Uuid>(const std::string& name)>;
// Spells a uuid on the wire: ["uuid",U] or ["named-uuid",N] for new rows.
using UuidEncoder = std::function<Json(const Uuid&)>;

struct Datum {
  std::vector<Atom> keys;
  std::vector<Atom> values;  // maps only, parallel to keys

  size_t size() const { return keys.size(); }
  bool empty() const { return keys.empty(); }
  static Datum Default(const ColumnType& t);
  static Datum Single(Atom a) { Datum d; d.keys.push_back(std::move(a)); return d; }
  // Sorts by key and drops duplicate keys (the first occurrence wins).
  void Normalize();
  bool Contains(const Atom& key) const;
  // Index of `key`, or -1.
  int Find(const Atom& key) const;
  bool operator==(const Datum& o) const { return keys == o.keys && values == o.values; }
};

// ---- wire form -------------------------------------------------------------
Result<Atom> AtomFromJson(const Json& j, const BaseType& base);
Result<Datum> DatumFromJson(const Json& j, const ColumnType& type);
Json AtomToJson(const Atom& a, const UuidEncoder& enc);
Json DatumToJson(const Datum& d, const ColumnType& type, const UuidEncoder& enc);

// ---- ovs-vsctl syntax ------------------------------------------------------
// Parses one atom (the whole of `s`) and checks the base type's constraints.
Result<Atom> AtomFromString(std::string_view s, const BaseType& base, const SymbolResolver& sym);
// Parses a datum for `type` ("a,b", "[a,b]", "{k=v}", "" for empty) and
// checks element constraints and the n_min/n_max bounds.
Result<Datum> DatumFromString(std::string_view s, const ColumnType& type,
                              const SymbolResolver& sym);
// Splits one token off `*s` (quotes kept, backslash escapes resolved outside
// quotes), stopping at any of `:=, []{}!<>`. Advances `*s`.
Result<std::string> ParseToken(std::string_view* s);

std::string AtomToString(const Atom& a);
std::string DatumToString(const Datum& d, const ColumnType& type);
// JSON string escaping as OVS prints it ("\"a b\"").
std::string QuoteString(std::string_view s);

// Checks enum/range/length constraints; EINVAL "constraint violation: ...".
Status CheckAtom(const Atom& a, const BaseType& base);

}  // namespace vs::vsctl
