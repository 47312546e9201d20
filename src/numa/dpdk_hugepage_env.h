// Test helper shared by the real-hugepage DPDK tests (one EAL configuration per binary).
#pragma once

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "numa/eal.h"
#include "numa/eal_config.h"
#include "numa/sysfs.h"

namespace vs::numa {

inline constexpr const char* kNr = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages";
inline constexpr const char* kFree = "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages";
inline constexpr long kPages = 64;  // 128 MB

inline long ReadLong(const char* path) {
  std::ifstream in(path);
  long v = -1;
  in >> v;
  return in ? v : -1;
}
inline bool WriteLong(const char* path, long v) {
  std::ofstream out(path);
  out << v;
  out.flush();
  return static_cast<bool>(out);
}

// MemAvailable of /proc/meminfo in bytes, or -1.
inline long long MemAvailableBytes() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  long long kb = -1;
  while (in >> key >> kb >> unit) {
    if (key == "MemAvailable:") return kb * 1024;
  }
  return -1;
}

// Reserves kPages 2 MB hugepages, mounts a private hugetlbfs and starts the EAL with the
// other_config that MakeConfig(dir) returns; gives everything back in TearDown.
// Only a missing prerequisite skips (skip_ holds why): not root, no 2 MB hugepage sysfs, a
// read-only sysfs, no CAP_SYS_ADMIN for the mount, less free memory than the pages need. As
// root on a machine that has them, anything else (the kernel not giving pages it has memory
// for, the EAL not starting with real hugepages) is a product or set-up failure: fail_ holds
// it and every test FAILS with it.
class HugeEnv : public ::testing::Environment {
 public:
  static OtherConfig MakeConfig(const std::string& hugepage_dir);  // defined by each test
  void SetUp() override {
    if (geteuid() != 0) return Skip("not root: cannot reserve hugepages");
    if (access(kNr, F_OK) != 0) return Skip(fmt::format("no 2 MB hugepages here: {} is missing", kNr));
    if (access(kNr, W_OK) != 0) {
      return Skip(fmt::format("{} is not writable ({}): read-only sysfs", kNr, std::strerror(errno)));
    }
    prev_nr_ = ReadLong(kNr);
    if (prev_nr_ < 0) return Fail(std::string("cannot read ") + kNr);
    long prev_free = ReadLong(kFree);
    long long avail = MemAvailableBytes();
    long long need = 2 * kPages * (2ll << 20);  // the pages, and as much again for everything else
    if (avail >= 0 && avail < need) {
      return Skip(fmt::format("{} MB of memory available, the test needs {} MB", avail >> 20, need >> 20));
    }
    if (!WriteLong(kNr, prev_nr_ + kPages)) return Fail(std::string("cannot write ") + kNr);
    reserved_ = true;
    long got = ReadLong(kFree) - prev_free;
    if (got < kPages) {
      return Fail(fmt::format("asked the kernel for {} 2 MB hugepages with {} MB available, got {}",
                              kPages, avail >> 20, got));
    }
    char tmpl[] = "/tmp/numavs_huge_XXXXXX";
    if (!mkdtemp(tmpl)) return Fail(fmt::format("mkdtemp: {}", std::strerror(errno)));
    dir_ = tmpl;
    if (mount("nodev", dir_.c_str(), "hugetlbfs", 0, "pagesize=2M") != 0) {
      int err = errno;
      std::string why = fmt::format("cannot mount hugetlbfs on {}: {}", dir_, std::strerror(err));
      return err == EPERM ? Skip(why + " (no CAP_SYS_ADMIN)") : Fail(why);
    }
    mounted_ = true;
    auto topo = ReadTopology("/");
    if (!topo.ok()) return Fail(topo.status().message());
    topo_ = *topo;
    OtherConfig oc = MakeConfig(dir_);
    auto cfg = ParseEalConfig(oc, topo_);
    if (!cfg.ok()) return Fail(cfg.status().message());
    cfg_ = *cfg;
    Status s = Eal::Init(cfg_, topo_, "numavs-dpdk-hugepage-test");
    if (!s.ok()) return Fail("the EAL did not start with real hugepages: " + s.message());
  }
  void TearDown() override {
    Eal::Shutdown();
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
    if (!dir_.empty()) rmdir(dir_.c_str());
    if (reserved_) WriteLong(kNr, prev_nr_);
  }
  static void Skip(std::string why) { skip_ = std::move(why); }
  static void Fail(std::string why) { fail_ = std::move(why); }
  static inline std::string skip_, fail_;
  static inline Topology topo_;
  static inline EalConfig cfg_;

 private:
  long prev_nr_ = -1;
  bool reserved_ = false, mounted_ = false;
  std::string dir_;
};

// First line of each test: skips for a missing prerequisite, fails for anything else.
#define REQUIRE_HUGEPAGES()                                                       \
  if (!HugeEnv::fail_.empty()) FAIL() << HugeEnv::fail_;                          \
  if (!HugeEnv::skip_.empty()) GTEST_SKIP() << "missing prerequisite: " << HugeEnv::skip_

}  // namespace vs::numa
