// Logging in the OVS vlog line format, per module, with levels settable at run
// time (ovs-appctl vlog/set) and token-bucket rate limiting (STYLE D1, D2).
//
//   2026-11-25T10:00:00.123Z|00001|ovsdb_server|INFO|listening on punix:/run/db.sock
//
// Each module declares one logger:   static vs::log::Module& kLog = vs::log::GetModule("jsonrpc");
// and logs with                       VS_LOG_INFO(kLog, "connection from {}", peer);
// Messages that a peer can trigger go through a RateLimit:
//   static vs::log::RateLimit rl(5, 20);  VS_LOG_WARN_RL(kLog, rl, "bad message: {}", why);
//
// Destinations: console (stderr) and file. Thread-safe; not for the packet path.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "base/status.h"

namespace vs::log {

enum class Level : int { kOff = 0, kEmer, kErr, kWarn, kInfo, kDbg };
enum class Dest : int { kConsole = 0, kFile = 1 };
constexpr int kNumDests = 2;

const char* LevelName(Level level);      // "INFO", "WARN", ...
std::optional<Level> ParseLevel(std::string_view s);  // case-insensitive, "dbg"/"debug"...

class Module {
 public:
  explicit Module(std::string name);
  const std::string& name() const { return name_; }
  bool Enabled(Level level) const {
    return static_cast<int>(level) <= min_level_.load(std::memory_order_relaxed);
  }
  Level level(Dest d) const { return static_cast<Level>(levels_[static_cast<int>(d)].load()); }
  void SetLevel(Dest d, Level level);

 private:
  std::string name_;
  std::atomic<int> levels_[kNumDests];
  std::atomic<int> min_level_;  // the most verbose level over all destinations
};

// Returns the module of that name, creating it on first use. References stay valid.
Module& GetModule(std::string_view name);

// Opens (or reopens, for log rotation) the log file; file logging is off until then.
Status SetLogFile(const std::string& path);
// Reopens the current log file (vlog/reopen). OK if no file is configured.
Status ReopenLogFile();
// Applies an ovs-appctl vlog/set specification: "[module|ANY][:dest|ANY][:level]"
// ("ANY:file:dbg", "console:off", "jsonrpc:warn"). Errors: EINVAL with a sentence.
Status ApplySpec(std::string_view spec);
// Text of vlog/list: one line per module with its console and file levels.
std::string ListModules();
// Disables console output (after --detach).
void DisableConsole();

void Emit(Module& m, Level level, std::string_view text);

// Token bucket: `rate` messages per minute with bursts of `burst`.
class RateLimit {
 public:
  RateLimit(int per_minute, int burst) : per_minute_(per_minute), burst_(burst), tokens_(burst) {}
  // True if a message may be logged now; counts suppressed ones otherwise.
  bool Allow(unsigned* suppressed_out);

 private:
  std::mutex mu_;
  int per_minute_;
  int burst_;
  double tokens_;
  std::chrono::steady_clock::time_point last_{};
  unsigned suppressed_ = 0;
};

template <typename... Args>
void Log(Module& m, Level level, fmt::format_string<Args...> f, Args&&... args) {
  if (!m.Enabled(level)) return;
  Emit(m, level, fmt::format(f, std::forward<Args>(args)...));
}

template <typename... Args>
void LogRl(Module& m, RateLimit& rl, Level level, fmt::format_string<Args...> f, Args&&... args) {
  if (!m.Enabled(level)) return;
  unsigned suppressed = 0;
  if (!rl.Allow(&suppressed)) return;
  std::string text = fmt::format(f, std::forward<Args>(args)...);
  if (suppressed) text += fmt::format(" ({} similar messages suppressed)", suppressed);
  Emit(m, level, text);
}

}  // namespace vs::log

#define VS_LOG_ERR(m, ...) ::vs::log::Log(m, ::vs::log::Level::kErr, __VA_ARGS__)
#define VS_LOG_WARN(m, ...) ::vs::log::Log(m, ::vs::log::Level::kWarn, __VA_ARGS__)
#define VS_LOG_INFO(m, ...) ::vs::log::Log(m, ::vs::log::Level::kInfo, __VA_ARGS__)
#define VS_LOG_DBG(m, ...) ::vs::log::Log(m, ::vs::log::Level::kDbg, __VA_ARGS__)
#define VS_LOG_WARN_RL(m, rl, ...) ::vs::log::LogRl(m, rl, ::vs::log::Level::kWarn, __VA_ARGS__)
#define VS_LOG_INFO_RL(m, rl, ...) ::vs::log::LogRl(m, rl, ::vs::log::Level::kInfo, __VA_ARGS__)
#define VS_LOG_DBG_RL(m, rl, ...) ::vs::log::LogRl(m, rl, ::vs::log::Level::kDbg, __VA_ARGS__)
