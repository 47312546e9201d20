// Mutations (RFC 7047 §5.1 <mutation>): [column, mutator, value].
//
// Arithmetic mutators (+= -= *= /= %=) apply to integer/real columns (scalar
// or set: element-wise; a set result with duplicates is a "constraint
// violation"), with a scalar operand of the key type; %= is integer only. An
// "insert" operand larger than the column's maximum is a "syntax error". "insert"/"delete" apply to sets and maps: insert adds elements (map:
// keys not already present); delete removes elements (map: given pairs, or
// given keys when the operand is a set of keys). Results are checked against
// the column's constraints and cardinality ("constraint violation");
// division/modulo by zero is a "domain error", integer overflow a "range
// error". Immutable columns and _uuid/_version cannot be mutated.
#pragma once

#include <vector>

#include "base/json.h"
#include "ovsdb/datum.h"
#include "ovsdb/error.h"
#include "ovsdb/row.h"
#include "ovsdb/schema.h"

namespace vs::ovsdb {

enum class Mutator { kAdd, kSub, kMul, kDiv, kMod, kInsert, kDelete };

struct Mutation {
  int column = -1;
  Mutator mutator = Mutator::kAdd;
  Datum arg;              // operand (arithmetic: one atom)
  bool delete_keys = false;  // map delete with a set of keys
};

class MutationSet {
 public:
  // Errors: syntax error, unknown column, constraint violation (immutable column).
  static ErrorOr<MutationSet> FromJson(const TableSchema& table, const Json& mutations,
                                       SymbolTable* symtab);
  // Applies all mutations to `row` in order. Errors: constraint violation,
  // domain error, range error.
  MaybeError Apply(const TableSchema& table, Row* row) const;
  const std::vector<Mutation>& mutations() const { return mutations_; }

 private:
  std::vector<Mutation> mutations_;
};

}  // namespace vs::ovsdb
