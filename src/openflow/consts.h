// OpenFlow wire constants for the versions numavs speaks (1.0, 1.3, 1.4, 1.5) and the
// Nicira extensions ovs-ofctl uses. Values are from the OpenFlow switch specifications
// 1.0.0, 1.3.5, 1.4.1 and 1.5.1 and from Open vSwitch's nicira-ext.h documentation.
#pragma once

#include <cstdint>

namespace vs::openflow {

// Wire protocol versions.
constexpr uint8_t kOf10 = 0x01;
constexpr uint8_t kOf11 = 0x02;
constexpr uint8_t kOf12 = 0x03;
constexpr uint8_t kOf13 = 0x04;
constexpr uint8_t kOf14 = 0x05;
constexpr uint8_t kOf15 = 0x06;
// The versions numavs negotiates, as a HELLO version bitmap (bit n = version n).
constexpr uint32_t kSupportedVersions = 1u << kOf10 | 1u << kOf13 | 1u << kOf14 | 1u << kOf15;

constexpr size_t kHeaderLen = 8;
constexpr size_t kMaxMessageLen = 65535;
// Bytes of an offending request quoted in an error reply (the spec's minimum, as OVS).
constexpr size_t kErrorQuoteLen = 64;

// Message types. The first ten have the same number in every version.
enum MsgType : uint8_t {
  kHello = 0,
  kError = 1,
  kEchoRequest = 2,
  kEchoReply = 3,
  kExperimenter = 4,  // OF1.0: OFPT_VENDOR
  kFeaturesRequest = 5,
  kFeaturesReply = 6,
  kGetConfigRequest = 7,
  kGetConfigReply = 8,
  kSetConfig = 9,
  kPacketIn = 10,
  kFlowRemoved = 11,
  kPortStatus = 12,
  kPacketOut = 13,
  kFlowMod = 14,
};
// OpenFlow 1.0 numbering from 15 on.
enum MsgType10 : uint8_t {
  kPortMod10 = 15,
  kStatsRequest10 = 16,
  kStatsReply10 = 17,
  kBarrierRequest10 = 18,
  kBarrierReply10 = 19,
  kQueueGetConfigRequest10 = 20,
  kQueueGetConfigReply10 = 21,
};
// OpenFlow 1.3+ numbering from 15 on.
enum MsgType13 : uint8_t {
  kGroupMod = 15,
  kPortMod = 16,
  kTableMod = 17,
  kMultipartRequest = 18,
  kMultipartReply = 19,
  kBarrierRequest = 20,
  kBarrierReply = 21,
  kQueueGetConfigRequest = 22,  // 1.3 only
  kQueueGetConfigReply = 23,
  kRoleRequest = 24,
  kRoleReply = 25,
  kGetAsyncRequest = 26,
  kGetAsyncReply = 27,
  kSetAsync = 28,
  kMeterMod = 29,
  kRoleStatus = 30,        // 1.4+
  kTableStatus = 31,       // 1.4+
  kRequestForward = 32,    // 1.4+
  kBundleControl = 33,     // 1.4+
  kBundleAddMessage = 34,  // 1.4+
  kControllerStatus = 35,  // 1.5
};

// Multipart (OF1.0: stats) types.
enum MultipartType : uint16_t {
  kMpDesc = 0,
  kMpFlow = 1,
  kMpAggregate = 2,
  kMpTable = 3,
  kMpPortStats = 4,
  kMpQueue = 5,
  kMpGroup = 6,
  kMpGroupDesc = 7,
  kMpGroupFeatures = 8,
  kMpMeter = 9,
  kMpMeterConfig = 10,
  kMpMeterFeatures = 11,
  kMpTableFeatures = 12,
  kMpPortDesc = 13,
  kMpExperimenter = 0xffff,  // OF1.0: OFPST_VENDOR
};
constexpr uint16_t kMpFlagMore = 1;

// Port numbers (OF1.1+ 32-bit form; OF1.0 uses the low 16 bits with 0xff00 above).
constexpr uint32_t kPortMax = 0xffffff00;
constexpr uint32_t kPortInPort = 0xfffffff8;
constexpr uint32_t kPortTable = 0xfffffff9;
constexpr uint32_t kPortNormal = 0xfffffffa;
constexpr uint32_t kPortFlood = 0xfffffffb;
constexpr uint32_t kPortAll = 0xfffffffc;
constexpr uint32_t kPortController = 0xfffffffd;
constexpr uint32_t kPortLocal = 0xfffffffe;
constexpr uint32_t kPortAny = 0xffffffff;  // OF1.0: OFPP_NONE
// OF1.0 port number -> the 32-bit form (reserved ports 0xff00.. map to 0xffffff00..).
inline uint32_t PortFrom10(uint16_t p) { return p >= 0xff00 ? 0xffff0000u | p : p; }
// 32-bit form -> OF1.0 (callers check PortFits10 first).
inline uint16_t PortTo10(uint32_t p) { return static_cast<uint16_t>(p); }
inline bool PortFits10(uint32_t p) { return p < 0xff00 || p >= 0xffffff00; }

constexpr uint32_t kGroupAny = 0xffffffff;
constexpr uint32_t kNoBuffer = 0xffffffff;
constexpr uint8_t kTableAll = 0xff;
constexpr uint8_t kTableMax = 0xfe;

// Flow-mod commands.
enum FlowModCommand : uint8_t {
  kFmAdd = 0,
  kFmModify = 1,
  kFmModifyStrict = 2,
  kFmDelete = 3,
  kFmDeleteStrict = 4,
};
// Flow-mod flags.
constexpr uint16_t kFmfSendFlowRem = 1 << 0;
constexpr uint16_t kFmfCheckOverlap = 1 << 1;
constexpr uint16_t kFmfResetCounts = 1 << 2;  // 1.3+ (OF1.0: EMERG)
constexpr uint16_t kFmfNoPktCounts = 1 << 3;
constexpr uint16_t kFmfNoBytCounts = 1 << 4;

// HELLO element.
constexpr uint16_t kHelloElemVersionBitmap = 1;

// Nicira / Open vSwitch extensions.
constexpr uint32_t kNxVendor = 0x00002320;
enum NxMsgSubtype : uint32_t {
  kNxtRoleRequest = 10,
  kNxtRoleReply = 11,
  kNxtSetFlowFormat = 12,
  kNxtFlowMod = 13,
  kNxtFlowRemoved = 14,
  kNxtFlowModTableId = 15,
  kNxtSetPacketInFormat = 16,
  kNxtPacketIn = 17,
  kNxtFlowAge = 18,
  kNxtSetAsyncConfig = 19,
  kNxtSetControllerId = 20,
  kNxtPacketIn2 = 30,
};
enum NxStatsSubtype : uint32_t {
  kNxstFlow = 0,
  kNxstAggregate = 1,
};
// NXT_SET_FLOW_FORMAT formats.
constexpr uint32_t kNxffOpenflow10 = 0;
constexpr uint32_t kNxffNxm = 2;
// NXT_SET_PACKET_IN_FORMAT formats.
constexpr uint32_t kNxpifStandard = 0;
constexpr uint32_t kNxpifNxm = 1;
constexpr uint32_t kNxpifNxtPacketIn2 = 2;

// Controller roles (OF1.2+ numbering; NX roles are 0 other, 1 master, 2 slave).
enum Role : uint32_t {
  kRoleNoChange = 0,
  kRoleEqual = 1,
  kRoleMaster = 2,
  kRoleSlave = 3,
};

// Switch capabilities (features reply).
constexpr uint32_t kCapFlowStats = 1 << 0;
constexpr uint32_t kCapTableStats = 1 << 1;
constexpr uint32_t kCapPortStats = 1 << 2;
constexpr uint32_t kCapGroupStats = 1 << 3;  // 1.1+ (OF1.0: STP)
constexpr uint32_t kCapIpReasm = 1 << 5;
constexpr uint32_t kCapQueueStats = 1 << 6;
constexpr uint32_t kCapArpMatchIp = 1 << 7;  // OF1.0 only

// Port config / state bits.
constexpr uint32_t kPortConfigDown = 1 << 0;
constexpr uint32_t kPortStateLinkDown = 1 << 0;
constexpr uint32_t kPortStateLive = 1 << 2;  // 1.1+

// Packet-in reasons (1.3 numbering; 1.0 has NO_MATCH 0, ACTION 1).
constexpr uint8_t kReasonNoMatch = 0;
constexpr uint8_t kReasonAction = 1;

}  // namespace vs::openflow
