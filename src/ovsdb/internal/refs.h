// Walking the references a datum holds (engine-internal).
#pragma once

#include <variant>

#include "base/uuid.h"
#include "ovsdb/datum.h"
#include "ovsdb/types.h"

namespace vs::ovsdb {

// Calls f(target_table, uuid) for each reference of the wanted strength
// (strong, or weak) in `d`, a value of a column of type `type`.
template <typename F>
void ForEachRef(const Datum& d, const ColumnType& type, bool strong, F&& f) {
  auto wanted = [&](const BaseType& b) { return strong ? b.is_strong_ref() : b.is_weak_ref(); };
  if (wanted(type.key))
    for (const auto& a : d.keys()) f(type.key.ref_table_index, std::get<Uuid>(a));
  if (type.value && wanted(*type.value))
    for (const auto& a : d.values()) f(type.value->ref_table_index, std::get<Uuid>(a));
}

}  // namespace vs::ovsdb
