#include "ovsdb/datum.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "ovsdb/schema.h"

namespace vs::ovsdb {

namespace {

Error Syntax(const Json& j, std::string details) {
  return Error(ErrorCode::kSyntaxError, std::move(details), j);
}

bool IsTagged(const Json& j, const char* tag) {
  return j.is_array() && j.size() == 2 && j[0].is_string() &&
         j[0].get_ref<const std::string&>() == tag;
}

// As ovsdb-server: ["uuid", "<uuid>"], or with a symbol table
// ["named-uuid", "<id>"]; a name that no insert defines gets a fresh UUID.
ErrorOr<Atom> ParseUuidAtom(const Json& j, const ParseOptions& opts) {
  if (IsTagged(j, "uuid") && j[1].is_string()) {
    const auto& s = j[1].get_ref<const std::string&>();
    auto u = Uuid::Parse(s);
    if (!u) return Syntax(j, "\"" + s + "\" is not a valid UUID");
    return Atom(*u);
  }
  if (opts.symtab && IsTagged(j, "named-uuid") && j[1].is_string()) {
    const auto& name = j[1].get_ref<const std::string&>();
    if (!IsValidId(name)) return Syntax(j, "named-uuid string is not a valid <id>");
    auto it = opts.symtab->try_emplace(name, Uuid::Random()).first;
    return Atom(it->second);
  }
  return Syntax(j, "expected [\"uuid\", <string>]");
}

ErrorOr<Atom> ParseAtomNoCheck(const Json& j, AtomicType t, const ParseOptions& opts) {
  switch (t) {
    case AtomicType::kInteger:
      if (j.is_number_integer()) {
        if (j.is_number_unsigned() && j.get<uint64_t>() > uint64_t(INT64_MAX))
          return Error(ErrorCode::kSyntaxError, "integer out of range", j);
        return Atom(j.get<int64_t>());
      }
      return Syntax(j, "expected integer");
    case AtomicType::kReal:
      if (j.is_number()) return Atom(j.get<double>());
      return Syntax(j, "expected real");
    case AtomicType::kBoolean:
      if (j.is_boolean()) return Atom(j.get<bool>());
      return Syntax(j, "expected boolean");
    case AtomicType::kString:
      if (j.is_string()) return Atom(j.get<std::string>());
      return Syntax(j, "expected string");
    case AtomicType::kUuid:
      return ParseUuidAtom(j, opts);
  }
  return Syntax(j, "bad type");
}

}  // namespace

ErrorOr<Atom> AtomFromJson(const Json& j, const BaseType& base, const ParseOptions& opts) {
  auto a = ParseAtomNoCheck(j, base.type, opts);
  if (!a.ok()) return a;
  if (opts.check_constraints) {
    if (auto e = base.CheckConstraints(a.value())) return *e;
  }
  return a;
}

Datum Datum::Default(const ColumnType& type) {
  Datum d;
  if (type.n_min == 0) return d;
  d.keys_.push_back(DefaultAtom(type.key.type));
  if (type.value) d.values_.push_back(DefaultAtom(type.value->type));
  return d;
}

ErrorOr<Datum> Datum::FromAtoms(std::vector<Atom> keys, std::vector<Atom> values, bool is_map) {
  // Duplicates are errors, with ovsdb-server's words and tag.
  Datum d;
  std::vector<size_t> order(keys.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  d.keys_.reserve(keys.size());
  if (is_map) d.values_.reserve(keys.size());
  for (size_t i : order) {
    if (!d.keys_.empty() && d.keys_.back() == keys[i])
      return Error(ErrorCode::kOvsdbError, is_map ? "map contains duplicate key" : "set contains duplicate");
    d.keys_.push_back(std::move(keys[i]));
    if (is_map) d.values_.push_back(std::move(values[i]));
  }
  return d;
}

std::optional<size_t> Datum::Find(const Atom& k) const {
  auto it = std::lower_bound(keys_.begin(), keys_.end(), k);
  if (it == keys_.end() || !(*it == k)) return std::nullopt;
  return static_cast<size_t>(it - keys_.begin());
}

bool Datum::Includes(const Datum& sub, bool is_map) const {
  for (size_t i = 0; i < sub.size(); i++) {
    auto idx = Find(sub.keys_[i]);
    if (!idx) return false;
    if (is_map && !(values_[*idx] == sub.values_[i])) return false;
  }
  return true;
}

void Datum::Insert(Atom k) {
  auto it = std::lower_bound(keys_.begin(), keys_.end(), k);
  if (it != keys_.end() && *it == k) return;
  keys_.insert(it, std::move(k));
}

void Datum::InsertPair(Atom k, Atom v) {
  auto it = std::lower_bound(keys_.begin(), keys_.end(), k);
  if (it != keys_.end() && *it == k) return;
  size_t pos = it - keys_.begin();
  keys_.insert(it, std::move(k));
  values_.insert(values_.begin() + pos, std::move(v));
}

void Datum::Put(Atom k, Atom v) {
  auto it = std::lower_bound(keys_.begin(), keys_.end(), k);
  size_t pos = it - keys_.begin();
  if (it != keys_.end() && *it == k) {
    values_[pos] = std::move(v);
    return;
  }
  keys_.insert(it, std::move(k));
  values_.insert(values_.begin() + pos, std::move(v));
}

bool Datum::Erase(const Atom& k) {
  auto idx = Find(k);
  if (!idx) return false;
  keys_.erase(keys_.begin() + *idx);
  if (!values_.empty()) values_.erase(values_.begin() + *idx);
  return true;
}

bool Datum::ErasePair(const Atom& k, const Atom& v) {
  auto idx = Find(k);
  if (!idx || !(values_[*idx] == v)) return false;
  keys_.erase(keys_.begin() + *idx);
  values_.erase(values_.begin() + *idx);
  return true;
}

void Datum::Resort() {
  std::sort(keys_.begin(), keys_.end());
  keys_.erase(std::unique(keys_.begin(), keys_.end()), keys_.end());
}

size_t Datum::Hash() const {
  size_t h = keys_.size();
  std::hash<Atom> ha;
  for (const auto& k : keys_) h = h * 1000003u ^ ha(k);
  for (const auto& v : values_) h = h * 1000003u ^ ha(v);
  return h;
}

ErrorOr<Datum> Datum::FromJson(const Json& j, const ColumnType& type, const ParseOptions& opts) {
  // ovsdb-server's order and words: a set or map (["set", [...]] is a set
  // even for a scalar column) is checked for its number of elements first, a
  // syntax error even with a bad element; then each element is parsed and
  // checked against its constraints; then duplicates. A bare atom is a
  // one-element set.
  std::vector<Atom> keys, values;
  const bool is_map = type.is_map();
  if (is_map || (j.is_array() && !j.empty() && j[0].is_string() && j[0] == "set")) {
    const char* cls = is_map ? "map" : "set";
    if (!IsTagged(j, cls) || !j[1].is_array())
      return Syntax(j, fmt::format("expected [\"{}\", <array>]", cls));
    const Json& elems = j[1];
    size_t n = elems.size();
    if (!opts.relax_cardinality && (n < type.n_min || n > type.n_max)) {
      if (type.n_min == 1 && type.n_max == 1)
        return Syntax(j, fmt::format("{} must have exactly one member but {} are present", cls, n));
      return Syntax(j, fmt::format("{} must have {} to {} members but {} are present", cls,
                                   type.n_min, type.n_max, n));
    }
    keys.reserve(n);
    if (is_map) values.reserve(n);
    for (const auto& e : elems) {
      if (is_map && (!e.is_array() || e.size() != 2)) return Syntax(e, "expected 2-element array");
      auto k = AtomFromJson(is_map ? e[0] : e, type.key, opts);
      if (!k.ok()) return k.error();
      keys.push_back(std::move(k.value()));
      if (is_map) {
        auto v = AtomFromJson(e[1], *type.value, opts);
        if (!v.ok()) return v.error();
        values.push_back(std::move(v.value()));
      }
    }
    return FromAtoms(std::move(keys), std::move(values), is_map);
  }
  auto k = AtomFromJson(j, type.key, opts);
  if (!k.ok()) return k.error();
  return FromAtom(std::move(k.value()));
}

Json Datum::ToJson(const ColumnType& type) const {
  if (type.is_map()) {
    Json pairs = Json::array();
    for (size_t i = 0; i < keys_.size(); i++)
      pairs.push_back(Json::array({AtomToJson(keys_[i]), AtomToJson(values_[i])}));
    return Json::array({"map", std::move(pairs)});
  }
  if (keys_.size() == 1) return AtomToJson(keys_[0]);
  Json elems = Json::array();
  for (const auto& k : keys_) elems.push_back(AtomToJson(k));
  return Json::array({"set", std::move(elems)});
}

MaybeError Datum::CheckConstraints(const ColumnType& type) const {
  for (const auto& k : keys_)
    if (auto e = type.key.CheckConstraints(k)) return e;
  if (type.value)
    for (const auto& v : values_)
      if (auto e = type.value->CheckConstraints(v)) return e;
  return std::nullopt;
}

MaybeError Datum::CheckCardinality(const ColumnType& type, std::string_view what) const {
  if (size() < type.n_min || size() > type.n_max) {
    return Error(ErrorCode::kConstraintViolation,
                 fmt::format("{} must have {} to {} members but {} are present", what,
                             type.n_min,
                             type.n_max == ColumnType::kUnlimited ? std::string("unlimited")
                                                                  : std::to_string(type.n_max),
                             size()));
  }
  return std::nullopt;
}

Datum Datum::Diff(const Datum& old_d, const Datum& new_d, const ColumnType& type) {
  if (!type.is_composite()) return new_d;
  Datum diff;
  size_t i = 0, j = 0;
  const bool map = type.is_map();
  while (i < old_d.size() || j < new_d.size()) {
    if (j == new_d.size() || (i < old_d.size() && old_d.keys_[i] < new_d.keys_[j])) {
      diff.keys_.push_back(old_d.keys_[i]);  // removed
      if (map) diff.values_.push_back(old_d.values_[i]);
      i++;
    } else if (i == old_d.size() || new_d.keys_[j] < old_d.keys_[i]) {
      diff.keys_.push_back(new_d.keys_[j]);  // added
      if (map) diff.values_.push_back(new_d.values_[j]);
      j++;
    } else {
      if (map && !(old_d.values_[i] == new_d.values_[j])) {
        diff.keys_.push_back(new_d.keys_[j]);  // changed value
        diff.values_.push_back(new_d.values_[j]);
      }
      i++;
      j++;
    }
  }
  return diff;
}

Datum Datum::ApplyDiff(const Datum& old_d, const Datum& diff, const ColumnType& type) {
  if (!type.is_composite()) return diff;
  Datum out = old_d;
  for (size_t i = 0; i < diff.size(); i++) {
    auto idx = out.Find(diff.keys_[i]);
    if (!type.is_map()) {
      if (idx) out.Erase(diff.keys_[i]);
      else out.Insert(diff.keys_[i]);
    } else if (!idx) {
      out.Put(diff.keys_[i], diff.values_[i]);
    } else if (out.values_[*idx] == diff.values_[i]) {
      out.Erase(diff.keys_[i]);
    } else {
      out.values_[*idx] = diff.values_[i];
    }
  }
  return out;
}

}  // namespace vs::ovsdb
