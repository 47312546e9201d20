// Asio stream connections and listeners that carry JSON-RPC (RFC 7047 §4 framing).
//
// A Connection owns one accepted socket (unix or TCP, held as a generic stream
// socket). It reads, splits the byte stream with Framer, parses each message
// with nlohmann and hands it to the message handler; Send() queues a message
// and writes queued messages in order. A connection whose stream cannot be
// parsed, whose queued output exceeds its limit, or whose peer closes, is
// closed and reported once to the close handler. All of this runs on the
// io_context's single thread; nothing here locks.
//
// A Listener accepts on "punix:PATH" or "ptcp:PORT[:IP]" (IP defaults to
// 127.0.0.1: loopback unless the user names another address).
#pragma once

#include <cstddef>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include <asio.hpp>

#include "base/json.h"
#include "base/status.h"
#include "jsonrpc/framer.h"

namespace vs::jsonrpc {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Socket = asio::generic::stream_protocol::socket;
  using MessageHandler = std::function<void(Connection&, Json&&)>;
  using CloseHandler = std::function<void(Connection&, const std::string& why)>;

  Connection(Socket socket, std::string peer, size_t max_message, size_t max_backlog);
  ~Connection();

  // Starts reading. Handlers are called on the io_context thread.
  void Start(MessageHandler on_message, CloseHandler on_close);
  // Queues `msg` for sending. Ignored once closed.
  void Send(const Json& msg);
  void SendRaw(std::string text);
  // Closes after the queued output has been written (or at once if `now`).
  void Close(const std::string& why, bool now = false);

  bool closed() const { return closed_; }
  const std::string& peer() const { return peer_; }
  size_t backlog() const { return backlog_; }
  uint64_t id() const { return id_; }
  // Opaque per-connection state for the protocol layer.
  std::shared_ptr<void> user;

 private:
  void DoRead();
  void DoWrite();
  void Finish(const std::string& why);

  Socket socket_;
  std::string peer_;
  Framer framer_;
  size_t max_backlog_;
  std::array<char, 65536> rbuf_;
  std::deque<std::string> out_;
  size_t backlog_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  bool closed_ = false;
  bool finished_ = false;
  std::string close_why_;
  uint64_t id_;
  MessageHandler on_message_;
  CloseHandler on_close_;
};

class Listener {
 public:
  using AcceptHandler = std::function<void(Connection::Socket, std::string peer)>;

  // Binds `remote` ("punix:PATH" or "ptcp:PORT[:IP]"). A stale unix socket
  // file is replaced. Errors: EINVAL for an unknown remote syntax, errno of
  // bind/listen (EADDRINUSE...).
  static Result<std::unique_ptr<Listener>> Create(asio::io_context& io, const std::string& remote,
                                                  AcceptHandler on_accept);
  ~Listener();
  const std::string& name() const { return name_; }
  // For ptcp:0, the port the kernel chose.
  int bound_port() const { return bound_port_; }

 private:
  Listener(asio::io_context& io, std::string name) : io_(io), name_(std::move(name)), retry_(io) {}
  void AcceptUnix();
  void AcceptTcp();
  // After a failed accept: true if `retry` was scheduled for later (out of
  // descriptors or memory: backs off up to 1 s, WARN rate-limited).
  bool AcceptFailed(const std::error_code& ec, std::function<void()> retry);

  asio::io_context& io_;
  std::string name_;
  std::string unix_path_;
  int bound_port_ = 0;
  std::unique_ptr<asio::local::stream_protocol::acceptor> unix_;
  std::unique_ptr<asio::ip::tcp::acceptor> tcp_;
  AcceptHandler on_accept_;
  asio::steady_timer retry_;
  std::chrono::milliseconds accept_backoff_{0};
};

}  // namespace vs::jsonrpc
