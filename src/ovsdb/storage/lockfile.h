// The lock that keeps two servers off one database file, taken the way
// ovsdb-server takes it: an fcntl write lock on DIR/.NAME.~lock~ beside
// DIR/NAME (symbolic links followed), held while the file is served. The
// same lockfile as ovsdb-server's means numavs-db and ovsdb-server also keep
// off each other's files.
//
// fcntl locks belong to the process and are not inherited across fork():
// take the lock in the process that serves the file (after --detach).
#pragma once

#include <memory>
#include <string>

#include "base/status.h"

namespace vs::ovsdb::storage {

class DbLock {
 public:
  ~DbLock();
  DbLock(const DbLock&) = delete;
  DbLock& operator=(const DbLock&) = delete;

  // Locks the database file `db_path`. Errors: EAGAIN "DB is in use by pid N
  // (COMMAND) ..." when another process (or this one, through another
  // DbLock) holds it; errno of open/fcntl with the lockfile named.
  static Result<std::unique_ptr<DbLock>> Acquire(const std::string& db_path);

  const std::string& lockfile() const { return lockfile_; }

 private:
  DbLock(std::string lockfile, int fd) : lockfile_(std::move(lockfile)), fd_(fd) {}
  std::string lockfile_;
  int fd_;
};

}  // namespace vs::ovsdb::storage
