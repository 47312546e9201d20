// What numavs does with each column and key of vswitch.ovsschema a user can
// set: the one table (support.cc) that says, per column (and per key of the
// other_config/options maps OVS documents), whether numavs applies it, fills it
// itself, keeps it for other programs, or does not implement it — and then
// what happens instead. Nothing is accepted and silently ignored:
//
//   kReported  not implemented; while set, the row's status (Bridge/Port/
//              Interface.status key "unsupported:COLUMN[:KEY]") says so, one
//              WARN line is logged per change, and numavs/unsupported lists it;
//   kRefused   not implemented and dangerous to run without (a bond would
//              become independent ports flooding to each other; policing, QoS,
//              protected ports, VLAN modes numavs lacks): the interfaces
//              concerned stay down with Interface.error saying why.
//
// An entry's owner may name work in progress that will implement it (reported
// until it lands; none today). The schema walk test (tests/switchd/
// test_schema_walk.py) reads vswitch.ovsschema, so a column missing here fails
// it; `ovs-appctl numavs/schema-support` prints the table as JSON.
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "base/uuid.h"
#include "ovsdb/client/idl.h"

namespace vs::switchd {

enum class Support {
  kApplied,    // numavs acts on it
  kWritten,    // filled by the daemons (a user's value is overwritten or meaningless)
  kStored,     // kept for other programs; OVS does not act on it either
  kReported,   // not implemented: reported while set
  kRefused,    // not implemented: the interfaces concerned stay down while set
  kViaParent,  // a column of a row that only matters once referenced: reported there
};
const char* SupportName(Support s);

// What a row looks like to an entry's in_use test.
struct RowContext {
  const Json* row = nullptr;
  std::string iface_type;  // Interface rows
  bool local = false;      // an Interface that is its bridge's own
};

struct SupportEntry {
  const char* table;
  const char* column;
  const char* key;    // "": the column; "*": keys of the map not listed
  Support support;
  const char* owner;  // "": none; else the work implementing it
  const char* note;   // applied: what it does; reported/refused: what happens instead
  const char* types = "";  // Interface.options: the types the key belongs to ("" all)
  // When the setting counts as in use (null: the value differs from the
  // column's default: not empty, 0, "" or false; a key: present).
  bool (*in_use)(const Json& value, const RowContext& ctx) = nullptr;
};

const std::vector<SupportEntry>& SupportTable();
// The entry of a column (key "") or map key; unlisted keys fall back to "*".
const SupportEntry* FindSupport(const std::string& table, const std::string& column,
                                const std::string& key = "", const std::string& type = "");

// One unsupported setting in use.
struct Finding {
  std::string table;
  Uuid row;
  std::string row_name;
  std::string column;
  std::string key;
  Support support;  // kReported or kRefused
  std::string owner;
  std::string note;
  std::string StatusKey() const;  // "unsupported:COLUMN[:KEY]"
  std::string Text() const;       // one line for the log and Interface.error
};

// The unsupported settings in use in the database copy, by table and row.
std::vector<Finding> FindUnsupported(const ovsdb::client::Replica& idl);

// Columns to monitor so that FindUnsupported sees them, per table.
std::vector<ovsdb::client::TableSpec> SupportMonitoredColumns();

// The table as JSON: [{"table","column","key","support","owner","note","types"}...].
Json SupportTableJson();

}  // namespace vs::switchd
