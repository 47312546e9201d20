// Datum: the value of one column in one row (RFC 7047 §5.1 <value>).
//
// Invariants (established by every constructor and mutator):
//  * keys() is sorted ascending and has no duplicates;
//  * for a map, values()[i] belongs to keys()[i] and values().size() ==
//    keys().size(); for a set or scalar, values() is empty;
//  * all atoms have the column's key (value) atomic type.
// A Datum does not know its ColumnType; callers pass it where the wire form or
// a check needs it. Cardinality (n_min/n_max) and constraints are checked by
// FromJson and by the mutation code, not by the low-level mutators here.
//
// JSON forms accepted: a bare atom (one-element set/scalar), ["set",[...]],
// ["map",[[k,v],...]], atoms as numbers/booleans/strings/["uuid",s]/
// ["named-uuid",name] (the latter only with a symbol table).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/json.h"
#include "ovsdb/error.h"
#include "ovsdb/types.h"

namespace vs::ovsdb {

// uuid-name -> UUID for the current transaction.
using SymbolTable = std::unordered_map<std::string, Uuid>;

struct ParseOptions {
  // Null: "named-uuid" is a syntax error. Otherwise a name not in it gets a
  // fresh UUID there (as in ovsdb-server: a reference to a row that no insert
  // creates fails the commit's referential integrity check, and a condition
  // on it matches nothing).
  SymbolTable* symtab = nullptr;
  bool check_constraints = true;        // enum/range/length
  bool relax_cardinality = false;       // accept any number of elements (tests reading update2 diffs)
};

// Errors: syntax error (wrong JSON type, unknown named-uuid), constraint violation.
ErrorOr<Atom> AtomFromJson(const Json& j, const BaseType& base, const ParseOptions& opts);

class Datum {
 public:
  Datum() = default;
  static Datum FromAtom(Atom a) { Datum d; d.keys_.push_back(std::move(a)); return d; }
  static Datum FromPair(Atom k, Atom v) {
    Datum d;
    d.keys_.push_back(std::move(k));
    d.values_.push_back(std::move(v));
    return d;
  }
  // The RFC default: empty if n_min == 0, else one default key (and value).
  static Datum Default(const ColumnType& type);
  // Builds from unsorted atoms; duplicates are dropped (sets) or rejected (maps).
  static ErrorOr<Datum> FromAtoms(std::vector<Atom> keys, std::vector<Atom> values, bool is_map);

  size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }
  const std::vector<Atom>& keys() const { return keys_; }
  const std::vector<Atom>& values() const { return values_; }
  const Atom& key(size_t i) const { return keys_[i]; }
  const Atom& value(size_t i) const { return values_[i]; }
  bool has_values() const { return !values_.empty(); }

  // Index of `k` in keys(), or nullopt.
  std::optional<size_t> Find(const Atom& k) const;
  bool Contains(const Atom& k) const { return Find(k).has_value(); }
  // True if every element (pair, for maps) of `sub` is in *this.
  bool Includes(const Datum& sub, bool is_map) const;
  // Set insert; no-op if present.
  void Insert(Atom k);
  // Map insert; no-op if the key is present (RFC "insert" mutator semantics).
  void InsertPair(Atom k, Atom v);
  // Map put; replaces the value of an existing key.
  void Put(Atom k, Atom v);
  // Removes key `k` (and its value); returns whether it was present.
  bool Erase(const Atom& k);
  // Removes the pair only if its value equals `v`.
  bool ErasePair(const Atom& k, const Atom& v);
  void Clear() { keys_.clear(); values_.clear(); }
  // Mutable access for element-wise arithmetic; caller must call Resort() after.
  std::vector<Atom>& mutable_keys() { return keys_; }
  // Restores the sort/unique invariant after element-wise edits (sets only).
  void Resort();

  friend bool operator==(const Datum& a, const Datum& b) {
    return a.keys_ == b.keys_ && a.values_ == b.values_;
  }
  size_t Hash() const;

  // Parses a <value> of `type`. Errors: syntax error, constraint violation.
  static ErrorOr<Datum> FromJson(const Json& j, const ColumnType& type, const ParseOptions& opts);
  // Wire form: map -> ["map",...]; one element -> bare atom; else ["set",[...]].
  Json ToJson(const ColumnType& type) const;
  // Checks every atom against the type's constraints (constraint violation).
  MaybeError CheckConstraints(const ColumnType& type) const;
  // n_min <= size() <= n_max? (constraint violation naming `what`).
  MaybeError CheckCardinality(const ColumnType& type, std::string_view what) const;

  // update2 "modify" diff (only meaningful for composite types): set ->
  // symmetric difference; map -> added keys, removed pairs, changed keys with
  // their new value. Non-composite types get `new_d` itself.
  static Datum Diff(const Datum& old_d, const Datum& new_d, const ColumnType& type);
  // Inverse of Diff: old + diff -> new.
  static Datum ApplyDiff(const Datum& old_d, const Datum& diff, const ColumnType& type);

 private:
  std::vector<Atom> keys_;
  std::vector<Atom> values_;
};

}  // namespace vs::ovsdb
