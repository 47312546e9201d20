#include "vsctl/schema.h"

#include <fmt/format.h>

#include "vsctl/datum.h"

namespace vs::vsctl {

Schema::~Schema() = default;

const Column& Schema::UuidColumn() {
  static const Column* col = [] {
    auto* c = new Column;
    c->name = "_uuid";
    c->type.key.type = AtomicType::kUuid;
    c->is_mutable = false;
    return c;
  }();
  return *col;
}

struct SchemaParser {
  Schema* schema;

  static std::optional<AtomicType> ParseAtomicType(const Json& j) {
    if (!j.is_string()) return std::nullopt;
    return ovsdb::ParseAtomicType(j.get_ref<const std::string&>());
  }

  static std::optional<int64_t> OptInt(const Json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return std::nullopt;
    return it->is_number_integer() ? it->get<int64_t>() : static_cast<int64_t>(it->get<double>());
  }
  static std::optional<double> OptReal(const Json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return std::nullopt;
    return it->get<double>();
  }

  Result<BaseType> ParseBase(const Json& j) {
    BaseType base;
    if (auto t = ParseAtomicType(j)) {
      base.type = *t;
      return base;
    }
    if (!j.is_object()) return Status(EPROTO, "base type is neither a string nor an object");
    auto t = ParseAtomicType(j.contains("type") ? j["type"] : Json());
    if (!t) return Status(EPROTO, "base type has no valid \"type\"");
    base.type = *t;
    base.min_integer = OptInt(j, "minInteger");
    base.max_integer = OptInt(j, "maxInteger");
    base.min_real = OptReal(j, "minReal");
    base.max_real = OptReal(j, "maxReal");
    base.min_length = OptInt(j, "minLength");
    base.max_length = OptInt(j, "maxLength");
    if (auto it = j.find("refTable"); it != j.end() && it->is_string()) {
      base.ref_table = it->get<std::string>();
      base.ref_strong = !(j.contains("refType") && j["refType"] == "weak");
    }
    if (auto it = j.find("enum"); it != j.end()) {
      ColumnType set_type;
      set_type.key = base;
      set_type.n_min = 0;
      set_type.n_max = ColumnType::kUnlimited;
      auto d = DatumFromJson(*it, set_type);
      if (!d.ok()) return d.status().Wrap("enum");
      schema->enums_.push_back(std::make_unique<std::vector<Atom>>(std::move(d->keys)));
      base.enum_values = schema->enums_.back().get();
    }
    return base;
  }

  Result<ColumnType> ParseType(const Json& j) {
    ColumnType type;
    if (j.is_string()) {
      auto base = ParseBase(j);
      if (!base.ok()) return base.status();
      type.key = *base;
      return type;
    }
    if (!j.is_object() || !j.contains("key")) return Status(EPROTO, "type has no \"key\"");
    auto key = ParseBase(j["key"]);
    if (!key.ok()) return key.status().Wrap("key");
    type.key = *key;
    if (j.contains("value")) {
      auto value = ParseBase(j["value"]);
      if (!value.ok()) return value.status().Wrap("value");
      type.value = *value;
    }
    if (auto n = OptInt(j, "min")) type.n_min = *n;
    if (auto it = j.find("max"); it != j.end()) {
      if (it->is_string() && *it == "unlimited") {
        type.n_max = ColumnType::kUnlimited;
      } else if (it->is_number_integer()) {
        type.n_max = it->get<int64_t>();
      } else {
        return Status(EPROTO, "\"max\" is neither an integer nor \"unlimited\"");
      }
    }
    return type;
  }

  Status ParseTable(const std::string& name, const Json& j) {
    if (!j.is_object() || !j.contains("columns") || !j["columns"].is_object()) {
      return Status(EPROTO, fmt::format("table {} has no columns object", name));
    }
    Table table;
    table.name = name;
    table.is_root = j.contains("isRoot") && j["isRoot"].is_boolean() && j["isRoot"].get<bool>();
    table.max_rows = OptInt(j, "maxRows");
    for (const auto& [cname, cj] : j["columns"].items()) {
      if (!cj.is_object() || !cj.contains("type")) {
        return Status(EPROTO, fmt::format("column {}.{} has no type", name, cname));
      }
      auto type = ParseType(cj["type"]);
      if (!type.ok()) return type.status().Wrap(fmt::format("column {}.{}", name, cname));
      Column col{cname, *type, true};
      if (cj.contains("mutable") && cj["mutable"].is_boolean()) col.is_mutable = cj["mutable"];
      table.columns.emplace(cname, std::move(col));
    }
    schema->tables_.emplace(name, std::move(table));
    return Status::Ok();
  }
};

Result<std::shared_ptr<Schema>> Schema::FromJson(const Json& j) {
  if (!j.is_object() || !j.contains("tables") || !j["tables"].is_object()) {
    return Status(EPROTO, "schema is not an object with \"tables\"");
  }
  std::shared_ptr<Schema> schema(new Schema);
  if (j.contains("name") && j["name"].is_string()) schema->name_ = j["name"];
  SchemaParser p{schema.get()};
  for (const auto& [name, tj] : j["tables"].items()) {
    VS_RETURN_IF_ERROR(p.ParseTable(name, tj).Wrap("parsing schema"));
  }
  return schema;
}

}  // namespace vs::vsctl
