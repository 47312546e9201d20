// Splits a byte stream into JSON texts (RFC 7047 §4: JSON-RPC messages are
// bare JSON objects, one after another, with no delimiter).
//
// Feed() takes bytes as they arrive; Next() yields each complete top-level
// value as a string_view into the framer's buffer, valid until the next
// Feed(). The scanner tracks only string/escape state and the stack of open
// brackets (a mismatched bracket is an error at once), so it is linear in the
// input and never parses a value twice; runs of bytes that cannot change that
// state are skipped in a tight loop. The caller parses each text
// (base/json_parse.h). A message larger than `max_message` bytes (checked
// when it completes and at the end of each Next()), or bytes that cannot
// begin a JSON object or array at top level, put the framer in a sticky
// error state (the connection should then be closed).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace vs::jsonrpc {

class Framer {
 public:
  explicit Framer(size_t max_message = kDefaultMaxMessage) : max_message_(max_message) {}

  static constexpr size_t kDefaultMaxMessage = 128u << 20;  // 128 MiB
  // Deeper nesting is refused (protects the recursive JSON printer).
  static constexpr int kMaxDepth = 1000;

  void Feed(std::string_view bytes);
  // Returns the next complete message, or nullopt if more bytes are needed
  // (or on error: check error()).
  std::optional<std::string_view> Next();
  // Non-empty once the stream is unusable; describes why.
  const std::string& error() const { return error_; }
  // Bytes buffered for a message not yet complete.
  size_t pending() const { return buf_.size() - start_; }

 private:
  std::nullopt_t TooLarge();  // sets error_

  std::string buf_;
  size_t start_ = 0;    // first byte of the message being scanned
  size_t scan_ = 0;     // next byte to scan
  int depth_ = 0;
  std::string closers_;  // expected closing bracket per open level
  bool in_string_ = false;
  bool escape_ = false;
  size_t max_message_;
  std::string error_;
};

}  // namespace vs::jsonrpc
