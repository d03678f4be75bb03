#include "protocol/room_codec.hpp"

#include "core/clock.hpp"
#include "core/text.hpp"
#include "protocol/json_detail.hpp"

namespace relay::codec {

using namespace detail;

namespace {

// Reads an optional array of strings; absent or null leaves `out` untouched.
std::optional<error_info> read_string_array(const json::object& o, std::string_view key,
                                            std::vector<std::string>& out, std::size_t max) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::nullopt;
  auto* a = it->value().if_array();
  if (!a || a->size() > max)
    return bad(errc::bad_request, "field '" + std::string(key) + "' must be an array of at most " +
                                      std::to_string(max) + " strings");
  for (auto& v : *a) {
    if (!v.is_string())
      return bad(errc::bad_request, "field '" + std::string(key) + "' must hold strings");
    out.emplace_back(v.as_string().begin(), v.as_string().end());
  }
  return std::nullopt;
}

// Accent colors: up to 8 short strings, stored as the JSON text of the array.
std::optional<error_info> read_colors(const json::object& o, std::optional<std::string>& out) {
  std::vector<std::string> colors;
  if (auto e = read_string_array(o, "accentColors", colors, 8)) return e;
  if (o.find("accentColors") == o.end()) return std::nullopt;
  json::array a;
  for (auto& c : colors) {
    if (c.size() > 32) return bad(errc::bad_request, "an accent color is at most 32 characters");
    a.emplace_back(c);
  }
  out = serialize(a);
  return std::nullopt;
}

std::optional<error_info> check_text(const std::string& v, const char* field, std::size_t max) {
  if (utf8_length(v) > max)
    return bad(errc::bad_request,
               std::string("field '") + field + "' is longer than " + std::to_string(max));
  return std::nullopt;
}

// What the client may show as an image (docs/web.md, "Avatars"): an http(s) URL with a
// host, or a path of Relay's own origin. `//host/x` and `/\host/x` are refused: browsers
// read both as another host (scheme-relative), not as a path.
bool is_avatar_url(std::string_view v) {
  for (char c : v)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '\\') return false;
  if (v.starts_with("https://")) return v.size() > 8 && v[8] != '/';
  if (v.starts_with("http://")) return v.size() > 7 && v[7] != '/';
  return v.starts_with('/') && !v.starts_with("//");
}

json::object whitelist_json(const storage::whitelist_row& w) {
  return {{"id", w.id},
          {"login", nullable(w.login)},
          {"email", nullable(w.email)},
          {"note", w.note},
          {"createdAt", format_iso8601(w.created_at)}};
}

json::object access_request_json(const storage::access_request_row& r) {
  return {{"id", r.id},
          {"roomId", r.room_id},
          {"user", json::object{{"id", r.user_id}, {"login", r.login}}},
          {"note", r.note},
          {"state", storage::to_string(r.state)},
          {"createdAt", format_iso8601(r.created_at)},
          {"decidedAt", nullable_time(r.decided_at)}};
}

}  // namespace

std::variant<room_body, error_info> decode_room_body(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  room_body b;
  if (auto e = read_string(o, "slug", b.slug, true, false)) return *e;
  if (auto e = read_string(o, "displayName", b.display_name, true, false)) return *e;
  if (auto e = read_string(o, "description", b.description, false, true)) return *e;
  std::optional<std::string> colors;
  if (auto e = read_colors(o, colors)) return *e;
  if (colors) b.accent_colors = *colors;
  b.display_name = std::string{trim(b.display_name)};
  if (b.display_name.empty()) return bad(errc::bad_request, "displayName must not be empty");
  if (auto e = check_text(b.display_name, "displayName", 80)) return *e;
  if (auto e = check_text(b.description, "description", 1000)) return *e;
  return b;
}

std::variant<storage::room_patch, error_info> decode_room_patch(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  storage::room_patch p;
  auto field = [&](const char* key, std::optional<std::string>& out,
                   std::size_t max) -> std::optional<error_info> {
    if (o.find(key) == o.end()) return std::nullopt;
    std::string v;
    if (auto e = read_string(o, key, v, false, true)) return e;
    if (auto e = check_text(v, key, max)) return e;
    out = std::move(v);
    return std::nullopt;
  };
  if (auto e = field("slug", p.slug, 64)) return *e;
  if (auto e = field("displayName", p.display_name, 80)) return *e;
  if (auto e = field("description", p.description, 1000)) return *e;
  if (auto e = field("avatarUrl", p.avatar_url, 2048)) return *e;
  if (auto e = read_colors(o, p.accent_colors)) return *e;
  if (p.display_name) {
    p.display_name = std::string{trim(*p.display_name)};
    if (p.display_name->empty()) return bad(errc::bad_request, "displayName must not be empty");
  }
  if (p.avatar_url && !p.avatar_url->empty() && !is_avatar_url(*p.avatar_url))
    return bad(errc::bad_request,
               "avatarUrl must be an http(s) URL or a path on this server starting with a "
               "single / (no spaces, control characters or backslashes)");
  return p;
}

std::variant<bool, error_info> decode_whitelist_mode(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  auto it = o.find("enabled");
  if (it == o.end()) return bad(errc::missing_field, "missing field 'enabled'");
  if (!it->value().is_bool()) return bad(errc::bad_request, "field 'enabled' must be a boolean");
  return it->value().as_bool();
}

std::variant<std::string, error_info> decode_typing_body(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  std::string channel;
  if (auto e = read_channel(std::get<json::object>(parsed), channel)) return *e;
  return channel;
}

std::variant<channel_create_body, error_info> decode_channel_create(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  channel_create_body b;
  if (auto e = read_string(o, "name", b.name, true, false)) return *e;
  if (auto e = read_string(o, "slug", b.slug, true, false)) return *e;
  if (auto e = read_string(o, "visibility", b.visibility, false, true)) return *e;
  if (auto e = read_string_array(o, "inviteLogins", b.invite_logins, 100)) return *e;
  return b;
}

std::variant<std::vector<std::string>, error_info> decode_dm_body(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  if (o.find("logins") == o.end()) return bad(errc::missing_field, "missing field 'logins'");
  std::vector<std::string> logins;
  if (auto e = read_string_array(o, "logins", logins, 16)) return *e;
  return logins;
}

std::variant<storage::whitelist_row, error_info> decode_whitelist_body(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  storage::whitelist_row w;
  if (auto e = read_string(o, "login", w.login, false, true)) return *e;
  if (auto e = read_string(o, "email", w.email, false, true)) return *e;
  if (auto e = read_string(o, "note", w.note, false, true)) return *e;
  w.login = std::string{trim(w.login)};
  w.email = std::string{trim(w.email)};
  if (w.login.empty() == w.email.empty())
    return bad(errc::bad_request, "give exactly one of 'login' or 'email'");
  if (!w.email.empty() && w.email.find('@') == std::string::npos)
    return bad(errc::bad_request, "email must contain '@'");
  if (auto e = check_text(w.login, "login", 100)) return *e;
  if (auto e = check_text(w.email, "email", 254)) return *e;
  if (auto e = check_text(w.note, "note", 500)) return *e;
  return w;
}

std::variant<std::string, error_info> decode_access_request_body(std::string_view text) {
  if (text.empty()) return std::string{};
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  std::string note;
  if (auto e = read_string(std::get<json::object>(parsed), "note", note, false, true)) return *e;
  if (auto e = check_text(note, "note", 500)) return *e;
  return note;
}

std::variant<storage::bot_row, error_info> decode_bot_body(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  storage::bot_row b;
  if (auto e = read_string(o, "login", b.user.login, true, false)) return *e;
  if (auto e = read_string(o, "name", b.user.name, false, true)) return *e;
  if (auto e = read_string(o, "agentId", b.agent_id, false, true)) return *e;
  if (auto e = read_string(o, "prefix", b.prefix, false, true)) return *e;
  if (b.user.name.empty()) b.user.name = b.user.login;
  if (auto e = check_text(b.user.name, "name", 80)) return *e;
  if (auto e = check_text(b.prefix, "prefix", 32)) return *e;
  return b;
}

namespace {

json::object bot_json(const storage::bot_row& b) {
  return {{"id", b.user.id},
          {"login", b.user.login},
          {"name", b.user.name},
          {"agentId", nullable(b.agent_id)},
          {"prefix", nullable(b.prefix)},
          {"createdAt", format_iso8601(b.created_at)}};
}

}  // namespace

std::string encode_bot(const storage::bot_row& b) {
  return serialize(bot_json(b));
}

std::string encode_bots(const std::vector<storage::bot_row>& bots) {
  json::array a;
  for (auto& b : bots) a.push_back(bot_json(b));
  return serialize(json::object{{"bots", std::move(a)}});
}

std::string encode_room_list(const std::vector<storage::room_row>& rooms) {
  json::array a;
  for (auto& r : rooms) a.push_back(room_json(r, std::nullopt));
  return serialize(json::object{{"rooms", std::move(a)}});
}

std::string encode_whitelist(const std::vector<storage::whitelist_row>& list) {
  json::array a;
  for (auto& w : list) a.push_back(whitelist_json(w));
  return serialize(json::object{{"entries", std::move(a)}});
}

std::string encode_whitelist_entry(const storage::whitelist_row& w) {
  return serialize(whitelist_json(w));
}

std::string encode_access_request(const storage::access_request_row& r) {
  return serialize(access_request_json(r));
}

std::string encode_access_requests(const std::vector<storage::access_request_row>& rs) {
  json::array a;
  for (auto& r : rs) a.push_back(access_request_json(r));
  return serialize(json::object{{"requests", std::move(a)}});
}

std::string encode_members(const std::vector<storage::user_row>& users) {
  json::array a;
  for (auto& u : users)
    a.push_back(json::object{
        {"id", u.id}, {"login", u.login}, {"name", u.name}, {"avatarUrl", u.avatar_url}});
  return serialize(json::object{{"members", std::move(a)}});
}

std::string encode_access_notification(const std::string& room_slug,
                                       const storage::access_request_row& r) {
  return serialize(json::object{
      {"roomSlug", room_slug}, {"requestId", r.id}, {"login", r.login}, {"note", r.note}});
}

std::string encode_branding(const storage::room_row& r,
                            const std::optional<storage::user_row>& owner) {
  return serialize(json::object{{"type", "branding"}, {"room", room_json(r, owner)}});
}

std::string encode_channel_deleted(const std::string& channel_id) {
  return serialize(json::object{{"type", "channel_deleted"}, {"channelId", channel_id}});
}

std::string encode_direct_created(const storage::channel_row& c) {
  return serialize(
      json::object{{"type", "direct_created"}, {"channel", channel_json(c, c.member_count)}});
}

}  // namespace relay::codec
