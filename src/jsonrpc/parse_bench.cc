// Framing and parsing of JSON-RPC requests: Json::parse (nlohmann) against
// ParseJson (simdjson, then the same Json tree), on the two transactions of
// bench/ovsdb's tps benchmark and on a 200-row transact, and the Framer over
// a stream of requests.
// Run: build/default/bench/jsonrpc_parse_bench   (not part of ctest)
#include <benchmark/benchmark.h>

#include <string>

#include "base/json_parse.h"
#include "jsonrpc/framer.h"

namespace vs::jsonrpc {
namespace {

const std::string kMutate =
    R"({"id":17,"method":"transact","params":["Open_vSwitch",{"op":"mutate","table":"Open_vSwitch",)"
    R"("where":[],"mutations":[["other_config","delete",["set",["bench-3"]]],)"
    R"(["other_config","insert",["map",[["bench-3","1234"]]]]]}]})";
const std::string kInsertDelete =
    R"({"id":18,"method":"transact","params":["Open_vSwitch",{"op":"insert","table":"Queue",)"
    R"("uuid-name":"q","row":{"external_ids":["map",[["bench","3-1235"]]]}},)"
    R"({"op":"delete","table":"Queue","where":[["_uuid","==",["named-uuid","q"]]]}]})";

std::string BigTransact() {
  std::string s = R"({"id":1,"method":"transact","params":["Open_vSwitch")";
  for (int i = 0; i < 200; i++) {
    s += R"(,{"op":"insert","table":"Interface","row":{"name":"p)" + std::to_string(i) +
         R"(","type":"dpdk","options":["map",[["dpdk-devargs","0000:81:00.1"],["n_rxq","2"]]]}})";
  }
  return s + "]}";
}

const std::string& Text(int which) {
  static const std::string big = BigTransact();
  return which == 0 ? kMutate : which == 1 ? kInsertDelete : big;
}

void BM_NlohmannParse(benchmark::State& state) {
  const std::string& t = Text(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(Json::parse(t, nullptr, false));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * t.size()));
}
BENCHMARK(BM_NlohmannParse)->Arg(0)->Arg(1)->Arg(2);

void BM_ParseJson(benchmark::State& state) {
  const std::string& t = Text(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(ParseJson(t));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * t.size()));
}
BENCHMARK(BM_ParseJson)->Arg(0)->Arg(1)->Arg(2);

void BM_Framer(benchmark::State& state) {
  std::string stream;
  for (int i = 0; i < 64; i++) stream += (i % 2 ? kMutate : kInsertDelete) + "\n";
  for (auto _ : state) {
    Framer f;
    f.Feed(stream);
    int n = 0;
    while (f.Next()) n++;
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_Framer);

}  // namespace
}  // namespace vs::jsonrpc

BENCHMARK_MAIN();
