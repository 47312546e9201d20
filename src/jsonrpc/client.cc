#include "jsonrpc/client.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/json_parse.h"
#include "jsonrpc/remote.h"

namespace vs::jsonrpc {

std::optional<Clock::time_point> DeadlineAfter(int timeout_ms) {
  if (timeout_ms <= 0) return std::nullopt;
  return Clock::now() + std::chrono::milliseconds(timeout_ms);
}

namespace {

// Milliseconds left until `deadline` for poll(): -1 = forever, 0 = expired.
int PollTimeout(std::optional<Clock::time_point> deadline) {
  if (!deadline) return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
  if (left.count() <= 0) return 0;
  return left.count() > 1000000 ? 1000000 : static_cast<int>(left.count()) + 1;
}

// Waits for `events` on fd. Returns ETIMEDOUT if the deadline passes.
Status WaitFd(int fd, short events, std::optional<Clock::time_point> deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int timeout = PollTimeout(deadline);
    int n = poll(&p, 1, timeout);
    if (n > 0) return Status::Ok();
    if (n == 0) {
      if (deadline && Clock::now() >= *deadline) return Status(ETIMEDOUT, "timed out");
      continue;
    }
    if (errno != EINTR) return Status::FromErrno(errno, "poll");
  }
}

// Finishes a non-blocking connect(); returns the socket's pending error.
Status FinishConnect(int fd, int rc, std::optional<Clock::time_point> deadline,
                     const std::string& remote) {
  if (rc == 0) return Status::Ok();
  if (errno != EINPROGRESS && errno != EAGAIN) {
    return Status::FromErrno(errno, fmt::format("{}: connection failed", remote));
  }
  Status s = WaitFd(fd, POLLOUT, deadline);
  if (!s.ok()) return s.Wrap(fmt::format("{}: connecting", remote));
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  if (err) return Status::FromErrno(err, fmt::format("{}: connection failed", remote));
  return Status::Ok();
}

Result<int> ConnectUnix(const std::string& path, const std::string& remote,
                        std::optional<Clock::time_point> deadline) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof sun.sun_path) {
    return Status(ENAMETOOLONG, fmt::format("{}: socket path is empty or longer than {} bytes",
                                            remote, sizeof sun.sun_path - 1));
  }
  std::memcpy(sun.sun_path, path.data(), path.size());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Status::FromErrno(errno, "socket(AF_UNIX)");
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun);
  Status s = FinishConnect(fd, rc, deadline, remote);
  if (!s.ok()) {
    close(fd);
    return s;
  }
  return fd;
}

Result<int> ConnectTcp(const std::string& host, uint16_t port_num, const std::string& remote,
                       std::optional<Clock::time_point> deadline) {
  std::string port = std::to_string(port_num);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  int gai = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (gai != 0 || !res) {
    return Status(EINVAL, fmt::format("{}: cannot resolve address ({})", remote, gai_strerror(gai)));
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    freeaddrinfo(res);
    return Status::FromErrno(errno, "socket(AF_INET)");
  }
  int rc = connect(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  Status s = FinishConnect(fd, rc, deadline, remote);
  if (!s.ok()) {
    close(fd);
    return s;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

Result<std::unique_ptr<Client>> Client::Connect(const std::string& remote, int timeout_ms) {
  auto deadline = DeadlineAfter(timeout_ms);
  auto r = ParseRemote(remote);
  if (!r.ok()) return r.status();
  if (r->passive())
    return Status(EINVAL, fmt::format("\"{}\": a listening remote; a client connects to unix:PATH "
                                      "or tcp:HOST:PORT", remote));
  Result<int> fd = r->kind == Remote::Kind::kUnix ? ConnectUnix(r->path, remote, deadline)
                                                  : ConnectTcp(r->host, r->port, remote, deadline);
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<Client>(new Client(*fd, remote));
}

Client::~Client() {
  if (fd_ >= 0) close(fd_);
}

Status Client::Send(const Json& msg) {
  if (!broken_.empty()) return Status(EPIPE, broken_);
  std::string text = JsonToString(msg);
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = send(fd_, text.data() + off, text.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      VS_RETURN_IF_ERROR(WaitFd(fd_, POLLOUT, std::nullopt));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      broken_ = fmt::format("{}: send failed ({})", remote_, std::strerror(errno));
      return Status(errno ? errno : EPIPE, broken_);
    }
  }
  return Status::Ok();
}

Status Client::Dispatch(Json msg) {
  if (!msg.is_object()) return Status(EPROTO, "JSON-RPC message is not an object");
  auto method = msg.find("method");
  auto id = msg.find("id");
  bool has_id = id != msg.end() && !id->is_null();
  if (method != msg.end() && method->is_string()) {
    Json params = msg.contains("params") ? msg["params"] : Json::array();
    if (!has_id) {
      notifications_.push_back(Message{method->get<std::string>(), std::move(params)});
      return Status::Ok();
    }
    // A request from the server: echo is answered, the rest refused.
    if (*method == "echo") {
      return Send(Json{{"id", *id}, {"result", params}, {"error", nullptr}});
    }
    return Send(Json{{"id", *id}, {"result", nullptr}, {"error", "unknown method"}});
  }
  if (has_id && id->is_number_integer() && id->get<int64_t>() == waiting_id_) {
    reply_ = std::move(msg);
  }
  return Status::Ok();  // a stale or foreign reply: ignore it
}

Status Client::ReadOne(std::optional<Clock::time_point> deadline) {
  if (!broken_.empty()) return Status(EPIPE, broken_);
  for (;;) {
    if (auto text = framer_.Next()) {
      std::optional<Json> msg = ParseJson(*text);
      if (!msg) {
        broken_ = fmt::format("{}: received invalid JSON", remote_);
        return Status(EPROTO, broken_);
      }
      return Dispatch(std::move(*msg));
    }
    if (!framer_.error().empty()) {
      broken_ = fmt::format("{}: {}", remote_, framer_.error());
      return Status(EPROTO, broken_);
    }
    VS_RETURN_IF_ERROR(WaitFd(fd_, POLLIN, deadline));
    char buf[65536];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      framer_.Feed(std::string_view(buf, static_cast<size_t>(n)));
    } else if (n == 0) {
      broken_ = fmt::format("{}: connection closed by peer", remote_);
      return Status(EPIPE, broken_);
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      int err = errno;
      broken_ = fmt::format("{}: receive failed ({})", remote_, std::strerror(err));
      return Status(err, broken_);
    }
  }
}

Result<Json> Client::Call(const std::string& method, const Json& params, int timeout_ms) {
  return CallUntil(method, params, DeadlineAfter(timeout_ms));
}

Result<Json> Client::CallUntil(const std::string& method, const Json& params,
                               std::optional<Clock::time_point> deadline) {
  int64_t id = next_id_++;
  waiting_id_ = id;
  reply_.reset();
  VS_RETURN_IF_ERROR(Send(Json{{"id", id}, {"method", method}, {"params", params}}));
  while (!reply_) {
    Status s = ReadOne(deadline);
    if (!s.ok()) return s.Wrap(fmt::format("waiting for the reply to \"{}\"", method));
  }
  Json reply = std::move(*reply_);
  reply_.reset();
  waiting_id_ = -1;
  auto err = reply.find("error");
  if (err != reply.end() && !err->is_null()) {
    return Status(EREMOTEIO, JsonToString(*err));
  }
  auto result = reply.find("result");
  if (result == reply.end()) return Status(EPROTO, "reply has neither result nor error");
  return std::move(*result);
}

Result<Message> Client::NextNotification(std::optional<Clock::time_point> deadline) {
  while (notifications_.empty()) {
    VS_RETURN_IF_ERROR(ReadOne(deadline));
  }
  Message m = std::move(notifications_.front());
  notifications_.pop_front();
  return m;
}

}  // namespace vs::jsonrpc
