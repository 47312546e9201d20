#include "vsctl/replica.h"

#include <fmt/format.h>

namespace vs::vsctl {

const Datum& Row::Get(const std::string& column) const {
  static const Datum kEmpty;
  auto it = cols.find(column);
  return it == cols.end() ? kEmpty : it->second;
}

Json Replica::SelectAllParams(const Schema& schema) {
  Json params = Json::array({schema.name()});
  for (const auto& [name, table] : schema.tables()) {
    params.push_back(Json{{"op", "select"}, {"table", name}, {"where", Json::array()}});
  }
  return params;
}

Row* Replica::MakeRow(const Table& table, const Uuid& uuid) {
  auto row = std::make_unique<Row>();
  row->table = &table;
  row->uuid = uuid;
  for (const auto& [name, col] : table.columns) row->cols[name] = Datum::Default(col.type);
  Row* raw = row.get();
  rows_[table.name][uuid] = std::move(row);
  return raw;
}

Status Replica::Load(const Json& result) {
  rows_.clear();
  new_uuids_.clear();
  if (!result.is_array() || result.size() != schema_->tables().size()) {
    return Status(EPROTO, "select reply does not have one result per table");
  }
  size_t i = 0;
  for (const auto& [name, table] : schema_->tables()) {
    const Json& r = result[i++];
    if (!r.is_object() || !r.contains("rows") || !r["rows"].is_array()) {
      return Status(EPROTO, fmt::format("select on table {} failed: {}", name, JsonToString(r)));
    }
    for (const Json& rj : r["rows"]) {
      if (!rj.is_object() || !rj.contains("_uuid")) return Status(EPROTO, "row without _uuid");
      auto uuid = AtomFromJson(rj["_uuid"], Schema::UuidColumn().type.key);
      if (!uuid.ok()) return uuid.status().Wrap(fmt::format("table {}", name));
      Row* row = MakeRow(table, uuid->u);
      for (const auto& [cname, value] : rj.items()) {
        const Column* col = table.Find(cname);
        if (!col) continue;  // _uuid, _version
        auto d = DatumFromJson(value, col->type);
        if (!d.ok()) return d.status().Wrap(fmt::format("table {} column {}", name, cname));
        row->cols[cname] = std::move(*d);
      }
      row->orig = row->cols;
    }
  }
  return Status::Ok();
}

Row* Replica::Find(const std::string& table, const Uuid& uuid) {
  auto t = rows_.find(table);
  if (t == rows_.end()) return nullptr;
  auto r = t->second.find(uuid);
  if (r == t->second.end() || r->second->deleted) return nullptr;
  return r->second.get();
}

std::vector<Row*> Replica::Rows(const std::string& table) {
  std::vector<Row*> out;
  auto t = rows_.find(table);
  if (t == rows_.end()) return out;
  for (auto& [uuid, row] : t->second) {
    if (!row->deleted) out.push_back(row.get());
  }
  return out;
}

Row& Replica::Insert(const Table& table, std::optional<Uuid> fixed) {
  Uuid uuid = fixed ? *fixed : Uuid::Random();
  Row* row = MakeRow(table, uuid);
  row->is_new = true;
  new_uuids_.insert(uuid);
  return *row;
}

void Replica::Delete(Row& row) { row.deleted = true; }

void Replica::Verify(Row& row, const std::string& column) {
  if (!row.is_new) row.verified.insert(column);
}

void Replica::Write(Row& row, const std::string& column, Datum value) {
  row.cols[column] = std::move(value);
  row.written.insert(column);
  row.map_keys_set.erase(column);
  row.map_keys_deleted.erase(column);
}

void Replica::SetMapKey(Row& row, const Column& column, const Atom& key, const Atom& value) {
  Datum& d = row.cols[column.name];
  int at = d.Find(key);
  if (at >= 0) {
    d.values[at] = value;
  } else {
    d.keys.push_back(key);
    d.values.push_back(value);
    d.Normalize();
  }
  if (!row.is_new && !row.written.count(column.name)) row.map_keys_set[column.name].insert(key);
}

bool Replica::HasChanges() const {
  for (const auto& [tname, rows] : rows_) {
    for (const auto& [uuid, row] : rows) {
      if (row->is_new) {
        if (!row->deleted) return true;
        continue;
      }
      if (row->deleted) {
        if (row->table->is_root) return true;
        continue;
      }
      for (const auto& col : row->written) {
        if (!(row->cols.at(col) == row->orig.at(col))) return true;
      }
      for (const auto& [col, keys] : row->map_keys_set) {
        if (!(row->cols.at(col) == row->orig.at(col))) return true;
      }
    }
  }
  return false;
}

std::string Replica::NamedUuid(const Uuid& u) {
  std::string s = "row" + u.ToString();
  for (char& c : s) {
    if (c == '-') c = '_';
  }
  return s;
}

Json Replica::EncodeUuid(const Uuid& u) const {
  if (new_uuids_.count(u)) return Json::array({"named-uuid", NamedUuid(u)});
  return Json::array({"uuid", u.ToString()});
}

Json Replica::Where(const Row& row) const {
  return Json::array({Json::array({"_uuid", "==", EncodeUuid(row.uuid)})});
}

std::vector<const Row*> Replica::NewRows(const std::string& table) const {
  std::vector<const Row*> out;
  auto t = rows_.find(table);
  if (t == rows_.end()) return out;
  for (const auto& [uuid, row] : t->second) {
    if (row->is_new && !row->deleted) out.push_back(row.get());
  }
  return out;
}

void Replica::AddWaitOps(const Row& row, Json* ops) const {
  if (row.is_new || row.verified.empty()) return;
  Json cols = Json::array();
  Json values = Json::object();
  for (const auto& c : row.verified) {
    cols.push_back(c);
    values[c] = DatumToJson(row.orig.at(c), row.table->columns.at(c).type, nullptr);
  }
  ops->push_back(Json{{"op", "wait"}, {"table", row.table->name}, {"timeout", 0},
                      {"where", Where(row)}, {"columns", cols}, {"until", "=="},
                      {"rows", Json::array({values})}});
}

void Replica::AddChangeOps(const Row& row, Json* ops) const {
  auto enc = [this](const Uuid& u) { return EncodeUuid(u); };
  const std::string& tname = row.table->name;
  if (row.is_new) {
    if (row.deleted) return;
    Json values = Json::object();
    for (const auto& [name, col] : row.table->columns) {
      const Datum& d = row.cols.at(name);
      if (d == Datum::Default(col.type)) continue;
      values[name] = DatumToJson(d, col.type, enc);
    }
    ops->push_back(Json{{"op", "insert"}, {"table", tname}, {"uuid-name", NamedUuid(row.uuid)},
                        {"row", values}});
    return;
  }
  if (row.deleted) {
    if (row.table->is_root) {
      ops->push_back(Json{{"op", "delete"}, {"table", tname}, {"where", Where(row)}});
    }
    return;
  }
  Json values = Json::object();
  for (const auto& c : row.written) {
    if (row.cols.at(c) == row.orig.at(c)) continue;
    values[c] = DatumToJson(row.cols.at(c), row.table->columns.at(c).type, enc);
  }
  if (!values.empty()) {
    ops->push_back(Json{{"op", "update"}, {"table", tname}, {"where", Where(row)}, {"row", values}});
  }
  Json mutations = Json::array();
  for (const auto& [c, keys] : row.map_keys_set) {
    const Column& col = row.table->columns.at(c);
    const Datum& now = row.cols.at(c);
    const Datum& before = row.orig.at(c);
    Json del = Json::array(), ins = Json::array();
    for (const Atom& k : keys) {
      int at = now.Find(k);
      if (at < 0) continue;
      int was = before.Find(k);
      if (was >= 0 && before.values[was] == now.values[at]) continue;
      if (was >= 0) del.push_back(AtomToJson(k, enc));
      ins.push_back(Json::array({AtomToJson(k, enc), AtomToJson(now.values[at], enc)}));
    }
    (void)col;
    if (!del.empty()) mutations.push_back(Json::array({c, "delete", Json::array({"set", del})}));
    if (!ins.empty()) mutations.push_back(Json::array({c, "insert", Json::array({"map", ins})}));
  }
  if (!mutations.empty()) {
    ops->push_back(Json{{"op", "mutate"}, {"table", tname}, {"where", Where(row)},
                        {"mutations", mutations}});
  }
}

Json Replica::BuildOps() const {
  Json ops = Json::array();
  for (const auto& [tname, rows] : rows_) {
    for (const auto& [uuid, row] : rows) AddWaitOps(*row, &ops);
  }
  for (const auto& [tname, rows] : rows_) {
    for (const auto& [uuid, row] : rows) AddChangeOps(*row, &ops);
  }
  return ops;
}

}  // namespace vs::vsctl
