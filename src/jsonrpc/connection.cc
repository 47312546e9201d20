#include "jsonrpc/connection.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include <fmt/format.h>

#include "base/json_parse.h"
#include "base/log.h"
#include "jsonrpc/remote.h"

namespace vs::jsonrpc {
namespace {
log::Module& kLog = log::GetModule("jsonrpc");
std::atomic<uint64_t> next_id{1};

// Makes room for a unix socket at `path`: a socket file nobody listens on
// (left by a process that died) is removed; a socket some process serves,
// or a file that is not a socket, is an error, so that a second instance of
// a daemon never takes the first one's socket away.
Status RemoveStaleSocket(const std::string& path, const std::string& remote) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return Status::Ok();
  if (!S_ISSOCK(st.st_mode))
    return Status(EEXIST, fmt::format("{}: {} exists and is not a socket; remove it or choose "
                                      "another path", remote, path));
  sockaddr_un sun{};
  if (path.size() < sizeof sun.sun_path) {
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, path.data(), path.size());
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return Status::FromErrno(errno, "socket(AF_UNIX)");
    int rc = connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun);
    int err = errno;
    ::close(fd);
    if (rc == 0 || err == EAGAIN)
      return Status(EADDRINUSE, fmt::format("{}: another process is serving this socket (is the "
                                            "daemon already running?)", remote));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return Status::FromErrno(errno, fmt::format("{}: could not remove the stale socket", remote));
  return Status::Ok();
}

}  // namespace

Connection::Connection(Socket socket, std::string peer, size_t max_message, size_t max_backlog)
    : socket_(std::move(socket)),
      peer_(std::move(peer)),
      framer_(max_message),
      max_backlog_(max_backlog),
      id_(next_id++) {}

Connection::~Connection() = default;

void Connection::Start(MessageHandler on_message, CloseHandler on_close) {
  on_message_ = std::move(on_message);
  on_close_ = std::move(on_close);
  DoRead();
}

void Connection::DoRead() {
  auto self = shared_from_this();
  socket_.async_read_some(asio::buffer(rbuf_), [self](std::error_code ec, size_t n) {
    if (self->closed_) return;
    if (ec) {
      self->Finish(ec == asio::error::eof ? "connection closed by peer" : ec.message());
      return;
    }
    self->framer_.Feed(std::string_view(self->rbuf_.data(), n));
    while (!self->closed_ && !self->closing_) {
      auto text = self->framer_.Next();
      if (!text) break;
      std::optional<Json> msg = ParseJson(*text);
      if (!msg) {
        self->Close("received invalid JSON", true);
        return;
      }
      self->on_message_(*self, std::move(*msg));
    }
    if (!self->framer_.error().empty()) {
      self->Close(self->framer_.error(), true);
      return;
    }
    if (!self->closed_ && !self->closing_) self->DoRead();
  });
}

void Connection::Send(const Json& msg) { SendRaw(JsonToString(msg)); }

void Connection::SendRaw(std::string text) {
  if (closed_ || closing_) return;
  backlog_ += text.size();
  out_.push_back(std::move(text));
  if (backlog_ > max_backlog_) {
    Close(fmt::format("peer is not reading: {} bytes of output queued", backlog_), true);
    return;
  }
  if (!writing_) DoWrite();
}

void Connection::DoWrite() {
  if (out_.empty()) {
    writing_ = false;
    if (closing_) Finish(close_why_);
    return;
  }
  writing_ = true;
  // Coalesce small queued messages into one write.
  while (out_.size() > 1 && out_.front().size() < (1u << 20)) {
    std::string next = std::move(out_[1]);
    out_.erase(out_.begin() + 1);
    out_.front() += next;
  }
  auto self = shared_from_this();
  asio::async_write(socket_, asio::buffer(out_.front()), [self](std::error_code ec, size_t n) {
    if (self->closed_) return;
    self->backlog_ -= self->out_.front().size();
    self->out_.pop_front();
    if (ec) {
      self->Finish(ec.message());
      return;
    }
    self->DoWrite();
  });
}

void Connection::Close(const std::string& why, bool now) {
  if (closed_) return;
  if (now || !writing_) {
    Finish(why);
    return;
  }
  closing_ = true;
  close_why_ = why;
}

void Connection::Finish(const std::string& why) {
  if (finished_) return;
  finished_ = true;
  closed_ = true;
  std::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
  out_.clear();
  backlog_ = 0;
  if (on_close_) {
    auto cb = std::move(on_close_);
    on_close_ = nullptr;
    on_message_ = nullptr;
    cb(*this, why);
  }
}

Result<std::unique_ptr<Listener>> Listener::Create(asio::io_context& io, const std::string& remote,
                                                   AcceptHandler on_accept) {
  auto l = std::unique_ptr<Listener>(new Listener(io, remote));
  l->on_accept_ = std::move(on_accept);
  std::error_code ec;
  auto parsed = ParseRemote(remote);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->passive())
    return Status(EINVAL, fmt::format("\"{}\": not a listening remote (expected punix:PATH or "
                                      "ptcp:PORT[:IP])", remote));
  if (parsed->kind == Remote::Kind::kPunix) {
    l->unix_path_ = parsed->path;
    VS_RETURN_IF_ERROR(RemoveStaleSocket(l->unix_path_, remote));
    l->unix_ = std::make_unique<asio::local::stream_protocol::acceptor>(io);
    asio::local::stream_protocol::endpoint ep(l->unix_path_);
    l->unix_->open(ep.protocol(), ec);
    if (!ec) l->unix_->bind(ep, ec);
    if (!ec) l->unix_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Status(ec.value(), fmt::format("{}: {}", remote, ec.message()));
    l->AcceptUnix();
    return l;
  }
  asio::ip::address addr = asio::ip::make_address(parsed->host, ec);
  if (ec) return Status(EINVAL, fmt::format("{}: bad address \"{}\"", remote, parsed->host));
  asio::ip::tcp::endpoint ep(addr, parsed->port);
  l->tcp_ = std::make_unique<asio::ip::tcp::acceptor>(io);
  l->tcp_->open(ep.protocol(), ec);
  if (!ec) l->tcp_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) l->tcp_->bind(ep, ec);
  if (!ec) l->tcp_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status(ec.value(), fmt::format("{}: {}", remote, ec.message()));
  l->bound_port_ = l->tcp_->local_endpoint(ec).port();
  l->AcceptTcp();
  return l;
}

Listener::~Listener() {
  std::error_code ignored;
  if (unix_) {
    unix_->close(ignored);
    ::unlink(unix_path_.c_str());
  }
  if (tcp_) tcp_->close(ignored);
}

bool Listener::AcceptFailed(const std::error_code& ec, std::function<void()> retry) {
  // Out of descriptors (or memory), accept() fails at once for as long as the
  // shortage lasts: retrying at once would spin and log without end. Wait,
  // doubling up to 1 s, and keep serving the connections already open.
  static log::RateLimit rl(6, 3);
  const int e = ec.value();  // asio reports accept()'s errno
  const bool shortage = e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
  if (!shortage && e != ECONNABORTED && e != EINTR)
    VS_LOG_WARN_RL(kLog, rl, "{}: accept failed: {}", name_, ec.message());
  if (!shortage) return false;  // a per-connection error: go on accepting
  accept_backoff_ = std::min(std::max(accept_backoff_ * 2, std::chrono::milliseconds(50)),
                             std::chrono::milliseconds(1000));
  VS_LOG_WARN_RL(kLog, rl, "{}: accept failed: {}; new connections wait (retrying in {} ms) "
                 "while those already open are served", name_, ec.message(), accept_backoff_.count());
  retry_.expires_after(accept_backoff_);
  retry_.async_wait([retry = std::move(retry)](std::error_code e) {
    if (!e) retry();
  });
  return true;
}

void Listener::AcceptUnix() {
  unix_->async_accept([this](std::error_code ec, asio::local::stream_protocol::socket s) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      int fd = s.release();
      Connection::Socket g(io_, asio::generic::stream_protocol(AF_UNIX, 0), fd);
      on_accept_(std::move(g), "unix:" + unix_path_);
      accept_backoff_ = std::chrono::milliseconds(0);
    } else if (AcceptFailed(ec, [this] { AcceptUnix(); })) {
      return;
    }
    AcceptUnix();
  });
}

void Listener::AcceptTcp() {
  tcp_->async_accept([this](std::error_code ec, asio::ip::tcp::socket s) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      std::error_code e2;
      auto ep = s.remote_endpoint(e2);
      std::string peer = fmt::format("tcp:{}:{}", ep.address().to_string(), ep.port());
      s.set_option(asio::ip::tcp::no_delay(true), e2);
      int family = ep.address().is_v6() ? AF_INET6 : AF_INET;
      int fd = s.release();
      Connection::Socket g(io_, asio::generic::stream_protocol(family, IPPROTO_TCP), fd);
      on_accept_(std::move(g), peer);
      accept_backoff_ = std::chrono::milliseconds(0);
    } else if (AcceptFailed(ec, [this] { AcceptTcp(); })) {
      return;
    }
    AcceptTcp();
  });
}

}  // namespace vs::jsonrpc
