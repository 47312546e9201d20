#include "jsonrpc/connection.h"

#include <unistd.h>

#include <atomic>

#include <fmt/format.h>

#include "base/json_parse.h"
#include "base/log.h"

namespace vs::jsonrpc {
namespace {
log::Module& kLog = log::GetModule("jsonrpc");
std::atomic<uint64_t> next_id{1};
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
  if (remote.rfind("punix:", 0) == 0) {
    l->unix_path_ = remote.substr(6);
    if (l->unix_path_.empty()) return Status(EINVAL, fmt::format("{}: missing socket path", remote));
    ::unlink(l->unix_path_.c_str());
    l->unix_ = std::make_unique<asio::local::stream_protocol::acceptor>(io);
    asio::local::stream_protocol::endpoint ep(l->unix_path_);
    l->unix_->open(ep.protocol(), ec);
    if (!ec) l->unix_->bind(ep, ec);
    if (!ec) l->unix_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Status(ec.value(), fmt::format("{}: {}", remote, ec.message()));
    l->AcceptUnix();
    return l;
  }
  if (remote.rfind("ptcp:", 0) == 0) {
    std::string rest = remote.substr(5);
    std::string port_s = rest, ip = "127.0.0.1";
    if (auto c = rest.find(':'); c != std::string::npos) {
      port_s = rest.substr(0, c);
      ip = rest.substr(c + 1);
      if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    }
    char* end = nullptr;
    long port = strtol(port_s.c_str(), &end, 10);
    if (port_s.empty() || *end != '\0' || port < 0 || port > 65535) {
      return Status(EINVAL, fmt::format("{}: bad port \"{}\"", remote, port_s));
    }
    asio::ip::address addr = asio::ip::make_address(ip, ec);
    if (ec) return Status(EINVAL, fmt::format("{}: bad address \"{}\"", remote, ip));
    asio::ip::tcp::endpoint ep(addr, static_cast<uint16_t>(port));
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
  return Status(EINVAL, fmt::format("\"{}\": unknown remote (expected punix:PATH or ptcp:PORT[:IP])",
                                    remote));
}

Listener::~Listener() {
  std::error_code ignored;
  if (unix_) {
    unix_->close(ignored);
    ::unlink(unix_path_.c_str());
  }
  if (tcp_) tcp_->close(ignored);
}

void Listener::AcceptUnix() {
  unix_->async_accept([this](std::error_code ec, asio::local::stream_protocol::socket s) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      int fd = s.release();
      Connection::Socket g(io_, asio::generic::stream_protocol(AF_UNIX, 0), fd);
      on_accept_(std::move(g), "unix:" + unix_path_);
    } else {
      VS_LOG_WARN(kLog, "{}: accept failed: {}", name_, ec.message());
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
    } else {
      VS_LOG_WARN(kLog, "{}: accept failed: {}", name_, ec.message());
    }
    AcceptTcp();
  });
}

}  // namespace vs::jsonrpc
