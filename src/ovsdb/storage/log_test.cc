#include "ovsdb/storage/log.h"
#include "ovsdb/storage/direct_io_testing.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>

namespace vs::ovsdb::storage {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');  // parameterised tests' names
    path_ = ::testing::TempDir() + "/log_test_" + name + ".db";
    ::unlink(path_.c_str());
    ::unlink((path_ + ".tmp").c_str());
  }
  std::string ReadAll() {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  void WriteAll(const std::string& data) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << data;
  }
  // A new database file, opened for direct writes; null (after recording
  // any failure) where the file system refuses them: the caller skips.
  std::unique_ptr<Log> NewDirectLog() {
    EXPECT_TRUE(Log::Create(path_, schema_).ok());
    std::vector<Json> recs;
    auto log = Log::Open(path_, &recs);
    EXPECT_TRUE(log.ok()) << log.status().message();
    if (!log.ok() || !(*log)->direct()) return nullptr;
    return std::move(*log);
  }
  std::string path_;
  const Json schema_ = Json{{"name", "T"}, {"tables", Json::object()}};
};

TEST(LogCrc, IsTheStandardCrc32) {
  // The records' checksum is CRC-32 (IEEE 802.3): files written before the
  // switch to zlib's implementation must still load.
  EXPECT_EQ(Crc32("123456789", 9), 0xCBF43926u);
  EXPECT_EQ(Crc32("", 0), 0u);
  // The CRC from an independent implementation: python3 -c 'import zlib;
  // print("%08x" % zlib.crc32(b"{\"a\":1}"))'
  EXPECT_EQ(Log::Encode(Json{{"a", 1}}), "NUMAVS-LOG 7 561bacaf\n{\"a\":1}\n");
}

TEST_F(LogTest, CreateRefusesExistingFile) {
  ASSERT_TRUE(Log::Create(path_, schema_).ok());
  Status s = Log::Create(path_, schema_);
  EXPECT_EQ(s.code(), EEXIST);
}

TEST_F(LogTest, AppendSyncAndReopen) {
  ASSERT_TRUE(Log::Create(path_, schema_).ok());
  std::vector<Json> recs;
  {
    auto log = Log::Open(path_, &recs);
    ASSERT_TRUE(log.ok()) << log.status().message();
    ASSERT_EQ(recs.size(), 1u);
    for (int i = 0; i < 10; i++) (*log)->Append(Json{{"n", i}});
    ASSERT_TRUE((*log)->Sync().ok());
    EXPECT_EQ((*log)->records(), 11u);
  }
  auto log = Log::Open(path_, &recs);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(recs.size(), 11u);
  EXPECT_EQ(recs[0], schema_);
  EXPECT_EQ(recs[10]["n"], 9);
  EXPECT_TRUE((*log)->recovery_note().empty());
}

TEST_F(LogTest, TornTailIsCutWithOffset) {
  ASSERT_TRUE(Log::Create(path_, schema_).ok());
  std::vector<Json> recs;
  {
    auto log = Log::Open(path_, &recs);
    ASSERT_TRUE(log.ok());
    (*log)->Append(Json{{"n", 1}});
    (*log)->Append(Json{{"n", 2}});
    ASSERT_TRUE((*log)->Sync().ok());
  }
  std::string data = ReadAll();
  size_t last = data.rfind("NUMAVS-LOG ");
  for (size_t cut : {last + 5, last + 20, data.size() - 3, data.size() - 1}) {
    WriteAll(data.substr(0, cut));
    auto log = Log::Open(path_, &recs);
    ASSERT_TRUE(log.ok());
    EXPECT_EQ(recs.size(), 2u) << "cut at " << cut;
    EXPECT_NE((*log)->recovery_note().find("byte offset " + std::to_string(last)), std::string::npos)
        << (*log)->recovery_note();
    // The file was truncated at the last intact record; appends continue cleanly.
    (*log)->Append(Json{{"n", 3}});
    ASSERT_TRUE((*log)->Sync().ok());
    log = Log::Open(path_, &recs);
    ASSERT_TRUE(log.ok());
    ASSERT_EQ(recs.size(), 3u);
    EXPECT_EQ(recs[2]["n"], 3);
    EXPECT_TRUE((*log)->recovery_note().empty());
  }
}

TEST_F(LogTest, PreallocatedZerosAreTheCleanEnd) {
  ASSERT_TRUE(Log::Create(path_, schema_).ok());
  std::vector<Json> recs;
  std::string crashed;  // the file as a crash would leave it: records, then zeros
  uint64_t end = 0;
  {
    auto log = Log::Open(path_, &recs);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 3; i++) (*log)->Append(Json{{"n", i}});
    ASSERT_TRUE((*log)->Sync().ok());
    end = (*log)->size();
    crashed = ReadAll();
    ASSERT_GE(crashed.size(), end + ((*log)->direct() ? Log::kDirectExtend : Log::kPreallocChunk));
    EXPECT_EQ(crashed.find_first_not_of('\0', end), std::string::npos);
  }
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), end) << "closing trims the preallocated zeros";

  WriteAll(crashed);
  auto log = Log::Open(path_, &recs);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(recs.size(), 4u);
  EXPECT_TRUE((*log)->recovery_note().empty()) << (*log)->recovery_note();
  EXPECT_EQ((*log)->size(), end);
  (*log)->Append(Json{{"n", 3}});
  ASSERT_TRUE((*log)->Sync().ok());
  log->reset();
  log = Log::Open(path_, &recs);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs[4]["n"], 3);
  EXPECT_TRUE((*log)->recovery_note().empty());
}

TEST_F(LogTest, TornRecordInPreallocatedSpaceIsCut) {
  ASSERT_TRUE(Log::Create(path_, schema_).ok());
  std::vector<Json> recs;
  std::string crashed;
  uint64_t end = 0;
  {
    auto log = Log::Open(path_, &recs);
    ASSERT_TRUE(log.ok());
    (*log)->Append(Json{{"n", 1}});
    ASSERT_TRUE((*log)->Sync().ok());
    end = (*log)->size();
    crashed = ReadAll();
  }
  // The first bytes of the next record reached the disk, the rest did not.
  std::string next = Log::Encode(Json{{"n", 2}, {"pad", std::string(100, 'x')}});
  crashed.replace(end, next.size() / 2, next.substr(0, next.size() / 2));
  WriteAll(crashed);
  auto log = Log::Open(path_, &recs);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(recs.size(), 2u);
  EXPECT_NE((*log)->recovery_note().find("byte offset " + std::to_string(end)), std::string::npos)
      << (*log)->recovery_note();
  // Zeros after a bad byte are damage too, not a clean end.
  log->reset();
  crashed = ReadAll() + std::string(1, '\x01') + std::string(4096, '\0');
  WriteAll(crashed);
  log = Log::Open(path_, &recs);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(recs.size(), 2u);
  EXPECT_NE((*log)->recovery_note().find("byte offset " + std::to_string(end)), std::string::npos)
      << (*log)->recovery_note();
}

TEST_F(LogTest, CorruptMiddleRecordKeepsTheRestAside) {
  ASSERT_TRUE(Log::Create(path_, schema_).ok());
  std::vector<Json> recs;
  {
    auto log = Log::Open(path_, &recs);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 3; i++) (*log)->Append(Json{{"n", i}});
    ASSERT_TRUE((*log)->Sync().ok());
  }
  std::string data = ReadAll();
  size_t second = data.find("NUMAVS-LOG ", data.find("\"n\":0"));
  data[data.find("\"n\":1") + 4] = '7';  // checksum mismatch in record n=1
  WriteAll(data);
  auto log = Log::Open(path_, &recs);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(recs.size(), 2u);
  std::string kept = path_ + ".corrupt-" + std::to_string(second);
  EXPECT_NE((*log)->recovery_note().find("saved to " + kept), std::string::npos)
      << (*log)->recovery_note();
  struct stat st;
  EXPECT_EQ(stat(kept.c_str(), &st), 0);
  ::unlink(kept.c_str());
}

TEST_F(LogTest, NotADatabase) {
  WriteAll("hello\n");
  std::vector<Json> recs;
  auto log = Log::Open(path_, &recs);
  EXPECT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), EINVAL);
  EXPECT_EQ(Log::Open(path_ + ".missing", &recs).status().code(), ENOENT);
}

TEST_F(LogTest, CompactReplacesContent) {
  ASSERT_TRUE(Log::Create(path_, schema_).ok());
  std::vector<Json> recs;
  auto log = Log::Open(path_, &recs);
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 100; i++) (*log)->Append(Json{{"n", i}});
  ASSERT_TRUE((*log)->Sync().ok());
  uint64_t before = (*log)->size();
  ASSERT_TRUE((*log)->Compact(schema_, Json{{"snapshot", true}}).ok());
  EXPECT_LT((*log)->size(), before);
  (*log)->Append(Json{{"after", 1}});
  ASSERT_TRUE((*log)->Sync().ok());
  auto again = Log::Open(path_, &recs);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[1]["snapshot"], true);
  EXPECT_EQ(recs[2]["after"], 1);
}

// Direct writes (log.h, "Direct writes"): where O_DIRECT works (the suite's
// temp dir is on ext4), WriteDurable() writes whole 4 KiB blocks; the file
// must read back as exactly the records followed by zeros, across block
// boundaries and for records bigger than a block, and reopen cleanly.
class DirectLogTest : public LogTest, public ::testing::WithParamInterface<bool> {};

TEST_P(DirectLogTest, RecordsAcrossBlocksReadBack) {
  const bool direct_io = GetParam();
  ASSERT_TRUE(Log::Create(path_, schema_).ok());
  std::vector<Json> recs;
  std::string expect = Log::Encode(schema_);
  size_t n_records = 1;
  {
    auto log = Log::Open(path_, &recs, direct_io);
    ASSERT_TRUE(log.ok()) << log.status().message();
    if (!direct_io) {
      EXPECT_FALSE((*log)->direct());
    } else {
      VS_REQUIRE_DIRECT_IO((*log)->direct(), path_);
    }
    for (int group = 0; group < 40; group++) {
      // Groups of 1-3 records of 100 B to 9 KiB: some end exactly on a block
      // boundary by chance, some span several blocks.
      for (int k = 0; k <= group % 3; k++) {
        size_t pad = static_cast<size_t>(100 + (group * 977 + k * 331) % 9000);
        Json rec{{"g", group}, {"k", k}, {"pad", std::string(pad, 'p')}};
        expect += Log::Encode(rec);
        (*log)->Append(rec);
        n_records++;
      }
      ASSERT_TRUE((*log)->WriteDurable().ok());
      EXPECT_FALSE((*log)->has_pending());
      EXPECT_EQ((*log)->size(), expect.size());
      // What is in the file now, before any close: records, then zeros.
      std::string data = ReadAll();
      ASSERT_GE(data.size(), expect.size());
      EXPECT_TRUE(data.compare(0, expect.size(), expect) == 0) << "group " << group;
      EXPECT_EQ(data.find_first_not_of('\0', expect.size()), std::string::npos);
    }
  }
  auto log = Log::Open(path_, &recs, direct_io);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(recs.size(), n_records);
  EXPECT_TRUE((*log)->recovery_note().empty());
  log->reset();
  std::string data = ReadAll();
  EXPECT_EQ(data.size(), expect.size());  // the destructor trimmed the zeros
  EXPECT_TRUE(data == expect);
}

INSTANTIATE_TEST_SUITE_P(DirectIo, DirectLogTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "direct" : "buffered"; });

TEST_F(LogTest, DirectAppendsDuringAWriteGoToTheNext) {
  std::unique_ptr<Log> log = NewDirectLog();
  VS_REQUIRE_DIRECT_IO(log != nullptr, path_);
  std::vector<Json> recs;
  log->Append(Json{{"n", 1}});
  auto w = log->BeginDirectWrite();
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_TRUE(log->direct_in_flight());
  EXPECT_EQ(w->offset % Log::kDirectAlign, 0u);
  EXPECT_EQ(w->len % Log::kDirectAlign, 0u);
  log->Append(Json{{"n", 2}});  // while the write is under way
  EXPECT_TRUE(log->has_pending());
  ASSERT_TRUE(log->EndDirectWrite(Log::WriteDirect(*w)).ok());
  EXPECT_FALSE(log->direct_in_flight());
  EXPECT_EQ(log->records(), 2u);
  ASSERT_TRUE(log->WriteDurable().ok());
  EXPECT_EQ(log->records(), 3u);
  log.reset();
  ASSERT_TRUE(Log::Open(path_, &recs).ok());
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[1]["n"], 1);
  EXPECT_EQ(recs[2]["n"], 2);
}

TEST_F(LogTest, DirectWriteFailureDropsOnlyItsRecords) {
  std::unique_ptr<Log> log = NewDirectLog();
  VS_REQUIRE_DIRECT_IO(log != nullptr, path_);
  std::vector<Json> recs;
  log->Append(Json{{"n", 1}});
  ASSERT_TRUE(log->WriteDurable().ok());
  log->Append(Json{{"n", 2}});
  auto w = log->BeginDirectWrite();
  ASSERT_TRUE(w.ok());
  Status s = log->EndDirectWrite(-EIO);  // as if the device failed the write
  EXPECT_EQ(s.code(), EIO);
  EXPECT_NE(s.message().find(path_), std::string::npos) << s.message();
  EXPECT_EQ(log->records(), 2u);
  log->Append(Json{{"n", 3}});
  ASSERT_TRUE(log->WriteDurable().ok());
  log.reset();
  ASSERT_TRUE(Log::Open(path_, &recs).ok());
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[1]["n"], 1);
  EXPECT_EQ(recs[2]["n"], 3);
}

}  // namespace
}  // namespace vs::ovsdb::storage
