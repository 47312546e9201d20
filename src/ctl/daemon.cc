#include "ctl/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>

#include <fmt/format.h>

#include "base/log.h"

namespace vs::ctl {
namespace {
int ready_fd = -1;
int pidfile_fd = -1;
}  // namespace

std::string LogDir() {
  const char* v = getenv("OVS_LOGDIR");
  return v && *v ? v : "/var/log/openvswitch";
}

std::optional<std::string> OptionValue(const std::string& arg, const std::string& name) {
  if (arg.rfind(name + "=", 0) == 0) return arg.substr(name.size() + 1);
  return std::nullopt;
}

Status WritePidfile(const std::string& path) {
  // Like OVS, the pidfile carries an fcntl write lock held for the process's
  // lifetime: ovs-appctl (read_pidfile) treats an unlocked pidfile as stale.
  int old = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (old >= 0) {
    struct flock lck = {};
    lck.l_type = F_WRLCK;
    lck.l_whence = SEEK_SET;
    if (fcntl(old, F_GETLK, &lck) == 0 && lck.l_type != F_UNLCK && lck.l_pid != getpid()) {
      close(old);
      return Status(EEXIST, fmt::format("{}: already running as pid {}", path, lck.l_pid));
    }
    close(old);
  }
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
  if (pidfile_fd >= 0) close(pidfile_fd);
  pidfile_fd = fd;  // kept open: closing it would drop the lock
  return Status::Ok();
}

void RemovePidfile(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  if (in >> pid && pid == getpid()) unlink(path.c_str());
  if (pidfile_fd >= 0) {
    close(pidfile_fd);
    pidfile_fd = -1;
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

Result<bool> RunDaemon(asio::io_context& io, UnixctlServer& ctl, const std::string& pidfile) {
  static log::Module& kLog = log::GetModule("daemon");
  bool exit_requested = false;
  ctl.Register("exit", "", 0, 0, [&](const std::vector<std::string>&) -> Result<std::string> {
    exit_requested = true;
    asio::post(io, [&io] { io.stop(); });
    return std::string();
  });
  if (!pidfile.empty()) VS_RETURN_IF_ERROR(WritePidfile(pidfile));
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
  signal(SIGPIPE, SIG_IGN);
  DetachDone();
  io.run();
  if (exit_requested) VS_LOG_INFO(kLog, "exiting on request");
  if (!pidfile.empty()) RemovePidfile(pidfile);
  return exit_requested;
}

}  // namespace vs::ctl
