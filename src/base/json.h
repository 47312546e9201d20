// JSON for numavs: nlohmann::json (ordered keys are not needed; OVSDB objects
// are unordered). `Json` is the one spelling used across the code base.
#pragma once

#include <nlohmann/json.hpp>

namespace vs {
using Json = nlohmann::json;

// Serialises compactly; invalid UTF-8 is replaced rather than thrown on.
inline std::string JsonToString(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}
}  // namespace vs
