// Syncer: the fdatasync() calls of the server's group commit, started from
// the event loop and completed on it, without a thread of our own.
//
// Start(seq, logs) submits one fdatasync per log as a kernel AIO request
// (IOCB_CMD_FDSYNC, Linux >= 4.18); the kernel runs it in a worker of its own
// and signals an eventfd that the io_context watches. When every log of a
// job has synced, `done(seq, status)` runs on the io_context's thread. Up to
// kMaxInFlight jobs run at once: a job started while others run covers what
// was written before it started (when the server starts a second one: see
// DbServer::StartSync). Jobs complete in the order they were started: a
// job's `done` runs only after the `done` of every earlier job, and never with
// OK after an earlier job failed (the server exits on the first error), so
// `seq` only grows and "done(seq, OK)" means every commit up to seq is on disk.
//
// Why not a thread: on a 2-core machine shared with the clients, the previous
// design (a sync thread woken by a condition variable, posting its completion
// back to the io_context) cost two cross-thread wake-ups per sync — about
// 15 us of CPU per transaction more than this, with 8 clients x 500 small
// transactions (bench/ovsdb/latency.py: 45-50 us server CPU per transaction
// with the thread, 30-32 us with AIO, 32-38 us syncing inline on the loop).
// Why not inline on the loop: while fdatasync blocks the loop (0.1 ms on an
// idle disk, several ms when other processes write to the same disk), no
// other client is served; with the loop free, reads and non-commits go on
// and the next group commit gathers while the disk flushes.
//
// If the kernel refuses AIO (io_setup fails, e.g. fs.aio-max-nr reached) the
// Syncer says so once in the log and runs DataSync() on the calling thread,
// posting `done`: slower, equally durable.
//
// WaitIdle() blocks until no job runs (for compaction and exit, which must not
// race a sync) and returns the first error of the jobs it finished; their
// `done` is not called.
//
// Threading: everything, including `done`, on the io_context's thread.
#pragma once

#include <linux/aio_abi.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include <asio.hpp>

#include "base/status.h"
#include "ovsdb/storage/log.h"

namespace vs::ovsdb::server {

class Syncer {
 public:
  using Done = std::function<void(uint64_t seq, const Status& status)>;
  static constexpr size_t kMaxInFlight = 2;

  Syncer(asio::io_context& io, Done done);
  ~Syncer();  // waits for running jobs (their `done` is not called)
  Syncer(const Syncer&) = delete;
  Syncer& operator=(const Syncer&) = delete;

  // Starts fdatasync of `logs`, which must stay open (no Compact()) until
  // `done` runs or WaitIdle() returns. Requires !full().
  void Start(uint64_t seq, const std::vector<const storage::Log*>& logs);
  bool full() const { return jobs_.size() >= kMaxInFlight; }
  bool busy() const { return !jobs_.empty(); }
  // When the most recent running job was started (requires busy()).
  std::chrono::steady_clock::time_point last_start() const { return jobs_.back().start; }
  // Errors: the first failure (errno of fdatasync) of the jobs it waited for.
  Status WaitIdle();
  bool uses_aio() const { return ev_ != nullptr; }

 private:
  struct Job {
    uint64_t seq = 0;
    std::chrono::steady_clock::time_point start;
    std::vector<const storage::Log*> logs;
    size_t pending = 0;  // AIO requests not yet completed
    Status status;       // first failure
  };

  void Arm();
  // Collects finished requests (waiting for all of them if `wait`); then
  // calls `done` for finished jobs at the front unless `wait`. Returns the
  // first error seen when `wait`.
  Status Reap(bool wait);

  asio::io_context& io_;
  Done done_;
  aio_context_t aio_ = 0;
  int efd_ = -1;
  std::unique_ptr<asio::posix::stream_descriptor> ev_;  // null: no AIO, sync inline
  bool armed_ = false;
  uint64_t next_job_ = 0;     // id of jobs_.back() + 1
  std::deque<Job> jobs_;      // running, oldest first; front's id = next_job_ - size()
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vs::ovsdb::server
