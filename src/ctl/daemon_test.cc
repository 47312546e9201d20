#include "ctl/daemon.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

namespace vs::ctl {
namespace {

// What ovs-appctl's read_pidfile checks, seen from another process: the
// pidfile is write-locked by the pid it contains. (The parent must not open
// the file itself: closing any descriptor of it drops its fcntl locks.)
int LockHolderSeenByChild(const std::string& path) {
  pid_t child = fork();
  if (child == 0) {
    int fd = open(path.c_str(), O_RDONLY);
    struct flock lck = {};
    lck.l_type = F_WRLCK;
    lck.l_whence = SEEK_SET;
    if (fd < 0 || fcntl(fd, F_GETLK, &lck) < 0) _exit(2);
    if (lck.l_type == F_UNLCK) _exit(3);
    long pid = 0;
    std::ifstream(path) >> pid;
    _exit(lck.l_pid == getppid() && pid == getppid() ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Pidfile, HoldsLockAndNamesPid) {
  char dir[] = "/tmp/numavs-pidfile-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/x.pid";
  ASSERT_TRUE(WritePidfile(path).ok());
  EXPECT_EQ(LockHolderSeenByChild(path), 0);
  // Rewriting from the same process is allowed (not "already running").
  EXPECT_TRUE(WritePidfile(path).ok());
  RemovePidfile(path);
  EXPECT_NE(access(path.c_str(), F_OK), 0);
  rmdir(dir);
}

TEST(Pidfile, StalePidfileIsReplaced) {
  char dir[] = "/tmp/numavs-pidfile-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/x.pid";
  std::ofstream(path) << "1\n";  // names a live pid but nobody holds the lock
  EXPECT_TRUE(WritePidfile(path).ok());
  RemovePidfile(path);
  rmdir(dir);
}

}  // namespace
}  // namespace vs::ctl
