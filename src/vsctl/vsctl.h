// numavs-vsctl's driver: one run of the CLI, from argv to exit code.
//
//   1. parse the command line (cmdline.h);
//   2. connect to the database server, fetch the schema (get_schema);
//   3. read every table (one transact of selects) into a Replica;
//   4. run all commands against it (commands.h), building ONE transaction;
//   5. if it changes anything, commit it (with `wait` ops verifying what was
//      read; "timed out" from one of them means someone else changed the
//      database meanwhile: go back to 3), plus, unless --no-wait,
//      `mutate next_cfg += 1` and `select next_cfg`;
//   6. print the commands' output (UUIDs of new rows replaced by the real
//      ones); then, unless --no-wait, monitor Open_vSwitch.cur_cfg until the
//      switch daemon catches up with next_cfg, and report interfaces it
//      could not set up.
//
// Exit codes, as ovs-vsctl: 0 success, 1 any error (message on stderr,
// "numavs-vsctl: ..."), 2 br-exists on a missing bridge, 142 --timeout expired
// (ovs-vsctl dies of SIGALRM, 128+14; numavs-vsctl exits with that code and a
// message naming what it was waiting for).
#pragma once

#include <string>
#include <vector>

namespace vs::vsctl {

constexpr int kExitTimeout = 142;

struct RunOutput {
  std::string out;
  std::string err;
  int exit_code = 0;
};

// Runs numavs-vsctl with `argv` (argv[0] is the program name). Never throws.
RunOutput RunVsctl(const std::vector<std::string>& argv);

}  // namespace vs::vsctl
