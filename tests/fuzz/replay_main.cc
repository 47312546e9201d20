// Replays fuzz inputs through a fuzz target's LLVMFuzzerTestOneInput without libFuzzer, so
// that the normal test suite (gcc, and gcc + ASan/UBSan in the asan preset) runs every seed
// and every regression input on each build (see docs/fuzzing.md).
//
//   fuzz_NAME_replay PATH...    each PATH is a file or a directory of files (not recursive;
//                               names starting with '.' are skipped)
//
// A target reports a finding by crashing (abort, sanitizer report), so this driver's job is
// only to feed the inputs; it fails if a PATH is missing or no input was found at all (a
// replay that runs nothing must not pass).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

bool ReadFile(const fs::path& p, std::vector<uint8_t>* out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE-OR-DIR...\n", argv[0]);
    return 2;
  }
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<fs::path> files;
  for (int i = 1; i < argc; i++) {
    fs::path p(argv[i]);
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> here;
      for (const auto& e : fs::directory_iterator(p, ec)) {
        if (e.is_regular_file() && e.path().filename().string()[0] != '.') here.push_back(e.path());
      }
      if (ec) {
        std::fprintf(stderr, "%s: cannot list %s: %s\n", argv[0], argv[i], ec.message().c_str());
        return 2;
      }
      std::sort(here.begin(), here.end());
      files.insert(files.end(), here.begin(), here.end());
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "%s: %s: no such file or directory\n", argv[0], argv[i]);
      return 2;
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "%s: no inputs found in the paths given\n", argv[0]);
    return 2;
  }
  std::vector<uint8_t> data;
  for (const fs::path& f : files) {
    if (!ReadFile(f, &data)) {
      std::fprintf(stderr, "%s: cannot read %s\n", argv[0], f.c_str());
      return 2;
    }
    // The name first, so that a crash report says which input did it.
    std::fprintf(stderr, "replay %s (%zu bytes)\n", f.c_str(), data.size());
    // A copy of exactly the input's size, as libFuzzer gives it: ASan sees any over-read.
    std::vector<uint8_t> exact(data);
    static uint8_t none;
    LLVMFuzzerTestOneInput(exact.empty() ? &none : exact.data(), exact.size());
  }
  std::printf("%s: %zu inputs replayed, no finding\n", argv[0], files.size());
  return 0;
}
