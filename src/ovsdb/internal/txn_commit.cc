// Txn: index uniqueness, ChangeSet construction and Finish().
#include <chrono>

#include <fmt/format.h>

#include "ovsdb/internal/txn.h"

namespace vs::ovsdb {

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string IndexColumnsText(const TableSchema& ts, const std::vector<int>& cols) {
  std::string s = cols.size() == 1 ? "column " : "columns ";
  for (size_t i = 0; i < cols.size(); i++) {
    if (i) s += (i + 1 == cols.size()) ? (cols.size() > 2 ? ", and " : " and ") : ", ";
    s += "\"" + ts.column(cols[i]).name + "\"";
  }
  return s;
}

std::string IndexValuesText(const TableSchema& ts, const std::vector<int>& cols, const Row& r) {
  std::string s;
  for (size_t i = 0; i < cols.size(); i++) {
    if (i) s += ", ";
    s += JsonToString(r.fields[cols[i]].ToJson(ts.column(cols[i]).type));
  }
  return s;
}

}  // namespace

std::string Txn::DescribeIndexRow(int t, size_t i, const Row& row) const {
  const TableSchema& ts = schema().table(t);
  const auto& cols = ts.indexes()[i];
  auto it = rows_[t].find(row.uuid);
  std::string s = fmt::format("row, with UUID {}, ", row.uuid.ToString());
  if (it == rows_[t].end()) {
    s += "existed in the database before this transaction and was not modified by the "
         "transaction.";
  } else if (!it->second.old) {
    s += "was inserted by this transaction.";
  } else if (EqualColumns(*it->second.old, row, cols)) {
    s += "existed in the database before this transaction, which modified some of the row's "
         "columns but not any columns in this index.";
  } else {
    s += fmt::format("had the following index values before the transaction: {}.",
                     IndexValuesText(ts, cols, *it->second.old));
  }
  return s;
}

Error Txn::DuplicateIndexError(int t, size_t i, const Row& a, const Row& b) const {
  const TableSchema& ts = schema().table(t);
  const auto& cols = ts.indexes()[i];
  return Error(ErrorCode::kConstraintViolation,
               fmt::format("Transaction causes multiple rows in \"{}\" table to have identical "
                           "values ({}) for index on {}.  First {}  Second {}",
                           ts.name(), IndexValuesText(ts, cols, a), IndexColumnsText(ts, cols),
                           DescribeIndexRow(t, i, a), DescribeIndexRow(t, i, b)));
}

MaybeError Txn::CheckIndex(int t, size_t i) const {
  const auto& cols = schema().table(t).indexes()[i];
  const Table& committed = db_.tables_[t];
  std::unordered_multimap<size_t, const Row*> seen;
  for (const auto& [uuid, r] : rows_[t]) {
    if (!r.cur) continue;
    const Row& row = *r.cur;
    size_t h = HashColumns(row, cols);
    if (r.old && EqualColumns(*r.old, row, cols)) {
      // Index key unchanged: cannot clash with committed rows it did not clash with before.
    } else {
      MaybeError err;
      committed.ForEachIndexCandidate(i, h, [&](const Uuid& other) {
        if (err || other == uuid || rows_[t].count(other)) return;
        const Row* o = committed.Find(other);
        if (o && EqualColumns(*o, row, cols)) err = DuplicateIndexError(t, i, *o, row);
      });
      if (err) return err;
    }
    auto [b, e] = seen.equal_range(h);
    for (auto it = b; it != e; ++it)
      if (EqualColumns(*it->second, row, cols)) return DuplicateIndexError(t, i, *it->second, row);
    seen.emplace(h, &row);
  }
  return std::nullopt;
}

MaybeError Txn::CheckIndexes() const {
  for (size_t t = 0; t < rows_.size(); t++) {
    if (rows_[t].empty()) continue;
    for (size_t i = 0; i < schema().table(t).indexes().size(); i++)
      if (auto e = CheckIndex(static_cast<int>(t), i)) return e;
  }
  return std::nullopt;
}

std::shared_ptr<ChangeSet> Txn::BuildChangeSet(int64_t date_ms) {
  auto cs = std::make_shared<ChangeSet>(Uuid::Random(), date_ms, comment_);
  for (size_t t = 0; t < rows_.size(); t++) {
    if (rows_[t].empty()) continue;
    const TableSchema& ts = schema().table(t);
    TableChange tc;
    tc.table = &ts;
    for (auto& [uuid, r] : rows_[t]) {
      if (!r.old && !r.cur) continue;  // inserted and deleted here
      RowChange rc;
      rc.uuid = uuid;
      rc.old_row = r.old;
      if (r.cur) {
        for (int c = TableSchema::kFirstUserColumn; c < static_cast<int>(ts.n_columns()); c++) {
          const Datum& nv = r.cur->fields[c];
          bool changed = r.old ? !(r.old->fields[c] == nv)
                               : !(nv == Datum::Default(ts.column(c).type));
          if (changed) rc.changed.push_back(c);
        }
        if (r.old && rc.changed.empty()) continue;  // touched, not changed
        r.cur->SetVersion(Uuid::Random());
        rc.new_row = r.cur;
      }
      tc.rows.push_back(std::move(rc));
    }
    if (!tc.rows.empty()) cs->tables_.push_back(std::move(tc));
  }
  return cs;
}

MaybeError Txn::Finish(bool gc, std::shared_ptr<const ChangeSet>* changes, int64_t date_ms) {
  changes->reset();
  for (size_t t = 0; t < rows_.size(); t++)
    for (const auto& [uuid, r] : rows_[t])
      if (auto e = CountRefs(static_cast<int>(t), r)) return e;
  if (auto e = CheckDeletedRefs()) return e;
  if (gc) CollectGarbage();
  if (auto e = FixWeakRefs()) return e;
  if (auto e = CheckMaxRows()) return e;
  if (auto e = CheckIndexes()) return e;
  auto cs = BuildChangeSet(date_ms >= 0 ? date_ms : NowMs());
  if (cs->empty()) return std::nullopt;
  std::vector<std::vector<std::pair<Uuid, int64_t>>> refs(rows_.size());
  for (size_t t = 0; t < rows_.size(); t++)
    for (const auto& [uuid, d] : ref_delta_[t])
      if (d != 0 && Get(static_cast<int>(t), uuid))
        refs[t].emplace_back(uuid, FinalRefs(static_cast<int>(t), uuid));
  db_.Commit(*cs, refs);
  *changes = std::move(cs);
  return std::nullopt;
}

}  // namespace vs::ovsdb
