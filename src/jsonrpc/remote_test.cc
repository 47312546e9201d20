// ParseRemote: the one parser of connection strings (expected values are
// literals from OVS's documented syntax).
#include "jsonrpc/remote.h"

#include <gtest/gtest.h>

namespace vs::jsonrpc {
namespace {

TEST(Remote, Valid) {
  auto u = ParseRemote("unix:/run/db.sock");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->kind, Remote::Kind::kUnix);
  EXPECT_EQ(u->path, "/run/db.sock");
  auto t = ParseRemote("tcp:127.0.0.1:6640");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, 6640);
  auto v6 = ParseRemote("tcp:[::1]:6641");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 6641);
  auto name = ParseRemote("tcp:localhost:6640");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->host, "localhost");
  auto p = ParseRemote("ptcp:6640");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->passive());
  EXPECT_EQ(p->host, "127.0.0.1");
  auto p6 = ParseRemote("ptcp:0:[::1]");
  ASSERT_TRUE(p6.ok());
  EXPECT_EQ(p6->host, "::1");
  EXPECT_EQ(p6->port, 0);
  auto pu = ParseRemote("punix:/x");
  ASSERT_TRUE(pu.ok());
  EXPECT_EQ(pu->kind, Remote::Kind::kPunix);
}

TEST(Remote, InvalidIsNamed) {
  for (const char* bad : {"tcp:1.2.3.4", "tcp:1.2.3.4:0", "tcp:1.2.3.4:70000", "tcp::6640",
                          "tcp:[::1:6640", "tcp:::1:6640", "unix:", "punix:", "ptcp:", "ptcp:x",
                          "ptcp:6640:[::1", "ssl:1.2.3.4:6640", "db.sock"}) {
    auto r = ParseRemote(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), EINVAL);
      EXPECT_NE(r.status().message().find(bad), std::string::npos) << r.status().message();
    }
  }
}

}  // namespace
}  // namespace vs::jsonrpc
