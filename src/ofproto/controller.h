// Controller: one Bridge.controller target of a bridge (a Controller row).
//
// Active targets (tcp:HOST:PORT, unix:PATH) connect and, whenever the connection fails
// or closes, reconnect after a backoff, as OVS's reconnect FSM: the first attempt is
// immediate, then 1 s, doubling up to max_backoff (Controller.max_backoff, ms, default
// 8000); a connection that lasted at least the current backoff starts again at 1 s. An
// attempt that does not complete within max(backoff, 1 s) fails ("connection timed
// out"). Passive targets (ptcp:PORT[:IP], punix:PATH) listen and take any number of
// connections. Connection strings are parsed by jsonrpc::ParseRemote (the one parser).
//
// Every connection of a target is probed for inactivity (Controller.inactivity_probe,
// ms, default 5000, 0 = off): after that long without a message from the peer an
// ECHO_REQUEST goes out; after as long again without one, the connection is closed.
//
// The owner (Ofproto) makes the OfConnection for each socket (ConnectHandler), keeps
// it, and reports its end (Closed). Status() gives what the Controller row shows:
// is_connected, role, and status keys as OVS's (state: VOID / BACKOFF / CONNECTING /
// ACTIVE / IDLE, last_error, sec_since_connect, sec_since_disconnect).
//
// Runs on the io_context's thread; nothing blocks (connects and resolves are async).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <asio.hpp>

#include "base/status.h"
#include "jsonrpc/connection.h"
#include "jsonrpc/remote.h"
#include "ofproto/connection.h"

namespace vs::ofproto {

struct ControllerConfig {
  std::string target;
  int64_t max_backoff_ms = 8000;
  int64_t inactivity_probe_ms = 5000;  // 0: no probe
  bool operator==(const ControllerConfig&) const = default;
};

struct ControllerStatus {
  std::string target;
  bool is_connected = false;
  std::string role = "other";  // other, master, slave
  std::map<std::string, std::string> status;
};

// OVS's reconnect backoff, alone (unit-tested): how long to wait before the next
// attempt.
class Backoff {
 public:
  static constexpr int64_t kMinMs = 1000;
  explicit Backoff(int64_t max_ms) : max_ms_(std::max<int64_t>(max_ms, kMinMs)) {}
  void set_max(int64_t max_ms) { max_ms_ = std::max<int64_t>(max_ms, kMinMs); }
  // After a failed attempt, or a connection that lasted `connected_ms` (-1: never up).
  int64_t Next(int64_t connected_ms);
  int64_t current() const { return backoff_ms_; }

 private:
  int64_t max_ms_;
  int64_t backoff_ms_ = 0;
};

class Controller {
 public:
  using Socket = OfConnection::Socket;
  // Makes, starts and keeps the connection for a new socket; returns it.
  using ConnectHandler =
      std::function<std::shared_ptr<OfConnection>(Socket, const std::string& peer, Controller*)>;

  // Errors: EINVAL (target syntax), bind/listen errno for passive targets.
  static Result<std::unique_ptr<Controller>> Create(asio::io_context& io, ControllerConfig cfg,
                                                    ConnectHandler on_connect,
                                                    std::function<void()> on_change);
  ~Controller();

  // Takes new max_backoff / inactivity_probe values (same target).
  void Update(const ControllerConfig& cfg);
  // The owner reports that connection `id` of this target ended.
  void Closed(uint64_t id, const std::string& why);
  ControllerStatus Status() const;
  bool connected() const;
  const ControllerConfig& config() const { return cfg_; }
  bool passive() const { return remote_.passive(); }
  // The connections of this target that are serving (negotiated).
  std::vector<std::shared_ptr<OfConnection>> Connections() const;
  int bound_port() const { return listener_ ? listener_->bound_port() : 0; }

 private:
  enum class State { kVoid, kBackoff, kConnecting, kActive };
  using Clock = std::chrono::steady_clock;
  Controller(asio::io_context& io, ControllerConfig cfg, jsonrpc::Remote remote,
             ConnectHandler on_connect, std::function<void()> on_change);
  void Connect();
  void Connected(Socket s);
  void Failed(const std::string& why);
  void ScheduleProbe();
  void Probe();

  asio::io_context& io_;
  ControllerConfig cfg_;
  jsonrpc::Remote remote_;
  ConnectHandler on_connect_;
  std::function<void()> on_change_;
  std::unique_ptr<jsonrpc::Listener> listener_;
  std::map<uint64_t, std::weak_ptr<OfConnection>> conns_;
  State state_ = State::kVoid;
  Backoff backoff_;
  asio::steady_timer timer_;        // backoff wait / connect timeout
  asio::steady_timer probe_timer_;  // inactivity probe, 1 s ticks
  std::shared_ptr<void> attempt_;   // the socket of the attempt in progress
  uint64_t attempt_seq_ = 0;
  std::string last_error_;
  Clock::time_point connected_at_{}, disconnected_at_{};
  bool ever_connected_ = false, ever_disconnected_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vs::ofproto
