// Connection strings, as OVS spells them, parsed in one place for the server
// (listeners), the blocking client and the daemons' database client:
//   unix:PATH            connect to a unix socket
//   tcp:HOST:PORT        connect over TCP (HOST an address or a name; IPv6 in
//                        brackets: tcp:[::1]:6640)
//   punix:PATH           listen on a unix socket
//   ptcp:PORT[:IP]       listen on TCP (IP defaults to 127.0.0.1 in numavs;
//                        IPv6 in brackets: ptcp:6640:[::1])
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vs::jsonrpc {

struct Remote {
  enum class Kind { kUnix, kTcp, kPunix, kPtcp };
  Kind kind = Kind::kUnix;
  std::string path;  // unix:, punix:
  std::string host;  // tcp: the peer; ptcp: the address to bind (no brackets)
  uint16_t port = 0;
  bool passive() const { return kind == Kind::kPunix || kind == Kind::kPtcp; }
};

// Errors: EINVAL with the text and what was expected ("tcp:1.2.3.4: expected
// tcp:HOST:PORT"), for an unknown method, an empty path or host, a port that
// is not 0..65535 (1..65535 for tcp:), an unclosed bracket.
Result<Remote> ParseRemote(std::string_view text);

}  // namespace vs::jsonrpc
