// Idl: an asynchronous OVSDB client that keeps a live copy of selected tables
// and columns (the role of OVS's IDL, reduced to what numavs's daemons need).
//
// Start() connects to "unix:PATH" or "tcp:IP:PORT", sends one "monitor"
// request for the configured tables/columns and replaces its copy with the
// initial contents; every "update" notification is applied, then the change
// handler runs (on the io_context thread) so the owner can reconcile. If the
// connection drops or cannot be made, it retries with a backoff (100 ms
// doubling to 8 s); the copy is kept until the next initial contents replace
// it, so the owner's state need not change across a database restart.
//
// Transact() sends one "transact" and calls `done` with the result array or
// an error (ENOTCONN when not connected, ECONNRESET if the connection dropped
// before the reply, EREMOTEIO with the server's error). Server "echo"
// requests are answered. Rows are kept as JSON objects of column -> wire
// value (RFC 7047 <value>); helpers below read them.
//
// Not thread-safe: everything runs on one io_context thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio.hpp>

#include "base/json.h"
#include "base/status.h"
#include "base/uuid.h"
#include "jsonrpc/connection.h"
#include "jsonrpc/remote.h"

namespace vs::ovsdb::client {

struct TableSpec {
  std::string table;
  std::vector<std::string> columns;
};

using IdlTable = std::map<Uuid, Json>;  // row uuid -> {column: value}

// A client's copy of a database and its way to change it: what a daemon
// reads its configuration from and writes its state through. Idl is the one
// that runs (a monitor over a connection); a test fills a copy of its own
// (switchd/testing/fake_replica.h) to drive the daemon without a server.
class Replica {
 public:
  using ChangeHandler = std::function<void()>;
  using TransactDone = std::function<void(Result<Json>)>;

  virtual ~Replica() = default;
  // Starts keeping the copy; on_change runs (on the io_context thread) after
  // every change of it.
  virtual Status Start(ChangeHandler on_change) = 0;
  // Sends one "transact" (RFC 7047 operations); `done` gets the result array
  // or an error.
  virtual void Transact(Json ops, TransactDone done) = 0;
  // One line for status/introspection: "connected to unix:... (synced)".
  virtual std::string StateText() const = 0;

  // Incremented whenever the copy changes.
  uint64_t seqno() const { return seqno_; }
  const IdlTable* table(const std::string& name) const;

 protected:
  std::map<std::string, IdlTable> tables_;
  uint64_t seqno_ = 0;
};

class Idl final : public Replica {
 public:
  Idl(asio::io_context& io, std::string remote, std::string db, std::vector<TableSpec> spec);
  ~Idl() override;
  Idl(const Idl&) = delete;
  Idl& operator=(const Idl&) = delete;

  // Errors: EINVAL (jsonrpc::ParseRemote) for a remote that is not
  // unix:PATH or tcp:HOST:PORT: the daemon fails at start instead of
  // retrying a remote that can never work.
  Status Start(ChangeHandler on_change) override;
  void Transact(Json ops, TransactDone done) override;

  bool connected() const { return conn_ != nullptr; }
  // True once initial contents arrived on the current connection.
  bool synced() const { return synced_; }
  const std::string& remote() const { return remote_; }
  std::string StateText() const override;

 private:
  void Connect();
  void OnConnected(jsonrpc::Connection::Socket sock);
  void ScheduleReconnect(const std::string& why);
  void OnMessage(Json&& msg);
  void OnClosed(const std::string& why);
  void ApplyUpdates(const Json& updates, bool initial);
  uint64_t Call(const std::string& method, Json params, TransactDone done);

  asio::io_context& io_;
  std::string remote_, db_;
  std::vector<TableSpec> spec_;
  ChangeHandler on_change_;
  std::shared_ptr<jsonrpc::Connection> conn_;
  std::unique_ptr<asio::local::stream_protocol::socket> unix_sock_;
  std::unique_ptr<asio::ip::tcp::socket> tcp_sock_;
  std::unique_ptr<asio::ip::tcp::resolver> resolver_;
  jsonrpc::Remote parsed_;
  asio::steady_timer retry_timer_;
  std::chrono::milliseconds backoff_{100};
  std::map<uint64_t, TransactDone> pending_;
  uint64_t next_id_ = 1;
  uint64_t monitor_id_ = 0;
  bool synced_ = false;
  std::string last_error_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Readers of wire values (RFC 7047 <value>): they accept the one-element
// shortcut and ["set", [...]]. Missing or ill-typed values give the fallback.
std::string GetString(const Json& row, const std::string& column, const std::string& fallback = "");
int64_t GetInteger(const Json& row, const std::string& column, int64_t fallback = 0);
bool GetBool(const Json& row, const std::string& column, bool fallback = false);
// An optional scalar ("set" of 0 or 1): nullopt when empty.
std::optional<int64_t> GetOptionalInteger(const Json& row, const std::string& column);
std::map<std::string, std::string> GetStringMap(const Json& row, const std::string& column);
std::vector<Uuid> GetUuids(const Json& row, const std::string& column);

// Writers of wire values.
Json MakeStringMap(const std::map<std::string, std::string>& m);
Json MakeUuid(const Uuid& u);
Json MakeSet(const std::vector<Json>& atoms);

}  // namespace vs::ovsdb::client
