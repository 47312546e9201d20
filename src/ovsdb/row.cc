#include "ovsdb/row.h"

namespace vs::ovsdb {

std::shared_ptr<Row> Row::MakeDefault(const TableSchema& table, const Uuid& uuid) {
  auto row = std::make_shared<Row>();
  row->uuid = uuid;
  row->fields.reserve(table.n_columns());
  for (const auto& c : table.columns()) row->fields.push_back(Datum::Default(c.type));
  row->fields[TableSchema::kUuidColumn] = Datum::FromAtom(Atom(uuid));
  return row;
}

Json RowToJson(const Row& row, const TableSchema& table, const std::vector<int>* columns,
               bool with_meta, bool skip_defaults) {
  Json j = Json::object();
  auto put = [&](int i) {
    const ColumnSchema& c = table.column(i);
    if (skip_defaults && row.fields[i] == Datum::Default(c.type)) return;
    j[c.name] = row.fields[i].ToJson(c.type);
  };
  if (columns) {
    for (int i : *columns) put(i);
    return j;
  }
  int first = with_meta ? 0 : TableSchema::kFirstUserColumn;
  for (int i = first; i < static_cast<int>(table.n_columns()); i++) put(i);
  return j;
}

size_t HashColumns(const Row& row, const std::vector<int>& columns) {
  size_t h = 0x9e3779b97f4a7c15ULL;
  for (int c : columns) h = (h ^ row.fields[c].Hash()) * 0x100000001b3ULL;
  return h;
}

bool EqualColumns(const Row& a, const Row& b, const std::vector<int>& columns) {
  for (int c : columns)
    if (!(a.fields[c] == b.fields[c])) return false;
  return true;
}

void Table::IndexAdd(const Row& row) {
  const auto& idx = schema_->indexes();
  for (size_t i = 0; i < idx.size(); i++) indexes_[i].emplace(HashColumns(row, idx[i]), row.uuid);
}

void Table::IndexRemove(const Row& row) {
  const auto& idx = schema_->indexes();
  for (size_t i = 0; i < idx.size(); i++) {
    auto [b, e] = indexes_[i].equal_range(HashColumns(row, idx[i]));
    for (auto it = b; it != e; ++it) {
      if (it->second == row.uuid) {
        indexes_[i].erase(it);
        break;
      }
    }
  }
}

void Table::Put(RowPtr row, int64_t n_refs) {
  auto it = rows_.find(row->uuid);
  if (it != rows_.end()) {
    IndexRemove(*it->second.row);
    IndexAdd(*row);
    it->second.row = std::move(row);
    it->second.n_refs = n_refs;
    return;
  }
  IndexAdd(*row);
  Uuid u = row->uuid;
  rows_.emplace(u, Entry{std::move(row), n_refs});
}

void Table::Remove(const Uuid& uuid) {
  auto it = rows_.find(uuid);
  if (it == rows_.end()) return;
  IndexRemove(*it->second.row);
  rows_.erase(it);
}

}  // namespace vs::ovsdb
