// The PMD knobs OVS users tune, on numavs-switchd's control thread: the PMD keys of
// other_config (pmd-rxq-assign, pmd-rxq-isolate, pmd-auto-lb*), the measuring
// interval and pmd-auto-lb, and the dpif-netdev/pmd-* commands with OVS 3.1's
// arguments and output shapes.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

#include "base/log.h"
#include "switchd/switchd.h"

namespace vs::switchd {
namespace {

log::Module& kLog = log::GetModule("dpif_netdev");
constexpr const char* kDpName = "netdev@ovs-netdev";

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// The arguments of the pmd-* commands: [-pmd CORE] [-secs SECS] [DP].
struct PmdArgs {
  int core = -1;
  unsigned secs = 0;  // 0: not given
};

Result<PmdArgs> ParsePmdArgs(const std::vector<std::string>& args, bool secs_allowed) {
  PmdArgs out;
  for (size_t i = 0; i < args.size(); i++) {
    const std::string& a = args[i];
    bool pmd = a == "-pmd", secs = secs_allowed && a == "-secs";
    if ((pmd || secs) && i + 1 < args.size()) {
      const std::string& v = args[++i];
      bool num = !v.empty() && v.size() <= 6 && v.find_first_not_of("0123456789") == std::string::npos;
      if (pmd && !num) return Status(EINVAL, fmt::format("-pmd \"{}\": a core number is expected", v));
      if (pmd) out.core = std::stoi(v);
      if (secs) out.secs = num ? static_cast<unsigned>(std::stoul(v)) : 0;  // OVS: bad = all
      if (secs && !num) out.secs = kPmdIntervals * kPmdIntervalMs / 1000;
    } else if (a != kDpName) {
      return Status(EINVAL, "please specify an existing datapath");
    }
  }
  return out;
}

}  // namespace

std::vector<PortQueues> Switchd::PmdPorts() const {
  std::vector<PortQueues> ports;
  for (const auto& [u, in] : ifaces_) {
    if (!in.dev || in.dp_port == dp::kNoPort || in.admin_down) continue;
    netdev::Netdev& d = *in.dev;
    if (d.n_rxq() == 0 && d.n_txq() == 0) continue;  // no PMD polls or sends on it
    std::string affinity;
    if (const auto* rows = idl_.table("Interface")) {
      auto r = rows->find(u);
      if (r != rows->end()) {
        auto oc = ovsdb::client::GetStringMap(r->second, "other_config");
        if (auto a = oc.find("pmd-rxq-affinity"); a != oc.end()) affinity = a->second;
      }
    }
    ports.push_back(PortQueues{in.cfg.name, in.dp_port, &d, d.ethdev_port(), d.n_rxq(), d.n_txq(),
                               d.numa_node(), affinity, {}});
  }
  return ports;
}

Result<PmdPlan> Switchd::PlanPmds(std::vector<PortQueues> ports, const SwitchConfig& cfg,
                                  bool fresh) {
  auto mask_it = cfg.other_config.find("pmd-cpu-mask");
  std::string mask = mask_it == cfg.other_config.end() ? "" : mask_it->second;
  std::string key = fmt::format("{}|{}|{}|", mask, RxqAssignName(pmd_opts_.assign),
                                pmd_opts_.effective_isolate());
  for (const auto& p : ports)
    key += fmt::format("{}:{}:{}:{}:{}:{};", p.name, p.dp_port, p.n_rxq, p.n_txq, p.numa,
                       p.rxq_affinity);
  // Measurements change all the time; they are taken when a re-plan is due: ports come
  // or go or change their queues or node, a PMD key changes, or a rebalance is asked
  // for. An unchanged configuration, or a device reopened as it was, keeps its plan.
  bool refresh = fresh || pmd_rebalance_ || key != pmd_plan_key_;
  std::map<std::pair<std::string, uint16_t>, uint64_t> cycles;
  for (auto& p : ports) {
    for (uint16_t q = 0; q < p.n_rxq; q++) {
      uint64_t c = 0;
      if (refresh) {
        c = pmds_->QueueCycles(p.name, q);
      } else if (auto it = pmd_cycles_.find({p.name, q}); it != pmd_cycles_.end()) {
        c = it->second;
      }
      cycles[{p.name, q}] = c;
      p.rxq_cycles.push_back(c);
    }
  }
  std::map<int, std::vector<int>> cores;
  if (const numa::Topology* topo = ctx_.topology())
    for (const auto& n : topo->nodes()) cores[n.id] = n.cpus;
  auto plan = Plan(ports, cores, mask, dp_->options().max_ports, pmd_opts_);
  if (plan.ok() && !fresh) {
    pmd_plan_key_ = key;
    pmd_cycles_ = std::move(cycles);
  }
  return plan;
}

void Switchd::ReadPmdOptions(const SwitchConfig& cfg) {
  std::vector<std::string> errors;
  PmdOptions o = ParsePmdOptions(cfg.other_config, pmd_opts_, &errors);
  std::string joined = fmt::format("{}", fmt::join(errors, "; "));
  if (joined != pmd_opts_errors_)
    for (const auto& e : errors) VS_LOG_WARN(kLog, "{}", e);
  pmd_opts_errors_ = joined;
  const PmdOptions old = pmd_opts_;
  const bool first = !pmd_opts_read_;
  pmd_opts_read_ = true;
  pmd_opts_ = o;
  if (o.assign != old.assign)
    VS_LOG_INFO(kLog, "Rxq to PMD assignment mode changed to: '{}'.", RxqAssignName(o.assign));
  if (o.effective_isolate() != old.effective_isolate())
    VS_LOG_INFO(kLog, "pmd-rxq-affinity {} PMD core",
                o.effective_isolate() ? "isolates" : "does not isolate");
  // As OVS: the auto-lb settings and state are logged at start and when they change.
  bool log_alb = first;
  if (first || o.alb_interval_min != old.alb_interval_min) {
    VS_LOG_INFO(kLog, "PMD auto load balance interval set to {} mins", o.alb_interval_min);
    log_alb = true;
  }
  if (first || o.alb_improvement_threshold != old.alb_improvement_threshold) {
    VS_LOG_INFO(kLog, "PMD auto load balance improvement threshold set to {}%",
                o.alb_improvement_threshold);
    log_alb = true;
  }
  if (first || o.alb_load_threshold != old.alb_load_threshold) {
    VS_LOG_INFO(kLog, "PMD auto load balance load threshold set to {}%", o.alb_load_threshold);
    log_alb = true;
  }
  if (log_alb || o.auto_lb != old.auto_lb) {
    if (o.auto_lb) {
      VS_LOG_INFO(kLog, "PMD auto load balance is enabled, interval {} mins, pmd load threshold "
                  "{}%, improvement threshold {}%.",
                  o.alb_interval_min, o.alb_load_threshold, o.alb_improvement_threshold);
    } else {
      VS_LOG_INFO(kLog, "PMD auto load balance is disabled.");
    }
  }
  if (!o.auto_lb) alb_last_check_ms_ = 0;
}

// Every measuring interval: close it (pmd_load.h), then let pmd-auto-lb look.
void Switchd::PmdIntervalTick() {
  if (!pmd_tick_armed_) {
    pmd_tick_armed_ = true;
    if (const char* env = std::getenv("NUMAVS_PMD_INTERVAL_MS")) {
      char* end = nullptr;
      unsigned long v = std::strtoul(env, &end, 10);
      if (end && *end == '\0' && v >= 10 && v <= kPmdIntervalMs) {
        pmd_interval_ms_ = v;
        VS_LOG_INFO(kLog, "PMD measuring interval is {} ms (NUMAVS_PMD_INTERVAL_MS; OVS: {} ms); "
                    "pmd-auto-lb-rebal-interval is scaled by the same factor",
                    v, kPmdIntervalMs);
      } else {
        VS_LOG_WARN(kLog, "NUMAVS_PMD_INTERVAL_MS=\"{}\" is invalid (10 to {} ms); using {} ms",
                    env, kPmdIntervalMs, kPmdIntervalMs);
      }
    }
  }
  pmd_tick_.expires_after(std::chrono::milliseconds(pmd_interval_ms_));
  pmd_tick_.async_wait([this](std::error_code ec) {
    if (ec) return;
    pmds_->SampleInterval(pmd_opts_.auto_lb, pmd_opts_.alb_load_threshold);
    AutoLoadBalance();
    PmdIntervalTick();
  });
}

// As OVS's pmd-auto-lb: every rebalance interval, if a non-isolated PMD was busy at
// least the load threshold for the last kPmdIntervals intervals, a dry run plans
// with the measured cycles; if that improves the variance of the PMDs' busy
// percentages by the improvement threshold, the plan is applied.
void Switchd::AutoLoadBalance() {
  if (!pmd_opts_.auto_lb) return;
  uint64_t now = NowMs();
  uint64_t interval = uint64_t{pmd_opts_.alb_interval_min} * 60'000 * pmd_interval_ms_ / kPmdIntervalMs;
  if (alb_last_check_ms_ == 0) {
    alb_last_check_ms_ = now;
    return;
  }
  if (now - alb_last_check_ms_ < interval) return;
  alb_last_check_ms_ = now;
  if (!pmds_->Overloaded()) return;
  if (!RebalanceMayHelp(pmds_->plan(), pmd_opts_.assign)) {
    VS_LOG_DBG(kLog, "PMD auto load balance nothing to do, {}",
               pmd_opts_.assign == RxqAssign::kRoundRobin
                   ? "pmd-rxq-assign=roundrobin assignment type configured."
                   : "not enough non-isolated PMDs or RxQs.");
    return;
  }
  SwitchConfig cfg = ReadConfig(idl_);
  if (!cfg.present) return;
  VS_LOG_DBG(kLog, "PMD auto load balance performing dry run.");
  auto estimate = PlanPmds(PmdPorts(), cfg, true);
  if (!estimate.ok()) return;
  auto cycles_of = [this](const RxqRef& q) { return pmds_->QueueCycles(q.port_name, q.queue); };
  std::string why;
  bool met = RebalanceImproves(pmds_->plan(), *estimate, cycles_of, pmds_->IntervalTsc(),
                               pmd_opts_.alb_improvement_threshold, &why);
  VS_LOG_DBG(kLog, "{}", why);
  VS_LOG_DBG(kLog, "PMD load variance improvement threshold {}% is {}.",
             pmd_opts_.alb_improvement_threshold, met ? "met" : "not met");
  if (!met) return;
  VS_LOG_INFO(kLog, "PMD auto load balance dry run. Requesting datapath reconfigure.");
  pmd_rebalance_ = true;
  OnDbChange();
}

void Switchd::RegisterPmdCommands(ctl::UnixctlServer& ctl) {
  auto none = [this](std::string t) {
    if (!pmd_error_.empty()) t += "error: " + pmd_error_ + "\n";
    return t.empty() ? std::string("no PMD threads (no DPDK ports)\n") : t;
  };
  ctl.Register("dpif-netdev/pmd-stats-show", "[-pmd core] [dp]", 0, 3,
               [this](const std::vector<std::string>& a) -> Result<std::string> {
                 auto args = ParsePmdArgs(a, false);
                 if (!args.ok()) return args.status();
                 return pmds_->StatsText(args->core);
               });
  ctl.Register("dpif-netdev/pmd-stats-clear", "[-pmd core] [dp]", 0, 3,
               [this](const std::vector<std::string>& a) -> Result<std::string> {
                 auto args = ParsePmdArgs(a, false);
                 if (!args.ok()) return args.status();
                 pmds_->ClearStats(args->core);
                 return std::string();
               });
  ctl.Register("dpif-netdev/pmd-perf-show", "[-pmd core] [dp]", 0, 3,
               [this](const std::vector<std::string>& a) -> Result<std::string> {
                 auto args = ParsePmdArgs(a, false);
                 if (!args.ok()) return args.status();
                 std::string t = pmds_->PerfText(args->core);
                 return t.empty() ? std::string("no PMD threads (no DPDK ports)\n") : t;
               });
  ctl.Register("dpif-netdev/pmd-rxq-show", "[-pmd core] [-secs secs] [dp]", 0, 5,
               [this, none](const std::vector<std::string>& a) -> Result<std::string> {
                 auto args = ParsePmdArgs(a, true);
                 if (!args.ok()) return args.status();
                 const unsigned step = kPmdIntervalMs / 1000, max = kPmdIntervals * step;
                 unsigned secs = args->secs == 0 || args->secs > max
                                     ? max
                                     : (args->secs + step - 1) / step * step;
                 std::string t = pmds_->RxqText(args->core, secs / step);
                 if (!pmds_->plan().pmds.empty())
                   t = fmt::format("Displaying last {} seconds pmd usage %\n", secs) + t;
                 if (!pmd_opts_errors_.empty()) t += "error: " + pmd_opts_errors_ + "\n";
                 return none(t);
               });
  ctl.Register("dpif-netdev/pmd-rxq-rebalance", "[dp]", 0, 1,
               [this](const std::vector<std::string>& a) -> Result<std::string> {
                 if (!a.empty() && a[0] != kDpName)
                   return Status(EINVAL, "please specify an existing datapath");
                 pmd_rebalance_ = true;
                 asio::post(io_, [this] { OnDbChange(); });
                 return std::string("pmd rxq rebalance requested.\n");
               });
}

}  // namespace vs::switchd
