// The generic database commands of ovs-vsctl (get, list, find, set, add,
// remove, clear, create, destroy) and the command dispatcher.
#include <algorithm>

#include <fmt/format.h>

#include "vsctl/commands.h"

namespace vs::vsctl {

namespace {

Status Err(std::string msg) { return Status(EINVAL, std::move(msg)); }

ColumnType Unbounded(const ColumnType& t) {
  ColumnType u = t;
  u.n_min = 0;
  u.n_max = ColumnType::kUnlimited;
  return u;
}

const Datum& ReadColumn(const Row* row, const Column& col, Datum* scratch) {
  if (col.name == "_uuid") {
    *scratch = Datum::Single(Atom::FromUuid(row->uuid));
    return *scratch;
  }
  return row->Get(col.name);
}

}  // namespace

Status Executor::Run(const Command& cmd, std::string* out) {
  const std::string name = cmd.syntax->name;
  if (name == "init" || name == "comment") return Status::Ok();
  if (name == "show") return Show(out);
  if (name == "add-br") return AddBr(cmd);
  if (name == "del-br") return DelBr(cmd);
  if (name == "list-br") return ListBr(out);
  if (name == "br-exists") {
    if (!FindBridge(cmd.args[0])) exit_code_ = 2;
    return Status::Ok();
  }
  if (name == "list-ports") return ListPorts(cmd, out);
  if (name == "add-port") return AddPort(cmd);
  if (name == "del-port") return DelPort(cmd);
  if (name == "port-to-br") return PortToBr(cmd, out);
  if (name == "list-ifaces") return ListIfaces(cmd, out);
  if (name == "iface-to-br") return IfaceToBr(cmd, out);
  if (name == "get") return Get(cmd, out);
  if (name == "list") return List(cmd, out, false);
  if (name == "find") return List(cmd, out, true);
  if (name == "set") return Set(cmd);
  if (name == "add") return AddRemove(cmd, true);
  if (name == "remove") return AddRemove(cmd, false);
  if (name == "clear") return Clear(cmd);
  if (name == "create") return Create(cmd, out);
  if (name == "destroy") return Destroy(cmd);
  return Err(fmt::format("unknown command '{}'; use --help for help", name));
}

Status Executor::Get(const Command& cmd, std::string* out) {
  auto table = GetTable(cmd.args[0]);
  if (!table.ok()) return table.status();
  bool if_exists = cmd.Has("--if-exists");
  auto row = GetRow(**table, cmd.args[1], !if_exists);
  if (!row.ok()) return row.status();
  if (!*row) return Status::Ok();
  if (cmd.Has("--id")) {
    std::string id = cmd.Option("--id");
    if (id.empty() || id[0] != '@') return Err("--id option requires an argument starting with @");
    if (created_symbols_.count(id)) return Err(fmt::format("row id \"{}\" specified on \"get\" "
                                                           "command was used before it was "
                                                           "defined", id));
    symbols_[id] = (*row)->uuid;
    created_symbols_.insert(id);
  }
  for (size_t i = 2; i < cmd.args.size(); i++) {
    auto arg = ParseColumnArg(cmd.args[i], {""});
    if (!arg.ok()) return arg.status();
    auto col = GetColumn(**table, arg->column);
    if (!col.ok()) return col.status();
    Datum scratch;
    const Datum& d = ReadColumn(*row, **col, &scratch);
    if (!arg->key) {
      *out += DatumToString(d, (*col)->type) + "\n";
      continue;
    }
    if (!(*col)->type.is_map()) {
      return Err(fmt::format("cannot specify key to get for non-map column {}", (*col)->name));
    }
    auto key = AtomFromString(*arg->key, (*col)->type.key, Resolver());
    if (!key.ok()) return key.status();
    int at = d.Find(*key);
    if (at < 0) {
      if (if_exists) {
        *out += "\n";  // ovs-vsctl prints an empty line for a missing key
        continue;
      }
      return Err(fmt::format("no key \"{}\" in {} record \"{}\" column {}", *arg->key,
                             (*table)->name, cmd.args[1], (*col)->name));
    }
    *out += AtomToString(d.values[at]) + "\n";
  }
  return Status::Ok();
}

Result<std::vector<const Column*>> Executor::ListColumns(const Table& table, const Command& cmd) {
  std::vector<const Column*> cols;
  if (!cmd.Has("--columns")) {
    cols.push_back(&Schema::UuidColumn());
    for (const auto& [name, col] : table.columns) cols.push_back(&col);
    return cols;
  }
  std::string spec = cmd.Option("--columns");
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t comma = spec.find(',', pos);
    std::string name = spec.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto col = GetColumn(table, name);
    if (!col.ok()) return col.status();
    cols.push_back(*col);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return cols;
}

static void PrintRecord(const Row* row, const std::vector<const Column*>& cols, std::string* out) {
  for (const Column* col : cols) {
    Datum scratch;
    const Datum& d = ReadColumn(row, *col, &scratch);
    *out += fmt::format("{:<20}: {}\n", col->name, DatumToString(d, col->type));
  }
}

Status Executor::List(const Command& cmd, std::string* out, bool find) {
  auto table = GetTable(cmd.args[0]);
  if (!table.ok()) return table.status();
  auto cols = ListColumns(**table, cmd);
  if (!cols.ok()) return cols.status();
  std::vector<Row*> rows;
  if (find || cmd.args.size() == 1) {
    for (Row* r : db_->Rows((*table)->name)) {
      bool ok = true;
      for (size_t i = 1; find && i < cmd.args.size() && ok; i++) {
        auto m = Matches(r, **table, cmd.args[i]);
        if (!m.ok()) return m.status();
        ok = *m;
      }
      if (ok) rows.push_back(r);
    }
  } else {
    for (size_t i = 1; i < cmd.args.size(); i++) {
      auto r = GetRow(**table, cmd.args[i], !cmd.Has("--if-exists"));
      if (!r.ok()) return r.status();
      if (*r) rows.push_back(*r);
    }
  }
  for (size_t i = 0; i < rows.size(); i++) {
    if (i) *out += "\n";
    PrintRecord(rows[i], *cols, out);
  }
  return Status::Ok();
}

static bool Subset(const Datum& a, const Datum& b) {
  for (size_t i = 0; i < a.size(); i++) {
    int at = b.Find(a.keys[i]);
    if (at < 0 || (!a.values.empty() && !(a.values[i] == b.values[at]))) return false;
  }
  return true;
}

static bool Compare(const Datum& have, const Datum& want, const std::string& op) {
  if (op == "=" || op == "{=}") return have == want;
  if (op == "!=" || op == "{!=}") return !(have == want);
  if (op == "{<}") return Subset(have, want) && !(have == want);
  if (op == "{<=}") return Subset(have, want);
  if (op == "{>}") return Subset(want, have) && !(have == want);
  if (op == "{>=}") return Subset(want, have);
  // <, >, <=, >=: compare single values; false unless both hold exactly one.
  if (have.size() != 1 || want.size() != 1) return false;
  const Atom& a = have.values.empty() ? have.keys[0] : have.values[0];
  const Atom& b = want.values.empty() ? want.keys[0] : want.values[0];
  if (op == "<") return a < b;
  if (op == ">") return a > b;
  if (op == "<=") return a <= b;
  if (op == ">=") return a >= b;
  return false;
}

Result<bool> Executor::Matches(Row* row, const Table& table, const std::string& cond) {
  static const std::vector<std::string> kOps = {"=", "!=", "<", ">", "<=", ">=",
                                                "{=}", "{!=}", "{<}", "{>}", "{<=}", "{>=}"};
  auto arg = ParseColumnArg(cond, kOps);
  if (!arg.ok()) return arg.status();
  auto col = GetColumn(table, arg->column);
  if (!col.ok()) return col.status();
  const ColumnType& type = (*col)->type;
  Datum scratch;
  const Datum& have = ReadColumn(row, **col, &scratch);
  if (arg->key) {
    if (!type.is_map()) {
      return Err(fmt::format("cannot specify key to check for non-map column {}", (*col)->name));
    }
    auto key = AtomFromString(*arg->key, type.key, Resolver());
    if (!key.ok()) return key.status();
    ColumnType vt;
    vt.key = *type.value;
    vt.n_min = 0;
    vt.n_max = ColumnType::kUnlimited;
    auto want = DatumFromString(arg->value, vt, Resolver());
    if (!want.ok()) return want.status();
    int at = have.Find(*key);
    Datum got;
    if (at >= 0) got = Datum::Single(have.values[at]);
    if (at < 0) return arg->op == "!=" || arg->op == "{!=}";
    return Compare(got, *want, arg->op);
  }
  auto want = DatumFromString(arg->value, Unbounded(type), Resolver());
  if (!want.ok()) return want.status();
  return Compare(have, *want, arg->op);
}

Status Executor::SetOne(Row* row, const std::string& text) {
  auto arg = ParseColumnArg(text, {"="});
  if (!arg.ok()) return arg.status();
  auto col = GetColumn(*row->table, arg->column);
  if (!col.ok()) return col.status();
  if ((*col)->name == "_uuid" || (!(*col)->is_mutable && !row->is_new)) {
    return Err(fmt::format("cannot modify read-only column {} in table {}", (*col)->name,
                           row->table->name));
  }
  const ColumnType& type = (*col)->type;
  if (arg->key) {
    if (!type.is_map()) {
      return Err(fmt::format("cannot specify key to set for non-map column {}", (*col)->name));
    }
    auto key = AtomFromString(*arg->key, type.key, Resolver());
    if (!key.ok()) return key.status();
    auto value = AtomFromString(arg->value, *type.value, Resolver());
    if (!value.ok()) return value.status();
    db_->SetMapKey(*row, **col, *key, *value);
    return Status::Ok();
  }
  auto d = DatumFromString(arg->value, type, Resolver());
  if (!d.ok()) return d.status();
  db_->Write(*row, (*col)->name, std::move(*d));
  return Status::Ok();
}

Status Executor::Set(const Command& cmd) {
  auto table = GetTable(cmd.args[0]);
  if (!table.ok()) return table.status();
  auto row = GetRow(**table, cmd.args[1], !cmd.Has("--if-exists"));
  if (!row.ok()) return row.status();
  if (!*row) return Status::Ok();
  for (size_t i = 2; i < cmd.args.size(); i++) VS_RETURN_IF_ERROR(SetOne(*row, cmd.args[i]));
  return Status::Ok();
}

Status Executor::AddRemove(const Command& cmd, bool add) {
  auto table = GetTable(cmd.args[0]);
  if (!table.ok()) return table.status();
  auto row = GetRow(**table, cmd.args[1], !cmd.Has("--if-exists"));
  if (!row.ok()) return row.status();
  if (!*row) return Status::Ok();
  auto col = GetColumn(**table, cmd.args[2]);
  if (!col.ok()) return col.status();
  if ((*col)->name == "_uuid") {
    return Err(fmt::format("cannot modify read-only column _uuid in table {}", (*table)->name));
  }
  const ColumnType& type = (*col)->type;
  db_->Verify(**row, (*col)->name);
  Datum d = (*row)->Get((*col)->name);
  for (size_t i = 3; i < cmd.args.size(); i++) {
    auto more = DatumFromString(cmd.args[i], Unbounded(type), Resolver());
    if (!add && !more.ok() && type.is_map()) {
      // "remove" on a map also takes bare keys.
      ColumnType keys = Unbounded(type);
      keys.value.reset();
      more = DatumFromString(cmd.args[i], keys, Resolver());
    }
    if (!more.ok()) return more.status();
    for (size_t k = 0; k < more->size(); k++) {
      int at = d.Find(more->keys[k]);
      if (add) {
        if (at >= 0) continue;  // existing keys keep their value
        d.keys.push_back(more->keys[k]);
        if (type.is_map()) d.values.push_back(more->values[k]);
        d.Normalize();
      } else if (at >= 0 && (more->values.empty() || d.values[at] == more->values[k])) {
        d.keys.erase(d.keys.begin() + at);
        if (type.is_map()) d.values.erase(d.values.begin() + at);
      }
    }
  }
  const char* what = type.is_map() ? "key-value pairs" : "values";
  int64_t n = static_cast<int64_t>(d.size());
  if (add && n > type.n_max) {
    return Err(fmt::format("\"add\" operation would put {} {} in column {} of table {} but the "
                           "maximum number is {}", n, what, (*col)->name, (*table)->name,
                           type.n_max));
  }
  if (!add && n < type.n_min) {
    return Err(fmt::format("\"remove\" operation would put {} {} in column {} of table {} but "
                           "the minimum number is {}", n, what, (*col)->name, (*table)->name,
                           type.n_min));
  }
  db_->Write(**row, (*col)->name, std::move(d));
  return Status::Ok();
}

Status Executor::Clear(const Command& cmd) {
  auto table = GetTable(cmd.args[0]);
  if (!table.ok()) return table.status();
  auto row = GetRow(**table, cmd.args[1], !cmd.Has("--if-exists"));
  if (!row.ok()) return row.status();
  if (!*row) return Status::Ok();
  for (size_t i = 2; i < cmd.args.size(); i++) {
    auto col = GetColumn(**table, cmd.args[i]);
    if (!col.ok()) return col.status();
    if ((*col)->name == "_uuid" || (*col)->type.n_min > 0) {
      return Err(fmt::format("\"clear\" operation cannot be applied to column {} of table {}, "
                             "which is not allowed to be empty", (*col)->name, (*table)->name));
    }
    db_->Write(**row, (*col)->name, Datum());
  }
  return Status::Ok();
}

Status Executor::Create(const Command& cmd, std::string* out) {
  auto table = GetTable(cmd.args[0]);
  if (!table.ok()) return table.status();
  std::string id = cmd.Option("--id");
  if (cmd.Has("--id") && (id.empty() || id[0] != '@')) {
    return Err("--id option requires an argument starting with @");
  }
  if (!id.empty() && created_symbols_.count(id)) {
    return Err(fmt::format("row id \"{}\" may only be specified on one --id option", id));
  }
  if (id.empty() && !(*table)->is_root) {
    warnings_.push_back(fmt::format("applying \"create\" command to table {} without --id "
                                    "option will have no effect", (*table)->name));
  }
  Row& row = db_->Insert(**table);
  if (!id.empty()) {
    auto it = symbols_.find(id);
    if (it != symbols_.end()) {
      // A forward reference already chose the UUID: adopt it.
      Row& adopted = db_->Insert(**table, it->second);
      db_->Delete(row);
      created_symbols_.insert(id);
      for (size_t i = 1; i < cmd.args.size(); i++) VS_RETURN_IF_ERROR(SetOne(&adopted, cmd.args[i]));
      *out += adopted.uuid.ToString() + "\n";
      return Status::Ok();
    }
    symbols_[id] = row.uuid;
    created_symbols_.insert(id);
  }
  for (size_t i = 1; i < cmd.args.size(); i++) VS_RETURN_IF_ERROR(SetOne(&row, cmd.args[i]));
  *out += row.uuid.ToString() + "\n";
  return Status::Ok();
}

Status Executor::Destroy(const Command& cmd) {
  auto table = GetTable(cmd.args[0]);
  if (!table.ok()) return table.status();
  if (cmd.Has("--all")) {
    if (cmd.args.size() > 1) return Err("--all and records argument should not be specified together");
    for (Row* r : db_->Rows((*table)->name)) db_->Delete(*r);
    return Status::Ok();
  }
  if (cmd.args.size() == 1) return Err("either --all or records argument should be specified");
  for (size_t i = 1; i < cmd.args.size(); i++) {
    auto row = GetRow(**table, cmd.args[i], !cmd.Has("--if-exists"));
    if (!row.ok()) return row.status();
    if (*row) db_->Delete(**row);
  }
  return Status::Ok();
}

}  // namespace vs::vsctl
