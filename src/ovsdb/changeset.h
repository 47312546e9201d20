// ChangeSet: the effect of one committed transaction.
//
// Per table (ascending table index, only tables with changes), per row:
// old row (null if inserted) and new row (null if deleted), both immutable
// RowPtrs shared with the database, plus the user columns whose value changed
// (for modifications; all non-default columns for inserts). Rows that the
// transaction touched without changing, and rows inserted then deleted within
// it (including by garbage collection), do not appear. A ChangeSet is
// immutable after commit and safe to hand to monitors, storage and other
// threads (it owns shared references to everything it shows).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/uuid.h"
#include "ovsdb/row.h"

namespace vs::ovsdb {

struct RowChange {
  Uuid uuid;
  RowPtr old_row;                // null: inserted
  RowPtr new_row;                // null: deleted
  std::vector<int> changed;      // user column indices whose value differs (modify/insert)
  bool inserted() const { return !old_row; }
  bool deleted() const { return !new_row; }
};

struct TableChange {
  const TableSchema* table = nullptr;
  std::vector<RowChange> rows;
};

class ChangeSet {
 public:
  ChangeSet(Uuid txn_id, int64_t date_ms, std::string comment)
      : txn_id_(txn_id), date_ms_(date_ms), comment_(std::move(comment)) {}

  // Random id of the committed transaction (monitor_cond_since / update3).
  Uuid txn_id() const { return txn_id_; }
  int64_t date_ms() const { return date_ms_; }
  // The transaction's "comment" ops joined by "\n" (empty if none).
  const std::string& comment() const { return comment_; }
  const std::vector<TableChange>& tables() const { return tables_; }
  bool empty() const { return tables_.empty(); }
  size_t n_rows() const;

  // The storage record: {"T":{"<uuid>":{changed cols}|null,...},...,"_date":ms
  // [,"_comment":"..."]}. Inserts carry every non-default column, modifies only
  // the changed columns, deletes null. Database::ApplyLogRecord replays it.
  Json ToLogJson() const;

 private:
  friend class Txn;
  Uuid txn_id_;
  int64_t date_ms_;
  std::string comment_;
  std::vector<TableChange> tables_;
};

}  // namespace vs::ovsdb
