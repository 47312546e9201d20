// numavs-switchd's reconcile loop against a database copy filled here
// (testing/fake_replica.h) with dummy ports: no server, no root, no DPDK
// (the simulated-topology cases use the simulated memory backend). Each test
// edits the copy as a monitor update would, lets the daemon's loop run, and
// reads what it wrote back. Expected values are literals.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "switchd/config.h"
#include "switchd/switchd.h"
#include "switchd/testing/fake_replica.h"

namespace vs::switchd {
namespace {

using ovsdb::client::GetInteger;
using ovsdb::client::GetOptionalInteger;
using ovsdb::client::GetString;
using ovsdb::client::GetStringMap;
using ovsdb::client::MakeSet;
using ovsdb::client::MakeStringMap;
using ovsdb::client::MakeUuid;
using testing::FakeReplica;

Json Uuids(const std::vector<Uuid>& us) {
  std::vector<Json> atoms;
  for (const Uuid& u : us) atoms.push_back(MakeUuid(u));
  return MakeSet(atoms);
}

class ReconcileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Bridges open their OpenFlow socket under OVS_RUNDIR.
    char tmpl[] = "/tmp/numavs-reconcile-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    rundir_ = tmpl;
    const char* old = getenv("OVS_RUNDIR");
    old_rundir_ = old ? std::optional<std::string>(old) : std::nullopt;
    setenv("OVS_RUNDIR", rundir_.c_str(), 1);
  }
  void TearDown() override {
    sw_.reset();
    if (old_rundir_) setenv("OVS_RUNDIR", old_rundir_->c_str(), 1);
    else unsetenv("OVS_RUNDIR");
    std::error_code ec;
    std::filesystem::remove_all(rundir_, ec);
  }

  // The Open_vSwitch row; Start() hands the copy to a daemon.
  void MakeDb(std::map<std::string, std::string> other_config = {}) {
    auto db = std::make_unique<FakeReplica>(io_, MonitoredTables());
    db_ = db.get();
    owned_db_ = std::move(db);
    ovs_ = db_->Insert("Open_vSwitch", {{"bridges", MakeSet({})},
                                        {"next_cfg", 1},
                                        {"cur_cfg", 0},
                                        {"other_config", MakeStringMap(other_config)}});
  }
  void Start(const std::string& sysfs_root = "") {
    sw_ = std::make_unique<Switchd>(io_, std::move(owned_db_), sysfs_root);
    ASSERT_TRUE(sw_->Start().ok());
    Settle();
  }
  // Runs the daemon's loop until nothing is ready (the 1 s tick is not).
  void Settle() {
    for (int i = 0; i < 100; i++) {
      io_.restart();
      if (io_.poll() == 0) return;
    }
    FAIL() << "the reconcile loop does not settle";
  }
  // Commits the edits made since the last call and lets the daemon apply them.
  void Apply() {
    db_->Set("Open_vSwitch", ovs_, "next_cfg", GetInteger(Ovs(), "next_cfg") + 1);
    db_->Commit();
    Settle();
  }

  Uuid AddIface(const std::string& name, const std::string& type,
                std::map<std::string, std::string> options = {}) {
    return db_->Insert("Interface", {{"name", name}, {"type", type}, {"options", MakeStringMap(options)}});
  }
  Uuid AddPort(const std::string& name, const std::vector<Uuid>& ifaces) {
    return db_->Insert("Port", {{"name", name}, {"interfaces", Uuids(ifaces)}});
  }
  Uuid AddBridge(const std::string& name, const std::vector<Uuid>& ports) {
    Uuid b = db_->Insert("Bridge", {{"name", name}, {"datapath_type", "netdev"}, {"ports", Uuids(ports)}});
    bridges_.push_back(b);
    db_->Set("Open_vSwitch", ovs_, "bridges", Uuids(bridges_));
    return b;
  }
  // A bridge of dummy ports, one interface each, named as the ports.
  Uuid AddDummyBridge(const std::string& name, const std::vector<std::string>& ports,
                      std::map<std::string, Uuid>* ifaces) {
    std::vector<Uuid> ps;
    for (const auto& p : ports) {
      Uuid i = AddIface(p, "dummy");
      (*ifaces)[p] = i;
      ps.push_back(AddPort(p, {i}));
    }
    return AddBridge(name, ps);
  }

  const Json& Ovs() const { return db_->Row("Open_vSwitch", ovs_); }
  const Json& Iface(const Uuid& u) const { return db_->Row("Interface", u); }
  std::optional<int64_t> Ofport(const Uuid& u) const { return GetOptionalInteger(Iface(u), "ofport"); }
  std::string Error(const Uuid& u) const { return GetString(Iface(u), "error"); }

  asio::io_context io_;
  std::string rundir_;
  std::optional<std::string> old_rundir_;
  std::unique_ptr<FakeReplica> owned_db_;
  FakeReplica* db_ = nullptr;
  Uuid ovs_;
  std::vector<Uuid> bridges_;
  std::unique_ptr<Switchd> sw_;
};

TEST_F(ReconcileTest, AddsBridgeAndDummyPortsAndWritesBackTheirState) {
  MakeDb();
  std::map<std::string, Uuid> i;
  Uuid br = AddDummyBridge("br0", {"p1", "p2"}, &i);
  Start();
  // Interfaces: numbered 1, 2 in name order, up, with the dummy's status.
  EXPECT_EQ(Ofport(i["p1"]), 1);
  EXPECT_EQ(Ofport(i["p2"]), 2);
  for (const char* p : {"p1", "p2"}) {
    const Json& row = Iface(i[p]);
    EXPECT_EQ(GetString(row, "error", "unset"), "unset") << p;  // no error: nothing to write
    EXPECT_EQ(GetString(row, "admin_state"), "up") << p;
    EXPECT_EQ(GetString(row, "link_state"), "up") << p;
    EXPECT_EQ(GetOptionalInteger(row, "mtu"), 1500) << p;
    EXPECT_EQ(row["status"], Json::parse(R"(["map", [["driver_name", "dummy"]]])")) << p;
    EXPECT_EQ(row["statistics"], Json::parse(R"(["map", []])")) << p;
  }
  // Open_vSwitch: the change is acknowledged and what the switch supports is there.
  EXPECT_EQ(GetInteger(Ovs(), "cur_cfg"), 1);
  EXPECT_EQ(Ovs()["iface_types"],
            Json::parse(R"(["set", ["dpdk", "dpdkvhostuser", "dpdkvhostuserclient", "dummy",
                                    "internal"]])"));
  EXPECT_EQ(Ovs()["datapath_types"], "netdev");
  EXPECT_EQ(Ovs()["dpdk_initialized"], false);
  EXPECT_TRUE(std::regex_match(GetString(Ovs(), "dpdk_version"), std::regex("DPDK 22\\.11(\\.[0-9]+)?")))
      << Ovs()["dpdk_version"];
  // Bridge: OVS's identity columns.
  const Json& b = db_->Row("Bridge", br);
  EXPECT_TRUE(std::regex_match(GetString(b, "datapath_id"), std::regex("[0-9a-f]{16}"))) << b;
  EXPECT_EQ(GetString(b, "datapath_version"), "<built-in>");
  EXPECT_EQ(sw_->ShowText(),
            "database: fake database copy\n"
            "br0:\n"
            "  p1 1: (dummy)\n"
            "  p2 2: (dummy)\n");
  // Converged: one write-back; a change of nothing writes nothing.
  ASSERT_EQ(db_->transactions().size(), 1u);
  db_->Commit();
  Settle();
  EXPECT_EQ(db_->transactions().size(), 1u);
  // The OpenFlow management socket of the bridge.
  EXPECT_TRUE(std::filesystem::exists(rundir_ + "/br0.mgmt"));
}

TEST_F(ReconcileTest, NextCfgIsAcknowledgedOnEveryChange) {
  MakeDb();
  std::map<std::string, Uuid> i;
  AddDummyBridge("br0", {"p1"}, &i);
  Start();
  EXPECT_EQ(GetInteger(Ovs(), "cur_cfg"), 1);
  Apply();  // next_cfg 2, nothing else changed
  EXPECT_EQ(GetInteger(Ovs(), "next_cfg"), 2);
  EXPECT_EQ(GetInteger(Ovs(), "cur_cfg"), 2);
  const Json& last = db_->transactions().back();
  ASSERT_EQ(last.size(), 1u) << last;  // cur_cfg alone: the port was left alone
  EXPECT_EQ(last[0]["table"], "Open_vSwitch");
  EXPECT_EQ(last[0]["row"], Json::parse(R"({"cur_cfg": 2})"));
}

TEST_F(ReconcileTest, AddsAndRemovesPortsAndBridges) {
  MakeDb();
  std::map<std::string, Uuid> i;
  Uuid br0 = AddDummyBridge("br0", {"p1"}, &i);
  Start();
  // A second port on br0 and a second bridge.
  Uuid p2i = AddIface("p2", "dummy");
  Uuid p2 = AddPort("p2", {p2i});
  std::vector<Uuid> ports0 = ovsdb::client::GetUuids(db_->Row("Bridge", br0), "ports");
  ports0.push_back(p2);
  db_->Set("Bridge", br0, "ports", Uuids(ports0));
  std::map<std::string, Uuid> j;
  AddDummyBridge("br1", {"q1"}, &j);
  Apply();
  EXPECT_EQ(Ofport(p2i), 2);
  EXPECT_EQ(Ofport(j["q1"]), 3);  // datapath-wide numbers, as OVS's userspace datapath
  EXPECT_EQ(sw_->ShowText(),
            "database: fake database copy\n"
            "br0:\n  p1 1: (dummy)\n  p2 2: (dummy)\n"
            "br1:\n  q1 3: (dummy)\n");
  EXPECT_TRUE(std::filesystem::exists(rundir_ + "/br1.mgmt"));
  // p1 leaves br0 (its rows go, as ovs-vsctl del-port does); br1 goes.
  db_->Set("Bridge", br0, "ports", Uuids({p2}));
  db_->Erase("Port", ports0[0]);
  db_->Erase("Interface", i["p1"]);
  bridges_.pop_back();
  db_->Set("Open_vSwitch", ovs_, "bridges", Uuids(bridges_));
  Apply();
  EXPECT_EQ(sw_->ShowText(), "database: fake database copy\nbr0:\n  p2 2: (dummy)\n");
  EXPECT_FALSE(std::filesystem::exists(rundir_ + "/br1.mgmt"));
  EXPECT_EQ(Ofport(p2i), 2);  // the remaining port kept its number
  // A port added again gets a number (the freed 1), not an error.
  Uuid p3i = AddIface("p3", "dummy");
  db_->Set("Bridge", br0, "ports", Uuids({p2, AddPort("p3", {p3i})}));
  Apply();
  EXPECT_EQ(Ofport(p3i), 1);
  EXPECT_EQ(Error(p3i), "");
}

TEST_F(ReconcileTest, OfportRequestIsHonouredWhenFree) {
  MakeDb();
  std::map<std::string, Uuid> i;
  AddDummyBridge("br0", {"p1", "p2"}, &i);
  db_->Set("Interface", i["p1"], "ofport_request", 7);
  db_->Set("Interface", i["p2"], "ofport_request", 7);  // taken by p1: any number
  Start();
  EXPECT_EQ(Ofport(i["p1"]), 7);
  EXPECT_EQ(Ofport(i["p2"]), 1);
  EXPECT_EQ(Error(i["p2"]), "");
}

TEST_F(ReconcileTest, ChangedInterfaceIsReconfiguredOrReopened) {
  MakeDb();
  std::map<std::string, Uuid> i;
  AddDummyBridge("br0", {"p1", "p2"}, &i);
  Start();
  // mtu_request: applied in place (the dummy reconfigures), same port number.
  db_->Set("Interface", i["p1"], "mtu_request", 9000);
  Apply();
  EXPECT_EQ(GetOptionalInteger(Iface(i["p1"]), "mtu"), 9000);
  EXPECT_EQ(Ofport(i["p1"]), 1);
  // A type that cannot open: the port fails with OVS's ofport -1 and the reason.
  db_->Set("Interface", i["p1"], "type", "vxlan");
  Apply();
  EXPECT_EQ(Ofport(i["p1"]), -1);
  EXPECT_EQ(GetString(Iface(i["p1"]), "admin_state"), "down");
  EXPECT_EQ(GetString(Iface(i["p1"]), "link_state"), "down");
  EXPECT_EQ(Iface(i["p1"])["mtu"], MakeSet({}));
  EXPECT_EQ(Iface(i["p1"])["status"], Json::parse(R"(["map", []])"));
  EXPECT_EQ(Error(i["p1"]),
            "could not open network device p1: unsupported interface type \"vxlan\" (numavs "
            "supports: dpdk, dpdkvhostuser, dpdkvhostuserclient, dummy, internal)");
  EXPECT_EQ(Ofport(i["p2"]), 2);  // the other port is untouched
  EXPECT_EQ(Error(i["p2"]), "");
  // Back to dummy: open again, error cleared (the wire's empty set).
  db_->Set("Interface", i["p1"], "type", "dummy");
  Apply();
  EXPECT_EQ(Ofport(i["p1"]), 1);
  EXPECT_EQ(Iface(i["p1"])["error"], MakeSet({}));
  EXPECT_EQ(GetString(Iface(i["p1"]), "admin_state"), "up");
}

TEST_F(ReconcileTest, InterfaceMovesToAnotherBridge) {
  MakeDb();
  std::map<std::string, Uuid> i, j;
  Uuid br0 = AddDummyBridge("br0", {"p1", "p2"}, &i);
  Uuid br1 = AddDummyBridge("br1", {"q1"}, &j);
  Start();
  std::vector<Uuid> ports0 = ovsdb::client::GetUuids(db_->Row("Bridge", br0), "ports");
  std::vector<Uuid> ports1 = ovsdb::client::GetUuids(db_->Row("Bridge", br1), "ports");
  // Port p2 moves to br1.
  Uuid p2 = GetString(db_->Row("Port", ports0[0]), "name") == "p2" ? ports0[0] : ports0[1];
  std::erase(ports0, p2);
  ports1.push_back(p2);
  db_->Set("Bridge", br0, "ports", Uuids(ports0));
  db_->Set("Bridge", br1, "ports", Uuids(ports1));
  Apply();
  EXPECT_EQ(Error(i["p2"]), "");
  EXPECT_GE(Ofport(i["p2"]).value_or(-1), 1);
  EXPECT_EQ(sw_->ShowText(),
            fmt::format("database: fake database copy\nbr0:\n  p1 1: (dummy)\nbr1:\n  p2 {}: "
                        "(dummy)\n  q1 3: (dummy)\n",
                        *Ofport(i["p2"])));
}

TEST_F(ReconcileTest, BadValuesFailTheirInterfaceOnly) {
  MakeDb();
  std::map<std::string, Uuid> i;
  AddDummyBridge("br0", {"good"}, &i);
  Uuid mtu = AddIface("small", "dummy");
  db_->Set("Interface", mtu, "mtu_request", 10);
  Uuid sys = AddIface("eth9", "");
  Uuid dpdk = AddIface("dpdk0", "dpdk", {{"dpdk-devargs", "net_null0"}});
  std::vector<Uuid> ports = ovsdb::client::GetUuids(db_->Row("Bridge", bridges_[0]), "ports");
  for (auto [name, u] : {std::pair<const char*, Uuid>{"small", mtu}, {"eth9", sys}, {"dpdk0", dpdk}})
    ports.push_back(AddPort(name, {u}));
  db_->Set("Bridge", bridges_[0], "ports", Uuids(ports));
  Start();
  EXPECT_EQ(Error(mtu),
            "small: mtu_request=10 is out of range (68 to 9710); run: ovs-vsctl set Interface "
            "small mtu_request=1500");
  EXPECT_EQ(Error(sys),
            "could not open network device eth9: numavs has only the userspace datapath, so "
            "kernel (\"system\") interfaces are attached as DPDK ports; run: ovs-vsctl set "
            "Interface eth9 type=dpdk options:dpdk-devargs=net_af_packet_eth9,iface=eth9");
  EXPECT_EQ(Error(dpdk),
            "could not open network device dpdk0: DPDK is not initialised; run: ovs-vsctl set "
            "Open_vSwitch . other_config:dpdk-init=true");
  for (const Uuid& u : {mtu, sys, dpdk}) EXPECT_EQ(Ofport(u), -1);
  EXPECT_EQ(Ofport(i["good"]), 1);
  EXPECT_EQ(GetInteger(Ovs(), "cur_cfg"), 1);  // the change is still acknowledged
  // A bad dpdk-init value is named in the ports that need DPDK.
  db_->Set("Open_vSwitch", ovs_, "other_config", MakeStringMap({{"dpdk-init", "maybe"}}));
  Apply();
  EXPECT_EQ(Error(dpdk),
            "could not open network device dpdk0: other_config:dpdk-init=\"maybe\" is invalid: "
            "expected true, try or false; DPDK stays off");
  EXPECT_EQ(Ovs()["dpdk_initialized"], false);
  // Fixing the value brings the port up without touching the others.
  db_->Set("Interface", mtu, "mtu_request", 1500);
  Apply();
  EXPECT_EQ(Error(mtu), "");
  EXPECT_EQ(Ofport(mtu), 2);
  EXPECT_EQ(Ofport(i["good"]), 1);
}

TEST_F(ReconcileTest, SimulatedDpdkPortOptionsAreChecked) {
  MakeDb({{"dpdk-init", "true"}});
  std::string sysfs = std::string(NUMAVS_SOURCE_DIR) + "/tests/fixtures/sysfs/two-node";
  Uuid bad = AddIface("dpdk0", "dpdk", {{"dpdk-devargs", "0000:03:00.0"}, {"n_rxq", "many"}});
  Uuid ring = AddIface("dpdk1", "dpdk", {{"dpdk-devargs", "0000:03:00.0"}, {"n_rxq_desc", "1000"}});
  AddBridge("br0", {AddPort("dpdk0", {bad}), AddPort("dpdk1", {ring})});
  Start(sysfs);
  EXPECT_EQ(Ovs()["dpdk_initialized"], true);
  EXPECT_TRUE(GetString(Ovs(), "dpdk_version").ends_with(" (simulated memory and devices)"))
      << Ovs()["dpdk_version"];
  EXPECT_EQ(Ofport(bad), -1);
  EXPECT_NE(Error(bad).find("n_rxq"), std::string::npos) << Error(bad);
  EXPECT_NE(Error(bad).find("many"), std::string::npos) << Error(bad);
  EXPECT_EQ(Ofport(ring), -1);
  EXPECT_EQ(Error(ring),
            "dpdk1: options:n_rxq_desc=\"1000\" is invalid: descriptor ring sizes are powers of "
            "two, as in OVS; run: ovs-vsctl set Interface dpdk1 options:n_rxq_desc=512");
}

TEST_F(ReconcileTest, RefusedWriteBackIsRetriedOnTheNextChange) {
  MakeDb();
  std::map<std::string, Uuid> i;
  AddDummyBridge("br0", {"p1"}, &i);
  db_->FailNext(Status(EREMOTEIO, "constraint violation"));
  Start();
  ASSERT_EQ(db_->transactions().size(), 1u);
  EXPECT_EQ(Ofport(i["p1"]), std::nullopt);  // nothing written
  EXPECT_EQ(GetInteger(Ovs(), "cur_cfg"), 0);
  // The daemon keeps running; the next change writes everything.
  Apply();
  EXPECT_EQ(Ofport(i["p1"]), 1);
  EXPECT_EQ(GetInteger(Ovs(), "cur_cfg"), 2);
}

TEST_F(ReconcileTest, WriteBackRepairsWhatOthersChanged) {
  MakeDb();
  std::map<std::string, Uuid> i;
  AddDummyBridge("br0", {"p1"}, &i);
  Start();
  // Someone writes the daemon's columns: the next reconciliation puts them back.
  db_->Set("Interface", i["p1"], "ofport", 99);
  db_->Set("Interface", i["p1"], "link_state", "down");
  db_->Set("Open_vSwitch", ovs_, "iface_types", MakeSet({}));
  db_->Commit();
  Settle();
  EXPECT_EQ(Ofport(i["p1"]), 1);
  EXPECT_EQ(GetString(Iface(i["p1"]), "link_state"), "up");
  EXPECT_EQ(Ovs()["iface_types"].size(), 2u);
  EXPECT_EQ(Ovs()["iface_types"][1].size(), 5u);
}

}  // namespace
}  // namespace vs::switchd
