#include "ofproto/controller.h"

#include <fmt/format.h>

#include "base/log.h"

namespace vs::ofproto {
namespace of = vs::openflow;
namespace {
log::Module& kLog = log::GetModule("rconn");

std::string RoleName(uint32_t role) {
  return role == of::kRoleMaster ? "master" : role == of::kRoleSlave ? "slave" : "other";
}
}  // namespace

int64_t Backoff::Next(int64_t connected_ms) {
  if (connected_ms >= 0 && connected_ms >= backoff_ms_) backoff_ms_ = kMinMs;
  else if (backoff_ms_ < kMinMs) backoff_ms_ = kMinMs;
  else backoff_ms_ = std::min(backoff_ms_ * 2, max_ms_);
  return backoff_ms_;
}

Result<std::unique_ptr<Controller>> Controller::Create(asio::io_context& io, ControllerConfig cfg,
                                                       ConnectHandler on_connect,
                                                       std::function<void()> on_change) {
  auto remote = jsonrpc::ParseRemote(cfg.target);
  if (!remote.ok()) return remote.status();
  std::unique_ptr<Controller> c(new Controller(io, std::move(cfg), *remote, std::move(on_connect),
                                               std::move(on_change)));
  Controller* self = c.get();
  if (remote->passive()) {
    auto l = jsonrpc::Listener::Create(io, c->cfg_.target, [self](Socket s, std::string peer) {
      auto conn = self->on_connect_(std::move(s), peer, self);
      if (!conn) return;
      self->conns_[conn->id()] = conn;
      self->connected_at_ = Clock::now();
      self->ever_connected_ = true;
    });
    if (!l.ok()) return l.status();
    c->listener_ = std::move(*l);
  } else {
    c->Connect();
  }
  c->ScheduleProbe();
  return c;
}

Controller::Controller(asio::io_context& io, ControllerConfig cfg, jsonrpc::Remote remote,
                       ConnectHandler on_connect, std::function<void()> on_change)
    : io_(io),
      cfg_(std::move(cfg)),
      remote_(std::move(remote)),
      on_connect_(std::move(on_connect)),
      on_change_(std::move(on_change)),
      backoff_(cfg_.max_backoff_ms),
      timer_(io),
      probe_timer_(io) {}

Controller::~Controller() {
  *alive_ = false;
  timer_.cancel();
  probe_timer_.cancel();
  attempt_.reset();  // closes a connect in progress (its handler sees alive_ false)
}

void Controller::Update(const ControllerConfig& cfg) {
  cfg_.max_backoff_ms = cfg.max_backoff_ms;
  cfg_.inactivity_probe_ms = cfg.inactivity_probe_ms;
  backoff_.set_max(cfg.max_backoff_ms);
}

void Controller::Connect() {
  state_ = State::kConnecting;
  const uint64_t seq = ++attempt_seq_;
  auto alive = alive_;
  // A connect that takes longer than the backoff (at least 1 s) fails.
  timer_.expires_after(std::chrono::milliseconds(std::max<int64_t>(backoff_.current(), 1000)));
  timer_.async_wait([this, alive, seq](std::error_code ec) {
    if (ec || !*alive || seq != attempt_seq_ || state_ != State::kConnecting) return;
    attempt_.reset();
    ++attempt_seq_;
    Failed("connection timed out");
  });
  auto done = [this, alive, seq](std::error_code ec, auto* sock) {
    if (!*alive || seq != attempt_seq_) return;
    if (ec) return Failed(ec.message());
    timer_.cancel();
    Connected(std::move(*sock));
  };
  if (remote_.kind == jsonrpc::Remote::Kind::kUnix) {
    auto s = std::make_shared<asio::local::stream_protocol::socket>(io_);
    attempt_ = s;
    s->async_connect(asio::local::stream_protocol::endpoint(remote_.path),
                     [s, done](std::error_code ec) {
                       Socket g(s->get_executor());
                       if (!ec) {
                         int fd = s->release();
                         g = Socket(s->get_executor(), asio::generic::stream_protocol(AF_UNIX, 0),
                                    fd);
                       }
                       done(ec, &g);
                     });
    return;
  }
  auto resolver = std::make_shared<asio::ip::tcp::resolver>(io_);
  auto s = std::make_shared<asio::ip::tcp::socket>(io_);
  attempt_ = s;
  resolver->async_resolve(
      remote_.host, std::to_string(remote_.port),
      [this, alive, seq, resolver, s, done](std::error_code ec,
                                            asio::ip::tcp::resolver::results_type eps) {
        if (!*alive || seq != attempt_seq_) return;
        if (ec) return Failed(fmt::format("{}: {}", remote_.host, ec.message()));
        asio::async_connect(*s, eps, [s, done](std::error_code ec, const asio::ip::tcp::endpoint& ep) {
          Socket g(s->get_executor());
          if (!ec) {
            std::error_code ignored;
            s->set_option(asio::ip::tcp::no_delay(true), ignored);
            int family = ep.address().is_v6() ? AF_INET6 : AF_INET;
            int fd = s->release();
            g = Socket(s->get_executor(), asio::generic::stream_protocol(family, IPPROTO_TCP), fd);
          }
          done(ec, &g);
        });
      });
}

void Controller::Connected(Socket s) {
  attempt_.reset();
  auto conn = on_connect_(std::move(s), cfg_.target, this);
  if (!conn) return Failed("could not start the connection");
  conns_[conn->id()] = conn;
  state_ = State::kActive;
  connected_at_ = Clock::now();
  ever_connected_ = true;
  last_error_.clear();
  VS_LOG_INFO(kLog, "{}: connected", cfg_.target);
  // is_connected changes once the versions are negotiated; the owner reports that.
}

void Controller::Failed(const std::string& why) {
  attempt_.reset();
  if (last_error_ != why || state_ != State::kConnecting)
    VS_LOG_INFO(kLog, "{}: connection failed ({})", cfg_.target, why);
  last_error_ = why;
  int64_t ms = backoff_.Next(-1);
  state_ = State::kBackoff;
  auto alive = alive_;
  timer_.expires_after(std::chrono::milliseconds(ms));
  timer_.async_wait([this, alive](std::error_code ec) {
    if (!ec && *alive && state_ == State::kBackoff) Connect();
  });
}

void Controller::Closed(uint64_t id, const std::string& why) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  conns_.erase(it);
  disconnected_at_ = Clock::now();
  ever_disconnected_ = true;
  if (passive()) {
    if (on_change_) on_change_();
    return;
  }
  VS_LOG_INFO(kLog, "{}: connection closed ({})", cfg_.target, why);
  last_error_ = why;
  auto up = std::chrono::duration_cast<std::chrono::milliseconds>(disconnected_at_ - connected_at_);
  int64_t ms = backoff_.Next(up.count());
  state_ = State::kBackoff;
  auto alive = alive_;
  timer_.expires_after(std::chrono::milliseconds(ms));
  timer_.async_wait([this, alive](std::error_code ec) {
    if (!ec && *alive && state_ == State::kBackoff) Connect();
  });
  if (on_change_) on_change_();
}

void Controller::ScheduleProbe() {
  auto alive = alive_;
  probe_timer_.expires_after(std::chrono::seconds(1));
  probe_timer_.async_wait([this, alive](std::error_code ec) {
    if (ec || !*alive) return;
    Probe();
    ScheduleProbe();
  });
}

void Controller::Probe() {
  if (cfg_.inactivity_probe_ms <= 0) return;
  auto now = Clock::now();
  auto limit = std::chrono::milliseconds(cfg_.inactivity_probe_ms);
  // Closing calls back into Closed(), which erases from conns_: iterate over a copy.
  for (const std::shared_ptr<OfConnection>& c : Connections()) {
    if (c->closed()) continue;
    if (now - c->last_rx() < limit) continue;
    if (!c->probe_sent) {
      c->probe_sent = true;
      c->Send(of::EncodeEcho(c->version(), of::kEchoRequest, 0, {}));
    } else if (now - c->last_rx() >= 2 * limit) {
      c->Close(fmt::format("no response to inactivity probe after {} seconds, disconnecting",
                           cfg_.inactivity_probe_ms / 1000.0));
    }
  }
}

std::vector<std::shared_ptr<OfConnection>> Controller::Connections() const {
  std::vector<std::shared_ptr<OfConnection>> out;
  for (const auto& [id, w] : conns_)
    if (auto c = w.lock(); c && c->serving()) out.push_back(std::move(c));
  return out;
}

bool Controller::connected() const { return !Connections().empty(); }

ControllerStatus Controller::Status() const {
  ControllerStatus st;
  st.target = cfg_.target;
  auto conns = Connections();
  st.is_connected = !conns.empty();
  if (!conns.empty()) st.role = RoleName(conns.front()->role);
  auto now = Clock::now();
  auto secs = [&](Clock::time_point t) {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - t).count());
  };
  if (passive()) {
    st.status["state"] = st.is_connected ? "ACTIVE" : "LISTENING";
    st.status["n_connections"] = std::to_string(conns.size());
    if (remote_.kind == jsonrpc::Remote::Kind::kPtcp)
      st.status["bound_port"] = std::to_string(bound_port());
  } else {
    const char* state = "VOID";
    if (state_ == State::kBackoff) state = "BACKOFF";
    if (state_ == State::kConnecting) state = "CONNECTING";
    if (state_ == State::kActive)
      state = !conns.empty() && conns.front()->probe_sent ? "IDLE"
              : !conns.empty()                            ? "ACTIVE"
                                                          : "CONNECTING";
    st.status["state"] = state;
    if (!last_error_.empty()) st.status["last_error"] = last_error_;
  }
  if (ever_connected_ && st.is_connected) st.status["sec_since_connect"] = secs(connected_at_);
  if (ever_disconnected_ && !st.is_connected)
    st.status["sec_since_disconnect"] = secs(disconnected_at_);
  return st;
}

}  // namespace vs::ofproto
