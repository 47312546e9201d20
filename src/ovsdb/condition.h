// Conditions (RFC 7047 §5.1 <condition>): [column, function, value] clauses
// and the boolean literals true/false (an OVS extension used by monitor_cond).
//
// A Condition is a list of clauses parsed against one table. In "transact"
// ops the clauses are ANDed (MatchesAll); in monitor_cond they are ORed
// (MatchesAny), and an empty list means "true" in both. Values are parsed with
// the column's type (named-uuids resolved through the transaction's symbol
// table), cardinality relaxed, constraints not checked. <, <=, >, >= apply only
// to integer/real columns that are scalar or optional scalar (min 0, max 1;
// false when empty); includes/excludes to any column.
#pragma once

#include <optional>
#include <vector>

#include "base/json.h"
#include "ovsdb/datum.h"
#include "ovsdb/error.h"
#include "ovsdb/row.h"
#include "ovsdb/schema.h"

namespace vs::ovsdb {

enum class Function { kLt, kLe, kEq, kNe, kGe, kGt, kIncludes, kExcludes, kTrue, kFalse };

struct Clause {
  Function function = Function::kTrue;
  int column = -1;  // unused for kTrue/kFalse
  Datum arg;
};

class Condition {
 public:
  // Errors: syntax error, unknown column ("No column X in table T.").
  static ErrorOr<Condition> FromJson(const TableSchema& table, const Json& where,
                                     SymbolTable* symtab);
  static Condition True() { return Condition(); }

  const std::vector<Clause>& clauses() const { return clauses_; }
  bool empty() const { return clauses_.empty(); }
  bool MatchesAll(const Row& row) const;
  bool MatchesAny(const Row& row) const;
  // If the clauses include `_uuid == <uuid>`, that UUID (fast path lookup).
  std::optional<Uuid> UuidEquality() const;

 private:
  const TableSchema* table_ = nullptr;  // null only for an empty (true) condition
  std::vector<Clause> clauses_;
};

bool EvaluateClause(const Clause& c, const Row& row, const TableSchema& table);

}  // namespace vs::ovsdb
