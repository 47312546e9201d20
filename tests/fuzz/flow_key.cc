// Fuzz target: the packet flow-key extractor (dp/flow_key.h), differential.
//
// Input: two control bytes, then an Ethernet frame. ExtractKey (the PMD's fast path for
// untagged and single-tagged IPv4) must give exactly ExtractKeyReference's key (the
// field-by-field parser), write every word (the key is pre-filled with garbage) and leave
// the padding zero; SameKeyBytes (the same-flow shortcut) may say "same" for the frame and
// a copy with one byte changed (position and value from the control bytes) only if the
// reference parser gives both the same key. Any difference aborts. The frame is the
// fuzzer's own exact-size buffer, so ASan sees any read past its end.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "dp/flow_key.h"

namespace {

using namespace vs::dp;

[[noreturn]] void Fail(const char* what, const uint8_t* frame, uint32_t len) {
  std::fprintf(stderr, "flow_key: %s (%u-byte frame:", what, len);
  for (uint32_t i = 0; i < len && i < 64; i++) std::fprintf(stderr, " %02x", frame[i]);
  std::fprintf(stderr, ")\n");
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || size > 65535) return 0;
  const uint8_t pos = data[0], val = data[1];
  const uint8_t* frame = data + 2;
  const uint32_t len = static_cast<uint32_t>(size - 2);
  const uint32_t in_port = pos;

  FlowKey fast, ref;
  std::memset(&fast, 0xa5, sizeof(fast));
  ExtractKey(frame, len, in_port, &fast);
  ExtractKeyReference(frame, len, in_port, &ref);
  if (!(fast == ref)) Fail("fast path and reference parser disagree", frame, len);
  if (ref.pad != 0) Fail("key padding is not zero", frame, len);

  if (len > 0) {
    std::unique_ptr<uint8_t[]> other(new uint8_t[len]);
    std::memcpy(other.get(), frame, len);
    other[pos % len] ^= val;
    FlowKey ko;
    ExtractKeyReference(other.get(), len, in_port, &ko);
    if (SameKeyBytes(frame, len, other.get(), len) && !(ko == ref)) {
      Fail("SameKeyBytes says same for frames with different keys", frame, len);
    }
  }
  return 0;
}
