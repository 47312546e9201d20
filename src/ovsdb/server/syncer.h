// Syncer: one thread that runs storage::Log::DataSync() for the server, so
// the event loop keeps parsing, executing and writing new transactions while
// the disk flushes the previous batch (pipelined group commit).
//
// Start() hands over the logs to sync; when all are synced, `done` runs on the
// io_context's thread with the job's generation and the first error (if any).
// At most one job runs at a time: the server starts the next one from `done`.
// WaitIdle() blocks the caller until no job is running (for compaction and
// exit, which must not race a sync); the `done` of a job finished that way is
// still posted, and the server ignores it by its generation.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <asio.hpp>

#include "base/status.h"
#include "ovsdb/storage/log.h"

namespace vs::ovsdb::server {

class Syncer {
 public:
  using Done = std::function<void(uint64_t generation, Status status)>;

  Syncer(asio::io_context& io, Done done);
  ~Syncer();  // finishes the running job (its `done` is not posted) and joins
  Syncer(const Syncer&) = delete;
  Syncer& operator=(const Syncer&) = delete;

  // Requires !busy(). The logs must stay open until `done` runs or WaitIdle()
  // returns.
  void Start(uint64_t generation, std::vector<const storage::Log*> logs);
  bool busy() const;
  void WaitIdle();

 private:
  void Loop();

  asio::io_context& io_;
  Done done_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool has_job_ = false, running_ = false, stop_ = false;
  uint64_t generation_ = 0;
  std::vector<const storage::Log*> logs_;
  std::thread thread_;
};

}  // namespace vs::ovsdb::server
