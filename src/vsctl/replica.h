// A client-side copy of the database that commands read and edit, and the
// transaction that carries their edits back to the server.
//
// Load() fills the replica from one `transact` of `select` ops over every
// table (SelectAllParams()). Commands then read and change rows in place;
// the replica remembers for each existing row its original values, which
// columns were rewritten, which were read to compute a rewrite ("verified",
// sent as `wait` ops with timeout 0 so that a concurrent change makes the
// server answer "timed out" and the whole run is retried), and which map
// keys were set piecemeal (sent as `mutate` delete+insert so that concurrent
// edits of other keys are not lost). New rows get a local UUID and are sent
// as `insert` with a uuid-name; references to them are spelled
// ["named-uuid", ...]. Deleting a row of a non-root table sends nothing: the
// server garbage-collects rows nobody references (RFC 7047 §3.2 isRoot),
// exactly like the OVS IDL does.
//
// Not thread-safe; one per command run.
#pragma once

#include <map>
#include <optional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "base/uuid.h"
#include "vsctl/datum.h"
#include "vsctl/schema.h"

namespace vs::vsctl {

struct Row {
  const Table* table = nullptr;
  Uuid uuid;
  std::map<std::string, Datum> cols;  // every schema column
  std::map<std::string, Datum> orig;  // as loaded (existing rows only)
  bool is_new = false;
  bool deleted = false;
  std::set<std::string> written;
  std::set<std::string> verified;
  // Partial map updates of existing rows: column -> keys to replace.
  std::map<std::string, std::set<Atom>> map_keys_set;
  std::map<std::string, std::set<Atom>> map_keys_deleted;

  const Datum& Get(const std::string& column) const;
};

class Replica {
 public:
  explicit Replica(std::shared_ptr<const Schema> schema) : schema_(std::move(schema)) {}

  const Schema& schema() const { return *schema_; }

  // The params of a transact that selects every row of every table.
  static Json SelectAllParams(const Schema& schema);
  // Fills the replica from the reply to SelectAllParams(). Errors: EPROTO.
  Status Load(const Json& result);

  Row* Find(const std::string& table, const Uuid& uuid);
  // Live (not deleted) rows of `table`, ordered by UUID.
  std::vector<Row*> Rows(const std::string& table);

  // A new row; `uuid` fixes its local UUID (for --id forward references).
  Row& Insert(const Table& table, std::optional<Uuid> uuid = std::nullopt);
  void Delete(Row& row);
  // Marks `column` as read for a read-modify-write (adds a `wait`).
  void Verify(Row& row, const std::string& column);
  void Write(Row& row, const std::string& column, Datum value);
  // Sets map[key] = value, as a mutation when the column is not rewritten.
  void SetMapKey(Row& row, const Column& column, const Atom& key, const Atom& value);

  // True if the transaction would change anything.
  bool HasChanges() const;
  // Builds the transaction's operations (waits first). `comment` is appended
  // as a comment op when non-empty.
  Json BuildOps() const;
  // ["uuid", U] for loaded rows and ["named-uuid", N] for new ones.
  Json EncodeUuid(const Uuid& u) const;
  static std::string NamedUuid(const Uuid& u);
  // New rows (not deleted) of `table`.
  std::vector<const Row*> NewRows(const std::string& table) const;

 private:
  Row* MakeRow(const Table& table, const Uuid& uuid);
  void AddWaitOps(const Row& row, Json* ops) const;
  void AddChangeOps(const Row& row, Json* ops) const;
  Json Where(const Row& row) const;

  std::shared_ptr<const Schema> schema_;
  std::map<std::string, std::map<Uuid, std::unique_ptr<Row>>> rows_;
  std::set<Uuid> new_uuids_;
};

}  // namespace vs::vsctl
