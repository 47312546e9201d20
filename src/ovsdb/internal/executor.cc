#include "ovsdb/internal/executor.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "ovsdb/mutation.h"

namespace vs::ovsdb {

namespace {

Error Syntax(const Json& j, std::string details) {
  return Error(ErrorCode::kSyntaxError, std::move(details), j);
}

MaybeError CheckMembers(const Json& op, std::initializer_list<const char*> allowed) {
  for (auto it = op.begin(); it != op.end(); ++it) {
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return it.key() == a; }))
      return Syntax(op, fmt::format("Member '{}' is present but not allowed here.", it.key()));
  }
  return std::nullopt;
}

// Returns the member or null; *err is set if it is present with the wrong type.
const Json* Member(const Json& op, const char* name, Json::value_t type, bool optional,
                   MaybeError* err) {
  auto it = op.find(name);
  if (it == op.end()) {
    if (!optional && !*err) *err = Syntax(op, fmt::format("Required '{}' member is missing.", name));
    return nullptr;
  }
  bool ok = it->type() == type ||
            (type == Json::value_t::number_integer && it->is_number_integer());
  if (!ok) {
    if (!*err) *err = Syntax(op, fmt::format("Type mismatch for member '{}'.", name));
    return nullptr;
  }
  return &*it;
}

}  // namespace

ErrorOr<std::vector<std::pair<int, Datum>>> ParseRow(const TableSchema& ts, const Json& row,
                                                    const ParseOptions& opts,
                                                    MetaColumns meta) {
  if (!row.is_object()) return Syntax(row, "Row must be a JSON object.");
  std::vector<std::pair<int, Datum>> out;
  out.reserve(row.size());
  for (auto it = row.begin(); it != row.end(); ++it) {
    const ColumnSchema* col = ts.FindColumn(it.key());
    if (!col)
      return Error(ErrorCode::kUnknownColumn,
                   fmt::format("No column {} in table {}.", it.key(), ts.name()), row);
    if (col->index < TableSchema::kFirstUserColumn && meta != MetaColumns::kParse) {
      if (meta == MetaColumns::kSkipVersion && col->index == TableSchema::kVersionColumn) continue;
      return Error(ErrorCode::kConstraintViolation,
                   fmt::format("Cannot update immutable column {} in table {}.", col->name,
                               ts.name()),
                   row);
    }
    auto d = Datum::FromJson(*it, col->type, opts);
    if (!d.ok()) return d.error();
    out.emplace_back(col->index, std::move(d.value()));
  }
  return out;
}

void Executor::CollectNames(const Json& ops) {
  for (size_t i = 0; i < ops.size(); i++) {
    const Json& op = ops[i];
    if (!op.is_object()) continue;
    auto o = op.find("op");
    if (o == op.end() || *o != "insert") continue;
    std::optional<Uuid> explicit_uuid;
    auto u = op.find("uuid");
    if (u != op.end() && u->is_string()) explicit_uuid = Uuid::Parse(u->get_ref<const std::string&>());
    auto n = op.find("uuid-name");
    if (n != op.end() && n->is_string()) {
      const auto& name = n->get_ref<const std::string&>();
      if (symtab_.count(name)) {
        duplicate_names_[i] = name;
        continue;
      }
      Uuid id = explicit_uuid ? *explicit_uuid : Uuid::Random();
      symtab_[name] = id;
      insert_uuids_[i] = id;
    } else if (explicit_uuid) {
      insert_uuids_[i] = *explicit_uuid;
    }
  }
}

ErrorOr<Json> Executor::Execute(size_t index, const Json& op) {
  if (!op.is_object()) return Syntax(op, "ovsdb operation must be a JSON object.");
  auto o = op.find("op");
  if (o == op.end() || !o->is_string()) return Syntax(op, "Required 'op' member is missing.");
  const auto& name = o->get_ref<const std::string&>();
  if (name == "insert") return Insert(index, op);
  if (name == "select") return Select(op);
  if (name == "update") return Update(op);
  if (name == "mutate") return Mutate(op);
  if (name == "delete") return Delete(op);
  if (name == "wait") return Wait(op);
  if (name == "commit") return Commit(op);
  if (name == "abort") {
    if (auto e = CheckMembers(op, {"op"})) return *e;
    return Error(ErrorCode::kAborted, "aborted by request");
  }
  if (name == "comment") return Comment(op);
  if (name == "assert") return Assert(op);
  return Syntax(op, fmt::format("No operation \"{}\"", name));
}

ErrorOr<const TableSchema*> Executor::ParseTable(const Json& op) {
  auto it = op.find("table");
  if (it == op.end()) return Syntax(op, "Required 'table' member is missing.");
  if (!it->is_string()) return Syntax(op, "Type mismatch for member 'table'.");
  const TableSchema* ts = txn_.schema().FindTable(it->get_ref<const std::string&>());
  if (!ts) return Syntax(op, fmt::format("No table named {}.", it->get<std::string>()));
  return ts;
}

ErrorOr<Json> Executor::Insert(size_t index, const Json& op) {
  if (auto e = CheckMembers(op, {"op", "table", "row", "uuid-name", "uuid"})) return *e;
  auto ts = ParseTable(op);
  if (!ts.ok()) return ts.error();
  const TableSchema& t = *ts.value();
  MaybeError err;
  const Json* name = Member(op, "uuid-name", Json::value_t::string, true, &err);
  const Json* uuid_j = Member(op, "uuid", Json::value_t::string, true, &err);
  const Json* row_j = Member(op, "row", Json::value_t::object, false, &err);  // RFC: required
  if (err) return *err;
  if (name && !IsValidId(name->get_ref<const std::string&>()))
    return Syntax(op, "Type mismatch for member 'uuid-name'.");
  if (uuid_j) {
    auto u = Uuid::Parse(uuid_j->get_ref<const std::string&>());
    if (!u) return Syntax(op, "\"uuid\" is not a valid UUID.");
    if (!txn_.MayCreateRow(t.index(), *u))
      return Error(ErrorCode::kDuplicateUuid,
                   fmt::format("UUID {} is already used in table {} by an existing row or by a "
                               "row inserted or deleted earlier in this transaction.",
                               u->ToString(), t.name()),
                   *uuid_j);
  }
  if (duplicate_names_.count(index))
    return Error(ErrorCode::kDuplicateUuidName,
                 "This \"uuid-name\" appeared on an earlier \"insert\" operation.", *name);
  auto pre = insert_uuids_.find(index);
  Uuid uuid = pre != insert_uuids_.end() ? pre->second : Uuid::Random();
  auto row = Row::MakeDefault(t, uuid);
  std::vector<bool> given(t.n_columns(), false);
  if (row_j) {
    ParseOptions popts;
    popts.symtab = &symtab_;
    auto values = ParseRow(t, *row_j, popts);
    if (!values.ok()) return values.error();
    for (auto& [c, d] : values.value()) {
      row->fields[c] = std::move(d);
      given[c] = true;
    }
  }
  for (size_t c = TableSchema::kFirstUserColumn; c < t.n_columns(); c++) {
    if (given[c] || row->fields[c].size() != 1) continue;
    if (auto e = row->fields[c].CheckConstraints(t.column(c).type)) return *e;
  }
  if (auto e = txn_.Insert(t.index(), std::move(row))) return *e;
  Json result = Json::object();
  result["uuid"] = Json::array({"uuid", uuid.ToString()});
  return result;
}

ErrorOr<std::vector<int>> Executor::ParseColumns(const TableSchema& ts, const Json& op,
                                                 const char* member) {
  std::vector<int> cols;
  auto it = op.find(member);
  if (it == op.end()) {
    for (int c = 0; c < static_cast<int>(ts.n_columns()); c++) cols.push_back(c);
    return cols;
  }
  if (!it->is_array()) return Syntax(op, fmt::format("Type mismatch for member '{}'.", member));
  for (const auto& c : *it) {
    if (!c.is_string()) return Syntax(c, "Array of column names expected.");
    const ColumnSchema* col = ts.FindColumn(c.get_ref<const std::string&>());
    if (!col) return Syntax(c, fmt::format("{} is not a valid column name", c.get<std::string>()));
    if (std::find(cols.begin(), cols.end(), col->index) != cols.end())  // as ovsdb-server
      return Syntax(*it, "array of distinct column names expected");
    cols.push_back(col->index);
  }
  return cols;
}

ErrorOr<std::vector<Uuid>> Executor::Matching(const TableSchema& t, const Json& where) {
  auto cond = Condition::FromJson(t, where, &symtab_);
  if (!cond.ok()) return cond.error();
  return txn_.Query(t.index(), cond.value());
}

namespace {
Json CountResult(size_t n) {
  Json result = Json::object();
  result["count"] = n;
  return result;
}
}  // namespace

ErrorOr<Json> Executor::Select(const Json& op) {
  if (auto e = CheckMembers(op, {"op", "table", "where", "columns", "sort"})) return *e;
  auto ts = ParseTable(op);
  if (!ts.ok()) return ts.error();
  const TableSchema& t = *ts.value();
  MaybeError err;
  const Json* where = Member(op, "where", Json::value_t::array, false, &err);
  if (err) return *err;
  auto matches = Matching(t, *where);
  if (!matches.ok()) return matches.error();
  auto cols = ParseColumns(t, op, "columns");
  if (!cols.ok()) return cols.error();
  Json rows = Json::array();
  for (const Uuid& u : matches.value())
    rows.push_back(RowToJson(*txn_.Get(t.index(), u), t, &cols.value()));
  Json result = Json::object();
  result["rows"] = std::move(rows);
  return result;
}

ErrorOr<Json> Executor::Update(const Json& op) {
  if (auto e = CheckMembers(op, {"op", "table", "where", "row"})) return *e;
  auto ts = ParseTable(op);
  if (!ts.ok()) return ts.error();
  const TableSchema& t = *ts.value();
  MaybeError err;
  const Json* where = Member(op, "where", Json::value_t::array, false, &err);
  const Json* row_j = Member(op, "row", Json::value_t::object, false, &err);
  if (err) return *err;
  ParseOptions popts;
  popts.symtab = &symtab_;
  auto values = ParseRow(t, *row_j, popts);
  if (!values.ok()) return values.error();
  for (const auto& [c, d] : values.value()) {
    if (!t.column(c).is_mutable)
      return Error(ErrorCode::kConstraintViolation,
                   fmt::format("Cannot update immutable column {} in table {}.",
                               t.column(c).name, t.name()),
                   op);
  }
  auto matches = Matching(t, *where);
  if (!matches.ok()) return matches.error();
  for (const Uuid& u : matches.value()) {
    const Row* cur = txn_.Get(t.index(), u);
    bool differs = std::any_of(values.value().begin(), values.value().end(),
                               [&](const auto& cd) { return !(cur->fields[cd.first] == cd.second); });
    if (!differs) continue;
    Row* r = txn_.Modify(t.index(), u);
    for (const auto& [c, d] : values.value()) r->fields[c] = d;
  }
  return CountResult(matches.value().size());
}

ErrorOr<Json> Executor::Mutate(const Json& op) {
  if (auto e = CheckMembers(op, {"op", "table", "where", "mutations"})) return *e;
  auto ts = ParseTable(op);
  if (!ts.ok()) return ts.error();
  const TableSchema& t = *ts.value();
  MaybeError err;
  const Json* where = Member(op, "where", Json::value_t::array, false, &err);
  const Json* muts = Member(op, "mutations", Json::value_t::array, false, &err);
  if (err) return *err;
  auto ms = MutationSet::FromJson(t, *muts, &symtab_);
  if (!ms.ok()) return ms.error();
  auto matches = Matching(t, *where);
  if (!matches.ok()) return matches.error();
  for (const Uuid& u : matches.value()) {
    Row* r = txn_.Modify(t.index(), u);
    if (auto e = ms.value().Apply(t, r)) return *e;
  }
  return CountResult(matches.value().size());
}

ErrorOr<Json> Executor::Delete(const Json& op) {
  if (auto e = CheckMembers(op, {"op", "table", "where"})) return *e;
  auto ts = ParseTable(op);
  if (!ts.ok()) return ts.error();
  const TableSchema& t = *ts.value();
  MaybeError err;
  const Json* where = Member(op, "where", Json::value_t::array, false, &err);
  if (err) return *err;
  auto matches = Matching(t, *where);
  if (!matches.ok()) return matches.error();
  for (const Uuid& u : matches.value()) txn_.Delete(t.index(), u);
  return CountResult(matches.value().size());
}

// As in ovsdb-server, the expected rows and the rows matching "where" are
// compared as sets of distinct projections onto `cols`: duplicates on either
// side count once.
ErrorOr<bool> Executor::WaitMatches(const TableSchema& t, const Json& op,
                                    const std::vector<int>& cols) {
  auto cond = Condition::FromJson(t, op["where"], &symtab_);
  if (!cond.ok()) return cond.error();
  ParseOptions popts;
  popts.symtab = &symtab_;
  popts.check_constraints = false;
  std::vector<std::vector<Datum>> expected;  // distinct projections
  for (const auto& rj : op["rows"]) {
    auto values = ParseRow(t, rj, popts, MetaColumns::kParse);
    if (!values.ok()) return values.error();
    std::vector<Datum> proj;
    for (int c : cols) {
      auto it = std::find_if(values.value().begin(), values.value().end(),
                             [&](const auto& cd) { return cd.first == c; });
      proj.push_back(it != values.value().end() ? it->second : Datum::Default(t.column(c).type));
    }
    if (std::find(expected.begin(), expected.end(), proj) == expected.end())
      expected.push_back(std::move(proj));
  }
  std::vector<bool> seen(expected.size(), false);
  size_t n_seen = 0;
  for (const Uuid& u : txn_.Query(t.index(), cond.value())) {
    const Row* r = txn_.Get(t.index(), u);
    auto same = [&](const std::vector<Datum>& e) {
      for (size_t k = 0; k < cols.size(); k++)
        if (!(r->fields[cols[k]] == e[k])) return false;
      return true;
    };
    auto it = std::find_if(expected.begin(), expected.end(), same);
    if (it == expected.end()) return false;  // a row that is not expected
    size_t i = static_cast<size_t>(it - expected.begin());
    if (!seen[i]) seen[i] = true, n_seen++;
  }
  return n_seen == expected.size();
}

ErrorOr<Json> Executor::Wait(const Json& op) {
  if (auto e = CheckMembers(op, {"op", "table", "where", "columns", "until", "rows", "timeout"}))
    return *e;
  auto ts = ParseTable(op);
  if (!ts.ok()) return ts.error();
  const TableSchema& t = *ts.value();
  MaybeError err;
  Member(op, "where", Json::value_t::array, false, &err);
  const Json* until = Member(op, "until", Json::value_t::string, false, &err);
  Member(op, "rows", Json::value_t::array, false, &err);
  Member(op, "columns", Json::value_t::array, true, &err);  // optional in ovsdb-server
  const Json* timeout = Member(op, "timeout", Json::value_t::number_integer, true, &err);
  if (err) return *err;
  if (*until != "==" && *until != "!=") return Syntax(op, "\"until\" must be \"==\" or \"!=\".");
  int64_t timeout_ms = timeout ? timeout->get<int64_t>() : std::numeric_limits<int64_t>::max();
  if (timeout_ms < 0) return Syntax(op, "\"timeout\" must be nonnegative.");
  auto cols = ParseColumns(t, op, "columns");
  if (!cols.ok()) return cols.error();
  auto eq = WaitMatches(t, op, cols.value());
  if (!eq.ok()) return eq.error();
  if (eq.value() == (*until == "==")) return Json::object();
  if (timeout_ms == 0 || !opts_.wait_may_block || opts_.elapsed_ms >= timeout_ms)
    return Error(ErrorCode::kTimedOut, "");
  blocked_ = true;
  block_timeout_ms_ = timeout_ms == std::numeric_limits<int64_t>::max()
                          ? timeout_ms
                          : timeout_ms - opts_.elapsed_ms;
  return Error(ErrorCode::kNotSupported, "wait blocks");
}

ErrorOr<Json> Executor::Commit(const Json& op) {
  if (auto e = CheckMembers(op, {"op", "durable"})) return *e;
  MaybeError err;
  const Json* durable = Member(op, "durable", Json::value_t::boolean, true, &err);
  if (err) return *err;
  if (durable && durable->get<bool>()) durable_ = true;
  return Json::object();
}

ErrorOr<Json> Executor::Comment(const Json& op) {
  if (auto e = CheckMembers(op, {"op", "comment"})) return *e;
  MaybeError err;
  const Json* c = Member(op, "comment", Json::value_t::string, false, &err);
  if (err) return *err;
  txn_.AddComment(c->get<std::string>());
  return Json::object();
}

ErrorOr<Json> Executor::Assert(const Json& op) {
  if (auto e = CheckMembers(op, {"op", "lock"})) return *e;
  MaybeError err;
  const Json* lock = Member(op, "lock", Json::value_t::string, false, &err);
  if (err) return *err;
  const auto& name = lock->get_ref<const std::string&>();
  if (!opts_.owns_lock || !opts_.owns_lock(name))
    return Error(ErrorCode::kNotOwner, fmt::format("Asserted lock {} not held.", name));
  return Json::object();
}

}  // namespace vs::ovsdb
