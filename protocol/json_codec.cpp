#include "protocol/json_codec.hpp"

#include "protocol/json_detail.hpp"

#include <boost/json.hpp>

#include "core/clock.hpp"
#include "core/stream_cursors.hpp"
#include "core/text.hpp"

namespace json = boost::json;

namespace relay::codec {

using namespace detail;

std::string wire_channel_key(const std::string& channel_id) {
  return channel_id.empty() ? std::string{lobby_key} : channel_id;
}

std::string channel_from_wire(std::string_view key) {
  return key == lobby_key ? std::string{} : std::string{key};
}

client_frame decode_client_frame(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return client_bad{std::move(*e), {}};
  auto& o = std::get<json::object>(parsed);
  std::string client_msg_id;
  // Echo the id on errors whenever we can read one, so clients can match failures.
  if (auto it = o.find("clientMsgId"); it != o.end() && it->value().is_string())
    client_msg_id.assign(it->value().as_string().begin(), it->value().as_string().end());
  std::string type;
  if (auto e = read_string(o, "type", type, true, false)) return client_bad{*e, client_msg_id};
  if (type == "send") {
    client_send s;
    if (auto e = read_string(o, "clientMsgId", s.client_msg_id, true, false))
      return client_bad{*e, client_msg_id};
    if (s.client_msg_id.empty() || s.client_msg_id.size() > 128)
      return client_bad{bad(errc::bad_request, "clientMsgId must be 1..128 characters"), {}};
    if (auto e = read_string(o, "content", s.content, true, false))
      return client_bad{*e, client_msg_id};
    if (auto e = read_channel(o, s.channel_id)) return client_bad{*e, client_msg_id};
    return s;
  }
  if (type == "typing") {
    client_typing t;
    if (auto e = read_channel(o, t.channel_id)) return client_bad{*e, client_msg_id};
    return t;
  }
  if (type == "ping") return client_ping{};
  return client_bad{bad(errc::invalid_frame, "unknown frame type '" + type + "'"), client_msg_id};
}

std::variant<post_body, error_info> decode_post_body(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  post_body b;
  if (auto e = read_string(o, "content", b.content, true, false)) return *e;
  if (auto e = read_channel(o, b.channel_id)) return *e;
  if (auto e = read_string(o, "clientMsgId", b.client_msg_id, false, true)) return *e;
  if (b.client_msg_id.size() > 128)
    return bad(errc::bad_request, "clientMsgId over 128 characters");
  return b;
}

std::variant<edit_body, error_info> decode_edit_body(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  edit_body b;
  if (auto e = read_string(std::get<json::object>(parsed), "content", b.content, true, false))
    return *e;
  return b;
}

std::variant<channel_body, error_info> decode_channel_body(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  channel_body b;
  if (auto e = read_string(o, "name", b.name, true, false)) return *e;
  if (auto e = read_string(o, "slug", b.slug, true, false)) return *e;
  b.visibility = "public";
  if (auto e = read_string(o, "visibility", b.visibility, false, true)) return *e;
  return b;
}

std::variant<token_body, error_info> decode_token_body(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  token_body b;
  if (auto e = read_string(std::get<json::object>(parsed), "name", b.name, false, true)) return *e;
  return b;
}

std::string encode_message(const storage::message_row& m) {
  std::string out;
  append_message(out, m);
  return out;
}

std::string encode_user(const storage::user_row& u) {
  json::object o{{"id", u.id},
                 {"githubId", u.github_id ? json::value(*u.github_id) : json::value(nullptr)},
                 {"login", u.login},
                 {"name", u.name},
                 {"avatarUrl", u.avatar_url},
                 {"email", nullable(u.email)}};
  return serialize(o);
}

std::string encode_room(const storage::room_row& r, const std::optional<storage::user_row>& owner) {
  return serialize(room_json(r, owner));
}

std::string encode_channel(const storage::channel_row& c, std::int64_t member_count) {
  return serialize(channel_json(c, member_count));
}

std::string encode_channel_list(const std::vector<storage::channel_row>& cs) {
  json::array a;
  for (auto& c : cs) a.push_back(channel_json(c, c.member_count));
  return serialize(json::object{{"channels", std::move(a)}});
}

std::string encode_message_page(const std::vector<storage::message_row>& ms, bool more,
                                bool by_seq) {
  std::string out = R"({"messages":)";
  append_messages(out, ms);
  json::value next = nullptr;
  if (more && !ms.empty() && by_seq)
    next = json::object{{"afterSeq", ms.back().seq}};
  else if (more && !ms.empty())
    next = json::object{{"beforeCreatedAt", format_iso8601(ms.back().created_at)},
                        {"beforeId", ms.back().id}};
  out.append(R"(,"next":)");
  out.append(serialize(next));
  out.push_back('}');
  return out;
}

namespace {

json::object token_json(const storage::token_row& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"createdAt", format_iso8601(t.created_at)},
          {"revokedAt", nullable_time(t.revoked_at)}};
}

}  // namespace

std::string encode_token_list(const std::vector<storage::token_row>& ts) {
  json::array a;
  for (auto& t : ts) a.push_back(token_json(t));
  return serialize(json::object{{"tokens", std::move(a)}});
}

std::string encode_new_token(const storage::token_row& t, const std::string& secret) {
  auto o = token_json(t);
  o["token"] = secret;
  return serialize(o);
}

std::string encode_error_body(const error_info& e) {
  return serialize(json::object{{"error", e.message}, {"code", code_name(e.code)}});
}

std::string encode_health(const health_checks& checks, std::int64_t ts) {
  return serialize(json::object{{"ok", checks.ok()},
                                {"ts", format_iso8601(ts)},
                                {"checks", json::object{{"server", "ok"},
                                                        {"redis", checks.redis},
                                                        {"sqlite", checks.sqlite},
                                                        {"postgres", checks.postgres}}}});
}

std::string encode_sync(const std::vector<storage::message_row>& ms,
                        const std::map<std::string, std::int64_t>& seqs) {
  std::string out = R"({"type":"sync","messages":)";
  append_messages(out, ms);
  json::object s;
  for (auto& [ch, seq] : seqs) s[wire_channel_key(ch)] = seq;
  out.append(R"(,"seqs":)");
  out.append(serialize(s));
  out.push_back('}');
  return out;
}

std::string encode_message_frame(const storage::message_row& m) {
  std::string out = R"({"type":"message","clientMsgId":)";
  append_nullable(out, m.client_msg_id);
  out.append(R"(,"message":)");
  append_message(out, m);
  out.push_back('}');
  return out;
}

std::string encode_ack(const storage::message_row& m) {
  return serialize(json::object{{"type", "ack"},
                                {"clientMsgId", m.client_msg_id},
                                {"serverId", m.id},
                                {"createdAt", format_iso8601(m.created_at)},
                                {"seq", m.seq}});
}

std::string encode_error_frame(const error_info& e, std::string_view client_msg_id) {
  json::object o{{"type", "error"}};
  if (!client_msg_id.empty()) o["clientMsgId"] = client_msg_id;
  o["error"] = e.message;
  o["code"] = code_name(e.code);
  return serialize(o);
}

std::string encode_pong() {
  return R"({"type":"pong"})";
}

std::string encode_message_updated(const storage::message_row& m) {
  std::string out = R"({"type":"message_updated","message":)";
  append_message(out, m);
  out.push_back('}');
  return out;
}

std::string encode_message_deleted(const std::string& message_id, const std::string& channel_id) {
  return serialize(json::object{
      {"type", "message_deleted"}, {"messageId", message_id}, {"channelId", nullable(channel_id)}});
}

std::string encode_reaction(bool added, const storage::message_row& m, const std::string& emoji,
                            const storage::user_row& u) {
  return serialize(json::object{
      {"type", added ? "reaction_added" : "reaction_removed"},
      {"channelId", nullable(m.channel_id)},
      {"messageId", m.id},
      {"emoji", emoji},
      {"user",
       json::object{
           {"id", u.id}, {"login", u.login}, {"name", u.name}, {"avatarUrl", u.avatar_url}}},
      {"reactions", reactions_json(m.reactions)}});
}

std::string encode_channel_created(const storage::channel_row& c) {
  return serialize(
      json::object{{"type", "channel_created"}, {"channel", channel_json(c, c.member_count)}});
}

std::string encode_typing(const std::string& channel_id, const storage::user_row& u) {
  return serialize(json::object{
      {"type", "typing"},
      {"channelId", nullable(channel_id)},
      {"user",
       json::object{
           {"id", u.id}, {"login", u.login}, {"name", u.name}, {"avatarUrl", u.avatar_url}}}});
}

std::string event_id(const std::string& channel_id, std::int64_t seq) {
  return wire_channel_key(channel_id) + ":" + std::to_string(seq);
}

std::optional<std::map<std::string, std::int64_t>> parse_resume(std::string_view text) {
  std::map<std::string, std::int64_t> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    auto id = split_event_id(item);
    if (!id) return std::nullopt;
    out[channel_from_wire(id->first)] = id->second;
  }
  return out;
}

}  // namespace relay::codec
