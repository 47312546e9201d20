#include "ovsdb/changeset.h"

namespace vs::ovsdb {

size_t ChangeSet::n_rows() const {
  size_t n = 0;
  for (const auto& t : tables_) n += t.rows.size();
  return n;
}

Json ChangeSet::ToLogJson() const {
  Json j = Json::object();
  for (const auto& tc : tables_) {
    Json rows = Json::object();
    for (const auto& rc : tc.rows) {
      if (rc.deleted()) {
        rows[rc.uuid.ToString()] = nullptr;
        continue;
      }
      rows[rc.uuid.ToString()] = RowToJson(*rc.new_row, *tc.table, &rc.changed);
    }
    j[tc.table->name()] = std::move(rows);
  }
  j["_date"] = date_ms_;
  if (!comment_.empty()) j["_comment"] = comment_;
  return j;
}

}  // namespace vs::ovsdb
