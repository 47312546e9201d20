#include "ofproto/connection.h"

#include <fmt/format.h>

#include <atomic>

#include "base/log.h"

namespace vs::ofproto {
namespace of = vs::openflow;
namespace {
log::Module& kLog = log::GetModule("rconn");
std::atomic<uint64_t> next_id{1};
}  // namespace

OfConnection::OfConnection(Socket socket, std::string peer, uint32_t versions)
    : socket_(std::move(socket)), peer_(std::move(peer)), versions_(versions), id_(next_id++) {}

void OfConnection::Start(MessageHandler on_message, CloseHandler on_close) {
  on_message_ = std::move(on_message);
  on_close_ = std::move(on_close);
  uint8_t highest = of::NegotiateVersion(versions_, versions_);
  Send(of::EncodeHello(highest, 0, versions_));
  DoRead();
}

void OfConnection::DoRead() {
  if (reading_ || state_ == State::kClosing || state_ == State::kClosed) return;
  if (backlog_ > kPauseBacklog) return;  // resumed by DoWrite once the peer reads
  reading_ = true;
  auto self = shared_from_this();
  socket_.async_read_some(asio::buffer(rbuf_), [self](std::error_code ec, size_t n) {
    self->reading_ = false;
    if (self->state_ == State::kClosed) return;
    if (ec) {
      self->Finish(ec == asio::error::eof ? "connection closed by peer" : ec.message());
      return;
    }
    self->last_rx_ = std::chrono::steady_clock::now();
    self->probe_sent = false;
    self->in_.insert(self->in_.end(), self->rbuf_.begin(), self->rbuf_.begin() + n);
    self->Process();
    self->DoRead();
  });
}

void OfConnection::Process() {
  size_t off = 0;
  while (state_ == State::kHello || state_ == State::kServing) {
    if (backlog_ > kPauseBacklog) break;  // the rest waits until the peer reads
    of::ByteView rest(in_.data() + off, in_.size() - off);
    if (rest.size() < of::kHeaderLen) break;
    auto h = of::DecodeHeader(rest);
    if (!h.ok()) {
      // A length below 8 cannot be skipped: the stream is lost.
      SendError(of::Err::kBadLen, rest.first(of::kHeaderLen));
      Close(h.error().detail);
      break;
    }
    if (rest.size() < h->length) break;
    OnMessage(rest.first(h->length));
    off += h->length;
  }
  in_.erase(in_.begin(), in_.begin() + static_cast<ptrdiff_t>(std::min(off, in_.size())));
}

void OfConnection::OnMessage(of::ByteView raw) {
  auto msg = of::Decode(raw);
  if (state_ == State::kHello) {
    const of::Hello* hello = msg.ok() ? std::get_if<of::Hello>(&msg->body) : nullptr;
    if (!hello) {
      version_ = raw[0] >= of::kOf10 && raw[0] <= of::kOf15 ? raw[0] : of::kOf10;
      SendError(of::Err::kHelloIncompatible, raw);
      Close("the first message was not a HELLO");
      return;
    }
    version_ = of::NegotiateVersion(versions_, hello->Accepts());
    if (!version_) {
      version_ = std::min<uint8_t>(hello->version ? hello->version : of::kOf10, of::kOf15);
      std::string text = fmt::format("We support versions bitmap {:#x}, you support {:#x}, no common "
                                     "version.", versions_, hello->Accepts());
      of::Bytes err = of::EncodeError(of::Err::kHelloIncompatible, version_, msg->header.xid, {});
      err.insert(err.end(), text.begin(), text.end());
      of::FinishMessage(&err);
      Send(std::move(err));
      Close("no common OpenFlow version");
      return;
    }
    state_ = State::kServing;
    VS_LOG_DBG(kLog, "{}: negotiated OpenFlow version {:#04x}", peer_, version_);
    if (on_ready) on_ready(*this);
    return;
  }
  if (raw[0] != version_ && !(msg.ok() && std::holds_alternative<of::Hello>(msg->body))) {
    SendError(of::Err::kBadVersion, raw);
    return;
  }
  if (!msg.ok()) {
    VS_LOG_DBG(kLog, "{}: refused message: {} ({})", peer_, msg.error().detail,
               of::ErrName(msg.error().kind));
    SendError(msg.error().kind, raw);
    return;
  }
  if (on_message_) on_message_(*this, *msg, raw);
}

void OfConnection::Send(of::Bytes msg) {
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  backlog_ += msg.size();
  out_.push_back(std::move(msg));
  if (backlog_ > kMaxBacklog) {
    Finish(fmt::format("peer is not reading: {} bytes of output queued", backlog_));
    return;
  }
  if (!writing_) DoWrite();
}

void OfConnection::SendError(of::Err e, of::ByteView raw) {
  uint32_t xid = raw.size() >= 8 ? (uint32_t{raw[4]} << 24 | uint32_t{raw[5]} << 16 |
                                    uint32_t{raw[6]} << 8 | raw[7])
                                 : 0;
  Send(of::EncodeError(e, version_ ? version_ : of::kOf10, xid, raw));
}

void OfConnection::DoWrite() {
  if (out_.empty()) {
    writing_ = false;
    if (state_ == State::kClosing) Finish("closed");
    return;
  }
  writing_ = true;
  // Coalesce queued messages into one write of up to 256 KiB.
  auto buf = std::make_shared<of::Bytes>(std::move(out_.front()));
  out_.pop_front();
  while (!out_.empty() && buf->size() + out_.front().size() <= (256u << 10)) {
    buf->insert(buf->end(), out_.front().begin(), out_.front().end());
    out_.pop_front();
  }
  auto self = shared_from_this();
  asio::async_write(socket_, asio::buffer(*buf), [self, buf](std::error_code ec, size_t n) {
    if (self->state_ == State::kClosed) return;
    if (ec) {
      self->Finish(ec.message());
      return;
    }
    self->backlog_ -= n;
    bool was_paused = self->backlog_ + n > kPauseBacklog;
    self->DoWrite();
    if (was_paused && self->backlog_ <= kPauseBacklog && self->state_ == State::kServing) {
      self->Process();  // requests that waited for the peer to read
      self->DoRead();
    }
  });
}

void OfConnection::Close(const std::string& why) {
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  VS_LOG_DBG(kLog, "{}: closing: {}", peer_, why);
  state_ = State::kClosing;
  if (!writing_) Finish(why);
}

void OfConnection::Detach(const std::string& why) {
  on_message_ = nullptr;
  on_close_ = nullptr;
  on_ready = nullptr;
  Finish(why);
}

void OfConnection::Finish(const std::string& why) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  std::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
  out_.clear();
  backlog_ = 0;
  if (on_close_) on_close_(*this, why);
}

}  // namespace vs::ofproto
