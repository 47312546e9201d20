// The slow path: an upcall evaluates the bridge's OpenFlow pipeline for one FlowKey —
// table 0, then whatever resubmit and goto_table lead to (depth limit kMaxResubmitDepth,
// kMaxResubmits in all, as OVS) — and translates the rules' actions into datapath actions
// plus the megaflow mask. Registers and metadata (PipeMeta) start at zero; changes to
// IPv4/TCP/UDP fields are tracked in the flow and committed as set actions before each
// output (OVS's commit), so later tables see the changed packet.
//
// The mask un-wildcards exactly what the decision depended on: in_port (always: megaflows
// of all bridges share one classifier), the packet-field masks of every rule group probed
// in every table visited (registers and metadata never: they follow from those), the
// source bits of `move`, the fields set actions wrote (their value decides whether a set
// is emitted), the TTL for dec_ttl, the masks of every rule examined before the match
// (so no packet covered by the megaflow could have matched a higher rule), the fields the
// actions read (VLAN presence for the VLAN actions; VLAN, source and destination MAC for
// NORMAL, which also learns the source). Hence every packet that matches the megaflow gets
// the same actions as a fresh table evaluation would give it — as long as the table and
// the MAC tables do not change, which is what the datapath generation tracks.
//
// NORMAL (VLAN-aware L2 switching): an access port (tag >= 0) accepts untagged or
// priority-tagged frames into its VLAN and sends untagged; a trunk carries the VLANs in
// its trunks list (all if empty; untagged frames are VLAN 0) and sends tagged (VLAN 0:
// untagged). Unknown, multicast and broadcast destinations flood to every other port in
// the VLAN; a known destination goes to its port unless that is the input port (drop).
// Frames to the reserved 01:80:c2:00:00:0x addresses (STP, LACP, LLDP) are dropped.
//
// Called on PMD threads (and by the control thread for ofproto/trace); allocates.
#pragma once

#include <string>

#include "dp/actions.h"
#include "dp/dpcls.h"
#include "dp/oftable.h"
#include "dp/snapshot.h"

namespace vs::dp {

struct UpcallResult {
  DpActions actions;
  FlowKey mask{};
  const Rule* rule = nullptr;             // table 0's rule
  std::vector<const Rule*> more_rules;    // the rules of later tables visited, in order
  // Set when NORMAL learned (or would refresh) the source: PMD housekeeping refreshes
  // the entry while the megaflow carries traffic.
  MacTable* learn_table = nullptr;
  uint16_t learn_vlan = 0;
};

// Evaluates `key` (whose in_port must be a port of `snap`). With `trace` non-null, also
// appends the ofproto/trace explanation. `learn` = false (trace) leaves MAC tables alone.
void Upcall(const DpSnapshot& snap, const FlowKey& key, uint64_t now_ns, bool learn,
            UpcallResult* out, std::string* trace);

// Revalidation after the table or a MAC table changed: evaluates the megaflow's (masked)
// key against `snap`. The megaflow stays correct if the actions are the same and the new
// mask needs no field the old one did not fix (then every packet it covers would get the
// same answer), and — for NORMAL — the source is still learned on its input port (else
// a packet must come up to re-learn it). On true, re-points rule/learn pointers into
// `snap` (the old ones may be freed soon). Does not learn.
bool Revalidate(const DpSnapshot& snap, Megaflow* flow, uint64_t now_ns);

// The key as the packet leaves after the header changes in `actions` (for trace's
// "Final flow"). Outputs do not change it.
FlowKey ApplyToKey(const FlowKey& key, const DpActions& actions);

}  // namespace vs::dp
