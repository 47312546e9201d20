#include "ovsdb/storage/lockfile.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <set>

#include <fmt/format.h>

namespace vs::ovsdb::storage {
namespace {

// Lockfiles this process holds, by device and inode: a second lock from the
// same process would succeed (fcntl locks are per process) and its release
// would drop the first one's, so it is refused here.
std::mutex mu;
std::set<std::pair<dev_t, ino_t>> held;

std::string LockfileName(const std::string& db_path) {
  char real[PATH_MAX];
  std::string path = realpath(db_path.c_str(), real) ? std::string(real) : db_path;
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return fmt::format("{}{}.{}.~lock~", dir, dir == "/" ? "" : "/", base);
}

}  // namespace

Result<std::unique_ptr<DbLock>> DbLock::Acquire(const std::string& db_path) {
  std::string name = LockfileName(db_path);
  int fd = open(name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno(errno, fmt::format("{}: could not create lockfile {}", db_path, name));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return Status::FromErrno(e, fmt::format("{}: stat of lockfile {}", db_path, name));
  }
  std::lock_guard lock(mu);
  auto key = std::make_pair(st.st_dev, st.st_ino);
  struct flock lck = {};
  lck.l_type = F_WRLCK;
  lck.l_whence = SEEK_SET;
  if (held.count(key)) {
    close(fd);  // drops nothing: another descriptor of this process holds the lock
    return Status(EAGAIN, fmt::format("{}: already open in this process (named twice?)", db_path));
  }
  if (fcntl(fd, F_SETLK, &lck) != 0) {
    int e = errno;
    if (e != EAGAIN && e != EACCES) {
      close(fd);
      return Status::FromErrno(e, fmt::format("{}: could not lock {}", db_path, name));
    }
    struct flock q = {};
    q.l_type = F_WRLCK;
    q.l_whence = SEEK_SET;
    pid_t holder = fcntl(fd, F_GETLK, &q) == 0 && q.l_type != F_UNLCK ? q.l_pid : 0;
    close(fd);
    std::string comm;
    if (holder > 0) std::ifstream(fmt::format("/proc/{}/comm", holder)) >> comm;
    return Status(EAGAIN,
                  fmt::format("{}: in use by pid {}{} (it holds the lock {}); two servers over one "
                              "database file would lose commits: stop that one first",
                              db_path, holder, comm.empty() ? "" : " (" + comm + ")", name));
  }
  held.insert(key);
  return std::unique_ptr<DbLock>(new DbLock(name, fd));
}

DbLock::~DbLock() {
  struct stat st;
  std::lock_guard lock(mu);
  if (fstat(fd_, &st) == 0) held.erase({st.st_dev, st.st_ino});
  close(fd_);
}

}  // namespace vs::ovsdb::storage
