// Test helper shared by the real-hugepage DPDK tests (one EAL configuration per binary).
#pragma once

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>

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

// Reserves kPages 2 MB hugepages, mounts a private hugetlbfs and starts the EAL with the
// other_config that MakeConfig(dir) returns; gives everything back in TearDown. On any failure
// skip_ holds the reason and the tests skip.
class HugeEnv : public ::testing::Environment {
 public:
  static OtherConfig MakeConfig(const std::string& hugepage_dir);  // defined by each test
  void SetUp() override {
    if (geteuid() != 0) return Skip("not root: cannot reserve hugepages");
    prev_nr_ = ReadLong(kNr);
    if (prev_nr_ < 0) return Skip(std::string("cannot read ") + kNr);
    long prev_free = ReadLong(kFree);
    if (!WriteLong(kNr, prev_nr_ + kPages)) return Skip(std::string("cannot write ") + kNr);
    reserved_ = true;
    long got = ReadLong(kFree) - prev_free;
    if (got < kPages) {
      return Skip(fmt::format("asked the kernel for {} 2 MB hugepages, got {}", kPages, got));
    }
    char tmpl[] = "/tmp/numavs_huge_XXXXXX";
    if (!mkdtemp(tmpl)) return Skip("mkdtemp failed");
    dir_ = tmpl;
    if (mount("nodev", dir_.c_str(), "hugetlbfs", 0, "pagesize=2M") != 0) {
      return Skip(fmt::format("cannot mount hugetlbfs on {}: {}", dir_, std::strerror(errno)));
    }
    mounted_ = true;
    auto topo = ReadTopology("/");
    if (!topo.ok()) return Skip(topo.status().message());
    topo_ = *topo;
    OtherConfig oc = MakeConfig(dir_);
    auto cfg = ParseEalConfig(oc, topo_);
    if (!cfg.ok()) return Skip(cfg.status().message());
    cfg_ = *cfg;
    Status s = Eal::Init(cfg_, topo_, "numavs-dpdk-hugepage-test");
    if (!s.ok()) return Skip("the EAL did not start with real hugepages: " + s.message());
  }
  void TearDown() override {
    Eal::Shutdown();
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
    if (!dir_.empty()) rmdir(dir_.c_str());
    if (reserved_) WriteLong(kNr, prev_nr_);
  }
  static void Skip(std::string why) { skip_ = std::move(why); }
  static inline std::string skip_;
  static inline Topology topo_;
  static inline EalConfig cfg_;

 private:
  long prev_nr_ = -1;
  bool reserved_ = false, mounted_ = false;
  std::string dir_;
};

#define SKIP_IF_NO_HUGEPAGES() \
  if (!HugeEnv::skip_.empty()) GTEST_SKIP() << HugeEnv::skip_

}  // namespace vs::numa
