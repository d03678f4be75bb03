#include "transport/codec/json_detail.hpp"

#include "core/clock.hpp"
#include "core/text.hpp"
#include "transport/codec/json_codec.hpp"

namespace relay::codec::detail {

json::value nullable(const std::string& s) {
  if (s.empty()) return nullptr;
  return json::string(s);
}

json::value nullable_time(const std::optional<std::int64_t>& t) {
  if (!t) return nullptr;
  return json::string(format_iso8601(*t));
}

json::object author_json(const storage::author_row& a) {
  return {{"id", a.id}, {"login", a.login}, {"name", a.name}, {"avatarUrl", a.avatar_url}};
}

json::object message_json(const storage::message_row& m) {
  return {{"id", m.id},
          {"roomId", m.room_id},
          {"channelId", nullable(m.channel_id)},
          {"seq", m.seq},
          {"author", author_json(m.author)},
          {"content", m.content},
          {"clientMsgId", nullable(m.client_msg_id)},
          {"createdAt", format_iso8601(m.created_at)},
          {"editedAt", nullable_time(m.edited_at)},
          {"reactions", json::object{}},
          {"threadId", nullable(m.thread_id)},
          {"bot", nullable(m.bot)}};
}

json::object channel_json(const storage::channel_row& c, std::int64_t members) {
  return {{"id", c.id},
          {"slug", c.slug},
          {"name", c.name},
          {"visibility", c.visibility},
          {"memberCount", members},
          {"createdBy", c.created_by},
          {"createdAt", format_iso8601(c.created_at)}};
}

error_info bad(errc c, std::string msg) {
  return make_error(c, std::move(msg));
}

// Parses text as a JSON object, mapping every parse failure to a client error.
std::variant<json::object, error_info> parse_object(std::string_view text) {
  if (!valid_utf8(text)) return bad(errc::invalid_utf8, "body is not valid UTF-8");
  json::error_code ec;
  json::parse_options opts;
  opts.max_depth = 16;
  auto v = json::parse(text, ec, {}, opts);
  if (ec) {
    // Boost.JSON reports bad UTF-8 escapes (lone surrogates) as syntax errors;
    // raw invalid bytes are caught before parsing by the session.
    return bad(errc::bad_request, "malformed JSON: " + ec.message());
  }
  if (!v.is_object()) return bad(errc::bad_request, "expected a JSON object");
  return std::move(v.as_object());
}

// Reads an optional string field: absent -> fallback; null -> fallback when allowed.
std::optional<error_info> read_string(const json::object& o, std::string_view key, std::string& out,
                                      bool required, bool nullable_ok) {
  auto it = o.find(key);
  if (it == o.end() || (it->value().is_null() && nullable_ok)) {
    if (required) return bad(errc::missing_field, "missing field '" + std::string(key) + "'");
    return std::nullopt;
  }
  if (!it->value().is_string())
    return bad(errc::bad_request, "field '" + std::string(key) + "' must be a string");
  out.assign(it->value().as_string().begin(), it->value().as_string().end());
  return std::nullopt;
}

std::optional<error_info> read_channel(const json::object& o, std::string& out) {
  std::string raw;
  if (auto e = read_string(o, "channelId", raw, false, true)) return e;
  out = channel_from_wire(raw);
  return std::nullopt;
}

json::object room_json(const storage::room_row& r, const std::optional<storage::user_row>& owner) {
  json::value colors = json::array{};
  json::error_code ec;
  if (auto parsed = json::parse(r.accent_colors, ec); !ec && parsed.is_array()) colors = parsed;
  json::value owner_v = nullptr;
  if (owner)
    owner_v = json::object{{"id", owner->id},
                           {"login", owner->login},
                           {"name", owner->name},
                           {"avatarUrl", owner->avatar_url}};
  json::object o{{"id", r.id},
                 {"slug", r.slug},
                 {"displayName", r.display_name},
                 {"description", r.description},
                 {"accentColors", colors},
                 {"avatarUrl", nullable(r.avatar_url)},
                 {"owner", owner_v},
                 {"settings", json::object{{"whitelistOnly", r.whitelist_only}}},
                 {"createdAt", format_iso8601(r.created_at)}};
  return o;
}

}  // namespace relay::codec::detail
