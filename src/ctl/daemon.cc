#include "ctl/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>

#include "base/log.h"

namespace vs::ctl {
namespace {
int ready_fd = -1;
}  // namespace

Status WritePidfile(const std::string& path) {
  std::ifstream in(path);
  long old = 0;
  if (in >> old && old > 0 && old != getpid() && kill(static_cast<pid_t>(old), 0) == 0) {
    return Status(EEXIST, fmt::format("{}: already running as pid {}", path, old));
  }
  std::string tmp = fmt::format("{}.tmp{}", path, getpid());
  FILE* f = fopen(tmp.c_str(), "w");
  if (!f) return Status::FromErrno(errno, fmt::format("could not create pidfile {}", tmp));
  fprintf(f, "%d\n", getpid());
  if (fclose(f) != 0 || rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return Status::FromErrno(err, fmt::format("could not write pidfile {}", path));
  }
  return Status::Ok();
}

void RemovePidfile(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  if (in >> pid && pid == getpid()) unlink(path.c_str());
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

}  // namespace vs::ctl
