// numavs-db's protocol engine: RFC 7047 JSON-RPC sessions over the databases.
//
// DbServer owns the served databases (each an ovsdb::Database plus its
// storage::Log), the built-in `_Server` database that OVS clients monitor
// first (one Database row per served database, schema included as text), the
// listeners, and one Session per connection (its monitors and locks).
//
// Methods: list_dbs, get_schema, transact, monitor, monitor_cond,
// monitor_cond_since, monitor_cond_change, monitor_cancel, lock, steal,
// unlock, echo, set_db_change_aware, get_server_id. Anything else gets the
// error string "unknown method", which the OVS clients match on.
//
// Commit path and durability (pipelined group commit): a transaction that
// changed the database is applied in memory, gets the next commit sequence
// number and its log record is appended to the log buffer. Its reply — the
// acknowledgement — is held, tagged with that sequence number, until the
// commit is on disk; so is every later message to the same session (replies
// and notifications keep their order per session). Messages to other
// sessions (monitor updates, replies to reads) go out at once, as from
// ovsdb-server: they may show a commit before it is durable, but no commit is
// acknowledged before it is.
// A flush posted behind the requests of the current poll round waits while
// the loop still finds requests (Flush()), then makes the buffered records of
// every log durable: one direct write(RWF_DSYNC) per log (storage/log.h,
// "Direct writes"), on this thread while they are fast and as AIO requests
// while slow (Syncer::StartDirect), one group at a time; or, where direct
// I/O is refused, one write and one fdatasync (kernel AIO) for all of them,
// a second sync starting only when the running one is slow (StartSync()).
// When a group is durable,
// held messages up to its sequence number go out and a sync starts for
// whatever was written meanwhile. A reply therefore never acknowledges a
// commit that is not on disk. If a write fails (a full file system: ENOSPC,
// EDQUOT, or any other error of a write the log cuts off again) the file
// keeps exactly the commits written before it, and the server rolls back in
// memory every commit that is not in the file (RollBackUnwritten(): newest
// first, each undone by a transaction that restores the old rows, whose
// monitor updates go to every monitor as for any commit), answers their
// transactions with an "I/O error" naming the cause, and goes on serving
// reads, monitors and new commits, which succeed again once space is freed.
// If an fdatasync of written records fails (EIO: the page cache can no
// longer be trusted) the server logs the cause and exits (the log on disk
// still holds every acknowledged commit).
// With ServerOptions::ack_before_sync (numavs-db --ack-before-sync, the
// durability of ovsdb-server's default) a reply waits only until its commit
// is written to the file, unless the transaction asked for a durable commit;
// the written commits are synced in the background (StartSync()).
//
// Threading: everything runs on the io_context's one thread; the kernel runs
// the AIO requests (see syncer.h for why no thread of our own).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <asio.hpp>

#include "base/json.h"
#include "base/status.h"
#include "base/uuid.h"
#include "ctl/unixctl.h"
#include "jsonrpc/connection.h"
#include "ovsdb/database.h"
#include "ovsdb/monitor.h"
#include "ovsdb/schema.h"
#include "ovsdb/server/syncer.h"
#include "ovsdb/storage/lockfile.h"
#include "ovsdb/storage/log.h"

namespace vs::ovsdb::server {

struct ServerOptions {
  size_t max_message = 128u << 20;   // a larger message closes its connection
  size_t max_backlog = 256u << 20;   // output queued for a client that does not read
  // Compact automatically once the log is this big and 4x its size after the
  // last compaction.
  uint64_t compact_min_bytes = 16u << 20;
  // Acknowledge a commit once its record is written to the file (the
  // kernel's page cache), as ovsdb-server does by default, instead of once
  // it is durable. Written commits are made durable in the background,
  // `background_sync_after` after the first of them; a "commit" operation
  // with "durable": true still waits for its sync. numavs-db being killed
  // loses nothing acknowledged; the machine crashing may lose what was
  // acknowledged in the last `background_sync_after`. Needs logs opened
  // without direct writes (LoadDatabase(path, false)): a direct write is
  // itself the sync.
  bool ack_before_sync = false;
  std::chrono::milliseconds background_sync_after{10};
};

// One database file loaded into memory (done before the io_context exists,
// so that --detach can fork after loading).
struct LoadedDb {
  std::string path;
  std::shared_ptr<const DatabaseSchema> schema;
  std::unique_ptr<Database> db;
  std::unique_ptr<storage::Log> log;
  std::unique_ptr<storage::DbLock> lock;  // held while the file is served
};

// Locks (storage::DbLock, before anything reads or repairs the file), opens
// and replays a database file. Recovery of a damaged tail is reported with a
// WARN naming the byte offset. Errors: those of DbLock::Acquire (another
// server holds the file), of storage::Log::Open and of a schema that does
// not parse.
Result<LoadedDb> LoadDatabase(const std::string& path, bool direct_io = true);

// Creates a new database file from a schema file (numavs-db create).
// Errors: EEXIST, ENOENT, EINVAL (bad schema) with the file names.
Status CreateDatabaseFile(const std::string& db_path, const std::string& schema_path);

class DbServer {
 public:
  static Result<std::unique_ptr<DbServer>> Create(asio::io_context& io, std::vector<LoadedDb> dbs,
                                                  ServerOptions options = {});
  ~DbServer();

  // Adds a remote (remotes.cc): "punix:PATH" or "ptcp:PORT[:IP]", listened
  // on at once, or "db:DB,TABLE,COLUMN", as ovsdb-server's: the targets held
  // in that column (strings, or references to rows with a "target" column,
  // as Open_vSwitch.manager_options refers to Manager rows) are listened on
  // and followed as the column changes; a target that cannot be served is a
  // WARN (once per target and error). Errors: EINVAL (syntax, an active
  // tcp:/unix: remote, unknown database/table/column), errno of bind; an
  // error adds nothing.
  Status AddRemote(const std::string& remote);
  // Errors: ENOENT "no such remote".
  Status RemoveRemote(const std::string& remote);
  // Registers ovsdb-server/* commands (compact, list-dbs, list-remotes,
  // memory/show...) on the control socket.
  void RegisterCommands(ctl::UnixctlServer& ctl);
  // Compacts one database (empty name: all). Errors: ENOENT, errno of I/O.
  Status Compact(const std::string& db_name);
  // Flushes pending commits (used at exit).
  void FlushNow();

  struct Stats {
    size_t sessions = 0, monitors = 0, locks = 0, blocked = 0;
    uint64_t transactions = 0, commits = 0, flushes = 0;
  };
  Stats stats() const;

 private:
  struct Db;
  struct Session;
  struct Blocked;
  struct Held {
    std::weak_ptr<jsonrpc::Connection> conn;
    uint64_t session_id;
    std::string text;
    uint64_t seq;  // sent once commits up to this one are durable
    bool durable;  // (false: once they are written; ServerOptions::ack_before_sync)
    // The reply to a transaction that committed `commit_seq` to `commit_db`
    // (null: another message): turned into an error if that commit is rolled
    // back.
    Db* commit_db = nullptr;
    uint64_t commit_seq = 0;
  };
  // What a message sent to a session waits for.
  enum class Ack {
    kNone,     // nothing (only for earlier held messages of its session)
    kWritten,  // every commit so far written to its file
    kDurable,  // every commit so far durable
  };

  DbServer(asio::io_context& io, ServerOptions o);
  Status InitServerDb();
  void Accept(jsonrpc::Connection::Socket sock, std::string peer);
  void OnMessage(Session& s, Json&& msg);
  void OnClose(Session& s, const std::string& why);
  void Reply(Session& s, const Json& id, Json result);
  void ReplyError(Session& s, const Json& id, Json error);
  // A reply whose result is already serialised JSON text.
  void ReplyRaw(Session& s, const Json& id, const std::string& result_text);
  void Notify(Session& s, const std::string& method, Json params);
  // `ack` marks the reply to a transaction that changed the database (or
  // asked for durability): it waits until every commit so far is durable, or
  // only written (AckFor()). Every message also waits behind earlier held
  // messages of its session (order per session).
  void SendToSession(Session& s, std::string text, Ack ack = Ack::kNone);
  // What the reply to a transaction waits for.
  Ack AckFor(const TransactOutcome& o) const;
  Db* FindDb(const std::string& name);
  // The database named by params[0], or null after replying with
  // ovsdb-server's error ("<method> request specifies unknown database ...").
  Db* LookupDb(Session& s, const Json& id, const std::string& method, const Json& params);

  // Methods (rpc_methods.cc).
  void HandleGetSchema(Session& s, const Json& id, const Json& params);
  void HandleTransact(Session& s, const Json& id, Json&& params);
  void HandleMonitor(Session& s, const Json& id, const std::string& method, const Json& params);
  void HandleMonitorCondChange(Session& s, const Json& id, const Json& params);
  void HandleMonitorCancel(Session& s, const Json& id, const Json& params);
  void HandleLock(Session& s, const Json& id, const std::string& method, const Json& params);

  // Commit plumbing (server.cc).
  void RunTransaction(Session* s, const Json& id, Db& db, const Json& ops, bool may_block,
                      std::shared_ptr<Blocked> blocked);
  void Committed(Db& db, const TransactOutcome& outcome);
  void ScheduleFlush();
  void Flush();
  void WriteLogs();
  void StartSync();
  // Every database file takes direct writes (storage::Log::direct()).
  bool DirectLogs() const;
  void OnSynced(uint64_t seq, const Status& st);
  [[noreturn]] void ExitNotDurable(const Status& st);
  // A write failed and was cut off: rolls back every commit not in its file
  // (see the top of this file) and releases what waited for them.
  void WriteFailed(const Status& st);
  // Undoes `db`'s commits whose records are not in its file; returns their
  // sequence numbers.
  std::set<uint64_t> RollBackUnwritten(Db& db);
  // Composes and sends the monitor updates of one change of `db`.
  void NotifyMonitors(Db& db, const ChangeSet& changes);
  // Drops the undo records of commits now durable.
  void ForgetDurable();
  void ReleaseHeld();
  void RetryBlocked(Db& db);
  void ReleaseLocks(Session& s);
  bool OwnsLock(const Session& s, const std::string& name) const;
  void MaybeCompact(Db& db);

  asio::io_context& io_;
  ServerOptions options_;
  Uuid server_id_ = Uuid::Random();
  std::vector<std::unique_ptr<Db>> dbs_;  // dbs_[0] is _Server
  // Remotes (remotes.cc): as configured (ovsdb-server/list-remotes), and
  // the listeners they expand to, by target ("ptcp:6640:127.0.0.1").
  void RefreshRemotes();
  Result<std::set<std::string>> DbRemoteTargets(const std::string& spec) const;
  Status OpenListener(const std::string& target);
  std::set<std::string> remotes_;
  std::map<std::string, std::unique_ptr<jsonrpc::Listener>> listeners_;
  std::map<std::string, std::string> remote_errors_;  // target -> error already logged
  bool db_remotes_ = false;  // some remote is "db:..."
  std::map<uint64_t, std::shared_ptr<Session>> sessions_;
  std::map<std::string, std::deque<Session*>> locks_;  // front() owns the lock
  std::vector<std::shared_ptr<Blocked>> blocked_;
  bool flush_scheduled_ = false;
  uint64_t messages_ = 0;       // received, for Flush()'s hops
  uint64_t flush_mark_ = 0;     // messages_ at the previous hop
  int flush_hops_ = 0, flush_quiet_ = 0;
  std::deque<Held> held_;
  uint64_t commit_seq_ = 0;    // last commit appended to a log
  uint64_t written_seq_ = 0;   // last commit written to its file
  uint64_t sync_started_seq_ = 0;  // last commit covered by a started sync
  uint64_t durable_seq_ = 0;   // last commit known to be on disk
  std::unique_ptr<Syncer> syncer_;
  asio::steady_timer overlap_timer_{io_};  // see StartSync()
  bool overlap_timer_armed_ = false;
  // ack_before_sync: the background sync's timer, and the last commit whose
  // acknowledgement waits for durability all the same ("durable": true).
  asio::steady_timer background_timer_{io_};
  bool background_timer_armed_ = false;
  std::chrono::steady_clock::time_point background_due_;
  uint64_t durable_wanted_seq_ = 0;
  Stats stats_;
};

}  // namespace vs::ovsdb::server
