// Execution of ovs-vsctl commands against a Replica.
//
// Each command reads and edits the replica (which later becomes one
// transaction for all commands of the run) and appends its output text.
// The bridge/port/interface commands see the switch as ovs-vsctl does: a
// bridge exists if Open_vSwitch.bridges references it, a port if a bridge's
// `ports` does, and so on; reading that hierarchy verifies the columns it
// went through, so a concurrent change makes the run retry. Database
// commands (get/list/find/set/add/remove/clear/create/destroy) address rows
// by UUID, by name (Bridge/Port/Interface/...), via a bridge or port name
// for tables hanging off them (Controller, NetFlow, QoS...), or by "." for a
// table holding a single row (Open_vSwitch).
//
// Errors are EINVAL with ovs-vsctl's wording (without the program prefix).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "vsctl/cmdline.h"
#include "vsctl/replica.h"

namespace vs::vsctl {

class Executor {
 public:
  explicit Executor(Replica* db) : db_(db) {}

  // Runs one command, appending to `*out`. When a command ends the run early
  // (br-exists on a missing bridge) it sets exit_code() and returns OK.
  Status Run(const Command& cmd, std::string* out);
  // After all commands: errors for @names used but never created.
  Status CheckSymbols() const;

  int exit_code() const { return exit_code_; }
  // Interfaces this run created (checked after the switch applied them).
  std::vector<std::string> NewInterfaceNames() const;
  // Warnings to print on stderr (e.g. create without --id on a non-root table).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  // --- switch view -----------------------------------------------------
  Row* OvsRow();
  std::vector<Row*> RefRows(Row* row, const std::string& column, const std::string& table);
  std::vector<Row*> Bridges();
  Row* FindBridge(const std::string& name);
  Row* FindPort(const std::string& name, Row** bridge);
  Row* FindIface(const std::string& name, Row** bridge);
  Status CheckConflicts(const std::string& name, const std::string& msg);
  void RemoveRef(Row* row, const std::string& column, const Uuid& target);
  void AddRef(Row* row, const std::string& column, const Uuid& target);
  void DeletePortRows(Row* port);

  Status AddBr(const Command& cmd);
  Status DelBr(const Command& cmd);
  Status ListBr(std::string* out);
  Status ListPorts(const Command& cmd, std::string* out);
  Status AddPort(const Command& cmd);
  Status DelPort(const Command& cmd);
  Status PortToBr(const Command& cmd, std::string* out);
  Status ListIfaces(const Command& cmd, std::string* out);
  Status IfaceToBr(const Command& cmd, std::string* out);
  Status Show(std::string* out);
  void ShowRow(Row* row, int level, std::set<std::string>* shown, std::string* out);

  // --- database commands -------------------------------------------------
  Result<const Table*> GetTable(const std::string& name);
  Result<const Column*> GetColumn(const Table& table, const std::string& name);
  Result<Row*> GetRow(const Table& table, const std::string& id, bool must_exist);
  Status Get(const Command& cmd, std::string* out);
  Status List(const Command& cmd, std::string* out, bool find);
  Status Set(const Command& cmd);
  Status SetOne(Row* row, const std::string& arg);
  Status AddRemove(const Command& cmd, bool add);
  Status Clear(const Command& cmd);
  Status Create(const Command& cmd, std::string* out);
  Status Destroy(const Command& cmd);
  Result<bool> Matches(Row* row, const Table& table, const std::string& cond);
  Result<std::vector<const Column*>> ListColumns(const Table& table, const Command& cmd);
  SymbolResolver Resolver();

  Replica* db_;
  int exit_code_ = 0;
  std::map<std::string, Uuid> symbols_;
  std::set<std::string> created_symbols_;
  std::vector<std::string> warnings_;
};

// Parses "column[:key][OP value]" against `table`. Exposed for tests.
struct ColumnArg {
  std::string column;
  std::optional<std::string> key;  // raw token
  std::string op;                  // "" when none
  std::string value;
};
Result<ColumnArg> ParseColumnArg(const std::string& arg, const std::vector<std::string>& ops);

}  // namespace vs::vsctl
