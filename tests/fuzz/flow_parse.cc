// Fuzz target: the ovs-ofctl flow syntax parser and printer (dp/flow_parse.h), as
// numavs-ofctl add-flow/add-flows/del-flows/dump-flows and ofproto/trace feed it.
//
// Input: the flow text. It is parsed as a flow to add, as a match only, and as an action
// list; errors are values. Checked besides (a failure aborts): a parsed match keeps its
// invariant (key & mask == key), and a parsed flow printed by FormatFlow (what dump-flows
// shows) parses back to the same priority, match and actions.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "dp/flow_parse.h"

namespace {

using namespace vs::dp;

std::optional<uint32_t> Resolve(std::string_view n) {
  if (n == "dpdk0") return 1;
  if (n == "dpdk1") return 2;
  if (n == "br0") return 65534;
  return std::nullopt;
}

std::string Name(uint32_t p) {
  switch (p) {
    case 1: return "dpdk0";
    case 2: return "dpdk1";
    case 65534: return "br0";
    default: return "";
  }
}

[[noreturn]] void Fail(const char* what, std::string_view text, const std::string& detail) {
  std::fprintf(stderr, "flow_parse: %s: input \"%.*s\": %s\n", what, static_cast<int>(text.size()),
               text.data(), detail.c_str());
  std::abort();
}

void CheckNormalized(std::string_view text, const Match& m) {
  Match n = m;
  n.Normalize();
  if (!(n == m)) Fail("match bits outside its mask", text, FormatMatch(m, Name));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto add = ParseFlow(text, ParseMode::kAdd, Resolve);
  if (add.ok()) {
    CheckNormalized(text, add->match);
    std::string printed = FormatFlow(add->priority, add->match, add->actions, Name);
    auto again = ParseFlow(printed, ParseMode::kAdd, Resolve);
    if (!again.ok()) Fail("printed flow does not parse", text, printed + ": " + again.status().message());
    if (again->priority != add->priority || !(again->match == add->match) ||
        again->actions != add->actions) {
      Fail("printed flow parses differently", text, printed);
    }
    (void)FormatDpMatch(add->match, Name);
  }
  auto match = ParseFlow(text, ParseMode::kMatchOnly, Resolve);
  if (match.ok()) {
    CheckNormalized(text, match->match);
    (void)FormatMatch(match->match, Name);
  }
  (void)ParseActions(text, Resolve);
  return 0;
}
