// Test helper: when a test finds O_DIRECT refused, is that a missing prerequisite or a failure?
//
// Some file systems refuse O_DIRECT by design: tmpfs before Linux 6.6, ramfs, overlayfs (over
// such a one), FUSE file systems without direct I/O, 9p, eCryptfs. There a test of direct writes
// skips, naming the file system. Everywhere else (ext4, xfs, btrfs, ...) direct writes work,
// numavs-db uses them by default, and a refusal is a product failure: the test fails.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/vfs.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace vs::ovsdb::storage {

struct DirectIoRefusal {
  bool prerequisite_missing;  // true: the file system refuses O_DIRECT by design (skip)
  std::string why;            // names the file system, for the skip or failure message
};

inline DirectIoRefusal ClassifyDirectIoRefusal(const std::string& path) {
  struct statfs st {};
  if (::statfs(path.c_str(), &st) != 0) {
    return {false, fmt::format("O_DIRECT refused on {}, and statfs failed: {}", path, std::strerror(errno))};
  }
  constexpr long kFuseMagic = 0x65735546;  // not in <linux/magic.h>
  const long type = static_cast<long>(st.f_type);
  const char* by_design = type == TMPFS_MAGIC             ? "tmpfs"
                          : type == RAMFS_MAGIC           ? "ramfs"
                          : type == OVERLAYFS_SUPER_MAGIC ? "overlayfs"
                          : type == kFuseMagic            ? "fuse"
                          : type == V9FS_MAGIC            ? "9p"
                          : type == ECRYPTFS_SUPER_MAGIC  ? "ecryptfs"
                                                          : nullptr;
  if (by_design) {
    return {true, fmt::format("missing prerequisite: {} is on {}, which refuses O_DIRECT (put "
                              "TEST_TMPDIR on ext4/xfs/btrfs to run this test)", path, by_design)};
  }
  return {false, fmt::format("O_DIRECT refused on {} (file system type {:#x}, which supports it): "
                             "numavs-db's direct writes do not work here", path, type)};
}

}  // namespace vs::ovsdb::storage

// In a test: when `direct` is false, skips on a file system that refuses O_DIRECT by design and
// fails on any other.
#define VS_REQUIRE_DIRECT_IO(direct, path)                                              \
  if (!(direct)) {                                                                     \
    const auto vs_refusal_ = ::vs::ovsdb::storage::ClassifyDirectIoRefusal(path);      \
    if (vs_refusal_.prerequisite_missing) GTEST_SKIP() << vs_refusal_.why;             \
    FAIL() << vs_refusal_.why;                                                         \
  }
