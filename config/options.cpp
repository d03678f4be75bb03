#include "config/options.hpp"

#include <toml++/toml.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string_view>

namespace relay {

namespace {

using setter = std::function<std::string(config&, const std::string&)>;  // "" = ok, else why

struct option_def {
  option_info info;
  setter set;
};

std::string set_int(std::int64_t& out, const std::string& v, std::int64_t lo, std::int64_t hi) {
  std::int64_t x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc{} || p != v.data() + v.size()) return "expected an integer, got '" + v + "'";
  if (x < lo || x > hi)
    return "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + v;
  out = x;
  return {};
}

std::string set_enum(std::string& out, const std::string& v,
                     std::initializer_list<const char*> ok) {
  for (auto* o : ok)
    if (v == o) {
      out = v;
      return {};
    }
  std::string all;
  for (auto* o : ok) all += std::string(all.empty() ? "" : "|") + o;
  return "must be one of " + all + ", got '" + v + "'";
}

option_def int_opt(const char* name, std::int64_t config::*field, std::int64_t def, std::int64_t lo,
                   std::int64_t hi, const char* help) {
  std::string flag = std::string("--") + name;
  std::string env = std::string("RELAY_") + name;
  for (auto& c : flag)
    if (c == '_') c = '-';
  for (auto& c : env) c = c == '-' ? '_' : static_cast<char>(std::toupper(c));
  auto range = " (" + std::to_string(lo) + ".." + std::to_string(hi) + ")";
  return {{name, flag, env, "integer", std::to_string(def), help + range},
          [=](config& c, const std::string& v) { return set_int(c.*field, v, lo, hi); }};
}

option_def str_opt(const char* name, std::string config::*field, const char* def,
                   const char* help) {
  std::string flag = std::string("--") + name;
  std::string env = std::string("RELAY_") + name;
  for (auto& c : flag)
    if (c == '_') c = '-';
  for (auto& c : env) c = static_cast<char>(std::toupper(c));
  return {{name, flag, env, "string", def, help}, [=](config& c, const std::string& v) {
            c.*field = v;
            return std::string{};
          }};
}

// URLs the server calls or redirects to must be absolute http(s) URLs.
option_def url_opt(const char* name, std::string config::*field, const char* def,
                   const char* help) {
  auto d = str_opt(name, field, def, help);
  d.set = [=](config& c, const std::string& v) -> std::string {
    if (!v.empty() && v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0)
      return "expected an http:// or https:// URL, got '" + v + "'";
    c.*field = v;
    return {};
  };
  return d;
}

// `http(s)://host[:port]`, nothing more: each entry becomes a host source of the client's
// CSP, where a path, a wildcard, a quote or a `;` would widen the policy or end the
// directive.
bool is_web_origin(std::string_view v) {
  for (std::string_view scheme : {"https://", "http://"}) {
    if (!v.starts_with(scheme)) continue;
    auto host = v.substr(scheme.size());
    auto colon = host.find(':');
    auto port = colon == std::string_view::npos ? std::string_view{} : host.substr(colon + 1);
    host = host.substr(0, colon);
    if (host.empty() || host.front() == '.' || host.front() == '-') return false;
    for (char c : host)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return false;
    if (colon == std::string_view::npos) return true;
    if (port.empty() || port.size() > 5) return false;
    for (char c : port)
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
  }
  return false;
}

// A per-class cap: 0 (use the global out_queue_* cap) or within the global cap's range.
std::string set_cap(std::int64_t& field, const std::string& v, std::int64_t lo, std::int64_t hi) {
  std::int64_t n = 0;
  if (auto e = set_int(n, v, 0, hi); !e.empty()) return e;
  if (n != 0 && n < lo)
    return "must be 0 (the out_queue cap) or between " + std::to_string(lo) + " and " +
           std::to_string(hi) + ", got '" + v + "'";
  field = n;
  return {};
}

// <class>_queue_bytes, <class>_queue_frames and <class>_queue_policy for each
// connection class (docs/backpressure.md); 0 bytes or frames = out_queue_*.
std::vector<option_def> with_queue_options(std::vector<option_def> defs) {
  static const char* names[] = {"ws", "sse", "agent", "app"};
  static const char* what[] = {"chat WebSocket", "chat SSE stream", "agent socket", "app socket"};
  static const char* policy_help[] = {
      "drop_ephemeral (shed typing and presence, then close 4008 at the cap) or disconnect "
      "(keep them, coalesced; close 4008 at the cap)",
      "drop_ephemeral (shed typing and presence, then end the stream at the cap) or disconnect "
      "(keep them, coalesced; end the stream at the cap)",
      "drop_ephemeral or disconnect: the same for agents, which get no ephemeral frames "
      "(close 4008 at the cap)",
      "block (stop reading the agent until the app catches up) or disconnect (close 4008 at "
      "the cap)"};
  static const char* policy_default[] = {"drop_ephemeral", "drop_ephemeral", "disconnect", "block"};
  for (std::size_t i = 0; i < 4; ++i) {
    std::string n = names[i];
    auto flag = [](std::string s) {
      for (auto& c : s)
        if (c == '_') c = '-';
      return "--" + s;
    };
    auto env = [](std::string s) {
      for (auto& c : s) c = static_cast<char>(std::toupper(c));
      return "RELAY_" + s;
    };
    auto bytes = n + "_queue_bytes", frames = n + "_queue_frames", policy = n + "_queue_policy";
    defs.push_back({{bytes, flag(bytes), env(bytes), "integer", "0",
                     std::string("outbound queue cap in bytes of each ") + what[i] +
                         "; 0 = out_queue_bytes (0 or 4096..1073741824)"},
                    [i](config& c, const std::string& v) {
                      return set_cap(c.queues[i].bytes, v, 4096, std::int64_t{1} << 30);
                    }});
    defs.push_back({{frames, flag(frames), env(frames), "integer", "0",
                     std::string("outbound queue cap in frames of each ") + what[i] +
                         "; 0 = out_queue_frames (0 or 16..16777216)"},
                    [i](config& c, const std::string& v) {
                      return set_cap(c.queues[i].frames, v, 16, std::int64_t{1} << 24);
                    }});
    bool app = n == "app";
    defs.push_back(
        {{policy, flag(policy), env(policy), app ? "block|disconnect" : "drop_ephemeral|disconnect",
          policy_default[i], std::string("what a slow ") + what[i] + " does: " + policy_help[i]},
         [i, app](config& c, const std::string& v) {
           return app ? set_enum(c.queues[i].policy, v, {"block", "disconnect"})
                      : set_enum(c.queues[i].policy, v, {"drop_ephemeral", "disconnect"});
         }});
  }
  return defs;
}

const std::vector<option_def>& table() {
  static const std::vector<option_def> defs = with_queue_options({
      {{"listen", "--listen", "RELAY_LISTEN", "host:port", "127.0.0.1:8080",
        "address to serve HTTP, WebSocket and SSE on (port 0 picks a free port)"},
       [](config& c, const std::string& v) -> std::string {
         auto colon = v.rfind(':');
         if (colon == std::string::npos || colon == 0) return "expected HOST:PORT, got '" + v + "'";
         std::int64_t port = 0;
         if (auto e = set_int(port, v.substr(colon + 1), 0, 65535); !e.empty()) return "port " + e;
         c.listen_host = v.substr(0, colon);
         c.listen_port = static_cast<std::uint16_t>(port);
         return {};
       }},
      {{"data_dir", "--data-dir", "RELAY_DATA_DIR", "string", "./var",
        "directory for the SQLite database (created if missing)"},
       [](config& c, const std::string& v) -> std::string {
         if (v.empty()) return "must not be empty";
         c.data_dir = v;
         return {};
       }},
      {{"log_level", "--log-level", "RELAY_LOG_LEVEL", "trace|debug|info|warn|error|off", "info",
        "log verbosity"},
       [](config& c, const std::string& v) {
         return set_enum(c.log_level, v, {"trace", "debug", "info", "warn", "error", "off"});
       }},
      int_opt("io_threads", &config::io_threads, 1, 1, 64, "threads running network I/O"),
      int_opt("actor_threads", &config::actor_threads, 0, 0, 64,
              "actor scheduler threads; 0 = max(cores, 4)"),
      int_opt("reader_threads", &config::reader_threads, 2, 1, 32,
              "dedicated threads for blocking store reads"),
      {{"sqlite_synchronous", "--sqlite-synchronous", "RELAY_SQLITE_SYNCHRONOUS", "full|normal",
        "full",
        "full: every commit is fsynced before its ack (survives power loss); normal: survives "
        "process crashes only"},
       [](config& c, const std::string& v) {
         return set_enum(c.sqlite_synchronous, v, {"full", "normal"});
       }},
      {{"search_index", "--search-index", "RELAY_SEARCH_INDEX", "on|off", "on",
        "single node: off stops indexing messages for search (search answers 503), to measure "
        "what indexing costs; on again re-indexes at start (docs/operations.md)"},
       [](config& c, const std::string& v) {
         return set_enum(c.search_index, v, {"on", "off"});
       }},
      int_opt("max_frame_bytes", &config::max_frame_bytes, 64 * 1024, 1024, 16 << 20,
              "largest inbound WebSocket message in bytes"),
      int_opt("max_body_bytes", &config::max_body_bytes, 64 * 1024, 1024, 16 << 20,
              "largest HTTP request body in bytes"),
      int_opt("attachment_max_bytes", &config::attachment_max_bytes, 25 << 20, 1024, 1 << 30,
              "largest file POST /api/attachments accepts, in bytes (413 past it)"),
      int_opt("max_content_chars", &config::max_content_chars, 4000, 1, 100000,
              "longest message content in characters, after trimming"),
      int_opt("sync_messages", &config::sync_messages, 20, 0, 100,
              "messages in the sync frame sent on connect"),
      int_opt("ring_messages", &config::ring_messages, 256, 20, 100000,
              "recent messages each channel keeps in memory for sync and resume"),
      int_opt("resume_cache_bytes", &config::resume_cache_bytes, 4 << 20, 0, std::int64_t{1} << 30,
              "bytes of store pages each channel keeps for resumes, so a crowd resuming at "
              "once reads each page once (0: no cache)"),
      int_opt("resume_page_messages", &config::resume_page_messages, 256, 1, 1000,
              "most messages per channel a resume sends at once (in the sync, then per page)"),
      int_opt("resume_page_bytes", &config::resume_page_bytes, 256 * 1024, 4096, 16 << 20,
              "most bytes per channel a resume sends at once; the rest follows as the client "
              "reads"),
      int_opt("resume_rate_bytes", &config::resume_rate_bytes, 32 << 20, 0, std::int64_t{1} << 40,
              "bytes a second all paged resumes together may send, so clients coming back far "
              "behind cannot starve live traffic (0: unlimited)"),
      int_opt("sse_ping_seconds", &config::sse_ping_seconds, 20, 1, 3600,
              "interval of SSE ping events"),
      int_opt("presence_ttl_seconds", &config::presence_ttl_seconds, 75, 10, 600,
              "a user is online while they have a room socket open or heartbeated "
              "(POST /api/rooms/:slug/presence) within this many seconds"),
      int_opt("out_queue_bytes", &config::out_queue_bytes, 1 << 20, 4096, 1 << 30,
              "per-connection outbound queue cap in bytes; past it the client is closed (4008)"),
      int_opt("out_queue_frames", &config::out_queue_frames, 8192, 16, 1 << 24,
              "per-connection outbound queue cap in frames; past it the client is closed (4008)"),
      int_opt("out_queue_burst", &config::out_queue_burst, 4, 1, 16,
              "a client still reading (no write stuck for 250 ms) may queue this many times its "
              "caps while a burst goes out; one that stopped reading is held to the caps. 1 "
              "makes the caps hard for every client"),
      int_opt("handshake_timeout_seconds", &config::handshake_timeout_seconds, 10, 1, 600,
              "time a client has to send a complete HTTP request"),
      int_opt("idle_timeout_seconds", &config::idle_timeout_seconds, 90, 5, 86400,
              "a WebSocket that sends nothing (not even a pong) for this long is closed; Relay "
              "pings at half of it"),
      int_opt("write_timeout_seconds", &config::write_timeout_seconds, 30, 1, 3600,
              "a connection (HTTP, WebSocket or SSE) whose socket takes no byte of a pending "
              "write for this long is closed"),
      url_opt("public_url", &config::public_url, "",
              "URL users reach Relay at, e.g. https://chat.example.com (OAuth redirects, Origin "
              "checks); empty = http://<listen>"),
      str_opt("allowed_origins", &config::allowed_origins, "",
              "comma-separated origins allowed to open WebSockets with a session cookie; empty = "
              "the public URL's origin"),
      str_opt("secret", &config::secret, "",
              "key that signs session cookies (share it between nodes); empty = generated once "
              "into <data_dir>/secret"),
      url_opt("oauth_authorize_url", &config::oauth_authorize_url,
              "https://github.com/login/oauth/authorize", "OAuth provider's authorize URL"),
      url_opt("oauth_token_url", &config::oauth_token_url,
              "https://github.com/login/oauth/access_token", "OAuth provider's token URL"),
      url_opt("oauth_user_url", &config::oauth_user_url, "https://api.github.com/user",
              "OAuth provider's user profile URL"),
      str_opt("oauth_client_id", &config::oauth_client_id, "",
              "OAuth app client id; empty = sign-in with GitHub is off"),
      str_opt("oauth_client_secret", &config::oauth_client_secret, "", "OAuth app client secret"),
      {{"dev_login", "--dev-login", "RELAY_DEV_LOGIN", "on|off", "off",
        "GET /auth/dev?login=NAME signs in without OAuth; refused unless Relay listens on "
        "loopback and the request is not proxied"},
       [](config& c, const std::string& v) {
         return set_enum(c.dev_login, v, {"on", "off"});
       }},
      {{"web_root", "--web-root", "RELAY_WEB_ROOT", "string", "web/dist",
        "directory of the built browser client, served at every GET path outside the API; "
        "relative to the working directory (make run starts Relay in the checkout). Read on "
        "each request: until it holds index.html, / answers 503 saying the client is not built"},
       [](config& c, const std::string& v) -> std::string {
         if (v.empty()) return "must not be empty (a directory; it need not exist yet)";
         c.web_root = v;
         return {};
       }},
      {{"avatar_hosts", "--avatar-hosts", "RELAY_AVATAR_HOSTS", "string",
        "https://avatars.githubusercontent.com",
        "comma-separated origins (http(s)://host[:port]) the browser client may load avatar "
        "images from, added to its CSP img-src; its own origin always may. Empty = only "
        "same-origin avatars, others show initials"},
       [](config& c, const std::string& v) -> std::string {
         std::string list;
         std::string_view rest = v;
         while (!rest.empty()) {
           auto comma = rest.find(',');
           auto entry = rest.substr(0, comma);
           rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
           while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
           while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
           if (entry.empty()) continue;
           if (!is_web_origin(entry))
             return "expected comma-separated origins such as "
                    "https://avatars.githubusercontent.com "
                    "(scheme, host and optional port; no path), got '" +
                    std::string(entry) + "'";
           list += (list.empty() ? "" : ",") + std::string(entry);
         }
         c.avatar_hosts = list;
         return {};
       }},
      int_opt("send_rate", &config::send_rate, 10, 1, 100000,
              "messages a second one connection may send (token bucket)"),
      int_opt("send_burst", &config::send_burst, 20, 1, 100000,
              "burst of messages one connection may send"),
      int_opt("user_send_rate", &config::user_send_rate, 20, 1, 100000,
              "messages a second one user may send over all connections, REST and cluster nodes"),
      int_opt("user_send_burst", &config::user_send_burst, 40, 1, 100000,
              "burst of messages one user may send"),
      int_opt("max_connections_per_user", &config::max_connections_per_user, 32, 1, 100000,
              "concurrent WebSocket and SSE connections one user may hold"),
      str_opt("admins", &config::admins, "",
              "comma-separated logins allowed to use the agent relay admin API (/v1/agents, "
              "/v1/apps); the operator commands need no login"),
      int_opt("agent_timeout_seconds", &config::agent_timeout_seconds, 120, 1, 86400,
              "an agent must finish an event within this time (AGENT_TIMEOUT)"),
      int_opt("agent_idle_seconds", &config::agent_idle_seconds, 30, 1, 86400,
              "longest silence of an agent between frames of one event (AGENT_TIMEOUT)"),
      int_opt("agent_replay_seconds", &config::agent_replay_seconds, 30, 0, 3600,
              "how long a finished event's tokens and outcome stay available to `resume`"),
      int_opt("agent_resume_grace_seconds", &config::agent_resume_grace_seconds, 0, 0, 600,
              "how long an event outlives its app's socket, waiting for a `resume`, before "
              "it is cancelled at the agent (0: cancelled at once)"),
      int_opt("app_event_rate", &config::app_event_rate, 50, 1, 1000000,
              "events a second one app may send, over all nodes (token bucket; RATE_LIMITED)"),
      int_opt("app_event_burst", &config::app_event_burst, 100, 1, 1000000,
              "burst of events one app may send"),
      url_opt("ai_url", &config::ai_url, "",
              "the built-in AI bot's OpenAI-compatible chat-completions URL, e.g. "
              "http://127.0.0.1:11434/v1/chat/completions (Ollama); empty = no relay-bot"),
      str_opt("ai_model", &config::ai_model, "", "the model the AI bot asks for, e.g. llama3.1"),
      str_opt("ai_key", &config::ai_key, "",
              "the AI bot's API key for its model server (empty: none, as Ollama needs)"),
      {{"livekit_url", "--livekit-url", "RELAY_LIVEKIT_URL", "string", "",
        "LiveKit server URL handed to clients with their join token (wss://, ws://, https:// "
        "or http://); empty = hall joins answer 503"},
       [](config& c, const std::string& v) -> std::string {
         for (auto* scheme : {"wss://", "ws://", "https://", "http://"})
           if (v.rfind(scheme, 0) == 0 && v.size() > std::string_view(scheme).size()) {
             c.livekit_url = v;
             return {};
           }
         if (v.empty()) {
           c.livekit_url.clear();
           return {};
         }
         return "expected a wss://, ws://, https:// or http:// URL, got '" + v + "'";
       }},
      str_opt("livekit_api_key", &config::livekit_api_key, "",
              "LiveKit API key: the issuer of join tokens and of LiveKit's webhooks"),
      str_opt("livekit_api_secret", &config::livekit_api_secret, "",
              "LiveKit API secret: signs join tokens and verifies webhooks (keep it private)"),
      int_opt("hall_token_ttl_seconds", &config::hall_token_ttl_seconds, 600, 10, 86400,
              "lifetime of a hall join token (LiveKit only checks it when the client connects)"),
      str_opt("webhook_allowed_hosts", &config::webhook_allowed_hosts, "",
              "comma-separated hosts and CIDRs (10.0.0.0/8, ::1) outbound webhooks may reach "
              "although they are loopback, private or link-local; empty = only public addresses"),
      {{"webhook_retry_scale", "--webhook-retry-scale", "RELAY_WEBHOOK_RETRY_SCALE", "number", "1",
        "test and operator knob: multiplies the outbound webhook retry schedule (5s, 30s, 2m, "
        "10m, 1h, 3h, 6h, 12h); 0.01 runs it 100 times faster (0.0001..100)"},
       [](config& c, const std::string& v) -> std::string {
         char* end = nullptr;
         const double x = std::strtod(v.c_str(), &end);
         if (v.empty() || end != v.c_str() + v.size() || !(x >= 0.0001 && x <= 100))
           return "expected a number from 0.0001 to 100, got '" + v + "'";
         c.webhook_retry_scale = x;
         return {};
       }},
      {{"redis_url", "--redis-url", "RELAY_REDIS_URL", "string", "",
        "redis://HOST[:PORT][/DB] shared by the nodes of a cluster (with postgres_url); empty = "
        "one node"},
       [](config& c, const std::string& v) -> std::string {
         if (!v.empty() && (v.rfind("redis://", 0) != 0 || v.size() == 8))
           return "expected a redis://HOST[:PORT][/DB] URL, got '" + v + "'";
         c.redis_url = v;
         return {};
       }},
      {{"postgres_url", "--postgres-url", "RELAY_POSTGRES_URL", "string", "",
        "postgresql://USER[:PASSWORD]@HOST[:PORT]/DB: the archive of old messages on one node, "
        "the store of record with redis_url; empty = SQLite only"},
       [](config& c, const std::string& v) -> std::string {
         if (!v.empty() && v.rfind("postgresql://", 0) != 0 && v.rfind("postgres://", 0) != 0)
           return "expected a postgresql:// URL, got '" + v + "'";
         c.postgres_url = v;
         return {};
       }},
      int_opt("postgres_pool", &config::postgres_pool, 4, 1, 64,
              "cluster mode: Postgres connections of each node's store readers (the writer "
              "holds one more)"),
      {{"archive_after", "--archive-after", "RELAY_ARCHIVE_AFTER", "duration", "90d",
        "with postgres_url and no redis_url: messages older than this move from SQLite to "
        "Postgres (a number with s, m, h or d; at least 1s)"},
       [](config& c, const std::string& v) -> std::string {
         std::int64_t n = 0;
         const std::string digits = v.empty() ? v : v.substr(0, v.size() - 1);
         const char unit = v.empty() ? '\0' : v.back();
         const std::int64_t scale = unit == 's'   ? 1
                                    : unit == 'm' ? 60
                                    : unit == 'h' ? 3600
                                    : unit == 'd' ? 86400
                                                  : 0;
         if (scale == 0 || !set_int(n, digits, 1, std::int64_t{36500} * 86400 / scale).empty())
           return "expected a duration of at least 1s such as 90d, 12h, 30m or 1s, got '" + v + "'";
         c.archive_after_seconds = n * scale;
         return {};
       }},
  });
  return defs;
}

std::string apply(config& c, const option_def& d, const std::string& value, const char* source) {
  auto why = d.set(c, value);
  if (why.empty()) return {};
  return "invalid value for option '" + d.info.name + "' (" + source + "): " + why;
}

// toml++ 3.3.0 (Debian 12) asks is_non_ascii_horizontal_whitespace() about a non-ASCII
// code point wherever white space may stand, and for the code points below that function
// runs into TOML_UNREACHABLE (__builtin_unreachable: undefined behaviour, not an error):
// a line starting with `é`, a multi-line basic string's line after a backslash, and where
// a syntax error stops the parser (upstream marzer/tomlplusplus#190, fixed by #305; found
// by tests/fuzz/config_toml). Telling those places apart needs the parser's own view of
// the text, which a syntax error changes (a lexer of strings and comments was fooled by a
// value like 9949'''9 followed by U+01C5), so such a code point is refused anywhere in the
// file. The ranges are the function's table cells with no case of their own.
bool toml_whitespace_hazard(std::uint32_t cp) {
  return (cp >= 0xA1 && cp <= 0x499) || (cp >= 0x2C5E && cp <= 0x2FFF) ||
         (cp >= 0x3001 && cp <= 0x3057) || (cp >= 0xFB26 && cp <= 0xFEFE);
}

// The line of the first such code point, or 0.
std::size_t toml_hazard_line(std::string_view t) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < t.size();) {
    const auto c = static_cast<unsigned char>(t[i]);
    if (c == '\n') ++line;
    if (c < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
    std::uint32_t cp = c & (0x3F >> n);
    std::size_t k = 1;
    for (; k <= n && i + k < t.size() && (t[i + k] & 0xC0) == 0x80; ++k)
      cp = cp << 6 | (t[i + k] & 0x3F);
    if (k == n + 1 && toml_whitespace_hazard(cp)) return line;
    i += k;
  }
  return 0;
}

}  // namespace

std::string load_config_file(config& c, const std::string& path) {
  toml::table tbl;
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot read config file " + path;
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (auto line = toml_hazard_line(text))
    return "cannot read config file " + path + ": line " + std::to_string(line) +
           " holds a character (U+00A1..U+0499 or a few other ranges) that this build's TOML "
           "parser fails on; write it as a \\u escape in a string";
  try {
    tbl = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << "cannot read config file " << path << ": " << e.description() << " at "
       << e.source().begin;
    return os.str();
  }
  for (auto& [key, node] : tbl) {
    const option_def* d = nullptr;
    for (auto& def : table())
      if (def.info.name == key.str()) d = &def;
    if (!d) return "unknown option '" + std::string(key.str()) + "' in " + path;
    std::string value;
    // Exact types only: value<std::int64_t>() also converts a float, and toml++ 3.3 casts
    // one past the range of int64 without a check (undefined behaviour; found by
    // tests/fuzz/config_toml with `max_body_bytes = 9999999999999999990.99`).
    if (auto s = node.value_exact<std::string>())
      value = *s;
    else if (auto i = node.value_exact<std::int64_t>())
      value = std::to_string(*i);
    else
      return "option '" + d->info.name + "' in " + path + " must be a string or an integer";
    if (auto e = apply(c, *d, value, path.c_str()); !e.empty()) return e;
  }
  return {};
}

config::config() {
  // A default its own option refuses is a mistake in the table; the config test builds
  // one, so it never reaches a server.
  for (auto& d : table())
    if (auto e = d.set(*this, d.info.default_value); !e.empty())
      throw std::logic_error("default of option '" + d.info.name + "': " + e);
}

const std::vector<option_info>& options() {
  static const std::vector<option_info> infos = [] {
    std::vector<option_info> v;
    for (auto& d : table()) v.push_back(d.info);
    return v;
  }();
  return infos;
}

std::string set_option(config& c, const option_info& o, const std::string& value,
                       const std::string& source) {
  for (auto& d : table())
    if (d.info.name == o.name) return apply(c, d, value, source.c_str());
  return "unknown option '" + o.name + "'";
}

}  // namespace relay
