#include "jsonrpc/client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace vs::jsonrpc {
namespace {

// A one-connection fake server on a unix socket in a temp dir.
class FakeServer {
 public:
  FakeServer() {
    char tmpl[] = "/tmp/jsonrpc-client-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/s.sock";
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path_.c_str());
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&sun), sizeof sun), 0);
    EXPECT_EQ(listen(listen_fd_, 1), 0);
  }
  ~FakeServer() {
    Join();
    close(listen_fd_);
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  // Runs `script` on the accepted connection in a thread.
  template <typename F>
  void Serve(F script) {
    thread_ = std::thread([this, script] {
      int fd = accept(listen_fd_, nullptr, nullptr);
      script(fd);
      close(fd);
    });
  }
  std::string remote() const { return "unix:" + path_; }
  // Waits for the script to end.
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::string dir_, path_;
  int listen_fd_ = -1;
  std::thread thread_;
};

void Write(int fd, const std::string& s) { ASSERT_EQ(write(fd, s.data(), s.size()), (ssize_t)s.size()); }

std::string ReadSome(int fd) {
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf);
  return n > 0 ? std::string(buf, n) : std::string();
}

TEST(ClientTest, CallReturnsResultAndQueuesNotifications) {
  std::string seen_echo_reply;  // before `server`: its thread writes it until joined
  FakeServer server;
  server.Serve([&](int fd) {
    std::string req = ReadSome(fd);  // {"id":1,"method":"list_dbs",...}
    // An echo request and a notification arrive before the reply, split oddly.
    Write(fd, R"({"id":"e1","method":"echo","params":[1]}{"id":null,"meth)");
    Write(fd, R"(od":"update","params":["x",{}]} {"id":1,"result":["Open_vSwitch"],"error":null})");
    seen_echo_reply = ReadSome(fd);
  });
  auto client = Client::Connect(server.remote(), 1000);
  ASSERT_TRUE(client.ok()) << client.status().message();
  auto result = (*client)->Call("list_dbs", Json::array(), 2000);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(*result, Json::parse(R"(["Open_vSwitch"])"));
  auto note = (*client)->NextNotification(DeadlineAfter(1000));
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(note->method, "update");
  client->reset();
  server.Join();
  // The client answered the server's echo request while waiting for its reply.
  EXPECT_NE(seen_echo_reply.find(R"("id":"e1")"), std::string::npos) << seen_echo_reply;
}

TEST(ClientTest, ErrorReplyIsRemoteError) {
  FakeServer server;
  server.Serve([&](int fd) {
    ReadSome(fd);
    Write(fd, R"({"id":1,"result":null,"error":{"error":"unknown database"}})");
  });
  auto client = Client::Connect(server.remote(), 1000);
  ASSERT_TRUE(client.ok());
  auto result = (*client)->Call("get_schema", Json::array({"nope"}), 2000);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), EREMOTEIO);
  EXPECT_NE(result.status().message().find("unknown database"), std::string::npos);
}

TEST(ClientTest, TimeoutAndClosedPeer) {
  // The peer stays silent until the first call has timed out (not for a time that a slow
  // machine could outlast), then closes.
  std::promise<void> timed_out;
  std::shared_future<void> closing = timed_out.get_future().share();
  FakeServer server;
  server.Serve([closing](int fd) {
    ReadSome(fd);
    closing.wait_for(std::chrono::seconds(30));
  });
  auto client = Client::Connect(server.remote(), 1000);
  ASSERT_TRUE(client.ok());
  auto result = (*client)->Call("x", Json::array(), 100);
  timed_out.set_value();
  EXPECT_EQ(result.status().code(), ETIMEDOUT);
  auto again = (*client)->Call("y", Json::array(), 2000);  // the peer closes meanwhile
  EXPECT_FALSE(again.ok());
}

TEST(ClientTest, ConnectErrors) {
  EXPECT_EQ(Client::Connect("bogus:x", 100).status().code(), EINVAL);
  EXPECT_EQ(Client::Connect("unix:/nonexistent/dir/db.sock", 100).status().code(), ENOENT);
  EXPECT_EQ(Client::Connect("tcp:127.0.0.1", 100).status().code(), EINVAL);
}

}  // namespace
}  // namespace vs::jsonrpc
