#pragma once

#include <array>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace relay {

/// Every runtime setting of Relay. Declared once, with bounds and help, in the
/// table in options.cpp; `relay --help` and config/relay.example.toml mirror it.
struct config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::string data_dir = "./var";
  std::string log_level = "info";
  std::int64_t io_threads = 1;
  std::int64_t actor_threads = 0;  // 0: CAF's default, max(cores, 4)
  std::int64_t reader_threads = 2;
  std::string sqlite_synchronous = "full";
  std::int64_t max_frame_bytes = 64 * 1024;
  std::int64_t max_body_bytes = 64 * 1024;
  std::int64_t max_content_chars = 4000;
  std::int64_t sync_messages = 20;
  std::int64_t ring_messages = 256;
  std::int64_t resume_cache_bytes = 4 << 20;
  std::int64_t resume_page_messages = 256;
  std::int64_t resume_page_bytes = 256 * 1024;
  std::int64_t resume_rate_bytes = 32 << 20;
  std::int64_t sse_ping_seconds = 20;
  std::int64_t out_queue_bytes = 1024 * 1024;
  std::int64_t out_queue_frames = 8192;
  std::int64_t out_queue_burst = 4;
  // Per connection class (ws, sse, agent, app: metrics::conn_class order); 0 = the
  // out_queue_* caps above.
  struct queue_class {
    std::int64_t bytes = 0;
    std::int64_t frames = 0;
    std::string policy;  // drop_ephemeral | disconnect | block (app only)
  };
  std::array<queue_class, 4> queues{
      {{0, 0, "drop_ephemeral"}, {0, 0, "drop_ephemeral"}, {0, 0, "disconnect"}, {0, 0, "block"}}};
  std::int64_t handshake_timeout_seconds = 10;
  std::int64_t idle_timeout_seconds = 90;
  std::int64_t write_timeout_seconds = 30;

  // -- identity and access ---------------------------------------------------------
  std::string public_url;       // "" = http://<listen>
  std::string allowed_origins;  // comma-separated; "" = the public URL's origin
  std::string secret;           // signs cookies; "" = generated into <data_dir>/secret
  std::string oauth_authorize_url = "https://github.com/login/oauth/authorize";
  std::string oauth_token_url = "https://github.com/login/oauth/access_token";
  std::string oauth_user_url = "https://api.github.com/user";
  std::string oauth_client_id;  // "" = OAuth sign-in off
  std::string oauth_client_secret;
  std::string dev_login = "off";  // on | off; on only while listening on loopback

  // -- abuse limits ---------------------------------------------------------------------
  std::int64_t send_rate = 10;  // messages a second per connection
  std::int64_t send_burst = 20;
  std::int64_t user_send_rate = 20;  // messages a second per user, all connections and REST
  std::int64_t user_send_burst = 40;
  std::int64_t max_connections_per_user = 32;

  // -- agent relay ------------------------------------------------------------------------
  std::string admins;  // comma-separated logins that may use the /v1 admin API
  std::int64_t agent_timeout_seconds = 120;
  std::int64_t agent_idle_seconds = 30;
  std::int64_t agent_replay_seconds = 30;       // finished events stay resumable this long
  std::int64_t agent_resume_grace_seconds = 0;  // an orphaned event waits this long
  std::int64_t app_event_rate = 50;             // events a second per app
  std::int64_t app_event_burst = 100;

  // -- halls (docs/halls.md) -----------------------------------------------------------
  std::string livekit_url;         // handed to clients, e.g. wss://my-project.livekit.cloud
  std::string livekit_api_key;     // `iss` of join tokens and of LiveKit's webhooks
  std::string livekit_api_secret;  // signs join tokens, verifies webhooks
  std::int64_t hall_token_ttl_seconds = 600;
};

/// One option: how it is named everywhere and what it accepts.
struct option_info {
  std::string name;  // key in the TOML file, e.g. "data_dir"
  std::string flag;  // "--data-dir"
  std::string env;   // "RELAY_DATA_DIR"
  std::string kind;  // "string", "integer", "host:port", one of "a|b"
  std::string default_value;
  std::string help;
};

/// The option table, in the order `--help` lists it.
const std::vector<option_info>& options();

/// What the command line asked for besides options: the operator subcommand and its
/// positional words (e.g. {"user","add","alice"}) and sub-options (`--name`).
struct command_line {
  std::vector<std::string> words;
  std::vector<std::pair<std::string, std::string>> sub_options;
  bool help = false;
  bool version = false;
};

/// Loads defaults, then the TOML file (`--config FILE` or `RELAY_CONFIG`), then
/// `RELAY_…` environment variables, then flags. Returns an error message naming
/// the offending option instead of a config when a value is invalid.
struct load_result {
  std::optional<config> cfg;
  command_line cmd;
  std::string error;
};
load_result load_config(int argc, char** argv);

/// Text of `relay --help`.
std::string help_text();

}  // namespace relay
