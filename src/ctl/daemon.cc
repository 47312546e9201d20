#include "ctl/daemon.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "base/coverage.h"
#include "base/log.h"

namespace vs::ctl {
namespace {
int ready_fd = -1;
std::map<std::string, int> pidfile_fds;  // path -> descriptor holding its lock

// The pid of another process holding a write lock on `path`, or 0.
pid_t PidfileHolder(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  struct flock lck = {};
  lck.l_type = F_WRLCK;
  lck.l_whence = SEEK_SET;
  pid_t holder = 0;
  if (fcntl(fd, F_GETLK, &lck) == 0 && lck.l_type != F_UNLCK && lck.l_pid != getpid())
    holder = lck.l_pid;
  // Closing a descriptor drops this process's own locks on the file: only
  // look at files this process does not hold.
  close(fd);
  return holder;
}

// Whether a process accepts connections on the unix socket `path`.
bool SocketIsLive(const std::string& path) {
  sockaddr_un sun{};
  if (path.size() >= sizeof sun.sun_path) return false;
  sun.sun_family = AF_UNIX;
  std::memcpy(sun.sun_path, path.data(), path.size());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return true;  // cannot tell: keep it
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun);
  int err = errno;
  close(fd);
  return rc == 0 || (err != ECONNREFUSED && err != ENOENT);
}

}  // namespace

std::string LogDir() {
  const char* v = getenv("OVS_LOGDIR");
  return v && *v ? v : "/var/log/openvswitch";
}

std::vector<std::string> Pidfiles(const DaemonOptions& o, const DaemonNames& names) {
  std::vector<std::string> out;
  if (!o.pidfile.empty()) out.push_back(o.pidfile);
  if (o.default_pidfile && !names.ovs_name.empty())
    out.push_back(fmt::format("{}/{}.pid", DefaultRunDir(), names.ovs_name));
  return out;
}

Status CheckNotRunning(const std::vector<std::string>& pidfiles) {
  for (const std::string& path : pidfiles) {
    if (pidfile_fds.count(path)) continue;
    if (pid_t holder = PidfileHolder(path)) {
      std::string comm;
      std::ifstream(fmt::format("/proc/{}/comm", holder)) >> comm;
      return Status(EEXIST, fmt::format("{} is already running as pid {} (it holds the pidfile {}); "
                                        "stop it first",
                                        comm.empty() ? std::string("a daemon") : comm, holder, path));
    }
  }
  return Status::Ok();
}

int RemoveStaleControlSockets(const std::string& rundir, const std::string& name) {
  DIR* d = opendir(rundir.c_str());
  if (!d) return 0;
  int removed = 0;
  std::string prefix = name + ".";
  while (dirent* e = readdir(d)) {
    std::string f = e->d_name;
    if (f.size() <= prefix.size() + 4 || f.compare(0, prefix.size(), prefix) != 0 ||
        f.compare(f.size() - 4, 4, ".ctl") != 0)
      continue;
    std::string pid_s = f.substr(prefix.size(), f.size() - prefix.size() - 4);
    if (pid_s.empty() || pid_s.find_first_not_of("0123456789") != std::string::npos) continue;
    if (std::stol(pid_s) == getpid()) continue;
    std::string path = rundir + "/" + f;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode) || SocketIsLive(path)) continue;
    if (unlink(path.c_str()) == 0) removed++;
  }
  closedir(d);
  return removed;
}

Result<std::unique_ptr<UnixctlServer>> CreateControl(asio::io_context& io, const DaemonOptions& o,
                                                     const DaemonNames& names,
                                                     std::string version_text) {
  static log::Module& kLog = log::GetModule("daemon");
  std::string rundir = DefaultRunDir();
  std::vector<std::string> paths;
  paths.push_back(o.unixctl.empty() ? fmt::format("{}/{}.{}.ctl", rundir, names.program, getpid())
                                    : o.unixctl);
  if (o.default_pidfile && !names.ovs_name.empty())
    paths.push_back(fmt::format("{}/{}.{}.ctl", rundir, names.ovs_name, getpid()));
  for (const std::string& n : {names.program, names.ovs_name}) {
    if (n.empty()) continue;
    if (int k = RemoveStaleControlSockets(rundir, n))
      VS_LOG_INFO(kLog, "removed {} stale control socket(s) {}/{}.*.ctl of exited daemons", k,
                  rundir, n);
  }
  auto ctl = UnixctlServer::Create(io, paths[0], std::move(version_text));
  if (!ctl.ok()) return ctl.status();
  for (size_t i = 1; i < paths.size(); i++) VS_RETURN_IF_ERROR((*ctl)->AddPath(paths[i]));
  return ctl;
}

Status WritePidfile(const std::string& path) {
  // Like OVS, the pidfile carries an fcntl write lock held for the process's
  // lifetime: ovs-appctl (read_pidfile) treats an unlocked pidfile as stale.
  VS_RETURN_IF_ERROR(CheckNotRunning({path}));
  std::string tmp = fmt::format("{}.tmp{}", path, getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(errno, fmt::format("could not create pidfile {}", tmp));
  struct flock lck = {};
  lck.l_type = F_WRLCK;
  lck.l_whence = SEEK_SET;
  std::string text = fmt::format("{}\n", getpid());
  if (fcntl(fd, F_SETLK, &lck) < 0 ||
      write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    close(fd);
    unlink(tmp.c_str());
    return Status::FromErrno(err, fmt::format("could not write pidfile {}", path));
  }
  auto it = pidfile_fds.find(path);
  if (it != pidfile_fds.end()) close(it->second);
  pidfile_fds[path] = fd;  // kept open: closing it would drop the lock
  return Status::Ok();
}

void RemovePidfile(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  if (in >> pid && pid == getpid()) unlink(path.c_str());
  auto it = pidfile_fds.find(path);
  if (it != pidfile_fds.end()) {
    close(it->second);
    pidfile_fds.erase(it);
  }
}

Status Detach() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return Status::FromErrno(errno, "pipe failed");
  pid_t pid = fork();
  if (pid < 0) return Status::FromErrno(errno, "fork failed");
  if (pid > 0) {
    close(fds[1]);
    char c;
    ssize_t n;
    do {
      n = read(fds[0], &c, 1);
    } while (n < 0 && errno == EINTR);
    if (n == 1) _exit(0);
    int status = 0;
    waitpid(pid, &status, 0);
    _exit(1);
  }
  close(fds[0]);
  ready_fd = fds[1];
  setsid();
  // Until start-up is done the terminal still shows what goes wrong; the
  // INFO lines of a normal start go to the log file only.
  (void)log::ApplySpec("console:warn");
  return Status::Ok();
}

void DetachDone() {
  if (ready_fd < 0) return;
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    if (null > 2) close(null);
  }
  log::DisableConsole();
  (void)!write(ready_fd, "1", 1);
  close(ready_fd);
  ready_fd = -1;
}

bool RunDaemon(asio::io_context& io, UnixctlServer& ctl, const std::vector<std::string>& pidfiles) {
  static log::Module& kLog = log::GetModule("daemon");
  bool exit_requested = false;
  ctl.Register("exit", "", 0, 0, [&](const std::vector<std::string>&) -> Result<std::string> {
    exit_requested = true;
    asio::post(io, [&io] { io.stop(); });
    return std::string();
  });
  asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
  std::function<void(std::error_code, int)> on_signal = [&](std::error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      (void)log::ReopenLogFile();
      signals.async_wait(on_signal);
      return;
    }
    VS_LOG_INFO(kLog, "exiting on signal {}", sig);
    io.stop();
  };
  signals.async_wait(on_signal);
  // The coverage counters' rate samples (coverage/show), every 5 s.
  asio::steady_timer coverage_timer(io);
  std::function<void(std::error_code)> sample = [&](std::error_code ec) {
    if (ec) return;
    coverage::Sample(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::steady_clock::now().time_since_epoch()).count()));
    coverage_timer.expires_after(std::chrono::seconds(coverage::kSampleSeconds));
    coverage_timer.async_wait(sample);
  };
  coverage_timer.expires_after(std::chrono::seconds(coverage::kSampleSeconds));
  coverage_timer.async_wait(sample);
  signal(SIGPIPE, SIG_IGN);
  DetachDone();
  io.run();
  if (exit_requested) VS_LOG_INFO(kLog, "exiting on request");
  for (const std::string& p : pidfiles) RemovePidfile(p);
  return exit_requested;
}

}  // namespace vs::ctl
