// ParseDaemonOptions: the OVS daemons' spelling rules (getopt_long).
#include "ctl/options.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace vs::ctl {
namespace {

Result<DaemonOptions> Parse(std::vector<std::string> args, std::string* extra_value = nullptr,
                            bool allow_remote = true) {
  args.insert(args.begin(), "prog");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<ExtraOption> extra = {
      {"sysfs-root", ExtraOption::Arg::kRequired, [extra_value](const std::string& v) {
         if (extra_value) *extra_value = v;
         return Status::Ok();
       }}};
  return ParseDaemonOptions(static_cast<int>(args.size()), argv.data(), "prog", extra, allow_remote);
}

TEST(DaemonOptions, BothSpellingsOfRequiredValues) {
  setenv("OVS_RUNDIR", "/run/x", 1);
  std::string root;
  auto o = Parse({"--unixctl", "/a.ctl", "--remote=punix:/s", "--remote", "ptcp:1", "db1",
                  "--sysfs-root", "/fx", "--detach", "db2"},
                 &root);
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->unixctl, "/a.ctl");
  EXPECT_EQ(o->remotes, (std::vector<std::string>{"punix:/s", "ptcp:1"}));
  EXPECT_EQ(o->args, (std::vector<std::string>{"db1", "db2"}));
  EXPECT_EQ(root, "/fx");
  EXPECT_TRUE(o->detach);
  EXPECT_TRUE(o->pidfile.empty());
}

TEST(DaemonOptions, OptionalValuesOnlyAfterEquals) {
  setenv("OVS_RUNDIR", "/run/x", 1);
  setenv("OVS_LOGDIR", "/log/x", 1);
  auto o = Parse({"--pidfile", "conf.db", "--log-file"});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->pidfile, "/run/x/prog.pid");
  EXPECT_TRUE(o->default_pidfile);
  EXPECT_EQ(o->log_file, "/log/x/prog.log");
  EXPECT_EQ(o->args, (std::vector<std::string>{"conf.db"}));
  auto named = Parse({"--pidfile=/p.pid", "--log-file=/l.log"});
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->pidfile, "/p.pid");
  EXPECT_FALSE(named->default_pidfile);
  EXPECT_EQ(named->log_file, "/l.log");
}

TEST(DaemonOptions, VerboseSpecs) {
  EXPECT_TRUE(Parse({"-vconsole:off"}).ok());
  EXPECT_TRUE(Parse({"--verbose=file:info"}).ok());
  auto bad = Parse({"-vnosuchlevel"});
  ASSERT_FALSE(bad.ok());
}

TEST(DaemonOptions, ErrorsNameTheOption) {
  auto unknown = Parse({"--bogus"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown option \"--bogus\""), std::string::npos)
      << unknown.status().message();
  auto missing = Parse({"--unixctl"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("\"--unixctl\" needs a value"), std::string::npos)
      << missing.status().message();
  auto no_remote = Parse({"--remote=punix:/s"}, nullptr, false);
  ASSERT_FALSE(no_remote.ok());
  EXPECT_NE(no_remote.status().message().find("unknown option"), std::string::npos);
}

}  // namespace
}  // namespace vs::ctl
