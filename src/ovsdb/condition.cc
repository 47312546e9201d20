#include "ovsdb/condition.h"

#include <fmt/format.h>

namespace vs::ovsdb {

namespace {

std::optional<Function> ParseFunction(const std::string& s) {
  if (s == "<") return Function::kLt;
  if (s == "<=") return Function::kLe;
  if (s == "==") return Function::kEq;
  if (s == "!=") return Function::kNe;
  if (s == ">=") return Function::kGe;
  if (s == ">") return Function::kGt;
  if (s == "includes") return Function::kIncludes;
  if (s == "excludes") return Function::kExcludes;
  return std::nullopt;
}

bool IsRelational(Function f) {
  return f == Function::kLt || f == Function::kLe || f == Function::kGe || f == Function::kGt;
}

ErrorOr<Clause> ParseClause(const TableSchema& table, const Json& j, SymbolTable* symtab) {
  Clause c;
  if (j.is_boolean()) {
    c.function = j.get<bool>() ? Function::kTrue : Function::kFalse;
    return c;
  }
  if (!j.is_array() || j.size() != 3 || !j[0].is_string() || !j[1].is_string())
    return Error(ErrorCode::kSyntaxError, "Parse error in condition.", j);
  const auto& col_name = j[0].get_ref<const std::string&>();
  const ColumnSchema* col = table.FindColumn(col_name);
  if (!col)
    return Error(ErrorCode::kUnknownColumn,
                 fmt::format("No column {} in table {}.", col_name, table.name()), j);
  auto fn = ParseFunction(j[1].get_ref<const std::string&>());
  if (!fn)
    return Error(ErrorCode::kUnknownFunction,
                 fmt::format("No function named {}.", j[1].get<std::string>()));
  c.function = *fn;
  c.column = col->index;
  ParseOptions opts;
  opts.symtab = symtab;
  // The argument's type, as in ovsdb-server: the column's, made a scalar for
  // the relational functions (which also take an optional scalar: the clause
  // is false when the column is empty), with no minimum for "includes" and
  // no bounds for "excludes" unless the column is a scalar.
  ColumnType arg_type = col->type;
  if (IsRelational(*fn)) {
    const bool optional_scalar = !col->type.is_map() && col->type.n_min == 0 &&
                                 col->type.n_max == 1;
    if (!(col->type.is_scalar() || optional_scalar) ||
        (col->type.key.type != AtomicType::kInteger && col->type.key.type != AtomicType::kReal)) {
      return Error(ErrorCode::kSyntaxError,
                   fmt::format("Type mismatch: \"{}\" operator may not be applied to column {} "
                               "of type {}.",
                               j[1].get<std::string>(), col_name, col->type.ToEnglish()),
                   j);
    }
    arg_type.n_min = 1;
  } else if (*fn == Function::kIncludes && !col->type.is_scalar()) {
    arg_type.n_min = 0;
  } else if (*fn == Function::kExcludes && !col->type.is_scalar()) {
    arg_type.n_min = 0;
    arg_type.n_max = ColumnType::kUnlimited;
  }
  auto d = Datum::FromJson(j[2], arg_type, opts);
  if (!d.ok()) return d.error();
  c.arg = std::move(d.value());
  return c;
}

bool Excludes(const Datum& field, const Datum& arg, bool is_map) {
  for (size_t i = 0; i < arg.size(); i++) {
    auto idx = field.Find(arg.key(i));
    if (!idx) continue;
    if (!is_map || field.value(*idx) == arg.value(i)) return false;
  }
  return true;
}

}  // namespace

ErrorOr<Condition> Condition::FromJson(const TableSchema& table, const Json& where,
                                       SymbolTable* symtab) {
  if (!where.is_array()) return Error(ErrorCode::kSyntaxError, "Parse error in condition.", where);
  Condition cond;
  cond.table_ = &table;
  cond.clauses_.reserve(where.size());
  for (const auto& j : where) {
    auto c = ParseClause(table, j, symtab);
    if (!c.ok()) return c.error();
    cond.clauses_.push_back(std::move(c.value()));
  }
  return cond;
}

bool EvaluateClause(const Clause& c, const Row& row, const TableSchema& table) {
  switch (c.function) {
    case Function::kTrue: return true;
    case Function::kFalse: return false;
    default: break;
  }
  const Datum& f = row.fields[c.column];
  const bool is_map = table.column(c.column).type.is_map();
  switch (c.function) {
    case Function::kEq: return f == c.arg;
    case Function::kNe: return !(f == c.arg);
    case Function::kIncludes: return f.Includes(c.arg, is_map);
    case Function::kExcludes: return Excludes(f, c.arg, is_map);
    default: break;
  }
  // Relational on a scalar integer/real.
  if (f.size() != 1 || c.arg.size() != 1) return false;
  const Atom& a = f.key(0);
  const Atom& b = c.arg.key(0);
  switch (c.function) {
    case Function::kLt: return a < b;
    case Function::kLe: return a < b || a == b;
    case Function::kGe: return !(a < b);
    case Function::kGt: return b < a;
    default: return false;
  }
}

bool Condition::MatchesAll(const Row& row) const {
  for (const auto& c : clauses_)
    if (!EvaluateClause(c, row, *table_)) return false;
  return true;
}

bool Condition::MatchesAny(const Row& row) const {
  if (clauses_.empty()) return true;
  for (const auto& c : clauses_)
    if (EvaluateClause(c, row, *table_)) return true;
  return false;
}

std::optional<Uuid> Condition::UuidEquality() const {
  for (const auto& c : clauses_) {
    if (c.function == Function::kEq && c.column == TableSchema::kUuidColumn &&
        c.arg.size() == 1)
      return std::get<Uuid>(c.arg.key(0));
  }
  return std::nullopt;
}

}  // namespace vs::ovsdb
