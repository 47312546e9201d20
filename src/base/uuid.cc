#include "base/uuid.h"

#include <random>

namespace vs {

Uuid Uuid::Random() {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }());
  Uuid u{rng(), rng()};
  u.hi = (u.hi & ~0xf000ULL) | 0x4000ULL;                          // version 4
  u.lo = (u.lo & ~(0xc000ULL << 48)) | (0x8000ULL << 48);          // variant 10
  return u;
}

static int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<Uuid> Uuid::Parse(std::string_view s) {
  if (s.size() != 36) return std::nullopt;
  Uuid u;
  int nibbles = 0;
  for (size_t i = 0; i < s.size(); i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return std::nullopt;
      continue;
    }
    int v = HexValue(s[i]);
    if (v < 0) return std::nullopt;
    uint64_t& half = nibbles < 16 ? u.hi : u.lo;
    half = (half << 4) | static_cast<uint64_t>(v);
    nibbles++;
  }
  return u;
}

std::string Uuid::ToString() const {
  static const char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  int nib = 0;
  for (size_t i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) continue;
    uint64_t half = nib < 16 ? hi : lo;
    int shift = 60 - 4 * (nib % 16);
    out[i] = kHex[(half >> shift) & 0xf];
    nib++;
  }
  return out;
}

}  // namespace vs
