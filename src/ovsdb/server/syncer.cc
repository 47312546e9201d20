#include "ovsdb/server/syncer.h"

namespace vs::ovsdb::server {

Syncer::Syncer(asio::io_context& io, Done done) : io_(io), done_(std::move(done)) {
  thread_ = std::thread([this] { Loop(); });
}

Syncer::~Syncer() {
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return !has_job_ && !running_; });
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Syncer::Start(uint64_t generation, std::vector<const storage::Log*> logs) {
  {
    std::lock_guard lock(mu_);
    generation_ = generation;
    logs_ = std::move(logs);
    has_job_ = true;
  }
  cv_.notify_all();
}

bool Syncer::busy() const {
  std::lock_guard lock(mu_);
  return has_job_ || running_;
}

void Syncer::WaitIdle() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return !has_job_ && !running_; });
}

void Syncer::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return has_job_ || stop_; });
    if (stop_) return;
    has_job_ = false;
    running_ = true;
    uint64_t gen = generation_;
    std::vector<const storage::Log*> logs = std::move(logs_);
    lock.unlock();
    Status st;
    for (const storage::Log* log : logs) {
      st = log->DataSync();
      if (!st.ok()) break;
    }
    asio::post(io_, [done = done_, gen, st] { done(gen, st); });
    lock.lock();
    running_ = false;
    cv_.notify_all();
  }
}

}  // namespace vs::ovsdb::server
