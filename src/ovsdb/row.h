// Rows and committed tables.
//
// A Row is immutable once published: the database and every ChangeSet hold it
// through shared_ptr<const Row> (RowPtr). A transaction that modifies a row
// copies it (copy-on-write) and the copy replaces the original only at
// commit, so readers of an older ChangeSet or monitor snapshot never see a row
// change under them. fields[i] is the value of TableSchema::column(i);
// fields[0] holds _uuid and fields[1] _version (each a one-UUID datum).
//
// A Table is the committed content of one table: rows by UUID (hash map), the
// number of strong references each row receives from other rows (for garbage
// collection and referential integrity), and one hash multimap per schema
// index (hash of the indexed columns -> row UUID). Only Database and the
// transaction code mutate a Table; everything else sees it const.
// Not thread-safe: the owner serialises access.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "base/json.h"
#include "base/uuid.h"
#include "ovsdb/datum.h"
#include "ovsdb/schema.h"

namespace vs::ovsdb {

struct Row {
  Uuid uuid;
  std::vector<Datum> fields;

  Uuid version() const {
    return fields.size() > 1 && !fields[1].empty() ? std::get<Uuid>(fields[1].key(0)) : Uuid{};
  }
  // A row of `table` with every column at its default, _uuid = uuid.
  static std::shared_ptr<Row> MakeDefault(const TableSchema& table, const Uuid& uuid);
  void SetVersion(const Uuid& v) { fields[TableSchema::kVersionColumn] = Datum::FromAtom(Atom(v)); }
};
using RowPtr = std::shared_ptr<const Row>;

// JSON object {column: value} of `row` for the given column indices, or for
// all user columns (plus _uuid and _version when `with_meta`) if `columns` is
// null. When `skip_defaults`, columns equal to their default are omitted
// (update2 "initial"/"insert" form).
Json RowToJson(const Row& row, const TableSchema& table, const std::vector<int>* columns,
               bool with_meta = false, bool skip_defaults = false);

// Hash of the values of `columns` in `row` (index key).
size_t HashColumns(const Row& row, const std::vector<int>& columns);
bool EqualColumns(const Row& a, const Row& b, const std::vector<int>& columns);

class Table {
 public:
  struct Entry {
    RowPtr row;
    int64_t n_refs = 0;  // strong references from other rows (self-references excluded)
  };
  using RowMap = std::unordered_map<Uuid, Entry>;

  explicit Table(const TableSchema* schema)
      : schema_(schema), indexes_(schema->indexes().size()) {}

  const TableSchema& schema() const { return *schema_; }
  size_t size() const { return rows_.size(); }
  const Row* Find(const Uuid& uuid) const {
    auto it = rows_.find(uuid);
    return it == rows_.end() ? nullptr : it->second.row.get();
  }
  const Entry* FindEntry(const Uuid& uuid) const {
    auto it = rows_.find(uuid);
    return it == rows_.end() ? nullptr : &it->second;
  }
  // Iteration: for (const auto& [uuid, entry] : table.rows()) entry.row->...
  const RowMap& rows() const { return rows_; }
  // Committed rows whose index `i` key hashes to `hash` (candidates only).
  template <typename F>
  void ForEachIndexCandidate(size_t i, size_t hash, F&& f) const {
    auto [b, e] = indexes_[i].equal_range(hash);
    for (auto it = b; it != e; ++it) f(it->second);
  }

 private:
  friend class Database;
  friend class Txn;
  void Put(RowPtr row, int64_t n_refs);  // insert or replace, maintaining indexes
  void Remove(const Uuid& uuid);
  void IndexAdd(const Row& row);
  void IndexRemove(const Row& row);

  const TableSchema* schema_;
  RowMap rows_;
  std::vector<std::unordered_multimap<size_t, Uuid>> indexes_;
};

}  // namespace vs::ovsdb
