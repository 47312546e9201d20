// Decoding of the messages a controller sends (see messages.h).
#include "openflow/messages.h"

#include <fmt/format.h>

namespace vs::openflow {
namespace {

Error BadLen(const char* what, size_t len) {
  return Fail(Err::kBadLen, fmt::format("{} with length {}", what, len));
}

bool Known(uint8_t v) { return v == kOf10 || v == kOf13 || v == kOf14 || v == kOf15; }

OfResult<Body> DecodeHello(const Header& h, Reader& r) {
  Hello hello;
  hello.version = h.version;
  while (r.left() >= 4) {
    uint16_t type = 0, len = 0;
    (void)(r.U16(&type) && r.U16(&len));
    if (len < 4 || len - 4u > r.left()) return BadLen("HELLO element", len);
    ByteView body;
    (void)r.Sub(len - 4u, &body);
    if (type == kHelloElemVersionBitmap) {
      Reader br(body);
      uint32_t bm;
      if (!br.U32(&bm)) return BadLen("HELLO version bitmap", len);
      hello.bitmap = bm;  // versions above 31 (further words) do not concern us
    }
    (void)r.Skip(std::min<size_t>(r.left(), (8 - len % 8) % 8));
  }
  return Body(hello);
}

// NXM carries a cookie filter as a match field: move it to cookie/cookie_mask.
void TakeCookie(Match* m, uint64_t* cookie, uint64_t* mask) {
  for (auto it = m->fields.begin(); it != m->fields.end(); ++it) {
    if (it->field != Field::kCookie) continue;
    *cookie = it->ValueInt() & it->MaskInt();
    *mask = it->MaskInt();
    m->fields.erase(it);
    return;
  }
}

// Reads an nx_match of match_len bytes plus its padding to 8.
OfResult<Match> NxMatchAt(Reader& r, uint16_t match_len) {
  ByteView m;
  if (!r.Sub(match_len, &m)) return Fail(Err::kBadLen, "nx_match runs past the message");
  if (!r.Skip((8 - match_len % 8) % 8)) return Fail(Err::kBadLen, "nx_match padding missing");
  return DecodeTlvs(m, TlvFormat::kNxm);
}

OfResult<Body> DecodeFlowMod10(const Header& h, Reader& r, bool nx) {
  FlowMod fm;
  uint16_t cmd, out_port, match_len = 0;
  ByteView m10;
  if (!nx && !r.Sub(kMatch10Len, &m10)) return BadLen("OFPT_FLOW_MOD", h.length);
  if (!(r.U64(&fm.cookie) && r.U16(&cmd) && r.U16(&fm.idle_timeout) &&
        r.U16(&fm.hard_timeout) && r.U16(&fm.priority) && r.U32(&fm.buffer_id) &&
        r.U16(&out_port) && r.U16(&fm.flags)))
    return BadLen(nx ? "NXT_FLOW_MOD" : "OFPT_FLOW_MOD", h.length);
  if (nx && !(r.U16(&match_len) && r.Skip(6))) return BadLen("NXT_FLOW_MOD", h.length);
  fm.format = nx ? FlowFormat::kNxm : FlowFormat::kOf10;
  fm.command = static_cast<uint8_t>(cmd);
  fm.table_id = static_cast<uint8_t>(cmd >> 8);
  fm.out_port = PortFrom10(out_port);
  auto match = nx ? NxMatchAt(r, match_len) : DecodeMatch10(m10);
  if (!match.ok()) return match.error();
  fm.match = std::move(*match);
  if (fm.command > kFmDeleteStrict)
    return Fail(Err::kFmBadCommand, fmt::format("flow_mod command {}", fm.command));
  if (fm.match.Find(Field::kCookie)) {
    if (fm.command == kFmAdd)
      return Fail(Err::kMatchBadField, "a cookie match in an add: use the cookie field");
    // The filter replaces the (new-)cookie field: numavs's modify keeps rules' cookies.
    TakeCookie(&fm.match, &fm.cookie, &fm.cookie_mask);
  }
  auto acts = DecodeActions(r.rest(), kOf10);
  if (!acts.ok()) return acts.error();
  fm.instructions.apply = std::move(*acts);
  return Body(std::move(fm));
}

OfResult<Body> DecodeFlowMod13(const Header& h, Reader& r) {
  FlowMod fm;
  fm.format = FlowFormat::kOxm;
  if (!(r.U64(&fm.cookie) && r.U64(&fm.cookie_mask) && r.U8(&fm.table_id) && r.U8(&fm.command) &&
        r.U16(&fm.idle_timeout) && r.U16(&fm.hard_timeout) && r.U16(&fm.priority) &&
        r.U32(&fm.buffer_id) && r.U32(&fm.out_port) && r.U32(&fm.out_group) && r.U16(&fm.flags) &&
        r.U16(&fm.importance)))
    return BadLen("OFPT_FLOW_MOD", h.length);
  if (h.version < kOf14) fm.importance = 0;  // padding before 1.4
  auto match = DecodeOxmMatch(&r);
  if (!match.ok()) return match.error();
  fm.match = std::move(*match);
  if (fm.command > kFmDeleteStrict)
    return Fail(Err::kFmBadCommand, fmt::format("flow_mod command {}", fm.command));
  auto ins = DecodeInstructions(r.rest(), h.version);
  if (!ins.ok()) return ins.error();
  fm.instructions = std::move(*ins);
  return Body(std::move(fm));
}

OfResult<Body> DecodeNxStats(const Header& h, Reader& r, MultipartRequest mp) {
  uint32_t vendor, subtype;
  if (!(r.U32(&vendor) && r.U32(&subtype) && r.Skip(4))) return BadLen("vendor stats", h.length);
  if (vendor != kNxVendor)
    return Fail(Err::kBadExperimenter, fmt::format("stats vendor {:#010x}", vendor));
  if (subtype != kNxstFlow && subtype != kNxstAggregate)
    return Fail(Err::kBadExpType, fmt::format("Nicira stats subtype {}", subtype));
  uint16_t out_port, match_len;
  if (!(r.U16(&out_port) && r.U16(&match_len) && r.U8(&mp.flow.table_id) && r.Skip(3)))
    return BadLen("NXST_FLOW request", h.length);
  mp.nx = true;
  mp.type = subtype == kNxstFlow ? kMpFlow : kMpAggregate;
  mp.flow.format = FlowFormat::kNxm;
  mp.flow.out_port = PortFrom10(out_port);
  auto m = NxMatchAt(r, match_len);
  if (!m.ok()) return m.error();
  if (!r.empty()) return BadLen("NXST_FLOW request", h.length);
  mp.flow.match = std::move(*m);
  TakeCookie(&mp.flow.match, &mp.flow.cookie, &mp.flow.cookie_mask);
  return Body(std::move(mp));
}

OfResult<Body> DecodeFlowStatsRequest(const Header& h, Reader& r, MultipartRequest mp) {
  FlowStatsRequest& f = mp.flow;
  if (h.version == kOf10) {
    ByteView m10;
    uint16_t out_port;
    if (r.left() != 44 || !(r.Sub(kMatch10Len, &m10) && r.U8(&f.table_id) && r.Skip(1) &&
                            r.U16(&out_port)))
      return BadLen("flow stats request", h.length);
    f.format = FlowFormat::kOf10;
    f.out_port = PortFrom10(out_port);
    auto m = DecodeMatch10(m10);
    if (!m.ok()) return m.error();
    f.match = std::move(*m);
    return Body(std::move(mp));
  }
  if (!(r.U8(&f.table_id) && r.Skip(3) && r.U32(&f.out_port) && r.U32(&f.out_group) &&
        r.Skip(4) && r.U64(&f.cookie) && r.U64(&f.cookie_mask)))
    return BadLen("flow stats request", h.length);
  auto m = DecodeOxmMatch(&r);
  if (!m.ok()) return m.error();
  if (!r.empty()) return BadLen("flow stats request", h.length);
  f.match = std::move(*m);
  return Body(std::move(mp));
}

OfResult<Body> DecodeMultipart(const Header& h, Reader& r) {
  MultipartRequest mp;
  if (!(r.U16(&mp.type) && r.U16(&mp.flags))) return BadLen("stats request", h.length);
  if (h.version != kOf10 && !r.Skip(4)) return BadLen("multipart request", h.length);
  if (h.version == kOf10) mp.flags = 0;  // OF1.0 defines no request flags
  if (mp.flags & kMpFlagMore)
    return Fail(Err::kMultipartBufferOverflow, "multipart requests in several parts are not supported");
  auto exact = [&](size_t n) -> std::optional<Error> {
    if (r.left() != n) return BadLen("multipart request", h.length);
    return std::nullopt;
  };
  uint16_t u16;
  switch (mp.type) {
    case kMpDesc: case kMpTable: case kMpGroupDesc: case kMpGroupFeatures: case kMpMeterFeatures:
      if (auto e = exact(0)) return *e;
      return Body(std::move(mp));
    case kMpPortDesc:
      if (auto e = exact(h.version >= kOf15 ? 8 : 0)) return *e;
      if (h.version >= kOf15) (void)r.U32(&mp.port_no);
      return Body(std::move(mp));
    case kMpFlow:
    case kMpAggregate:
      return DecodeFlowStatsRequest(h, r, std::move(mp));
    case kMpPortStats:
      if (auto e = exact(8)) return *e;
      if (h.version == kOf10) (void)r.U16(&u16), mp.port_no = PortFrom10(u16);
      else (void)r.U32(&mp.port_no);
      return Body(std::move(mp));
    case kMpQueue:
      if (auto e = exact(8)) return *e;
      if (h.version == kOf10) (void)(r.U16(&u16) && r.Skip(2)), mp.port_no = PortFrom10(u16);
      else (void)r.U32(&mp.port_no);
      (void)r.U32(&mp.queue_id);
      return Body(std::move(mp));
    case kMpGroup: case kMpMeter: case kMpMeterConfig:
      if (h.version == kOf10) break;
      if (auto e = exact(8)) return *e;
      (void)r.U32(&mp.group_id);
      return Body(std::move(mp));
    case kMpTableFeatures:
      if (h.version == kOf10) break;
      mp.body_len = r.left();
      return Body(std::move(mp));
    case kMpExperimenter:
      if (h.version == kOf10) return DecodeNxStats(h, r, std::move(mp));
      return Fail(Err::kBadExperimenter, "experimenter multipart requests are not supported");
    default: break;
  }
  if (h.version == kOf10 && mp.type > kMpQueue)
    return Fail(Err::kBadMultipart, fmt::format("OpenFlow 1.0 stats type {}", mp.type));
  return Fail(Err::kBadMultipart, fmt::format("multipart type {}", mp.type));
}

OfResult<Body> DecodeVendor(const Header& h, Reader& r) {
  uint32_t vendor, subtype;
  if (!(r.U32(&vendor) && r.U32(&subtype))) return BadLen("vendor message", h.length);
  if (vendor != kNxVendor)
    return Fail(Err::kBadExperimenter, fmt::format("experimenter {:#010x}", vendor));
  uint32_t u32 = 0;
  uint8_t u8 = 0;
  switch (subtype) {
    case kNxtSetFlowFormat:
      if (r.left() != 4) return BadLen("NXT_SET_FLOW_FORMAT", h.length);
      (void)r.U32(&u32);
      if (u32 != kNxffOpenflow10 && u32 != kNxffNxm)
        return Fail(Err::kEperm, fmt::format("flow format {}", u32));
      return Body(SetFlowFormat{u32});
    case kNxtFlowModTableId:
      if (r.left() != 8) return BadLen("NXT_FLOW_MOD_TABLE_ID", h.length);
      (void)r.U8(&u8);
      return Body(FlowModTableId{u8 != 0});
    case kNxtSetPacketInFormat:
      if (r.left() != 4) return BadLen("NXT_SET_PACKET_IN_FORMAT", h.length);
      (void)r.U32(&u32);
      if (u32 > kNxpifNxtPacketIn2) return Fail(Err::kEperm, fmt::format("packet-in format {}", u32));
      return Body(SetPacketInFormat{u32});
    case kNxtFlowMod:
      return DecodeFlowMod10(h, r, true);
    case kNxtRoleRequest: {
      if (r.left() != 4) return BadLen("NXT_ROLE_REQUEST", h.length);
      RoleRequest rr;
      rr.nx = true;
      (void)r.U32(&rr.role);
      if (rr.role > 2) return Fail(Err::kRoleBadRole, fmt::format("Nicira role {}", rr.role));
      return Body(rr);
    }
    default:
      return Fail(Err::kBadExpType, fmt::format("Nicira message subtype {}", subtype));
  }
}

OfResult<Body> DecodePacketOut(const Header& h, Reader& r) {
  PacketOut po;
  uint16_t actions_len = 0, in_port16 = 0;
  bool ok = r.U32(&po.buffer_id);
  if (h.version == kOf10) {
    ok = ok && r.U16(&in_port16) && r.U16(&actions_len);
    po.in_port = PortFrom10(in_port16);
  } else if (h.version < kOf15) {
    ok = ok && r.U32(&po.in_port) && r.U16(&actions_len) && r.Skip(6);
  } else {
    ok = ok && r.U16(&actions_len) && r.Skip(2);
    if (ok) {
      auto m = DecodeOxmMatch(&r);
      if (!m.ok()) return m.error();
      const MatchField* f = m->Find(Field::kInPort);
      po.in_port = f ? static_cast<uint32_t>(f->ValueInt()) : kPortController;
    }
  }
  ByteView acts;
  if (!ok || !r.Sub(actions_len, &acts)) return BadLen("OFPT_PACKET_OUT", h.length);
  auto a = DecodeActions(acts, h.version);
  if (!a.ok()) return a.error();
  po.actions = std::move(*a);
  po.data.assign(r.rest().begin(), r.rest().end());
  return Body(std::move(po));
}

OfResult<Body> DecodeBody(const Header& h, Reader& r) {
  const bool v10 = h.version == kOf10;
  auto fixed = [&](size_t n, const char* what, Body b) -> OfResult<Body> {
    if (r.left() != n) return BadLen(what, h.length);
    return b;
  };
  switch (h.type) {
    case kEchoRequest: return Body(EchoRequest{Bytes(r.rest().begin(), r.rest().end())});
    case kEchoReply: return Body(EchoReply{Bytes(r.rest().begin(), r.rest().end())});
    case kError: {
      ErrorMsg e;
      if (!(r.U16(&e.type) && r.U16(&e.code))) return BadLen("OFPT_ERROR", h.length);
      e.data.assign(r.rest().begin(), r.rest().end());
      return Body(std::move(e));
    }
    case kFeaturesRequest: return fixed(0, "OFPT_FEATURES_REQUEST", FeaturesRequest{});
    case kGetConfigRequest: return fixed(0, "OFPT_GET_CONFIG_REQUEST", GetConfigRequest{});
    case kSetConfig: {
      SetConfig c;
      if (r.left() != 4 || !(r.U16(&c.flags) && r.U16(&c.miss_send_len)))
        return BadLen("OFPT_SET_CONFIG", h.length);
      return Body(c);
    }
    case kExperimenter: return DecodeVendor(h, r);
    case kPacketOut: return DecodePacketOut(h, r);
    case kFlowMod: return v10 ? DecodeFlowMod10(h, r, false) : DecodeFlowMod13(h, r);
    default: break;
  }
  if (h.type == (v10 ? uint8_t{kBarrierRequest10} : uint8_t{kBarrierRequest}))
    return fixed(0, "OFPT_BARRIER_REQUEST", BarrierRequest{});
  if (h.type == (v10 ? uint8_t{kStatsRequest10} : uint8_t{kMultipartRequest})) return DecodeMultipart(h, r);
  if (!v10 && h.type == kRoleRequest) {
    RoleRequest rr;
    if (r.left() != 16 || !(r.U32(&rr.role) && r.Skip(4) && r.U64(&rr.generation_id)))
      return BadLen("OFPT_ROLE_REQUEST", h.length);
    if (rr.role > kRoleSlave) return Fail(Err::kRoleBadRole, fmt::format("role {}", rr.role));
    return Body(rr);
  }
  if (!v10 && h.type == kGroupMod) {
    GroupMod g;
    if (!(r.U16(&g.command) && r.U8(&g.type) && r.Skip(1) && r.U32(&g.group_id)))
      return BadLen("OFPT_GROUP_MOD", h.length);
    return Body(g);
  }
  return Fail(Err::kBadType, fmt::format("message type {} is not supported in OpenFlow {:#04x}",
                                         h.type, h.version));
}

}  // namespace

OfResult<Header> DecodeHeader(ByteView b) {
  Reader r(b);
  Header h;
  if (!(r.U8(&h.version) && r.U8(&h.type) && r.U16(&h.length) && r.U32(&h.xid)))
    return Fail(Err::kBadLen, fmt::format("{} bytes: shorter than an OpenFlow header", b.size()));
  if (h.length < kHeaderLen)
    return Fail(Err::kBadLen, fmt::format("header says length {}", h.length));
  return h;
}

uint32_t Hello::Accepts() const {
  if (bitmap) return bitmap;
  return version >= 31 ? 0xffffffffu : (2u << version) - 2u;  // versions 1..version
}

uint8_t NegotiateVersion(uint32_t ours, uint32_t theirs) {
  uint32_t common = ours & theirs;
  for (int v = 31; v > 0; v--)
    if (common & (1u << v)) return static_cast<uint8_t>(v);
  return 0;
}

OfResult<Message> Decode(ByteView msg) {
  auto h = DecodeHeader(msg);
  if (!h.ok()) return h.error();
  if (h->length != msg.size())
    return Fail(Err::kBadLen, fmt::format("header says {} bytes, message has {}", h->length,
                                          msg.size()));
  Reader r(msg.subspan(kHeaderLen));
  if (h->type == kHello) {
    auto b = DecodeHello(*h, r);
    if (!b.ok()) return b.error();
    return Message{*h, std::move(*b)};
  }
  if (!Known(h->version))
    return Fail(Err::kBadVersion, fmt::format("OpenFlow version {:#04x} is not supported", h->version));
  auto b = DecodeBody(*h, r);
  if (!b.ok()) return b.error();
  return Message{*h, std::move(*b)};
}

}  // namespace vs::openflow
