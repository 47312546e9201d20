// Fuzz target: the database file reader and recovery (ovsdb/storage/log.h, and
// server::LoadDatabase, which replays the records into a database as numavs-db does at
// start): any bytes written as the database file.
//
// Input: one control byte, then the file. Control bit 0 clear: the bytes are the file as
// they are. Set: each line of the bytes becomes one record with a correct header and CRC
// (so that mutations reach the schema and record parsers), and bytes after the last
// newline are appended raw (a torn tail).
//
// Loading may fail (with an error value) but never crash; and when it succeeds, the file
// as recovery left it (tail cut, or rewritten from the last state that replayed) loads
// again without any recovery and to the same content (a failure aborts).
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "base/json.h"
#include "base/log.h"
#include "ovsdb/server/server.h"
#include "ovsdb/storage/log.h"

namespace {

namespace fs = std::filesystem;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "ovsdb_log: %s: %s\n", what, detail.c_str());
  std::abort();
}

// A private directory for the file, removed at exit (never destroyed itself: the exit
// handler runs after static destructors).
const std::string& Dir() {
  static const std::string* dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    auto* templ = new std::string(std::string(tmp && *tmp ? tmp : "/tmp") + "/numavs-fuzz-log-XXXXXX");
    if (!mkdtemp(templ->data())) Fail("mkdtemp", *templ);
    std::atexit([] { std::error_code ec; fs::remove_all(Dir(), ec); });
    return templ;
  }();
  return *dir;
}

std::string FileBytes(std::string_view in, bool frame_lines) {
  if (!frame_lines) return std::string(in);
  std::string out;
  size_t pos = 0;
  for (size_t nl; (nl = in.find('\n', pos)) != std::string_view::npos; pos = nl + 1) {
    std::string_view body = in.substr(pos, nl - pos);
    out += fmt::format("NUMAVS-LOG {} {:08x}\n", body.size(),
                       vs::ovsdb::storage::Crc32(body.data(), body.size()));
    out += body;
    out += '\n';
  }
  out += in.substr(pos);
  return out;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) Fail("open", path);
  if (::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) Fail("write", path);
  ::close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)vs::log::ApplySpec("ANY:console:off");
  (void)Dir();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string path = Dir() + "/conf.db";
  WriteFile(path, FileBytes(in, data[0] & 1));

  vs::Json content;
  {
    auto loaded = vs::ovsdb::server::LoadDatabase(path, /*direct_io=*/false);
    if (loaded.ok()) content = loaded->db->SnapshotRecord();
  }
  if (!content.is_null()) {
    auto again = vs::ovsdb::server::LoadDatabase(path, false);
    if (!again.ok()) Fail("a recovered file does not load again", again.status().message());
    if (!again->log->recovery_note().empty()) {
      Fail("a recovered file needs recovery again", again->log->recovery_note());
    }
    if (again->db->SnapshotRecord() != content) Fail("a recovered file loads different content", "");
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(Dir(), ec)) fs::remove(e.path(), ec);
  return 0;
}
