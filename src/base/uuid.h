// 128-bit UUIDs as OVSDB uses them: random (version 4) for rows and
// transactions, printed in the canonical 8-4-4-4-12 lower-case form.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace vs {

struct Uuid {
  uint64_t hi = 0;
  uint64_t lo = 0;

  static Uuid Random();
  // Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (either case); nullopt otherwise.
  static std::optional<Uuid> Parse(std::string_view s);
  static bool IsValid(std::string_view s) { return Parse(s).has_value(); }

  bool is_zero() const { return hi == 0 && lo == 0; }
  std::string ToString() const;

  friend auto operator<=>(const Uuid&, const Uuid&) = default;
};

}  // namespace vs

template <>
struct std::hash<vs::Uuid> {
  size_t operator()(const vs::Uuid& u) const noexcept { return u.hi ^ (u.lo * 0x9e3779b97f4a7c15ULL); }
};
