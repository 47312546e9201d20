#include "numa/appctl.h"

#include "numa/report.h"

namespace vs::numa {
namespace {

// Splits off a trailing/leading --format=json|text.
Result<bool> TakeFormat(std::vector<std::string>* args) {
  bool json = false;
  for (auto it = args->begin(); it != args->end();) {
    if (it->rfind("--format=", 0) == 0) {
      std::string v = it->substr(9);
      if (v != "json" && v != "text") {
        return Status(EINVAL, fmt::format("unknown format \"{}\" (use json or text)", v));
      }
      json = v == "json";
      it = args->erase(it);
    } else {
      ++it;
    }
  }
  return json;
}

}  // namespace

void RegisterMemoryCommands(ctl::UnixctlServer& server, PoolRegistry& registry) {
  PoolRegistry* reg = &registry;
  server.Register("memory/show", "[--format=json]", 0, 1,
                  [reg](const std::vector<std::string>& a) -> Result<std::string> {
                    std::vector<std::string> args = a;
                    auto json = TakeFormat(&args);
                    if (!json.ok()) return json.status();
                    if (!args.empty()) return Status(EINVAL, "usage: memory/show [--format=json]");
                    Json r = MemoryReportJson(*reg);
                    return *json ? r.dump(2) + "\n" : MemoryReportText(r);
                  });
  server.Register("memory/preflight", "NAME,DEVARGS[,OPT=N...] [--format=json]", 1, 2,
                  [reg](const std::vector<std::string>& a) -> Result<std::string> {
                    std::vector<std::string> args = a;
                    auto json = TakeFormat(&args);
                    if (!json.ok()) return json.status();
                    if (args.size() != 1) {
                      return Status(EINVAL, "usage: memory/preflight NAME,DEVARGS[,OPT=N...]");
                    }
                    auto port = ParsePortArgs(args[0], reg->topology());
                    if (!port.ok()) return port.status();
                    Json p = PreflightJson(*reg, *port);
                    return *json ? p.dump(2) + "\n" : PreflightText(p);
                  });
  server.Register("dpdk/get-malloc-stats", "", 0, 0,
                  [reg](const std::vector<std::string>&) -> Result<std::string> {
                    return MallocStatsText(*reg);
                  });
  auto mempool_info = [reg](const std::vector<std::string>& a) -> Result<std::string> {
    return MempoolInfoText(*reg, a.empty() ? "" : a[0]);
  };
  // OVS's name, and the shorter one beside dpdk/get-malloc-stats.
  server.Register("netdev-dpdk/get-mempool-info", "[netdev]", 0, 1, mempool_info);
  server.Register("dpdk/get-mempool-info", "[netdev]", 0, 1, mempool_info);
}

}  // namespace vs::numa
