#include "protocol/presence_codec.hpp"

#include "protocol/json_detail.hpp"

namespace relay::codec {

using namespace detail;

namespace {

json::object profile_json(const storage::user_row& u) {
  return {{"id", u.id}, {"login", u.login}, {"name", u.name}, {"avatarUrl", u.avatar_url}};
}

}  // namespace

std::string encode_presence(const storage::user_row& u, bool online) {
  return serialize(json::object{
      {"type", "presence"}, {"user", profile_json(u)}, {"status", online ? "online" : "offline"}});
}

std::string encode_presence_list(const std::vector<storage::user_row>& users,
                                 std::int64_t ttl_seconds) {
  json::array a;
  for (auto& u : users) {
    auto o = profile_json(u);
    o["status"] = "online";
    a.push_back(std::move(o));
  }
  return serialize(json::object{{"users", std::move(a)}, {"ttlSeconds", ttl_seconds}});
}

std::string encode_profile(const storage::user_row& u) {
  return serialize(profile_json(u));
}

std::optional<storage::user_row> decode_profile(std::string_view text) {
  auto parsed = parse_object(text);
  auto* o = std::get_if<json::object>(&parsed);
  if (!o) return std::nullopt;
  storage::user_row u;
  for (auto [key, field] : {std::pair{"id", &u.id}, std::pair{"login", &u.login},
                            std::pair{"name", &u.name}, std::pair{"avatarUrl", &u.avatar_url}}) {
    auto* v = o->if_contains(key);
    if (!v || !v->is_string()) return std::nullopt;
    *field = std::string(v->as_string());
  }
  if (u.id.empty()) return std::nullopt;
  return u;
}

}  // namespace relay::codec
