#include "ovsdb/storage/log.h"

#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>
#include <zlib.h>

#include "base/json_parse.h"
#include "base/log.h"

namespace vs::ovsdb::storage {
namespace {

log::Module& kLog = log::GetModule("ovsdb_log");
constexpr std::string_view kMagic = "NUMAVS-LOG ";
constexpr size_t kMaxHeader = 64;

Status WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "write failed");
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

Status PWriteAll(int fd, const char* p, size_t n, uint64_t off) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(off));
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "write failed");
    }
    p += w;
    off += static_cast<uint64_t>(w);
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

bool AllZero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == 0; });
}

Status ReadWhole(int fd, std::string* out) {
  struct stat st;
  if (fstat(fd, &st) < 0) return Status::FromErrno(errno, "fstat failed");
  out->resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out->size()) {
    ssize_t r = ::read(fd, out->data() + got, out->size() - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "read failed");
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  out->resize(got);
  return Status::Ok();
}

Status FsyncDir(const std::string& path) {
  std::string copy = path;
  std::string dir = dirname(copy.data());
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Status::FromErrno(errno, fmt::format("could not open directory {}", dir));
  int rc = fsync(dfd);
  int err = errno;
  ::close(dfd);
  if (rc < 0) return Status::FromErrno(err, fmt::format("fsync of directory {} failed", dir));
  return Status::Ok();
}

// Parses one record at `off`. Returns the record's total length, or 0 with
// `why` set if the bytes there are not an intact record.
size_t ParseRecord(const std::string& data, size_t off, Json* out, std::string* why) {
  std::string_view rest(data.data() + off, data.size() - off);
  if (rest.size() < kMagic.size() || rest.substr(0, kMagic.size()) != kMagic) {
    *why = "bad record header";
    return 0;
  }
  size_t nl = rest.find('\n');
  if (nl == std::string_view::npos || nl > kMaxHeader) {
    *why = nl == std::string_view::npos ? "incomplete record header" : "bad record header";
    return 0;
  }
  unsigned long long len = 0;
  unsigned crc = 0;
  std::string header(rest.substr(kMagic.size(), nl - kMagic.size()));
  int consumed = 0;
  if (sscanf(header.c_str(), "%llu %8x%n", &len, &crc, &consumed) != 2 ||
      static_cast<size_t>(consumed) != header.size()) {
    *why = "bad record header";
    return 0;
  }
  size_t total = nl + 1 + len + 1;
  if (len > rest.size() || total > rest.size()) {
    *why = fmt::format("record of {} bytes is cut short", len);
    return 0;
  }
  const char* body = rest.data() + nl + 1;
  if (Crc32(body, len) != crc || body[len] != '\n') {
    *why = "record checksum mismatch";
    return 0;
  }
  std::optional<Json> j = ParseJson(std::string_view(body, len));
  if (!j) {
    *why = "record is not valid JSON";
    return 0;
  }
  *out = std::move(*j);
  return total;
}

}  // namespace

uint32_t Crc32(const void* data, size_t n) {
  // zlib's CRC-32 (the IEEE polynomial, as the records always had), which
  // works a word at a time instead of a byte.
  return static_cast<uint32_t>(crc32_z(0, static_cast<const Bytef*>(data), n));
}

std::string Log::Encode(const Json& record) {
  std::string body = JsonToString(record);
  std::string out = fmt::format("{}{} {:08x}\n", kMagic, body.size(), Crc32(body.data(), body.size()));
  out += body;
  out += '\n';
  return out;
}

Log::~Log() {
  CloseDirect();
  std::free(block_);
  if (fd_ < 0) return;
  // Give back the preallocated zeros. Not needed for correctness (Open()
  // reads a zero tail as the clean end), so neither checked nor synced.
  if (alloc_end_ > size_ && ftruncate(fd_, static_cast<off_t>(size_)) < 0) {
    VS_LOG_DBG(kLog, "{}: could not trim preallocated space ({})", path_, strerror(errno));
  }
  ::close(fd_);
}

Status Log::Create(const std::string& path, const Json& schema) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(errno, fmt::format("{}: could not create database file", path));
  std::string rec = Encode(schema);
  Status s = WriteAll(fd, rec.data(), rec.size());
  if (s.ok() && fsync(fd) < 0) s = Status::FromErrno(errno, "fsync failed");
  ::close(fd);
  if (s.ok()) s = FsyncDir(path);
  if (!s.ok()) {
    ::unlink(path.c_str());
    return s.Wrap(path);
  }
  return Status::Ok();
}

Result<std::unique_ptr<Log>> Log::Open(const std::string& path, std::vector<Json>* records,
                                       bool direct_io) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, fmt::format("{}: could not open database file", path));
  std::string data;
  if (Status s = ReadWhole(fd, &data); !s.ok()) {
    ::close(fd);
    return s.Wrap(path);
  }
  records->clear();
  size_t off = 0;
  std::string why;
  while (off < data.size()) {
    Json rec;
    size_t n = ParseRecord(data, off, &rec, &why);
    if (n == 0) break;
    records->push_back(std::move(rec));
    off += n;
  }
  if (records->empty() && (data.rfind("OVSDB JSON ", 0) == 0 || data.rfind("OVSDB CLUSTER ", 0) == 0)) {
    ::close(fd);
    return Status(EINVAL, fmt::format(
        "{}: this is an ovsdb-server database ({} format, as ovsdb-tool creates it), not a numavs "
        "one; numavs-db does not read OVS's file format. Move it aside (numavs start then creates "
        "a numavs database from the schema) or name another file",
        path, data.rfind("OVSDB JSON ", 0) == 0 ? "standalone" : "clustered"));
  }
  if (records->empty()) {
    ::close(fd);
    return Status(EINVAL, fmt::format("{}: not a numavs database file ({} at byte offset 0)", path,
                                      why.empty() ? "file is empty" : why));
  }
  auto log = std::unique_ptr<Log>(new Log(path, fd, off));
  log->records_ = records->size();
  log->alloc_end_ = off;
  if (off < data.size() && AllZero(std::string_view(data).substr(off))) {
    // Zeros preallocated by Write() and not yet used: the clean end of the
    // log. Appends reuse them.
    log->alloc_end_ = data.size();
  } else if (off < data.size()) {
    size_t cut = data.size() - off;
    // Later records behind the damage mean this is not just a torn append:
    // keep the cut bytes for the operator instead of dropping them.
    std::string kept;
    if (data.find(kMagic, off + 1) != std::string::npos) {
      kept = fmt::format("{}.corrupt-{}", path, off);
      int cfd = ::open(kept.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (cfd >= 0) {
        Status ws = WriteAll(cfd, data.data() + off, cut);
        ::close(cfd);
        if (!ws.ok()) kept.clear();
      } else {
        kept.clear();
      }
    }
    if (ftruncate(fd, static_cast<off_t>(off)) < 0 || fsync(fd) < 0) {
      return Status::FromErrno(errno, fmt::format("{}: could not cut corrupt tail at byte offset {}",
                                                  path, off));
    }
    log->recovery_note_ = fmt::format(
        "{}: {} at byte offset {}; cut off the last {} bytes{}", path, why, off, cut,
        kept.empty() ? " (an incomplete write, of a transaction that was never acknowledged unless the "
                       "machine crashed under --ack-before-sync)"
                     : fmt::format(" (saved to {})", kept));
  }
  log->base_size_ = off;
  log->direct_io_ = direct_io;
  log->OpenDirect(std::string_view(data).substr(0, off));
  return log;
}

void Log::OpenDirect(std::string_view data) {
  CloseDirect();
  if (!direct_io_) return;
  size_t head = data.size() % kDirectAlign;
  if (!ReserveBlock(kDirectAlign, 0)) return;
  auto refused = [this](const std::string& why) {
    VS_LOG_INFO(kLog, "{}: no direct I/O here ({}): commits are written, then fdatasync()ed", path_, why);
  };
  int dfd = ::open(path_.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);
  if (dfd < 0) return refused(strerror(errno));
  std::memcpy(block_, data.data() + data.size() - head, head);
  dfd_ = dfd;
  // Some file systems take O_DIRECT at open and refuse the writes (their own
  // alignment rules): find out now, by rewriting the last block as it is.
  if (Status s = DirectWriteNow(); !s.ok()) {
    if (s.code() == ENOSPC || s.code() == EDQUOT) {
      // The file system takes direct writes; it is full. Keep direct I/O and
      // say what is wrong: commits fail until space is freed.
      VS_LOG_WARN(kLog, "{}: the file system is full ({}): commits will fail until space is freed; "
                  "reads are served meanwhile", path_, strerror(s.code()));
      return;
    }
    refused(s.message());
    CloseDirect();
  }
}

void Log::CloseDirect() {
  if (dfd_ >= 0) ::close(dfd_);
  dfd_ = -1;
}

bool Log::ReserveBlock(size_t n, size_t keep) {
  if (n <= block_cap_) return true;
  size_t cap = std::max(block_cap_ * 2, (n + kDirectAlign - 1) & ~(kDirectAlign - 1));
  void* p = nullptr;
  if (posix_memalign(&p, kDirectAlign, cap) != 0) return false;
  if (keep) std::memcpy(p, block_, keep);
  std::free(block_);
  block_ = static_cast<char*>(p);
  block_cap_ = cap;
  return true;
}

Status Log::WriteDurable() {
  if (pending_.empty()) return Status::Ok();
  if (dfd_ < 0) return Sync();
  return DirectWriteNow();
}

Status Log::DirectWriteNow() {
  auto w = BeginDirectWrite();
  if (!w.ok()) return w.status();
  return EndDirectWrite(WriteDirect(*w));
}

long Log::WriteDirect(const DirectWrite& w) {
  size_t done = 0;
  while (done < w.len) {
    iovec iov{const_cast<char*>(w.buf) + done, w.len - done};
    ssize_t n = ::pwritev2(w.fd, &iov, 1, static_cast<off_t>(w.offset + done), RWF_DSYNC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    if (n == 0 || n % static_cast<ssize_t>(kDirectAlign) != 0) return static_cast<long>(done) + n;
    done += static_cast<size_t>(n);
  }
  return static_cast<long>(done);
}

Result<Log::DirectWrite> Log::BeginDirectWrite() {
  const uint64_t start = size_ & ~uint64_t{kDirectAlign - 1};
  const size_t head = static_cast<size_t>(size_ - start);
  const size_t len = head + pending_.size();
  // At least one block: OpenDirect()'s probe writes even with nothing pending.
  size_t padded = std::max(kDirectAlign, (len + kDirectAlign - 1) & ~(kDirectAlign - 1));
  // Past the zeros written ahead: this write carries kDirectExtend more (see
  // "Preallocation" in log.h), so that the next ones overwrite allocated
  // blocks and change no metadata.
  if (start + padded > alloc_end_) padded += kDirectExtend;
  if (!ReserveBlock(padded, head)) {
    return Status(ENOMEM, fmt::format("{}: no memory for a direct write of {} bytes", path_, padded));
  }
  std::memcpy(block_ + head, pending_.data(), pending_.size());
  std::memset(block_ + len, 0, padded - len);
  in_flight_ = pending_.size();
  in_flight_records_ = pending_records_;
  in_flight_len_ = padded;
  pending_.clear();
  pending_records_ = 0;
  return DirectWrite{dfd_, block_, padded, start};
}

Status Log::EndDirectWrite(long result) {
  const uint64_t start = size_ & ~uint64_t{kDirectAlign - 1};
  const size_t padded = in_flight_len_;
  in_flight_len_ = 0;
  if (result != static_cast<long>(padded)) {
    // Drop what could not be made durable; the file keeps every earlier
    // record (the rewritten leading bytes of the block are the same).
    in_flight_ = 0;
    in_flight_records_ = 0;
    return CutAfterFailedWrite(
        result < 0 ? Status::FromErrno(static_cast<int>(-result), "direct write failed")
                   : Status(EIO, fmt::format("direct write wrote {} of {} bytes", result, padded)));
  }
  alloc_end_ = std::max(alloc_end_, start + padded);
  size_ += in_flight_;
  records_ += in_flight_records_;
  in_flight_ = 0;
  in_flight_records_ = 0;
  // Keep the partial last block for the next write.
  const uint64_t next = size_ & ~uint64_t{kDirectAlign - 1};
  std::memmove(block_, block_ + (next - start), static_cast<size_t>(size_ - next));
  return Status::Ok();
}

Status Log::CutAfterFailedWrite(const Status& s) {
  if (ftruncate(fd_, static_cast<off_t>(size_)) < 0) {
    VS_LOG_ERR(kLog, "{}: could not truncate after failed write ({})", path_, strerror(errno));
  }
  alloc_end_ = size_;
  return s.Wrap(path_);
}

void Log::Append(const Json& record) {
  pending_ += Encode(record);
  pending_records_++;
}

void Log::Preallocate(uint64_t need) {
  static const std::string zeros(64 << 10, '\0');
  uint64_t end = (need + kPreallocChunk + 4095) & ~uint64_t{4095};
  for (uint64_t off = alloc_end_; off < end; off += zeros.size()) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(zeros.size(), end - off));
    Status s = PWriteAll(fd_, zeros.data(), n, off);
    if (!s.ok()) {
      // Not fatal: the records are then appended the ordinary way (the file
      // grows with each write and each sync commits the size change).
      static log::RateLimit rl(1, 1);
      VS_LOG_WARN_RL(kLog, rl, "{}: could not preallocate {} bytes: {}", path_, end - alloc_end_,
                     s.message());
      if (ftruncate(fd_, static_cast<off_t>(std::max(alloc_end_, size_))) < 0) {
        VS_LOG_ERR(kLog, "{}: could not truncate after failed write ({})", path_, strerror(errno));
      }
      return;
    }
  }
  alloc_end_ = end;
}

Status Log::Write() {
  if (pending_.empty()) return Status::Ok();
  if (dfd_ >= 0) return WriteDurable();  // keeps block_ the file's last partial block
  if (size_ + pending_.size() > alloc_end_) Preallocate(size_ + pending_.size());
  Status s = PWriteAll(fd_, pending_.data(), pending_.size(), size_);
  if (!s.ok()) {
    pending_.clear();
    pending_records_ = 0;
    return CutAfterFailedWrite(s);
  }
  size_ += pending_.size();
  records_ += pending_records_;
  pending_.clear();
  pending_records_ = 0;
  return Status::Ok();
}

Status Log::DataSync() const {
  if (fdatasync(fd_) < 0) return Status::FromErrno(errno, fmt::format("{}: fdatasync failed", path_));
  return Status::Ok();
}

Status Log::Sync() {
  if (pending_.empty()) return Status::Ok();
  VS_RETURN_IF_ERROR(Write());
  return DataSync();
}

namespace {
int compact_pause_ms = 0;
}  // namespace

void Log::set_compact_pause_for_test(int ms) { compact_pause_ms = ms; }

Status Log::Compact(const Json& schema, const Json& snapshot) {
  VS_RETURN_IF_ERROR(WriteDurable());
  std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(errno, fmt::format("could not create {}", tmp));
  std::string data = Encode(schema) + Encode(snapshot);
  size_t half = compact_pause_ms > 0 ? data.size() / 2 : data.size();
  Status s = WriteAll(fd, data.data(), half);
  if (s.ok() && half < data.size()) {
    VS_LOG_INFO(kLog, "{}: compaction pauses {} ms with {} of {} bytes written (test hook)", tmp,
                compact_pause_ms, half, data.size());
    ::usleep(static_cast<useconds_t>(compact_pause_ms) * 1000);
    s = WriteAll(fd, data.data() + half, data.size() - half);
  }
  if (s.ok() && fsync(fd) < 0) s = Status::FromErrno(errno, "fsync failed");
  if (s.ok() && ::rename(tmp.c_str(), path_.c_str()) < 0) {
    s = Status::FromErrno(errno, fmt::format("could not rename {} to {}", tmp, path_));
  }
  if (!s.ok()) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return s.Wrap("compacting " + path_);
  }
  Status ds = FsyncDir(path_);
  if (!ds.ok()) VS_LOG_WARN(kLog, "{}", ds.message());
  ::close(fd_);
  fd_ = fd;
  size_ = base_size_ = alloc_end_ = data.size();
  records_ = 2;
  OpenDirect(data);
  return Status::Ok();
}

}  // namespace vs::ovsdb::storage
