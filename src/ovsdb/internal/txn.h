// Txn: the private overlay of one transaction over a Database, and the commit
// checks (engine-internal).
//
// The overlay holds only the rows the transaction touched, per table:
// `old` is the committed row (null if inserted here), `cur` the current
// content (null if deleted), `cur` is a private copy the first time a
// committed row is modified (copy-on-write), so the committed tables are never
// written before Finish(). Reads see the overlay first, then the committed
// table.
//
// Finish() runs the RFC 7047 commit checks in the order ovsdb-server uses:
// strong reference counting (a new reference to a missing row, or deleting a
// row that is still referenced, is a "referential integrity violation"),
// garbage collection of non-root rows left without strong references
// (transitively), removal of weak references to missing rows (then the
// column's minimum cardinality, "constraint violation"), maxRows, index
// uniqueness; then it builds the ChangeSet and publishes it into the Database.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ovsdb/changeset.h"
#include "ovsdb/condition.h"
#include "ovsdb/database.h"
#include "ovsdb/error.h"

namespace vs::ovsdb {

class Txn {
 public:
  struct TxnRow {
    RowPtr old;                // committed version, null if inserted by this txn
    std::shared_ptr<Row> cur;  // current content, null if deleted
    bool copied = false;       // cur is a private copy (or a new row)
  };
  using TxnTable = std::unordered_map<Uuid, TxnRow>;

  explicit Txn(Database& db);

  const DatabaseSchema& schema() const { return db_.schema(); }
  // The row as this transaction sees it, or null.
  const Row* Get(int table, const Uuid& uuid) const;
  // UUIDs of the visible rows of `table` matching all clauses of `cond`.
  std::vector<Uuid> Query(int table, const Condition& cond) const;
  // May a row with this UUID be inserted? No if the UUID names a committed
  // row or a row this transaction inserted or deleted.
  bool MayCreateRow(int table, const Uuid& uuid) const {
    return !rows_[table].count(uuid) && !db_.tables_[table].Find(uuid);
  }
  // Adds a new row. Errors: constraint violation if the UUID is in use.
  MaybeError Insert(int table, std::shared_ptr<Row> row);
  // Writable copy of a visible row (copy-on-write); null if not visible.
  Row* Modify(int table, const Uuid& uuid);
  void Delete(int table, const Uuid& uuid);
  void AddComment(const std::string& c);

  // Runs the commit checks (GC only if `gc`) and, if they pass, publishes the
  // result into the database. *changes is null when nothing changed.
  MaybeError Finish(bool gc, std::shared_ptr<const ChangeSet>* changes,
                    int64_t date_ms = -1);

 private:
  int64_t FinalRefs(int table, const Uuid& uuid) const;
  void AddRef(int table, const Uuid& uuid, int64_t delta) { ref_delta_[table][uuid] += delta; }
  MaybeError CountRefs(int t, const TxnRow& r);
  MaybeError CheckDeletedRefs();
  void CollectGarbage();
  void GcDelete(int t, const Uuid& uuid, std::vector<std::pair<int, Uuid>>* work);
  MaybeError FixWeakRefs();
  MaybeError FixWeakRefsInRow(int t, Row* row, const std::vector<std::unordered_set<Uuid>>* deleted);
  MaybeError CheckMaxRows() const;
  MaybeError CheckIndexes() const;
  MaybeError CheckIndex(int t, size_t i) const;
  Error DuplicateIndexError(int t, size_t i, const Row& a, const Row& b) const;
  std::string DescribeIndexRow(int t, size_t i, const Row& row) const;
  std::shared_ptr<ChangeSet> BuildChangeSet(int64_t date_ms);

  Database& db_;
  std::vector<TxnTable> rows_;  // per table index
  std::vector<std::unordered_map<Uuid, int64_t>> ref_delta_;  // per table: strong ref deltas
  std::string comment_;
};

}  // namespace vs::ovsdb
