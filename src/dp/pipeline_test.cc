// The multi-table pipeline: resubmit, goto_table, registers, metadata, conjunction,
// set actions, the depth limit, megaflow masks that hold only packet fields the tables
// read, and incremental adds (no rebuild of the table per flow).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>

#include "dp/datapath.h"
#include "dp/flow_parse.h"
#include "dp/xlate.h"

namespace vs::dp {
namespace {

struct Pipe {
  std::unique_ptr<Datapath> dp;
  uint64_t now = 1000000000;
  Pipe() {
    DatapathOptions o;
    o.clock = [this] { return now; };
    dp = std::move(Datapath::Create(o).value());
    EXPECT_TRUE(dp->AddBridge("br0").ok());
    for (const char* p : {"p1", "p2", "p3", "p4"}) EXPECT_TRUE(dp->AddPort("br0", {p, -1, {}}).ok());
    EXPECT_EQ(dp->DelFlows("br0", "", false).value(), 1u);  // no NORMAL: flows only
  }
  void Flow(const std::string& f) {
    auto r = dp->AddFlow("br0", f);
    ASSERT_TRUE(r.ok()) << f << ": " << r.status().message();
  }
  UpcallResult Up(const FlowKey& k) {
    UpcallResult r;
    Upcall(*dp->snapshot(), k, now, false, &r, nullptr);
    return r;
  }
  std::string Acts(const FlowKey& k) { return FormatDpActions(Up(k).actions, dp->Namer()); }
};

FlowKey Tcp(uint32_t in_port, uint32_t dst, uint16_t dport, uint8_t ttl = 64) {
  FlowKey k{};
  k.in_port = in_port;
  k.dl_type = kEthTypeIpv4;
  k.nw_src = 0x0a000001;
  k.nw_dst = dst;
  k.nw_proto = kIpProtoTcp;
  k.nw_ttl = ttl;
  k.tp_src = 1000;
  k.tp_dst = dport;
  return k;
}

TEST(Pipeline, NeutronShapedTablesWithRegistersAndConjunction) {
  Pipe p;
  // Table 0: classify by port into reg5/reg6; 60: dispatch; 71: conjunction on
  // (dst in 10.1.0.0/16) x (dport 80 or 443); 73: deliver by reg6; 94: output by register.
  p.Flow("table=0,priority=100,in_port=1,actions=load:0x1->NXM_NX_REG5[],load:0x2->NXM_NX_REG6[],resubmit(,60)");
  p.Flow("table=0,priority=100,in_port=2,actions=set_field:0x2->reg5,set_field:0x1->reg6,resubmit(,60)");
  p.Flow("table=60,priority=100,reg5=0x1,actions=resubmit(,71)");
  p.Flow("table=60,priority=100,reg5=0x2,actions=resubmit(,73)");
  p.Flow("table=71,priority=70,ip,nw_dst=10.1.0.0/16,actions=conjunction(7,1/2)");
  p.Flow("table=71,priority=70,tcp,tp_dst=80,actions=conjunction(7,2/2)");
  p.Flow("table=71,priority=70,tcp,tp_dst=443,actions=conjunction(7,2/2)");
  p.Flow("table=71,priority=70,conj_id=7,ip,actions=load:0x7->NXM_NX_REG7[],goto_table:73");
  p.Flow("table=71,priority=0,actions=drop");
  p.Flow("table=73,priority=10,reg6=0x2,actions=move:NXM_NX_REG6[0..15]->NXM_NX_REG0[0..15],resubmit(,94)");
  p.Flow("table=73,priority=10,reg6=0x1,actions=output:1");
  p.Flow("table=94,priority=1,actions=dec_ttl,output:NXM_NX_REG0[0..15]");

  EXPECT_EQ(p.Acts(Tcp(1, 0x0a010203, 80)), "set(ipv4(ttl=63)),p2");
  EXPECT_EQ(p.Acts(Tcp(1, 0x0a010203, 443)), "set(ipv4(ttl=63)),p2");
  EXPECT_EQ(p.Acts(Tcp(1, 0x0a010203, 22)), "drop");   // clause 2 unmatched
  EXPECT_EQ(p.Acts(Tcp(1, 0x0b010203, 80)), "drop");   // clause 1 unmatched
  EXPECT_EQ(p.Acts(Tcp(2, 0x0b010203, 22)), "p1");     // 0 -> 60 -> 73
  EXPECT_EQ(p.Acts(Tcp(1, 0x0a010203, 80, 1)), "drop");  // dec_ttl on TTL 1

  UpcallResult r = p.Up(Tcp(1, 0x0a010203, 80));
  EXPECT_EQ(r.rule->table, 0);
  ASSERT_EQ(r.more_rules.size(), 4u);  // 60, 71 (conj_id), 73, 94
  EXPECT_EQ(r.more_rules[1]->meta.key.conj_id, 7u);
  // The megaflow holds packet fields only: the registers decided nothing on their own.
  EXPECT_EQ(r.mask.in_port, ~0u);
  EXPECT_EQ(r.mask.nw_ttl, 0xff);  // dec_ttl read it
  EXPECT_EQ(r.mask.tp_dst, 0xffff);
  EXPECT_EQ(r.mask.nw_src, 0u);    // no table looked at it
  // Port 2's path never reaches table 71: nw_dst and tp_dst stay wildcarded.
  r = p.Up(Tcp(2, 0x0b010203, 22));
  EXPECT_EQ(r.mask.nw_dst, 0u);
  EXPECT_EQ(r.mask.tp_dst, 0u);
}

TEST(Pipeline, EveryPacketInAMegaflowGetsItsActions) {
  Pipe p;
  p.Flow("table=0,priority=10,tcp,actions=load:0x3->NXM_NX_REG1[],resubmit(,1)");
  p.Flow("table=0,priority=5,actions=resubmit(,2)");
  p.Flow("table=1,priority=10,reg1=0x3,tcp,tp_dst=80,actions=mod_nw_dst:10.9.9.9,mod_tp_dst:8080,output:2");
  p.Flow("table=1,priority=5,actions=output:3");
  p.Flow("table=2,priority=5,ip,nw_dst=10.0.0.0/8,actions=output:4");
  for (uint32_t dst : {0x0a000001u, 0x0b000001u}) {
    for (uint16_t port : {80, 81}) {
      FlowKey k = Tcp(1, dst, port);
      UpcallResult r = p.Up(k);
      // Any key agreeing on the mask gets the same actions.
      FlowKey k2 = k;
      k2.nw_src ^= r.mask.nw_src ? 0 : 0xffff;
      k2.tp_src ^= r.mask.tp_src ? 0 : 0x55;
      k2.nw_dst ^= ~r.mask.nw_dst & 0x00ff0000;
      EXPECT_EQ(p.Up(k2).actions, r.actions);
    }
  }
  EXPECT_EQ(p.Acts(Tcp(1, 0x0a000001, 80)), "set(ipv4(dst=10.9.9.9)),set(tcp(dst=8080)),p2");
  EXPECT_EQ(p.Acts(Tcp(1, 0x0a000001, 81)), "p3");
}

TEST(Pipeline, ResubmitLoopHitsTheDepthLimitAndDrops) {
  Pipe p;
  p.Flow("table=0,priority=1,actions=output:2,resubmit(,1)");
  p.Flow("table=1,priority=1,actions=resubmit(,0)");
  EXPECT_EQ(p.Acts(Tcp(1, 1, 1)), "drop");
  auto t = p.dp->Trace("br0", "in_port=p1,tcp");
  ASSERT_TRUE(t.ok());
  EXPECT_NE(t->find("over max translation depth 64"), std::string::npos);
  EXPECT_NE(t->find("Translation failed (Recursion too deep), packet is dropped."), std::string::npos);
}

TEST(Pipeline, TraceShowsEveryTable) {
  Pipe p;
  p.Flow("table=0,priority=100,in_port=1,actions=set_field:0x5->reg6,resubmit(,60)");
  p.Flow("table=60,priority=3,reg6=0x5,actions=output:2");
  auto t = p.dp->Trace("br0", "in_port=p1,ip");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_NE(t->find(" 0. in_port=p1, priority 100\n    set_field:0x5->reg6\n    resubmit(,60)\n"
                    "60. reg6=0x5, priority 3\n    output:p2\n"),
            std::string::npos)
      << *t;
  EXPECT_NE(t->find("Datapath actions: p2"), std::string::npos) << *t;
}

TEST(Pipeline, ParseAndFormatLikeOvsOfctl) {
  // Forms checked against `ovs-ofctl parse-flow` (OVS 3.1).
  auto f = ParseFlow("table=60,priority=5,in_port=1,reg5=0x1,xreg1=0x5,metadata=0x3/0xff,ip,"
                     "actions=load:0x1->NXM_NX_REG5[],move:NXM_OF_IN_PORT[]->NXM_NX_REG6[0..15],"
                     "resubmit(,71),resubmit(3),resubmit(2,73),dec_ttl,mod_nw_src:1.1.1.1,"
                     "mod_nw_tos:8,output:NXM_NX_REG5[0..15],note:01.02",
                     ParseMode::kAdd, nullptr);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->table, 60);
  EXPECT_EQ(FormatFlow(f->priority, f->match, f->meta, f->actions, nullptr),
            "priority=5,ip,reg2=0,reg3=0x5,reg5=0x1,metadata=0x3/0xff,in_port=1 "
            "actions=load:0x1->NXM_NX_REG5[],move:NXM_OF_IN_PORT[]->NXM_NX_REG6[0..15],"
            "resubmit(,71),resubmit:3,resubmit(2,73),dec_ttl,mod_nw_src:1.1.1.1,mod_nw_tos:8,"
            "output:NXM_NX_REG5[0..15],note:01.02.00.00.00.00");
  auto c = ParseFlow("priority=5,tcp,tp_dst=80,actions=conjunction(5,1/2),conjunction(6,2/3)",
                     ParseMode::kAdd, nullptr);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(FormatOfActions(c->actions, nullptr), "conjunction(5,1/2),conjunction(6,2/3)");
  // Refusals, with OVS's reasons.
  auto bad = [](std::string_view s) {
    auto r = ParseFlow(s, ParseMode::kAdd, nullptr);
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_NE(bad("tcp,actions=conjunction(5,1/2),output:1").find("note"), std::string::npos);
  EXPECT_NE(bad("table=3,actions=goto_table:2").find("later table"), std::string::npos);
  EXPECT_NE(bad("actions=mod_nw_src:1.1.1.1").find("ip"), std::string::npos);
  EXPECT_NE(bad("ip,actions=ct(commit)").find("cannot execute 'ct'"), std::string::npos);
  EXPECT_NE(bad("ip,actions=ct_clear").find("cannot execute"), std::string::npos);
  EXPECT_NE(bad("ip,actions=set_tunnel:5").find("cannot execute"), std::string::npos);
  EXPECT_NE(bad("actions=load:0x1ffff->NXM_NX_REG0[0..15]").find("fits"), std::string::npos);
}

TEST(Pipeline, DelFlowsWithoutTableCoversEveryTable) {
  Pipe p;
  p.Flow("table=0,priority=1,actions=resubmit(,5)");
  p.Flow("table=5,priority=1,ip,actions=output:2");
  p.Flow("table=5,priority=2,reg0=0x1,actions=output:3");
  EXPECT_EQ(p.dp->DelFlows("br0", "table=5,reg0=0x1", false).value(), 1u);
  std::string dump = p.dp->DumpFlows("br0").value();
  EXPECT_NE(dump.find("table=5, n_packets=0, n_bytes=0, priority=1,ip actions=output:p2"),
            std::string::npos)
      << dump;
  EXPECT_EQ(p.dp->DelFlows("br0", "", false).value(), 2u);
}

// Adding flows one at a time: each add builds a level of one rule and merges levels of
// similar size, so n adds cost O(n log n). A table rebuilt per add (the old behaviour)
// would take ~n^2/2 rule copies: 8x the time for 4x the flows would be quadratic's 16x.
TEST(Pipeline, AddingOneFlowDoesNotRebuildTheTable) {
  auto time_adds = [](int n) {
    OfTable t(0);
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; i++) {
      FlowSpec s;
      s.priority = 100;
      s.match.key.dl_type = kEthTypeIpv4;
      s.match.mask.dl_type = 0xffff;
      s.match.key.nw_dst = static_cast<uint32_t>(i);
      s.match.mask.nw_dst = ~0u;
      t.Add(s, 0);
    }
    EXPECT_EQ(t.size(), static_cast<size_t>(n) + 1);
    EXPECT_LE(t.levels(0), 2 * 32u);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  double small = time_adds(5000);
  double big = time_adds(20000);
  EXPECT_LT(big, small * 10) << "5,000 adds: " << small << " s, 20,000 adds: " << big << " s";
}

}  // namespace
}  // namespace vs::dp
