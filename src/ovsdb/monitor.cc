#include "ovsdb/monitor.h"

#include <algorithm>

#include <fmt/format.h>

namespace vs::ovsdb {

namespace {

Error MonSyntax(const Json& j, std::string details) {
  return Error(ErrorCode::kSyntaxError, std::move(details), j);
}

// Checks an object's members as ovsdb-server's parser does: each allowed one
// optional and of its type (in the order given), then none other present.
MaybeError CheckObject(const Json& j, const std::string& what,
                       std::initializer_list<std::pair<const char*, Json::value_t>> allowed) {
  if (!j.is_object()) return ParserError(j, what, "Object expected.");
  for (const auto& [name, type] : allowed) {
    auto it = j.find(name);
    if (it != j.end() && it->type() != type)
      return ParserError(j, what, fmt::format("Type mismatch for member '{}'.", name));
  }
  std::vector<std::string> unused;
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = std::any_of(allowed.begin(), allowed.end(),
                             [&](const auto& a) { return it.key() == a.first; });
    if (!known) unused.push_back(it.key());
  }
  if (unused.empty()) return std::nullopt;
  return ParserError(j, what, NotAllowedMembers(unused));
}

}  // namespace

Result<std::unique_ptr<Monitor>> Monitor::Create(const Database& db, MonitorVersion v,
                                                 const Json& monitor_requests) {
  auto m = CreateOrError(db, v, monitor_requests);
  if (!m.ok()) return m.error().ToStatus();
  return std::move(m).value();
}

ErrorOr<std::unique_ptr<Monitor>> Monitor::CreateOrError(const Database& db, MonitorVersion v,
                                                         const Json& monitor_requests) {
  if (!monitor_requests.is_object())
    return MonSyntax(monitor_requests, "monitor-requests must be object");
  std::unique_ptr<Monitor> m(new Monitor(db, v));
  m->by_table_.assign(db.n_tables(), -1);
  // Tables in ascending index order so updates come out in a stable order.
  std::vector<std::pair<int, const Json*>> reqs;
  for (auto it = monitor_requests.begin(); it != monitor_requests.end(); ++it) {
    const TableSchema* ts = db.schema().FindTable(it.key());
    if (!ts) return Error(ErrorCode::kSyntaxError, fmt::format("no table named {}", it.key()));
    reqs.emplace_back(ts->index(), &*it);
  }
  std::sort(reqs.begin(), reqs.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [ti, req] : reqs) {
    const TableSchema& ts = db.schema().table(ti);
    m->by_table_[ti] = static_cast<int>(m->tables_.size());
    TableMonitor tm;
    tm.table = &ts;
    tm.initial = tm.insert = tm.del = tm.modify = false;
    m->tables_.push_back(std::move(tm));
    if (req->is_array()) {
      for (const Json& r : *req) {
        auto ok = m->AddRequest(ts, r);
        if (!ok.ok()) return ok.error();
      }
    } else {
      auto ok = m->AddRequest(ts, *req);
      if (!ok.ok()) return ok.error();
    }
    std::sort(m->tables_.back().columns.begin(), m->tables_.back().columns.end());
  }
  return m;
}

ErrorOr<bool> Monitor::AddRequest(const TableSchema& t, const Json& req) {
  // ovsdb-server's order and words: the request's members, then "select",
  // then "columns", then "where".
  TableMonitor& tm = tables_.back();
  const std::string what = "table " + t.name();
  const auto arr = Json::value_t::array, obj = Json::value_t::object;
  MaybeError e = version_ == MonitorVersion::kUpdate
                     ? CheckObject(req, what, {{"columns", arr}, {"select", obj}})
                     : CheckObject(req, what, {{"where", arr}, {"columns", arr}, {"select", obj}});
  if (e) return *e;
  bool initial = true, insert = true, del = true, modify = true;
  auto sel = req.find("select");
  if (sel != req.end()) {
    const auto b = Json::value_t::boolean;
    if (auto se = CheckObject(*sel, what + " select",
                              {{"initial", b}, {"insert", b}, {"delete", b}, {"modify", b}}))
      return *se;
    initial = sel->value("initial", true);
    insert = sel->value("insert", true);
    del = sel->value("delete", true);
    modify = sel->value("modify", true);
  }
  auto add_column = [&](int c, const Json& columns) -> MaybeError {
    if (std::find(tm.columns.begin(), tm.columns.end(), c) != tm.columns.end())
      return MonSyntax(columns, fmt::format("column {} mentioned more than once", t.column(c).name));
    tm.columns.push_back(c);
    return std::nullopt;
  };
  auto cols = req.find("columns");
  if (cols == req.end()) {
    for (int c = TableSchema::kVersionColumn; c < static_cast<int>(t.n_columns()); c++) {
      if (std::find(tm.columns.begin(), tm.columns.end(), c) == tm.columns.end())
        tm.columns.push_back(c);
    }
  } else {
    for (const Json& c : *cols) {
      if (!c.is_string()) return MonSyntax(*cols, "array of column names expected");
      const ColumnSchema* col = t.FindColumn(c.get_ref<const std::string&>());
      if (!col)
        return MonSyntax(*cols, fmt::format("{} is not a valid column name", c.get<std::string>()));
      if (auto ce = add_column(col->index, *cols)) return *ce;
    }
  }
  tm.initial |= initial;
  tm.insert |= insert;
  tm.del |= del;
  tm.modify |= modify;
  auto where = req.find("where");
  if (where != req.end()) {
    auto cond = Condition::FromJson(t, *where, nullptr);
    if (!cond.ok()) return cond.error();
    tm.where = std::move(cond.value());
  }
  return true;
}

Json Monitor::RowJson(const TableMonitor& tm, const Row& row, bool skip_defaults) const {
  return RowToJson(row, *tm.table, &tm.columns, false, skip_defaults);
}

Json Monitor::Initial() const {
  Json out = Json::object();
  for (const TableMonitor& tm : tables_) {
    if (!tm.initial) continue;
    const Table& t = db_.table(tm.table->index());
    Json rows = Json::object();
    for (const auto& [uuid, e] : t.rows()) {
      if (!tm.where.MatchesAny(*e.row)) continue;
      Json u = Json::object();
      if (version_ == MonitorVersion::kUpdate)
        u["new"] = RowJson(tm, *e.row, false);
      else
        u["initial"] = RowJson(tm, *e.row, true);
      rows[uuid.ToString()] = std::move(u);
    }
    if (!rows.empty()) out[tm.table->name()] = std::move(rows);
  }
  return out;
}

std::optional<Json> Monitor::RowUpdate(const TableMonitor& tm, const RowChange& rc) const {
  const bool old_match = rc.old_row && tm.where.MatchesAny(*rc.old_row);
  const bool new_match = rc.new_row && tm.where.MatchesAny(*rc.new_row);
  enum { kNone, kInsert, kDelete, kModify } kind = kNone;
  if (old_match && new_match) kind = kModify;
  else if (new_match) kind = kInsert;
  else if (old_match) kind = kDelete;
  Json u = Json::object();
  const bool v1 = version_ == MonitorVersion::kUpdate;
  switch (kind) {
    case kNone:
      return std::nullopt;
    case kInsert:
      if (!tm.insert) return std::nullopt;
      if (v1) u["new"] = RowJson(tm, *rc.new_row, false);
      else u["insert"] = RowJson(tm, *rc.new_row, true);
      return u;
    case kDelete:
      if (!tm.del) return std::nullopt;
      if (v1) u["old"] = RowJson(tm, *rc.old_row, false);
      else u["delete"] = nullptr;
      return u;
    case kModify: {
      if (!tm.modify) return std::nullopt;
      // Changed user columns that this monitor reports. _version always
      // changes on modification, so it counts when monitored.
      std::vector<int> changed;
      for (int c : tm.columns) {
        if (c == TableSchema::kVersionColumn ||
            std::binary_search(rc.changed.begin(), rc.changed.end(), c))
          changed.push_back(c);
      }
      if (changed.empty()) return std::nullopt;
      if (v1) {
        Json old = Json::object();
        for (int c : changed) {
          const ColumnSchema& col = tm.table->column(c);
          old[col.name] = rc.old_row->fields[c].ToJson(col.type);
        }
        u["old"] = std::move(old);
        u["new"] = RowJson(tm, *rc.new_row, false);
      } else {
        Json diff = Json::object();
        for (int c : changed) {
          const ColumnSchema& col = tm.table->column(c);
          diff[col.name] =
              Datum::Diff(rc.old_row->fields[c], rc.new_row->fields[c], col.type).ToJson(col.type);
        }
        u["modify"] = std::move(diff);
      }
      return u;
    }
  }
  return std::nullopt;
}

std::optional<Json> Monitor::Compose(const ChangeSet& changes) const {
  Json out = Json::object();
  for (const TableChange& tc : changes.tables()) {
    int pos = by_table_[tc.table->index()];
    if (pos < 0) continue;
    const TableMonitor& tm = tables_[pos];
    Json rows = Json::object();
    for (const RowChange& rc : tc.rows) {
      auto u = RowUpdate(tm, rc);
      if (u) rows[rc.uuid.ToString()] = std::move(*u);
    }
    if (!rows.empty()) out[tm.table->name()] = std::move(rows);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

Status Monitor::ChangeConditions(const Json& table_conditions, Json* update) {
  MaybeError e = ChangeConditionsOrError(table_conditions, update);
  return e ? e->ToStatus() : Status();
}

MaybeError Monitor::ChangeConditionsOrError(const Json& table_conditions, Json* update) {
  if (update) *update = nullptr;
  // ovsdb-server's checks and words. Everything is parsed first, so that a
  // bad request changes nothing.
  if (!table_conditions.is_object())
    return Error(ErrorCode::kSyntaxError, "monitor-cond-change-requests must be object");
  std::vector<std::pair<int, Condition>> parsed;
  for (auto it = table_conditions.begin(); it != table_conditions.end(); ++it) {
    const TableSchema* ts = db_.schema().FindTable(it.key());
    if (!ts) return Error(ErrorCode::kSyntaxError, fmt::format("no table named {}", it.key()));
    if (by_table_[ts->index()] < 0)
      return Error(ErrorCode::kSyntaxError,
                   fmt::format("no table named {} in monitor session", it.key()));
    if (!it->is_array())
      return Error(ErrorCode::kSyntaxError,
                   fmt::format("table {} no monitor-cond-change JSON array", it.key()));
    for (const Json& req : *it) {
      const auto arr = Json::value_t::array;
      if (auto ce = CheckObject(req, "table " + ts->name(), {{"columns", arr}, {"where", arr}})) return *ce;
      if (req.contains("columns")) return MonSyntax(req, "changing columns is unsupported");
      auto w = req.find("where");
      if (w == req.end()) continue;  // condition unchanged
      auto cond = Condition::FromJson(*ts, *w, nullptr);
      if (!cond.ok()) return cond.error();
      parsed.emplace_back(ts->index(), std::move(cond.value()));
    }
  }
  Json out = Json::object();
  for (auto& [ti, cond] : parsed) {
    TableMonitor& tm = tables_[by_table_[ti]];
    Json rows = Json::object();
    for (const auto& [uuid, e] : db_.table(ti).rows()) {
      bool was = tm.where.MatchesAny(*e.row);
      bool now = cond.MatchesAny(*e.row);
      if (was == now) continue;
      Json u = Json::object();
      if (now) {
        if (version_ == MonitorVersion::kUpdate) u["new"] = RowJson(tm, *e.row, false);
        else u["insert"] = RowJson(tm, *e.row, true);
      } else {
        if (version_ == MonitorVersion::kUpdate) u["old"] = RowJson(tm, *e.row, false);
        else u["delete"] = nullptr;
      }
      rows[uuid.ToString()] = std::move(u);
    }
    tm.where = std::move(cond);
    if (!rows.empty()) out[tm.table->name()] = std::move(rows);
  }
  if (update && !out.empty()) *update = std::move(out);
  return std::nullopt;
}

}  // namespace vs::ovsdb
