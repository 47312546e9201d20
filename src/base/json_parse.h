// Parsing JSON text into `Json` (base/json.h), fast.
//
// simdjson validates and tokenises the text (structural indexing with SIMD,
// ~0.2 us for a typical OVSDB request); the tree is then built as a Json,
// which is most of the cost. For the two requests of bench/ovsdb's tps
// benchmark that is 2.5 us against 4.0-4.2 us for Json::parse
// (build/default/bench/jsonrpc_parse_bench); on the server under that
// benchmark, parsing went from 15 % to 9 % of its CPU time.
//
// Results are the same as Json::parse's: non-negative integers are
// unsigned, negative ones signed ("-0" aside: an unsigned 0 here), a
// repeated object key keeps its last value; anything simdjson refuses
// (including integers beyond 64 bits, which Json::parse reads as doubles) is
// handed to Json::parse, so what is accepted and refused does not change.
// simdjson refuses documents nested deeper than 1024 levels (Json::parse,
// which does not recurse, takes those), so building the tree recurses at
// most that deep.
#pragma once

#include <optional>
#include <string_view>

#include "base/json.h"

namespace vs {

// The value, or nullopt for text that is not one JSON value.
std::optional<Json> ParseJson(std::string_view text);

}  // namespace vs
