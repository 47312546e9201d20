// Byte-level helpers for the OpenFlow codecs: a bounds-checked big-endian reader over a
// span of bytes and an appending writer. The reader never reads past its end; every
// getter reports failure instead (callers turn that into the OpenFlow error that fits).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vs::openflow {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

class Reader {
 public:
  explicit Reader(ByteView b) : b_(b) {}
  size_t left() const { return b_.size() - pos_; }
  size_t pos() const { return pos_; }
  bool empty() const { return left() == 0; }
  // The unread bytes, without consuming them.
  ByteView rest() const { return b_.subspan(pos_); }

  bool U8(uint8_t* v) { return Get(v, 1); }
  bool U16(uint16_t* v) { return Get(v, 2); }
  bool U32(uint32_t* v) { return Get(v, 4); }
  bool U64(uint64_t* v) { return Get(v, 8); }
  bool Skip(size_t n) {
    if (left() < n) return false;
    pos_ += n;
    return true;
  }
  bool Raw(void* out, size_t n) {
    if (left() < n) return false;
    std::memcpy(out, b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  // Takes the next n bytes as a sub-view.
  bool Sub(size_t n, ByteView* out) {
    if (left() < n) return false;
    *out = b_.subspan(pos_, n);
    pos_ += n;
    return true;
  }

 private:
  template <typename T>
  bool Get(T* v, size_t n) {
    if (left() < n) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) x = x << 8 | b_[pos_ + i];
    *v = static_cast<T>(x);
    pos_ += n;
    return true;
  }
  ByteView b_;
  size_t pos_ = 0;
};

// Appends big-endian values to a byte vector.
class Writer {
 public:
  explicit Writer(Bytes* out) : out_(out) {}
  size_t size() const { return out_->size(); }
  void U8(uint8_t v) { out_->push_back(v); }
  void U16(uint16_t v) { Put(v, 2); }
  void U32(uint32_t v) { Put(v, 4); }
  void U64(uint64_t v) { Put(v, 8); }
  void Zeros(size_t n) { out_->insert(out_->end(), n, 0); }
  void Raw(const void* p, size_t n) {
    const uint8_t* b = static_cast<const uint8_t*>(p);
    out_->insert(out_->end(), b, b + n);
  }
  void Raw(ByteView b) { out_->insert(out_->end(), b.begin(), b.end()); }
  // A fixed-width, NUL-padded string field (names, descriptions); cut to width - 1.
  void Str(std::string_view s, size_t width) {
    size_t n = std::min(s.size(), width - 1);
    Raw(s.data(), n);
    Zeros(width - n);
  }
  // Pads with zeros to a multiple of `align` counted from `start`.
  void PadTo(size_t start, size_t align) {
    size_t n = (out_->size() - start) % align;
    if (n) Zeros(align - n);
  }
  // Overwrites a 16-bit value at `at` (lengths known only at the end).
  void Patch16(size_t at, uint16_t v) {
    (*out_)[at] = static_cast<uint8_t>(v >> 8);
    (*out_)[at + 1] = static_cast<uint8_t>(v);
  }
  Bytes& bytes() { return *out_; }

 private:
  void Put(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; i--) out_->push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  Bytes* out_;
};

// A NUL-padded fixed-width string field read back as a string.
inline std::string FixedString(ByteView b) {
  size_t n = 0;
  while (n < b.size() && b[n]) n++;
  return std::string(reinterpret_cast<const char*>(b.data()), n);
}

}  // namespace vs::openflow
