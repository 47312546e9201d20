#include "openflow/actions.h"

#include <fmt/format.h>

#include "openflow/consts.h"

namespace vs::openflow {
namespace {

// Standard action types (OF1.0 numbering / OF1.1+ numbering).
enum : uint16_t {
  k10Output = 0, k10SetVlanVid = 1, k10SetVlanPcp = 2, k10StripVlan = 3, k10SetDlSrc = 4,
  k10SetDlDst = 5, k10SetNwSrc = 6, k10SetNwDst = 7, k10SetNwTos = 8, k10SetTpSrc = 9,
  k10SetTpDst = 10, k10Enqueue = 11,
};
enum : uint16_t {
  k13Output = 0, k13CopyTtlOut = 11, k13CopyTtlIn = 12, k13SetMplsTtl = 15, k13DecMplsTtl = 16,
  k13PushVlan = 17, k13PopVlan = 18, k13PushMpls = 19, k13PopMpls = 20, k13SetQueue = 21,
  k13Group = 22, k13SetNwTtl = 23, k13DecNwTtl = 24, k13SetField = 25,
};
constexpr uint16_t kExperimenterType = 0xffff;
// Nicira action subtypes (nx_action_subtype).
enum : uint16_t {
  kNxResubmit = 1, kNxRegMove = 6, kNxRegLoad = 7, kNxNote = 8, kNxResubmitTable = 14,
  kNxOutputReg = 15, kNxDecTtl = 18, kNxController = 20, kNxRegLoad2 = 33, kNxConjunction = 34,
};
// Instruction types.
enum : uint16_t {
  kInstGoto = 1, kInstWriteMetadata = 2, kInstWrite = 3, kInstApply = 4, kInstClear = 5,
  kInstMeter = 6,
};

Error BadLen(const char* what, size_t len) {
  return Fail(Err::kActBadLen, fmt::format("{} action with length {}", what, len));
}

// An NXM/OXM field reference (32-bit header) in an action; `nbits_at` checks the
// subfield fits.
OfResult<SubField> DecodeSubField(uint32_t header, uint16_t ofs, uint16_t n_bits) {
  uint8_t width = 0;
  auto f = FieldOfTlv(static_cast<uint16_t>(header >> 16), (header >> 9) & 0x7f, &width);
  if (!f || (header & 0x100) || (header & 0xff) != width)
    return Fail(Err::kActBadSetType, fmt::format("action refers to unknown field {:#010x}", header));
  if (n_bits == 0 || ofs + n_bits > width * 8)
    return Fail(Err::kActBadSetLen, fmt::format("bits {}..{} of {} ({} bits wide)", ofs,
                                                ofs + n_bits - 1, InfoOf(*f).name, width * 8));
  return SubField{*f, ofs, n_bits};
}

uint32_t SubFieldHeader(const SubField& s) {
  uint8_t width = 0;
  auto h = TlvOf(s.field, TlvFormat::kNxm, &width);
  return h ? *h | width : 0;
}

// A TLV (set_field, reg_load2) at the start of `b`.
OfResult<MatchField> DecodeFieldTlv(ByteView b, bool allow_mask) {
  Reader r(b);
  uint32_t h;
  if (!r.U32(&h)) return Fail(Err::kActBadSetLen, "set_field without a field");
  uint8_t len = h & 0xff;
  ByteView one;
  if (r.left() < len) return Fail(Err::kActBadSetLen, "set_field: field runs past the action");
  Reader again(b);
  (void)again.Sub(4 + len, &one);
  auto m = DecodeTlvs(one, TlvFormat::kOxm, false);
  if (!m.ok()) {
    Err e = m.error().kind == Err::kMatchBadField ? Err::kActBadSetType
            : m.error().kind == Err::kMatchBadLen ? Err::kActBadSetLen
                                                   : Err::kActBadSetArgument;
    return Fail(e, "set_field: " + m.error().detail);
  }
  if (m->fields.size() != 1) return Fail(Err::kActBadSetType, "set_field needs one field");
  if (m->fields[0].has_mask && !allow_mask)
    return Fail(Err::kActBadSetArgument, "set_field with a mask needs OpenFlow 1.5");
  return m->fields[0];
}

OfResult<Action> DecodeNx(Reader& r, uint16_t len) {
  uint16_t sub;
  if (len < 16 || !r.U16(&sub)) return BadLen("Nicira", len);
  Action a;
  uint16_t u16 = 0;
  uint32_t u32 = 0;
  switch (sub) {
    case kNxResubmit:
    case kNxResubmitTable:
      if (len != 16) return BadLen("resubmit", len);
      a.type = ActionType::kResubmit;
      (void)r.U16(&u16);
      a.port = PortFrom10(u16);
      if (sub == kNxResubmitTable) (void)r.U8(&a.table);
      return a;
    case kNxRegMove: {
      uint16_t n_bits = 0, src_ofs = 0, dst_ofs = 0;
      uint32_t src = 0, dst = 0;
      if (len != 24) return BadLen("move", len);
      (void)(r.U16(&n_bits) && r.U16(&src_ofs) && r.U16(&dst_ofs) && r.U32(&src) && r.U32(&dst));
      auto s = DecodeSubField(src, src_ofs, n_bits);
      if (!s.ok()) return s.error();
      auto d = DecodeSubField(dst, dst_ofs, n_bits);
      if (!d.ok()) return d.error();
      a.type = ActionType::kRegMove, a.src = *s, a.dst = *d;
      return a;
    }
    case kNxRegLoad:
    case kNxOutputReg: {
      if (len != 24) return BadLen(sub == kNxRegLoad ? "load" : "output_reg", len);
      (void)(r.U16(&u16) && r.U32(&u32));
      auto s = DecodeSubField(u32, u16 >> 6, (u16 & 0x3f) + 1);
      if (!s.ok()) return s.error();
      if (sub == kNxRegLoad) {
        a.type = ActionType::kRegLoad, a.dst = *s;
        (void)r.U64(&a.value);
        if (s->n_bits < 64 && (a.value >> s->n_bits))
          return Fail(Err::kActBadArgument, "load: value does not fit its bits");
      } else {
        a.type = ActionType::kOutputReg, a.src = *s;
        (void)r.U16(&a.max_len);
      }
      return a;
    }
    case kNxNote:
      a.type = ActionType::kNote;
      a.note.resize(len - 10);
      (void)r.Raw(a.note.data(), a.note.size());
      return a;
    case kNxDecTtl:
      if (len != 16) return BadLen("dec_ttl", len);
      a.type = ActionType::kDecTtl;
      return a;
    case kNxController:
      if (len != 16) return BadLen("controller", len);
      a.type = ActionType::kController;
      (void)(r.U16(&a.max_len) && r.U16(&a.controller_id) && r.U8(&a.reason));
      return a;
    case kNxConjunction:
      if (len != 16) return BadLen("conjunction", len);
      a.type = ActionType::kConjunction;
      (void)(r.U8(&a.clause) && r.U8(&a.n_clauses) && r.U32(&a.conj_id));
      // Wire clause is 0-based; conjunction(id, k/n) needs 1 <= k <= n and 2 <= n <= 64.
      if (a.n_clauses < 2 || a.n_clauses > 64 || a.clause >= a.n_clauses)
        return Fail(Err::kActBadConjunction,
                    fmt::format("conjunction clause {}/{}", a.clause + 1, a.n_clauses));
      return a;
    case kNxRegLoad2: {
      auto f = DecodeFieldTlv(r.rest().first(len - 10), true);
      if (!f.ok()) return f.error();
      a.type = ActionType::kRegLoad2, a.field = *f;
      return a;
    }
    default:
      return Fail(Err::kActBadExpType, fmt::format("unsupported Nicira action subtype {}", sub));
  }
}

OfResult<Action> Decode10(Reader& r, uint16_t type, uint16_t len) {
  Action a;
  uint16_t u16 = 0;
  uint8_t u8 = 0;
  auto want = [&](uint16_t n, const char* what) -> std::optional<Error> {
    if (len != n) return BadLen(what, len);
    return std::nullopt;
  };
  switch (type) {
    case k10Output:
      if (auto e = want(8, "output")) return *e;
      (void)(r.U16(&u16) && r.U16(&a.max_len));
      a.type = ActionType::kOutput, a.port = PortFrom10(u16);
      return a;
    case k10SetVlanVid:
      if (auto e = want(8, "set_vlan_vid")) return *e;
      (void)r.U16(&u16);
      if (u16 > 0xfff) return Fail(Err::kActBadArgument, "set_vlan_vid above 4095");
      a.type = ActionType::kSetVlanVid, a.value = u16;
      return a;
    case k10SetVlanPcp:
      if (auto e = want(8, "set_vlan_pcp")) return *e;
      (void)r.U8(&u8);
      if (u8 > 7) return Fail(Err::kActBadArgument, "set_vlan_pcp above 7");
      a.type = ActionType::kSetVlanPcp, a.value = u8;
      return a;
    case k10StripVlan:
      if (auto e = want(8, "strip_vlan")) return *e;
      a.type = ActionType::kStripVlan;
      return a;
    case k10SetDlSrc:
    case k10SetDlDst:
      if (auto e = want(16, "set_dl_addr")) return *e;
      (void)r.Raw(a.mac, 6);
      a.type = type == k10SetDlSrc ? ActionType::kSetDlSrc : ActionType::kSetDlDst;
      return a;
    case k10SetNwSrc:
    case k10SetNwDst: {
      if (auto e = want(8, "set_nw_addr")) return *e;
      uint32_t v;
      (void)r.U32(&v);
      a.type = type == k10SetNwSrc ? ActionType::kSetNwSrc : ActionType::kSetNwDst, a.value = v;
      return a;
    }
    case k10SetNwTos:
      if (auto e = want(8, "set_nw_tos")) return *e;
      (void)r.U8(&u8);
      if (u8 & 3) return Fail(Err::kActBadArgument, "set_nw_tos with ECN bits");
      a.type = ActionType::kSetNwTos, a.value = u8;
      return a;
    case k10SetTpSrc:
    case k10SetTpDst:
      if (auto e = want(8, "set_tp_port")) return *e;
      (void)r.U16(&u16);
      a.type = type == k10SetTpSrc ? ActionType::kSetTpSrc : ActionType::kSetTpDst, a.value = u16;
      return a;
    case k10Enqueue: {
      if (auto e = want(16, "enqueue")) return *e;
      uint32_t q;
      (void)(r.U16(&u16) && r.Skip(6) && r.U32(&q));
      a.type = ActionType::kEnqueue, a.port = PortFrom10(u16), a.value = q;
      return a;
    }
    default:
      return Fail(Err::kActBadType, fmt::format("unknown OpenFlow 1.0 action type {}", type));
  }
}

OfResult<Action> Decode13(Reader& r, uint16_t type, uint16_t len, uint8_t version) {
  Action a;
  uint32_t u32 = 0;
  uint16_t u16 = 0;
  uint8_t u8 = 0;
  auto simple = [&](ActionType t) -> OfResult<Action> {
    if (len != 8) return BadLen("simple", len);
    a.type = t;
    return a;
  };
  switch (type) {
    case k13Output:
      if (len != 16) return BadLen("output", len);
      (void)(r.U32(&a.port) && r.U16(&a.max_len));
      a.type = ActionType::kOutput;
      if (a.port == 0 || (a.port > kPortMax && a.port < kPortInPort) || a.port == kPortAny)
        return Fail(Err::kActBadOutPort, fmt::format("output to port {:#x}", a.port));
      return a;
    case k13CopyTtlOut: return simple(ActionType::kCopyTtlOut);
    case k13CopyTtlIn: return simple(ActionType::kCopyTtlIn);
    case k13DecMplsTtl: return simple(ActionType::kDecMplsTtl);
    case k13PopVlan: return simple(ActionType::kStripVlan);
    case k13DecNwTtl: return simple(ActionType::kDecNwTtl);
    case k13SetMplsTtl:
    case k13SetNwTtl:
      if (len != 8) return BadLen("set_ttl", len);
      (void)r.U8(&u8);
      a.type = type == k13SetNwTtl ? ActionType::kSetNwTtl : ActionType::kSetMplsTtl, a.value = u8;
      return a;
    case k13PushVlan:
    case k13PushMpls:
    case k13PopMpls:
      if (len != 8) return BadLen("push/pop", len);
      (void)r.U16(&u16);
      a.type = type == k13PushVlan ? ActionType::kPushVlan
               : type == k13PushMpls ? ActionType::kPushMpls : ActionType::kPopMpls;
      a.value = u16;
      if (type == k13PushVlan && u16 != 0x8100 && u16 != 0x88a8)
        return Fail(Err::kActBadArgument, fmt::format("push_vlan ethertype {:#06x}", u16));
      return a;
    case k13SetQueue:
    case k13Group:
      if (len != 8) return BadLen("group/set_queue", len);
      (void)r.U32(&u32);
      a.type = type == k13Group ? ActionType::kGroup : ActionType::kSetQueue, a.port = u32;
      return a;
    case k13SetField: {
      auto f = DecodeFieldTlv(r.rest().first(len - 4), version >= kOf15);
      if (!f.ok()) return f.error();
      if (len != (4 + 4 + f->len * (f->has_mask ? 2 : 1) + 7) / 8 * 8)
        return BadLen("set_field", len);
      a.type = ActionType::kSetField, a.field = *f;
      return a;
    }
    default:
      return Fail(Err::kActBadType, fmt::format("unknown action type {}", type));
  }
}

}  // namespace

OfResult<Actions> DecodeActions(ByteView b, uint8_t version) {
  Actions out;
  Reader r(b);
  while (!r.empty()) {
    uint16_t type, len;
    if (!r.U16(&type) || !r.U16(&len))
      return Fail(Err::kActBadLen, fmt::format("{} bytes left: truncated action header", r.left() + (r.left() ? 0 : 0)));
    if (len < 8 || len % 8 || static_cast<size_t>(len - 4) > r.left())
      return Fail(Err::kActBadLen, fmt::format("action type {} with length {} ({} bytes left)", type,
                                               len, r.left() + 4));
    if (out.size() >= kMaxActions)
      return Fail(Err::kActTooMany, fmt::format("more than {} actions", kMaxActions));
    ByteView body;
    (void)r.Sub(len - 4, &body);
    Reader br(body);
    OfResult<Action> a = Error{};
    if (type == kExperimenterType) {
      uint32_t vendor;
      (void)br.U32(&vendor);
      if (vendor != kNxVendor)
        return Fail(Err::kActBadExperimenter, fmt::format("action experimenter {:#010x}", vendor));
      a = DecodeNx(br, len);
    } else if (version == kOf10) {
      a = Decode10(br, type, len);
    } else {
      a = Decode13(br, type, len, version);
    }
    if (!a.ok()) return a.error();
    out.push_back(std::move(*a));
  }
  return out;
}

namespace {

void NxHeader(Writer& w, uint16_t len, uint16_t sub) {
  w.U16(kExperimenterType);
  w.U16(len);
  w.U32(kNxVendor);
  w.U16(sub);
}

OfResult<bool> EncodeNx(const Action& a, Writer& w, Bytes* out) {
  switch (a.type) {
    case ActionType::kResubmit:
      NxHeader(w, 16, a.table == 0xff ? kNxResubmit : kNxResubmitTable);
      w.U16(PortFits10(a.port) ? PortTo10(a.port) : 0xfff8);
      w.U8(a.table == 0xff ? 0 : a.table);
      w.Zeros(3);
      return true;
    case ActionType::kRegMove:
      NxHeader(w, 24, kNxRegMove);
      w.U16(a.src.n_bits), w.U16(a.src.ofs), w.U16(a.dst.ofs);
      w.U32(SubFieldHeader(a.src)), w.U32(SubFieldHeader(a.dst));
      return true;
    case ActionType::kRegLoad:
    case ActionType::kOutputReg: {
      const SubField& s = a.type == ActionType::kRegLoad ? a.dst : a.src;
      NxHeader(w, 24, a.type == ActionType::kRegLoad ? kNxRegLoad : kNxOutputReg);
      w.U16(static_cast<uint16_t>(s.ofs << 6 | (s.n_bits - 1)));
      w.U32(SubFieldHeader(s));
      if (a.type == ActionType::kRegLoad) {
        w.U64(a.value);
      } else {
        w.U16(a.max_len);
        w.Zeros(6);
      }
      return true;
    }
    case ActionType::kNote: {
      size_t start = w.size();
      NxHeader(w, 0, kNxNote);
      w.Raw(a.note.data(), a.note.size());
      w.PadTo(start, 8);
      if (w.size() - start < 16) w.Zeros(16 - (w.size() - start));
      w.Patch16(start + 2, static_cast<uint16_t>(w.size() - start));
      return true;
    }
    case ActionType::kDecTtl:
      NxHeader(w, 16, kNxDecTtl);
      w.Zeros(6);
      return true;
    case ActionType::kController:
      NxHeader(w, 16, kNxController);
      w.U16(a.max_len), w.U16(a.controller_id), w.U8(a.reason), w.U8(0);
      return true;
    case ActionType::kConjunction:
      NxHeader(w, 16, kNxConjunction);
      w.U8(a.clause), w.U8(a.n_clauses), w.U32(a.conj_id);
      return true;
    case ActionType::kRegLoad2: {
      size_t start = w.size();
      NxHeader(w, 0, kNxRegLoad2);
      Match m;
      m.fields.push_back(a.field);
      auto n = EncodeTlvs(m, TlvFormat::kOxm, out);
      if (!n.ok()) return Fail(Err::kActBadSetType, n.error().detail);
      w.PadTo(start, 8);
      w.Patch16(start + 2, static_cast<uint16_t>(w.size() - start));
      return true;
    }
    default:
      return Fail(Err::kActBadType, "not a Nicira action");
  }
}

bool IsNx(ActionType t) { return t >= ActionType::kResubmit; }

OfResult<bool> Encode10(const Action& a, Writer& w) {
  auto port10 = [&](uint32_t p) -> OfResult<uint16_t> {
    if (!PortFits10(p)) return Fail(Err::kActBadOutPort, fmt::format("port {} in OF1.0", p));
    return PortTo10(p);
  };
  switch (a.type) {
    case ActionType::kOutput: {
      auto p = port10(a.port);
      if (!p.ok()) return p.error();
      w.U16(k10Output), w.U16(8), w.U16(*p), w.U16(a.max_len);
      return true;
    }
    case ActionType::kEnqueue: {
      auto p = port10(a.port);
      if (!p.ok()) return p.error();
      w.U16(k10Enqueue), w.U16(16), w.U16(*p), w.Zeros(6), w.U32(static_cast<uint32_t>(a.value));
      return true;
    }
    case ActionType::kSetVlanVid: w.U16(k10SetVlanVid), w.U16(8), w.U16(static_cast<uint16_t>(a.value)), w.U16(0); return true;
    case ActionType::kSetVlanPcp: w.U16(k10SetVlanPcp), w.U16(8), w.U8(static_cast<uint8_t>(a.value)), w.Zeros(3); return true;
    case ActionType::kStripVlan: w.U16(k10StripVlan), w.U16(8), w.Zeros(4); return true;
    case ActionType::kSetDlSrc:
    case ActionType::kSetDlDst:
      w.U16(a.type == ActionType::kSetDlSrc ? k10SetDlSrc : k10SetDlDst), w.U16(16);
      w.Raw(a.mac, 6), w.Zeros(6);
      return true;
    case ActionType::kSetNwSrc:
    case ActionType::kSetNwDst:
      w.U16(a.type == ActionType::kSetNwSrc ? k10SetNwSrc : k10SetNwDst), w.U16(8);
      w.U32(static_cast<uint32_t>(a.value));
      return true;
    case ActionType::kSetNwTos: w.U16(k10SetNwTos), w.U16(8), w.U8(static_cast<uint8_t>(a.value)), w.Zeros(3); return true;
    case ActionType::kSetTpSrc:
    case ActionType::kSetTpDst:
      w.U16(a.type == ActionType::kSetTpSrc ? k10SetTpSrc : k10SetTpDst), w.U16(8);
      w.U16(static_cast<uint16_t>(a.value)), w.U16(0);
      return true;
    default:
      return Fail(Err::kActBadType, "action has no OpenFlow 1.0 encoding");
  }
}

// OF1.3+: the OF1.0-only set actions become set_field.
OfResult<bool> SetFieldOf(const Action& a, MatchField* f) {
  Match m;
  switch (a.type) {
    case ActionType::kSetVlanVid: m.AddInt(Field::kVlanVid, a.value | 0x1000, 2); break;
    case ActionType::kSetVlanPcp: m.AddInt(Field::kVlanPcp, a.value, 1); break;
    case ActionType::kSetDlSrc: m.Add(Field::kEthSrc, a.mac, nullptr, 6); break;
    case ActionType::kSetDlDst: m.Add(Field::kEthDst, a.mac, nullptr, 6); break;
    case ActionType::kSetNwSrc: m.AddInt(Field::kIpv4Src, a.value, 4); break;
    case ActionType::kSetNwDst: m.AddInt(Field::kIpv4Dst, a.value, 4); break;
    case ActionType::kSetNwTos: m.AddInt(Field::kIpDscp, a.value >> 2, 1); break;
    default: return Fail(Err::kActBadType, "action has no OpenFlow 1.3 encoding");
  }
  *f = m.fields[0];
  return true;
}

OfResult<bool> Encode13(const Action& a, Writer& w, Bytes* out) {
  auto simple = [&](uint16_t t) { w.U16(t), w.U16(8), w.Zeros(4); return true; };
  switch (a.type) {
    case ActionType::kOutput: w.U16(k13Output), w.U16(16), w.U32(a.port), w.U16(a.max_len), w.Zeros(6); return true;
    case ActionType::kStripVlan: return simple(k13PopVlan);
    case ActionType::kDecNwTtl: return simple(k13DecNwTtl);
    case ActionType::kCopyTtlOut: return simple(k13CopyTtlOut);
    case ActionType::kCopyTtlIn: return simple(k13CopyTtlIn);
    case ActionType::kDecMplsTtl: return simple(k13DecMplsTtl);
    case ActionType::kSetNwTtl:
    case ActionType::kSetMplsTtl:
      w.U16(a.type == ActionType::kSetNwTtl ? k13SetNwTtl : k13SetMplsTtl), w.U16(8);
      w.U8(static_cast<uint8_t>(a.value)), w.Zeros(3);
      return true;
    case ActionType::kPushVlan:
    case ActionType::kPushMpls:
    case ActionType::kPopMpls:
      w.U16(a.type == ActionType::kPushVlan ? k13PushVlan
            : a.type == ActionType::kPushMpls ? k13PushMpls : k13PopMpls);
      w.U16(8), w.U16(static_cast<uint16_t>(a.value)), w.U16(0);
      return true;
    case ActionType::kGroup:
    case ActionType::kSetQueue:
      w.U16(a.type == ActionType::kGroup ? k13Group : k13SetQueue), w.U16(8), w.U32(a.port);
      return true;
    default: break;
  }
  MatchField f;
  if (a.type == ActionType::kSetField) {
    f = a.field;
  } else {
    auto ok = SetFieldOf(a, &f);
    if (!ok.ok()) return ok.error();
  }
  size_t start = w.size();
  w.U16(k13SetField), w.U16(0);
  Match m;
  m.fields.push_back(f);
  auto n = EncodeTlvs(m, TlvFormat::kOxm, out);
  if (!n.ok()) return Fail(Err::kActBadSetType, n.error().detail);
  w.PadTo(start, 8);
  w.Patch16(start + 2, static_cast<uint16_t>(w.size() - start));
  return true;
}

}  // namespace

OfResult<bool> EncodeActions(const Actions& actions, uint8_t version, Bytes* out) {
  Writer w(out);
  for (const Action& a : actions) {
    OfResult<bool> r = IsNx(a.type)             ? EncodeNx(a, w, out)
                       : version == kOf10       ? Encode10(a, w)
                                                : Encode13(a, w, out);
    if (!r.ok()) return r.error();
  }
  return true;
}

OfResult<Instructions> DecodeInstructions(ByteView b, uint8_t version) {
  Instructions in;
  Reader r(b);
  uint32_t seen = 0;
  while (!r.empty()) {
    uint16_t type, len;
    if (!r.U16(&type) || !r.U16(&len) || len < 8 || len % 8 || static_cast<size_t>(len - 4) > r.left())
      return Fail(Err::kInstBadLen, "instruction header or length is wrong");
    ByteView body;
    (void)r.Sub(len - 4, &body);
    Reader br(body);
    if (type == kExperimenterType)
      return Fail(Err::kInstBadExperimenter, "experimenter instructions are not supported");
    if (type < kInstGoto || type > kInstMeter)
      return Fail(Err::kInstUnknown, fmt::format("unknown instruction type {}", type));
    if (seen & (1u << type)) return Fail(Err::kInstDup, fmt::format("instruction {} twice", type));
    seen |= 1u << type;
    switch (type) {
      case kInstGoto: {
        uint8_t t;
        if (len != 8 || !br.U8(&t)) return Fail(Err::kInstBadLen, "goto_table length");
        in.goto_table = t;
        break;
      }
      case kInstWriteMetadata: {
        uint64_t v, m;
        if (len != 24 || !(br.Skip(4) && br.U64(&v) && br.U64(&m)))
          return Fail(Err::kInstBadLen, "write_metadata length");
        in.write_metadata = std::make_pair(v, m);
        break;
      }
      case kInstWrite:
      case kInstApply: {
        (void)br.Skip(4);
        auto acts = DecodeActions(br.rest(), version);
        if (!acts.ok()) return acts.error();
        (type == kInstApply ? in.apply : in.write) = std::move(*acts);
        break;
      }
      case kInstClear:
        if (len != 8) return Fail(Err::kInstBadLen, "clear_actions length");
        in.clear_actions = true;
        break;
      case kInstMeter: {
        uint32_t id;
        if (len != 8 || !br.U32(&id)) return Fail(Err::kInstBadLen, "meter length");
        in.meter = id;
        break;
      }
    }
  }
  return in;
}

OfResult<bool> EncodeInstructions(const Instructions& in, uint8_t version, Bytes* out) {
  Writer w(out);
  if (in.meter) w.U16(kInstMeter), w.U16(8), w.U32(*in.meter);
  auto list = [&](uint16_t type, const Actions& a) -> OfResult<bool> {
    size_t start = w.size();
    w.U16(type), w.U16(0), w.Zeros(4);
    auto r = EncodeActions(a, version, out);
    if (!r.ok()) return r;
    w.Patch16(start + 2, static_cast<uint16_t>(w.size() - start));
    return true;
  };
  if (in.apply) {
    auto r = list(kInstApply, *in.apply);
    if (!r.ok()) return r;
  }
  if (in.clear_actions) w.U16(kInstClear), w.U16(8), w.Zeros(4);
  if (in.write) {
    auto r = list(kInstWrite, *in.write);
    if (!r.ok()) return r;
  }
  if (in.write_metadata) {
    w.U16(kInstWriteMetadata), w.U16(24), w.Zeros(4);
    w.U64(in.write_metadata->first), w.U64(in.write_metadata->second);
  }
  if (in.goto_table) w.U16(kInstGoto), w.U16(8), w.U8(*in.goto_table), w.Zeros(3);
  return true;
}

}  // namespace vs::openflow
