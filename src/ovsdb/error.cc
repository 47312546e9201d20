#include "ovsdb/error.h"

#include <fmt/format.h>

namespace vs::ovsdb {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kSyntaxError: return "syntax error";
    case ErrorCode::kUnknownColumn: return "unknown column";
    case ErrorCode::kUnknownFunction: return "unknown function";
    case ErrorCode::kUnknownMutator: return "unknown mutator";
    case ErrorCode::kUnknownTable: return "unknown table";
    case ErrorCode::kUnknownDatabase: return "unknown database";
    case ErrorCode::kConstraintViolation: return "constraint violation";
    case ErrorCode::kReferentialIntegrity: return "referential integrity violation";
    case ErrorCode::kResourcesExhausted: return "resources exhausted";
    case ErrorCode::kTimedOut: return "timed out";
    case ErrorCode::kNotOwner: return "not owner";
    case ErrorCode::kAborted: return "aborted";
    case ErrorCode::kDomainError: return "domain error";
    case ErrorCode::kRangeError: return "range error";
    case ErrorCode::kDuplicateUuidName: return "duplicate uuid-name";
    case ErrorCode::kDuplicateUuid: return "duplicate uuid";
    case ErrorCode::kNotSupported: return "not supported";
    case ErrorCode::kNotAllowed: return "not allowed";
    case ErrorCode::kIoError: return "I/O error";
    case ErrorCode::kInternalError: return "internal error";
    case ErrorCode::kOvsdbError: return "ovsdb error";
  }
  return "internal error";
}

std::string NotAllowedMembers(const std::vector<std::string>& names) {
  if (names.size() == 1) return fmt::format("Member '{}' is present but not allowed here.", names[0]);
  return fmt::format("Member '{}' and {} other member{} are present but not allowed here.", names[0],
                     names.size() - 1, names.size() > 2 ? "s" : "");
}

Error ParserError(const Json& j, const std::string& what, const std::string& details) {
  std::string d = fmt::format("Parsing {} failed: {}", what, details);
  return j.is_object() ? Error(ErrorCode::kSyntaxError, std::move(d), j)
                       : Error(ErrorCode::kSyntaxError, std::move(d));
}

Json Error::ToJson() const {
  Json j = Json::object();
  j["error"] = ErrorCodeName(code_);
  if (!details_.empty()) j["details"] = details_;
  if (syntax_) j["syntax"] = *syntax_;
  return j;
}

std::string Error::ToString() const {
  std::string s = ErrorCodeName(code_);
  if (!details_.empty()) {
    s += ": ";
    s += details_;
  }
  return s;
}

}  // namespace vs::ovsdb
