// libFuzzer entry point for the OpenFlow codecs: decodes any input as one message and,
// when it decodes, re-encodes what can be re-encoded and decodes that again, which must
// succeed. Crashes, sanitizer reports and failed checks are the findings. The fuzz
// build is set up elsewhere; openflow_test calls this function on malformed inputs so
// the normal build exercises it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "openflow/messages.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void ReencodeFlowMod(const vs::openflow::Header& h, const vs::openflow::FlowMod& fm) {
  auto bytes = vs::openflow::EncodeFlowMod(h.version, h.xid, fm);
  if (!bytes.ok()) return;  // e.g. a match OF1.0 cannot express after normalisation
  auto again = vs::openflow::Decode(*bytes);
  Check(again.ok());
}

void ReencodeMultipart(const vs::openflow::Header& h, const vs::openflow::MultipartRequest& mp) {
  auto bytes = vs::openflow::EncodeMultipartRequest(h.version, h.xid, mp);
  if (!bytes.ok()) return;
  auto again = vs::openflow::Decode(*bytes);
  Check(again.ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vs::openflow;
  ByteView in(data, size);
  auto hdr = DecodeHeader(in);
  if (hdr.ok() && hdr->length <= size) in = in.first(hdr->length);
  auto msg = Decode(in);
  if (!msg.ok()) {
    // Every refusal must be encodable as an error reply quoting the request.
    Bytes err = EncodeError(msg.error().kind, hdr.ok() ? hdr->version : kOf10,
                            hdr.ok() ? hdr->xid : 0, in);
    Check(err.size() >= 12 && err.size() <= 12 + 8 + kErrorQuoteLen);
    return 0;
  }
  if (const auto* fm = std::get_if<FlowMod>(&msg->body)) ReencodeFlowMod(msg->header, *fm);
  if (const auto* mp = std::get_if<MultipartRequest>(&msg->body))
    ReencodeMultipart(msg->header, *mp);
  if (const auto* e = std::get_if<EchoRequest>(&msg->body)) {
    Bytes rep = EncodeEcho(msg->header.version, kEchoReply, msg->header.xid, e->data);
    Check(Decode(rep).ok());
  }
  return 0;
}
