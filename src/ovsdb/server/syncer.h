// Syncer: the disk side of the server's group commit, started from the event
// loop and completed on it, without a thread of our own. Two kinds of job:
// StartDirect() for logs in direct mode (the usual case: below), Start() for
// logs written through the page cache.
//
// Start(seq, logs) submits one fdatasync per log as a kernel AIO request
// (IOCB_CMD_FDSYNC, Linux >= 4.18); the kernel runs it in a worker of its own
// and signals an eventfd that the io_context watches. When every log of a
// job has synced, `done(seq, status)` runs on the io_context's thread. Up to
// kMaxInFlight jobs run at once: a job started while others run covers what
// was written before it started (when the server starts a second one: see
// DbServer::StartSync). Jobs complete in the order they were started: a
// job's `done` runs only after the `done` of every earlier job, and never with
// OK after an earlier job failed (the server exits on a failed fdatasync; a failed
// direct write, one job at a time, makes it roll back what the file lacks), so
// `seq` only grows and "done(seq, OK)" means every commit up to seq is on disk.
//
// Why not a thread: on a 2-core machine shared with the clients, a sync
// thread woken by a condition variable, posting its completion back to the
// io_context, cost two cross-thread wake-ups per sync. Measured twice: for
// fdatasync (45-50 us server CPU per transaction with the thread, 30-32 us
// with AIO, 8 clients x 500 transactions) and for direct writes (a writer
// thread: 15,044 txn/s and 4.0 context switches per transaction, against
// 17,204 and 2.2 on the loop; 8 clients x 8,000, 6 interleaved runs).
// Why not fdatasync inline on the loop: while it blocks the loop (0.1 ms on
// an idle disk, several ms when other processes write to the same disk), no
// other client is served. A direct write is cheaper (one system call, no
// writeback), so it does run on the loop while it is fast (see
// StartDirect()).
//
// If the kernel refuses AIO (io_setup fails, e.g. fs.aio-max-nr reached) the
// Syncer says so once in the log and runs DataSync() and direct writes on
// the calling thread: slower when the disk is slow, equally durable.
//
// WaitIdle() blocks until no job runs (for compaction and exit, which must not
// race a sync) and returns the first error of the jobs it finished; their
// `done` is not called.
//
// Threading: everything, including `done`, on the io_context's thread;
// `done` of a direct write done on the loop runs before StartDirect() returns.
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
  // The same for logs in direct mode (storage::Log::direct()): one
  // pwritev2(RWF_DSYNC) per log with records buffered, which writes and syncs
  // them (storage/log.h, "Direct writes"); the Syncer ends each log's write
  // (EndDirectWrite) when it completes, also in WaitIdle(). Where it runs:
  //
  // Direct writes: on the calling thread while they are fast, as an AIO
  // request while they are slow (a moving average of their duration above
  // kBackgroundAbove; back below kInlineBelow). On an idle disk the write
  // takes ~35 us and blocking the loop for it is the cheapest way: no worker
  // thread, no eventfd wake-up. Measured with bench/ovsdb/latency.py (8
  // clients x 10,000 transactions, 4 interleaved runs, medians): 23,569 txn/s
  // and 74 us of machine CPU per transaction on the loop, 21,384 / 88 us as
  // AIO requests (the kernel completes an O_DSYNC direct write in a worker),
  // 22,655 / 84 us for the previous design (buffered write + AIO fdatasync),
  // ovsdb-server 25,350 / 78 us; with 32 clients 21,773 / 20,502 / 20,397,
  // ovsdb-server 19,580. When the disk is slow (other writers: flushes of
  // several ms) the loop must not wait for it: then the AIO request.
  void StartDirect(uint64_t seq, const std::vector<storage::Log*>& logs);

  static constexpr std::chrono::microseconds kBackgroundAbove{1000};
  static constexpr std::chrono::microseconds kInlineBelow{250};
  struct Stats {
    uint64_t jobs = 0;            // completed
    uint64_t inline_writes = 0;   // direct-write jobs done on the calling thread
    uint64_t background = 0;      // jobs done by AIO requests
    uint64_t total_ns = 0, max_ns = 0;  // start to completion
  };
  const Stats& stats() const { return stats_; }
  bool background() const { return background_; }
  // Moving average of direct-write jobs' durations, in microseconds.
  double average_us() const { return avg_ns_ / 1e3; }
  // Tests: the moving average counts each direct-write job as taking `d`
  // (a slow or a fast disk, whatever this machine's disk does meanwhile);
  // zero: as measured. The statistics keep the measured durations.
  void set_duration_for_test(std::chrono::microseconds d) { test_duration_ = d; }
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
    std::vector<const storage::Log*> logs;  // Start(): the logs being synced
    std::vector<storage::Log*> writers;     // StartDirect(): the logs whose writes it ends
    size_t pending = 0;  // AIO requests not yet completed
    bool finished = false;  // counted in stats_
    Status status;       // first failure
  };

  void Arm();
  // Once per job, when its last request completed: statistics, and whether
  // the next direct writes go to the background.
  void Finished(Job& job);
  // Submits cbs; returns how many the kernel took.
  size_t Submit(std::vector<iocb>& cbs);
  // Ends what a completed request of `job` did: a direct write's EndDirectWrite().
  void Complete(Job& job, size_t index, long res);
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
  Stats stats_;
  double avg_ns_ = 0;         // moving average of direct-write jobs' durations
  bool background_ = false;   // direct writes as AIO requests
  std::chrono::microseconds test_duration_{0};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vs::ovsdb::server
