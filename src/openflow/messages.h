// OpenFlow messages as values: decoding what a controller (ovs-ofctl, os-ken, ...)
// sends a switch, and encoding what the switch sends back. Versions 1.0, 1.3, 1.4,
// 1.5, and the Nicira extension messages ovs-ofctl uses by default.
//
// Decode() takes exactly one message (its header's length equals the span's size; the
// connection layer frames the stream) and returns the message or the OpenFlow error to
// send back: unknown types OFPBRC_BAD_TYPE, unknown multipart types BAD_STAT, unknown
// experimenters BAD_VENDOR / BAD_SUBTYPE, wrong lengths BAD_LEN, and the match /
// action / instruction errors of match.h and actions.h. It never reads out of bounds.
//
// Encoders produce complete messages with their header; multipart replies are split
// into messages of at most 64 KiB with the MORE flag on all but the last.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "openflow/actions.h"
#include "openflow/consts.h"
#include "openflow/error.h"
#include "openflow/match.h"
#include "openflow/wire.h"

namespace vs::openflow {

struct Header {
  uint8_t version = 0;
  uint8_t type = 0;
  uint16_t length = 0;
  uint32_t xid = 0;
};
// The first 8 bytes; errors: BAD_LEN if fewer, or length < 8.
OfResult<Header> DecodeHeader(ByteView b);
void PutHeader(Writer& w, uint8_t version, uint8_t type, uint32_t xid);  // length patched later
// Sets the length field of a message built in `msg`.
void FinishMessage(Bytes* msg);

// The highest version in both bitmaps, or 0 (HELLO_FAILED).
uint8_t NegotiateVersion(uint32_t ours, uint32_t theirs);

// --- Messages a controller sends ---
struct Hello {
  uint8_t version = 0;   // of the header
  uint32_t bitmap = 0;   // versions from the VERSIONBITMAP element; 0 = none sent
  // The versions the peer accepts: the bitmap, or all up to `version` without one.
  uint32_t Accepts() const;
};
struct EchoRequest { Bytes data; };
struct EchoReply { Bytes data; };
struct FeaturesRequest {};
struct GetConfigRequest {};
struct BarrierRequest {};
struct SetConfig {
  uint16_t flags = 0;
  uint16_t miss_send_len = 0;
};
struct RoleRequest {
  uint32_t role = 0;  // OF1.2+ numbering (nx=true: NX role 0 other, 1 master, 2 slave)
  uint64_t generation_id = 0;
  bool nx = false;
};
struct SetFlowFormat { uint32_t format = 0; };
struct FlowModTableId { bool enable = false; };
struct SetPacketInFormat { uint32_t format = 0; };

// The encodings of a flow_mod / flow-stats request's match.
enum class FlowFormat : uint8_t { kOf10, kNxm, kOxm };

struct FlowMod {
  FlowFormat format = FlowFormat::kOxm;
  uint64_t cookie = 0;
  uint64_t cookie_mask = 0;  // OF1.1+ (0 for OF1.0/NXM; NXM uses a cookie match field)
  uint8_t table_id = 0;      // OF1.0/NXM: from the command's high byte when table ids are on
  uint8_t command = kFmAdd;
  uint16_t idle_timeout = 0;
  uint16_t hard_timeout = 0;
  uint16_t priority = 0x8000;
  uint32_t buffer_id = kNoBuffer;
  uint32_t out_port = kPortAny;
  uint32_t out_group = kGroupAny;
  uint16_t flags = 0;
  uint16_t importance = 0;
  Match match;
  Instructions instructions;  // OF1.0/NXM actions are instructions.apply
};

struct FlowStatsRequest {
  FlowFormat format = FlowFormat::kOxm;
  uint8_t table_id = kTableAll;
  uint32_t out_port = kPortAny;
  uint32_t out_group = kGroupAny;
  uint64_t cookie = 0;
  uint64_t cookie_mask = 0;
  Match match;
};

struct MultipartRequest {
  uint16_t type = kMpDesc;
  uint16_t flags = 0;
  bool nx = false;            // NXST_FLOW / NXST_AGGREGATE (type kMpFlow / kMpAggregate)
  FlowStatsRequest flow;      // kMpFlow, kMpAggregate
  uint32_t port_no = kPortAny;   // kMpPortStats, kMpQueue
  uint32_t queue_id = 0xffffffff;  // kMpQueue
  uint32_t group_id = kGroupAny;   // kMpGroup
  size_t body_len = 0;        // kMpTableFeatures: a non-empty body asks to change tables
};

// Only what a switch without groups needs to refuse one properly.
struct GroupMod {
  uint16_t command = 0;
  uint8_t type = 0;
  uint32_t group_id = 0;
};

struct PacketOut {
  uint32_t buffer_id = kNoBuffer;
  uint32_t in_port = kPortController;
  Actions actions;
  Bytes data;
};

using Body = std::variant<Hello, EchoRequest, EchoReply, ErrorMsg, FeaturesRequest,
                          GetConfigRequest, SetConfig, BarrierRequest, RoleRequest, FlowMod,
                          MultipartRequest, SetFlowFormat, FlowModTableId, SetPacketInFormat,
                          PacketOut, GroupMod>;
struct Message {
  Header header;
  Body body;
};

OfResult<Message> Decode(ByteView msg);

// --- Encoders ---
Bytes EncodeHello(uint8_t version, uint32_t xid, uint32_t bitmap);  // bitmap 0: no element
Bytes EncodeEmpty(uint8_t version, uint8_t type, uint32_t xid);     // barrier reply, ...
Bytes EncodeEcho(uint8_t version, uint8_t type, uint32_t xid, ByteView data);

struct PortDesc {
  uint32_t port_no = 0;
  uint8_t hw_addr[6] = {};
  std::string name;
  uint32_t config = 0, state = 0, curr = 0, advertised = 0, supported = 0, peer = 0;
  uint32_t curr_speed = 0, max_speed = 0;  // kbps (OF1.1+)
};

struct FeaturesReply {
  uint64_t datapath_id = 0;
  uint32_t n_buffers = 0;
  uint8_t n_tables = 1;
  uint32_t capabilities = 0;
  uint32_t actions10 = 0;        // OF1.0: supported action bitmap
  std::vector<PortDesc> ports;   // OF1.0 only (later versions use PORT_DESC)
};
Bytes EncodeFeaturesReply(uint8_t version, uint32_t xid, const FeaturesReply& f);
Bytes EncodeGetConfigReply(uint8_t version, uint32_t xid, const SetConfig& c);
Bytes EncodeRoleReply(uint8_t version, uint32_t xid, const RoleRequest& r);

struct FlowStats {
  uint8_t table_id = 0;
  uint32_t duration_sec = 0, duration_nsec = 0;
  uint16_t priority = 0x8000, idle_timeout = 0, hard_timeout = 0, flags = 0, importance = 0;
  uint16_t idle_age = 0, hard_age = 0;  // NXST_FLOW only (seconds + 1; 0 = unknown)
  uint64_t cookie = 0, packet_count = 0, byte_count = 0;
  Match match;
  Instructions instructions;
};
struct AggregateStats {
  uint64_t packet_count = 0, byte_count = 0;
  uint32_t flow_count = 0;
};
struct TableStats {
  uint8_t table_id = 0;
  std::string name;          // OF1.0
  uint32_t wildcards = 0;    // OF1.0
  uint32_t max_entries = 0;  // OF1.0
  uint32_t active_count = 0;
  uint64_t lookup_count = 0, matched_count = 0;
};
struct PortStats {
  uint32_t port_no = 0;
  uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0, rx_dropped = 0,
           tx_dropped = 0, rx_errors = 0, tx_errors = 0, rx_frame_err = 0, rx_over_err = 0,
           rx_crc_err = 0, collisions = 0;
  uint32_t duration_sec = 0, duration_nsec = 0;
};
struct Desc {
  std::string mfr, hw, sw, serial, dp;
};
struct GroupFeatures {
  uint32_t types = 0, capabilities = 0;
  uint32_t max_groups[4] = {};
  uint32_t actions[4] = {};
};
struct MeterFeatures {
  uint32_t max_meter = 0, band_types = 0, capabilities = 0;
  uint8_t max_bands = 0, max_color = 0;
};

// One multipart body entry each (flows and ports are lists). `format` picks OF1.0,
// NXM (NXST_FLOW) or OXM entries for flows.
OfResult<Bytes> EncodeFlowStats(uint8_t version, FlowFormat format, const FlowStats& s);
Bytes EncodePortStats(uint8_t version, const PortStats& s);
Bytes EncodePortDesc(uint8_t version, const PortDesc& p);
Bytes EncodeTableStats(uint8_t version, const TableStats& t);
Bytes EncodeAggregate(uint8_t version, const AggregateStats& a);
Bytes EncodeDesc(const Desc& d);
// An ofp_table_features entry (OF1.3+; 1.5's carries a command) with the eight
// properties ovs-ofctl requires (the _MISS ones default to these): instructions, next
// tables, write/apply actions, match, wildcards, write/apply set-field.
struct TableFeatures {
  uint8_t table_id = 0;
  std::string name;
  uint64_t metadata_match = 0, metadata_write = 0;
  uint32_t capabilities = 0, max_entries = 0;
  std::vector<uint16_t> instructions;     // instruction types
  std::vector<uint8_t> next_tables;
  std::vector<uint16_t> write_actions, apply_actions;  // action types
  std::vector<uint32_t> match, wildcards;               // TLV headers (with len, hasmask)
  std::vector<uint32_t> write_setfield, apply_setfield;
};
Bytes EncodeTableFeatures(uint8_t version, const TableFeatures& t);
Bytes EncodeGroupFeatures(const GroupFeatures& g);
Bytes EncodeMeterFeatures(uint8_t version, const MeterFeatures& m);

// The reply to `req` (its version, xid, type, NX-ness) carrying `entries`, split into
// messages of at most kMaxMessageLen bytes; an empty list gives one empty reply.
std::vector<Bytes> EncodeMultipartReply(const Header& req, const MultipartRequest& mp,
                                        const std::vector<Bytes>& entries);

// Encoders of requests (tools, tests, round trips).
OfResult<Bytes> EncodeFlowMod(uint8_t version, uint32_t xid, const FlowMod& fm);
OfResult<Bytes> EncodeMultipartRequest(uint8_t version, uint32_t xid, const MultipartRequest& mp);

// Asynchronous messages.
Bytes EncodePortStatus(uint8_t version, uint8_t reason, const PortDesc& p);
struct FlowRemoved {
  uint64_t cookie = 0;
  uint16_t priority = 0;
  uint8_t reason = 0, table_id = 0;
  uint32_t duration_sec = 0, duration_nsec = 0;
  uint16_t idle_timeout = 0, hard_timeout = 0;
  uint64_t packet_count = 0, byte_count = 0;
  Match match;
};
OfResult<Bytes> EncodeFlowRemoved(uint8_t version, const FlowRemoved& f);
struct PacketIn {
  uint32_t buffer_id = kNoBuffer;
  uint16_t total_len = 0;
  uint8_t reason = kReasonNoMatch, table_id = 0;
  uint64_t cookie = 0;
  uint32_t in_port = 0;
  Bytes data;
};
Bytes EncodePacketIn(uint8_t version, const PacketIn& p);

}  // namespace vs::openflow
