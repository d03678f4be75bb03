#include "protocol/notification_codec.hpp"

#include <charconv>

#include "core/clock.hpp"
#include "protocol/json_detail.hpp"

namespace relay::codec {

using namespace detail;

namespace {

json::object notification_json(const storage::notification_row& n) {
  json::value body = json::object{};
  json::error_code ec;
  if (auto v = json::parse(n.body, ec); !ec && v.is_object()) body = v;
  return json::object{{"id", n.id},
                      {"kind", n.kind},
                      {"roomId", nullable(n.room_id)},
                      {"refId", nullable(n.ref_id)},
                      {"data", body},
                      {"state", n.state},
                      {"saved", n.saved},
                      {"visibility", n.visibility},
                      {"createdAt", format_iso8601(n.created_at)}};
}

}  // namespace

bool valid_notification_state(std::string_view s) {
  return s == "unread" || s == "read" || s == "archived";
}

std::string notification_cursor(const storage::notification_row& n) {
  return std::to_string(n.created_at) + "_" + n.id;
}

bool decode_notification_cursor(const std::string& s, std::int64_t& at, std::string& id) {
  auto cut = s.find('_');
  if (cut == std::string::npos || cut == 0 || cut + 1 == s.size()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + cut, at);
  if (ec != std::errc{} || p != s.data() + cut || at < 0) return false;
  id = s.substr(cut + 1);
  return id.size() <= 64;
}

std::string encode_notification_page(const std::vector<storage::notification_row>& ns, bool more) {
  json::array a;
  for (auto& n : ns) a.push_back(notification_json(n));
  json::value next = nullptr;
  if (more && !ns.empty()) next = json::string(notification_cursor(ns.back()));
  return json::serialize(json::object{{"notifications", std::move(a)}, {"next", next}});
}

std::string encode_notification(const storage::notification_row& n) {
  return json::serialize(notification_json(n));
}

std::string encode_notification_frame(const storage::notification_row& n) {
  return json::serialize(
      json::object{{"type", "notification"}, {"notification", notification_json(n)}});
}

std::string encode_mention_body(const std::string& room_slug, const std::string& channel_slug,
                                const storage::message_row& m, const std::string& excerpt) {
  return json::serialize(
      json::object{{"roomSlug", room_slug},
                   {"channelId", nullable(m.channel_id)},
                   {"channelSlug", nullable(m.channel_id.empty() ? "" : channel_slug)},
                   {"messageId", m.id},
                   {"threadId", nullable(m.thread_id)},
                   {"author", m.author.login},
                   {"excerpt", excerpt}});
}

std::variant<storage::notification_change, error_info> decode_notification_patch(
    std::string_view body) {
  auto parsed = parse_object(body);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  storage::notification_change c;
  for (auto& [k, v] : o) {
    if (k != "state" && k != "visibility")
      return bad(errc::bad_request,
                 "unknown field " + std::string{k} + "; expected state or visibility");
    if (!v.is_string()) return bad(errc::bad_request, std::string{k} + " must be a string");
    std::string s{v.get_string()};
    if (k == "state") {
      if (!valid_notification_state(s))
        return bad(errc::bad_request, "state must be unread, read or archived");
      c.state = s;
    } else {
      if (s != "public" && s != "private")
        return bad(errc::bad_request, "visibility must be public or private");
      c.visibility = s;
    }
  }
  if (!c.state && !c.visibility) return bad(errc::bad_request, "give state or visibility");
  return c;
}

}  // namespace relay::codec
