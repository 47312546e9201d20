// The database file: an append-only log of JSON records.
//
// Layout: each record is a header line followed by the record's JSON text and
// a newline:
//
//     NUMAVS-LOG <length> <crc32 in 8 hex digits>\n<length bytes of JSON>\n
//
// The first record is the schema; every later record is one committed
// transaction (ovsdb::ChangeSet::ToLogJson) or, after compaction, one snapshot
// of the whole database (Database::SnapshotRecord) followed by transactions.
//
// Durability contract: Append() only buffers; Write() hands the buffer to the
// kernel; DataSync() fdatasync()s the file; Sync() is both. The server
// acknowledges a commit only after a DataSync() (or an fdatasync of fd(),
// see server/syncer.h) that started after the commit's Write() returned OK,
// or after a WriteDurable() that returned OK, so an acknowledged transaction
// is on disk.
//
// Direct writes: where the file system allows O_DIRECT (ext4, xfs, ...),
// WriteDurable() writes the buffered records and makes them durable
// in one system call: a pwritev2(RWF_DSYNC) through a second, O_DIRECT
// descriptor of the 4 KiB blocks from the one holding the end of the last
// record to the end of the new ones, zero-padded (the padding is the clean
// end described below; the next write rewrites that block with the same
// leading bytes). The kernel then issues the data write and one cache flush,
// with no page-cache writeback and no worker thread: measured on this
// project's VM (virtio disk, write-back cache, no FUA), 14 us of CPU and 35 us
// of wall time per durable append, against 22 us / 56 us for pwrite +
// fdatasync and 30 us / 52 us for pwrite + an AIO fdatasync. Open() and
// Compact() probe it (one direct write of the last block); where the open or
// that write is refused, or with Open(direct_io = false), WriteDurable() is
// Write() + DataSync().
//
// Preallocation: Write() keeps about kPreallocChunk bytes of real zeros
// written ahead of the records, so that a sync only flushes data: the file
// size and its block map do not change, and fdatasync need not write the
// inode. On ext4 (this project's machines: no journal) that halves the I/O
// requests per sync (perf: 1.05 block requests per fdatasync against 2.07
// when the file grows) and took the median of bench/ovsdb's transactions/s
// from 13,461 to 14,679 (thread syncer) and 8,365 to 14,132 (inline sync).
// The zeros are written with pwrite (not fallocate, whose unwritten extents
// would be converted, a metadata change, by each sync); the sync after an
// extension pays for it once per chunk. A direct write (WriteDurable) that
// reaches the end of the zeros carries kDirectExtend (64 KiB) more instead:
// on this project's VM that write takes ~144 us (max ~300) against ~48 us,
// once per 64 KiB, where 1 MiB of zeros and an fdatasync stalled the loop
// ~1.3 ms once per MiB (the same device time per MiB, no millisecond stall).
// Open() reads a tail of zeros after the last intact record as the clean end
// of the log (no warning; appends reuse it), the destructor trims it, and
// Compact() writes a file without it.
//
// Recovery: Open() reads records until the first one that is incomplete, fails
// its CRC or is not valid JSON. Zeros only from there to the end are unused
// preallocation (above); anything else is damage. That tail is cut off (the file is
// truncated there so later appends start clean) and described by
// `recovery_note()`, which names the byte offset; a copy of the cut bytes is
// kept beside the file as PATH.corrupt-OFFSET when the cut follows a valid
// record boundary with more than one record's worth of data behind it, so
// nothing is lost silently. A torn last record is by construction one that was
// never acknowledged (with the server's ack_before_sync, a machine crash may
// tear an acknowledged one: that mode acknowledges written, unsynced records).
//
// Compaction writes schema + snapshot to PATH.tmp, fsyncs it, renames it over
// PATH and fsyncs the directory, so a crash at any point leaves either the old
// or the new file whole.
//
// Not thread-safe: owned by the server's single database thread. DataSync()
// (or an asynchronous fdatasync of fd()) may run while the owner keeps
// appending and writing, never while it compacts or destroys the log.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace vs::ovsdb::storage {

class Log {
 public:
  // Zeros written ahead of the records (see "Preallocation" above): by
  // Write(), and by a direct write that reaches their end.
  static constexpr uint64_t kPreallocChunk = 1u << 20;
  static constexpr size_t kDirectExtend = 64u << 10;
  // Alignment of direct writes' offsets, lengths and buffers.
  static constexpr size_t kDirectAlign = 4096;

  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // Creates PATH holding only the schema record. Errors: EEXIST if PATH
  // exists, errno of open/write/fsync otherwise.
  static Status Create(const std::string& path, const Json& schema);

  // Opens PATH, returns every intact record in `records` (the schema first).
  // Errors: ENOENT, EACCES... from open; EINVAL if not even the schema record
  // is intact (then the file is not a numavs database).
  // `direct_io` false: never use direct writes (see "Direct writes").
  static Result<std::unique_ptr<Log>> Open(const std::string& path, std::vector<Json>* records,
                                           bool direct_io = true);

  // Buffers one record for the next Sync().
  void Append(const Json& record);
  // Writes buffered records to the file (not yet durable). Errors: errno of
  // write (the buffered records are then dropped and the file is truncated
  // back to its previous size).
  Status Write();
  // fdatasync() of the file: everything written before the call is durable
  // when it returns OK. Safe to call from another thread (see above).
  Status DataSync() const;
  // Write() then DataSync().
  Status Sync();
  // Writes the buffered records and makes them durable (see "Direct
  // writes"): OK means every record appended so far is on disk. Errors: as
  // Write() and DataSync() (the buffered records are then dropped).
  Status WriteDurable();
  // Whether WriteDurable() uses a direct write (false: Write() + DataSync()).
  bool direct() const { return dfd_ >= 0; }

  // The two halves of WriteDurable(), for a caller that issues the write
  // itself (asynchronously: server/syncer.h). BeginDirectWrite() takes the
  // buffered records (Append() may go on; they wait for the next write) and
  // returns what to write: `len` bytes from `buf` at `offset` of `fd`, with
  // RWF_DSYNC; `buf` stays untouched until EndDirectWrite(). `result` is what
  // the write returned (bytes, or -errno); OK means the records are durable.
  // Requires direct() and no write in flight; errors as WriteDurable().
  struct DirectWrite {
    int fd = -1;
    const char* buf = nullptr;
    size_t len = 0;
    uint64_t offset = 0;
  };
  Result<DirectWrite> BeginDirectWrite();
  // Writes `w` with pwritev2(RWF_DSYNC), blocking; returns bytes or -errno.
  static long WriteDirect(const DirectWrite& w);
  Status EndDirectWrite(long result);
  bool direct_in_flight() const { return in_flight_len_ > 0; }
  bool has_pending() const { return !pending_.empty(); }
  // Records appended so far: those in the file, in a direct write under way
  // and buffered (the number the last Append() made).
  uint64_t appended() const { return records_ + in_flight_records_ + pending_records_; }
  // Drops the buffered records (after a failed write, when the server rolls
  // back the commits that could not be made durable). Requires no direct
  // write in flight.
  void DropPending() {
    pending_.clear();
    pending_records_ = 0;
  }
  // Tests: Compact() sleeps this long after writing half of PATH.tmp, so
  // that a test can kill the process in the middle of a compaction
  // (numavs-db reads NUMAVS_TEST_COMPACT_PAUSE_MS). Zero: no pause.
  static void set_compact_pause_for_test(int ms);

  // Replaces the file by schema + snapshot (see above). Errors: errno.
  Status Compact(const Json& schema, const Json& snapshot);

  const std::string& path() const { return path_; }
  // The file, for an asynchronous fdatasync (same contract as DataSync());
  // changes on Compact().
  int fd() const { return fd_; }
  uint64_t size() const { return size_; }
  uint64_t records() const { return records_; }       // records in the file (schema included)
  uint64_t size_after_compact() const { return base_size_; }
  const std::string& recovery_note() const { return recovery_note_; }

  // Encodes one record in the on-disk form (exposed for tests and tools).
  static std::string Encode(const Json& record);

 private:
  Log(std::string path, int fd, uint64_t size) : path_(std::move(path)), fd_(fd), size_(size) {}
  // Writes zeros from alloc_end_ to past `need` (see "Preallocation").
  void Preallocate(uint64_t need);
  // Opens dfd_ (if the file system allows it) and loads the partial last
  // block from `data`, the file's bytes [0, size_).
  void OpenDirect(std::string_view data);
  void CloseDirect();
  // BeginDirectWrite(), pwritev2(RWF_DSYNC), EndDirectWrite().
  Status DirectWriteNow();
  // After a failed write: truncates the file back to size_ (no preallocation
  // left) and returns `s` naming the file.
  Status CutAfterFailedWrite(const Status& s);
  // Makes room for `n` bytes in block_ (aligned), keeping its first `keep`.
  bool ReserveBlock(size_t n, size_t keep);

  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;       // bytes of records in the file: where the next one goes
  uint64_t alloc_end_ = 0;  // file size: [size_, alloc_end_) is preallocated zeros
  uint64_t base_size_ = 0;  // size right after the last compaction or open
  uint64_t records_ = 0;
  std::string pending_;
  uint64_t pending_records_ = 0;
  std::string recovery_note_;
  bool direct_io_ = true;
  int dfd_ = -1;             // O_DIRECT descriptor of path_, or -1
  size_t in_flight_ = 0;     // bytes of records in the direct write under way
  uint64_t in_flight_records_ = 0;
  size_t in_flight_len_ = 0;  // bytes of that write (0: none under way)
  char* block_ = nullptr;    // aligned: [size_ & ~(kDirectAlign-1), size_) of the file, then room
  size_t block_cap_ = 0;
};

uint32_t Crc32(const void* data, size_t n);

}  // namespace vs::ovsdb::storage
