// Database schema (RFC 7047 §3.2): the parsed form of a .ovsschema file.
//
// A DatabaseSchema is built once by FromJson/FromFile and is immutable after
// that; it is shared (shared_ptr<const>) by the Database, its monitors and the
// server. Tables are kept sorted by name and numbered 0..n-1 (TableSchema::
// index()), which the engine uses to index per-table arrays. Within a table,
// column 0 is the implicit "_uuid" and column 1 the implicit "_version" (both
// uuid, immutable); user columns follow in name order. Every refTable name is
// resolved to a table index (BaseType::ref_table_index) at build time, so an
// unknown refTable is a schema error.
//
// Root tables: as in ovsdb-server, if no table in the schema is a root table
// (none says "isRoot": true), every table is a root table (backward
// compatibility with old schemas).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "ovsdb/types.h"

namespace vs::ovsdb {

struct ColumnSchema {
  std::string name;
  ColumnType type;
  bool is_mutable = true;
  bool ephemeral = false;
  int index = 0;  // position in TableSchema::columns()
};

struct SchemaBuilder;

class TableSchema {
 public:
  static constexpr int kUuidColumn = 0;
  static constexpr int kVersionColumn = 1;
  static constexpr int kFirstUserColumn = 2;

  const std::string& name() const { return name_; }
  int index() const { return index_; }
  bool is_root() const { return is_root_; }
  // nullopt: unlimited.
  std::optional<uint64_t> max_rows() const { return max_rows_; }
  // All columns, _uuid and _version first.
  const std::vector<ColumnSchema>& columns() const { return columns_; }
  const ColumnSchema& column(int i) const { return columns_[i]; }
  size_t n_columns() const { return columns_.size(); }
  const ColumnSchema* FindColumn(std::string_view name) const;
  // Each index is a list of column indices whose combined value is unique.
  const std::vector<std::vector<int>>& indexes() const { return indexes_; }
  // Columns whose type has any reference (strong or weak), precomputed.
  const std::vector<int>& ref_columns() const { return ref_columns_; }
  bool has_weak_refs() const { return has_weak_refs_; }
  bool has_strong_refs() const { return has_strong_refs_; }

 private:
  friend class DatabaseSchema;
  friend struct SchemaBuilder;
  std::string name_;
  int index_ = 0;
  bool is_root_ = false;
  std::optional<uint64_t> max_rows_;
  std::vector<ColumnSchema> columns_;
  std::map<std::string, int, std::less<>> by_name_;
  std::vector<std::vector<int>> indexes_;
  std::vector<int> ref_columns_;
  bool has_weak_refs_ = false;
  bool has_strong_refs_ = false;
};

class DatabaseSchema {
 public:
  // Errors: EINVAL with the reason (table/column named) for any schema error.
  static Result<std::shared_ptr<const DatabaseSchema>> FromJson(const Json& j);
  // Errors: ENOENT/EACCES... reading the file, EINVAL for bad JSON or schema.
  static Result<std::shared_ptr<const DatabaseSchema>> FromFile(const std::string& path);

  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  const std::string& cksum() const { return cksum_; }
  // The schema as get_schema returns it (the parsed document, cksum included).
  const Json& ToJson() const { return json_; }

  const TableSchema* FindTable(std::string_view name) const;
  // Tables sorted by name; tables()[i]->index() == i.
  const std::vector<std::unique_ptr<TableSchema>>& tables() const { return tables_; }
  const TableSchema& table(int i) const { return *tables_[i]; }
  size_t n_tables() const { return tables_.size(); }

 private:
  std::string name_;
  std::string version_;
  std::string cksum_;
  Json json_;
  std::vector<std::unique_ptr<TableSchema>> tables_;
  std::map<std::string, int, std::less<>> by_name_;
};

// True if `s` is an OVSDB <id>: [A-Za-z_][A-Za-z0-9_]*.
bool IsValidId(std::string_view s);

}  // namespace vs::ovsdb
