// Fuzz target: the JSON-RPC stream framer (jsonrpc/framer.h) and the JSON parser
// (base/json_parse.h), as a connection uses them on the bytes a peer sends.
//
// Input: one control byte, then the stream. Checked (any difference aborts):
//  * framing does not depend on how the stream is cut into reads: fed whole and fed in
//    pieces of 1..16 bytes (sizes drawn from the control byte) it gives the same messages
//    and the same error; with a small message limit (control bit 7) both runs fail, after
//    the same messages;
//  * every framed message parses with ParseJson exactly as with nlohmann's Json::parse, as
//    json_parse.h promises (the same texts refused, the same values otherwise);
//  * a parsed value prints (JsonToString).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/json_parse.h"
#include "jsonrpc/framer.h"

namespace {

using vs::jsonrpc::Framer;

struct Outcome {
  std::vector<std::string> messages;
  std::string error;
  size_t pending = 0;
};

// seed 0: the whole stream in one Feed(); otherwise pieces of 1..16 bytes.
Outcome Frame(std::string_view in, size_t max_message, uint32_t seed) {
  Framer framer(max_message);
  Outcome out;
  size_t pos = 0;
  while (pos < in.size() && framer.error().empty()) {
    size_t n = in.size() - pos;
    if (seed != 0) {
      seed ^= seed << 13;
      seed ^= seed >> 17;
      seed ^= seed << 5;
      n = std::min<size_t>(n, 1 + seed % 16);
    }
    framer.Feed(in.substr(pos, n));
    pos += n;
    while (auto msg = framer.Next()) out.messages.emplace_back(*msg);
  }
  out.error = framer.error();
  out.pending = framer.pending();
  return out;
}

[[noreturn]] void Fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "jsonrpc_framer: %s: %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t ctl = data[0];
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  const bool small = ctl & 0x80;
  const size_t max_message = small ? 16 + (ctl & 0x3f) * 4 : Framer::kDefaultMaxMessage;

  Outcome whole = Frame(stream, max_message, 0);
  Outcome cut = Frame(stream, max_message, 0x9e3779b9u ^ ctl);
  if (small) {
    if (whole.error.empty() != cut.error.empty()) Fail("error depends on the reads", whole.error + "|" + cut.error);
    size_t n = std::min(whole.messages.size(), cut.messages.size());
    if (whole.error.empty() && whole.messages.size() != cut.messages.size()) Fail("message count", "");
    for (size_t i = 0; i < n; i++) {
      if (whole.messages[i] != cut.messages[i]) Fail("messages depend on the reads", whole.messages[i]);
    }
  } else {
    if (whole.messages != cut.messages) Fail("messages depend on the reads", "");
    if (whole.error != cut.error) Fail("error depends on the reads", whole.error + "|" + cut.error);
    if (whole.error.empty() && whole.pending != cut.pending) Fail("pending depends on the reads", "");
  }

  for (const std::string& text : whole.messages) {
    std::optional<vs::Json> fast = vs::ParseJson(text);
    vs::Json ref = vs::Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (fast.has_value() == ref.is_discarded()) Fail("ParseJson and Json::parse disagree on validity", text);
    if (!fast) continue;
    if (*fast != ref) Fail("ParseJson and Json::parse disagree on the value", text);
    (void)vs::JsonToString(*fast);
  }
  return 0;
}
