#include "ovsdb/server/syncer.h"

#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/log.h"

namespace vs::ovsdb::server {
namespace {

log::Module& kLog = log::GetModule("ovsdb_server");
constexpr unsigned kAioEvents = 64;  // kMaxInFlight jobs x one request per database file
constexpr unsigned kIndexBits = 16;  // aio_data = job id << kIndexBits | index of the log

}  // namespace

Syncer::Syncer(asio::io_context& io, Done done) : io_(io), done_(std::move(done)) {
  if (syscall(SYS_io_setup, kAioEvents, &aio_) != 0) {
    VS_LOG_WARN(kLog, "kernel AIO is not available ({}): fdatasync runs on the event loop, which "
                "then serves no client while the disk flushes", strerror(errno));
    aio_ = 0;
    return;
  }
  efd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd_ < 0) {
    VS_LOG_WARN(kLog, "eventfd failed ({}): fdatasync runs on the event loop", strerror(errno));
    syscall(SYS_io_destroy, aio_);
    aio_ = 0;
    return;
  }
  ev_ = std::make_unique<asio::posix::stream_descriptor>(io_, efd_);  // owns efd_ from here
}

Syncer::~Syncer() {
  (void)WaitIdle();
  ev_.reset();
  if (aio_) syscall(SYS_io_destroy, aio_);
}

void Syncer::Start(uint64_t seq, const std::vector<const storage::Log*>& logs) {
  uint64_t id = next_job_++;
  Job& job = jobs_.emplace_back();
  job.seq = seq;
  job.start = std::chrono::steady_clock::now();
  job.logs = logs;
  size_t submitted = 0;
  if (ev_) {
    std::vector<iocb> cbs(logs.size());
    for (size_t i = 0; i < logs.size(); i++) {
      iocb& cb = cbs[i];
      std::memset(&cb, 0, sizeof cb);
      cb.aio_data = id << kIndexBits | i;
      cb.aio_lio_opcode = IOCB_CMD_FDSYNC;
      cb.aio_fildes = static_cast<uint32_t>(logs[i]->fd());
    }
    submitted = Submit(cbs);  // EAGAIN...: the rest is synced below
    job.pending = submitted;
  }
  for (size_t i = submitted; i < logs.size() && job.status.ok(); i++) job.status = logs[i]->DataSync();
  if (job.pending > 0) {
    Arm();
    return;
  }
  // Synced already: report it from the loop, in order with earlier jobs.
  asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.lock()) (void)Reap(false);
  });
}

void Syncer::StartDirect(uint64_t seq, const std::vector<storage::Log*>& logs) {
  uint64_t id = next_job_++;
  Job& job = jobs_.emplace_back();
  job.seq = seq;
  job.start = std::chrono::steady_clock::now();
  std::vector<iocb> cbs;
  std::vector<storage::Log::DirectWrite> writes;
  for (storage::Log* log : logs) {
    if (!log->has_pending()) continue;
    auto w = log->BeginDirectWrite();
    if (!w.ok()) {
      if (job.status.ok()) job.status = w.status();
      continue;
    }
    size_t i = job.writers.size();
    job.writers.push_back(log);
    writes.push_back(*w);
    iocb& cb = cbs.emplace_back();
    std::memset(&cb, 0, sizeof cb);
    cb.aio_data = id << kIndexBits | i;
    cb.aio_lio_opcode = IOCB_CMD_PWRITE;
    cb.aio_fildes = static_cast<uint32_t>(w->fd);
    cb.aio_buf = reinterpret_cast<uintptr_t>(w->buf);
    cb.aio_nbytes = w->len;
    cb.aio_offset = static_cast<int64_t>(w->offset);
    cb.aio_rw_flags = RWF_DSYNC;
  }
  // In the background only while writes are slow (see "Direct writes").
  size_t submitted = ev_ && background_ ? Submit(cbs) : 0;
  job.pending = submitted;
  for (size_t i = submitted; i < writes.size(); i++) {
    Complete(job, i, storage::Log::WriteDirect(writes[i]));  // here and now
  }
  if (job.pending > 0) {
    stats_.background++;
    Arm();
    return;
  }
  stats_.inline_writes++;
  Finished(job);
  // Report at once: the replies held for these commits go out now, not one
  // handler later. `done` may start the next job (with what was committed
  // since: nothing, within this call), so this nests at most once.
  (void)Reap(false);
}

size_t Syncer::Submit(std::vector<iocb>& cbs) {
  std::vector<iocb*> ptrs;
  for (iocb& cb : cbs) {
    cb.aio_flags = IOCB_FLAG_RESFD;
    cb.aio_resfd = static_cast<uint32_t>(efd_);
    ptrs.push_back(&cb);
  }
  size_t submitted = 0;
  while (submitted < ptrs.size()) {
    long n = syscall(SYS_io_submit, aio_, static_cast<long>(ptrs.size() - submitted),
                     ptrs.data() + submitted);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    submitted += static_cast<size_t>(n);
  }
  return submitted;
}

void Syncer::Complete(Job& job, size_t index, long res) {
  Status st;
  if (!job.writers.empty()) {
    st = job.writers[index]->EndDirectWrite(res);
  } else if (res < 0) {
    st = Status::FromErrno(static_cast<int>(-res), fmt::format("{}: fdatasync failed", job.logs[index]->path()));
  }
  if (!st.ok() && job.status.ok()) job.status = st;
}

void Syncer::Finished(Job& job) {
  if (job.finished) return;
  job.finished = true;
  auto ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::steady_clock::now() - job.start).count());
  stats_.jobs++;
  stats_.total_ns += ns;
  stats_.max_ns = std::max(stats_.max_ns, ns);
  if (job.writers.empty()) return;
  if (test_duration_.count() > 0) ns = static_cast<uint64_t>(std::chrono::nanoseconds(test_duration_).count());
  // Moving average over about 8 writes decides where the next ones run.
  avg_ns_ = avg_ns_ == 0 ? static_cast<double>(ns) : avg_ns_ + (static_cast<double>(ns) - avg_ns_) / 8;
  using ns_t = std::chrono::nanoseconds;
  bool slow = avg_ns_ > static_cast<double>(std::chrono::duration_cast<ns_t>(kBackgroundAbove).count());
  bool fast = avg_ns_ < static_cast<double>(std::chrono::duration_cast<ns_t>(kInlineBelow).count());
  if (ev_ && !background_ && slow) {
    background_ = true;
    VS_LOG_INFO(kLog, "commit writes take {:.2f} ms on average: writing them in the background so "
                "that other clients are served meanwhile", avg_ns_ / 1e6);
  } else if (background_ && fast) {
    background_ = false;
    VS_LOG_INFO(kLog, "commit writes take {:.3f} ms on average again: writing them on the event loop",
                avg_ns_ / 1e6);
  }
}

void Syncer::Arm() {
  if (armed_) return;
  armed_ = true;
  ev_->async_wait(asio::posix::stream_descriptor::wait_read,
                  [this, alive = std::weak_ptr<bool>(alive_)](std::error_code ec) {
                    if (ec == asio::error::operation_aborted || !alive.lock()) return;
                    armed_ = false;
                    (void)Reap(false);
                    if (alive.lock() && !armed_ && busy()) Arm();
                  });
}

Status Syncer::Reap(bool wait) {
  for (;;) {
    size_t outstanding = 0;
    for (const Job& j : jobs_) outstanding += j.pending;
    if (outstanding == 0) break;  // e.g. a write done on the loop: no system call at all
    if (ev_) {
      uint64_t count;
      (void)!::read(efd_, &count, sizeof count);  // reset before collecting: no wake-up is lost
    }
    io_event evs[kAioEvents];
    timespec zero{0, 0};
    long n = syscall(SYS_io_getevents, aio_, wait ? 1L : 0L, static_cast<long>(kAioEvents), evs,
                     wait ? nullptr : &zero);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      // Cannot happen with a valid context; if it does, nothing is known to
      // be durable: fail every running job.
      Status st = Status::FromErrno(errno, "io_getevents failed");
      for (Job& j : jobs_) {
        j.pending = 0;
        if (j.status.ok()) j.status = st;
      }
      break;
    }
    uint64_t front_id = next_job_ - jobs_.size();
    for (long i = 0; i < n; i++) {
      uint64_t id = evs[i].data >> kIndexBits;
      size_t index = evs[i].data & ((1u << kIndexBits) - 1);
      if (id < front_id || id - front_id >= jobs_.size()) continue;  // failed and dropped
      Job& j = jobs_[id - front_id];
      j.pending--;
      Complete(j, index, static_cast<long>(evs[i].res));
    }
    if (!wait) break;
  }
  Status first;
  std::weak_ptr<bool> alive = alive_;
  for (Job& j : jobs_)
    if (j.pending == 0) Finished(j);
  while (!jobs_.empty() && jobs_.front().pending == 0) {
    Job j = std::move(jobs_.front());
    jobs_.pop_front();
    if (wait) {
      if (first.ok()) first = j.status;
      continue;
    }
    done_(j.seq, j.status);  // may Start() the next job
    if (!alive.lock()) break;
  }
  return first;
}

Status Syncer::WaitIdle() { return Reap(true); }

}  // namespace vs::ovsdb::server
