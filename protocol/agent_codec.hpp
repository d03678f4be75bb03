#pragma once

// JSON for the agent contract: apps on /v1/ws/app, agents on /v1/ws/agent. Every frame is
// a JSON text object with a `type`; this is the only place that knows the frame and field
// names. Pure functions over bytes: no I/O, never throws (short of allocation failure).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace relay::codec::agents {

/// Error codes of the agent contract.
inline constexpr std::string_view code_agent_offline = "AGENT_OFFLINE";
inline constexpr std::string_view code_agent_not_allowed = "AGENT_NOT_ALLOWED";
inline constexpr std::string_view code_agent_timeout = "AGENT_TIMEOUT";
inline constexpr std::string_view code_payload_too_large = "PAYLOAD_TOO_LARGE";
inline constexpr std::string_view code_rate_limited = "RATE_LIMITED";
inline constexpr std::string_view code_invalid_event = "INVALID_EVENT";
inline constexpr std::string_view code_internal = "RELAY_INTERNAL_ERROR";
inline constexpr std::string_view code_cancelled = "CANCELLED";

/// True for one of the eight contract codes above.
bool is_contract_code(std::string_view code) noexcept;

/// Limits on identifiers, counted in Unicode code points.
inline constexpr std::size_t max_agent_id_chars = 64;
inline constexpr std::size_t max_thread_id_chars = 256;
inline constexpr std::size_t default_max_payload_bytes = 64 * 1024;
/// How deeply a frame may nest (the frame's own object is level 1, so a payload may nest
/// 255 levels). The contract limits only the payload's size, so the cap is far past what
/// a real payload uses; it is there because a parsed value is destroyed recursively, and
/// 256 levels stay a few KB of stack where a 64 KB frame of `[` would be 32,000 levels.
inline constexpr std::size_t max_frame_depth = 256;

/// A frame that could not be decoded. `code` is INVALID_EVENT or PAYLOAD_TOO_LARGE;
/// `message` names the offending field; `event_id` is echoed when the frame carried one
/// as a string (never for an app `event`, whose id the relay assigns), else "".
/// `agent_id` is the agent an app `event` named, when it named a well-formed one, so
/// the app can tell which of its requests was refused; else "".
struct frame_error {
  std::string code;
  std::string message;
  std::string event_id;
  std::string agent_id;
};

// -- app -> relay -----------------------------------------------------------------------

struct app_event {
  std::string agent_id;   // 1..64 code points
  std::string thread_id;  // 1..256 code points
  std::string payload;    // the JSON object as the app wrote it, <= max_payload_bytes
};
struct app_discover {};
struct app_ping {};
struct app_pong {};
struct app_cancel {
  std::string event_id;
};
struct app_resume {
  std::string event_id;
  std::int64_t after_seq = 0;
};
using app_frame =
    std::variant<app_event, app_discover, app_ping, app_pong, app_cancel, app_resume, frame_error>;

/// Decodes one app text frame. `max_payload_bytes` caps the length of `payload` as
/// sent: exactly at the cap is accepted, one byte over is PAYLOAD_TOO_LARGE.
app_frame decode_app_frame(std::string_view text,
                           std::size_t max_payload_bytes = default_max_payload_bytes);

// -- agent -> relay ---------------------------------------------------------------------

struct agent_token {
  std::string event_id;
  std::string token;  // may be empty
};
/// Every field is optional. Numbers must be non-negative; fractional values are rounded.
struct agent_metadata {
  std::optional<std::int64_t> tokens_used;
  std::optional<std::string> model;
  std::optional<std::int64_t> latency_ms;
};
struct agent_reply {
  std::string event_id;
  std::string content;  // may be empty
  agent_metadata metadata;
};
struct agent_error {
  std::string event_id;
  std::string message;  // the frame's `error`
  std::string code;     // non-empty; not checked against the contract list (see is_contract_code)
};
struct agent_ping {};
struct agent_pong {};
using agent_frame =
    std::variant<agent_token, agent_reply, agent_error, agent_ping, agent_pong, frame_error>;

/// Decodes one agent text frame.
agent_frame decode_agent_frame(std::string_view text);

// -- relay -> app / agent (compact JSON, fields in contract order) ----------------------

struct reply_metadata {
  std::int64_t tokens_used = 0;
  std::string model;  // "" -> null
  std::int64_t latency_ms = 0;
  std::string session_key;
};
struct agent_status {
  std::string agent_id;
  std::string name;
  std::string description;
  bool online = false;
};

/// `{type:"accepted", event_id, agent_id, session_key, status:"accepted"}`
std::string encode_accepted(const std::string& event_id, const std::string& agent_id,
                            const std::string& session_key);
/// `{type:"token", event_id, agent_id, token, seq}`
std::string encode_app_token(const std::string& event_id, const std::string& agent_id,
                             const std::string& token, std::int64_t seq);
/// `{type:"reply", event_id, agent_id, thread_id, reply, payload, metadata:{tokens_used,
/// model, latency_ms, session_key}}`. `payload_json` is embedded as is, byte for byte
/// (text not shaped like an object becomes `{}`).
std::string encode_reply(const std::string& event_id, const std::string& agent_id,
                         const std::string& thread_id, const std::string& reply,
                         const std::string& payload_json, const reply_metadata& m);
/// `{type:"error", event_id, agent_id, error, code}`; "" ids -> null.
std::string encode_app_error(const std::string& event_id, const std::string& agent_id,
                             const std::string& message, const std::string& code);
/// `{type:"agents", agents:[{agent_id, name, description, status:"online"|"offline"}]}`
std::string encode_agents(const std::vector<agent_status>& agents);
std::string encode_ping();  // {"type":"ping"}
std::string encode_pong();  // {"type":"pong"}
/// `{type:"event", event_id, app_id, thread_id, session_key, payload}` (payload as for
/// encode_reply).
std::string encode_agent_event(const std::string& event_id, const std::string& app_id,
                               const std::string& thread_id, const std::string& session_key,
                               const std::string& payload_json);
/// `{type:"cancel", event_id}`
std::string encode_cancel(const std::string& event_id);

}  // namespace relay::codec::agents
