#include "numa/eal_log.h"

#include <rte_log.h>
#include <stdio.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>

#include <fmt/format.h>

#include "base/log.h"

namespace vs::numa {
namespace {

vs::log::Module& kDpdkLog = vs::log::GetModule("dpdk");

vs::log::Level VlogLevel(int rte_level) {
  switch (rte_level) {
    case RTE_LOG_EMERG:
    case RTE_LOG_ALERT:
    case RTE_LOG_CRIT: return vs::log::Level::kEmer;
    case RTE_LOG_ERR: return vs::log::Level::kErr;
    case RTE_LOG_WARNING: return vs::log::Level::kWarn;
    case RTE_LOG_NOTICE:
    case RTE_LOG_INFO: return vs::log::Level::kInfo;
    default: return vs::log::Level::kDbg;
  }
}

// The cookie stream's write function: complete lines go to the vlog; an
// unfinished one waits in this thread's buffer for the rest.
ssize_t WriteToVlog(void*, const char* buf, size_t size) {
  thread_local std::string pending;
  pending.append(buf, size);
  size_t start = 0;
  // A device that cannot be opened is retried on every reconfiguration, and
  // DPDK says why each time: its warnings and errors are rate-limited.
  static vs::log::RateLimit rl(60, 30);
  for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
    if (nl == start) continue;
    vs::log::Level level = VlogLevel(rte_log_cur_msg_loglevel());
    std::string_view text = std::string_view(pending).substr(start, nl - start);
    unsigned suppressed = 0;
    if (level > vs::log::Level::kWarn) {
      vs::log::Emit(kDpdkLog, level, text);
    } else if (kDpdkLog.Enabled(level) && rl.Allow(&suppressed)) {
      vs::log::Emit(kDpdkLog, level,
                    suppressed ? fmt::format("{} ({} similar messages suppressed)", text, suppressed)
                               : std::string(text));
    }
  }
  pending.erase(0, start);
  return static_cast<ssize_t>(size);
}

std::optional<uint32_t> ParseRteLevel(const std::string& s) {
  static const std::pair<const char*, uint32_t> kNames[] = {
      {"emergency", RTE_LOG_EMERG}, {"alert", RTE_LOG_ALERT}, {"critical", RTE_LOG_CRIT},
      {"error", RTE_LOG_ERR},       {"warning", RTE_LOG_WARNING}, {"notice", RTE_LOG_NOTICE},
      {"info", RTE_LOG_INFO},       {"debug", RTE_LOG_DEBUG}};
  for (auto& [n, l] : kNames)
    if (s == n) return l;
  return std::nullopt;
}

}  // namespace

Status RouteDpdkLog() {
  static std::once_flag once;
  static Status result = Status::Ok();
  std::call_once(once, [] {
    cookie_io_functions_t io = {nullptr, WriteToVlog, nullptr, nullptr};
    FILE* f = fopencookie(nullptr, "w", io);
    if (!f) {
      result = Status::FromErrno(errno, "could not route DPDK's log (fopencookie)");
      return;
    }
    setvbuf(f, nullptr, _IONBF, 0);
    if (rte_openlog_stream(f) != 0) result = Status(EIO, "rte_openlog_stream failed");
  });
  return result;
}

std::string DpdkLogList() {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  if (!f) return "could not list DPDK's log types (open_memstream failed)\n";
  rte_log_dump(f);
  fclose(f);
  std::string out(buf, len);
  free(buf);
  return out;
}

Status DpdkLogSet(const std::vector<std::string>& args) {
  std::vector<std::pair<std::string, uint32_t>> todo;  // pattern ("" = global), level
  for (const std::string& a : args.empty() ? std::vector<std::string>{"debug"} : args) {
    size_t colon = a.rfind(':');
    std::string pattern = colon == std::string::npos ? "" : a.substr(0, colon);
    std::string level = colon == std::string::npos ? a : a.substr(colon + 1);
    auto l = ParseRteLevel(level);
    if (!l || (colon != std::string::npos && pattern.empty()))
      return Status(EINVAL, fmt::format("invalid log level: \"{}\" (expected LEVEL or PATTERN:LEVEL, "
                                        "LEVEL one of emergency, alert, critical, error, warning, "
                                        "notice, info, debug)",
                                        a));
    todo.emplace_back(pattern, *l);
  }
  for (const auto& [pattern, level] : todo) {
    if (pattern.empty()) {
      rte_log_set_global_level(level);
    } else if (rte_log_set_level_pattern(pattern.c_str(), level) < 0) {
      return Status(EINVAL, fmt::format("cannot set DPDK log level of \"{}\"", pattern));
    }
  }
  return Status::Ok();
}

}  // namespace vs::numa
