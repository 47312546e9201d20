#include "ctl/unixctl.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <thread>

namespace vs::ctl {
namespace {

// Sends one request with a plain blocking socket and returns the parsed reply.
Json Ask(const std::string& path, const Json& req) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path.c_str());
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return Json();
  std::string out = req.dump();
  (void)!write(fd, out.data(), out.size());
  jsonrpc::Framer f;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    f.Feed(std::string_view(buf, n));
    if (auto m = f.Next()) {
      close(fd);
      return Json::parse(*m);
    }
  }
  close(fd);
  return Json();
}

TEST(Unixctl, AnswersLikeOvsAppctlExpects) {
  asio::io_context io;
  std::string path = ::testing::TempDir() + "/unixctl_test.ctl";
  auto srv = UnixctlServer::Create(io, path, "numavs-test (numavs) 0.1");
  ASSERT_TRUE(srv.ok()) << srv.status().message();
  (*srv)->Register("echo/upper", "TEXT", 1, 1, [](const std::vector<std::string>& a) -> Result<std::string> {
    std::string s = a[0];
    for (auto& c : s) c = toupper(c);
    return s + "\n";
  });
  std::thread t([&] { io.run_for(std::chrono::seconds(5)); });
  Json r = Ask(path, {{"id", 0}, {"method", "version"}, {"params", Json::array()}});
  EXPECT_EQ(r["result"], "numavs-test (numavs) 0.1\n");
  EXPECT_TRUE(r["error"].is_null());
  r = Ask(path, {{"id", 1}, {"method", "echo/upper"}, {"params", {"abc"}}});
  EXPECT_EQ(r["result"], "ABC\n");
  r = Ask(path, {{"id", 2}, {"method", "echo/upper"}, {"params", {"a", "b"}}});
  EXPECT_EQ(r["error"], "\"echo/upper\" command takes at most 1 arguments\n");
  EXPECT_FALSE(r.contains("result"));
  r = Ask(path, {{"id", 3}, {"method", "nope"}, {"params", Json::array()}});
  EXPECT_EQ(r["error"],
            "\"nope\" is not a valid command (use \"list-commands\" to see a list of valid commands)\n");
  r = Ask(path, {{"id", 4}, {"method", "list-commands"}, {"params", Json::array()}});
  EXPECT_NE(r["result"].get<std::string>().find("  echo/upper              TEXT\n"), std::string::npos);
  r = Ask(path, {{"id", 5}, {"method", "vlog/set"}, {"params", {"unixctl:file:dbg"}}});
  EXPECT_EQ(r["result"], "");
  r = Ask(path, {{"id", 6}, {"method", "vlog/set"}, {"params", {"bogus_module:dbg"}}});
  EXPECT_NE(r["error"].get<std::string>().find("unknown module"), std::string::npos);
  io.stop();
  t.join();
}

}  // namespace
}  // namespace vs::ctl
