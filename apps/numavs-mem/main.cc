// numavs-mem: the memory report and the port preflight, standalone.
//
//   numavs-mem --sysfs-root=tests/fixtures/sysfs/two-node
//       --other-config=dpdk-extra=--legacy-mem --other-config=dpdk-socket-mem=1024,0
//       --port=dpdk1,0000:03:00.0 --preflight=dpdk0,0000:81:00.1,mtu=9000 [--format=json]
//
// With the simulated backend (default) the ports' pools are created in per-node heaps whose
// budgets follow the EAL's rules; with --dpdk the real EAL is started (other_config decides its
// arguments) and the pools are real mempools.
// Exit status: 0 all ports got pools and the preflight fits, 1 otherwise, 2 bad usage/config.
// Options take their value after "=" or as the next argument (CLI11).
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/json.h"
#include "base/log.h"
#include "numa/dpdk_backend.h"
#include "numa/eal.h"
#include "numa/pool.h"
#include "numa/report.h"
#include "numa/sim_backend.h"
#include "numa/sysfs.h"

namespace vs::numa {
namespace {

constexpr const char* kUsage = R"(usage: numavs-mem [OPTIONS]
  --sysfs-root=DIR          read topology from DIR laid out like /sys (default /)
  --other-config=KEY=VALUE  an Open_vSwitch other_config key (dpdk-socket-mem, dpdk-extra,
                            dpdk-socket-limit, numa-fallback, ...); repeatable
  --port=NAME,DEVARGS[,OPT=N...]
                            a port that exists: its pool is created; OPT is mtu, n_rxq, n_txq,
                            n_rxq_desc, n_txq_desc, pmds, cpu (the polling CPU); repeatable
  --preflight=NAME,DEVARGS[,OPT=N...]
                            a port about to be added: what each node needs and has
  --plan                    print the memory plan for the --port list instead of creating pools
  --dpdk                    use the real DPDK EAL (needs dpdk-init=true) instead of the simulation
  --format=text|json        output format (default text)
)";

struct Args {
  std::string sysfs_root = "/";
  OtherConfig other_config;
  std::vector<std::string> ports;
  std::string preflight;
  bool plan = false, dpdk = false, json = false;
};

// Errors: code 0 with the usage text for --help; EINVAL with the message.
Result<Args> ParseArgs(int argc, char** argv) {
  Args a;
  std::vector<std::string> other_config;
  std::string format = "text";
  CLI::App app{"", "numavs-mem"};
  app.formatter_fn([](const CLI::App*, std::string, CLI::AppFormatMode) { return kUsage; });
  app.allow_extras();
  app.add_option("--sysfs-root", a.sysfs_root);
  app.add_option("--other-config", other_config);
  app.add_option("--port", a.ports);
  app.add_option("--preflight", a.preflight);
  app.add_flag("--plan", a.plan);
  app.add_flag("--dpdk", a.dpdk);
  app.add_option("--format", format);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return Status(0, kUsage);
  } catch (const CLI::ParseError& e) {
    return Status(EINVAL, fmt::format("{}\n{}", e.what(), kUsage));  // "--format: 1 required ..."
  }
  if (!app.remaining().empty())
    return Status(EINVAL, fmt::format("unknown argument \"{}\"\n{}", app.remaining()[0], kUsage));
  for (const std::string& v : other_config) {
    size_t eq = v.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status(EINVAL, fmt::format("--other-config={}: expected KEY=VALUE", v));
    }
    a.other_config[v.substr(0, eq)] = v.substr(eq + 1);
  }
  if (format != "json" && format != "text") return Status(EINVAL, "--format must be text or json");
  a.json = format == "json";
  return a;
}

int Run(int argc, char** argv) {
  auto args = ParseArgs(argc, argv);
  if (!args.ok()) {
    std::fputs(args.status().message().c_str(), args.status().code() ? stderr : stdout);
    if (args.status().code()) std::fputc('\n', stderr);
    return args.status().code() ? 2 : 0;
  }
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "numavs-mem: %s\n", s.message().c_str());
    return 2;
  };
  auto topo = ReadTopology(args->sysfs_root);
  if (!topo.ok()) return fail(topo.status());
  auto cfg = ParseEalConfig(args->other_config, *topo);
  if (!cfg.ok()) return fail(cfg.status());
  std::vector<PortSpec> ports;
  for (const auto& t : args->ports) {
    auto p = ParsePortArgs(t, *topo);
    if (!p.ok()) return fail(p.status());
    ports.push_back(*p);
  }
  if (args->plan) {
    Plan plan = MakePlan(ports, *cfg, *topo);
    std::string out = args->json ? plan.ToJson().dump(2) + "\n" : plan.ToText();
    std::fputs(out.c_str(), stdout);
    return plan.fits() ? 0 : 1;
  }
  std::unique_ptr<Backend> backend;
  if (args->dpdk) {
    if (Status s = Eal::Init(*cfg, *topo, "numavs-mem"); !s.ok()) return fail(s);
    auto b = DpdkBackend::Create(*topo);
    if (!b.ok()) return fail(b.status());
    backend = std::move(b.value());
  } else {
    auto b = SimBackend::Create(*topo, *cfg);
    if (!b.ok()) return fail(b.status());
    backend = std::move(b.value());
  }
  int rc = 0;
  Json out = Json::object();
  {
    PoolRegistry reg(*backend, *cfg, *topo);
    Json jports = Json::array();
    std::string text;
    for (const auto& p : ports) {
      AttachResult r = reg.Attach(p);
      if (r.ok()) {
        jports.push_back({{"port", p.name},
                          {"ok", true},
                          {"node", r.value().node},
                          {"pool", r.value().pool},
                          {"remote", r.value().remote},
                          {"status", r.value().status}});
        text += fmt::format("{}: pool {} on NUMA node {}{}\n", p.name, r.value().pool,
                            r.value().node, r.value().remote ? " (" + r.value().status + ")" : "");
      } else {
        rc = 1;
        jports.push_back({{"port", p.name},
                          {"ok", false},
                          {"node", r.error().node},
                          {"error", r.error().message},
                          {"fix", r.error().fix},
                          {"restart_needed", r.error().restart_needed}});
        text += fmt::format("{}: error: {}\n", p.name, r.error().message);
      }
    }
    out["ports"] = jports;
    out["report"] = MemoryReportJson(reg);
    text += MemoryReportText(out["report"]);
    if (!args->preflight.empty()) {
      auto p = ParsePortArgs(args->preflight, *topo);
      if (!p.ok()) return fail(p.status());
      out["preflight"] = PreflightJson(reg, *p);
      if (!out["preflight"]["fits"].get<bool>()) rc = 1;
      text += PreflightText(out["preflight"]);
    }
    std::string s = args->json ? out.dump(2) + "\n" : text;
    std::fputs(s.c_str(), stdout);
  }
  backend.reset();
  if (args->dpdk) Eal::Shutdown();
  return rc;
}

}  // namespace
}  // namespace vs::numa

int main(int argc, char** argv) {
  // Pool creation is logged at INFO; the tool's output is the report.
  (void)vs::log::ApplySpec("ANY:console:warn");
  return vs::numa::Run(argc, argv);
}
