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

}  // namespace

Error Executor::ParseError(const Json& op, const std::string& details) const {
  return ParserError(op, fmt::format("ovsdb operation {} of {}", current_ + 1, n_ops_), details);
}

MaybeError Executor::CheckMembers(const Json& op, std::initializer_list<const char*> allowed) const {
  std::vector<std::string> unused;
  for (auto it = op.begin(); it != op.end(); ++it) {
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return it.key() == a; }))
      unused.push_back(it.key());
  }
  if (unused.empty()) return std::nullopt;
  return ParseError(op, NotAllowedMembers(unused));
}

const Json* Executor::Member(const Json& op, const char* name, MemberType type, bool optional,
                             MaybeError* err) const {
  auto it = op.find(name);
  if (it == op.end()) {
    if (!optional && !*err) *err = ParseError(op, fmt::format("Required '{}' member is missing.", name));
    return nullptr;
  }
  bool ok = false;
  switch (type) {
    case MemberType::kId: ok = it->is_string() && IsValidId(it->get_ref<const std::string&>()); break;
    case MemberType::kString: ok = it->is_string(); break;
    case MemberType::kArray: ok = it->is_array(); break;
    case MemberType::kObject: ok = it->is_object(); break;
    case MemberType::kBoolean: ok = it->is_boolean(); break;
    case MemberType::kInteger: ok = it->is_number_integer(); break;
  }
  if (!ok) {
    if (!*err) *err = ParseError(op, fmt::format("Type mismatch for member '{}'.", name));
    return nullptr;
  }
  return &*it;
}

const TableSchema* Executor::ParseTable(const Json& op, MaybeError* err) const {
  const Json* name = Member(op, "table", MemberType::kId, false, err);
  if (!name) return nullptr;
  const TableSchema* ts = txn_.schema().FindTable(name->get_ref<const std::string&>());
  if (!ts && !*err) *err = ParseError(op, fmt::format("No table named {}.", name->get<std::string>()));
  return ts;
}

ErrorOr<std::vector<std::pair<int, Datum>>> ParseRow(const TableSchema& ts, const Json& row,
                                                    const ParseOptions& opts,
                                                    MetaColumns meta) {
  if (!row.is_object()) return Syntax(row, "row must be JSON object");
  std::vector<std::pair<int, Datum>> out;
  out.reserve(row.size());
  for (auto it = row.begin(); it != row.end(); ++it) {
    const ColumnSchema* col = ts.FindColumn(it.key());
    if (!col)
      return Error(ErrorCode::kUnknownColumn,
                   fmt::format("No column {} in table {}.", it.key(), ts.name()), row);
    if (meta == MetaColumns::kSkipVersion && col->index == TableSchema::kVersionColumn) continue;
    if (meta == MetaColumns::kSkipVersion && col->index < TableSchema::kFirstUserColumn)
      return Error(ErrorCode::kConstraintViolation,
                   fmt::format("Cannot update immutable column {} in table {}.", col->name,
                               ts.name()),
                   row);
    auto d = Datum::FromJson(*it, col->type, opts);
    if (!d.ok()) return d.error();
    out.emplace_back(col->index, std::move(d.value()));
  }
  return out;
}

void Executor::CollectNames(const Json& ops) {
  n_ops_ = ops.size();
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
  current_ = index;
  if (!op.is_object()) return ParseError(op, "Object expected.");
  MaybeError err;
  const Json* o = Member(op, "op", MemberType::kId, false, &err);
  if (err) return *err;
  const auto& name = o->get_ref<const std::string&>();
  if (name == "insert" || name == "update" || name == "mutate" || name == "delete") {
    ErrorOr<Json> r = name == "insert"   ? Insert(index, op)
                      : name == "update" ? Update(op)
                      : name == "mutate" ? Mutate(op)
                                         : Delete(op);
    // As ovsdb-server: the operation's own errors first.
    if (r.ok() && !opts_.reserved_db.empty())
      return Error(ErrorCode::kNotAllowed,
                   fmt::format("{} operation not allowed on table in reserved database {}", name,
                               opts_.reserved_db));
    return r;
  }
  if (name == "select") return Select(op);
  if (name == "wait") return Wait(op);
  if (name == "commit") return Commit(op);
  if (name == "abort") {
    if (auto e = CheckMembers(op, {"op"})) return *e;
    return Error(ErrorCode::kAborted, "aborted by request");
  }
  if (name == "comment") return Comment(op);
  if (name == "assert") return Assert(op);
  return ParseError(op, fmt::format("No operation \"{}\"", name));
}

ErrorOr<Json> Executor::Insert(size_t index, const Json& op) {
  MaybeError err;
  const TableSchema* ts = ParseTable(op, &err);
  const Json* uuid_j = Member(op, "uuid", MemberType::kString, true, &err);
  const Json* name = Member(op, "uuid-name", MemberType::kId, true, &err);
  const Json* row_j = Member(op, "row", MemberType::kObject, false, &err);
  if (!err) err = CheckMembers(op, {"op", "table", "row", "uuid-name", "uuid"});
  if (err) return *err;
  const TableSchema& t = *ts;
  if (uuid_j) {
    auto u = Uuid::Parse(uuid_j->get_ref<const std::string&>());
    if (!u) return Syntax(*uuid_j, "bad uuid");
    if (!txn_.MayCreateRow(t.index(), *u))
      return Error(ErrorCode::kDuplicateUuid,
                   "This UUID would duplicate a UUID already present within the table or "
                   "deleted within the same transaction.",  // ovsdb-server 3.1's words
                   *uuid_j);
  }
  if (duplicate_names_.count(index))
    return Error(ErrorCode::kDuplicateUuidName,
                 "This \"uuid-name\" appeared on an earlier \"insert\" operation.", *name);
  auto pre = insert_uuids_.find(index);
  Uuid uuid = pre != insert_uuids_.end() ? pre->second : Uuid::Random();
  auto row = Row::MakeDefault(t, uuid);
  std::vector<bool> given(t.n_columns(), false);
  ParseOptions popts;
  popts.symtab = &symtab_;
  auto values = ParseRow(t, *row_j, popts);
  if (!values.ok()) return values.error();
  for (auto& [c, d] : values.value()) {
    // As in ovsdb-server, "_uuid" and "_version" in a new row are parsed
    // and then ignored: the row's UUID is the one above, its version new.
    if (c < TableSchema::kFirstUserColumn) continue;
    row->fields[c] = std::move(d);
    given[c] = true;
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

ErrorOr<std::vector<int>> Executor::ParseColumns(const TableSchema& ts, const Json* columns) {
  std::vector<int> cols;
  if (!columns) {
    for (int c = 0; c < static_cast<int>(ts.n_columns()); c++) cols.push_back(c);
    return cols;
  }
  // ovsdb-server's words, with the whole array as "syntax".
  for (const auto& c : *columns) {
    if (!c.is_string()) return Syntax(*columns, "array of distinct column names expected");
    const ColumnSchema* col = ts.FindColumn(c.get_ref<const std::string&>());
    if (!col)
      return Syntax(*columns, fmt::format("{} is not a valid column name", c.get<std::string>()));
    if (std::find(cols.begin(), cols.end(), col->index) != cols.end())
      return Syntax(*columns, "array of distinct column names expected");
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

// ovsdb-server's order of datums: fewer elements first, then keys, then values.
int CompareDatums(const Datum& a, const Datum& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  for (size_t i = 0; i < a.size(); i++) {
    if (a.key(i) < b.key(i)) return -1;
    if (b.key(i) < a.key(i)) return 1;
  }
  if (!a.has_values()) return 0;
  for (size_t i = 0; i < a.size(); i++) {
    if (a.value(i) < b.value(i)) return -1;
    if (b.value(i) < a.value(i)) return 1;
  }
  return 0;
}
}  // namespace

ErrorOr<Json> Executor::Select(const Json& op) {
  MaybeError err;
  const TableSchema* ts = ParseTable(op, &err);
  const Json* where = Member(op, "where", MemberType::kArray, false, &err);
  const Json* columns = Member(op, "columns", MemberType::kArray, true, &err);
  const Json* sort = Member(op, "sort", MemberType::kArray, true, &err);
  if (!err) err = CheckMembers(op, {"op", "table", "where", "columns", "sort"});
  if (err) return *err;
  const TableSchema& t = *ts;
  auto matches = Matching(t, *where);
  if (!matches.ok()) return matches.error();
  auto cols = ParseColumns(t, columns);
  if (!cols.ok()) return cols.error();
  std::vector<const Row*> rows;
  rows.reserve(matches.value().size());
  for (const Uuid& u : matches.value()) rows.push_back(txn_.Get(t.index(), u));
  if (sort) {
    auto by = ParseColumns(t, sort);
    if (!by.ok()) return by.error();
    std::stable_sort(rows.begin(), rows.end(), [&](const Row* a, const Row* b) {
      for (int c : by.value()) {
        int r = CompareDatums(a->fields[c], b->fields[c]);
        if (r) return r < 0;
      }
      return false;
    });
  }
  Json out = Json::array();
  for (const Row* r : rows) out.push_back(RowToJson(*r, t, &cols.value()));
  Json result = Json::object();
  result["rows"] = std::move(out);
  return result;
}

ErrorOr<Json> Executor::Update(const Json& op) {
  MaybeError err;
  const TableSchema* ts = ParseTable(op, &err);
  const Json* where = Member(op, "where", MemberType::kArray, false, &err);
  const Json* row_j = Member(op, "row", MemberType::kObject, false, &err);
  if (!err) err = CheckMembers(op, {"op", "table", "where", "row"});
  if (err) return *err;
  const TableSchema& t = *ts;
  ParseOptions popts;
  popts.symtab = &symtab_;
  auto values = ParseRow(t, *row_j, popts);
  if (!values.ok()) return values.error();
  for (const auto& [c, d] : values.value()) {
    if (!t.column(c).is_mutable)  // including _uuid and _version
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
  MaybeError err;
  const TableSchema* ts = ParseTable(op, &err);
  const Json* where = Member(op, "where", MemberType::kArray, false, &err);
  const Json* muts = Member(op, "mutations", MemberType::kArray, false, &err);
  if (!err) err = CheckMembers(op, {"op", "table", "where", "mutations"});
  if (err) return *err;
  const TableSchema& t = *ts;
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
  MaybeError err;
  const TableSchema* ts = ParseTable(op, &err);
  const Json* where = Member(op, "where", MemberType::kArray, false, &err);
  if (!err) err = CheckMembers(op, {"op", "table", "where"});
  if (err) return *err;
  const TableSchema& t = *ts;
  auto matches = Matching(t, *where);
  if (!matches.ok()) return matches.error();
  for (const Uuid& u : matches.value()) txn_.Delete(t.index(), u);
  return CountResult(matches.value().size());
}

// As in ovsdb-server, the expected rows and the rows matching "where" are
// compared as sets of distinct projections onto `cols`: duplicates on either
// side count once.
ErrorOr<bool> Executor::WaitMatches(const TableSchema& t, const Condition& cond, const Json& rows,
                                    const std::vector<int>& cols) {
  ParseOptions popts;
  popts.symtab = &symtab_;
  std::vector<std::vector<Datum>> expected;  // distinct projections
  for (const auto& rj : rows) {
    auto values = ParseRow(t, rj, popts);
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
  for (const Uuid& u : txn_.Query(t.index(), cond)) {
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
  // ovsdb-server's order: members, then where, columns, timeout, until, rows.
  MaybeError err;
  const Json* timeout = Member(op, "timeout", MemberType::kInteger, true, &err);
  const Json* where = Member(op, "where", MemberType::kArray, false, &err);
  const Json* columns = Member(op, "columns", MemberType::kArray, true, &err);
  const Json* until = Member(op, "until", MemberType::kString, false, &err);
  const Json* rows = Member(op, "rows", MemberType::kArray, false, &err);
  const TableSchema* ts = ParseTable(op, &err);
  if (!err) err = CheckMembers(op, {"op", "table", "where", "columns", "until", "rows", "timeout"});
  if (err) return *err;
  const TableSchema& t = *ts;
  auto cond = Condition::FromJson(t, *where, &symtab_);
  if (!cond.ok()) return cond.error();
  auto cols = ParseColumns(t, columns);
  if (!cols.ok()) return cols.error();
  int64_t timeout_ms = std::numeric_limits<int64_t>::max();
  if (timeout) {
    timeout_ms = timeout->get<int64_t>();
    if (timeout_ms < 0) return Syntax(*timeout, "timeout must be nonnegative");
  }
  if (*until != "==" && *until != "!=") return Syntax(*until, "\"until\" must be \"==\" or \"!=\"");
  auto eq = WaitMatches(t, cond.value(), *rows, cols.value());
  if (!eq.ok()) return eq.error();
  if (eq.value() == (*until == "==")) return Json::object();
  if (timeout_ms == 0 || !opts_.wait_may_block || opts_.elapsed_ms >= timeout_ms)
    return Error(ErrorCode::kTimedOut, "\"where\" clause test failed");
  blocked_ = true;
  block_timeout_ms_ = timeout_ms == std::numeric_limits<int64_t>::max()
                          ? timeout_ms
                          : timeout_ms - opts_.elapsed_ms;
  return Error(ErrorCode::kNotSupported, "wait blocks");
}

ErrorOr<Json> Executor::Commit(const Json& op) {
  MaybeError err;
  const Json* durable = Member(op, "durable", MemberType::kBoolean, false, &err);  // required, as in ovsdb-server
  if (!err) err = CheckMembers(op, {"op", "durable"});
  if (err) return *err;
  if (durable->get<bool>()) durable_ = true;
  return Json::object();
}

ErrorOr<Json> Executor::Comment(const Json& op) {
  MaybeError err;
  const Json* c = Member(op, "comment", MemberType::kString, false, &err);
  if (!err) err = CheckMembers(op, {"op", "comment"});
  if (err) return *err;
  txn_.AddComment(c->get<std::string>());
  return Json::object();
}

ErrorOr<Json> Executor::Assert(const Json& op) {
  MaybeError err;
  const Json* lock = Member(op, "lock", MemberType::kId, false, &err);
  if (!err) err = CheckMembers(op, {"op", "lock"});
  if (err) return *err;
  const auto& name = lock->get_ref<const std::string&>();
  if (!opts_.owns_lock || !opts_.owns_lock(name))
    return Error(ErrorCode::kNotOwner, fmt::format("Asserted lock {} not held.", name));
  return Json::object();
}

}  // namespace vs::ovsdb
