#include "ovsdb/database.h"

#include <algorithm>

#include <fmt/format.h>

#include "ovsdb/internal/executor.h"
#include "ovsdb/internal/refs.h"
#include "ovsdb/internal/txn.h"

namespace vs::ovsdb {

Database::Database(std::shared_ptr<const DatabaseSchema> schema)
    : schema_(std::move(schema)), weak_referrers_(schema_->n_tables()) {
  tables_.reserve(schema_->n_tables());
  for (const auto& t : schema_->tables()) tables_.emplace_back(t.get());
}

void Database::IndexWeakRefs(int t, const Row& row, bool add) {
  auto index = [&](int target_table, const Uuid& target) {
    auto& map = weak_referrers_[target_table];
    if (add) {
      map[target].emplace_back(t, row.uuid);
      return;
    }
    auto it = map.find(target);
    if (it == map.end()) return;
    Referrers& v = it->second;
    auto r = std::find(v.begin(), v.end(), std::pair<int, Uuid>(t, row.uuid));
    if (r != v.end()) {
      *r = v.back();
      v.pop_back();
    }
    if (v.empty()) map.erase(it);
  };
  const TableSchema& ts = schema_->table(t);
  for (int c : ts.ref_columns()) ForEachRef(row.fields[c], ts.column(c).type, /*strong=*/false, index);
}

Result<std::unique_ptr<Database>> Database::Create(std::shared_ptr<const DatabaseSchema> schema) {
  if (!schema) return Status(EINVAL, "Database::Create: no schema");
  return std::unique_ptr<Database>(new Database(std::move(schema)));
}

const Table* Database::FindTable(std::string_view name) const {
  const TableSchema* ts = schema_->FindTable(name);
  return ts ? &tables_[ts->index()] : nullptr;
}

const Row* Database::FindRow(std::string_view table, const Uuid& uuid) const {
  const Table* t = FindTable(table);
  return t ? t->Find(uuid) : nullptr;
}

TransactOutcome Database::Transact(const Json& ops, const TransactOptions& opts) {
  TransactOutcome out;
  if (!ops.is_array()) {
    out.result.push_back(
        Error(ErrorCode::kSyntaxError, "array of operations expected", ops).ToJson());
    return out;
  }
  Txn txn(*this);
  Executor ex(txn, opts);
  ex.CollectNames(ops);
  for (size_t i = 0; i < ops.size(); i++) {
    ErrorOr<Json> r = ex.Execute(i, ops[i]);
    if (r.ok()) {
      out.result.push_back(std::move(r.value()));
      continue;
    }
    if (ex.blocked()) {
      out.blocked = true;
      out.block_timeout_ms = ex.block_timeout_ms();
      out.result = Json::array();
      return out;
    }
    out.result.push_back(r.error().ToJson());
    while (out.result.size() < ops.size()) out.result.push_back(nullptr);
    return out;
  }
  std::shared_ptr<const ChangeSet> changes;
  if (MaybeError e = txn.Finish(true, &changes)) {
    out.result.push_back(e->ToJson());
    return out;
  }
  out.committed = true;
  out.durable = ex.durable();
  out.changes = std::move(changes);
  return out;
}

void Database::Commit(const ChangeSet& changes,
                      const std::vector<std::vector<std::pair<Uuid, int64_t>>>& ref_counts) {
  for (const TableChange& tc : changes.tables()) {
    Table& t = tables_[tc.table->index()];
    if (tc.table->has_weak_refs()) {
      for (const RowChange& rc : tc.rows) {
        if (rc.old_row) IndexWeakRefs(tc.table->index(), *rc.old_row, false);
        if (rc.new_row) IndexWeakRefs(tc.table->index(), *rc.new_row, true);
      }
    }
    for (const RowChange& rc : tc.rows) {
      if (rc.deleted()) {
        t.Remove(rc.uuid);
        continue;
      }
      const Table::Entry* e = t.FindEntry(rc.uuid);
      t.Put(rc.new_row, e ? e->n_refs : 0);
    }
  }
  for (size_t ti = 0; ti < ref_counts.size(); ti++) {
    for (const auto& [uuid, n] : ref_counts[ti]) {
      auto it = tables_[ti].rows_.find(uuid);
      if (it != tables_[ti].rows_.end()) it->second.n_refs = n;
    }
  }
  n_commits_++;
}

Status Database::ApplyLogRecord(const Json& record, std::shared_ptr<const ChangeSet>* changes) {
  if (changes) changes->reset();
  if (!record.is_object()) return Status(EINVAL, "log record is not a JSON object");
  Txn txn(*this);
  int64_t date_ms = -1;
  for (auto it = record.begin(); it != record.end(); ++it) {
    const std::string& key = it.key();
    if (key == "_date") {
      if (it->is_number_integer()) date_ms = it->get<int64_t>();
      continue;
    }
    if (key == "_comment") {
      if (it->is_string()) txn.AddComment(it->get<std::string>());
      continue;
    }
    if (!key.empty() && key[0] == '_') continue;  // other metadata (e.g. "_is_diff")
    const TableSchema* ts = schema_->FindTable(key);
    if (!ts)
      return Error(ErrorCode::kUnknownTable, fmt::format("log record names unknown table {}", key))
          .ToStatus();
    if (!it->is_object())
      return Status(EINVAL, fmt::format("log record: table {} is not a JSON object", key));
    for (auto r = it->begin(); r != it->end(); ++r) {
      auto uuid = Uuid::Parse(r.key());
      if (!uuid) return Status(EINVAL, fmt::format("log record: bad row UUID \"{}\"", r.key()));
      if (r->is_null()) {
        // As ovsdb-server: deleting a row that does not exist means the log
        // does not belong to this content.
        if (!txn.Get(ts->index(), *uuid))
          return Status(EINVAL, fmt::format("log record deletes row {} of table {}, which does "
                                            "not exist",
                                            r.key(), key));
        txn.Delete(ts->index(), *uuid);
        continue;
      }
      ParseOptions popts;
      popts.check_constraints = false;
      auto values = ParseRow(*ts, *r, popts, MetaColumns::kSkipVersion);
      if (!values.ok()) return values.error().ToStatus();
      Row* row = txn.Modify(ts->index(), *uuid);
      if (!row) {
        auto fresh = Row::MakeDefault(*ts, *uuid);
        row = fresh.get();
        if (MaybeError e = txn.Insert(ts->index(), std::move(fresh))) return e->ToStatus();
      }
      for (auto& [c, d] : values.value()) row->fields[c] = std::move(d);
    }
  }
  std::shared_ptr<const ChangeSet> cs;
  if (MaybeError e = txn.Finish(false, &cs, date_ms)) return e->ToStatus();
  if (changes) *changes = std::move(cs);
  return Status();
}

Json Database::SnapshotRecord() const {
  Json j = Json::object();
  for (const Table& t : tables_) {
    if (t.size() == 0) continue;
    Json rows = Json::object();
    for (const auto& [uuid, e] : t.rows())
      rows[uuid.ToString()] = RowToJson(*e.row, t.schema(), nullptr, false, true);
    j[t.schema().name()] = std::move(rows);
  }
  return j;
}

}  // namespace vs::ovsdb
