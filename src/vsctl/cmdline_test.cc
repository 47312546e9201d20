#include "vsctl/cmdline.h"

#include <gtest/gtest.h>

namespace vs::vsctl {
namespace {

Result<Invocation> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "numavs-vsctl");
  return ParseCommandLine(args);
}

TEST(VsctlCmdline, GlobalOptionsAndChaining) {
  auto inv = Parse({"--db=unix:/tmp/x.sock", "--no-wait", "--timeout=5", "add-br", "br2", "--",
                    "set", "bridge", "br2", "datapath_type=netdev"});
  ASSERT_TRUE(inv.ok()) << inv.status().message();
  EXPECT_EQ(inv->db, "unix:/tmp/x.sock");
  EXPECT_TRUE(inv->no_wait);
  EXPECT_EQ(inv->timeout_s, 5);
  ASSERT_EQ(inv->commands.size(), 2u);
  EXPECT_STREQ(inv->commands[0].syntax->name, "add-br");
  EXPECT_EQ(inv->commands[1].args,
            (std::vector<std::string>{"bridge", "br2", "datapath_type=netdev"}));
}

TEST(VsctlCmdline, LeadingCommandOptionsBelongToTheFirstCommand) {
  auto inv = Parse({"--may-exist", "add-br", "br0", "--", "--if-exists", "del-port", "p"});
  ASSERT_TRUE(inv.ok()) << inv.status().message();
  EXPECT_TRUE(inv->commands[0].Has("--may-exist"));
  EXPECT_TRUE(inv->commands[1].Has("--if-exists"));
  EXPECT_FALSE(inv->commands[1].Has("--may-exist"));
}

TEST(VsctlCmdline, ErrorsUseOvsVsctlWording) {
  auto unknown = Parse({"frobnicate"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown command 'frobnicate'"), std::string::npos)
      << unknown.status().message();
  auto arity = Parse({"add-br"});
  ASSERT_FALSE(arity.ok());
  EXPECT_NE(arity.status().message().find("add-br"), std::string::npos);
  auto bad_opt = Parse({"--if-exists", "add-br", "br0"});
  EXPECT_FALSE(bad_opt.ok());
  auto bad_timeout = Parse({"--timeout=abc", "list-br"});
  EXPECT_FALSE(bad_timeout.ok());
}

}  // namespace
}  // namespace vs::vsctl
