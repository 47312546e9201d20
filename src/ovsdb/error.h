// OVSDB error objects (RFC 7047 §3.1 <error>): {"error":"<tag>","details":"..."}.
//
// The tag set is closed (STYLE E9): every failure the engine can report maps to
// one ErrorCode, and ErrorCodeName() gives the exact wire string ovsdb-server
// uses, because clients (ovs-vsctl, the Python IDL) print or match on them.
// `syntax` optionally carries the offending JSON text, as ovsdb-server does for
// parse errors. ErrorOr<T> is the engine-internal "value or error object"; the
// public API converts to vs::Status (EINVAL + rendered text) where a Status is
// expected.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace vs::ovsdb {

enum class ErrorCode {
  kSyntaxError,            // "syntax error"
  kUnknownColumn,          // "unknown column"
  kUnknownFunction,        // "unknown function" (condition)
  kUnknownMutator,         // "unknown mutator"
  kUnknownTable,           // "unknown table" (log replay only; transact uses syntax error)
  kUnknownDatabase,        // "unknown database"
  kConstraintViolation,    // "constraint violation"
  kReferentialIntegrity,   // "referential integrity violation"
  kResourcesExhausted,     // "resources exhausted"
  kTimedOut,               // "timed out"
  kNotOwner,               // "not owner"
  kAborted,                // "aborted"
  kDomainError,            // "domain error"
  kRangeError,             // "range error"
  kDuplicateUuidName,      // "duplicate uuid-name"
  kDuplicateUuid,          // "duplicate uuid" (insert with an explicit "uuid" in use)
  kNotSupported,           // "not supported"
  kNotAllowed,             // "not allowed"
  kIoError,                // "I/O error"
  kInternalError,          // "internal error"
  kOvsdbError,             // "ovsdb error" (ovsdb-server's untagged errors: duplicate set/map members)
};

// The wire string for `code` (always a static string).
const char* ErrorCodeName(ErrorCode code);

// ovsdb-server's words for the members an object may not have (`names` not
// empty): "Member 'a' is present but not allowed here." or "Member 'a' and 2
// other members are present but not allowed here."
std::string NotAllowedMembers(const std::vector<std::string>& names);

class Error {
 public:
  Error(ErrorCode code, std::string details) : code_(code), details_(std::move(details)) {}
  Error(ErrorCode code, std::string details, const Json& syntax)
      : code_(code), details_(std::move(details)), syntax_(JsonToString(syntax)) {}

  ErrorCode code() const { return code_; }
  const std::string& details() const { return details_; }
  const std::optional<std::string>& syntax() const { return syntax_; }

  // {"error":tag,"details":...[,"syntax":...]}
  Json ToJson() const;
  // "tag: details" — for logs and Status messages.
  std::string ToString() const;
  // EINVAL Status carrying ToString().
  Status ToStatus() const { return Status(EINVAL, ToString()); }

 private:
  ErrorCode code_;
  std::string details_;
  std::optional<std::string> syntax_;
};

// ovsdb-server's parser errors: "syntax error", "Parsing <what> failed:
// <details>", with `j` as "syntax" when it is an object (none otherwise).
Error ParserError(const Json& j, const std::string& what, const std::string& details);

// A success value or one Error. Used throughout the engine instead of exceptions.
template <typename T>
class [[nodiscard]] ErrorOr {
 public:
  ErrorOr(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  ErrorOr(Error error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// nullopt = success.
using MaybeError = std::optional<Error>;

}  // namespace vs::ovsdb
