// Status and Result<T>: errors as values (STYLE E1-E5).
//
// A Status is either OK or carries an errno-class code plus a sentence a user
// can act on. Result<T> holds a T or a non-OK Status. Project code does not
// throw; fallible control-path calls return one of these. Context is added as
// an error climbs with Status::Wrap ("opening dpdk0: " + inner message).
#pragma once

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace vs {

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(int code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  // Builds an error from an errno value, appending strerror text.
  static Status FromErrno(int err, std::string_view what) {
    return Status(err, fmt::format("{} ({})", what, std::strerror(err)));
  }

  bool ok() const { return code_ == 0; }
  int code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy with "context: " prefixed to the message; OK stays OK.
  Status Wrap(std::string_view context) const {
    if (ok()) return *this;
    return Status(code_, fmt::format("{}: {}", context, message_));
  }

 private:
  int code_ = 0;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: must not be OK

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace vs

// Returns early from the enclosing function if `expr` (a Status) is not OK.
#define VS_RETURN_IF_ERROR(expr)          \
  do {                                    \
    ::vs::Status vs_status_ = (expr);     \
    if (!vs_status_.ok()) return vs_status_; \
  } while (0)
