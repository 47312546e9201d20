// One OpenFlow connection over an Asio stream socket (unix or TCP): framing by the
// OpenFlow header's length, version negotiation, bounded output.
//
// State machine: kHello (our HELLO sent at Start; the peer's first message must be a
// HELLO, else HELLO_FAILED and close) -> kServing (every message of the negotiated
// version is handed to the handler; another version gets OFPBRC_BAD_VERSION) ->
// kClosing (queued output is flushed, then the socket closes) -> kClosed. A HELLO with
// no version in common gets OFPHFC_INCOMPATIBLE, then the connection closes.
//
// Bounds: a message is at most 64 KiB by its header; a header saying less than 8 bytes
// closes the connection (the stream cannot be resynchronised). Output: while more than
// kPauseBacklog bytes wait to be written, the connection stops reading requests (a peer
// that does not read its replies slows only itself); beyond kMaxBacklog it is closed.
// Everything runs on the io_context's thread; nothing here blocks or locks.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include <asio.hpp>

#include "openflow/messages.h"

namespace vs::ofproto {

class Controller;

class OfConnection : public std::enable_shared_from_this<OfConnection> {
 public:
  using Socket = asio::generic::stream_protocol::socket;
  // A decoded message of the negotiated version, or the error to answer (`raw` is the
  // message as received, for the error's quote).
  using MessageHandler = std::function<void(OfConnection&, const openflow::Message&,
                                            openflow::ByteView raw)>;
  using CloseHandler = std::function<void(OfConnection&, const std::string& why)>;

  static constexpr size_t kPauseBacklog = 1 << 20;
  static constexpr size_t kMaxBacklog = 256u << 20;

  OfConnection(Socket socket, std::string peer, uint32_t versions);
  void Start(MessageHandler on_message, CloseHandler on_close);
  void Send(openflow::Bytes msg);
  // Sends the error for `raw` (OFPT_ERROR with its xid, quoting it).
  void SendError(openflow::Err e, openflow::ByteView raw);
  void Close(const std::string& why);
  // Closes at once without calling the handlers (their owner is going away).
  void Detach(const std::string& why);

  uint8_t version() const { return version_; }
  const std::string& peer() const { return peer_; }
  uint64_t id() const { return id_; }
  bool closed() const { return state_ == State::kClosed; }
  size_t backlog() const { return backlog_; }
  bool serving() const { return state_ == State::kServing; }
  // When the peer last sent anything (the inactivity probe, controller.h).
  std::chrono::steady_clock::time_point last_rx() const { return last_rx_; }

  // Per-connection protocol state (ofproto.h).
  uint32_t flow_format = openflow::kNxffOpenflow10;
  bool flow_mod_table_id = false;
  uint32_t packet_in_format = openflow::kNxpifStandard;
  uint32_t role = openflow::kRoleEqual;
  openflow::SetConfig config;
  // The Bridge.controller target this connection belongs to (null: the management
  // socket, a service connection as OVS's ofservice).
  Controller* controller = nullptr;
  bool probe_sent = false;  // an echo request went out for the inactivity probe
  // Called once the versions are negotiated (the connection starts serving).
  std::function<void(OfConnection&)> on_ready;

 private:
  enum class State { kHello, kServing, kClosing, kClosed };
  void DoRead();
  void Process();
  void OnMessage(openflow::ByteView raw);
  void DoWrite();
  void Finish(const std::string& why);

  Socket socket_;
  std::string peer_;
  uint32_t versions_;
  uint8_t version_ = 0;
  State state_ = State::kHello;
  std::array<uint8_t, 65536> rbuf_;
  openflow::Bytes in_;  // received, not yet processed
  std::deque<openflow::Bytes> out_;
  size_t backlog_ = 0;
  bool reading_ = false;
  bool writing_ = false;
  uint64_t id_;
  std::chrono::steady_clock::time_point last_rx_ = std::chrono::steady_clock::now();
  MessageHandler on_message_;
  CloseHandler on_close_;
};

}  // namespace vs::ofproto
