#include "ovsdb/internal/txn.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "ovsdb/internal/refs.h"

namespace vs::ovsdb {

Txn::Txn(Database& db)
    : db_(db), rows_(db.schema().n_tables()), ref_delta_(db.schema().n_tables()) {}

const Row* Txn::Get(int table, const Uuid& uuid) const {
  auto it = rows_[table].find(uuid);
  if (it != rows_[table].end()) return it->second.cur.get();
  return db_.tables_[table].Find(uuid);
}

std::vector<Uuid> Txn::Query(int table, const Condition& cond) const {
  std::vector<Uuid> out;
  if (auto u = cond.UuidEquality()) {
    const Row* r = Get(table, *u);
    if (r && cond.MatchesAll(*r)) out.push_back(*u);
    return out;
  }
  const TxnTable& tt = rows_[table];
  for (const auto& [uuid, e] : db_.tables_[table].rows()) {
    if (!tt.empty() && tt.count(uuid)) continue;
    if (cond.MatchesAll(*e.row)) out.push_back(uuid);
  }
  for (const auto& [uuid, r] : tt)
    if (r.cur && cond.MatchesAll(*r.cur)) out.push_back(uuid);
  return out;
}

MaybeError Txn::Insert(int table, std::shared_ptr<Row> row) {
  if (Get(table, row->uuid) || rows_[table].count(row->uuid) ||
      db_.tables_[table].Find(row->uuid)) {
    return Error(ErrorCode::kConstraintViolation,
                 fmt::format("Row with UUID {} already exists in table {}.",
                             row->uuid.ToString(), schema().table(table).name()));
  }
  Uuid u = row->uuid;
  rows_[table].emplace(u, TxnRow{nullptr, std::move(row), true});
  return std::nullopt;
}

Row* Txn::Modify(int table, const Uuid& uuid) {
  auto it = rows_[table].find(uuid);
  if (it != rows_[table].end()) return it->second.cur.get();
  const Table::Entry* e = db_.tables_[table].FindEntry(uuid);
  if (!e) return nullptr;
  auto copy = std::make_shared<Row>(*e->row);
  Row* p = copy.get();
  rows_[table].emplace(uuid, TxnRow{e->row, std::move(copy), true});
  return p;
}

void Txn::Delete(int table, const Uuid& uuid) {
  auto it = rows_[table].find(uuid);
  if (it != rows_[table].end()) {
    it->second.cur.reset();
    return;
  }
  const Table::Entry* e = db_.tables_[table].FindEntry(uuid);
  if (e) rows_[table].emplace(uuid, TxnRow{e->row, nullptr, false});
}

void Txn::AddComment(const std::string& c) {
  if (!comment_.empty()) comment_ += "\n";
  comment_ += c;
}

int64_t Txn::FinalRefs(int table, const Uuid& uuid) const {
  const Table::Entry* e = db_.tables_[table].FindEntry(uuid);
  int64_t n = e ? e->n_refs : 0;
  // A row inserted by this txn with a committed namesake cannot exist (Insert refuses).
  auto it = ref_delta_[table].find(uuid);
  if (it != ref_delta_[table].end()) n += it->second;
  return n;
}

MaybeError Txn::CountRefs(int t, const TxnRow& r) {
  const TableSchema& ts = schema().table(t);
  if (!ts.has_strong_refs() || (!r.old && !r.cur)) return std::nullopt;  // inserted+deleted here
  const Uuid self = r.old ? r.old->uuid : r.cur->uuid;
  for (int c : ts.ref_columns()) {
    const ColumnSchema& col = ts.column(c);
    if (!col.type.has_strong_refs()) continue;
    const Datum* o = r.old ? &r.old->fields[c] : nullptr;
    const Datum* n = r.cur ? &r.cur->fields[c] : nullptr;
    if (o && n && *o == *n) continue;
    if (o) {
      ForEachRef(*o, col.type, true, [&](int tt, const Uuid& u) {
        if (u != self) AddRef(tt, u, -1);
      });
    }
    if (!n) continue;
    MaybeError err;
    ForEachRef(*n, col.type, true, [&](int tt, const Uuid& u) {
      if (err || u == self) return;
      if (!Get(tt, u)) {
        err = Error(ErrorCode::kReferentialIntegrity,
                    fmt::format("Table {} column {} row {} references nonexistent row {} in "
                                "table {}.",
                                ts.name(), col.name, self.ToString(), u.ToString(),
                                schema().table(tt).name()));
        return;
      }
      AddRef(tt, u, +1);
    });
    if (err) return err;
  }
  return std::nullopt;
}

MaybeError Txn::CheckDeletedRefs() {
  for (size_t t = 0; t < rows_.size(); t++) {
    for (const auto& [uuid, r] : rows_[t]) {
      if (r.cur) continue;
      int64_t n = FinalRefs(static_cast<int>(t), uuid);
      if (n > 0) {
        return Error(ErrorCode::kReferentialIntegrity,
                     fmt::format("cannot delete {} row {} because of {} remaining reference(s)",
                                 schema().table(t).name(), uuid.ToString(), n));
      }
    }
  }
  return std::nullopt;
}

void Txn::GcDelete(int t, const Uuid& uuid, std::vector<std::pair<int, Uuid>>* work) {
  const TableSchema& ts = schema().table(t);
  const Row* row = Get(t, uuid);
  std::vector<std::pair<int, Uuid>> targets;
  for (int c : ts.ref_columns()) {
    const ColumnType& type = ts.column(c).type;
    ForEachRef(row->fields[c], type, true, [&](int tt, const Uuid& u) {
      if (u != uuid) targets.emplace_back(tt, u);
    });
  }
  Delete(t, uuid);
  for (const auto& [tt, u] : targets) {
    AddRef(tt, u, -1);
    if (FinalRefs(tt, u) == 0) work->emplace_back(tt, u);
  }
}

void Txn::CollectGarbage() {
  std::vector<std::pair<int, Uuid>> work;
  for (size_t t = 0; t < rows_.size(); t++) {
    if (schema().table(t).is_root()) continue;
    for (const auto& [uuid, r] : rows_[t])
      if (r.cur) work.emplace_back(static_cast<int>(t), uuid);
    for (const auto& [uuid, d] : ref_delta_[t])
      if (d < 0) work.emplace_back(static_cast<int>(t), uuid);
  }
  while (!work.empty()) {
    auto [t, u] = work.back();
    work.pop_back();
    if (schema().table(t).is_root() || !Get(t, u) || FinalRefs(t, u) != 0) continue;
    GcDelete(t, u, &work);
  }
}

MaybeError Txn::FixWeakRefsInRow(int t, Row* row,
                                 const std::vector<std::unordered_set<Uuid>>* deleted) {
  const TableSchema& ts = schema().table(t);
  for (int c : ts.ref_columns()) {
    const ColumnSchema& col = ts.column(c);
    if (!col.type.has_weak_refs()) continue;
    Datum& d = row->fields[c];
    auto missing = [&](int tt, const Atom& a) {
      const Uuid& u = std::get<Uuid>(a);
      if (deleted && !(*deleted)[tt].count(u)) return false;
      return u != row->uuid && !Get(tt, u);
    };
    std::vector<Atom> drop;
    for (size_t i = 0; i < d.size(); i++) {
      bool gone = (col.type.key.is_weak_ref() && missing(col.type.key.ref_table_index, d.key(i))) ||
                  (col.type.value && col.type.value->is_weak_ref() &&
                   missing(col.type.value->ref_table_index, d.value(i)));
      if (gone) drop.push_back(d.key(i));
    }
    if (drop.empty()) continue;
    for (const auto& k : drop) d.Erase(k);
    if (d.size() < col.type.n_min) {
      return Error(ErrorCode::kConstraintViolation,
                   fmt::format("Deletion of {} weak reference(s) to deleted (or never-existing) "
                               "rows from column \"{}\" in \"{}\" row {} caused this column to "
                               "have {} value(s), but constraints require a minimum of {}.",
                               drop.size(), col.name, ts.name(), row->uuid.ToString(), d.size(),
                               col.type.n_min));
    }
  }
  return std::nullopt;
}

MaybeError Txn::FixWeakRefs() {
  const size_t n = rows_.size();
  std::vector<std::unordered_set<Uuid>> deleted(n);
  bool any_deleted = false;
  for (size_t t = 0; t < n; t++)
    for (const auto& [uuid, r] : rows_[t])
      if (!r.cur) deleted[t].insert(uuid), any_deleted = true;
  for (size_t s = 0; s < n; s++) {
    const TableSchema& ts = schema().table(s);
    if (!ts.has_weak_refs()) continue;
    // Rows changed by this transaction: every weak reference must resolve.
    for (auto& [uuid, r] : rows_[s])
      if (r.cur)
        if (auto e = FixWeakRefsInRow(static_cast<int>(s), r.cur.get(), nullptr)) return e;
    if (!any_deleted) continue;
    // Committed rows that point at a row deleted here (and are not changed
    // by this transaction: those were fixed above), from the database's
    // index of weak references.
    std::vector<Uuid> hit;
    for (size_t tt = 0; tt < n; tt++) {
      for (const Uuid& gone : deleted[tt]) {
        auto it = db_.weak_referrers_[tt].find(gone);
        if (it == db_.weak_referrers_[tt].end()) continue;
        for (const auto& [rt, ru] : it->second)
          if (rt == static_cast<int>(s) && !rows_[s].count(ru)) hit.push_back(ru);
      }
    }
    std::sort(hit.begin(), hit.end());
    hit.erase(std::unique(hit.begin(), hit.end()), hit.end());
    for (const Uuid& u : hit)
      if (auto e = FixWeakRefsInRow(static_cast<int>(s), Modify(static_cast<int>(s), u), &deleted))
        return e;
  }
  return std::nullopt;
}

MaybeError Txn::CheckMaxRows() const {
  for (size_t t = 0; t < rows_.size(); t++) {
    auto max = schema().table(t).max_rows();
    if (!max || rows_[t].empty()) continue;
    int64_t n = static_cast<int64_t>(db_.tables_[t].size());
    for (const auto& [uuid, r] : rows_[t]) {
      if (!r.old && r.cur) n++;
      if (r.old && !r.cur) n--;
    }
    if (n > static_cast<int64_t>(*max)) {
      return Error(ErrorCode::kConstraintViolation,
                   fmt::format("transaction causes \"{}\" table to contain {} rows, greater than "
                               "the schema-defined limit of {} row(s)",
                               schema().table(t).name(), n, *max));
    }
  }
  return std::nullopt;
}

}  // namespace vs::ovsdb
