#pragma once

// JSON for the chat contract (docs/api.md): the only place that knows field names.
// Actors call the encoders once per event and share the bytes across recipients.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "storage/rows.hpp"

namespace relay::codec {

/// `__lobby` on the wire, "" inside.
inline constexpr std::string_view lobby_key = "__lobby";
std::string wire_channel_key(const std::string& channel_id);
std::string channel_from_wire(std::string_view key);

// -- client -> server WebSocket frames ---------------------------------------------

struct client_send {
  std::string client_msg_id;
  std::string content;  // as sent; the actor trims and checks the length
  std::string channel_id;
};
struct client_typing {
  std::string channel_id;
};
struct client_ping {};
struct client_bad {
  error_info error;
  std::string client_msg_id;  // echoed when the frame carried one
};
using client_frame = std::variant<client_send, client_typing, client_ping, client_bad>;

/// Decodes one text frame. Never throws; every defect becomes `client_bad`.
client_frame decode_client_frame(std::string_view text);

// -- REST request bodies ------------------------------------------------------------

struct post_body {
  std::string content;
  std::string channel_id;
  std::string client_msg_id;
};
struct edit_body {
  std::string content;
};
struct token_body {
  std::string name;
};
struct channel_body {
  std::string name;
  std::string slug;
  std::string visibility;
};

/// Each returns the body or a client-facing error.
std::variant<post_body, error_info> decode_post_body(std::string_view json);
std::variant<edit_body, error_info> decode_edit_body(std::string_view json);
std::variant<channel_body, error_info> decode_channel_body(std::string_view json);
std::variant<token_body, error_info> decode_token_body(std::string_view json);

// -- objects --------------------------------------------------------------------------

std::string encode_message(const storage::message_row& m);
std::string encode_user(const storage::user_row& u);  // /api/me
std::string encode_room(const storage::room_row& r, const std::optional<storage::user_row>& owner);
std::string encode_channel(const storage::channel_row& c, std::int64_t member_count);
std::string encode_channel_list(const std::vector<storage::channel_row>& cs);
/// `{messages, next}`; when `more`, `next` is the cursor after the last row:
/// `{beforeCreatedAt, beforeId}` for newest-first pages, `{afterSeq}` for resume pages.
std::string encode_message_page(const std::vector<storage::message_row>& ms, bool more,
                                bool by_seq = false);
std::string encode_error_body(const error_info& e);
/// `{id, name, createdAt, revokedAt}`; the secret only in `encode_new_token`.
std::string encode_token_list(const std::vector<storage::token_row>& ts);
std::string encode_new_token(const storage::token_row& t, const std::string& secret);
/// What `/api/health` found, one word per dependency: "ok", "fail", or "off" when it is
/// not configured.
struct health_checks {
  std::string sqlite = "off";
  std::string redis = "off";
  std::string postgres = "off";
  /// No check failed (an "off" one does not count).
  bool ok() const noexcept { return sqlite != "fail" && redis != "fail" && postgres != "fail"; }
};
/// `{ok, ts, checks: {server, redis, sqlite, postgres}}`; `ok` is `checks.ok()`.
std::string encode_health(const health_checks& checks, std::int64_t ts);

// -- server -> client frames ----------------------------------------------------------

std::string encode_sync(const std::vector<storage::message_row>& ms,
                        const std::map<std::string, std::int64_t>& seqs);
std::string encode_message_frame(const storage::message_row& m);
std::string encode_ack(const storage::message_row& m);
std::string encode_error_frame(const error_info& e, std::string_view client_msg_id);
std::string encode_pong();
std::string encode_message_updated(const storage::message_row& m);
std::string encode_message_deleted(const std::string& message_id, const std::string& channel_id);
std::string encode_channel_created(const storage::channel_row& c);
/// `reaction_added` / `reaction_removed`: who changed which emoji on `m`, and `m`'s
/// reactions after the change.
std::string encode_reaction(bool added, const storage::message_row& m, const std::string& emoji,
                            const storage::user_row& u);
std::string encode_typing(const std::string& channel_id, const storage::user_row& u);

/// SSE / resume event id: `<channelKey>:<seq>`.
std::string event_id(const std::string& channel_id, std::int64_t seq);
/// Parses `__lobby:12,ch_x:3` into channel id -> seq; nullopt when malformed.
std::optional<std::map<std::string, std::int64_t>> parse_resume(std::string_view text);

}  // namespace relay::codec
