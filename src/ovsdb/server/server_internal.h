// Private state of DbServer, shared by server.cc and rpc_methods.cc.
#pragma once

#include "ovsdb/server/server.h"

namespace vs::ovsdb::server {

struct DbServer::Db {
  std::string name;
  std::shared_ptr<const DatabaseSchema> schema;
  std::unique_ptr<Database> db;
  std::unique_ptr<storage::Log> log;  // null for _Server (in memory only)
  std::unique_ptr<storage::DbLock> lock;  // of the file, while served
  Uuid last_txn_id;                   // of the latest commit (all zero before any)
  std::string schema_text;            // get_schema reply, serialised once
  // Commits not yet known durable, oldest first: their sequence number, the
  // log record they are (storage::Log::appended()), and their changes (to
  // undo them if their write fails).
  struct Unwritten {
    uint64_t seq = 0;
    uint64_t record = 0;
    std::shared_ptr<const ChangeSet> changes;
  };
  std::deque<Unwritten> unwritten;
};

struct DbServer::Session {
  uint64_t id = 0;
  std::shared_ptr<jsonrpc::Connection> conn;
  struct MonitorEntry {
    Json monid;
    Db* db = nullptr;
    MonitorVersion version = MonitorVersion::kUpdate;
    std::unique_ptr<Monitor> monitor;
  };
  std::map<std::string, MonitorEntry> monitors;  // key: monitor id as JSON text
  std::set<std::string> locks;                   // locks held or waited for
  bool db_change_aware = false;
  size_t held = 0;           // messages of this session in DbServer::held_
  uint64_t last_held_seq = 0;
  bool last_held_durable = true;
};

struct DbServer::Blocked {
  uint64_t session_id = 0;
  Json id;
  Db* db = nullptr;
  Json ops;
  std::chrono::steady_clock::time_point start;
  std::unique_ptr<asio::steady_timer> timer;
  bool done = false;
};

}  // namespace vs::ovsdb::server
