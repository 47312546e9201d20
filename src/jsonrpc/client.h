// Blocking JSON-RPC 1.0 client for OVSDB-style peers (RFC 7047 §4).
//
// One Client owns one stream socket (unix:PATH or tcp:IP:PORT). Call() sends a
// request and blocks until the reply with the same id arrives; notifications
// that arrive meanwhile (id null, e.g. "update"/"update3") are queued and
// handed out by NextNotification(). Requests from the server are answered
// inline: "echo" is echoed back, anything else gets an error reply, so that a
// server's inactivity probe never kills a slow client.
//
// Every blocking call takes an absolute deadline (steady clock); a missed
// deadline returns ETIMEDOUT. The Client is not thread-safe: one thread
// drives it. It never throws; malformed input from the peer is an EPROTO
// error and the connection is then unusable.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "base/json.h"
#include "base/status.h"
#include "jsonrpc/framer.h"

namespace vs::jsonrpc {

using Clock = std::chrono::steady_clock;

// A notification or request received from the server.
struct Message {
  std::string method;
  Json params;
};

class Client {
 public:
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Connects to "unix:PATH" or "tcp:HOST:PORT" ("tcp:[v6]:PORT" too).
  // timeout_ms <= 0 waits as long as the OS does.
  // Errors: EINVAL (bad remote syntax), ETIMEDOUT, or the errno of
  // socket()/connect() (ENOENT, ECONNREFUSED, ...), with the remote named.
  static Result<std::unique_ptr<Client>> Connect(const std::string& remote, int timeout_ms);

  // Sends {"method":method,"params":params,"id":N} and waits for the reply.
  // Returns "result" on success. A JSON-RPC error reply is EREMOTEIO whose
  // message is the error value serialised as JSON. Errors: ETIMEDOUT
  // (deadline, or timeout_ms elapsed), EPIPE/ECONNRESET (peer closed), EPROTO.
  Result<Json> Call(const std::string& method, const Json& params, int timeout_ms = -1);
  Result<Json> CallUntil(const std::string& method, const Json& params,
                         std::optional<Clock::time_point> deadline);

  // Returns the next queued notification, reading from the socket until one
  // arrives or `deadline` passes (nullopt deadline: block forever).
  // Errors: ETIMEDOUT, EPIPE, EPROTO.
  Result<Message> NextNotification(std::optional<Clock::time_point> deadline);

  const std::string& remote() const { return remote_; }

 private:
  Client(int fd, std::string remote) : fd_(fd), remote_(std::move(remote)) {}
  Status Send(const Json& msg);
  // Reads and dispatches one message; replies are stored in `reply_`.
  Status ReadOne(std::optional<Clock::time_point> deadline);
  Status Dispatch(Json msg);

  int fd_ = -1;
  std::string remote_;
  Framer framer_;
  int64_t next_id_ = 1;
  int64_t waiting_id_ = -1;
  std::optional<Json> reply_;
  std::deque<Message> notifications_;
  std::string broken_;  // non-empty once the stream is unusable
};

// Parses a deadline from a relative timeout in ms (<= 0: none).
std::optional<Clock::time_point> DeadlineAfter(int timeout_ms);

}  // namespace vs::jsonrpc
