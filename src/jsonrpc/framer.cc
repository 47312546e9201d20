#include "jsonrpc/framer.h"

#include <fmt/format.h>

namespace vs::jsonrpc {

void Framer::Feed(std::string_view bytes) {
  if (!error_.empty()) return;
  if (start_ > 0 && start_ == buf_.size()) {
    buf_.clear();
    scan_ = start_ = 0;
  } else if (start_ > (1u << 20) && start_ > buf_.size() / 2) {
    buf_.erase(0, start_);
    scan_ -= start_;
    start_ = 0;
  }
  buf_.append(bytes);
}

namespace {
// Bytes the scanner must look at: inside a string only '"' and '\\', outside
// also brackets. Runs of other bytes (most of a message) are skipped in a
// tight loop.
struct Classes {
  bool in_string[256] = {};
  bool outside[256] = {};
  constexpr Classes() {
    in_string[static_cast<unsigned char>('"')] = in_string[static_cast<unsigned char>('\\')] = true;
    for (char c : {'"', '{', '}', '[', ']'}) outside[static_cast<unsigned char>(c)] = true;
  }
};
constexpr Classes kClasses;
}  // namespace

std::optional<std::string_view> Framer::Next() {
  if (!error_.empty()) return std::nullopt;
  const char* p = buf_.data();
  size_t n = buf_.size();
  while (scan_ < n) {
    char c = p[scan_];
    if (depth_ == 0) {
      // Between messages: skip whitespace; a message must start with { or [.
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        scan_++;
        start_ = scan_;
        continue;
      }
      if (c != '{' && c != '[') {
        error_ = fmt::format("syntax error: unexpected byte 0x{:02x} between JSON-RPC messages",
                             static_cast<unsigned char>(c));
        return std::nullopt;
      }
      start_ = scan_;
    } else if (escape_) {
      escape_ = false;  // the escaped byte, whatever it is
      scan_++;
      continue;
    } else {
      const bool* special = in_string_ ? kClasses.in_string : kClasses.outside;
      while (scan_ < n && !special[static_cast<unsigned char>(p[scan_])]) scan_++;
      if (scan_ == n) break;
      c = p[scan_];
    }
    scan_++;
    if (in_string_) {
      if (c == '\\') {
        escape_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
    } else if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      if (++depth_ > kMaxDepth) {
        error_ = fmt::format("syntax error: JSON nested more than {} levels deep", kMaxDepth);
        return std::nullopt;
      }
      closers_.push_back(c == '{' ? '}' : ']');
    } else if (c == '}' || c == ']') {
      if (closers_.empty() || closers_.back() != c) {
        error_ = fmt::format("syntax error: unexpected '{}' at byte {} of a JSON-RPC message", c,
                             scan_ - start_);
        return std::nullopt;
      }
      closers_.pop_back();
      if (--depth_ == 0) {
        if (scan_ - start_ > max_message_) return TooLarge();
        std::string_view msg(p + start_, scan_ - start_);
        start_ = scan_;
        return msg;
      }
    }
  }
  if (depth_ > 0 && scan_ - start_ > max_message_) return TooLarge();
  return std::nullopt;
}

std::nullopt_t Framer::TooLarge() {
  error_ = fmt::format("message exceeds the {} MiB limit", max_message_ >> 20);
  return std::nullopt;
}

}  // namespace vs::jsonrpc
