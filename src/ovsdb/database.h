// Database: one in-memory OVSDB database (RFC 7047 §4.1.3, §5.2) — the
// committed tables of a schema, and the transaction engine over them.
//
// Transact() runs the ops of one "transact" request atomically: it works on a
// private overlay (only rows the ops touch, copied on write), then checks the
// whole result (referential integrity, weak-reference cleanup, garbage
// collection of unreferenced non-root rows, cardinality, maxRows, index
// uniqueness) and publishes it in one step. Any failure leaves the database
// untouched. The result array follows ovsdb-server: an error object at the
// failing op's index and null for the ops after it; a failure found at commit
// time is appended as one extra element.
//
// ApplyLogRecord() replays ChangeSet::ToLogJson() / SnapshotRecord() output
// (storage recovery, replication). It validates like a transaction but runs no
// garbage collection.
//
// Not thread-safe: one thread (the server's main loop) owns a Database.
// Monitors hold a const reference and must not outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "ovsdb/changeset.h"
#include "ovsdb/error.h"
#include "ovsdb/row.h"
#include "ovsdb/schema.h"

namespace vs::ovsdb {

struct TransactOptions {
  // true: a failing "wait" with timeout>0 makes the outcome `blocked` (the
  // server retries later); false: it fails with "timed out" at once.
  bool wait_may_block = false;
  // How long (ms) this transaction has already been waiting (for retries of a
  // blocked transaction); a wait whose timeout has elapsed fails.
  int64_t elapsed_ms = 0;
  // For the "assert" op: does the session own this lock? null = owns nothing.
  std::function<bool(const std::string&)> owns_lock;
  // Non-empty: the name of a database clients may read but not write
  // (_Server). A write operation that would succeed fails with
  // ovsdb-server's "not allowed" error instead.
  std::string reserved_db;
};

struct TransactOutcome {
  Json result = Json::array();              // the reply's "result" array
  std::shared_ptr<const ChangeSet> changes;  // non-null iff committed and something changed
  bool blocked = false;                     // a wait with timeout>0 is not yet satisfied
  int64_t block_timeout_ms = 0;             // that wait's remaining timeout
  bool durable = false;                     // a "commit" op asked durable:true
  bool committed = false;                   // no op failed and the commit succeeded
};

class Database {
 public:
  // Errors: EINVAL if `schema` is null.
  static Result<std::unique_ptr<Database>> Create(std::shared_ptr<const DatabaseSchema> schema);

  const DatabaseSchema& schema() const { return *schema_; }
  const std::shared_ptr<const DatabaseSchema>& shared_schema() const { return schema_; }

  // `ops` = params[1..] of "transact" as a JSON array. Never throws.
  TransactOutcome Transact(const Json& ops, const TransactOptions& opts = {});

  // Replays one log record. On success, *changes (if given) receives what
  // changed (null if nothing). Errors: EINVAL with the error object's text.
  Status ApplyLogRecord(const Json& record, std::shared_ptr<const ChangeSet>* changes = nullptr);
  // Whole content as one record ApplyLogRecord accepts on an empty database.
  Json SnapshotRecord() const;

  // Read access.
  const Table& table(int index) const { return tables_[index]; }
  const Table* FindTable(std::string_view name) const;
  const Row* FindRow(std::string_view table, const Uuid& uuid) const;
  size_t n_tables() const { return tables_.size(); }
  // Number of committed transactions that changed something.
  uint64_t n_commits() const { return n_commits_; }

 private:
  friend class Txn;
  explicit Database(std::shared_ptr<const DatabaseSchema> schema);
  void Commit(const ChangeSet& changes, const std::vector<std::vector<std::pair<Uuid, int64_t>>>&
                                             ref_counts);

  // Adds (or removes) the weak references `row` of table `t` holds to
  // weak_referrers_.
  void IndexWeakRefs(int t, const Row& row, bool add);

  std::shared_ptr<const DatabaseSchema> schema_;
  std::vector<Table> tables_;
  // Weak references between committed rows, by the referenced row: per
  // table, uuid -> (table, uuid) of each referring row, once per reference.
  // A transaction that deletes a row fixes up exactly these rows' weak
  // columns (Txn::FixWeakRefs) instead of scanning whole tables.
  using Referrers = std::vector<std::pair<int, Uuid>>;
  std::vector<std::unordered_map<Uuid, Referrers>> weak_referrers_;
  uint64_t n_commits_ = 0;
};

}  // namespace vs::ovsdb
