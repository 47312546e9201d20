#include "ovsdb/mutation.h"

#include <cmath>

#include <fmt/format.h>

namespace vs::ovsdb {

namespace {

std::optional<Mutator> ParseMutator(const std::string& s) {
  if (s == "+=") return Mutator::kAdd;
  if (s == "-=") return Mutator::kSub;
  if (s == "*=") return Mutator::kMul;
  if (s == "/=") return Mutator::kDiv;
  if (s == "%=") return Mutator::kMod;
  if (s == "insert") return Mutator::kInsert;
  if (s == "delete") return Mutator::kDelete;
  return std::nullopt;
}

const char* MutatorName(Mutator m) {
  switch (m) {
    case Mutator::kAdd: return "+=";
    case Mutator::kSub: return "-=";
    case Mutator::kMul: return "*=";
    case Mutator::kDiv: return "/=";
    case Mutator::kMod: return "%=";
    case Mutator::kInsert: return "insert";
    case Mutator::kDelete: return "delete";
  }
  return "?";
}

bool IsArithmetic(Mutator m) { return m != Mutator::kInsert && m != Mutator::kDelete; }

Error TypeMismatch(const Json& j, Mutator m, const ColumnSchema& c) {
  return Error(ErrorCode::kSyntaxError,
               fmt::format("Type mismatch: \"{}\" operator may not be applied to column {} of "
                           "type {}.",
                           MutatorName(m), c.name, c.type.ToEnglish()),
               j);
}

ErrorOr<Mutation> ParseMutation(const TableSchema& table, const Json& j,
                                SymbolTable* symtab) {
  if (!j.is_array() || j.size() != 3 || !j[0].is_string() || !j[1].is_string())
    return Error(ErrorCode::kSyntaxError, "Parse error in mutation.", j);
  const auto& name = j[0].get_ref<const std::string&>();
  const ColumnSchema* col = table.FindColumn(name);
  if (!col)
    return Error(ErrorCode::kUnknownColumn,
                 fmt::format("No column {} in table {}.", name, table.name()), j);
  auto m = ParseMutator(j[1].get_ref<const std::string&>());
  if (!m)
    return Error(ErrorCode::kUnknownMutator,
                 fmt::format("No mutator named {}.", j[1].get<std::string>()));
  if (!col->is_mutable)
    return Error(ErrorCode::kConstraintViolation,
                 fmt::format("Cannot mutate immutable column {} in table {}.", name, table.name()),
                 j);
  Mutation mu;
  mu.column = col->index;
  mu.mutator = *m;
  ParseOptions opts;
  opts.symtab = symtab;
  if (IsArithmetic(*m)) {
    AtomicType t = col->type.key.type;
    if (col->type.is_map() || (t != AtomicType::kInteger && t != AtomicType::kReal) ||
        (*m == Mutator::kMod && t != AtomicType::kInteger))
      return TypeMismatch(j, *m, *col);
    opts.check_constraints = false;
    auto a = AtomFromJson(j[2], BaseType::Of(t), opts);
    if (!a.ok()) return a.error();
    mu.arg = Datum::FromAtom(std::move(a.value()));
    return mu;
  }
  if (col->type.is_scalar()) return TypeMismatch(j, *m, *col);
  ColumnType operand = col->type;
  operand.n_min = 0;
  // As in ovsdb-server, an "insert" operand may not exceed the column's
  // maximum itself (a syntax error); a "delete" operand may be any size.
  if (*m == Mutator::kDelete) operand.n_max = ColumnType::kUnlimited;
  const bool map_arg = j[2].is_array() && j[2].size() == 2 && j[2][0] == "map";
  if (*m == Mutator::kDelete && col->type.is_map() && !map_arg) {
    operand.value.reset();  // a set of keys
    mu.delete_keys = true;
  }
  auto d = Datum::FromJson(j[2], operand, opts);
  if (!d.ok()) return d.error();
  mu.arg = std::move(d.value());
  return mu;
}

MaybeError IntegerOp(Mutator m, int64_t* x, int64_t y) {
  int64_t r = 0;
  bool overflow = false;
  switch (m) {
    case Mutator::kAdd: overflow = __builtin_add_overflow(*x, y, &r); break;
    case Mutator::kSub: overflow = __builtin_sub_overflow(*x, y, &r); break;
    case Mutator::kMul: overflow = __builtin_mul_overflow(*x, y, &r); break;
    case Mutator::kDiv:
    case Mutator::kMod:
      if (y == 0) return Error(ErrorCode::kDomainError, "Division by zero.");
      if (*x == INT64_MIN && y == -1) {
        overflow = true;  // %= too, as in ovsdb-server
      } else {
        r = m == Mutator::kDiv ? *x / y : *x % y;
      }
      break;
    default: break;
  }
  if (overflow)
    return Error(ErrorCode::kRangeError,
                 fmt::format("Result of \"{}\" operation is out of range.", MutatorName(m)));
  *x = r;
  return std::nullopt;
}

MaybeError RealOp(Mutator m, double* x, double y) {
  double r = *x;
  switch (m) {
    case Mutator::kAdd: r += y; break;
    case Mutator::kSub: r -= y; break;
    case Mutator::kMul: r *= y; break;
    case Mutator::kDiv:
      if (y == 0) return Error(ErrorCode::kDomainError, "Division by zero.");
      r /= y;
      break;
    default: break;
  }
  if (!std::isfinite(r))
    return Error(ErrorCode::kRangeError,
                 fmt::format("Result of \"{}\" operation is out of range.", MutatorName(m)));
  *x = r;
  return std::nullopt;
}

MaybeError ApplyArithmetic(const Mutation& mu, const ColumnSchema& col, Datum* d) {
  // ovsdb-server's order: arithmetic errors, then constraints, then duplicates.
  const Atom& y = mu.arg.key(0);
  for (Atom& a : d->mutable_keys()) {
    MaybeError e = col.type.key.type == AtomicType::kInteger
                       ? IntegerOp(mu.mutator, &std::get<int64_t>(a), std::get<int64_t>(y))
                       : RealOp(mu.mutator, &std::get<double>(a), std::get<double>(y));
    if (e) return e;
  }
  for (const Atom& a : d->keys())
    if (auto c = col.type.key.CheckConstraints(a)) return c;
  const size_t n = d->size();
  d->Resort();
  if (d->size() != n)
    return Error(ErrorCode::kConstraintViolation,
                 fmt::format("Result of \"{}\" operation contains duplicates.",
                             MutatorName(mu.mutator)));
  return std::nullopt;
}

void ApplySetOp(const Mutation& mu, const ColumnSchema& col, Datum* d) {
  const bool map = col.type.is_map();
  for (size_t i = 0; i < mu.arg.size(); i++) {
    const Atom& k = mu.arg.key(i);
    if (mu.mutator == Mutator::kInsert) {
      if (map) d->InsertPair(k, mu.arg.value(i));
      else d->Insert(k);
    } else if (map && !mu.delete_keys) {
      d->ErasePair(k, mu.arg.value(i));
    } else {
      d->Erase(k);
    }
  }
}

}  // namespace

ErrorOr<MutationSet> MutationSet::FromJson(const TableSchema& table, const Json& mutations,
                                           SymbolTable* symtab) {
  if (!mutations.is_array())
    return Error(ErrorCode::kSyntaxError, "Parse error in mutations.", mutations);
  MutationSet set;
  for (const auto& j : mutations) {
    auto m = ParseMutation(table, j, symtab);
    if (!m.ok()) return m.error();
    set.mutations_.push_back(std::move(m.value()));
  }
  return set;
}

MaybeError MutationSet::Apply(const TableSchema& table, Row* row) const {
  for (const auto& mu : mutations_) {
    const ColumnSchema& col = table.column(mu.column);
    Datum& d = row->fields[mu.column];
    if (IsArithmetic(mu.mutator)) {
      if (auto e = ApplyArithmetic(mu, col, &d)) return e;
    } else {
      ApplySetOp(mu, col, &d);
    }
    if (d.size() < col.type.n_min || d.size() > col.type.n_max) {
      return Error(ErrorCode::kConstraintViolation,
                   fmt::format("Attempted to store {} elements in column {} of table {}, which "
                               "allows {} to {}.",
                               d.size(), col.name, table.name(), col.type.n_min,
                               col.type.n_max == ColumnType::kUnlimited
                                   ? std::string("unlimited")
                                   : std::to_string(col.type.n_max)));
    }
  }
  return std::nullopt;
}

}  // namespace vs::ovsdb
