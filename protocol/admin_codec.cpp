#include "protocol/admin_codec.hpp"

#include "core/clock.hpp"
#include "protocol/json_detail.hpp"

namespace relay::codec::admin {

using namespace detail;

namespace {

std::optional<error_info> read_ids(const json::object& o, std::string_view key,
                                   std::vector<std::string>& out) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::nullopt;
  auto* a = it->value().if_array();
  if (!a) return bad(errc::bad_request, "field '" + std::string(key) + "' must be an array");
  for (auto& v : *a) {
    if (!v.is_string()) return bad(errc::bad_request, "agent ids must be strings");
    out.emplace_back(v.as_string().begin(), v.as_string().end());
  }
  return std::nullopt;
}

json::object app_json(const storage::app_row& a) {
  json::array agents;
  for (auto& id : a.allowlist) agents.emplace_back(id);
  return {{"app_id", a.app_id},
          {"name", a.name},
          {"agents", std::move(agents)},
          {"created_at", format_iso8601(a.created_at)}};
}

}  // namespace

std::variant<storage::agent_row, error_info> decode_agent_body(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  storage::agent_row a;
  if (auto e = read_string(o, "agent_id", a.agent_id, true, false)) return *e;
  if (auto e = read_string(o, "name", a.name, false, true)) return *e;
  if (auto e = read_string(o, "description", a.description, false, true)) return *e;
  if (a.name.empty()) a.name = a.agent_id;
  return a;
}

std::variant<storage::app_row, error_info> decode_app_body(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  storage::app_row a;
  if (auto e = read_string(o, "app_id", a.app_id, true, false)) return *e;
  if (auto e = read_string(o, "name", a.name, false, true)) return *e;
  if (auto e = read_ids(o, "agents", a.allowlist)) return *e;
  if (auto e = read_ids(o, "allow", a.allowlist)) return *e;
  if (a.name.empty()) a.name = a.app_id;
  return a;
}

std::variant<std::vector<std::string>, error_info> decode_allowlist_body(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  if (o.find("agents") == o.end()) return bad(errc::missing_field, "missing field 'agents'");
  std::vector<std::string> ids;
  if (auto e = read_ids(o, "agents", ids)) return *e;
  return ids;
}

std::string encode_new_agent(const std::string& agent_id, const std::string& token) {
  return serialize(json::object{{"agent_id", agent_id}, {"token", token}});
}

std::string encode_new_app(const std::string& app_id, const std::string& token) {
  return serialize(json::object{{"app_id", app_id}, {"token", token}});
}

std::string encode_agent_list(const std::vector<storage::agent_row>& agents,
                              const std::vector<bool>& online) {
  json::array a;
  for (std::size_t i = 0; i < agents.size(); ++i) {
    auto& r = agents[i];
    a.push_back(json::object{{"agent_id", r.agent_id},
                             {"name", r.name},
                             {"description", r.description},
                             {"status", i < online.size() && online[i] ? "online" : "offline"},
                             {"last_seen", nullable_time(r.last_seen)},
                             {"events_served", r.events_served}});
  }
  return serialize(json::object{{"agents", std::move(a)}});
}

std::string encode_app(const storage::app_row& app) {
  return serialize(app_json(app));
}

std::string encode_app_list(const std::vector<storage::app_row>& apps) {
  json::array a;
  for (auto& r : apps) a.push_back(app_json(r));
  return serialize(json::object{{"apps", std::move(a)}});
}

}  // namespace relay::codec::admin
