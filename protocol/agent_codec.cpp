#include "protocol/agent_codec.hpp"

#include "protocol/json_detail.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/text.hpp"

namespace json = boost::json;

namespace relay::codec::agents {

namespace {

using detail::nullable;
using detail::parse_object;
using detail::read_string;

frame_error invalid(std::string message, std::string event_id = {}) {
  return frame_error{std::string{code_invalid_event}, std::move(message), std::move(event_id), {}};
}

std::string quoted(std::string_view key) {
  return "field '" + std::string(key) + "'";
}

/// A parsed frame whose `type` is a string; `echo_id` is its `event_id` when that is a string.
struct opened {
  json::object o;
  std::string type;
  std::string echo_id;
  std::string_view text;  // the frame as sent
};

std::variant<opened, frame_error> open_frame(std::string_view text) {
  auto parsed = parse_object(text, max_frame_depth);
  if (auto* e = std::get_if<error_info>(&parsed)) {
    if (e->code == errc::invalid_utf8) return invalid("frame is not valid UTF-8");
    if (e->message == "expected a JSON object") return invalid("frame must be a JSON object");
    return invalid(std::move(e->message));
  }
  opened f{std::move(std::get<json::object>(parsed)), {}, {}, text};
  // Echo the id on errors whenever we can read one, so peers can match failures.
  if (auto it = f.o.find("event_id"); it != f.o.end() && it->value().is_string())
    f.echo_id.assign(it->value().as_string().begin(), it->value().as_string().end());
  // A frame without a known type is a frame error: its event_id is null, whatever the
  // frame said (echoing it would end that event for the app, ahead of its real end).
  if (auto e = read_string(f.o, "type", f.type, true, false)) return invalid(std::move(e->message));
  return f;
}

frame_error unknown_type(const opened& f) {
  // Do not reflect an arbitrarily long string back at the sender.
  if (f.type.size() > 64) return invalid("unknown frame type");
  return invalid("unknown frame type '" + f.type + "'");
}

/// A required, non-empty string; `max_chars` (code points) when non-zero.
std::optional<frame_error> read_id(const opened& f, std::string_view key, std::string& out,
                                   std::size_t max_chars = 0) {
  if (auto e = read_string(f.o, key, out, true, false)) return invalid(e->message, f.echo_id);
  if (out.empty()) return invalid(quoted(key) + " must not be empty", f.echo_id);
  if (max_chars != 0 && utf8_length(out) > max_chars)
    return invalid(quoted(key) + " must be at most " + std::to_string(max_chars) + " characters",
                   f.echo_id);
  return std::nullopt;
}

/// Optional non-negative count inside `metadata`: absent or null -> nullopt. Agents often
/// measure latency in floating point, so finite fractional numbers are rounded.
std::optional<frame_error> read_count(const opened& f, const json::object& m, std::string_view key,
                                      std::optional<std::int64_t>& out) {
  auto it = m.find(key);
  if (it == m.end() || it->value().is_null()) return std::nullopt;
  const std::string name = "field 'metadata." + std::string(key) + "'";
  const auto& v = it->value();
  if (v.is_int64() && v.get_int64() >= 0) {
    out = v.get_int64();
    return std::nullopt;
  }
  if (v.is_double()) {
    double d = v.get_double();
    // 2^63 is exactly representable; anything below it fits after rounding.
    if (std::isfinite(d) && d >= 0 && d < 9223372036854775808.0) {
      out = std::llround(d);
      return std::nullopt;
    }
  }
  if (v.is_int64() || v.is_uint64() || v.is_double())
    return invalid(name + " must be a non-negative number in range", f.echo_id);
  return invalid(name + " must be a number", f.echo_id);
}

app_frame decode_event(const opened& f, std::size_t max_payload_bytes) {
  app_event ev;
  if (auto e = read_id(f, "agent_id", ev.agent_id, max_agent_id_chars)) return *e;
  if (auto e = read_id(f, "thread_id", ev.thread_id, max_thread_id_chars)) return *e;
  auto it = f.o.find("payload");
  if (it == f.o.end()) return invalid("missing field 'payload'");
  if (!it->value().is_object()) return invalid("field 'payload' must be a JSON object");
  // The payload goes to the agent as the app wrote it: byte for byte, numbers and
  // escapes included, and sized as sent.
  auto raw = detail::raw_member(f.text, "payload");
  if (!raw) return invalid("missing field 'payload'");
  if (raw->size() > max_payload_bytes)
    return frame_error{std::string{code_payload_too_large},
                       "field 'payload' is " + std::to_string(raw->size()) +
                           " bytes; the limit is " + std::to_string(max_payload_bytes),
                       {},
                       {}};
  ev.payload.assign(raw->begin(), raw->end());
  return ev;
}

/// The refusal of an event names the agent the app asked for, so an app with several
/// events out can tell which one was refused. Only a well-formed id is echoed: a
/// malformed one names no agent, and reflecting it would hand back whatever was sent.
app_frame named(const opened& f, app_frame decoded) {
  auto* e = std::get_if<frame_error>(&decoded);
  if (!e) return decoded;
  std::string id;
  if (!read_id(f, "agent_id", id, max_agent_id_chars)) e->agent_id = std::move(id);
  return decoded;
}

app_frame decode_resume(const opened& f) {
  app_resume r;
  if (auto e = read_id(f, "event_id", r.event_id)) return *e;
  auto it = f.o.find("after_seq");
  if (it == f.o.end()) return invalid("missing field 'after_seq'", f.echo_id);
  const auto& v = it->value();
  if (v.is_int64() && v.get_int64() >= 0) {
    r.after_seq = v.get_int64();
    return r;
  }
  if (v.is_uint64()) return invalid("field 'after_seq' is out of range", f.echo_id);
  return invalid("field 'after_seq' must be a non-negative integer", f.echo_id);
}

agent_frame decode_reply(const opened& f) {
  agent_reply r;
  if (auto e = read_id(f, "event_id", r.event_id)) return *e;
  if (auto e = read_string(f.o, "content", r.content, true, false))
    return invalid(e->message, f.echo_id);
  if (auto it = f.o.find("done");
      it != f.o.end() && !(it->value().is_bool() && it->value().get_bool()))
    return invalid("field 'done' must be true when present", f.echo_id);
  auto it = f.o.find("metadata");
  if (it == f.o.end() || it->value().is_null()) return r;
  if (!it->value().is_object()) return invalid("field 'metadata' must be a JSON object", f.echo_id);
  const auto& m = it->value().as_object();
  if (auto e = read_count(f, m, "tokens_used", r.metadata.tokens_used)) return *e;
  if (auto e = read_count(f, m, "latency_ms", r.metadata.latency_ms)) return *e;
  if (auto mi = m.find("model"); mi != m.end() && !mi->value().is_null()) {
    if (!mi->value().is_string())
      return invalid("field 'metadata.model' must be a string", f.echo_id);
    r.metadata.model.emplace(mi->value().as_string().begin(), mi->value().as_string().end());
  }
  return r;
}

/// `o` serialized with `"payload":<p>` added as is (the app's own text, which
/// decode_app_frame checked is an object). Anything not shaped like an object becomes
/// `{}`, so a caller's mistake cannot put something else on the wire.
std::string with_payload(const json::object& o, std::string_view p) {
  // The payload is the app's own text as the scanner found it (no surrounding space).
  if (p.size() < 2 || p.front() != '{' || p.back() != '}') p = "{}";
  auto out = json::serialize(o);
  out.pop_back();  // '}'
  out += R"(,"payload":)";
  out += p;
  out += '}';
  return out;
}

}  // namespace

bool is_contract_code(std::string_view code) noexcept {
  for (auto c :
       {code_agent_offline, code_agent_not_allowed, code_agent_timeout, code_payload_too_large,
        code_rate_limited, code_invalid_event, code_internal, code_cancelled})
    if (code == c) return true;
  return false;
}

app_frame decode_app_frame(std::string_view text, std::size_t max_payload_bytes) {
  auto opened_or = open_frame(text);
  if (auto* e = std::get_if<frame_error>(&opened_or)) return std::move(*e);
  auto& f = std::get<opened>(opened_or);
  if (f.type == "event") {
    f.echo_id.clear();  // the relay assigns event ids; an app-sent one means nothing
    return named(f, decode_event(f, max_payload_bytes));
  }
  if (f.type == "discover") return app_discover{};
  if (f.type == "ping") return app_ping{};
  if (f.type == "pong") return app_pong{};
  if (f.type == "cancel") {
    app_cancel c;
    if (auto e = read_id(f, "event_id", c.event_id)) return *e;
    return c;
  }
  if (f.type == "resume") return decode_resume(f);
  return unknown_type(f);
}

agent_frame decode_agent_frame(std::string_view text) {
  auto opened_or = open_frame(text);
  if (auto* e = std::get_if<frame_error>(&opened_or)) return std::move(*e);
  auto& f = std::get<opened>(opened_or);
  if (f.type == "token") {
    agent_token t;
    if (auto e = read_id(f, "event_id", t.event_id)) return *e;
    if (auto e = read_string(f.o, "token", t.token, true, false))
      return invalid(e->message, f.echo_id);
    return t;
  }
  if (f.type == "reply") return decode_reply(f);
  if (f.type == "error") {
    agent_error err;
    if (auto e = read_id(f, "event_id", err.event_id)) return *e;
    if (auto e = read_string(f.o, "error", err.message, true, false))
      return invalid(e->message, f.echo_id);
    if (auto e = read_id(f, "code", err.code)) return *e;
    return err;
  }
  if (f.type == "ping") return agent_ping{};
  if (f.type == "pong") return agent_pong{};
  return unknown_type(f);
}

std::string encode_accepted(const std::string& event_id, const std::string& agent_id,
                            const std::string& session_key) {
  return json::serialize(json::object{{"type", "accepted"},
                                      {"event_id", event_id},
                                      {"agent_id", agent_id},
                                      {"session_key", session_key},
                                      {"status", "accepted"}});
}

// The hottest frame of the relay (one per streamed token): written straight into one
// string instead of through a json::object, same bytes.
std::string encode_app_token(const std::string& event_id, const std::string& agent_id,
                             const std::string& token, std::int64_t seq) {
  std::string out;
  out.reserve(64 + event_id.size() + agent_id.size() + token.size());
  out += R"({"type":"token","event_id":)";
  out += json::serialize(json::string_view(event_id));
  out += R"(,"agent_id":)";
  out += json::serialize(json::string_view(agent_id));
  out += R"(,"token":)";
  out += json::serialize(json::string_view(token));
  out += R"(,"seq":)";
  out += std::to_string(seq);
  out += '}';
  return out;
}

std::string encode_reply(const std::string& event_id, const std::string& agent_id,
                         const std::string& thread_id, const std::string& reply,
                         const std::string& payload_json, const reply_metadata& m) {
  return with_payload(json::object{{"type", "reply"},
                                   {"event_id", event_id},
                                   {"agent_id", agent_id},
                                   {"thread_id", thread_id},
                                   {"reply", reply},
                                   {"metadata", json::object{{"tokens_used", m.tokens_used},
                                                             {"model", nullable(m.model)},
                                                             {"latency_ms", m.latency_ms},
                                                             {"session_key", m.session_key}}}},
                      payload_json);
}

std::string encode_app_error(const std::string& event_id, const std::string& agent_id,
                             const std::string& message, const std::string& code) {
  return json::serialize(json::object{{"type", "error"},
                                      {"event_id", nullable(event_id)},
                                      {"agent_id", nullable(agent_id)},
                                      {"error", message},
                                      {"code", code}});
}

std::string encode_agents(const std::vector<agent_status>& agents) {
  json::array a;
  a.reserve(agents.size());
  for (auto& s : agents)
    a.push_back(json::object{{"agent_id", s.agent_id},
                             {"name", s.name},
                             {"description", s.description},
                             {"status", s.online ? "online" : "offline"}});
  return json::serialize(json::object{{"type", "agents"}, {"agents", std::move(a)}});
}

std::string encode_ping() {
  return R"({"type":"ping"})";
}

std::string encode_pong() {
  return R"({"type":"pong"})";
}

std::string encode_agent_event(const std::string& event_id, const std::string& app_id,
                               const std::string& thread_id, const std::string& session_key,
                               const std::string& payload_json) {
  return with_payload(json::object{{"type", "event"},
                                   {"event_id", event_id},
                                   {"app_id", app_id},
                                   {"thread_id", thread_id},
                                   {"session_key", session_key}},
                      payload_json);
}

std::string encode_cancel(const std::string& event_id) {
  return json::serialize(json::object{{"type", "cancel"}, {"event_id", event_id}});
}

}  // namespace relay::codec::agents
