#include "protocol/mcp_codec.hpp"

#include <array>

namespace relay::mcp {

namespace json = boost::json;

namespace {

// Newest first. The SDKs in use send the newest they know and accept any of these back.
constexpr std::array versions{std::string_view{"2025-11-25"}, std::string_view{"2025-06-18"},
                              std::string_view{"2025-03-26"}, std::string_view{"2024-11-05"}};

}  // namespace

rpc_message read_message(const json::value& v) {
  rpc_message m;
  m.id = nullptr;
  auto* o = v.if_object();
  if (!o) {
    m.problem = "a message must be a JSON object";
    return m;
  }
  // An id that is neither string nor number cannot be echoed back meaningfully.
  auto* id = o->if_contains("id");
  bool id_ok = id && (id->is_string() || id->is_int64() || id->is_uint64() || id->is_double());
  if (id_ok) m.id = *id;
  auto* version = o->if_contains("jsonrpc");
  if (!version || !version->is_string() || version->get_string() != "2.0") {
    m.problem = "jsonrpc must be \"2.0\"";
    return m;
  }
  auto* method = o->if_contains("method");
  if (!method) {
    if (id_ok && (o->contains("result") || o->contains("error"))) {
      m.what = rpc_message::kind::response;
      return m;
    }
    m.problem = "method: required";
    return m;
  }
  if (!method->is_string()) {
    m.problem = "method must be a string";
    return m;
  }
  if (id && !id_ok) {
    m.problem = "id must be a string or a number";
    return m;
  }
  m.method = method->get_string();
  if (auto* p = o->if_contains("params")) {
    if (!p->is_object() && !p->is_array()) {
      m.problem = "params must be an object or an array";
      return m;
    }
    m.params = *p;
  }
  m.what = id_ok ? rpc_message::kind::request : rpc_message::kind::notification;
  return m;
}

json::object result(const json::value& id, json::value r) {
  return json::object{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(r)}};
}

json::object error(const json::value& id, int code, std::string_view message) {
  return json::object{{"jsonrpc", "2.0"},
                      {"id", id},
                      {"error", json::object{{"code", code}, {"message", message}}}};
}

std::string_view negotiate_version(std::string_view requested) {
  for (auto v : versions)
    if (v == requested) return v;
  return versions.front();
}

json::object initialize_result(std::string_view version) {
  return json::object{
      {"protocolVersion", version},
      {"capabilities", json::object{{"tools", json::object{{"listChanged", false}}}}},
      {"serverInfo", json::object{{"name", "relay"}, {"version", "0.1.0"}}},
      {"instructions",
       "Relay chat. Every tool acts as the user who owns the API token: it sees and may "
       "change exactly what that user can through Relay's REST API. Rooms are named by "
       "slug (\"lobby\" always exists); list_channels gives channel ids."}};
}

json::object call_result(std::string_view text, bool is_error) {
  json::object r{{"content", json::array{json::object{{"type", "text"}, {"text", text}}}},
                 {"isError", is_error}};
  json::error_code ec;
  auto parsed = json::parse(text, ec);
  if (!ec && parsed.is_object() && !is_error) r["structuredContent"] = std::move(parsed);
  return r;
}

}  // namespace relay::mcp
