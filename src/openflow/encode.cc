// Encoding of switch -> controller messages, and of requests (see messages.h).
#include <fmt/format.h>

#include "openflow/messages.h"

namespace vs::openflow {
namespace {

constexpr uint16_t kOxsClass = 0x8002;
enum : uint8_t { kOxsDuration = 0, kOxsIdleTime = 1, kOxsFlowCount = 3, kOxsPacketCount = 4,
                 kOxsByteCount = 5 };

void Oxs64(Writer& w, uint8_t field, uint64_t v) {
  w.U32(TlvHeader(kOxsClass, field, false, 8));
  w.U64(v);
}

// An ofp_stats (OXS) block padded to 8.
void PutOxs(Writer& w, const FlowStats* f, const AggregateStats* a) {
  size_t start = w.size();
  w.U16(0), w.U16(0);
  if (f) {
    Oxs64(w, kOxsDuration, static_cast<uint64_t>(f->duration_sec) << 32 | f->duration_nsec);
    if (f->idle_age) Oxs64(w, kOxsIdleTime, static_cast<uint64_t>(f->idle_age - 1) << 32);
    Oxs64(w, kOxsPacketCount, f->packet_count);
    Oxs64(w, kOxsByteCount, f->byte_count);
  } else {
    Oxs64(w, kOxsPacketCount, a->packet_count);
    Oxs64(w, kOxsByteCount, a->byte_count);
    w.U32(TlvHeader(kOxsClass, kOxsFlowCount, false, 4));
    w.U32(a->flow_count);
  }
  w.Patch16(start + 2, static_cast<uint16_t>(w.size() - start));
  w.PadTo(start, 8);
}

void PutPort10(Writer& w, const PortDesc& p) {
  w.U16(PortFits10(p.port_no) ? PortTo10(p.port_no) : 0);
  w.Raw(p.hw_addr, 6);
  w.Str(p.name, 16);
  w.U32(p.config), w.U32(p.state), w.U32(p.curr), w.U32(p.advertised), w.U32(p.supported);
  w.U32(p.peer);
}

size_t MultipartHeaderLen(uint8_t version, bool nx) {
  return nx ? 24 : version == kOf10 ? 12 : 16;
}

void PutMultipartHeader(Writer& w, const Header& req, const MultipartRequest& mp, uint16_t flags) {
  PutHeader(w, req.version, req.version == kOf10 ? uint8_t{kStatsReply10} : uint8_t{kMultipartReply},
            req.xid);
  w.U16(mp.nx ? uint16_t{kMpExperimenter} : mp.type);
  w.U16(flags);
  if (mp.nx) {
    w.U32(kNxVendor);
    w.U32(mp.type == kMpFlow ? kNxstFlow : kNxstAggregate);
    w.Zeros(4);
  } else if (req.version != kOf10) {
    w.Zeros(4);
  }
}

}  // namespace

void PutHeader(Writer& w, uint8_t version, uint8_t type, uint32_t xid) {
  w.U8(version), w.U8(type), w.U16(0), w.U32(xid);
}

void FinishMessage(Bytes* msg) {
  Writer(msg).Patch16(2, static_cast<uint16_t>(msg->size()));
}

Bytes EncodeHello(uint8_t version, uint32_t xid, uint32_t bitmap) {
  Bytes out;
  Writer w(&out);
  PutHeader(w, version, kHello, xid);
  if (bitmap) w.U16(kHelloElemVersionBitmap), w.U16(8), w.U32(bitmap);
  FinishMessage(&out);
  return out;
}

Bytes EncodeEmpty(uint8_t version, uint8_t type, uint32_t xid) {
  Bytes out;
  Writer w(&out);
  PutHeader(w, version, type, xid);
  FinishMessage(&out);
  return out;
}

Bytes EncodeEcho(uint8_t version, uint8_t type, uint32_t xid, ByteView data) {
  Bytes out;
  Writer w(&out);
  PutHeader(w, version, type, xid);
  w.Raw(data.first(std::min(data.size(), kMaxMessageLen - kHeaderLen)));
  FinishMessage(&out);
  return out;
}

Bytes EncodeFeaturesReply(uint8_t version, uint32_t xid, const FeaturesReply& f) {
  Bytes out;
  Writer w(&out);
  PutHeader(w, version, kFeaturesReply, xid);
  w.U64(f.datapath_id), w.U32(f.n_buffers), w.U8(f.n_tables);
  if (version == kOf10) {
    w.Zeros(3), w.U32(f.capabilities), w.U32(f.actions10);
    for (const PortDesc& p : f.ports) {
      if (out.size() + 48 > kMaxMessageLen) break;  // 1,364 ports; more need PORT_DESC
      PutPort10(w, p);
    }
  } else {
    w.U8(0), w.Zeros(2), w.U32(f.capabilities), w.U32(0);
  }
  FinishMessage(&out);
  return out;
}

Bytes EncodeGetConfigReply(uint8_t version, uint32_t xid, const SetConfig& c) {
  Bytes out;
  Writer w(&out);
  PutHeader(w, version, kGetConfigReply, xid);
  w.U16(c.flags), w.U16(c.miss_send_len);
  FinishMessage(&out);
  return out;
}

Bytes EncodeRoleReply(uint8_t version, uint32_t xid, const RoleRequest& r) {
  Bytes out;
  Writer w(&out);
  if (r.nx) {
    PutHeader(w, version, kExperimenter, xid);
    w.U32(kNxVendor), w.U32(kNxtRoleReply), w.U32(r.role);
  } else {
    PutHeader(w, version, kRoleReply, xid);
    w.U32(r.role), w.Zeros(4), w.U64(r.generation_id);
  }
  FinishMessage(&out);
  return out;
}

OfResult<Bytes> EncodeFlowStats(uint8_t version, FlowFormat format, const FlowStats& s) {
  Bytes out;
  Writer w(&out);
  if (format == FlowFormat::kNxm || format == FlowFormat::kOf10) {
    w.U16(0), w.U8(s.table_id), w.U8(0);
    if (format == FlowFormat::kOf10) {
      auto m = EncodeMatch10(s.match, &out);
      if (!m.ok()) return m.error();
    }
    w.U32(s.duration_sec), w.U32(s.duration_nsec), w.U16(s.priority), w.U16(s.idle_timeout);
    w.U16(s.hard_timeout);
    size_t match_len_at = w.size();
    if (format == FlowFormat::kNxm) w.U16(0), w.U16(s.idle_age), w.U16(s.hard_age);
    else w.Zeros(6);
    w.U64(s.cookie), w.U64(s.packet_count), w.U64(s.byte_count);
    if (format == FlowFormat::kNxm) {
      auto n = EncodeTlvs(s.match, TlvFormat::kNxm, &out);
      if (!n.ok()) return n.error();
      w.Patch16(match_len_at, static_cast<uint16_t>(*n));
      w.PadTo(0, 8);
    }
    auto a = EncodeActions(s.instructions.apply.value_or(Actions{}), kOf10, &out);
    if (!a.ok()) return a.error();
  } else if (version >= kOf15) {
    w.U16(0), w.Zeros(2), w.U8(s.table_id), w.U8(0), w.U16(s.priority), w.U16(s.idle_timeout);
    w.U16(s.hard_timeout), w.U16(s.flags), w.U16(s.importance), w.U64(s.cookie);
    auto m = EncodeOxmMatch(s.match, &out);
    if (!m.ok()) return m.error();
    PutOxs(w, &s, nullptr);
    auto i = EncodeInstructions(s.instructions, version, &out);
    if (!i.ok()) return i.error();
  } else {
    w.U16(0), w.U8(s.table_id), w.U8(0), w.U32(s.duration_sec), w.U32(s.duration_nsec);
    w.U16(s.priority), w.U16(s.idle_timeout), w.U16(s.hard_timeout), w.U16(s.flags);
    w.U16(version >= kOf14 ? s.importance : 0), w.Zeros(2);
    w.U64(s.cookie), w.U64(s.packet_count), w.U64(s.byte_count);
    auto m = EncodeOxmMatch(s.match, &out);
    if (!m.ok()) return m.error();
    auto i = EncodeInstructions(s.instructions, version, &out);
    if (!i.ok()) return i.error();
  }
  if (out.size() > kMaxMessageLen - 24)
    return Fail(Err::kMultipartBufferOverflow, "flow entry too long for one message");
  w.Patch16(0, static_cast<uint16_t>(out.size()));
  return out;
}

Bytes EncodePortStats(uint8_t version, const PortStats& s) {
  Bytes out;
  Writer w(&out);
  if (version >= kOf14) {
    w.U16(120), w.Zeros(2), w.U32(s.port_no), w.U32(s.duration_sec), w.U32(s.duration_nsec);
    for (uint64_t v : {s.rx_packets, s.tx_packets, s.rx_bytes, s.tx_bytes, s.rx_dropped,
                       s.tx_dropped, s.rx_errors, s.tx_errors})
      w.U64(v);
    w.U16(0), w.U16(40), w.Zeros(4);  // OFPPSPT_ETHERNET
    w.U64(s.rx_frame_err), w.U64(s.rx_over_err), w.U64(s.rx_crc_err), w.U64(s.collisions);
    return out;
  }
  if (version == kOf10) w.U16(PortFits10(s.port_no) ? PortTo10(s.port_no) : 0), w.Zeros(6);
  else w.U32(s.port_no), w.Zeros(4);
  for (uint64_t v : {s.rx_packets, s.tx_packets, s.rx_bytes, s.tx_bytes, s.rx_dropped,
                     s.tx_dropped, s.rx_errors, s.tx_errors, s.rx_frame_err, s.rx_over_err,
                     s.rx_crc_err, s.collisions})
    w.U64(v);
  if (version != kOf10) w.U32(s.duration_sec), w.U32(s.duration_nsec);
  return out;
}

Bytes EncodePortDesc(uint8_t version, const PortDesc& p) {
  Bytes out;
  Writer w(&out);
  if (version == kOf10) {
    PutPort10(w, p);
    return out;
  }
  w.U32(p.port_no);
  if (version >= kOf14) w.U16(72), w.Zeros(2);
  else w.Zeros(4);
  w.Raw(p.hw_addr, 6), w.Zeros(2), w.Str(p.name, 16), w.U32(p.config), w.U32(p.state);
  if (version >= kOf14) w.U16(0), w.U16(32), w.Zeros(4);  // OFPPDPT_ETHERNET
  w.U32(p.curr), w.U32(p.advertised), w.U32(p.supported), w.U32(p.peer);
  w.U32(p.curr_speed), w.U32(p.max_speed);
  return out;
}

Bytes EncodeTableStats(uint8_t version, const TableStats& t) {
  Bytes out;
  Writer w(&out);
  w.U8(t.table_id), w.Zeros(3);
  if (version == kOf10) w.Str(t.name, 32), w.U32(t.wildcards), w.U32(t.max_entries);
  w.U32(t.active_count), w.U64(t.lookup_count), w.U64(t.matched_count);
  return out;
}

Bytes EncodeAggregate(uint8_t version, const AggregateStats& a) {
  Bytes out;
  Writer w(&out);
  if (version >= kOf15) {
    PutOxs(w, nullptr, &a);
  } else {
    w.U64(a.packet_count), w.U64(a.byte_count), w.U32(a.flow_count), w.Zeros(4);
  }
  return out;
}

Bytes EncodeDesc(const Desc& d) {
  Bytes out;
  Writer w(&out);
  w.Str(d.mfr, 256), w.Str(d.hw, 256), w.Str(d.sw, 256), w.Str(d.serial, 32), w.Str(d.dp, 256);
  return out;
}

namespace {
template <typename T, typename F>
void Prop(Writer& w, uint16_t type, const std::vector<T>& items, F put) {
  size_t start = w.size();
  w.U16(type), w.U16(0);
  for (const T& x : items) put(x);
  w.Patch16(start + 2, static_cast<uint16_t>(w.size() - start));
  w.PadTo(start, 8);
}
}  // namespace

Bytes EncodeTableFeatures(uint8_t version, const TableFeatures& t) {
  Bytes out;
  Writer w(&out);
  w.U16(0), w.U8(t.table_id);
  if (version >= kOf15) w.U8(0), w.U32(0);  // command OFPTFC_REPLACE, features
  else w.Zeros(5);
  w.Str(t.name, 32), w.U64(t.metadata_match), w.U64(t.metadata_write);
  w.U32(t.capabilities), w.U32(t.max_entries);
  auto ids = [&](uint16_t type) { w.U16(type), w.U16(4); };
  auto u32 = [&](uint32_t v) { w.U32(v); };
  Prop(w, 0, t.instructions, ids);                       // OFPTFPT_INSTRUCTIONS
  Prop(w, 2, t.next_tables, [&](uint8_t v) { w.U8(v); });  // NEXT_TABLES
  Prop(w, 4, t.write_actions, ids);                      // WRITE_ACTIONS
  Prop(w, 6, t.apply_actions, ids);                      // APPLY_ACTIONS
  Prop(w, 8, t.match, u32);                              // MATCH
  Prop(w, 10, t.wildcards, u32);                         // WILDCARDS
  Prop(w, 12, t.write_setfield, u32);                    // WRITE_SETFIELD
  Prop(w, 14, t.apply_setfield, u32);                    // APPLY_SETFIELD
  w.Patch16(0, static_cast<uint16_t>(out.size()));
  return out;
}

Bytes EncodeGroupFeatures(const GroupFeatures& g) {
  Bytes out;
  Writer w(&out);
  w.U32(g.types), w.U32(g.capabilities);
  for (uint32_t v : g.max_groups) w.U32(v);
  for (uint32_t v : g.actions) w.U32(v);
  return out;
}

Bytes EncodeMeterFeatures(uint8_t version, const MeterFeatures& m) {
  Bytes out;
  Writer w(&out);
  w.U32(m.max_meter), w.U32(m.band_types), w.U32(m.capabilities), w.U8(m.max_bands);
  w.U8(m.max_color), w.Zeros(2);
  if (version >= kOf15) w.U32(0), w.Zeros(4);  // features, pad
  return out;
}

std::vector<Bytes> EncodeMultipartReply(const Header& req, const MultipartRequest& mp,
                                        const std::vector<Bytes>& entries) {
  std::vector<Bytes> msgs;
  size_t hdr = MultipartHeaderLen(req.version, mp.nx);
  auto start = [&]() {
    msgs.emplace_back();
    Writer w(&msgs.back());
    PutMultipartHeader(w, req, mp, 0);
  };
  start();
  for (const Bytes& e : entries) {
    if (msgs.back().size() + e.size() > kMaxMessageLen && msgs.back().size() > hdr) start();
    Writer(&msgs.back()).Raw(e);
  }
  for (size_t i = 0; i < msgs.size(); i++) {
    FinishMessage(&msgs[i]);
    if (i + 1 < msgs.size()) Writer(&msgs[i]).Patch16(10, kMpFlagMore);
  }
  return msgs;
}

OfResult<Bytes> EncodeFlowMod(uint8_t version, uint32_t xid, const FlowMod& fm) {
  Bytes out;
  Writer w(&out);
  if (fm.format == FlowFormat::kOxm) {
    PutHeader(w, version, kFlowMod, xid);
    w.U64(fm.cookie), w.U64(fm.cookie_mask), w.U8(fm.table_id), w.U8(fm.command);
    w.U16(fm.idle_timeout), w.U16(fm.hard_timeout), w.U16(fm.priority), w.U32(fm.buffer_id);
    w.U32(fm.out_port), w.U32(fm.out_group), w.U16(fm.flags);
    w.U16(version >= kOf14 ? fm.importance : 0);
    auto m = EncodeOxmMatch(fm.match, &out);
    if (!m.ok()) return m.error();
    auto i = EncodeInstructions(fm.instructions, version, &out);
    if (!i.ok()) return i.error();
  } else {
    bool nx = fm.format == FlowFormat::kNxm;
    PutHeader(w, kOf10, nx ? kExperimenter : kFlowMod, xid);
    if (nx) w.U32(kNxVendor), w.U32(kNxtFlowMod);
    else if (auto m = EncodeMatch10(fm.match, &out); !m.ok()) return m.error();
    w.U64(fm.cookie), w.U16(static_cast<uint16_t>(fm.table_id << 8 | fm.command));
    w.U16(fm.idle_timeout), w.U16(fm.hard_timeout), w.U16(fm.priority), w.U32(fm.buffer_id);
    w.U16(PortFits10(fm.out_port) ? PortTo10(fm.out_port) : 0xffff), w.U16(fm.flags);
    if (nx) {
      size_t at = w.size();
      w.U16(0), w.Zeros(6);
      Match m = fm.match;
      if (fm.cookie_mask) m.AddMaskedInt(Field::kCookie, fm.cookie, fm.cookie_mask, 8);
      auto n = EncodeTlvs(m, TlvFormat::kNxm, &out);
      if (!n.ok()) return n.error();
      w.Patch16(at, static_cast<uint16_t>(*n));
      w.PadTo(0, 8);
    }
    auto a = EncodeActions(fm.instructions.apply.value_or(Actions{}), kOf10, &out);
    if (!a.ok()) return a.error();
  }
  if (out.size() > kMaxMessageLen) return Fail(Err::kBadLen, "flow_mod longer than 64 KiB");
  FinishMessage(&out);
  return out;
}

OfResult<Bytes> EncodeMultipartRequest(uint8_t version, uint32_t xid, const MultipartRequest& mp) {
  Bytes out;
  Writer w(&out);
  PutHeader(w, version, version == kOf10 ? uint8_t{kStatsRequest10} : uint8_t{kMultipartRequest}, xid);
  w.U16(mp.nx ? uint16_t{kMpExperimenter} : mp.type), w.U16(mp.flags);
  if (version != kOf10) w.Zeros(4);
  const FlowStatsRequest& f = mp.flow;
  if (mp.nx) {
    w.U32(kNxVendor), w.U32(mp.type == kMpFlow ? kNxstFlow : kNxstAggregate), w.Zeros(4);
    w.U16(PortFits10(f.out_port) ? PortTo10(f.out_port) : 0xffff);
    size_t at = w.size();
    w.U16(0), w.U8(f.table_id), w.Zeros(3);
    size_t start = out.size();
    Match m = f.match;
    if (f.cookie_mask) m.AddMaskedInt(Field::kCookie, f.cookie, f.cookie_mask, 8);
    auto n = EncodeTlvs(m, TlvFormat::kNxm, &out);
    if (!n.ok()) return n.error();
    w.Patch16(at, static_cast<uint16_t>(*n));
    w.PadTo(start, 8);
  } else if (mp.type == kMpFlow || mp.type == kMpAggregate) {
    if (version == kOf10) {
      auto m = EncodeMatch10(f.match, &out);
      if (!m.ok()) return m.error();
      w.U8(f.table_id), w.U8(0), w.U16(PortFits10(f.out_port) ? PortTo10(f.out_port) : 0xffff);
    } else {
      w.U8(f.table_id), w.Zeros(3), w.U32(f.out_port), w.U32(f.out_group), w.Zeros(4);
      w.U64(f.cookie), w.U64(f.cookie_mask);
      auto m = EncodeOxmMatch(f.match, &out);
      if (!m.ok()) return m.error();
    }
  } else if (mp.type == kMpPortStats || mp.type == kMpQueue) {
    if (version == kOf10) {
      w.U16(PortFits10(mp.port_no) ? PortTo10(mp.port_no) : 0xffff);
      if (mp.type == kMpQueue) w.Zeros(2), w.U32(mp.queue_id);
      else w.Zeros(6);
    } else {
      w.U32(mp.port_no);
      if (mp.type == kMpQueue) w.U32(mp.queue_id);
      else w.Zeros(4);
    }
  } else if (mp.type == kMpGroup || mp.type == kMpMeter || mp.type == kMpMeterConfig) {
    w.U32(mp.group_id), w.Zeros(4);
  } else if (mp.type == kMpPortDesc && version >= kOf15) {
    w.U32(mp.port_no), w.Zeros(4);
  }
  FinishMessage(&out);
  return out;
}

Bytes EncodePortStatus(uint8_t version, uint8_t reason, const PortDesc& p) {
  Bytes out;
  Writer w(&out);
  PutHeader(w, version, kPortStatus, 0);
  w.U8(reason), w.Zeros(7);
  w.Raw(EncodePortDesc(version, p));
  FinishMessage(&out);
  return out;
}

OfResult<Bytes> EncodeFlowRemoved(uint8_t version, const FlowRemoved& f) {
  Bytes out;
  Writer w(&out);
  PutHeader(w, version, kFlowRemoved, 0);
  if (version == kOf10) {
    auto m = EncodeMatch10(f.match, &out);
    if (!m.ok()) return m.error();
    w.U64(f.cookie), w.U16(f.priority), w.U8(f.reason), w.U8(0), w.U32(f.duration_sec);
    w.U32(f.duration_nsec), w.U16(f.idle_timeout), w.Zeros(2), w.U64(f.packet_count);
    w.U64(f.byte_count);
  } else if (version >= kOf15) {
    w.U8(f.table_id), w.U8(f.reason), w.U16(f.priority), w.U16(f.idle_timeout);
    w.U16(f.hard_timeout), w.U64(f.cookie);
    auto m = EncodeOxmMatch(f.match, &out);
    if (!m.ok()) return m.error();
    FlowStats s;
    s.duration_sec = f.duration_sec, s.duration_nsec = f.duration_nsec;
    s.packet_count = f.packet_count, s.byte_count = f.byte_count;
    PutOxs(w, &s, nullptr);
  } else {
    w.U64(f.cookie), w.U16(f.priority), w.U8(f.reason), w.U8(f.table_id), w.U32(f.duration_sec);
    w.U32(f.duration_nsec), w.U16(f.idle_timeout), w.U16(f.hard_timeout), w.U64(f.packet_count);
    w.U64(f.byte_count);
    auto m = EncodeOxmMatch(f.match, &out);
    if (!m.ok()) return m.error();
  }
  FinishMessage(&out);
  return out;
}

Bytes EncodePacketIn(uint8_t version, const PacketIn& p) {
  Bytes out;
  Writer w(&out);
  PutHeader(w, version, kPacketIn, 0);
  size_t room;
  if (version == kOf10) {
    w.U32(p.buffer_id), w.U16(p.total_len), w.U16(PortFits10(p.in_port) ? PortTo10(p.in_port) : 0);
    w.U8(p.reason), w.U8(0);
  } else {
    w.U32(p.buffer_id), w.U16(p.total_len), w.U8(p.reason), w.U8(p.table_id), w.U64(p.cookie);
    Match m;
    m.AddInt(Field::kInPort, p.in_port, 4);
    (void)EncodeOxmMatch(m, &out);  // in_port always encodes
    w.Zeros(2);
  }
  room = kMaxMessageLen - out.size();
  w.Raw(ByteView(p.data).first(std::min(room, p.data.size())));
  FinishMessage(&out);
  return out;
}

}  // namespace vs::openflow
