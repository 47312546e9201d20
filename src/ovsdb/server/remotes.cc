// DbServer's remotes: the listeners named on the command line, by
// ovsdb-server/add-remote, and by "db:DB,TABLE,COLUMN" remotes that follow a
// column of a served database (Open_vSwitch.manager_options: what
// `ovs-vsctl set-manager` writes).
#include <fmt/format.h>

#include "base/log.h"
#include "jsonrpc/remote.h"
#include "ovsdb/server/server_internal.h"

namespace vs::ovsdb::server {
namespace {

log::Module& kLog = log::GetModule("ovsdb_server");

bool StartsWith(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// A target this server can serve: a listening remote. Errors: those of
// jsonrpc::ParseRemote, EINVAL for an active remote.
Status CheckServable(const std::string& t) {
  auto r = jsonrpc::ParseRemote(t);
  if (!r.ok()) return r.status();
  if (!r->passive())
    return Status(EINVAL, fmt::format("\"{}\": numavs-db serves passive remotes only (punix:PATH, "
                                      "ptcp:PORT[:IP]); it does not connect out",
                                      t));
  return Status::Ok();
}

}  // namespace

Status DbServer::OpenListener(const std::string& target) {
  auto l = jsonrpc::Listener::Create(io_, target, [this](jsonrpc::Connection::Socket sock,
                                                         std::string peer) {
    Accept(std::move(sock), std::move(peer));
  });
  if (!l.ok()) return l.status();
  VS_LOG_INFO(kLog, "listening on {}{}", target,
              (*l)->bound_port() ? fmt::format(" (port {})", (*l)->bound_port()) : "");
  listeners_[target] = std::move(*l);
  return Status::Ok();
}

Result<std::set<std::string>> DbServer::DbRemoteTargets(const std::string& spec) const {
  std::string rest = spec.substr(3);
  size_t c1 = rest.find(','), c2 = c1 == std::string::npos ? c1 : rest.find(',', c1 + 1);
  if (c2 == std::string::npos)
    return Status(EINVAL, fmt::format("\"{}\": expected db:DATABASE,TABLE,COLUMN", spec));
  std::string db_name = rest.substr(0, c1), table = rest.substr(c1 + 1, c2 - c1 - 1),
              column = rest.substr(c2 + 1);
  const Db* d = nullptr;
  for (const auto& x : dbs_)
    if (x->name == db_name) d = x.get();
  if (!d) return Status(EINVAL, fmt::format("\"{}\": no database named {}", spec, db_name));
  const Table* t = d->db->FindTable(table);
  if (!t) return Status(EINVAL, fmt::format("\"{}\": no table named {}", spec, table));
  const ColumnSchema* col = t->schema().FindColumn(column);
  if (!col)
    return Status(EINVAL, fmt::format("\"{}\": table \"{}\" has no column \"{}\"", spec, table,
                                      column));
  const BaseType& key = col->type.key;
  const Table* ref = nullptr;
  const ColumnSchema* target = nullptr;
  if (key.is_ref()) {
    ref = d->db->FindTable(key.ref_table);
    target = ref ? ref->schema().FindColumn("target") : nullptr;
    if (!target || target->type.key.type != AtomicType::kString)
      return Status(EINVAL, fmt::format("\"{}\": table \"{}\" has no string column \"target\"", spec,
                                        key.ref_table));
  } else if (key.type != AtomicType::kString) {
    return Status(EINVAL, fmt::format("\"{}\": column \"{}\" holds neither strings nor references "
                                      "to rows with a \"target\"", spec, column));
  }
  std::set<std::string> out;
  for (const auto& [uuid, entry] : t->rows()) {
    for (const Atom& a : entry.row->fields[col->index].keys()) {
      if (!ref) {
        out.insert(std::get<std::string>(a));
        continue;
      }
      const Row* r = ref->Find(std::get<Uuid>(a));
      if (!r) continue;
      for (const Atom& ta : r->fields[target->index].keys()) out.insert(std::get<std::string>(ta));
    }
  }
  return out;
}

Status DbServer::AddRemote(const std::string& remote) {
  if (remotes_.count(remote)) return Status::Ok();
  if (StartsWith(remote, "db:")) {
    VS_RETURN_IF_ERROR(DbRemoteTargets(remote).status());
    remotes_.insert(remote);
    db_remotes_ = true;
    RefreshRemotes();
    return Status::Ok();
  }
  VS_RETURN_IF_ERROR(CheckServable(remote));
  if (!listeners_.count(remote)) VS_RETURN_IF_ERROR(OpenListener(remote));
  remotes_.insert(remote);
  return Status::Ok();
}

Status DbServer::RemoveRemote(const std::string& remote) {
  if (!remotes_.erase(remote)) return Status(ENOENT, "no such remote");
  db_remotes_ = false;
  for (const std::string& r : remotes_) db_remotes_ |= StartsWith(r, "db:");
  RefreshRemotes();
  return Status::Ok();
}

void DbServer::RefreshRemotes() {
  std::set<std::string> wanted;
  for (const std::string& r : remotes_) {
    if (!StartsWith(r, "db:")) {
      wanted.insert(r);
      continue;
    }
    auto targets = DbRemoteTargets(r);
    if (targets.ok()) wanted.insert(targets->begin(), targets->end());
  }
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    VS_LOG_INFO(kLog, "{}: remote deconfigured", it->first);
    it = listeners_.erase(it);
  }
  for (auto it = remote_errors_.begin(); it != remote_errors_.end();)
    it = wanted.count(it->first) ? std::next(it) : remote_errors_.erase(it);
  for (const std::string& t : wanted) {
    if (listeners_.count(t)) continue;
    Status s = CheckServable(t);
    if (s.ok()) s = OpenListener(t);
    if (s.ok()) {
      remote_errors_.erase(t);
    } else if (remote_errors_[t] != s.message()) {
      VS_LOG_WARN(kLog, "{}", s.message());
      remote_errors_[t] = s.message();
    }
  }
}

}  // namespace vs::ovsdb::server
