#include "protocol/thread_codec.hpp"

#include "core/clock.hpp"
#include "protocol/json_detail.hpp"

namespace relay::codec {

using namespace detail;

namespace {

json::object thread_json(const storage::thread_row& t) {
  return {{"id", t.id},
          {"roomId", t.room_id},
          {"channelId", nullable(t.channel_id)},
          {"rootId", t.root_id},
          {"replyCount", t.reply_count},
          {"lastReplyAt", nullable_time(t.last_reply_at)},
          {"createdAt", format_iso8601(t.created_at)}};
}

}  // namespace

std::variant<reply_body, error_info> decode_reply_body(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  reply_body b;
  if (auto e = read_string(o, "content", b.content, true, false)) return *e;
  if (auto e = read_string(o, "clientMsgId", b.client_msg_id, false, true)) return *e;
  if (b.client_msg_id.size() > 128)
    return make_error(errc::bad_request, "clientMsgId over 128 characters");
  return b;
}

std::string encode_thread_created(const storage::thread_row& t) {
  return json::serialize(json::object{{"threadId", t.id}, {"thread", thread_json(t)}});
}

std::string encode_reply_page(const storage::thread_row& t,
                              const std::optional<storage::message_row>& root,
                              const std::vector<storage::message_row>& replies, bool more) {
  std::string out = R"({"thread":)";
  out += json::serialize(thread_json(t));
  out += R"(,"root":)";
  if (root)
    append_message(out, *root);
  else
    out += "null";
  out += R"(,"replies":)";
  append_messages(out, replies);
  out += R"(,"next":)";
  if (more && !replies.empty())
    out += json::serialize(json::object{{"afterSeq", replies.back().seq}});
  else
    out += "null";
  out += '}';
  return out;
}

std::string encode_thread_updated(const storage::thread_row& t,
                                  const std::optional<storage::message_row>& root) {
  std::string out = R"({"type":"thread_updated","channelId":)";
  out += json::serialize(nullable(t.channel_id));
  out += R"(,"threadId":)";
  append_string(out, t.id);
  out += R"(,"rootId":)";
  append_string(out, t.root_id);
  out += R"(,"replyCount":)";
  out += std::to_string(t.reply_count);
  out += R"(,"lastReplyAt":)";
  out += json::serialize(nullable_time(t.last_reply_at));
  out += R"(,"message":)";
  if (root)
    append_message(out, *root);
  else
    out += "null";
  out += '}';
  return out;
}

}  // namespace relay::codec
