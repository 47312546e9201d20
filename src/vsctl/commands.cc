#include "vsctl/commands.h"

#include <algorithm>
#include <cctype>
#include <strings.h>

#include <fmt/format.h>

namespace vs::vsctl {

namespace {

// How ovs-vsctl finds a record of a table by a name: rows of `name_table`
// whose `name_column` equals the name, then (if set) the row referenced by
// their `uuid_column`.
struct RowIdRule {
  const char* table;
  const char* name_table;
  const char* name_column;
  const char* uuid_column;
};

constexpr RowIdRule kRowIds[] = {
    {"Bridge", "Bridge", "name", nullptr},
    {"Port", "Port", "name", nullptr},
    {"Interface", "Interface", "name", nullptr},
    {"Controller", "Bridge", "name", "controller"},
    {"Manager", "Manager", "target", nullptr},
    {"Mirror", "Mirror", "name", nullptr},
    {"NetFlow", "Bridge", "name", "netflow"},
    {"sFlow", "Bridge", "name", "sflow"},
    {"IPFIX", "Bridge", "name", "ipfix"},
    {"QoS", "Port", "name", "qos"},
    {"SSL", "Open_vSwitch", nullptr, "ssl"},
    {"Flow_Table", "Flow_Table", "name", nullptr},
    {"AutoAttach", "Bridge", "name", "auto_attach"},
    {"Datapath", "Datapath", "name", nullptr},
};

Status Err(std::string msg) { return Status(EINVAL, std::move(msg)); }

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); i++) out += (i ? sep : "") + v[i];
  return out;
}

}  // namespace

Result<ColumnArg> ParseColumnArg(const std::string& arg, const std::vector<std::string>& ops) {
  ColumnArg out;
  std::string_view p = arg;
  auto col = ParseToken(&p);
  if (!col.ok()) return col.status();
  if (col->empty()) return Err(fmt::format("{}: missing column name", arg));
  out.column = *col;
  if (!p.empty() && p[0] == ':') {
    p.remove_prefix(1);
    auto key = ParseToken(&p);
    if (!key.ok()) return key.status();
    out.key = *key;
  }
  if (p.empty()) {
    if (std::find(ops.begin(), ops.end(), "") != ops.end()) return out;
    return Err(fmt::format("{}: argument does not end in \"=\" followed by a value.", arg));
  }
  size_t best = 0;
  for (const auto& op : ops) {
    if (!op.empty() && p.substr(0, op.size()) == op && op.size() > best) {
      best = op.size();
      out.op = op;
    }
  }
  if (!best) {
    if (ops.size() == 1 && ops[0].empty()) {
      return Err(fmt::format("{}: trailing garbage \"{}\" in argument", arg, p));
    }
    return Err(fmt::format("{}: argument does not end in \"=\" followed by a value.", arg));
  }
  out.value = std::string(p.substr(best));
  return out;
}

// ---- switch view -------------------------------------------------------------

Row* Executor::OvsRow() {
  auto rows = db_->Rows("Open_vSwitch");
  return rows.empty() ? nullptr : rows.front();
}

std::vector<Row*> Executor::RefRows(Row* row, const std::string& column, const std::string& table) {
  std::vector<Row*> out;
  if (!row || !row->table->Find(column)) return out;
  db_->Verify(*row, column);
  for (const Atom& a : row->Get(column).keys) {
    if (Row* r = db_->Find(table, a.u)) out.push_back(r);
  }
  return out;
}

std::vector<Row*> Executor::Bridges() { return RefRows(OvsRow(), "bridges", "Bridge"); }

static std::string NameOf(const Row* row) {
  const Datum& d = row->Get("name");
  return d.empty() ? std::string() : d.keys[0].s;
}

Row* Executor::FindBridge(const std::string& name) {
  for (Row* br : Bridges()) {
    if (NameOf(br) == name) return br;
  }
  return nullptr;
}

Row* Executor::FindPort(const std::string& name, Row** bridge) {
  for (Row* br : Bridges()) {
    for (Row* port : RefRows(br, "ports", "Port")) {
      if (NameOf(port) == name) {
        if (bridge) *bridge = br;
        return port;
      }
    }
  }
  return nullptr;
}

Row* Executor::FindIface(const std::string& name, Row** bridge) {
  for (Row* br : Bridges()) {
    for (Row* port : RefRows(br, "ports", "Port")) {
      for (Row* iface : RefRows(port, "interfaces", "Interface")) {
        if (NameOf(iface) == name) {
          if (bridge) *bridge = br;
          return iface;
        }
      }
    }
  }
  return nullptr;
}

Status Executor::CheckConflicts(const std::string& name, const std::string& msg) {
  if (FindBridge(name)) {
    return Err(fmt::format("{} because a bridge named {} already exists", msg, name));
  }
  Row* br = nullptr;
  if (FindPort(name, &br)) {
    return Err(fmt::format("{} because a port named {} already exists on bridge {}", msg, name,
                           NameOf(br)));
  }
  if (FindIface(name, &br)) {
    return Err(fmt::format("{} because an interface named {} already exists on bridge {}", msg,
                           name, NameOf(br)));
  }
  return Status::Ok();
}

void Executor::RemoveRef(Row* row, const std::string& column, const Uuid& target) {
  db_->Verify(*row, column);
  Datum d = row->Get(column);
  int at = d.Find(Atom::FromUuid(target));
  if (at < 0) return;
  d.keys.erase(d.keys.begin() + at);
  if (!d.values.empty()) d.values.erase(d.values.begin() + at);
  db_->Write(*row, column, std::move(d));
}

void Executor::AddRef(Row* row, const std::string& column, const Uuid& target) {
  db_->Verify(*row, column);
  Datum d = row->Get(column);
  d.keys.push_back(Atom::FromUuid(target));
  d.Normalize();
  db_->Write(*row, column, std::move(d));
}

void Executor::DeletePortRows(Row* port) {
  for (Row* iface : RefRows(port, "interfaces", "Interface")) db_->Delete(*iface);
  db_->Delete(*port);
}

static Row& NewNamedRow(Replica* db, const std::string& table, const std::string& name) {
  Row& row = db->Insert(*db->schema().Find(table));
  db->Write(row, "name", Datum::Single(Atom::String(name)));
  return row;
}

Status Executor::AddBr(const Command& cmd) {
  const std::string& name = cmd.args[0];
  if (cmd.args.size() != 1) {
    return Err("numavs-vsctl does not support fake (VLAN) bridges; use add-br BRIDGE");
  }
  if (cmd.Has("--may-exist") && FindBridge(name)) return Status::Ok();
  VS_RETURN_IF_ERROR(CheckConflicts(name, fmt::format("cannot create a bridge named {}", name)));
  Row* ovs = OvsRow();
  if (!ovs) return Err("database has no Open_vSwitch row");
  Row& iface = NewNamedRow(db_, "Interface", name);
  db_->Write(iface, "type", Datum::Single(Atom::String("internal")));
  Row& port = NewNamedRow(db_, "Port", name);
  db_->Write(port, "interfaces", Datum::Single(Atom::FromUuid(iface.uuid)));
  Row& br = NewNamedRow(db_, "Bridge", name);
  db_->Write(br, "ports", Datum::Single(Atom::FromUuid(port.uuid)));
  AddRef(ovs, "bridges", br.uuid);
  return Status::Ok();
}

Status Executor::DelBr(const Command& cmd) {
  Row* br = FindBridge(cmd.args[0]);
  if (!br) {
    if (cmd.Has("--if-exists")) return Status::Ok();
    return Err(fmt::format("no bridge named {}", cmd.args[0]));
  }
  for (Row* port : RefRows(br, "ports", "Port")) DeletePortRows(port);
  RemoveRef(OvsRow(), "bridges", br->uuid);
  db_->Delete(*br);
  return Status::Ok();
}

Status Executor::ListBr(std::string* out) {
  std::vector<std::string> names;
  for (Row* br : Bridges()) names.push_back(NameOf(br));
  std::sort(names.begin(), names.end());
  for (const auto& n : names) *out += n + "\n";
  return Status::Ok();
}

Status Executor::ListPorts(const Command& cmd, std::string* out) {
  Row* br = FindBridge(cmd.args[0]);
  if (!br) return Err(fmt::format("no bridge named {}", cmd.args[0]));
  std::vector<std::string> names;
  for (Row* port : RefRows(br, "ports", "Port")) {
    if (NameOf(port) != cmd.args[0]) names.push_back(NameOf(port));
  }
  std::sort(names.begin(), names.end());
  for (const auto& n : names) *out += n + "\n";
  return Status::Ok();
}

Status Executor::ListIfaces(const Command& cmd, std::string* out) {
  Row* br = FindBridge(cmd.args[0]);
  if (!br) return Err(fmt::format("no bridge named {}", cmd.args[0]));
  std::vector<std::string> names;
  for (Row* port : RefRows(br, "ports", "Port")) {
    for (Row* iface : RefRows(port, "interfaces", "Interface")) {
      if (NameOf(iface) != cmd.args[0]) names.push_back(NameOf(iface));
    }
  }
  std::sort(names.begin(), names.end());
  for (const auto& n : names) *out += n + "\n";
  return Status::Ok();
}

Status Executor::PortToBr(const Command& cmd, std::string* out) {
  Row* br = nullptr;
  if (!FindPort(cmd.args[0], &br)) return Err(fmt::format("no port named {}", cmd.args[0]));
  *out += NameOf(br) + "\n";
  return Status::Ok();
}

Status Executor::IfaceToBr(const Command& cmd, std::string* out) {
  Row* br = nullptr;
  if (!FindIface(cmd.args[0], &br)) return Err(fmt::format("no interface named {}", cmd.args[0]));
  *out += NameOf(br) + "\n";
  return Status::Ok();
}

Status Executor::AddPort(const Command& cmd) {
  const std::string& br_name = cmd.args[0];
  const std::string& port_name = cmd.args[1];
  if (cmd.Has("--may-exist")) {
    Row* owner = nullptr;
    if (FindPort(port_name, &owner)) {
      if (NameOf(owner) != br_name) {
        return Err(fmt::format("\"--may-exist add-port {} {}\" but {} is actually attached to "
                               "bridge {}", br_name, port_name, port_name, NameOf(owner)));
      }
      return Status::Ok();
    }
  }
  Row* br = FindBridge(br_name);
  if (!br) return Err(fmt::format("no bridge named {}", br_name));
  VS_RETURN_IF_ERROR(CheckConflicts(port_name, fmt::format("cannot create a port named {}",
                                                           port_name)));
  Row& iface = NewNamedRow(db_, "Interface", port_name);
  Row& port = NewNamedRow(db_, "Port", port_name);
  db_->Write(port, "interfaces", Datum::Single(Atom::FromUuid(iface.uuid)));
  for (size_t i = 2; i < cmd.args.size(); i++) VS_RETURN_IF_ERROR(SetOne(&port, cmd.args[i]));
  AddRef(br, "ports", port.uuid);
  return Status::Ok();
}

Status Executor::DelPort(const Command& cmd) {
  const std::string& name = cmd.args.back();
  Row* owner = nullptr;
  Row* port = FindPort(name, &owner);
  if (!port && cmd.Has("--with-iface")) {
    if (FindIface(name, &owner)) {
      for (Row* p : RefRows(owner, "ports", "Port")) {
        for (Row* i : RefRows(p, "interfaces", "Interface")) {
          if (NameOf(i) == name) port = p;
        }
      }
    }
  }
  if (!port) {
    if (cmd.Has("--if-exists")) return Status::Ok();
    return Err(fmt::format("no port named {}", name));
  }
  if (cmd.args.size() == 2) {
    Row* br = FindBridge(cmd.args[0]);
    if (!br) return Err(fmt::format("no bridge named {}", cmd.args[0]));
    if (br != owner) return Err(fmt::format("bridge {} does not have a port {}", cmd.args[0], name));
  }
  if (NameOf(port) == NameOf(owner)) {
    return Err(fmt::format("cannot delete port {} because it is the local port for bridge {} "
                           "(deleting this port requires deleting the entire bridge)",
                           NameOf(port), NameOf(owner)));
  }
  RemoveRef(owner, "ports", port->uuid);
  DeletePortRows(port);
  return Status::Ok();
}

// ---- show ----------------------------------------------------------------------

namespace {
struct ShowTable {
  const char* table;
  const char* name_column;  // nullptr: print the UUID
  std::vector<const char*> columns;
};

const std::vector<ShowTable>& ShowTables() {
  static const std::vector<ShowTable> kTables = {
      {"Open_vSwitch", nullptr, {"manager_options", "bridges", "ovs_version"}},
      {"Bridge", "name", {"controller", "fail_mode", "datapath_type", "ports"}},
      {"Port", "name", {"tag", "trunks", "interfaces"}},
      {"Interface", "name", {"type", "options", "error", "bfd_status"}},
      {"Controller", "target", {"is_connected"}},
      {"Manager", "target", {"is_connected"}},
  };
  return kTables;
}

const ShowTable* FindShowTable(const std::string& name) {
  for (const auto& t : ShowTables()) {
    if (name == t.table) return &t;
  }
  return nullptr;
}
}  // namespace

void Executor::ShowRow(Row* row, int level, std::set<std::string>* shown, std::string* out) {
  const ShowTable* show = FindShowTable(row->table->name);
  out->append(level * 4, ' ');
  const Column* name_col = show && show->name_column ? row->table->Find(show->name_column) : nullptr;
  if (name_col) {
    *out += row->table->name + " " + DatumToString(row->Get(name_col->name), name_col->type);
  } else {
    *out += row->uuid.ToString();
  }
  *out += "\n";
  if (!show || shown->count(show->table)) return;
  shown->insert(show->table);
  for (const char* cname : show->columns) {
    const Column* col = row->table->Find(cname);
    if (!col) continue;
    const Datum& d = row->Get(cname);
    if (col->type.key.type == AtomicType::kUuid && !col->type.key.ref_table.empty() &&
        FindShowTable(col->type.key.ref_table)) {
      for (const Atom& a : d.keys) {
        if (Row* ref = db_->Find(col->type.key.ref_table, a.u)) ShowRow(ref, level + 1, shown, out);
      }
      continue;
    }
    if (d == Datum::Default(col->type)) continue;
    out->append((level + 1) * 4, ' ');
    *out += fmt::format("{}: {}\n", cname, DatumToString(d, col->type));
  }
  shown->erase(show->table);
}

Status Executor::Show(std::string* out) {
  std::set<std::string> shown;
  for (Row* row : db_->Rows("Open_vSwitch")) ShowRow(row, 0, &shown, out);
  return Status::Ok();
}

// ---- lookup helpers ------------------------------------------------------------

static bool CaseEqual(const std::string& a, const std::string& b) {
  return a.size() == b.size() && strncasecmp(a.c_str(), b.c_str(), a.size()) == 0;
}
static bool CasePrefix(const std::string& prefix, const std::string& s) {
  return prefix.size() <= s.size() && strncasecmp(prefix.c_str(), s.c_str(), prefix.size()) == 0;
}

Result<const Table*> Executor::GetTable(const std::string& name) {
  const Table* exact = nullptr;
  std::vector<const Table*> prefix;
  for (const auto& [tname, table] : db_->schema().tables()) {
    if (CaseEqual(name, tname)) exact = &table;
    if (CasePrefix(name, tname)) prefix.push_back(&table);
  }
  if (exact) return exact;
  if (prefix.size() == 1) return prefix[0];
  if (prefix.size() > 1) return Err(fmt::format("multiple table names match \"{}\"", name));
  return Err(fmt::format("unknown table \"{}\"", name));
}

Result<const Column*> Executor::GetColumn(const Table& table, const std::string& name) {
  if (CaseEqual(name, "_uuid")) return &Schema::UuidColumn();
  const Column* exact = nullptr;
  std::vector<std::string> matches;
  const Column* last = nullptr;
  for (const auto& [cname, col] : table.columns) {
    if (CaseEqual(name, cname)) exact = &col;
    if (CasePrefix(name, cname)) {
      matches.push_back(cname);
      last = &col;
    }
  }
  if (exact) return exact;
  if (matches.size() == 1) return last;
  if (matches.empty()) {
    return Err(fmt::format("{} does not contain a column whose name matches \"{}\"", table.name,
                           name));
  }
  return Err(fmt::format("{} contains more than one column whose name matches \"{}\": {}",
                         table.name, name, Join(matches, ", ")));
}

Result<Row*> Executor::GetRow(const Table& table, const std::string& id, bool must_exist) {
  Row* found = nullptr;
  if (auto u = Uuid::Parse(id)) found = db_->Find(table.name, *u);
  if (!found && !id.empty() && id[0] == '@' && symbols_.count(id)) {
    found = db_->Find(table.name, symbols_.at(id));
  }
  for (const auto& rule : kRowIds) {
    if (found || table.name != rule.table) continue;
    std::vector<Row*> candidates;
    if (!rule.name_column) {
      if (id == ".") candidates = db_->Rows(rule.name_table);
    } else {
      for (Row* r : db_->Rows(rule.name_table)) {
        const Datum& d = r->Get(rule.name_column);
        if (d.size() == 1 && d.keys[0].type == AtomicType::kString && d.keys[0].s == id) {
          candidates.push_back(r);
        }
      }
    }
    if (candidates.size() > 1) {
      return Err(fmt::format("multiple rows in {} match \"{}\"", rule.name_table, id));
    }
    if (candidates.size() == 1) {
      Row* r = candidates[0];
      if (rule.uuid_column) {
        const Datum& ref = r->Get(rule.uuid_column);
        r = ref.size() == 1 ? db_->Find(table.name, ref.keys[0].u) : nullptr;
      }
      found = r;
    }
  }
  if (!found && id == ".") {
    auto rows = db_->Rows(table.name);
    if (rows.size() == 1) found = rows[0];
  }
  if (!found && id.size() >= 4 && id.size() < 36 &&
      std::all_of(id.begin(), id.end(), [](char c) { return std::isxdigit((unsigned char)c) || c == '-'; })) {
    std::vector<Row*> hits;
    for (Row* r : db_->Rows(table.name)) {
      if (r->uuid.ToString().rfind(id, 0) == 0) hits.push_back(r);
    }
    if (hits.size() > 1) return Err(fmt::format("multiple rows in {} match \"{}\"", table.name, id));
    if (hits.size() == 1) found = hits[0];
  }
  if (!found && must_exist) return Err(fmt::format("no row \"{}\" in table {}", id, table.name));
  return found;
}

SymbolResolver Executor::Resolver() {
  return [this](const std::string& name) -> Result<Uuid> {
    auto it = symbols_.find(name);
    if (it != symbols_.end()) return it->second;
    Uuid u = Uuid::Random();  // forward reference, bound by a later --id=@name create
    symbols_[name] = u;
    return u;
  };
}

Status Executor::CheckSymbols() const {
  for (const auto& [name, uuid] : symbols_) {
    if (!created_symbols_.count(name)) {
      return Err(fmt::format("row id \"{}\" is referenced but never created (e.g. with \"-- "
                             "--id={} create ...\")", name, name));
    }
  }
  return Status::Ok();
}

std::vector<std::string> Executor::NewInterfaceNames() const {
  std::vector<std::string> names;
  for (const Row* r : db_->NewRows("Interface")) names.push_back(NameOf(r));
  return names;
}

}  // namespace vs::vsctl
