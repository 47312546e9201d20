#include "base/json_parse.h"

#include <simdjson.h>

namespace vs {
namespace {

// Documents above this size are parsed with a parser of their own, so that a
// rare 64 MiB message does not leave its buffers behind in the thread's one.
constexpr size_t kKeepParserBelow = 1u << 20;

// The element's value as T; the caller has checked its type.
template <typename T>
T As(simdjson::dom::element e) {
  T v{};
  [[maybe_unused]] simdjson::error_code err = e.get(v);
  return v;
}

Json Build(simdjson::dom::element e) {
  using Type = simdjson::dom::element_type;
  switch (e.type()) {
    case Type::ARRAY: {
      Json out = Json::array();
      auto& v = out.get_ref<Json::array_t&>();
      auto a = As<simdjson::dom::array>(e);
      v.reserve(a.size());
      for (simdjson::dom::element x : a) v.push_back(Build(x));
      return out;
    }
    case Type::OBJECT: {
      Json out = Json::object();
      auto& m = out.get_ref<Json::object_t&>();
      for (simdjson::dom::key_value_pair kv : As<simdjson::dom::object>(e)) {
        m.insert_or_assign(std::string(kv.key), Build(kv.value));
      }
      return out;
    }
    case Type::INT64: {
      auto i = As<int64_t>(e);
      if (i >= 0) return Json(static_cast<uint64_t>(i));  // as Json::parse ("-0" aside: 0 here, signed there)
      return Json(i);
    }
    case Type::UINT64:
      return Json(As<uint64_t>(e));
    case Type::DOUBLE:
      return Json(As<double>(e));
    case Type::STRING:
      return Json(std::string(As<std::string_view>(e)));
    case Type::BOOL:
      return Json(As<bool>(e));
    case Type::NULL_VALUE:
      break;
  }
  return Json(nullptr);
}

std::optional<Json> Fallback(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

}  // namespace

std::optional<Json> ParseJson(std::string_view text) {
  thread_local simdjson::dom::parser kept;
  std::optional<simdjson::dom::parser> own;
  simdjson::dom::parser* parser = &kept;
  if (text.size() >= kKeepParserBelow) parser = &own.emplace();
  simdjson::dom::element root;
  if (parser->parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) return Fallback(text);
  return Build(root);
}

}  // namespace vs
