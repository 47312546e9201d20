// Monitor: one "monitor" / "monitor_cond" / "monitor_cond_since" request
// (RFC 7047 §4.1.5-4.1.7 and the OVS extensions).
//
// Create() parses <monitor-requests> ({table: request or [requests]}) against
// the database's schema: per table a column selection ("columns" absent = all
// columns; "columns":[] = no columns, rows only), "select" flags
// (initial/insert/delete/modify, default all true) and, for kUpdate2/kUpdate3,
// a "where" condition (a disjunction of clauses; absent or [] = true).
//
// Initial() renders the current content; Compose() renders one ChangeSet as
// <table-updates> (kUpdate: {"new":..,"old":..}) or <table-updates2>
// (kUpdate2/3: initial/insert/delete/modify, modify as a diff). A row moving
// into (out of) the condition is reported as an insert (delete).
// ChangeConditions() implements monitor_cond_change; the rows that enter or
// leave the new condition are returned as table-updates2 for the server to
// send. The Monitor holds a reference to the Database: it must not outlive it.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "ovsdb/changeset.h"
#include "ovsdb/condition.h"
#include "ovsdb/database.h"

namespace vs::ovsdb {

enum class MonitorVersion {
  kUpdate,   // "monitor": "update" notifications with old/new
  kUpdate2,  // "monitor_cond": "update2" diffs
  kUpdate3,  // "monitor_cond_since": "update3" (same table-updates2 body)
};

class Monitor {
 public:
  // Errors: EINVAL whose message is an RFC error object's text ("syntax error: ...",
  // "unknown column: ..."); error() of the returned status is also available via
  // CreateError().
  static Result<std::unique_ptr<Monitor>> Create(const Database& db, MonitorVersion v,
                                                 const Json& monitor_requests);
  // Same, with the error as an RFC error object for the JSON-RPC reply.
  static ErrorOr<std::unique_ptr<Monitor>> CreateOrError(const Database& db, MonitorVersion v,
                                                         const Json& monitor_requests);

  MonitorVersion version() const { return version_; }
  // <table-updates> / <table-updates2> with the current content (rows selected by
  // "initial" and the conditions). Always an object (maybe empty).
  Json Initial() const;
  // Updates for one commit, or nullopt if nothing monitored changed.
  std::optional<Json> Compose(const ChangeSet& changes) const;
  // monitor_cond_change: {table: [{"where": [...]}, ...]}. On success, if
  // `update` is non-null it receives the table-updates2 (rows entering /
  // leaving the conditions), or null JSON if none. Errors: EINVAL (bad table,
  // column or condition).
  Status ChangeConditions(const Json& table_conditions, Json* update = nullptr);
  // Same, with the error as an RFC error object (ovsdb-server's words).
  MaybeError ChangeConditionsOrError(const Json& table_conditions, Json* update = nullptr);

 private:
  struct TableMonitor {
    const TableSchema* table = nullptr;
    std::vector<int> columns;  // column indices to report
    bool initial = true, insert = true, del = true, modify = true;
    Condition where;           // disjunction; True() if absent
  };

  Monitor(const Database& db, MonitorVersion v) : db_(db), version_(v) {}
  ErrorOr<bool> AddRequest(const TableSchema& t, const Json& req);
  std::optional<Json> RowUpdate(const TableMonitor& tm, const RowChange& rc) const;
  Json RowJson(const TableMonitor& tm, const Row& row, bool skip_defaults) const;

  const Database& db_;
  MonitorVersion version_;
  std::vector<TableMonitor> tables_;          // ascending table index
  std::vector<int> by_table_;                 // table index -> position in tables_, or -1
};

}  // namespace vs::ovsdb
