#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "base/log.h"
#include "ovsdb/server/server_internal.h"

namespace vs::ovsdb::server {

extern const char* const kServerSchema;  // server_schema.cc, from schema/_Server.ovsschema

namespace {
log::Module& kLog = log::GetModule("ovsdb_server");
log::RateLimit rl_conn(20, 50);

}  // namespace

Status CreateDatabaseFile(const std::string& db_path, const std::string& schema_path) {
  auto schema = DatabaseSchema::FromFile(schema_path);
  if (!schema.ok()) return schema.status();
  return storage::Log::Create(db_path, (*schema)->ToJson());
}

Result<LoadedDb> LoadDatabase(const std::string& path, bool direct_io) {
  if (::access(path.c_str(), F_OK) != 0)
    return Status::FromErrno(errno, fmt::format("{}: could not open database file", path));
  auto lock = storage::DbLock::Acquire(path);
  if (!lock.ok()) return lock.status();
  // A compaction killed before its rename leaves PATH.tmp: never the
  // database (the rename is what replaces it), so it goes.
  std::string stale = path + ".tmp";
  if (::unlink(stale.c_str()) == 0) {
    VS_LOG_INFO(kLog, "{}: removed {}, left by a compaction that did not finish", path, stale);
  }
  std::vector<Json> records;
  auto log = storage::Log::Open(path, &records, direct_io);
  if (!log.ok()) return log.status();
  if (!(*log)->recovery_note().empty()) VS_LOG_WARN(kLog, "{}", (*log)->recovery_note());
  auto schema = DatabaseSchema::FromJson(records[0]);
  if (!schema.ok()) return schema.status().Wrap(path + ": schema record");
  auto db = Database::Create(*schema);
  if (!db.ok()) return db.status().Wrap(path);
  size_t applied = 1;
  for (; applied < records.size(); applied++) {
    Status s = (*db)->ApplyLogRecord(records[applied]);
    if (!s.ok()) {
      VS_LOG_ERR(kLog, "{}: record {} cannot be applied ({}); the database is loaded up to the "
                 "record before it, and the file will be rewritten from that state (the old file "
                 "is kept as {}.corrupt-replay)",
                 path, applied, s.message(), path);
      break;
    }
  }
  LoadedDb out{path, *schema, std::move(*db), std::move(*log), std::move(*lock)};
  if (applied < records.size()) {
    std::string keep = path + ".corrupt-replay";
    if (::link(path.c_str(), keep.c_str()) != 0 && errno != EEXIST) {
      return Status::FromErrno(errno, fmt::format("{}: could not keep a copy as {}", path, keep));
    }
    Status s = out.log->Compact(out.schema->ToJson(), out.db->SnapshotRecord());
    if (!s.ok()) return s;
  }
  VS_LOG_INFO(kLog, "{}: loaded database {} ({} records, {} bytes)", path, out.schema->name(),
              records.size(), out.log->size());
  return out;
}

Result<std::unique_ptr<DbServer>> DbServer::Create(asio::io_context& io, std::vector<LoadedDb> dbs,
                                                   ServerOptions options) {
  auto srv = std::unique_ptr<DbServer>(new DbServer(io, options));
  VS_RETURN_IF_ERROR(srv->InitServerDb());
  for (LoadedDb& l : dbs) {
    if (srv->FindDb(l.schema->name())) {
      return Status(EEXIST, fmt::format("{}: database {} is already served", l.path, l.schema->name()));
    }
    auto d = std::make_unique<Db>();
    d->name = l.schema->name();
    d->schema = l.schema;
    d->db = std::move(l.db);
    d->log = std::move(l.log);
    d->lock = std::move(l.lock);
    if (options.ack_before_sync && d->log && d->log->direct()) {
      return Status(EINVAL, fmt::format("{}: acknowledging commits before their sync needs the log "
                                        "opened without direct writes", l.path));
    }
    srv->dbs_.push_back(std::move(d));
  }
  // One _Server.Database row per database, _Server's own first.
  Json ops = Json::array();
  for (auto& d : srv->dbs_) {
    ops.push_back({{"op", "insert"},
                   {"table", "Database"},
                   {"row",
                    {{"name", d->name},
                     {"model", "standalone"},
                     {"connected", true},
                     {"leader", true},
                     {"schema", JsonToString(d->schema->ToJson())}}}});
  }
  TransactOutcome o = srv->dbs_[0]->db->Transact(ops);
  for (const Json& r : o.result) {
    if (r.is_object() && r.contains("error")) {
      return Status(EINVAL, fmt::format("_Server database: {}", JsonToString(r)));
    }
  }
  return srv;
}

DbServer::DbServer(asio::io_context& io, ServerOptions o) : io_(io), options_(o) {
  syncer_ = std::make_unique<Syncer>(io_, [this](uint64_t seq, const Status& st) { OnSynced(seq, st); });
}

Status DbServer::InitServerDb() {
  auto schema = DatabaseSchema::FromJson(Json::parse(kServerSchema));
  if (!schema.ok()) return schema.status().Wrap("_Server schema");
  auto db = Database::Create(*schema);
  if (!db.ok()) return db.status();
  auto d = std::make_unique<Db>();
  d->name = "_Server";
  d->schema = *schema;
  d->db = std::move(*db);
  dbs_.push_back(std::move(d));
  return Status::Ok();
}

DbServer::~DbServer() {
  FlushNow();
  for (auto& [id, s] : sessions_) s->conn->Close("server exiting", true);
}

DbServer::Db* DbServer::FindDb(const std::string& name) {
  for (auto& d : dbs_) {
    if (d->name == name) return d.get();
  }
  return nullptr;
}

void DbServer::Accept(jsonrpc::Connection::Socket sock, std::string peer) {
  auto s = std::make_shared<Session>();
  s->conn = std::make_shared<jsonrpc::Connection>(std::move(sock), peer, options_.max_message,
                                                  options_.max_backlog);
  s->id = s->conn->id();
  sessions_[s->id] = s;
  VS_LOG_DBG(kLog, "{}: connection {} accepted", peer, s->id);
  Session* raw = s.get();
  s->conn->Start([this, raw](jsonrpc::Connection&, Json&& msg) { OnMessage(*raw, std::move(msg)); },
                 [this, raw](jsonrpc::Connection&, const std::string& why) { OnClose(*raw, why); });
}

void DbServer::OnClose(Session& s, const std::string& why) {
  if (why != "connection closed by peer") {
    VS_LOG_INFO_RL(kLog, rl_conn, "{}: closing connection {}: {}", s.conn->peer(), s.id, why);
  }
  ReleaseLocks(s);
  uint64_t id = s.id;
  // Defer the erase: we are inside the connection's own callback.
  asio::post(io_, [this, id] { sessions_.erase(id); });
}

void DbServer::SendToSession(Session& s, std::string text, Ack ack) {
  bool durable = ack == Ack::kDurable;
  if (ack != Ack::kNone && commit_seq_ > (durable ? durable_seq_ : written_seq_)) {
    held_.push_back(Held{s.conn, s.id, std::move(text), commit_seq_, durable});
    s.held++;
    s.last_held_seq = commit_seq_;
    s.last_held_durable = durable;
    if (durable) {
      durable_wanted_seq_ = commit_seq_;
      // With ack_before_sync the commits may all be written already, with
      // their sync not yet due: start it now (the flush finds no new commit).
      if (options_.ack_before_sync) ScheduleFlush();
    }
  } else if (s.held > 0) {
    held_.push_back(Held{s.conn, s.id, std::move(text), s.last_held_seq, s.last_held_durable});
    s.held++;
  } else {
    s.conn->SendRaw(std::move(text));
  }
}

void DbServer::Reply(Session& s, const Json& id, Json result) {
  SendToSession(s, JsonToString(Json{{"id", id}, {"result", std::move(result)}, {"error", nullptr}}));
}

void DbServer::ReplyRaw(Session& s, const Json& id, const std::string& result_text) {
  std::string text = "{\"id\":";
  text += JsonToString(id);
  text += ",\"result\":";
  text += result_text;
  text += ",\"error\":null}";
  SendToSession(s, std::move(text));
}

void DbServer::ReplyError(Session& s, const Json& id, Json error) {
  SendToSession(s, JsonToString(Json{{"id", id}, {"result", nullptr}, {"error", std::move(error)}}));
}

void DbServer::Notify(Session& s, const std::string& method, Json params) {
  SendToSession(s, JsonToString(Json{{"id", nullptr}, {"method", method}, {"params", std::move(params)}}));
}

void DbServer::OnMessage(Session& s, Json&& msg) {
  messages_++;
  if (!msg.is_object()) {
    s.conn->Close("received a JSON value that is not a JSON-RPC message", true);
    return;
  }
  // Anything that is not a well-formed request, notification or reply is a
  // protocol error: like ovsdb-server, drop the connection (other clients are
  // unaffected).
  auto mit = msg.find("method");
  Json id = msg.contains("id") ? msg["id"] : Json();
  if (mit == msg.end()) {
    if (!id.is_null() && (msg.contains("result") || msg.contains("error")))
      return;  // a reply (to our echo): nothing to do
    s.conn->Close("received a message that is not a JSON-RPC request, reply or notification",
                  true);
    return;
  }
  if (!mit->is_string()) {
    s.conn->Close("received a JSON-RPC request whose \"method\" is not a string", true);
    return;
  }
  const std::string method = mit->get<std::string>();
  auto pit = msg.find("params");
  if (pit == msg.end() || !pit->is_array()) {
    s.conn->Close(fmt::format("received a \"{}\" request whose \"params\" is not an array",
                              method.substr(0, 64)),
                  true);
    return;
  }
  Json params = std::move(*pit);
  if (id.is_null()) {
    // Notifications from clients carry nothing we must act on.
    return;
  }
  stats_.transactions += method == "transact";
  try {
    if (method == "transact") {
      HandleTransact(s, id, std::move(params));
    } else if (method == "monitor" || method == "monitor_cond" || method == "monitor_cond_since") {
      HandleMonitor(s, id, method, params);
    } else if (method == "monitor_cond_change") {
      HandleMonitorCondChange(s, id, params);
    } else if (method == "monitor_cancel") {
      HandleMonitorCancel(s, id, params);
    } else if (method == "get_schema") {
      HandleGetSchema(s, id, params);
    } else if (method == "echo") {
      Reply(s, id, params);
    } else if (method == "list_dbs") {
      // Sorted: ovsdb-server lists them in its hash order, which for
      // Open_vSwitch and _Server is this one (ovsdb_rpc_differential compares it).
      std::vector<std::string> names;
      for (auto& d : dbs_) names.push_back(d->name);
      std::sort(names.begin(), names.end());
      Reply(s, id, Json(names));
    } else if (method == "lock" || method == "steal" || method == "unlock") {
      HandleLock(s, id, method, params);
    } else if (method == "set_db_change_aware") {
      if (params.size() != 1 || !params[0].is_boolean()) {
        ReplyError(s, id, {{"error", "syntax error"},
                           {"details", "set_db_change_aware: true or false parameter expected"},
                           {"syntax", JsonToString(params)}});
      } else {
        s.db_change_aware = params[0].get<bool>();
        Reply(s, id, Json::object());
      }
    } else if (method == "get_server_id") {
      Reply(s, id, server_id_.ToString());
    } else {
      ReplyError(s, id, "unknown method");
    }
  } catch (const std::exception& e) {
    // Defence in depth: the handlers validate their input, but a library
    // exception must never take the server down with it.
    static log::RateLimit rl(10, 20);
    VS_LOG_WARN_RL(kLog, rl, "{}: {} request failed: {}", s.conn->peer(), method, e.what());
    ReplyError(s, id, {{"error", "syntax error"}, {"details", e.what()}});
  }
}

void DbServer::RunTransaction(Session* s, const Json& id, Db& db, const Json& ops, bool may_block,
                              std::shared_ptr<Blocked> blocked) {
  TransactOptions opts;
  opts.wait_may_block = may_block;
  if (blocked) {
    opts.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - blocked->start)
                          .count();
  }
  opts.owns_lock = [this, s](const std::string& name) { return s && OwnsLock(*s, name); };
  if (&db == dbs_[0].get()) opts.reserved_db = db.name;  // _Server: read-only to clients
  TransactOutcome o = db.db->Transact(ops, opts);
  if (o.blocked && may_block) {
    if (!blocked) {
      blocked = std::make_shared<Blocked>();
      blocked->session_id = s->id;
      blocked->id = id;
      blocked->db = &db;
      blocked->ops = ops;
      blocked->start = std::chrono::steady_clock::now();
      blocked->timer = std::make_unique<asio::steady_timer>(io_);
      blocked->timer->expires_after(std::chrono::milliseconds(std::max<int64_t>(o.block_timeout_ms, 0)));
      std::weak_ptr<Blocked> weak = blocked;
      blocked->timer->async_wait([this, weak](std::error_code ec) {
        auto b = weak.lock();
        if (ec || !b || b->done) return;
        b->done = true;
        auto it = sessions_.find(b->session_id);
        if (it != sessions_.end()) RunTransaction(it->second.get(), b->id, *b->db, b->ops, false, nullptr);
        std::erase(blocked_, b);
      });
      blocked_.push_back(blocked);
    }
    return;
  }
  if (blocked) {
    blocked->done = true;
    blocked->timer->cancel();
  }
  if (o.changes) Committed(db, o);
  if (s) {
    SendToSession(*s, JsonToString(Json{{"id", id}, {"result", std::move(o.result)}, {"error", nullptr}}),
                  AckFor(o));
    if (o.changes && db.log && !held_.empty() && held_.back().session_id == s->id) {
      held_.back().commit_db = &db;  // the reply is held: commit_seq_ is not yet durable
      held_.back().commit_seq = commit_seq_;
    }
  }
}

DbServer::Ack DbServer::AckFor(const TransactOutcome& o) const {
  // The acknowledgement of a commit (or of a "commit" op asking for
  // durability) waits for the disk, or with ack_before_sync for the write
  // unless durability was asked for; other replies wait for nothing.
  if (o.durable) return Ack::kDurable;
  if (!o.changes) return Ack::kNone;
  return options_.ack_before_sync ? Ack::kWritten : Ack::kDurable;
}

void DbServer::Committed(Db& db, const TransactOutcome& o) {
  stats_.commits++;
  db.last_txn_id = o.changes->txn_id();
  if (db.log) {
    db.log->Append(o.changes->ToLogJson());
    commit_seq_++;
    db.unwritten.push_back(Db::Unwritten{commit_seq_, db.log->appended(), o.changes});
    ScheduleFlush();
  }
  NotifyMonitors(db, *o.changes);
  if (!blocked_.empty()) {
    asio::post(io_, [this, dbp = &db] { RetryBlocked(*dbp); });
  }
  if (db_remotes_) RefreshRemotes();
}

void DbServer::NotifyMonitors(Db& db, const ChangeSet& changes) {
  for (auto& [sid, sess] : sessions_) {
    for (auto& [key, m] : sess->monitors) {
      if (m.db != &db) continue;
      std::optional<Json> upd = m.monitor->Compose(changes);
      if (!upd) continue;
      switch (m.version) {
        case MonitorVersion::kUpdate:
          Notify(*sess, "update", Json::array({m.monid, std::move(*upd)}));
          break;
        case MonitorVersion::kUpdate2:
          Notify(*sess, "update2", Json::array({m.monid, std::move(*upd)}));
          break;
        case MonitorVersion::kUpdate3:
          Notify(*sess, "update3", Json::array({m.monid, db.last_txn_id.ToString(), std::move(*upd)}));
          break;
      }
    }
  }
}

void DbServer::RetryBlocked(Db& db) {
  auto list = blocked_;
  for (auto& b : list) {
    if (b->done || b->db != &db) continue;
    auto it = sessions_.find(b->session_id);
    if (it == sessions_.end()) {
      b->done = true;
      b->timer->cancel();
      continue;
    }
    RunTransaction(it->second.get(), b->id, db, b->ops, true, b);
  }
  std::erase_if(blocked_, [](const std::shared_ptr<Blocked>& b) { return b->done; });
}

void DbServer::ScheduleFlush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  // Runs once the handlers that are ready now (the requests of this poll
  // round) have run: one write and one sync for all their commits.
  asio::post(io_, [this] { Flush(); });
}

void DbServer::Flush() {
  // Group commit: the write waits while the loop still finds requests to
  // serve. Each hop re-posts Flush behind what is queued, which lets the
  // reactor poll the sockets once more and the requests it finds run first;
  // two hops in a row without a new message, or kFlushMaxHops in all, and
  // the write goes. A write on the loop (Syncer) blocks it for ~35 us: done
  // when the loop has nothing else to do, the clients whose replies went out
  // meanwhile use the CPU, and the group is larger. Measured with
  // bench/ovsdb/latency.py (8 clients x 8,000 transactions, 8 interleaved
  // runs, medians): 20,123 txn/s with no hop (10 % of the machine idle,
  // 1.65 commits per write), 21,715 with 2 hops at most, 23,016 with 4
  // (6 % idle, 2.2 commits per write); ovsdb-server 22,771. An idle loop
  // pays two hops, a few microseconds.
  constexpr int kFlushMaxHops = 8, kFlushQuietHops = 2;
  if (flush_hops_ < kFlushMaxHops) {
    flush_quiet_ = messages_ == flush_mark_ ? flush_quiet_ + 1 : 0;
    flush_mark_ = messages_;
    if (flush_quiet_ < kFlushQuietHops) {
      flush_hops_++;
      asio::post(io_, [this] { Flush(); });
      return;
    }
  }
  flush_hops_ = flush_quiet_ = 0;
  flush_scheduled_ = false;
  if (!DirectLogs()) {  // direct logs write and sync in one request (StartSync)
    WriteLogs();
    if (options_.ack_before_sync) ReleaseHeld();  // the acknowledgements that wait only for the write
  }
  StartSync();
}

bool DbServer::DirectLogs() const {
  return std::all_of(dbs_.begin(), dbs_.end(), [](auto& d) { return !d->log || d->log->direct(); });
}

void DbServer::WriteLogs() {
  for (auto& d : dbs_) {
    if (!d->log || !d->log->has_pending()) continue;
    Status st = d->log->Write();
    if (!st.ok()) return WriteFailed(st);
  }
  written_seq_ = commit_seq_;
}

void DbServer::StartSync() {
  if (DirectLogs()) {
    // One direct write per log at a time: the next one rewrites the block
    // where this one ends, so it must not race it. Later commits wait in the
    // logs' buffers and go together when this one completes (OnSynced).
    if (commit_seq_ <= sync_started_seq_ || syncer_->busy()) return;
    stats_.flushes++;
    std::vector<storage::Log*> logs;
    for (auto& d : dbs_)
      if (d->log) logs.push_back(d->log.get());
    written_seq_ = sync_started_seq_ = commit_seq_;
    syncer_->StartDirect(commit_seq_, logs);
    return;
  }
  if (written_seq_ <= sync_started_seq_ || syncer_->full()) return;
  if (options_.ack_before_sync && durable_wanted_seq_ <= sync_started_seq_) {
    // Nobody waits for this sync: it starts background_sync_after after the
    // first write it will cover (or with a durable commit, if one comes
    // first) and covers every write until then.
    auto now = std::chrono::steady_clock::now();
    if (!background_timer_armed_) {
      background_timer_armed_ = true;
      background_due_ = now + options_.background_sync_after;
      background_timer_.expires_at(background_due_);
      background_timer_.async_wait([this](std::error_code ec) {
        if (!ec) StartSync();
      });
      return;
    }
    if (now < background_due_) return;
  }
  if (syncer_->busy()) {
    // While a sync runs, later commits wait for it to finish and then go
    // together in the next one: on an idle disk a sync takes 0.1-0.3 ms, and
    // a second one started at once costs CPU (the kernel's writeback of the
    // page, a flush request, wake-ups) and cannot finish earlier, since its
    // flush queues behind the running one. Measured with bench/ovsdb (8
    // clients x 500, 5 runs interleaved, a steady background load): 12,208
    // txn/s (median) with one sync at a time, 10,495 with two at once,
    // ovsdb-server 11,806. When the disk is slow (other processes writing:
    // flushes of several ms) overlapping pays instead — the next group's
    // data write and flush request are queued when the running flush
    // completes — so a second sync starts once the running one has taken
    // kOverlapAfter.
    constexpr auto kOverlapAfter = std::chrono::milliseconds(1);
    auto due = syncer_->last_start() + kOverlapAfter;
    if (std::chrono::steady_clock::now() < due) {
      if (!overlap_timer_armed_) {
        overlap_timer_armed_ = true;
        overlap_timer_.expires_at(due);
        overlap_timer_.async_wait([this](std::error_code ec) {
          if (ec) return;
          overlap_timer_armed_ = false;
          StartSync();
        });
      }
      return;
    }
  }
  stats_.flushes++;
  if (background_timer_armed_) {  // this sync covers what it was armed for
    background_timer_armed_ = false;
    background_timer_.cancel();
  }
  std::vector<const storage::Log*> logs;
  for (auto& d : dbs_)
    if (d->log) logs.push_back(d->log.get());
  sync_started_seq_ = written_seq_;
  syncer_->Start(written_seq_, logs);
}

void DbServer::OnSynced(uint64_t seq, const Status& st) {
  if (!st.ok()) {
    // A direct write was cut off (its file holds every earlier record); an
    // fdatasync failure leaves the page cache in doubt.
    if (!DirectLogs()) ExitNotDurable(st);
    WriteFailed(st);
    return;
  }
  if (seq > durable_seq_) {  // else FlushNow() got there first
    durable_seq_ = seq;
    ForgetDurable();
    ReleaseHeld();
  }
  StartSync();  // what was written while the Syncer was full
  if (durable_seq_ == commit_seq_ && !syncer_->busy()) {
    for (auto& d : dbs_) MaybeCompact(*d);
  }
}

void DbServer::ExitNotDurable(const Status& st) {
  VS_LOG_ERR(kLog, "{}; exiting: commits that are in memory could not be made durable, and "
             "the file still holds every commit that was acknowledged", st.message());
  std::_Exit(1);
}

void DbServer::WriteFailed(const Status& st) {
  size_t undone = 0;
  for (auto& d : dbs_) {
    if (d->log) undone += RollBackUnwritten(*d).size();
  }
  static log::RateLimit rl(5, 10);
  VS_LOG_WARN_RL(kLog, rl, "{}: {} commit(s) that could not be written were rolled back and their "
                 "clients got an I/O error; reads, monitors and new commits are served (if the file "
                 "system is full, commits fail until space is freed)", st.message(), undone);
  // Every commit left is in its file: with direct writes, durable; else
  // written, and the next sync makes it durable.
  written_seq_ = commit_seq_;
  if (DirectLogs()) durable_seq_ = sync_started_seq_ = commit_seq_;
  ReleaseHeld();  // (without direct writes the caller starts the sync)
}

std::set<uint64_t> DbServer::RollBackUnwritten(Db& db) {
  std::set<uint64_t> seqs;
  for (const auto& u : db.unwritten) {
    if (u.record > db.log->records()) seqs.insert(u.seq);
  }
  db.log->DropPending();
  if (seqs.empty()) return seqs;
  const std::string details = "the commit could not be written to the database file (the file system "
                              "may be full); nothing of this transaction was applied";
  for (Held& h : held_) {
    if (h.commit_db != &db || !seqs.count(h.commit_seq)) continue;
    h.commit_db = nullptr;
    Json reply = Json::parse(h.text, nullptr, false);
    if (reply.is_discarded() || !reply.contains("result") || !reply["result"].is_array()) continue;
    reply["result"].push_back(Json{{"error", "I/O error"}, {"details", details}});
    h.text = JsonToString(reply);
  }
  // Newest first: each undo restores the rows as they were before that commit.
  while (!db.unwritten.empty() && seqs.count(db.unwritten.back().seq)) {
    const ChangeSet& cs = *db.unwritten.back().changes;
    Json undo = Json::object();
    for (const auto& tc : cs.tables()) {
      Json rows = Json::object();
      for (const auto& rc : tc.rows) {
        rows[rc.uuid.ToString()] = rc.inserted() ? Json(nullptr)
                                   : rc.deleted() ? RowToJson(*rc.old_row, *tc.table, nullptr)
                                                  : RowToJson(*rc.old_row, *tc.table, &rc.changed);
      }
      undo[tc.table->name()] = std::move(rows);
    }
    undo["_date"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count();
    std::shared_ptr<const ChangeSet> undone;
    Status st = db.db->ApplyLogRecord(undo, &undone);
    if (!st.ok()) ExitNotDurable(st.Wrap("rolling back a commit that could not be written"));
    db.unwritten.pop_back();
    if (!undone) continue;
    db.last_txn_id = undone->txn_id();
    NotifyMonitors(db, *undone);
  }
  if (db_remotes_) RefreshRemotes();
  return seqs;
}

void DbServer::ForgetDurable() {
  for (auto& d : dbs_) {
    while (!d->unwritten.empty() && d->unwritten.front().seq <= durable_seq_) d->unwritten.pop_front();
  }
}

void DbServer::ReleaseHeld() {
  while (!held_.empty() && held_.front().seq <= (held_.front().durable ? durable_seq_ : written_seq_)) {
    Held& h = held_.front();
    if (auto c = h.conn.lock()) c->SendRaw(std::move(h.text));
    auto it = sessions_.find(h.session_id);
    if (it != sessions_.end() && it->second->held > 0) it->second->held--;
    held_.pop_front();
  }
}

void DbServer::FlushNow() {
  if (syncer_) {
    Status st = syncer_->WaitIdle();
    if (!st.ok() && !DirectLogs()) ExitNotDurable(st);
    if (!st.ok()) WriteFailed(st);
  }
  if (commit_seq_ > durable_seq_) {
    WriteLogs();
    for (auto& d : dbs_) {
      if (!d->log) continue;
      Status st = d->log->direct() ? Status::Ok() : d->log->DataSync();  // direct: Write() was durable
      if (!st.ok()) ExitNotDurable(st);
    }
    stats_.flushes++;
    durable_seq_ = sync_started_seq_ = commit_seq_;
    ForgetDurable();
  }
  ReleaseHeld();
}

void DbServer::MaybeCompact(Db& db) {
  if (!db.log) return;
  uint64_t size = db.log->size();
  if (size < options_.compact_min_bytes || size < 4 * db.log->size_after_compact()) return;
  Status s = db.log->Compact(db.schema->ToJson(), db.db->SnapshotRecord());
  if (s.ok()) {
    VS_LOG_INFO(kLog, "{}: compacted {} bytes to {}", db.log->path(), size, db.log->size());
  } else {
    static log::RateLimit rl(2, 2);
    VS_LOG_WARN_RL(kLog, rl, "{}", s.message());
  }
}

Status DbServer::Compact(const std::string& name) {
  bool found = false;
  FlushNow();
  for (auto& d : dbs_) {
    if (!d->log || (!name.empty() && d->name != name)) continue;
    found = true;
    uint64_t before = d->log->size();
    VS_RETURN_IF_ERROR(d->log->Compact(d->schema->ToJson(), d->db->SnapshotRecord()));
    VS_LOG_INFO(kLog, "{}: compacted {} bytes to {}", d->log->path(), before, d->log->size());
  }
  if (!found) return Status(ENOENT, fmt::format("no database named {}", name));
  return Status::Ok();
}

DbServer::Stats DbServer::stats() const {
  Stats st = stats_;
  st.sessions = sessions_.size();
  for (auto& [id, s] : sessions_) st.monitors += s->monitors.size();
  st.locks = locks_.size();
  st.blocked = blocked_.size();
  return st;
}

void DbServer::RegisterCommands(ctl::UnixctlServer& ctl) {
  ctl.Register("ovsdb-server/compact", "[DB]...", 0, 100,
               [this](const std::vector<std::string>& args) -> Result<std::string> {
                 if (args.empty()) {
                   VS_RETURN_IF_ERROR(Compact(""));
                 }
                 for (auto& a : args) VS_RETURN_IF_ERROR(Compact(a));
                 return std::string();
               });
  ctl.Register("ovsdb-server/list-dbs", "", 0, 0,
               [this](const std::vector<std::string>&) -> Result<std::string> {
                 std::string out;
                 for (auto& d : dbs_) out += d->name + "\n";
                 return out;
               });
  ctl.Register("ovsdb-server/list-remotes", "", 0, 0,
               [this](const std::vector<std::string>&) -> Result<std::string> {
                 std::string out;
                 for (const std::string& r : remotes_) out += r + "\n";
                 return out;
               });
  ctl.Register("ovsdb-server/add-remote", "REMOTE", 1, 1,
               [this](const std::vector<std::string>& a) -> Result<std::string> {
                 VS_RETURN_IF_ERROR(AddRemote(a[0]));
                 return std::string();
               });
  ctl.Register("ovsdb-server/remove-remote", "REMOTE", 1, 1,
               [this](const std::vector<std::string>& a) -> Result<std::string> {
                 VS_RETURN_IF_ERROR(RemoveRemote(a[0]));
                 return std::string();
               });
  ctl.Register("memory/show", "", 0, 0, [this](const std::vector<std::string>&) -> Result<std::string> {
    Stats st = stats();
    std::string out = fmt::format("sessions:{} monitors:{} locks:{} blocked-transactions:{}\n",
                                  st.sessions, st.monitors, st.locks, st.blocked);
    out += fmt::format("transactions:{} commits:{} flushes:{}\n", st.transactions, st.commits, st.flushes);
    const Syncer::Stats& ss = syncer_->stats();
    out += fmt::format("syncs:{} on-loop:{} background:{} avg-us:{:.1f} max-us:{:.1f}{}\n", ss.jobs,
                       ss.inline_writes, ss.background,
                       ss.jobs ? static_cast<double>(ss.total_ns) / static_cast<double>(ss.jobs) / 1e3 : 0.0,
                       static_cast<double>(ss.max_ns) / 1e3,
                       DirectLogs() ? std::string(syncer_->background() ? " (direct writes, in the background)"
                                                                         : " (direct writes, on the loop)")
                                    : options_.ack_before_sync
                                          ? fmt::format(" (write, acknowledged; fdatasync in the background "
                                                        "within {} ms)", options_.background_sync_after.count())
                                          : std::string(" (write + fdatasync)"));
    for (auto& d : dbs_) {
      if (!d->log) continue;
      out += fmt::format("{}: file {} ({} bytes, {} records)\n", d->name, d->log->path(),
                         d->log->size(), d->log->records());
    }
    return out;
  });
}

}  // namespace vs::ovsdb::server
