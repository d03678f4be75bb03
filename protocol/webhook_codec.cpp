#include "protocol/webhook_codec.hpp"

#include <algorithm>

#include "core/clock.hpp"
#include "protocol/json_detail.hpp"

namespace relay::codec {

using namespace detail;

namespace {

constexpr std::size_t max_url = 2048;
constexpr std::size_t max_description = 500;

std::optional<error_info> read_events(const json::object& o, std::vector<std::string>& out) {
  auto* v = o.if_contains("events");
  if (!v || !v->is_array() || v->as_array().empty())
    return make_error(errc::bad_request, "events must be a non-empty array of event names");
  out.clear();
  for (auto& e : v->as_array()) {
    if (!e.is_string()) return make_error(errc::bad_request, "events must hold strings");
    std::string name{e.as_string()};
    if (std::find(webhook_event_names.begin(), webhook_event_names.end(), name) ==
        webhook_event_names.end()) {
      std::string known;
      for (auto n : webhook_event_names) known += (known.empty() ? "" : ", ") + std::string{n};
      return make_error(errc::bad_request, "events: unknown event '" + name.substr(0, 64) +
                                               "' (known: " + known + ")");
    }
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  return std::nullopt;
}

std::optional<error_info> read_url(const json::object& o, std::string& out) {
  auto* v = o.if_contains("url");
  if (!v || !v->is_string() || v->as_string().empty())
    return make_error(errc::bad_request, "url must be an http or https URL");
  if (v->as_string().size() > max_url)
    return make_error(errc::bad_request, "url over 2048 characters");
  out = std::string{v->as_string()};
  return std::nullopt;
}

json::value opt_int(const std::optional<std::int64_t>& v) {
  if (!v) return nullptr;
  return *v;
}

json::object webhook_json(const storage::webhook_row& w) {
  json::array events;
  for (auto& e : w.events) events.emplace_back(e);
  json::value last = nullptr;
  if (!w.last_state.empty())
    last = json::object{{"state", w.last_state},
                        {"statusCode", opt_int(w.last_status_code)},
                        {"at", nullable_time(w.last_attempt_at)}};
  return json::object{{"id", w.id},
                      {"url", w.url},
                      {"events", std::move(events)},
                      {"description", w.description},
                      {"enabled", w.enabled},
                      {"disabledReason", nullable(w.disabled_reason)},
                      {"failureCount", w.failure_count},
                      {"lastDelivery", std::move(last)},
                      {"createdAt", format_iso8601(w.created_at)}};
}

json::object delivery_json(const storage::webhook_delivery_row& d) {
  return json::object{
      {"id", d.id},
      {"event", d.event},
      {"webhookMessageId", d.msg_id},
      {"attempt", d.attempt},
      {"state", d.state},
      {"statusCode", opt_int(d.status_code)},
      {"latencyMs", opt_int(d.latency_ms)},
      {"error", nullable(d.error)},
      {"nextAttemptAt", d.state == "pending" ? json::value(format_iso8601(d.next_attempt_at))
                                             : json::value(nullptr)},
      {"createdAt", format_iso8601(d.created_at)},
      {"updatedAt", format_iso8601(d.updated_at)}};
}

}  // namespace

std::variant<webhook_body, error_info> decode_webhook_body(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  webhook_body b;
  if (auto e = read_url(o, b.url)) return *e;
  if (auto e = read_events(o, b.events)) return *e;
  if (auto e = read_string(o, "description", b.description, false, true)) return *e;
  if (b.description.size() > max_description)
    return make_error(errc::bad_request, "description over 500 characters");
  return b;
}

std::variant<storage::webhook_change, error_info> decode_webhook_change(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  storage::webhook_change c;
  if (o.contains("url")) {
    std::string url;
    if (auto e = read_url(o, url)) return *e;
    c.url = std::move(url);
  }
  if (o.contains("events")) {
    std::vector<std::string> events;
    if (auto e = read_events(o, events)) return *e;
    c.events = std::move(events);
  }
  if (auto* v = o.if_contains("enabled")) {
    if (!v->is_bool()) return make_error(errc::bad_request, "enabled must be true or false");
    c.enabled = v->as_bool();
  }
  if (!c.url && !c.events && !c.enabled)
    return make_error(errc::bad_request, "nothing to change: send url, events or enabled");
  return c;
}

std::string encode_webhook(const storage::webhook_row& w) {
  return json::serialize(webhook_json(w));
}

std::string encode_webhook_with_secret(const storage::webhook_row& w) {
  auto o = webhook_json(w);
  o["secret"] = w.secret;
  return json::serialize(o);
}

std::string encode_webhooks(const std::vector<storage::webhook_row>& ws) {
  json::array a;
  for (auto& w : ws) a.emplace_back(webhook_json(w));
  return json::serialize(json::object{{"webhooks", std::move(a)}});
}

std::string encode_webhook_delivery(const storage::webhook_delivery_row& d) {
  return json::serialize(delivery_json(d));
}

std::string encode_webhook_deliveries(const std::vector<storage::webhook_delivery_row>& ds) {
  json::array a;
  for (auto& d : ds) a.emplace_back(delivery_json(d));
  return json::serialize(json::object{{"deliveries", std::move(a)}});
}

std::string encode_reply_event(const storage::thread_row& t, const storage::message_row& reply) {
  std::string out = R"({"threadId":)";
  append_string(out, t.id);
  out += R"(,"rootId":)";
  append_string(out, t.root_id);
  out += R"(,"channelId":)";
  append_nullable(out, t.channel_id);
  out += R"(,"replyCount":)";
  out += std::to_string(t.reply_count);
  out += R"(,"message":)";
  append_message(out, reply);
  out += '}';
  return out;
}

std::string encode_member_joined(const std::string& channel_id, const storage::user_row& u) {
  return json::serialize(json::object{
      {"channelId", nullable(channel_id)},
      {"user", author_json(storage::author_row{u.id, u.login, u.name, u.avatar_url})}});
}

}  // namespace relay::codec
