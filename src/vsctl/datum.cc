#include "vsctl/datum.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace vs::vsctl {

// ---- Atom / Datum basics ---------------------------------------------------

Atom Atom::Default(AtomicType t) {
  Atom a;
  a.type = t;
  return a;
}

std::weak_ordering Atom::operator<=>(const Atom& o) const {
  if (type != o.type) return type <=> o.type;
  switch (type) {
    case AtomicType::kInteger: return i <=> o.i;
    case AtomicType::kReal:
      return r < o.r ? std::weak_ordering::less
             : r > o.r ? std::weak_ordering::greater : std::weak_ordering::equivalent;
    case AtomicType::kBoolean: return b <=> o.b;
    case AtomicType::kString: {
      int c = s.compare(o.s);  // byte order, as OVSDB's strcmp
      return c < 0 ? std::weak_ordering::less
             : c > 0 ? std::weak_ordering::greater : std::weak_ordering::equivalent;
    }
    case AtomicType::kUuid: return u <=> o.u;
  }
  return std::weak_ordering::equivalent;
}

Datum Datum::Default(const ColumnType& t) {
  Datum d;
  if (t.n_min > 0) {
    d.keys.push_back(Atom::Default(t.key.type));
    if (t.value) d.values.push_back(Atom::Default(t.value->type));
  }
  return d;
}

void Datum::Normalize() {
  std::vector<size_t> idx(keys.size());
  for (size_t i = 0; i < idx.size(); i++) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  Datum out;
  for (size_t i : idx) {
    if (!out.keys.empty() && out.keys.back() == keys[i]) continue;
    out.keys.push_back(keys[i]);
    if (!values.empty()) out.values.push_back(values[i]);
  }
  *this = std::move(out);
}

int Datum::Find(const Atom& key) const {
  auto it = std::lower_bound(keys.begin(), keys.end(), key);
  if (it == keys.end() || !(*it == key)) return -1;
  return static_cast<int>(it - keys.begin());
}

bool Datum::Contains(const Atom& key) const { return Find(key) >= 0; }

// ---- constraints -----------------------------------------------------------

static std::string RealText(double r) { return fmt::format("{:.15g}", r); }

Status CheckAtom(const Atom& a, const BaseType& base) {
  if (base.enum_values) {
    if (!std::binary_search(base.enum_values->begin(), base.enum_values->end(), a)) {
      Datum e;
      e.keys = *base.enum_values;
      ColumnType t;
      t.key.type = base.type;
      t.n_min = 0;
      t.n_max = ColumnType::kUnlimited;
      return Status(EINVAL, fmt::format("constraint violation: {} is not one of the allowed "
                                        "values ({})", AtomToString(a), DatumToString(e, t)));
    }
    return Status::Ok();
  }
  if (a.type == AtomicType::kInteger && (base.min_integer || base.max_integer)) {
    bool lo = base.min_integer && a.i < *base.min_integer;
    bool hi = base.max_integer && a.i > *base.max_integer;
    if (lo || hi) {
      if (base.min_integer && base.max_integer) {
        return Status(EINVAL, fmt::format("constraint violation: {} is not in the valid range "
                                          "{} to {} (inclusive)", a.i, *base.min_integer,
                                          *base.max_integer));
      }
      return Status(EINVAL, lo ? fmt::format("constraint violation: {} is less than minimum "
                                             "allowed value {}", a.i, *base.min_integer)
                               : fmt::format("constraint violation: {} is greater than maximum "
                                             "allowed value {}", a.i, *base.max_integer));
    }
  }
  if (a.type == AtomicType::kReal && ((base.min_real && a.r < *base.min_real) ||
                                      (base.max_real && a.r > *base.max_real))) {
    return Status(EINVAL, fmt::format("constraint violation: {} is not in the valid range {} to "
                                      "{} (inclusive)", RealText(a.r),
                                      RealText(base.min_real.value_or(-HUGE_VAL)),
                                      RealText(base.max_real.value_or(HUGE_VAL))));
  }
  if (a.type == AtomicType::kString) {
    int64_t len = static_cast<int64_t>(a.s.size());
    if (base.min_length && len < *base.min_length) {
      return Status(EINVAL, fmt::format("constraint violation: {} length {} is less than minimum "
                                        "allowed length {}", QuoteString(a.s), len,
                                        *base.min_length));
    }
    if (base.max_length && len > *base.max_length) {
      return Status(EINVAL, fmt::format("constraint violation: {} length {} is greater than "
                                        "maximum allowed length {}", QuoteString(a.s), len,
                                        *base.max_length));
    }
  }
  return Status::Ok();
}

// ---- wire form -------------------------------------------------------------

Result<Atom> AtomFromJson(const Json& j, const BaseType& base) {
  switch (base.type) {
    case AtomicType::kInteger:
      if (j.is_number_integer()) return Atom::Integer(j.get<int64_t>());
      break;
    case AtomicType::kReal:
      if (j.is_number()) return Atom::Real(j.get<double>());
      break;
    case AtomicType::kBoolean:
      if (j.is_boolean()) return Atom::Boolean(j.get<bool>());
      break;
    case AtomicType::kString:
      if (j.is_string()) return Atom::String(j.get<std::string>());
      break;
    case AtomicType::kUuid:
      if (j.is_array() && j.size() == 2 && j[0] == "uuid" && j[1].is_string()) {
        if (auto u = Uuid::Parse(j[1].get_ref<const std::string&>())) return Atom::FromUuid(*u);
      }
      break;
  }
  return Status(EPROTO, fmt::format("expected {} but got {}", AtomicTypeName(base.type),
                                    JsonToString(j)));
}

Result<Datum> DatumFromJson(const Json& j, const ColumnType& type) {
  Datum d;
  if (type.is_map()) {
    if (!j.is_array() || j.size() != 2 || j[0] != "map" || !j[1].is_array()) {
      return Status(EPROTO, fmt::format("expected a map but got {}", JsonToString(j)));
    }
    for (const Json& pair : j[1]) {
      if (!pair.is_array() || pair.size() != 2) return Status(EPROTO, "bad map pair");
      auto k = AtomFromJson(pair[0], type.key);
      if (!k.ok()) return k.status();
      auto v = AtomFromJson(pair[1], *type.value);
      if (!v.ok()) return v.status();
      d.keys.push_back(std::move(*k));
      d.values.push_back(std::move(*v));
    }
  } else if (j.is_array() && j.size() == 2 && j[0] == "set") {
    if (!j[1].is_array()) return Status(EPROTO, "bad set");
    for (const Json& e : j[1]) {
      auto k = AtomFromJson(e, type.key);
      if (!k.ok()) return k.status();
      d.keys.push_back(std::move(*k));
    }
  } else {
    auto k = AtomFromJson(j, type.key);
    if (!k.ok()) return k.status();
    d.keys.push_back(std::move(*k));
  }
  d.Normalize();
  return d;
}

Json AtomToJson(const Atom& a, const UuidEncoder& enc) {
  switch (a.type) {
    case AtomicType::kInteger: return a.i;
    case AtomicType::kReal: return a.r;
    case AtomicType::kBoolean: return a.b;
    case AtomicType::kString: return a.s;
    case AtomicType::kUuid:
      return enc ? enc(a.u) : Json::array({"uuid", a.u.ToString()});
  }
  return nullptr;
}

Json DatumToJson(const Datum& d, const ColumnType& type, const UuidEncoder& enc) {
  if (type.is_map()) {
    Json pairs = Json::array();
    for (size_t i = 0; i < d.size(); i++) {
      pairs.push_back(Json::array({AtomToJson(d.keys[i], enc), AtomToJson(d.values[i], enc)}));
    }
    return Json::array({"map", std::move(pairs)});
  }
  if (d.size() == 1) return AtomToJson(d.keys[0], enc);
  Json elems = Json::array();
  for (const Atom& a : d.keys) elems.push_back(AtomToJson(a, enc));
  return Json::array({"set", std::move(elems)});
}

// ---- ovs-vsctl input syntax ------------------------------------------------

static bool IsDelim(char c) { return std::strchr(":=, []{}!<>", c) != nullptr && c != '\0'; }

static std::string_view SkipSpaces(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s[0]))) s.remove_prefix(1);
  return s;
}

Result<std::string> ParseToken(std::string_view* s) {
  std::string out;
  bool in_quotes = false;
  std::string_view p = *s;
  while (!p.empty()) {
    char c = p[0];
    if (c == '\\') {
      if (in_quotes) out += '\\';
      if (p.size() < 2) {
        return Status(EINVAL, fmt::format("{}: backslash at end of argument", *s));
      }
      out += p[1];
      p.remove_prefix(2);
      continue;
    }
    if (!in_quotes && IsDelim(c)) break;
    out += c;
    if (c == '"') in_quotes = !in_quotes;
    p.remove_prefix(1);
  }
  if (in_quotes) {
    return Status(EINVAL, fmt::format("{}: quoted string extends past end of argument", *s));
  }
  *s = p;
  return out;
}

static Result<Atom> ParseAtomText(std::string_view s, const BaseType& base,
                                  const SymbolResolver& sym) {
  std::string str(s);
  switch (base.type) {
    case AtomicType::kInteger: {
      errno = 0;
      char* end = nullptr;
      long long v = std::strtoll(str.c_str(), &end, 10);
      if (str.empty() || errno || *end) {
        return Status(EINVAL, fmt::format("\"{}\" is not a valid integer or range", str));
      }
      return Atom::Integer(v);
    }
    case AtomicType::kReal: {
      errno = 0;
      char* end = nullptr;
      double v = std::strtod(str.c_str(), &end);
      if (str.empty() || errno || *end) {
        return Status(EINVAL, fmt::format("\"{}\" is not a valid real number", str));
      }
      return Atom::Real(v);
    }
    case AtomicType::kBoolean:
      if (str == "true") return Atom::Boolean(true);
      if (str == "false") return Atom::Boolean(false);
      return Status(EINVAL, fmt::format("\"{}\" is not a valid boolean (use \"true\" or \"false\")",
                                        str));
    case AtomicType::kString:
      if (!str.empty() && str[0] == '"') {
        if (str.size() < 2 || str.back() != '"') {
          return Status(EINVAL, fmt::format("{}: missing quote at end of quoted string", str));
        }
        Json j = Json::parse(str, nullptr, false);
        if (j.is_discarded() || !j.is_string()) {
          return Status(EINVAL, fmt::format("{}: invalid quoted string", str));
        }
        return Atom::String(j.get<std::string>());
      }
      return Atom::String(str);
    case AtomicType::kUuid:
      if (!str.empty() && str[0] == '@' && sym) {
        auto u = sym(str);
        if (!u.ok()) return u.status();
        return Atom::FromUuid(*u);
      }
      if (auto u = Uuid::Parse(str)) return Atom::FromUuid(*u);
      return Status(EINVAL, fmt::format("\"{}\" is not a valid UUID", str));
  }
  return Status(EINVAL, "bad type");
}

Result<Atom> AtomFromString(std::string_view s, const BaseType& base, const SymbolResolver& sym) {
  auto a = ParseAtomText(s, base, sym);
  if (!a.ok()) return a;
  VS_RETURN_IF_ERROR(CheckAtom(*a, base));
  return a;
}

static Result<Atom> ParseAtomToken(std::string_view* p, const BaseType& base,
                                   const SymbolResolver& sym) {
  auto tok = ParseToken(p);
  if (!tok.ok()) return tok.status();
  return AtomFromString(*tok, base, sym);
}

static Status CheckCount(const Datum& d, const ColumnType& type) {
  int64_t n = static_cast<int64_t>(d.size());
  if (n < type.n_min || n > type.n_max) {
    std::string max = type.n_max == ColumnType::kUnlimited ? "unlimited"
                                                           : std::to_string(type.n_max);
    return Status(EINVAL, fmt::format("{} values when type requires between {} and {}", n,
                                      type.n_min, max));
  }
  return Status::Ok();
}

Result<Datum> DatumFromString(std::string_view s, const ColumnType& type,
                              const SymbolResolver& sym) {
  bool is_map = type.is_map();
  std::string_view p = SkipSpaces(s);
  char end_delim = 0;
  if (!p.empty() && p[0] == (is_map ? '{' : '[')) {
    end_delim = is_map ? '}' : ']';
    p = SkipSpaces(p.substr(1));
  } else if (p.empty()) {
    return Status(EINVAL, is_map ? "use \"{}\" to specify the empty map"
                                 : "use \"[]\" to specify the empty set");
  }
  Datum d;
  while (!p.empty() && (!end_delim || p[0] != end_delim)) {
    if (IsDelim(p[0])) {
      return Status(EINVAL, fmt::format("{}: unexpected \"{}\" parsing value", s, p[0]));
    }
    auto key = ParseAtomToken(&p, type.key, sym);
    if (!key.ok()) return key.status();
    d.keys.push_back(std::move(*key));
    if (is_map) {
      p = SkipSpaces(p);
      if (p.empty() || p[0] != '=') {
        // OVS prints the offending character with %c; at the end that is a NUL
        // that cuts the message short.
        return Status(EINVAL, p.empty() ? fmt::format("{}: syntax error at \"", s)
                                        : fmt::format("{}: syntax error at \"{}\" expecting \"=\"",
                                                      s, p[0]));
      }
      p = SkipSpaces(p.substr(1));
      auto value = ParseAtomToken(&p, *type.value, sym);
      if (!value.ok()) return value.status();
      d.values.push_back(std::move(*value));
    }
    p = SkipSpaces(p);
    if (!p.empty() && p[0] == ',') p = SkipSpaces(p.substr(1));
  }
  if (end_delim) {
    if (p.empty() || p[0] != end_delim) {
      return Status(EINVAL, fmt::format("{}: missing \"{}\" at end of data", s, end_delim));
    }
    p = SkipSpaces(p.substr(1));
    if (!p.empty()) {
      return Status(EINVAL, fmt::format("{}: trailing garbage after \"{}\"", s, end_delim));
    }
  }
  d.Normalize();
  VS_RETURN_IF_ERROR(CheckCount(d, type));
  return d;
}

// ---- ovs-vsctl output syntax -----------------------------------------------

std::string QuoteString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

static bool IsAsciiAlpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool IsAsciiDigit(unsigned char c) { return c >= '0' && c <= '9'; }

// True if `s` would not read back as itself when printed bare.
static bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  unsigned char c0 = s[0];
  if (!IsAsciiAlpha(c0) && c0 != '_') return true;
  for (size_t i = 1; i < s.size(); i++) {
    unsigned char c = s[i];
    if (!IsAsciiAlpha(c) && !IsAsciiDigit(c) && c != '_' && c != '-' && c != '.') return true;
  }
  if (s == "true" || s == "false") return true;
  return Uuid::IsValid(s);
}

std::string AtomToString(const Atom& a) {
  switch (a.type) {
    case AtomicType::kInteger: return std::to_string(a.i);
    case AtomicType::kReal: return RealText(a.r);
    case AtomicType::kBoolean: return a.b ? "true" : "false";
    case AtomicType::kString: return NeedsQuotes(a.s) ? QuoteString(a.s) : a.s;
    case AtomicType::kUuid: return a.u.ToString();
  }
  return "";
}

std::string DatumToString(const Datum& d, const ColumnType& type) {
  bool is_map = type.is_map();
  bool brackets = type.n_max > 1 || d.empty();
  std::string out;
  if (brackets) out += is_map ? '{' : '[';
  for (size_t i = 0; i < d.size(); i++) {
    if (i) out += ", ";
    out += AtomToString(d.keys[i]);
    if (is_map) {
      out += '=';
      out += AtomToString(d.values[i]);
    }
  }
  if (brackets) out += is_map ? '}' : ']';
  return out;
}

}  // namespace vs::vsctl
