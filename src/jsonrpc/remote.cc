#include "jsonrpc/remote.h"

#include <fmt/format.h>

namespace vs::jsonrpc {
namespace {

Status Bad(std::string_view text, const char* expected) {
  return Status(EINVAL, fmt::format("\"{}\": expected {}", text, expected));
}

// "123" -> 123 when it is a decimal number in [min, 65535].
bool ParsePort(std::string_view s, int min, uint16_t* out) {
  if (s.empty() || s.size() > 5) return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v < min || v > 65535) return false;
  *out = static_cast<uint16_t>(v);
  return true;
}

// "[v6]" -> "v6"; anything else unchanged. False for an unclosed bracket.
bool Unbracket(std::string_view s, std::string* out) {
  if (!s.empty() && s.front() == '[') {
    if (s.size() < 3 || s.back() != ']') return false;
    *out = std::string(s.substr(1, s.size() - 2));
    return true;
  }
  if (s.find_first_of("[]") != std::string_view::npos) return false;
  *out = std::string(s);
  return true;
}

}  // namespace

Result<Remote> ParseRemote(std::string_view text) {
  Remote r;
  auto starts = [&](std::string_view p) { return text.substr(0, p.size()) == p; };
  if (starts("unix:") || starts("punix:")) {
    r.kind = starts("unix:") ? Remote::Kind::kUnix : Remote::Kind::kPunix;
    r.path = std::string(text.substr(text.find(':') + 1));
    if (r.path.empty()) return Bad(text, r.passive() ? "punix:PATH" : "unix:PATH");
    return r;
  }
  if (starts("tcp:")) {
    r.kind = Remote::Kind::kTcp;
    std::string_view rest = text.substr(4);
    size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon == 0 ||
        !Unbracket(rest.substr(0, colon), &r.host) || r.host.empty() ||
        (r.host.find(':') != std::string::npos && rest.front() != '[') ||
        !ParsePort(rest.substr(colon + 1), 1, &r.port))
      return Bad(text, "tcp:HOST:PORT (IPv6 in brackets: tcp:[::1]:6640; PORT 1 to 65535)");
    return r;
  }
  if (starts("ptcp:")) {
    r.kind = Remote::Kind::kPtcp;
    std::string_view rest = text.substr(5);
    size_t colon = rest.find(':');
    std::string_view port = rest.substr(0, colon);
    r.host = "127.0.0.1";
    if (colon != std::string_view::npos &&
        (!Unbracket(rest.substr(colon + 1), &r.host) || r.host.empty()))
      return Bad(text, "ptcp:PORT[:IP] (IPv6 in brackets: ptcp:6640:[::1])");
    if (!ParsePort(port, 0, &r.port))
      return Bad(text, "ptcp:PORT[:IP] with PORT 0 to 65535");
    return r;
  }
  return Status(EINVAL, fmt::format("\"{}\": unknown connection method (expected unix:PATH, "
                                    "tcp:HOST:PORT, punix:PATH or ptcp:PORT[:IP])",
                                    text));
}

}  // namespace vs::jsonrpc
