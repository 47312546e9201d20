// Executor: runs the ops of one "transact" request against a Txn (RFC 7047
// §5.2), engine-internal. Database::Transact drives it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "ovsdb/database.h"
#include "ovsdb/datum.h"
#include "ovsdb/internal/txn.h"

namespace vs::ovsdb {

// What ParseRow does with the implicit columns _uuid and _version.
enum class MetaColumns {
  kParse,        // "_uuid" and "_version" parsed like user columns (the caller decides)
  kSkipVersion,  // _version is ignored, _uuid rejected (log replay may carry "_version")
};

// Parses a <row> object into (column index, value) pairs. Unknown columns are
// "unknown column"; _uuid/_version as `meta` says.
ErrorOr<std::vector<std::pair<int, Datum>>> ParseRow(const TableSchema& ts, const Json& row,
                                                    const ParseOptions& opts,
                                                    MetaColumns meta = MetaColumns::kParse);

class Executor {
 public:
  // How an operation's member must look (ovsdb-server's parser types).
  enum class MemberType { kId, kString, kArray, kObject, kBoolean, kInteger };

  Executor(Txn& txn, const TransactOptions& opts) : txn_(txn), opts_(opts) {}

  // Pass 1: assigns a UUID to every "uuid-name" of every insert op, so later
  // and earlier ops can refer to it. Records duplicates for pass 2.
  void CollectNames(const Json& ops);
  // Pass 2: one op. Returns its result object or its error.
  ErrorOr<Json> Execute(size_t index, const Json& op);

  bool durable() const { return durable_; }
  bool blocked() const { return blocked_; }
  int64_t block_timeout_ms() const { return block_timeout_ms_; }

 private:
  // ovsdb-server's "parser" errors, about an operation's members (missing,
  // of the wrong type, not allowed), its "op" and its table name, read
  // "Parsing ovsdb operation I of N failed: ..." and take precedence over
  // the other errors of the operation, except that a member of the wrong
  // type or missing is reported before a member that is not allowed.
  Error ParseError(const Json& op, const std::string& details) const;
  MaybeError CheckMembers(const Json& op, std::initializer_list<const char*> allowed) const;
  // The member or null; *err is set (if not already) when it is missing and
  // not optional, or of the wrong type.
  const Json* Member(const Json& op, const char* name, MemberType type, bool optional,
                     MaybeError* err) const;
  // "table" (a member of type kId naming a table); *err as for Member().
  const TableSchema* ParseTable(const Json& op, MaybeError* err) const;
  // The rows of `t` (as this transaction sees them) that match the "where" clauses.
  ErrorOr<std::vector<Uuid>> Matching(const TableSchema& t, const Json& where);
  ErrorOr<Json> Insert(size_t index, const Json& op);
  ErrorOr<Json> Select(const Json& op);
  ErrorOr<Json> Update(const Json& op);
  ErrorOr<Json> Mutate(const Json& op);
  ErrorOr<Json> Delete(const Json& op);
  ErrorOr<Json> Wait(const Json& op);
  ErrorOr<Json> Commit(const Json& op);
  ErrorOr<Json> Assert(const Json& op);
  ErrorOr<Json> Comment(const Json& op);
  // A "columns" or "sort" member (null: every column).
  ErrorOr<std::vector<int>> ParseColumns(const TableSchema& ts, const Json* columns);
  ErrorOr<bool> WaitMatches(const TableSchema& ts, const Condition& cond, const Json& rows,
                            const std::vector<int>& cols);

  Txn& txn_;
  const TransactOptions& opts_;
  SymbolTable symtab_;
  size_t n_ops_ = 0;    // operations in the transaction (CollectNames)
  size_t current_ = 0;  // index of the operation being executed
  std::unordered_map<size_t, std::string> duplicate_names_;  // op index -> name
  std::unordered_map<size_t, Uuid> insert_uuids_;            // op index -> uuid from pass 1
  bool durable_ = false;
  bool blocked_ = false;
  int64_t block_timeout_ms_ = 0;
};

}  // namespace vs::ovsdb
