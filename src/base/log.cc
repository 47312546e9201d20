#include "base/log.h"

#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>

namespace vs::log {
namespace {

struct State {
  std::mutex mu;
  std::deque<Module> modules;  // deque: stable references
  std::map<std::string, Module*, std::less<>> by_name;
  FILE* file = nullptr;
  std::string file_path;
  bool console_enabled = true;
  uint64_t seq = 0;
  Level default_levels[kNumDests] = {Level::kInfo, Level::kInfo};
};

State& St() {
  static State* s = new State();  // never destroyed: usable from atexit paths
  return *s;
}

const char* kDestNames[kNumDests] = {"console", "file"};

std::string Timestamp() {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  struct tm tm;
  gmtime_r(&tv.tv_sec, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tv.tv_usec / 1000);
}

}  // namespace

const char* LevelName(Level level) {
  switch (level) {
    case Level::kOff: return "OFF";
    case Level::kEmer: return "EMER";
    case Level::kErr: return "ERR";
    case Level::kWarn: return "WARN";
    case Level::kInfo: return "INFO";
    case Level::kDbg: return "DBG";
  }
  return "?";
}

std::optional<Level> ParseLevel(std::string_view s) {
  static const std::pair<const char*, Level> kNames[] = {
      {"off", Level::kOff}, {"emer", Level::kEmer}, {"err", Level::kErr},
      {"warn", Level::kWarn}, {"info", Level::kInfo}, {"dbg", Level::kDbg},
      {"debug", Level::kDbg}};
  for (auto& [n, l] : kNames) {
    if (s.size() == strlen(n) && strncasecmp(s.data(), n, s.size()) == 0) return l;
  }
  return std::nullopt;
}

Module::Module(std::string name) : name_(std::move(name)) {
  int min = 0;
  for (int d = 0; d < kNumDests; d++) {
    int l = static_cast<int>(St().default_levels[d]);
    levels_[d].store(l);
    if (l > min) min = l;
  }
  min_level_.store(min);
}

void Module::SetLevel(Dest d, Level level) {
  levels_[static_cast<int>(d)].store(static_cast<int>(level));
  int min = 0;
  for (int i = 0; i < kNumDests; i++) min = std::max(min, levels_[i].load());
  min_level_.store(min);
}

Module& GetModule(std::string_view name) {
  State& s = St();
  std::lock_guard lock(s.mu);
  auto it = s.by_name.find(name);
  if (it != s.by_name.end()) return *it->second;
  Module& m = s.modules.emplace_back(std::string(name));
  s.by_name.emplace(std::string(name), &m);
  return m;
}

Status SetLogFile(const std::string& path) {
  State& s = St();
  FILE* f = fopen(path.c_str(), "a");
  if (!f) return Status::FromErrno(errno, fmt::format("could not open log file {}", path));
  std::lock_guard lock(s.mu);
  if (s.file) fclose(s.file);
  s.file = f;
  s.file_path = path;
  return Status::Ok();
}

Status ReopenLogFile() {
  std::string path;
  {
    std::lock_guard lock(St().mu);
    path = St().file_path;
  }
  if (path.empty()) return Status::Ok();
  return SetLogFile(path);
}

void DisableConsole() {
  std::lock_guard lock(St().mu);
  St().console_enabled = false;
}

Status ApplySpec(std::string_view spec) {
  std::optional<std::string> module;  // nullopt = ANY
  std::optional<int> dest;            // nullopt = ANY
  std::optional<Level> level;
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t colon = spec.find(':', pos);
    std::string_view word = spec.substr(pos, colon == std::string_view::npos ? spec.npos : colon - pos);
    pos = colon == std::string_view::npos ? spec.size() + 1 : colon + 1;
    if (word.empty()) return Status(EINVAL, fmt::format("empty word in \"{}\"", spec));
    if (strncasecmp(word.data(), "any", 3) == 0 && word.size() == 3) continue;
    if (auto l = ParseLevel(word)) {
      level = *l;
      continue;
    }
    bool is_dest = false;
    for (int d = 0; d < kNumDests; d++) {
      if (word == kDestNames[d]) {
        dest = d;
        is_dest = true;
      }
    }
    if (is_dest) continue;
    if (word == "syslog") continue;  // accepted for compatibility; numavs does not log to syslog
    {
      std::lock_guard lock(St().mu);
      if (St().by_name.find(word) == St().by_name.end()) {
        return Status(EINVAL, fmt::format("unknown module \"{}\"", word));
      }
    }
    module = std::string(word);
  }
  Level lv = level.value_or(Level::kDbg);
  std::lock_guard lock(St().mu);
  for (Module& m : St().modules) {
    if (module && m.name() != *module) continue;
    for (int d = 0; d < kNumDests; d++) {
      if (dest && *dest != d) continue;
      m.SetLevel(static_cast<Dest>(d), lv);
    }
  }
  if (!module) {
    for (int d = 0; d < kNumDests; d++) {
      if (!dest || *dest == d) St().default_levels[d] = lv;
    }
  }
  return Status::Ok();
}

std::string ListModules() {
  std::string out = "                 console    syslog    file\n"
                    "                 -------    ------    ------\n";
  std::lock_guard lock(St().mu);
  for (auto& [name, m] : St().by_name) {
    out += fmt::format("{:<16} {:<10} {:<9} {}\n", name,
                       fmt::format("{}", LevelName(m->level(Dest::kConsole))), "OFF",
                       LevelName(m->level(Dest::kFile)));
  }
  return out;
}

void Emit(Module& m, Level level, std::string_view text) {
  State& s = St();
  std::lock_guard lock(s.mu);
  uint64_t seq = ++s.seq;
  std::string line = fmt::format("{}|{:05}|{}|{}|{}\n", Timestamp(), seq, m.name(),
                                 LevelName(level), text);
  if (s.console_enabled && level <= m.level(Dest::kConsole) && m.level(Dest::kConsole) != Level::kOff) {
    fwrite(line.data(), 1, line.size(), stderr);
  }
  if (s.file && level <= m.level(Dest::kFile) && m.level(Dest::kFile) != Level::kOff) {
    fwrite(line.data(), 1, line.size(), s.file);
    fflush(s.file);
  }
}

bool RateLimit::Allow(unsigned* suppressed_out) {
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (last_.time_since_epoch().count() != 0) {
    double minutes = std::chrono::duration<double>(now - last_).count() / 60.0;
    tokens_ = std::min<double>(burst_, tokens_ + minutes * per_minute_);
  }
  last_ = now;
  if (tokens_ < 1.0) {
    suppressed_++;
    return false;
  }
  tokens_ -= 1.0;
  *suppressed_out = suppressed_;
  suppressed_ = 0;
  return true;
}

}  // namespace vs::log
