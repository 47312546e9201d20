#include "ovsdb/types.h"

#include <cctype>
#include <cstdio>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "ovsdb/datum.h"

namespace vs::ovsdb {

const char* AtomicTypeName(AtomicType t) {
  switch (t) {
    case AtomicType::kInteger: return "integer";
    case AtomicType::kReal: return "real";
    case AtomicType::kBoolean: return "boolean";
    case AtomicType::kString: return "string";
    case AtomicType::kUuid: return "uuid";
  }
  return "?";
}

std::optional<AtomicType> ParseAtomicType(std::string_view s) {
  if (s == "integer") return AtomicType::kInteger;
  if (s == "real") return AtomicType::kReal;
  if (s == "boolean") return AtomicType::kBoolean;
  if (s == "string") return AtomicType::kString;
  if (s == "uuid") return AtomicType::kUuid;
  return std::nullopt;
}

Atom DefaultAtom(AtomicType t) {
  switch (t) {
    case AtomicType::kInteger: return Atom(int64_t{0});
    case AtomicType::kReal: return Atom(0.0);
    case AtomicType::kBoolean: return Atom(false);
    case AtomicType::kString: return Atom(std::string());
    case AtomicType::kUuid: return Atom(Uuid{});
  }
  return Atom(int64_t{0});
}

Json AtomToJson(const Atom& a) {
  switch (TypeOf(a)) {
    case AtomicType::kInteger: return Json(std::get<int64_t>(a));
    case AtomicType::kReal: return Json(std::get<double>(a));
    case AtomicType::kBoolean: return Json(std::get<bool>(a));
    case AtomicType::kString: return Json(std::get<std::string>(a));
    case AtomicType::kUuid: return Json::array({"uuid", std::get<Uuid>(a).ToString()});
  }
  return Json();
}

namespace {
// ovsdb-server's rule for quoting a string in messages: bare if it looks like
// an identifier (letters, digits, '_', '-', '.', not starting with a digit
// or '-') and is not "true", "false" or a UUID.
bool StringNeedsQuotes(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return true;
  for (unsigned char c : s) {
    if (!std::isalnum(c) && c != '_' && c != '-' && c != '.') return true;
  }
  return s == "true" || s == "false" || Uuid::Parse(s).has_value();
}

// "%.15g", as ovsdb-server prints reals in messages.
std::string RealToString(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", 15, v);
  return buf;
}
}  // namespace

std::string AtomToString(const Atom& a) {
  switch (TypeOf(a)) {
    case AtomicType::kInteger: return std::to_string(std::get<int64_t>(a));
    case AtomicType::kReal: return RealToString(std::get<double>(a));
    case AtomicType::kBoolean: return std::get<bool>(a) ? "true" : "false";
    case AtomicType::kString: {
      const auto& s = std::get<std::string>(a);
      return StringNeedsQuotes(s) ? JsonToString(Json(s)) : s;
    }
    case AtomicType::kUuid: return std::get<Uuid>(a).ToString();
  }
  return "?";
}

namespace {

Error TypeSyntax(const Json& j, std::string details) {
  return Error(ErrorCode::kSyntaxError, std::move(details), j);
}

// Reads an optional integer member; returns false (with *err set) on a type error.
bool ReadInt(const Json& j, const char* name, int64_t* out, MaybeError* err) {
  auto it = j.find(name);
  if (it == j.end()) return true;
  if (!it->is_number_integer() ||
      (it->is_number_unsigned() && it->get<uint64_t>() > uint64_t(INT64_MAX))) {
    *err = TypeSyntax(j, fmt::format("\"{}\" must be an integer", name));
    return false;
  }
  *out = it->get<int64_t>();
  return true;
}

bool ReadReal(const Json& j, const char* name, double* out, MaybeError* err) {
  auto it = j.find(name);
  if (it == j.end()) return true;
  if (!it->is_number()) {
    *err = TypeSyntax(j, fmt::format("\"{}\" must be a number", name));
    return false;
  }
  *out = it->get<double>();
  return true;
}

MaybeError CheckAllowedMembers(const Json& j, std::initializer_list<const char*> allowed) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::none_of(allowed.begin(), allowed.end(),
                     [&](const char* a) { return it.key() == a; })) {
      return TypeSyntax(j, fmt::format("Member \"{}\" is present but not allowed here.", it.key()));
    }
  }
  return std::nullopt;
}

MaybeError ParseEnum(const Json& j, BaseType* b) {
  auto it = j.find("enum");
  if (it == j.end()) return std::nullopt;
  ColumnType set_type;
  set_type.key = BaseType::Of(b->type);
  set_type.n_min = 0;
  set_type.n_max = ColumnType::kUnlimited;
  ParseOptions opts;
  opts.check_constraints = false;
  auto d = Datum::FromJson(*it, set_type, opts);
  if (!d.ok()) return d.error();
  b->enum_values = d.value().keys();
  return std::nullopt;
}

MaybeError ParseConstraints(const Json& j, BaseType* b) {
  MaybeError err;
  switch (b->type) {
    case AtomicType::kInteger:
      if (auto e = CheckAllowedMembers(j, {"type", "enum", "minInteger", "maxInteger"})) return e;
      if (!ReadInt(j, "minInteger", &b->min_integer, &err)) return err;
      if (!ReadInt(j, "maxInteger", &b->max_integer, &err)) return err;
      if (b->min_integer > b->max_integer)
        return TypeSyntax(j, "minInteger exceeds maxInteger");
      break;
    case AtomicType::kReal:
      if (auto e = CheckAllowedMembers(j, {"type", "enum", "minReal", "maxReal"})) return e;
      if (!ReadReal(j, "minReal", &b->min_real, &err)) return err;
      if (!ReadReal(j, "maxReal", &b->max_real, &err)) return err;
      if (b->min_real > b->max_real) return TypeSyntax(j, "minReal exceeds maxReal");
      break;
    case AtomicType::kString: {
      if (auto e = CheckAllowedMembers(j, {"type", "enum", "minLength", "maxLength"})) return e;
      int64_t mn = 0, mx = INT64_MAX;
      if (!ReadInt(j, "minLength", &mn, &err)) return err;
      if (!ReadInt(j, "maxLength", &mx, &err)) return err;
      if (mn < 0 || mx < 0 || mn > mx) return TypeSyntax(j, "bad minLength/maxLength");
      b->min_length = static_cast<uint64_t>(mn);
      b->max_length = j.contains("maxLength") ? static_cast<uint64_t>(mx) : UINT64_MAX;
      break;
    }
    case AtomicType::kUuid: {
      if (auto e = CheckAllowedMembers(j, {"type", "enum", "refTable", "refType"})) return e;
      auto rt = j.find("refTable");
      if (rt != j.end()) {
        if (!rt->is_string() || rt->get_ref<const std::string&>().empty())
          return TypeSyntax(j, "refTable must be a table name");
        b->ref_table = rt->get<std::string>();
      }
      auto ty = j.find("refType");
      if (ty != j.end()) {
        if (!ty->is_string()) return TypeSyntax(j, "refType must be \"strong\" or \"weak\"");
        const auto& s = ty->get_ref<const std::string&>();
        if (s == "strong") b->ref_type = RefType::kStrong;
        else if (s == "weak") b->ref_type = RefType::kWeak;
        else return TypeSyntax(j, "refType must be \"strong\" or \"weak\"");
        if (b->ref_table.empty()) return TypeSyntax(j, "refType requires refTable");
      }
      break;
    }
    case AtomicType::kBoolean:
      if (auto e = CheckAllowedMembers(j, {"type", "enum"})) return e;
      break;
  }
  return ParseEnum(j, b);
}

}  // namespace

ErrorOr<BaseType> BaseType::FromJson(const Json& j) {
  BaseType b;
  if (j.is_string()) {
    auto t = ParseAtomicType(j.get_ref<const std::string&>());
    if (!t) return TypeSyntax(j, "unknown atomic type " + j.get<std::string>());
    b.type = *t;
    return b;
  }
  if (!j.is_object()) return TypeSyntax(j, "base type must be a string or an object");
  auto it = j.find("type");
  if (it == j.end() || !it->is_string()) return TypeSyntax(j, "base type lacks \"type\"");
  auto t = ParseAtomicType(it->get_ref<const std::string&>());
  if (!t) return TypeSyntax(j, "unknown atomic type " + it->get<std::string>());
  b.type = *t;
  if (auto e = ParseConstraints(j, &b)) return *e;
  return b;
}

bool BaseType::has_constraints() const {
  return enum_values || min_integer != std::numeric_limits<int64_t>::min() ||
         max_integer != std::numeric_limits<int64_t>::max() ||
         min_real != -std::numeric_limits<double>::max() ||
         max_real != std::numeric_limits<double>::max() || min_length != 0 ||
         max_length != std::numeric_limits<uint64_t>::max() || is_ref();
}

Json BaseType::ToJson() const {
  if (!has_constraints()) return Json(AtomicTypeName(type));
  Json j = Json::object();
  j["type"] = AtomicTypeName(type);
  if (enum_values) {
    Json elems = Json::array();
    for (const auto& a : *enum_values) elems.push_back(AtomToJson(a));
    j["enum"] = elems.size() == 1 ? elems[0] : Json::array({"set", elems});
  }
  if (min_integer != std::numeric_limits<int64_t>::min()) j["minInteger"] = min_integer;
  if (max_integer != std::numeric_limits<int64_t>::max()) j["maxInteger"] = max_integer;
  if (min_real != -std::numeric_limits<double>::max()) j["minReal"] = min_real;
  if (max_real != std::numeric_limits<double>::max()) j["maxReal"] = max_real;
  if (min_length != 0) j["minLength"] = min_length;
  if (max_length != std::numeric_limits<uint64_t>::max()) j["maxLength"] = max_length;
  if (is_ref()) {
    j["refTable"] = ref_table;
    if (ref_type == RefType::kWeak) j["refType"] = "weak";
  }
  return j;
}

MaybeError BaseType::CheckConstraints(const Atom& a) const {
  // The messages are ovsdb-server's, word for word.
  auto violation = [](std::string details) {
    return Error(ErrorCode::kConstraintViolation, std::move(details));
  };
  if (enum_values) {
    if (!std::binary_search(enum_values->begin(), enum_values->end(), a)) {
      std::string allowed;
      for (const auto& e : *enum_values) {
        if (!allowed.empty()) allowed += ", ";
        allowed += AtomToString(e);
      }
      return violation(fmt::format("{} is not one of the allowed values ([{}])", AtomToString(a),
                                   allowed));
    }
    return std::nullopt;
  }
  switch (type) {
    case AtomicType::kInteger: {
      int64_t v = std::get<int64_t>(a);
      if (v >= min_integer && v <= max_integer) break;
      if (min_integer != std::numeric_limits<int64_t>::min()) {
        if (max_integer != std::numeric_limits<int64_t>::max())
          return violation(fmt::format("{} is not in the valid range {} to {} (inclusive)", v,
                                       min_integer, max_integer));
        return violation(fmt::format("{} is less than minimum allowed value {}", v, min_integer));
      }
      return violation(fmt::format("{} is greater than maximum allowed value {}", v, max_integer));
    }
    case AtomicType::kReal: {
      double v = std::get<double>(a);
      if (v >= min_real && v <= max_real) break;
      if (min_real != -std::numeric_limits<double>::max()) {
        if (max_real != std::numeric_limits<double>::max())
          return violation(fmt::format("{} is not in the valid range {} to {} (inclusive)",
                                       RealToString(v), RealToString(min_real),
                                       RealToString(max_real)));
        return violation(fmt::format("{} is less than minimum allowed value {}", RealToString(v),
                                     RealToString(min_real)));
      }
      return violation(fmt::format("{} is greater than maximum allowed value {}", RealToString(v),
                                   RealToString(max_real)));
    }
    case AtomicType::kString: {
      const auto& s = std::get<std::string>(a);
      // Length is in UTF-8 characters (code points), as in OVSDB.
      uint64_t n = 0;
      for (unsigned char c : s) n += (c & 0xc0) != 0x80;
      if (n < min_length)
        return Error(ErrorCode::kConstraintViolation,
                     fmt::format("\"{}\" length {} is less than minimum allowed length {}", s, n,
                                 min_length));
      if (n > max_length)
        return Error(ErrorCode::kConstraintViolation,
                     fmt::format("\"{}\" length {} is greater than maximum allowed length {}", s,
                                 n, max_length));
      break;
    }
    default:
      break;
  }
  return std::nullopt;
}

ErrorOr<ColumnType> ColumnType::FromJson(const Json& j) {
  ColumnType t;
  if (j.is_string()) {
    auto b = BaseType::FromJson(j);
    if (!b.ok()) return b.error();
    t.key = std::move(b.value());
    return t;
  }
  if (!j.is_object()) return TypeSyntax(j, "type must be a string or an object");
  if (auto e = CheckAllowedMembers(j, {"key", "value", "min", "max"})) return *e;
  auto k = j.find("key");
  if (k == j.end()) return TypeSyntax(j, "type lacks \"key\"");
  auto kb = BaseType::FromJson(*k);
  if (!kb.ok()) return kb.error();
  t.key = std::move(kb.value());
  auto v = j.find("value");
  if (v != j.end()) {
    auto vb = BaseType::FromJson(*v);
    if (!vb.ok()) return vb.error();
    t.value = std::move(vb.value());
  }
  auto mn = j.find("min");
  if (mn != j.end()) {
    if (!mn->is_number_integer() || mn->get<int64_t>() < 0 || mn->get<int64_t>() > 1)
      return TypeSyntax(j, "\"min\" must be 0 or 1");
    t.n_min = static_cast<unsigned>(mn->get<int64_t>());
  }
  auto mx = j.find("max");
  if (mx != j.end()) {
    if (mx->is_string() && mx->get_ref<const std::string&>() == "unlimited") {
      t.n_max = kUnlimited;
    } else if (mx->is_number_integer() && mx->get<int64_t>() >= 1 &&
               mx->get<int64_t>() < int64_t(kUnlimited)) {
      t.n_max = static_cast<unsigned>(mx->get<int64_t>());
    } else {
      return TypeSyntax(j, "\"max\" must be a positive integer or \"unlimited\"");
    }
  }
  if (t.n_min > t.n_max) return TypeSyntax(j, "\"min\" exceeds \"max\"");
  return t;
}

Json ColumnType::ToJson() const {
  if (!value && n_min == 1 && n_max == 1 && !key.has_constraints()) return key.ToJson();
  Json j = Json::object();
  j["key"] = key.ToJson();
  if (value) j["value"] = value->ToJson();
  if (n_min != 1) j["min"] = n_min;
  if (n_max == kUnlimited) j["max"] = "unlimited";
  else if (n_max != 1) j["max"] = n_max;
  return j;
}

std::string ColumnType::ToString() const { return JsonToString(ToJson()); }

std::string ColumnType::ToEnglish() const {
  const char* key_name = AtomicTypeName(key.type);
  if (is_scalar()) return key_name;
  std::string s = is_map() ? "map" : "set";
  if (n_max == kUnlimited) {
    s += n_min ? fmt::format(" of {} or more", n_min) : std::string(" of");
  } else if (n_min) {
    s += fmt::format(" of {} to {}", n_min, n_max);
  } else {
    s += fmt::format(" of up to {}", n_max);
  }
  if (is_map()) return s + fmt::format(" ({}, {}) pairs", key_name, AtomicTypeName(value->type));
  return s + fmt::format(" {}s", key_name);
}

}  // namespace vs::ovsdb
