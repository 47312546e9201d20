#include "ovsdb/client/idl.h"

#include <fmt/format.h>

#include "base/log.h"

namespace vs::ovsdb::client {
namespace {

log::Module& kLog = log::GetModule("ovsdb_idl");
constexpr size_t kMaxMessage = 256u << 20;
constexpr size_t kMaxBacklog = 64u << 20;
constexpr std::chrono::milliseconds kMaxBackoff{8000};

// Elements of a set value (or the single atom of the shortcut form).
std::vector<const Json*> SetElements(const Json& v) {
  std::vector<const Json*> out;
  if (v.is_array() && v.size() == 2 && v[0] == "set" && v[1].is_array()) {
    for (const Json& e : v[1]) out.push_back(&e);
  } else if (!v.is_null()) {
    out.push_back(&v);
  }
  return out;
}

const Json* Column(const Json& row, const std::string& column) {
  if (!row.is_object()) return nullptr;
  auto it = row.find(column);
  return it == row.end() ? nullptr : &*it;
}

}  // namespace

Idl::Idl(asio::io_context& io, std::string remote, std::string db, std::vector<TableSpec> spec)
    : io_(io),
      remote_(std::move(remote)),
      db_(std::move(db)),
      spec_(std::move(spec)),
      retry_timer_(io) {}

Idl::~Idl() {
  *alive_ = false;
  if (conn_) conn_->Close("client exiting", true);
}

Status Idl::Start(ChangeHandler on_change) {
  auto r = jsonrpc::ParseRemote(remote_);
  if (!r.ok()) return r.status().Wrap("database remote");
  if (r->passive())
    return Status(EINVAL, fmt::format("database remote \"{}\": a listening remote; expected "
                                      "unix:PATH or tcp:HOST:PORT", remote_));
  parsed_ = *r;
  on_change_ = std::move(on_change);
  Connect();
  return Status::Ok();
}

const IdlTable* Replica::table(const std::string& name) const {
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : &it->second;
}

std::string Idl::StateText() const {
  if (!conn_) {
    return fmt::format("not connected to {}{}", remote_,
                       last_error_.empty() ? "" : " (" + last_error_ + ")");
  }
  return fmt::format("connected to {} ({})", remote_, synced_ ? "synced" : "waiting for contents");
}

void Idl::Connect() {
  std::weak_ptr<bool> alive = alive_;
  if (parsed_.kind == jsonrpc::Remote::Kind::kUnix) {
    unix_sock_ = std::make_unique<asio::local::stream_protocol::socket>(io_);
    asio::local::stream_protocol::endpoint ep(parsed_.path);
    unix_sock_->async_connect(ep, [this, alive](std::error_code ec) {
      if (!alive.lock()) return;
      if (ec) return ScheduleReconnect(ec.message());
      auto native = unix_sock_->release();
      OnConnected(jsonrpc::Connection::Socket(io_, asio::generic::stream_protocol(AF_UNIX, 0),
                                              native));
    });
    return;
  }
  // tcp:HOST:PORT, HOST an address or a name (resolved on each attempt).
  resolver_ = std::make_unique<asio::ip::tcp::resolver>(io_);
  resolver_->async_resolve(
      parsed_.host, std::to_string(parsed_.port),
      [this, alive](std::error_code ec, asio::ip::tcp::resolver::results_type results) {
        if (!alive.lock()) return;
        if (ec || results.empty()) return ScheduleReconnect("cannot resolve " + parsed_.host);
        tcp_sock_ = std::make_unique<asio::ip::tcp::socket>(io_);
        tcp_sock_->async_connect(*results.begin(), [this, alive](std::error_code e) {
          if (!alive.lock()) return;
          if (e) return ScheduleReconnect(e.message());
          auto proto = tcp_sock_->local_endpoint().protocol();
          auto native = tcp_sock_->release();
          OnConnected(jsonrpc::Connection::Socket(
              io_, asio::generic::stream_protocol(proto.family(), proto.protocol()), native));
        });
      });
}

void Idl::ScheduleReconnect(const std::string& why) {
  if (last_error_ != why) VS_LOG_WARN(kLog, "{}: connection failed ({}); retrying", remote_, why);
  last_error_ = why;
  std::weak_ptr<bool> alive = alive_;
  retry_timer_.expires_after(backoff_);
  retry_timer_.async_wait([this, alive](std::error_code ec) {
    if (ec || !alive.lock()) return;
    Connect();
  });
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
}

void Idl::OnConnected(jsonrpc::Connection::Socket sock) {
  VS_LOG_INFO(kLog, "{}: connected", remote_);
  last_error_.clear();
  backoff_ = std::chrono::milliseconds(100);
  synced_ = false;
  conn_ = std::make_shared<jsonrpc::Connection>(std::move(sock), remote_, kMaxMessage, kMaxBacklog);
  std::weak_ptr<bool> alive = alive_;
  conn_->Start([this, alive](jsonrpc::Connection&, Json&& msg) {
                 if (alive.lock()) OnMessage(std::move(msg));
               },
               [this, alive](jsonrpc::Connection&, const std::string& why) {
                 // Not from ~Idl() (which clears *alive_ and then closes): no "reconnecting"
                 // warning, no reconnect timer, on an object being destroyed.
                 if (auto a = alive.lock(); a && *a) OnClosed(why);
               });
  Json requests = Json::object();
  for (const TableSpec& t : spec_) requests[t.table] = {{"columns", t.columns}};
  monitor_id_ = next_id_;
  Call("monitor", Json::array({db_, "numavs", requests}), [this](Result<Json> r) {
    if (!r.ok()) {
      VS_LOG_ERR(kLog, "{}: monitor request failed: {}", remote_, r.status().message());
      if (conn_) conn_->Close("monitor failed", true);
      return;
    }
    tables_.clear();
    for (const TableSpec& t : spec_) tables_[t.table];
    ApplyUpdates(*r, true);
    synced_ = true;
    seqno_++;
    if (on_change_) on_change_();
  });
}

uint64_t Idl::Call(const std::string& method, Json params, TransactDone done) {
  uint64_t id = next_id_++;
  pending_[id] = std::move(done);
  conn_->Send(Json{{"id", id}, {"method", method}, {"params", std::move(params)}});
  return id;
}

void Idl::Transact(Json ops, TransactDone done) {
  if (!conn_ || !synced_) {
    done(Status(ENOTCONN, fmt::format("not connected to the database at {}", remote_)));
    return;
  }
  Json params = Json::array({db_});
  for (Json& op : ops) params.push_back(std::move(op));
  Call("transact", std::move(params), std::move(done));
}

void Idl::OnMessage(Json&& msg) {
  if (!msg.is_object()) return;
  auto method = msg.find("method");
  if (method != msg.end() && method->is_string()) {
    const std::string& m = method->get_ref<const std::string&>();
    Json id = msg.contains("id") ? msg["id"] : Json();
    Json params = msg.contains("params") ? msg["params"] : Json::array();
    if (m == "echo" && !id.is_null()) {
      conn_->Send(Json{{"id", id}, {"result", params}, {"error", nullptr}});
    } else if (m == "update" && params.is_array() && params.size() == 2 && synced_) {
      ApplyUpdates(params[1], false);
      seqno_++;
      if (on_change_) on_change_();
    } else if (!id.is_null()) {
      conn_->Send(Json{{"id", id}, {"result", nullptr}, {"error", "unknown method"}});
    }
    return;
  }
  auto idj = msg.find("id");
  if (idj == msg.end() || !idj->is_number_unsigned()) return;
  auto it = pending_.find(idj->get<uint64_t>());
  if (it == pending_.end()) return;
  TransactDone done = std::move(it->second);
  pending_.erase(it);
  auto err = msg.find("error");
  if (err != msg.end() && !err->is_null()) {
    done(Status(EREMOTEIO, JsonToString(*err)));
    return;
  }
  auto res = msg.find("result");
  done(res == msg.end() ? Json() : std::move(*res));
}

void Idl::OnClosed(const std::string& why) {
  VS_LOG_WARN(kLog, "{}: connection closed ({}); reconnecting", remote_, why);
  conn_.reset();
  synced_ = false;
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, done] : pending)
    done(Status(ECONNRESET, fmt::format("connection to {} closed before the reply", remote_)));
  last_error_ = why;  // logged above
  ScheduleReconnect(why);
}

void Idl::ApplyUpdates(const Json& updates, bool initial) {
  if (!updates.is_object()) return;
  for (auto t = updates.begin(); t != updates.end(); ++t) {
    auto tit = tables_.find(t.key());
    if (tit == tables_.end() || !t->is_object()) continue;
    for (auto r = t->begin(); r != t->end(); ++r) {
      auto uuid = Uuid::Parse(r.key());
      if (!uuid || !r->is_object()) continue;
      auto n = r->find("new");
      if (n != r->end() && n->is_object()) {
        tit->second[*uuid] = *n;
      } else if (!initial) {
        tit->second.erase(*uuid);
      }
    }
  }
}

std::string GetString(const Json& row, const std::string& column, const std::string& fallback) {
  const Json* v = Column(row, column);
  if (!v) return fallback;
  auto el = SetElements(*v);
  return el.size() == 1 && el[0]->is_string() ? el[0]->get<std::string>() : fallback;
}

int64_t GetInteger(const Json& row, const std::string& column, int64_t fallback) {
  const Json* v = Column(row, column);
  if (!v) return fallback;
  auto el = SetElements(*v);
  return el.size() == 1 && el[0]->is_number_integer() ? el[0]->get<int64_t>() : fallback;
}

bool GetBool(const Json& row, const std::string& column, bool fallback) {
  const Json* v = Column(row, column);
  if (!v) return fallback;
  auto el = SetElements(*v);
  return el.size() == 1 && el[0]->is_boolean() ? el[0]->get<bool>() : fallback;
}

std::optional<int64_t> GetOptionalInteger(const Json& row, const std::string& column) {
  const Json* v = Column(row, column);
  if (!v) return std::nullopt;
  auto el = SetElements(*v);
  if (el.size() == 1 && el[0]->is_number_integer()) return el[0]->get<int64_t>();
  return std::nullopt;
}

std::map<std::string, std::string> GetStringMap(const Json& row, const std::string& column) {
  std::map<std::string, std::string> out;
  const Json* v = Column(row, column);
  if (!v || !v->is_array() || v->size() != 2 || (*v)[0] != "map" || !(*v)[1].is_array()) return out;
  for (const Json& p : (*v)[1]) {
    if (p.is_array() && p.size() == 2 && p[0].is_string() && p[1].is_string())
      out[p[0].get<std::string>()] = p[1].get<std::string>();
  }
  return out;
}

std::vector<Uuid> GetUuids(const Json& row, const std::string& column) {
  std::vector<Uuid> out;
  const Json* v = Column(row, column);
  if (!v) return out;
  for (const Json* e : SetElements(*v)) {
    if (e->is_array() && e->size() == 2 && (*e)[0] == "uuid" && (*e)[1].is_string()) {
      if (auto u = Uuid::Parse((*e)[1].get<std::string>())) out.push_back(*u);
    }
  }
  return out;
}

Json MakeStringMap(const std::map<std::string, std::string>& m) {
  Json pairs = Json::array();
  for (const auto& [k, v] : m) pairs.push_back(Json::array({k, v}));
  return Json::array({"map", std::move(pairs)});
}

Json MakeUuid(const Uuid& u) { return Json::array({"uuid", u.ToString()}); }

Json MakeSet(const std::vector<Json>& atoms) { return Json::array({"set", atoms}); }

}  // namespace vs::ovsdb::client
