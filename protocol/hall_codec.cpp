#include "protocol/hall_codec.hpp"

#include <charconv>
#include <cstdint>

#include "core/clock.hpp"
#include "core/text.hpp"
#include "protocol/json_detail.hpp"

namespace relay::codec::halls {

using namespace detail;

namespace {

constexpr std::size_t max_name_chars = 200;
constexpr std::size_t max_id_chars = 256;

// A required text field: present, not blank, at most `max_chars` characters.
std::optional<error_info> read_required(const json::object& o, std::string_view key,
                                        std::string& out, std::size_t max_chars) {
  if (auto e = read_string(o, key, out, true, true)) return e;
  if (out.find_first_not_of(" \t\r\n") == std::string::npos)
    return bad(errc::missing_field, "field '" + std::string(key) + "' is empty");
  if (utf8_length(out) > max_chars)
    return bad(errc::bad_request, "field '" + std::string(key) + "' is longer than " +
                                      std::to_string(max_chars) + " characters");
  return std::nullopt;
}

// LiveKit's times in seconds, as ms. A time before 2000 or more than a day ahead of the
// receipt is a sender's bug (ms sent as seconds, a zeroed clock), not a time to bill by.
constexpr std::int64_t earliest_s = 946'684'800;  // 2000-01-01T00:00:00Z
constexpr std::int64_t max_ahead_s = 86'400;

bool sane_time_ms(std::int64_t ms, std::int64_t received_ms) {
  return ms >= earliest_s * 1000 && ms <= received_ms + max_ahead_s * 1000;
}

// The first of `keys` that is present (LiveKit writes camelCase; snake_case is accepted).
const json::value* field(const json::object& o, std::initializer_list<std::string_view> keys) {
  for (auto k : keys)
    if (auto* v = o.if_contains(k); v && !v->is_null()) return v;
  return nullptr;
}

std::string text_field(const json::object& o, std::initializer_list<std::string_view> keys) {
  auto* v = field(o, keys);
  return v && v->is_string() ? std::string(v->as_string()) : std::string{};
}

// protobuf JSON writes int64 as a string, int32 as a number; both are accepted.
std::optional<std::int64_t> int_field(const json::object& o,
                                      std::initializer_list<std::string_view> keys,
                                      bool& bad_type) {
  auto* v = field(o, keys);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->as_uint64());
  if (v->is_double() && v->as_double() >= 0 && v->as_double() < 9.2e18)
    return static_cast<std::int64_t>(v->as_double());
  if (v->is_string()) {
    auto s = v->as_string();
    std::int64_t x = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
    if (ec == std::errc{} && p == s.data() + s.size()) return x;
  }
  bad_type = true;
  return std::nullopt;
}

json::value time_or_null(const std::optional<std::int64_t>& t) {
  return t ? json::value(format_iso8601(*t)) : json::value(nullptr);
}

json::object session_json(const storage::hall_session_row& s) {
  return {{"participant_id", s.participant_id},
          {"display_name", s.display_name},
          {"role", storage::to_string(s.role)},
          {"joined_at", time_or_null(s.joined_at)}};
}

}  // namespace

std::variant<storage::hall_row, error_info> decode_create_hall(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  storage::hall_row h;
  if (auto e = read_required(o, "name", h.name, max_name_chars)) return *e;
  if (auto* v = o.if_contains("max_participants"); v && !v->is_null()) {
    if (!v->is_int64() || v->as_int64() < 1 || v->as_int64() > 100000)
      return bad(errc::bad_request, "field 'max_participants' must be an integer 1..100000");
    h.max_participants = v->as_int64();
  }
  return h;
}

std::variant<storage::hall_grant_row, error_info> decode_join(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  storage::hall_grant_row g;
  if (auto e = read_required(o, "participant_id", g.participant_id, max_id_chars)) return *e;
  if (auto e = read_required(o, "display_name", g.display_name, max_name_chars)) return *e;
  std::string role;
  if (auto e = read_string(o, "role", role, true, true)) return *e;
  const auto parsed_role = storage::parse_hall_role(role);
  if (!parsed_role) return bad(errc::invalid_role, "role must be \"publisher\" or \"subscriber\"");
  g.role = *parsed_role;
  return g;
}

std::variant<livekit_event, error_info> decode_webhook(std::string_view text,
                                                       std::int64_t received_ms) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  livekit_event ev;
  ev.event = text_field(o, {"event"});
  if (ev.event.empty()) return bad(errc::missing_field, "missing field 'event'");
  ev.id = text_field(o, {"id"});
  bool bad_type = false;
  auto created = int_field(o, {"createdAt", "created_at"}, bad_type);
  auto dropped = int_field(o, {"numDropped", "num_dropped"}, bad_type);
  if (auto* room = field(o, {"room"}); room && room->is_object())
    ev.room = text_field(room->as_object(), {"name"});
  if (auto* p = field(o, {"participant"}); p && p->is_object()) {
    auto& po = p->as_object();
    ev.identity = text_field(po, {"identity"});
    ev.name = text_field(po, {"name"});
    auto ms = int_field(po, {"joinedAtMs", "joined_at_ms"}, bad_type);
    auto s = int_field(po, {"joinedAt", "joined_at"}, bad_type);
    // protobuf JSON leaves out zero values: an absent or 0 time is no time.
    if (ms && *ms != 0)
      ev.joined_at = *ms;
    else if (s && *s != 0)
      ev.joined_at = *s > INT64_MAX / 1000 || *s < INT64_MIN / 1000 ? INT64_MIN : *s * 1000;
    if (auto* perm = field(po, {"permission"}); perm && perm->is_object())
      if (auto* cp = field(perm->as_object(), {"canPublish", "can_publish"}); cp && cp->is_bool())
        ev.can_publish = cp->as_bool();
  }
  if (bad_type) return bad(errc::bad_request, "webhook times and counts must be integers");
  if (created && *created != 0) {
    if (*created > INT64_MAX / 1000 || *created < 0 || !sane_time_ms(*created * 1000, received_ms))
      return bad(errc::bad_request, "field 'createdAt' is not a time in seconds");
    ev.created_at = *created * 1000;
  }
  if (ev.joined_at && !sane_time_ms(*ev.joined_at, received_ms))
    return bad(errc::bad_request, "field 'participant.joinedAt' is not a time in seconds");
  // Durations come from LiveKit's times, never from when a webhook arrived: an event
  // that opens or ends a session must say when.
  const bool joins = ev.event == "participant_joined";
  const bool ends = ev.event == "participant_left" ||
                    ev.event == "participant_connection_aborted" || ev.event == "room_finished";
  if (ev.created_at == 0 && (ends || (joins && !ev.joined_at)))
    return bad(errc::missing_field, "missing field 'createdAt'");
  if (ev.created_at == 0) ev.created_at = received_ms;  // unused by other events
  ev.num_dropped = dropped.value_or(0);
  return ev;
}

std::string encode_hall(const storage::hall_row& hall,
                        const std::vector<storage::hall_session_row>& sessions) {
  json::array live;
  for (auto& s : sessions)
    if (s.joined_at && !s.left_at) live.push_back(session_json(s));
  json::value max = nullptr;
  if (hall.max_participants) max = *hall.max_participants;
  return serialize(json::object{{"hall_id", hall.id},
                                {"name", hall.name},
                                {"status", hall.status},
                                {"max_participants", max},
                                {"created_at", format_iso8601(hall.created_at)},
                                {"closed_at", time_or_null(hall.closed_at)},
                                {"participants", std::move(live)}});
}

std::string encode_join(const std::string& token, const std::string& livekit_url,
                        const std::string& hall_id, const std::string& participant_id,
                        std::int64_t expires_at_ms) {
  return serialize(json::object{{"join_token", token},
                                {"livekit_url", livekit_url},
                                {"hall_id", hall_id},
                                {"participant_id", participant_id},
                                {"expires_at", format_iso8601(expires_at_ms)}});
}

std::string encode_participants(const std::string& hall_id,
                                const std::vector<storage::hall_session_row>& sessions,
                                std::int64_t now_ms) {
  json::array out;
  std::int64_t total = 0;
  for (auto& s : sessions) {
    if (!s.joined_at) continue;
    auto o = session_json(s);
    o["left_at"] = time_or_null(s.left_at);
    const auto minutes = s.left_at ? s.minutes : billing::session_minutes(*s.joined_at, now_ms);
    o["minutes"] = minutes;
    total += minutes;
    out.push_back(std::move(o));
  }
  return serialize(
      json::object{{"hall_id", hall_id}, {"sessions", std::move(out)}, {"total_minutes", total}});
}

std::string encode_usage(const std::string& period, billing::plan plan, bool test_mode,
                         const billing::usage& u) {
  auto body = serialize(json::object{{"period", period},
                                     {"plan", billing::plan_name(plan)},
                                     {"mode", test_mode ? "test" : "live"},
                                     {"included_minutes", u.included_minutes},
                                     {"used_minutes", u.used_minutes},
                                     {"overage_minutes", u.overage_minutes}});
  // Boost.JSON prints doubles in exponent form (2.468E0); the exact decimal reads better
  // and parses as the same number.
  body.pop_back();
  return body + ",\"overage_cost_usd\":" + billing::format_usd(u.overage_micro_usd) + "}";
}

std::string encode_token_metadata(storage::hall_role role, const std::string& workspace_id) {
  return serialize(
      json::object{{"role", storage::to_string(role)}, {"workspace_id", workspace_id}});
}

std::string encode_webhook_status(const std::string& status) {
  return serialize(json::object{{"status", status}});
}

}  // namespace relay::codec::halls
