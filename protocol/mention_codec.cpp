#include "protocol/mention_codec.hpp"

#include "protocol/json_codec.hpp"
#include "protocol/json_detail.hpp"

namespace relay::codec::mentions {

using namespace detail;

namespace {

json::object bot_json(const storage::user_row& u) {
  return {{"id", u.id}, {"login", u.login}, {"name", u.name}, {"avatarUrl", u.avatar_url}};
}

std::string string_field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return {};
  return std::string(it->value().as_string());
}

}  // namespace

std::string encode_mention_payload(const storage::message_row& m, const storage::room_row& room) {
  return serialize(json::object{
      {"event", "comment.mention"},
      {"message", message_json(m)},
      {"room",
       json::object{{"id", room.id}, {"slug", room.slug}, {"displayName", room.display_name}}},
      {"channel", nullable(m.channel_id)},
      {"author", author_json(m.author)},
      {"message_id", m.id}});
}

std::string encode_ai_token(const std::string& channel_id, const std::string& event_id,
                            const storage::user_row& bot, const std::string& token,
                            std::int64_t seq, const std::string& thread_id) {
  json::object o{{"type", "ai_token"}, {"channelId", nullable(channel_id)}};
  if (!thread_id.empty()) o["threadId"] = thread_id;
  o["eventId"] = event_id;
  o["bot"] = bot_json(bot);
  o["token"] = token;
  o["seq"] = seq;
  return serialize(o);
}

std::string encode_ai_reply(const std::string& channel_id, const std::string& event_id,
                            const storage::user_row& bot, const std::string& message_id,
                            const std::string& error, const std::string& code,
                            const std::string& thread_id) {
  json::object o{{"type", "ai_reply"}, {"channelId", nullable(channel_id)}};
  if (!thread_id.empty()) o["threadId"] = thread_id;
  o["eventId"] = event_id;
  o["bot"] = bot_json(bot);
  if (!message_id.empty()) o["messageId"] = message_id;
  if (!code.empty()) o["error"] = json::object{{"error", error}, {"code", code}};
  return serialize(o);
}

relay_frame decode_relay_frame(std::string_view text) {
  relay_frame f;
  json::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return f;
  auto& o = v.as_object();
  f.type = string_field(o, "type");
  f.event_id = string_field(o, "event_id");
  f.code = string_field(o, "code");
  if (f.type == "token") f.text = string_field(o, "token");
  if (f.type == "reply") f.text = string_field(o, "reply");
  if (f.type == "error") f.text = string_field(o, "error");
  if (auto it = o.find("seq"); it != o.end() && it->value().is_int64())
    f.seq = it->value().as_int64();
  return f;
}

}  // namespace relay::codec::mentions
