// FakeReplica: a database copy of the kind ovsdb::client::Idl keeps (tables
// of rows as {column: RFC 7047 wire value}), filled by a test instead of a
// monitor, so that numavs-switchd's reconcile runs with no server, no root
// and no DPDK (switchd_reconcile_test).
//
// Edits (Insert/Set/Erase) change the copy at once; Commit() then tells the
// daemon once, as one monitor "update" would. Transact() takes what the
// daemon writes back: it records the operations, applies "update" operations
// whose where is [["_uuid","==",["uuid",U]]] to the copy and answers, on the
// io_context, first with the change notification and then with the reply (the
// order numavs-db and ovsdb-server use). Any other operation, an unknown
// table or row, or an armed failure (FailNext) fails the whole transaction
// and changes nothing, as a server would.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <asio.hpp>

#include "ovsdb/client/idl.h"

namespace vs::switchd::testing {

class FakeReplica final : public ovsdb::client::Replica {
 public:
  // `tables`: the tables the copy holds (as the Idl's monitor request).
  FakeReplica(asio::io_context& io, const std::vector<ovsdb::client::TableSpec>& tables) : io_(io) {
    for (const auto& t : tables) tables_[t.table];
  }

  Status Start(ChangeHandler on_change) override {
    on_change_ = std::move(on_change);
    Commit();  // the initial contents
    return Status::Ok();
  }

  void Transact(Json ops, TransactDone done) override {
    transactions_.push_back(ops);
    Result<Json> result = Apply(ops);
    if (result.ok()) Commit();
    asio::post(io_, [done = std::move(done), result = std::move(result)] { done(result); });
  }

  std::string StateText() const override { return "fake database copy"; }

  // Editing the copy.
  Uuid Insert(const std::string& table, Json row) {
    Uuid u = Uuid::Random();
    tables_.at(table)[u] = std::move(row);
    return u;
  }
  void Set(const std::string& table, const Uuid& row, const std::string& column, Json value) {
    tables_.at(table).at(row)[column] = std::move(value);
  }
  void Erase(const std::string& table, const Uuid& row) { tables_.at(table).erase(row); }
  const Json& Row(const std::string& table, const Uuid& row) const { return tables_.at(table).at(row); }
  // Tells the daemon (asynchronously, on the io_context) that the copy changed.
  void Commit() {
    seqno_++;
    if (on_change_) asio::post(io_, on_change_);
  }

  // The next transaction fails with this error (a server's refusal or a lost
  // connection) and changes nothing.
  void FailNext(Status s) { fail_next_ = std::move(s); }
  // Every transaction the daemon sent, oldest first (each an array of operations).
  const std::vector<Json>& transactions() const { return transactions_; }

 private:
  static std::optional<Uuid> WhereUuid(const Json& op) {
    const Json* where = op.contains("where") ? &op["where"] : nullptr;
    if (!where || !where->is_array() || where->size() != 1) return std::nullopt;
    const Json& c = (*where)[0];
    if (!c.is_array() || c.size() != 3 || c[0] != "_uuid" || c[1] != "==" || !c[2].is_array() ||
        c[2].size() != 2 || c[2][0] != "uuid" || !c[2][1].is_string())
      return std::nullopt;
    return Uuid::Parse(c[2][1].get<std::string>());
  }

  Result<Json> Apply(const Json& ops) {
    if (fail_next_) {
      Status s = std::move(*fail_next_);
      fail_next_.reset();
      return s;
    }
    if (!ops.is_array()) return Status(EINVAL, "transact: operations are not an array");
    // Checked first, applied only if every operation can be: all or nothing.
    for (const Json& op : ops) {
      std::optional<Uuid> u = op.is_object() ? WhereUuid(op) : std::nullopt;
      if (!op.is_object() || op.value("op", "") != "update" || !u || !op.contains("row") ||
          !op["row"].is_object())
        return Status(EINVAL, "fake database: unsupported operation " + JsonToString(op));
      auto t = tables_.find(op.value("table", ""));
      if (t == tables_.end() || !t->second.count(*u))
        return Status(EINVAL, "fake database: no such row for " + JsonToString(op));
    }
    Json results = Json::array();
    for (const Json& op : ops) {
      Json& row = tables_[op["table"].get<std::string>()][*WhereUuid(op)];
      for (auto c = op["row"].begin(); c != op["row"].end(); ++c) row[c.key()] = c.value();
      results.push_back({{"count", 1}});
    }
    return results;
  }

  asio::io_context& io_;
  ChangeHandler on_change_;
  std::vector<Json> transactions_;
  std::optional<Status> fail_next_;
};

}  // namespace vs::switchd::testing
