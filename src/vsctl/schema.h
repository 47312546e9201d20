// OVSDB schema, as a client needs it (RFC 7047 §3.2): tables, columns and
// column types with their constraints, parsed from the JSON returned by
// `get_schema`. Columns are kept sorted by name, which is also the order in
// which `list` prints them (after `_uuid`).
//
// Parsing never throws: malformed schema JSON is an EPROTO error naming the
// table and column at fault.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "ovsdb/types.h"

namespace vs::vsctl {

// The engine's atomic types (ovsdb/types.h): one model of them.
using ovsdb::AtomicType;
using ovsdb::AtomicTypeName;

struct Atom;

// One "key" or "value" of a column type, with its constraints.
struct BaseType {
  AtomicType type = AtomicType::kString;
  std::vector<Atom>* enum_values = nullptr;  // owned by Schema; null: no enum
  std::optional<int64_t> min_integer, max_integer;
  std::optional<double> min_real, max_real;
  std::optional<int64_t> min_length, max_length;
  std::string ref_table;  // uuid only: referenced table, empty if none
  bool ref_strong = true;
};

struct ColumnType {
  static constexpr int64_t kUnlimited = std::numeric_limits<int64_t>::max();
  BaseType key;
  std::optional<BaseType> value;  // set: maps only
  int64_t n_min = 1;
  int64_t n_max = 1;

  bool is_map() const { return value.has_value(); }
  // A set in the RFC's sense: anything but exactly one scalar (min 1, max 1).
  bool is_scalar() const { return !is_map() && n_min == 1 && n_max == 1; }
  bool is_optional_scalar() const { return !is_map() && n_min == 0 && n_max == 1; }
};

struct Column {
  std::string name;
  ColumnType type;
  bool is_mutable = true;
};

struct Table {
  std::string name;
  std::map<std::string, Column> columns;  // sorted by name; no _uuid/_version
  bool is_root = false;
  std::optional<int64_t> max_rows;
  const Column* Find(const std::string& name) const {
    auto it = columns.find(name);
    return it == columns.end() ? nullptr : &it->second;
  }
};

class Schema {
 public:
  // Parses the result of get_schema. Errors: EPROTO with the offending part.
  static Result<std::shared_ptr<Schema>> FromJson(const Json& j);
  ~Schema();

  const std::string& name() const { return name_; }
  const std::map<std::string, Table>& tables() const { return tables_; }
  const Table* Find(const std::string& name) const {
    auto it = tables_.find(name);
    return it == tables_.end() ? nullptr : &it->second;
  }
  // The pseudo-column "_uuid" (type uuid, read-only).
  static const Column& UuidColumn();

 private:
  Schema() = default;
  std::string name_;
  std::map<std::string, Table> tables_;
  std::vector<std::unique_ptr<std::vector<Atom>>> enums_;
  friend struct SchemaParser;
};

}  // namespace vs::vsctl
