// numavs-vsctl: configure numavs through its OVSDB server, with ovs-vsctl's
// command syntax and output. All logic lives in src/vsctl/.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "vsctl/vsctl.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  try {
    vs::vsctl::RunOutput r = vs::vsctl::RunVsctl(args);
    std::fwrite(r.out.data(), 1, r.out.size(), stdout);
    std::fflush(stdout);
    std::fwrite(r.err.data(), 1, r.err.size(), stderr);
    return r.exit_code;
  } catch (const std::exception& e) {
    // Boundary: a library (nlohmann) threw on malformed input we did not foresee.
    std::fprintf(stderr, "numavs-vsctl: internal error: %s\n", e.what());
    return 1;
  }
}
