// numavs-switchd's side of "nothing silently ignored" (support.h): the
// unsupported settings in use are logged once per change, refused ones keep
// their interfaces down, reported ones appear in the rows' status, and
// numavs/unsupported and numavs/schema-support show them.
#include <fmt/format.h>

#include "base/log.h"
#include "switchd/support.h"
#include "switchd/switchd.h"

namespace vs::switchd {
namespace {

log::Module& kLog = log::GetModule("bridge");

using ovsdb::client::GetStringMap;
using ovsdb::client::MakeStringMap;
using ovsdb::client::MakeUuid;

std::string FindingId(const Finding& f) {
  return fmt::format("{} {} {}:{}", f.table, f.row.ToString(), f.column, f.key);
}

constexpr std::string_view kStatusPrefix = "unsupported:";

}  // namespace

void Switchd::UpdateFindings() {
  findings_ = FindUnsupported(idl_);
  std::map<std::string, std::string> now;
  for (const Finding& f : findings_) {
    std::string text = f.Text();
    std::string id = FindingId(f);
    auto old = reported_.find(id);
    if (old == reported_.end() || old->second != text) VS_LOG_WARN(kLog, "{}", text);
    now[id] = std::move(text);
  }
  for (const auto& [id, text] : reported_)
    if (!now.count(id)) VS_LOG_INFO(kLog, "no longer in use: {}", text);
  reported_ = std::move(now);
}

std::string Switchd::Refusal(const PortConfig& p, const InterfaceConfig& i) const {
  for (const Finding& f : findings_) {
    if (f.support != Support::kRefused) continue;
    if ((f.table == "Port" && f.row == p.uuid) || (f.table == "Interface" && f.row == i.uuid))
      return f.Text();
  }
  return {};
}

void Switchd::Refuse(const BridgeConfig& b, const InterfaceConfig& cfg, const std::string& why,
                     Iface* in) {
  if (in->dev) {
    VS_LOG_INFO(kLog, "bridge {}: interface {} goes down: {}", b.name, cfg.name, why);
    CloseInterface(in);
  }
  in->hold.reset();
  in->cfg = cfg;
  in->bridge = b.name;
  in->error = why;  // logged by UpdateFindings once
}

void Switchd::AddFindingStatus(const Uuid& iface, std::map<std::string, std::string>* status) const {
  for (const Finding& f : findings_)
    if (f.table == "Interface" && f.row == iface) (*status)[f.StatusKey()] = f.Text();
}

// Bridge.status and Port.status: the keys of other writers are kept.
void Switchd::AppendStatusOps(Json* ops) const {
  for (const char* table : {"Bridge", "Port"}) {
    const auto* rows = idl_.table(table);
    if (!rows) continue;
    for (const auto& [u, row] : *rows) {
      std::map<std::string, std::string> have = GetStringMap(row, "status");
      std::map<std::string, std::string> want;
      for (const auto& [k, v] : have)
        if (k.compare(0, kStatusPrefix.size(), kStatusPrefix) != 0) want[k] = v;
      for (const Finding& f : findings_)
        if (f.table == table && f.row == u) want[f.StatusKey()] = f.Text();
      if (want == have) continue;
      ops->push_back({{"op", "update"},
                      {"table", table},
                      {"where", Json::array({Json::array({"_uuid", "==", MakeUuid(u)})})},
                      {"row", {{"status", MakeStringMap(want)}}}});
    }
  }
}

void Switchd::RegisterSupportCommands(ctl::UnixctlServer& ctl) {
  ctl.Register("numavs/unsupported", "", 0, 0,
               [this](const std::vector<std::string>&) -> Result<std::string> {
                 std::string out;
                 for (const Finding& f : findings_)
                   out += fmt::format("{}{}\n", f.support == Support::kRefused ? "refused: " : "",
                                      f.Text());
                 return out.empty() ? std::string("no unsupported settings in use\n") : out;
               });
  ctl.Register("numavs/schema-support", "", 0, 0,
               [](const std::vector<std::string>&) -> Result<std::string> {
                 return JsonToString(SupportTableJson()) + "\n";
               });
}

}  // namespace vs::switchd
