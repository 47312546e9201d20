#include "ovsdb/schema.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace vs::ovsdb {

bool IsValidId(std::string_view s) {
  if (s.empty()) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(s[0])) return false;
  for (char c : s)
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

const ColumnSchema* TableSchema::FindColumn(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &columns_[it->second];
}

const TableSchema* DatabaseSchema::FindTable(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : tables_[it->second].get();
}

namespace {

Status Bad(std::string msg) { return Status(EINVAL, std::move(msg)); }

Status ParseColumn(const std::string& table, const std::string& name, const Json& j,
                   ColumnSchema* c) {
  if (!IsValidId(name) || name[0] == '_')
    return Bad(fmt::format("table {}: \"{}\" is not a valid column name", table, name));
  if (!j.is_object()) return Bad(fmt::format("column {}.{}: must be an object", table, name));
  c->name = name;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k == "type") {
      auto t = ColumnType::FromJson(*it);
      if (!t.ok()) return Bad(fmt::format("column {}.{}: {}", table, name, t.error().details()));
      c->type = std::move(t.value());
    } else if (k == "ephemeral" || k == "mutable") {
      if (!it->is_boolean())
        return Bad(fmt::format("column {}.{}: \"{}\" must be a boolean", table, name, k));
      (k == "ephemeral" ? c->ephemeral : c->is_mutable) = it->get<bool>();
    } else {
      return Bad(fmt::format("column {}.{}: unknown member \"{}\"", table, name, k));
    }
  }
  if (!j.contains("type")) return Bad(fmt::format("column {}.{}: lacks \"type\"", table, name));
  return Status::Ok();
}

ColumnSchema ImplicitUuidColumn(const char* name, int index) {
  ColumnSchema c;
  c.name = name;
  c.type = ColumnType::Scalar(AtomicType::kUuid);
  c.is_mutable = false;
  c.index = index;
  return c;
}

Status ParseIndexes(const Json& j, TableSchema* t, std::vector<std::vector<int>>* out,
                    const std::map<std::string, int, std::less<>>& by_name) {
  if (!j.is_array()) return Bad("table " + t->name() + ": \"indexes\" must be an array");
  for (const auto& idx : j) {
    if (!idx.is_array() || idx.empty())
      return Bad("table " + t->name() + ": each index must be a non-empty array of column names");
    std::vector<int> cols;
    for (const auto& c : idx) {
      if (!c.is_string()) return Bad("table " + t->name() + ": index column must be a string");
      auto it = by_name.find(c.get_ref<const std::string&>());
      if (it == by_name.end() || it->second < TableSchema::kFirstUserColumn)
        return Bad(fmt::format("table {}: index refers to unknown column {}", t->name(),
                               c.get<std::string>()));
      cols.push_back(it->second);
    }
    out->push_back(std::move(cols));
  }
  return Status::Ok();
}

}  // namespace

struct SchemaBuilder {
  static Status ParseTable(const std::string& name, const Json& j, bool* saw_root,
                           TableSchema* t) {
    if (!IsValidId(name) || name[0] == '_')
      return Bad(fmt::format("\"{}\" is not a valid table name", name));
    if (!j.is_object()) return Bad("table " + name + ": must be an object");
    t->name_ = name;
    auto cols = j.find("columns");
    if (cols == j.end() || !cols->is_object() || cols->empty())
      return Bad("table " + name + ": \"columns\" must be a non-empty object");
    t->columns_.push_back(ImplicitUuidColumn("_uuid", 0));
    t->columns_.push_back(ImplicitUuidColumn("_version", 1));
    for (auto it = cols->begin(); it != cols->end(); ++it) {  // nlohmann objects iterate sorted
      ColumnSchema c;
      VS_RETURN_IF_ERROR(ParseColumn(name, it.key(), *it, &c));
      c.index = static_cast<int>(t->columns_.size());
      t->columns_.push_back(std::move(c));
    }
    for (const auto& c : t->columns_) t->by_name_[c.name] = c.index;
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      if (k == "columns") continue;
      if (k == "isRoot") {
        if (!it->is_boolean()) return Bad("table " + name + ": \"isRoot\" must be a boolean");
        t->is_root_ = it->get<bool>();
        if (t->is_root_) *saw_root = true;
      } else if (k == "maxRows") {
        if (!it->is_number_integer() || it->get<int64_t>() < 1)
          return Bad("table " + name + ": \"maxRows\" must be a positive integer");
        t->max_rows_ = it->get<uint64_t>();
      } else if (k == "indexes") {
        VS_RETURN_IF_ERROR(ParseIndexes(*it, t, &t->indexes_, t->by_name_));
      } else {
        return Bad(fmt::format("table {}: unknown member \"{}\"", name, k));
      }
    }
    return Status::Ok();
  }

  static Status Resolve(DatabaseSchema* s, std::vector<std::unique_ptr<TableSchema>>& tables,
                        const std::map<std::string, int, std::less<>>& by_name) {
    for (auto& t : tables) {
      for (auto& c : t->columns_) {
        for (BaseType* b : {&c.type.key, c.type.value ? &*c.type.value : nullptr}) {
          if (!b || !b->is_ref()) continue;
          auto it = by_name.find(b->ref_table);
          if (it == by_name.end())
            return Bad(fmt::format("column {}.{} refers to undefined table {}", t->name_, c.name,
                                   b->ref_table));
          b->ref_table_index = it->second;
          if (b->is_weak_ref()) t->has_weak_refs_ = true;
          else t->has_strong_refs_ = true;
        }
        if (c.type.has_refs()) t->ref_columns_.push_back(c.index);
      }
    }
    return Status::Ok();
  }
};

Result<std::shared_ptr<const DatabaseSchema>> DatabaseSchema::FromJson(const Json& j) {
  if (!j.is_object()) return Bad("schema must be a JSON object");
  auto s = std::make_shared<DatabaseSchema>();
  auto name = j.find("name");
  if (name == j.end() || !name->is_string() || !IsValidId(name->get_ref<const std::string&>()))
    return Bad("schema lacks a valid \"name\"");
  s->name_ = name->get<std::string>();
  auto tables = j.find("tables");
  if (tables == j.end() || !tables->is_object())
    return Bad("schema " + s->name_ + ": \"tables\" must be an object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k == "name" || k == "tables") continue;
    if (k == "version" || k == "cksum") {
      if (!it->is_string()) return Bad("schema " + s->name_ + ": \"" + k + "\" must be a string");
      (k == "version" ? s->version_ : s->cksum_) = it->get<std::string>();
    } else if (k != "doc") {
      return Bad(fmt::format("schema {}: unknown member \"{}\"", s->name_, k));
    }
  }
  bool saw_root = false;
  for (auto it = tables->begin(); it != tables->end(); ++it) {
    auto t = std::make_unique<TableSchema>();
    Status st = SchemaBuilder::ParseTable(it.key(), *it, &saw_root, t.get());
    if (!st.ok()) return st.Wrap("schema " + s->name_);
    t->index_ = static_cast<int>(s->tables_.size());
    s->by_name_[t->name_] = t->index_;
    s->tables_.push_back(std::move(t));
  }
  if (!saw_root)
    for (auto& t : s->tables_) t->is_root_ = true;
  Status st = SchemaBuilder::Resolve(s.get(), s->tables_, s->by_name_);
  if (!st.ok()) return st.Wrap("schema " + s->name_);
  s->json_ = j;
  return std::shared_ptr<const DatabaseSchema>(std::move(s));
}

Result<std::shared_ptr<const DatabaseSchema>> DatabaseSchema::FromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FromErrno(errno ? errno : ENOENT, "cannot open schema file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  Json j = Json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad(path + ": not valid JSON");
  auto r = FromJson(j);
  if (!r.ok()) return r.status().Wrap(path);
  return r;
}

}  // namespace vs::ovsdb
