#include "ovsdb/datum.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

namespace vs::ovsdb {

namespace {

Error Syntax(const Json& j, std::string details) {
  return Error(ErrorCode::kSyntaxError, std::move(details), j);
}

ErrorOr<Atom> ParseUuidAtom(const Json& j, const ParseOptions& opts) {
  if (!j.is_array() || j.size() != 2 || !j[0].is_string() || !j[1].is_string())
    return Syntax(j, "expected uuid");
  const auto& tag = j[0].get_ref<const std::string&>();
  const auto& s = j[1].get_ref<const std::string&>();
  if (tag == "uuid") {
    auto u = Uuid::Parse(s);
    if (!u) return Syntax(j, "\"" + s + "\" is not a valid UUID");
    return Atom(*u);
  }
  if (tag == "named-uuid") {
    if (!opts.symtab) return Syntax(j, "named-uuid is not allowed here");
    auto it = opts.symtab->find(s);
    if (it == opts.symtab->end())
      return Syntax(j, "named-uuid \"" + s + "\" is not defined by any insert");
    return Atom(it->second);
  }
  return Syntax(j, "expected uuid");
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

bool IsTagged(const Json& j, const char* tag) {
  return j.is_array() && j.size() == 2 && j[0].is_string() &&
         j[0].get_ref<const std::string&>() == tag;
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
  Datum d;
  if (!is_map) {
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    d.keys_ = std::move(keys);
    return d;
  }
  std::vector<size_t> order(keys.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  d.keys_.reserve(keys.size());
  d.values_.reserve(keys.size());
  for (size_t i : order) {
    if (!d.keys_.empty() && d.keys_.back() == keys[i])
      return Error(ErrorCode::kConstraintViolation,
                   "map contains duplicate key " + AtomToString(keys[i]));
    d.keys_.push_back(std::move(keys[i]));
    d.values_.push_back(std::move(values[i]));
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

ErrorOr<Datum> Datum::FromJson(const Json& j, const ColumnType& type, const ParseOptions& opts_in) {
  // Cardinality is checked before the atoms' constraints (ovsdb-server's
  // order: a too-big set is a syntax error even if an element is also out of
  // range).
  ParseOptions opts = opts_in;
  opts.check_constraints = false;
  std::vector<Atom> keys, values;
  if (type.is_map()) {
    if (!IsTagged(j, "map") || !j[1].is_array()) return Syntax(j, "expected map");
    keys.reserve(j[1].size());
    values.reserve(j[1].size());
    for (const auto& pair : j[1]) {
      if (!pair.is_array() || pair.size() != 2) return Syntax(pair, "expected [key, value] pair");
      auto k = AtomFromJson(pair[0], type.key, opts);
      if (!k.ok()) return k.error();
      auto v = AtomFromJson(pair[1], *type.value, opts);
      if (!v.ok()) return v.error();
      keys.push_back(std::move(k.value()));
      values.push_back(std::move(v.value()));
    }
  } else if (IsTagged(j, "set")) {
    if (!j[1].is_array()) return Syntax(j, "expected set");
    keys.reserve(j[1].size());
    for (const auto& e : j[1]) {
      auto k = AtomFromJson(e, type.key, opts);
      if (!k.ok()) return k.error();
      keys.push_back(std::move(k.value()));
    }
  } else {
    auto k = AtomFromJson(j, type.key, opts);
    if (!k.ok()) return k.error();
    keys.push_back(std::move(k.value()));
  }
  auto d = FromAtoms(std::move(keys), std::move(values), type.is_map());
  if (!d.ok()) return d;
  if (!opts.relax_cardinality) {
    size_t n = d.value().size();
    if (n < type.n_min || n > type.n_max) {
      return Syntax(j, fmt::format("{} must have {} to {} members but {} are present",
                                   type.is_map() ? "map" : "set", type.n_min,
                                   type.n_max == ColumnType::kUnlimited
                                       ? std::string("unlimited")
                                       : std::to_string(type.n_max),
                                   n));
    }
  }
  if (opts_in.check_constraints)
    if (MaybeError e = d.value().CheckConstraints(type)) return *e;
  return d;
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
