// In-process tests of DbServer: a real server on a unix socket in a thread,
// driven by the blocking jsonrpc::Client.
#include "ovsdb/server/server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <thread>

#include <fmt/format.h>

#include "jsonrpc/client.h"
#include "jsonrpc/framer.h"
#include "ovsdb/storage/direct_io_testing.h"

namespace vs::ovsdb::server {
namespace {

const char* kSchema = R"({
  "name": "Test", "version": "1.0.0",
  "tables": {
    "Root": {"isRoot": true, "maxRows": 1,
             "columns": {"items": {"type": {"key": {"type": "uuid", "refTable": "Item"},
                                            "min": 0, "max": "unlimited"}},
                         "counter": {"type": "integer"}}},
    "Item": {"columns": {"name": {"type": "string"}}, "indexes": [["name"]]}
  }
})";

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/server_test_" + std::to_string(getpid());
    mkdir(dir_.c_str(), 0755);
    db_path_ = dir_ + "/" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    unlink(db_path_.c_str());
    std::string schema_path = dir_ + "/test.ovsschema";
    FILE* f = fopen(schema_path.c_str(), "w");
    fputs(kSchema, f);
    fclose(f);
    ASSERT_TRUE(CreateDatabaseFile(db_path_, schema_path).ok());
    Start();
  }
  void TearDown() override { Stop(); }

  void Start(ServerOptions options = {}, bool direct_io = true) {
    io_ = std::make_unique<asio::io_context>();
    auto db = LoadDatabase(db_path_, direct_io);
    ASSERT_TRUE(db.ok()) << db.status().message();
    std::vector<LoadedDb> dbs;
    dbs.push_back(std::move(*db));
    auto srv = DbServer::Create(*io_, std::move(dbs), options);
    ASSERT_TRUE(srv.ok()) << srv.status().message();
    server_ = std::move(*srv);
    sock_ = dir_ + "/db.sock";
    ASSERT_TRUE(server_->AddRemote("punix:" + sock_).ok());
    thread_ = std::thread([this] {
      auto guard = asio::make_work_guard(*io_);
      io_->run_for(std::chrono::seconds(60));
    });
  }
  void Stop() {
    if (!io_) return;
    io_->stop();
    thread_.join();
    server_.reset();
    io_.reset();
  }
  // DbServer belongs to its io_context's thread: run `f` there and wait.
  template <typename F>
  auto OnServerThread(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto fut = task.get_future();
    asio::post(*io_, [&task] { task(); });
    return fut.get();
  }
  std::unique_ptr<jsonrpc::Client> Connect() {
    auto c = jsonrpc::Client::Connect("unix:" + sock_, 2000);
    EXPECT_TRUE(c.ok()) << c.status().message();
    return std::move(*c);
  }
  Json Transact(jsonrpc::Client& c, Json ops) {
    Json params = Json::array({"Test"});
    for (auto& op : ops) params.push_back(op);
    auto r = c.Call("transact", params, 5000);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : Json();
  }

  uint64_t Flushes() {
    return OnServerThread([this] { return server_->stats().flushes; });
  }
  std::string FileText() {
    std::ifstream f(db_path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }

  std::string dir_, db_path_, sock_;
  std::unique_ptr<asio::io_context> io_;
  std::unique_ptr<DbServer> server_;
  std::thread thread_;
};

TEST_F(ServerTest, ListDbsSchemaEchoAndUnknownMethod) {
  auto c = Connect();
  auto dbs = c->Call("list_dbs", Json::array(), 2000);
  ASSERT_TRUE(dbs.ok());
  EXPECT_EQ(*dbs, Json::array({"Test", "_Server"}));  // sorted
  auto schema = c->Call("get_schema", Json::array({"Test", "ignored-extra"}), 2000);
  ASSERT_TRUE(schema.ok());
  EXPECT_EQ((*schema)["name"], "Test");
  auto echo = c->Call("echo", Json::array({"a", 1}), 2000);
  ASSERT_TRUE(echo.ok());
  EXPECT_EQ(*echo, Json::array({"a", 1}));
  auto bad = c->Call("no_such_method", Json::array(), 2000);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "\"unknown method\"");
  auto nodb = c->Call("get_schema", Json::array({"Nope"}), 2000);
  ASSERT_FALSE(nodb.ok());
  EXPECT_NE(nodb.status().message().find("unknown database"), std::string::npos);
}

TEST_F(ServerTest, ServerDatabaseDescribesTestDb) {
  auto c = Connect();
  auto r = c->Call("monitor_cond", Json::parse(R"(["_Server", ["monid","_Server"],
      {"Database":[{"columns":["name","model","connected","leader","schema"]}]}])"), 2000);
  ASSERT_TRUE(r.ok()) << r.status().message();
  bool found = false;
  for (auto& [uuid, row] : (*r)["Database"].items()) {
    const Json& init = row["initial"];
    if (init["name"] == "Test") {
      found = true;
      EXPECT_EQ(init["model"], "standalone");
      EXPECT_EQ(init["connected"], true);
      EXPECT_EQ(init["leader"], true);
      EXPECT_EQ(Json::parse(init["schema"].get<std::string>())["name"], "Test");
    }
  }
  EXPECT_TRUE(found) << r->dump();
}

TEST_F(ServerTest, CommitNotifiesMonitorsBeforeReplyAndSurvivesRestart) {
  auto watcher = Connect();
  auto init = watcher->Call("monitor_cond_since", Json::parse(R"(["Test", ["monid","Test"],
      {"Root":[{"columns":["counter"]}], "Item":[{}]}, "00000000-0000-0000-0000-000000000000"])"), 2000);
  ASSERT_TRUE(init.ok());
  EXPECT_EQ((*init)[0], false);
  auto c = Connect();
  Json r = Transact(*c, Json::parse(R"([
      {"op":"insert","table":"Root","row":{"items":["named-uuid","i1"],"counter":1}},
      {"op":"insert","table":"Item","uuid-name":"i1","row":{"name":"one"}}])"));
  ASSERT_EQ(r.size(), 2u) << r.dump();
  ASSERT_TRUE(r[0].contains("uuid")) << r.dump();
  auto upd = watcher->NextNotification(jsonrpc::DeadlineAfter(2000));
  ASSERT_TRUE(upd.ok()) << upd.status().message();
  EXPECT_EQ(upd->method, "update3");
  EXPECT_EQ(upd->params[0], Json::parse(R"(["monid","Test"])"));
  EXPECT_TRUE(upd->params[2].contains("Item"));

  // Restart from the file: the acknowledged commit is there.
  watcher.reset();
  c.reset();
  Stop();
  Start();
  c = Connect();
  r = Transact(*c, Json::parse(R"([{"op":"select","table":"Item","where":[],"columns":["name"]}])"));
  EXPECT_EQ(r[0]["rows"], Json::parse(R"([{"name":"one"}])"));
}

TEST_F(ServerTest, WaitWithTimeoutBlocksUntilAnotherClientCommits) {
  auto a = Connect();
  Json r = Transact(*a, Json::parse(R"([{"op":"insert","table":"Root","row":{"counter":0}}])"));
  ASSERT_TRUE(r[0].contains("uuid"));
  auto b = Connect();
  std::thread writer([&] {
    // Commit once a's wait is blocked in the server (not after a guessed delay).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4);
    while (OnServerThread([this] { return server_->stats().blocked; }) == 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polling, with a deadline
    }
    Transact(*b, Json::parse(R"([{"op":"update","table":"Root","where":[],"row":{"counter":5}}])"));
  });
  auto t0 = std::chrono::steady_clock::now();
  r = Transact(*a, Json::parse(R"([{"op":"wait","table":"Root","where":[],"columns":["counter"],
      "until":"==","rows":[{"counter":5}],"timeout":5000}])"));
  writer.join();
  EXPECT_EQ(r, Json::parse("[{}]"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4));
  // And a wait that is never satisfied times out.
  r = Transact(*a, Json::parse(R"([{"op":"wait","table":"Root","where":[],"columns":["counter"],
      "until":"==","rows":[{"counter":7}],"timeout":100}])"));
  EXPECT_EQ(r[0]["error"], "timed out");
}

TEST_F(ServerTest, LockStealUnlock) {
  auto a = Connect();
  auto b = Connect();
  auto r = a->Call("lock", Json::array({"L"}), 2000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["locked"], true);
  r = b->Call("lock", Json::array({"L"}), 2000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["locked"], false);
  // assert: only the owner passes.
  Json ok = Transact(*a, Json::parse(R"([{"op":"assert","lock":"L"}])"));
  EXPECT_EQ(ok, Json::parse("[{}]"));
  Json no = Transact(*b, Json::parse(R"([{"op":"assert","lock":"L"}])"));
  EXPECT_EQ(no[0]["error"], "not owner");
  r = a->Call("unlock", Json::array({"L"}), 2000);
  ASSERT_TRUE(r.ok());
  auto n = b->NextNotification(jsonrpc::DeadlineAfter(2000));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->method, "locked");
  r = a->Call("steal", Json::array({"L"}), 2000);
  ASSERT_TRUE(r.ok());
  n = b->NextNotification(jsonrpc::DeadlineAfter(2000));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->method, "stolen");
}

TEST_F(ServerTest, CompactKeepsContent) {
  auto c = Connect();
  Transact(*c, Json::parse(R"([{"op":"insert","table":"Root","row":{"counter":0}}])"));
  for (int i = 0; i < 200; i++) {
    Transact(*c, Json::parse(R"([{"op":"mutate","table":"Root","where":[],"mutations":[["counter","+=",1]]}])"));
  }
  ASSERT_TRUE(OnServerThread([&] { return server_->Compact("Test"); }).ok());
  EXPECT_EQ(OnServerThread([&] { return server_->Compact("Nope"); }).code(), ENOENT);
  c.reset();
  Stop();
  Start();
  c = Connect();
  Json r = Transact(*c, Json::parse(R"([{"op":"select","table":"Root","where":[],"columns":["counter"]}])"));
  EXPECT_EQ(r[0]["rows"][0]["counter"], 200);
}

TEST_F(ServerTest, GarbageClosesOnlyThatConnection) {
  auto good = Connect();
  {
    auto bad = jsonrpc::Client::Connect("unix:" + sock_, 2000);
    ASSERT_TRUE(bad.ok());
    // Raw garbage through a second socket.
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_.c_str());
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    const char junk[] = "{\"id\":1,\"method\":\"echo\",\"params\":[}}}";
    ASSERT_GT(write(fd, junk, sizeof junk - 1), 0);
    char buf[64];
    EXPECT_EQ(read(fd, buf, sizeof buf), 0);  // closed by the server
    close(fd);
  }
  auto r = good->Call("echo", Json::array({1}), 2000);
  EXPECT_TRUE(r.ok());
}

}  // namespace
}  // namespace vs::ovsdb::server

namespace vs::ovsdb::server {
namespace {

// --ack-before-sync: a commit is acknowledged once its record is written to
// the file, before any sync; a "durable": true commit waits for one; what
// was acknowledged survives a restart.
TEST_F(ServerTest, AckBeforeSyncAcknowledgesWrittenCommitsAndDurableOnesAfterTheSync) {
  Stop();
  ServerOptions o;
  o.ack_before_sync = true;
  o.background_sync_after = std::chrono::hours(1);  // not within this test
  Start(o, /*direct_io=*/false);
  auto c = Connect();
  Json r = Transact(*c, Json::parse(R"([
      {"op":"insert","table":"Root","row":{"items":["named-uuid","i1"],"counter":1}},
      {"op":"insert","table":"Item","uuid-name":"i1","row":{"name":"written-only"}}])"));
  ASSERT_TRUE(r[0].contains("uuid")) << r.dump();
  EXPECT_EQ(Flushes(), 0u);
  EXPECT_NE(FileText().find("written-only"), std::string::npos);

  r = Transact(*c, Json::parse(R"([
      {"op":"mutate","table":"Root","where":[],"mutations":[["items","insert",["named-uuid","i2"]]]},
      {"op":"insert","table":"Item","uuid-name":"i2","row":{"name":"durable"}},
      {"op":"commit","durable":true}])"));
  ASSERT_EQ(r[0]["count"], 1) << r.dump();
  EXPECT_EQ(Flushes(), 1u);  // one sync, for both commits
  r = Transact(*c, Json::parse(R"([{"op":"update","table":"Root","where":[],"row":{"counter":3}}])"));
  ASSERT_EQ(r[0]["count"], 1) << r.dump();
  EXPECT_EQ(Flushes(), 1u);
  // A transaction that changes nothing but asks for durability waits for a
  // sync of what was written before it, started at once.
  r = Transact(*c, Json::parse(R"([{"op":"commit","durable":true}])"));
  EXPECT_EQ(r, Json::parse(R"([{}])")) << r.dump();
  EXPECT_EQ(Flushes(), 2u);

  c.reset();
  Stop();
  Start();
  c = Connect();
  r = Transact(*c, Json::parse(R"([{"op":"select","table":"Item","where":[],"columns":["name"]},
                                   {"op":"select","table":"Root","where":[],"columns":["counter"]}])"));
  EXPECT_EQ(r[0]["rows"].size(), 2u) << r.dump();
  EXPECT_EQ(r[1]["rows"], Json::parse(R"([{"counter":3}])")) << r.dump();
}

// Written commits are synced in the background, background_sync_after after
// the first of them, in one sync. Made independent of the machine's speed: the
// server's loop is held while the client writes all five transactions in one
// write(), so the server reads and commits them in one turn of its loop, before
// the sync's timer can be armed; the timer cannot fire before the window after
// t0 (taken before the loop is released) has passed.
TEST_F(ServerTest, AckBeforeSyncSyncsInTheBackground) {
  Stop();
  ServerOptions o;
  o.ack_before_sync = true;
  o.background_sync_after = std::chrono::milliseconds(500);
  Start(o, false);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_.c_str());
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  jsonrpc::Framer framer;
  std::vector<Json> replies;
  auto read_replies = [&](size_t n) {
    char buf[4096];
    while (replies.size() < n) {
      ssize_t got = read(fd, buf, sizeof buf);
      if (got <= 0) return;
      framer.Feed(std::string_view(buf, static_cast<size_t>(got)));
      while (auto text = framer.Next()) replies.push_back(Json::parse(*text));
    }
  };
  auto send = [&](const std::string& text) {
    return write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  };
  timeval tv{10, 0};  // a lost reply fails the test instead of hanging it
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  // One round trip: the server has accepted this connection.
  ASSERT_TRUE(send(R"({"id":0,"method":"echo","params":[]})"));
  read_replies(1);
  ASSERT_EQ(replies.size(), 1u);
  std::string five = R"({"id":1,"method":"transact","params":["Test",{"op":"insert","table":"Root","row":{"counter":0}}]})";
  for (int i = 1; i < 5; i++) {
    five += fmt::format(R"({{"id":{},"method":"transact","params":["Test",{{"op":"update","table":"Root",)"
                        R"("where":[],"row":{{"counter":{}}}}}]}})", i + 1, i);
  }
  std::promise<void> held, release;
  asio::post(*io_, [&] {
    held.set_value();
    release.get_future().wait();
  });
  held.get_future().wait();
  ASSERT_TRUE(send(five));
  auto t0 = std::chrono::steady_clock::now();
  release.set_value();
  read_replies(6);
  ASSERT_EQ(replies.size(), 6u);
  for (size_t i = 1; i < 6; i++) EXPECT_TRUE(replies[i]["error"].is_null()) << replies[i].dump();
  EXPECT_TRUE(replies[1]["result"][0].contains("uuid")) << replies[1].dump();
  for (size_t i = 2; i < 6; i++) EXPECT_EQ(replies[i]["result"][0]["count"], 1) << replies[i].dump();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Flushes() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling, with a deadline
  }
  auto synced = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(Flushes(), 1u);  // one sync for all five
  EXPECT_GE(synced, o.background_sync_after);  // not before the window passed
  close(fd);
}

// The mode needs page-cache logs: a direct write is itself a sync.
TEST_F(ServerTest, AckBeforeSyncRefusesDirectLogs) {
  Stop();
  asio::io_context io;
  auto db = LoadDatabase(db_path_, /*direct_io=*/true);
  ASSERT_TRUE(db.ok()) << db.status().message();
  VS_REQUIRE_DIRECT_IO(db->log->direct(), db_path_);
  std::vector<LoadedDb> dbs;
  dbs.push_back(std::move(*db));
  ServerOptions o;
  o.ack_before_sync = true;
  auto srv = DbServer::Create(io, std::move(dbs), o);
  ASSERT_FALSE(srv.ok());
  EXPECT_EQ(srv.status().code(), EINVAL);
  EXPECT_NE(srv.status().message().find("without direct writes"), std::string::npos) << srv.status().message();
}

}  // namespace
}  // namespace vs::ovsdb::server
