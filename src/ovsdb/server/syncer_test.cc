// Syncer: completions in start order, WaitIdle(), and failures reported with
// the file's name (an fd that cannot be synced takes the fallback path).
#include "ovsdb/server/syncer.h"
#include "ovsdb/storage/direct_io_testing.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/aio_abi.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>

namespace vs::ovsdb::server {
namespace {

class SyncerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/syncer_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    ::unlink(path_.c_str());
    ASSERT_TRUE(storage::Log::Create(path_, Json{{"name", "T"}, {"tables", Json::object()}}).ok());
    std::vector<Json> recs;
    auto log = storage::Log::Open(path_, &recs);
    ASSERT_TRUE(log.ok()) << log.status().message();
    log_ = std::move(*log);
  }
  void TearDown() override {
    log_.reset();
    ::unlink(path_.c_str());
  }
  // Runs the io_context until `n` completions arrived (or 10 s passed).
  void RunUntil(size_t n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (done_.size() < n && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(10));
    }
  }
  Syncer::Done Recorder() {
    return [this](uint64_t seq, const Status& st) { done_.emplace_back(seq, st); };
  }

  asio::io_context io_{1};
  std::string path_;
  std::unique_ptr<storage::Log> log_;
  std::vector<std::pair<uint64_t, Status>> done_;
};

// Kernel AIO is a prerequisite of background direct writes: a kernel built without it
// (io_setup: ENOSYS) or a machine whose fs.aio-max-nr is taken by other processes (EAGAIN) has
// none to give. Returns why it is missing, or "" when io_setup works here.
std::string AioMissing() {
  aio_context_t ctx = 0;
  if (syscall(SYS_io_setup, 64, &ctx) == 0) {
    syscall(SYS_io_destroy, ctx);
    return "";
  }
  int err = errno;
  std::string why = "missing prerequisite: kernel AIO (io_setup: " + std::string(strerror(err)) + ")";
  if (err == EAGAIN) why += ": fs.aio-max-nr is reached (see /proc/sys/fs/aio-nr)";
  return why;
}

TEST_F(SyncerTest, CompletesInStartOrder) {
  Syncer syncer(io_, Recorder());
  std::vector<const storage::Log*> logs{log_.get()};
  for (uint64_t seq = 1; seq <= 6; seq++) {
    log_->Append(Json{{"seq", seq}});
    ASSERT_TRUE(log_->Write().ok());
    if (syncer.full()) RunUntil(done_.size() + 1);
    ASSERT_FALSE(syncer.full());
    syncer.Start(seq, logs);
  }
  RunUntil(6);
  ASSERT_EQ(done_.size(), 6u) << (syncer.uses_aio() ? "kernel AIO" : "inline fallback");
  for (size_t i = 0; i < done_.size(); i++) {
    EXPECT_EQ(done_[i].first, i + 1);
    EXPECT_TRUE(done_[i].second.ok()) << done_[i].second.message();
  }
  EXPECT_FALSE(syncer.busy());
}

TEST_F(SyncerTest, WaitIdleFinishesJobsWithoutDone) {
  Syncer syncer(io_, Recorder());
  log_->Append(Json{{"x", 1}});
  ASSERT_TRUE(log_->Write().ok());
  syncer.Start(1, {log_.get()});
  EXPECT_TRUE(syncer.WaitIdle().ok());
  EXPECT_FALSE(syncer.busy());
  io_.restart();
  io_.run_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(done_.empty());
}

TEST_F(SyncerTest, FailureNamesTheFile) {
  // A pipe in place of the file: fdatasync fails with EINVAL (and kernel AIO
  // refuses it, so this also takes the synchronous fallback).
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ASSERT_GE(dup2(p[1], log_->fd()), 0);
  ::close(p[0]);
  ::close(p[1]);
  Syncer syncer(io_, Recorder());
  syncer.Start(7, {log_.get()});
  RunUntil(1);
  ASSERT_EQ(done_.size(), 1u);
  EXPECT_EQ(done_[0].first, 7u);
  EXPECT_EQ(done_[0].second.code(), EINVAL);
  EXPECT_NE(done_[0].second.message().find(path_), std::string::npos) << done_[0].second.message();
}

// Direct writes (StartDirect): on the loop while fast, as AIO requests while
// slow; either way the records are in the file when `done` runs. The writes
// are real; how long they "took" is set by the test (set_duration_for_test),
// as the disk under a CI run may be fast or slow at any moment.
TEST_F(SyncerTest, DirectWritesOnTheLoopThenInTheBackgroundWhenSlow) {
  VS_REQUIRE_DIRECT_IO(log_->direct(), path_);
  Syncer syncer(io_, Recorder());
  std::vector<storage::Log*> logs{log_.get()};
  uint64_t seq = 0;
  auto commit = [&] {
    log_->Append(Json{{"seq", ++seq}});
    ASSERT_FALSE(syncer.busy());
    syncer.StartDirect(seq, logs);
    RunUntil(seq);
    ASSERT_EQ(done_.size(), seq);
    EXPECT_EQ(done_.back().first, seq);
    EXPECT_TRUE(done_.back().second.ok()) << done_.back().second.message();
    EXPECT_FALSE(log_->direct_in_flight());
    EXPECT_EQ(log_->records(), seq + 1);
  };
  // A fast disk (35 us per write): on the loop.
  syncer.set_duration_for_test(std::chrono::microseconds(35));
  for (int i = 0; i < 5; i++) commit();
  EXPECT_FALSE(syncer.background());
  EXPECT_EQ(syncer.stats().inline_writes, 5u);
  EXPECT_NEAR(syncer.average_us(), 35.0, 0.01);
  // 1.5 ms per write: the average passes kBackgroundAbove within a few
  // writes, and the ones after go to the background.
  syncer.set_duration_for_test(std::chrono::microseconds(1500));
  int slow = 0;
  while (!syncer.background() && slow < 20) {
    commit();
    slow++;
  }
  ASSERT_TRUE(syncer.background()) << syncer.average_us() << " us";
  EXPECT_GT(slow, 1);  // a moving average: one slow write does not move it
  EXPECT_EQ(syncer.stats().inline_writes, 5u + static_cast<uint64_t>(slow));
  if (!syncer.uses_aio()) {
    std::string why = AioMissing();
    if (!why.empty()) GTEST_SKIP() << why;
    FAIL() << "the kernel gives AIO contexts (io_setup works here) but the syncer has none";
  }
  commit();
  commit();
  EXPECT_EQ(syncer.stats().background, 2u);
  EXPECT_TRUE(syncer.background());
  // Fast again: back on the loop once the average is under kInlineBelow.
  syncer.set_duration_for_test(std::chrono::microseconds(35));
  int fast = 0;
  while (syncer.background() && fast < 40) {
    commit();
    fast++;
  }
  ASSERT_FALSE(syncer.background()) << syncer.average_us() << " us";
  EXPECT_LT(syncer.average_us(), static_cast<double>(Syncer::kInlineBelow.count()));
  uint64_t inline_before = syncer.stats().inline_writes;
  commit();
  EXPECT_EQ(syncer.stats().inline_writes, inline_before + 1);
  EXPECT_EQ(syncer.stats().background, 2u + static_cast<uint64_t>(fast));
  log_.reset();
  std::vector<Json> recs;
  ASSERT_TRUE(storage::Log::Open(path_, &recs).ok());
  ASSERT_EQ(recs.size(), seq + 1);
  for (uint64_t i = 1; i <= seq; i++) EXPECT_EQ(recs[i]["seq"], i);
}

TEST_F(SyncerTest, WaitIdleEndsABackgroundDirectWrite) {
  VS_REQUIRE_DIRECT_IO(log_->direct(), path_);
  Syncer syncer(io_, Recorder());
  syncer.set_duration_for_test(std::chrono::microseconds(3000));
  log_->Append(Json{{"seq", 1}});
  syncer.StartDirect(1, {log_.get()});  // slow: the next one goes to the background
  RunUntil(1);
  ASSERT_TRUE(syncer.background());
  log_->Append(Json{{"seq", 2}});
  syncer.StartDirect(2, {log_.get()});
  EXPECT_TRUE(syncer.WaitIdle().ok());
  EXPECT_FALSE(log_->direct_in_flight());
  EXPECT_EQ(log_->records(), 3u);
  io_.restart();
  io_.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(done_.size(), 1u);  // WaitIdle() does not call done
}

}  // namespace
}  // namespace vs::ovsdb::server
