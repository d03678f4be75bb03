#pragma once

#include <array>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace relay {

/// Every runtime setting of Relay. Declared once, with its default, bounds and help, in
/// the table in options.cpp; `relay --help` and config/relay.example.toml mirror it.
/// The fields hold no defaults of their own: the constructor applies the table's, so
/// the two cannot disagree.
struct config {
  /// Every field at its option's default.
  config();
  bool operator==(const config&) const = default;

  std::string listen_host;
  std::uint16_t listen_port{};
  std::string data_dir;
  std::string log_level;
  std::int64_t io_threads{};
  std::int64_t actor_threads{};  // 0: CAF's default, max(cores, 4)
  std::int64_t reader_threads{};
  std::string sqlite_synchronous;
  std::string search_index;  // "on" | "off" (single node)
  std::int64_t max_frame_bytes{};
  std::int64_t max_body_bytes{};
  std::int64_t attachment_max_bytes{};
  std::int64_t max_content_chars{};
  std::int64_t sync_messages{};
  std::int64_t ring_messages{};
  std::int64_t resume_cache_bytes{};
  std::int64_t resume_page_messages{};
  std::int64_t resume_page_bytes{};
  std::int64_t resume_rate_bytes{};
  std::int64_t sse_ping_seconds{};
  std::int64_t presence_ttl_seconds{};
  std::int64_t out_queue_bytes{};
  std::int64_t out_queue_frames{};
  std::int64_t out_queue_burst{};
  // Per connection class (ws, sse, agent, app: metrics::conn_class order); 0 = the
  // out_queue_* caps above.
  struct queue_class {
    std::int64_t bytes{};
    std::int64_t frames{};
    std::string policy;  // drop_ephemeral | disconnect | block (app only)
    bool operator==(const queue_class&) const = default;
  };
  std::array<queue_class, 4> queues;
  std::int64_t handshake_timeout_seconds{};
  std::int64_t idle_timeout_seconds{};
  std::int64_t write_timeout_seconds{};

  // -- identity and access ---------------------------------------------------------
  std::string public_url;       // "" = http://<listen>
  std::string allowed_origins;  // comma-separated; "" = the public URL's origin
  std::string secret;           // signs cookies; "" = generated into <data_dir>/secret
  std::string oauth_authorize_url;
  std::string oauth_token_url;
  std::string oauth_user_url;
  std::string oauth_client_id;  // "" = OAuth sign-in off
  std::string oauth_client_secret;
  std::string dev_login;     // on | off; on only while listening on loopback
  std::string web_root;      // the built browser client (web/dist), served outside the API
  std::string avatar_hosts;  // comma-separated origins the client may load avatars from

  // -- abuse limits ---------------------------------------------------------------------
  std::int64_t send_rate{};  // messages a second per connection
  std::int64_t send_burst{};
  std::int64_t user_send_rate{};  // messages a second per user, all connections and REST
  std::int64_t user_send_burst{};
  std::int64_t max_connections_per_user{};

  // -- agent relay ------------------------------------------------------------------------
  std::string admins;  // comma-separated logins that may use the /v1 admin API
  std::int64_t agent_timeout_seconds{};
  std::int64_t agent_idle_seconds{};
  std::int64_t agent_replay_seconds{};        // finished events stay resumable this long
  std::int64_t agent_resume_grace_seconds{};  // an orphaned event waits this long
  std::int64_t app_event_rate{};              // events a second per app
  std::int64_t app_event_burst{};

  // -- the built-in AI bot (docs/agents.md, "The built-in AI bot") --------------------
  std::string ai_url;    // an OpenAI-compatible chat-completions URL; "" = no relay-bot
  std::string ai_model;  // e.g. llama3.1
  std::string ai_key;    // sent as `Authorization: Bearer`; "" = none (Ollama)

  // -- halls (docs/halls.md) -----------------------------------------------------------
  std::string livekit_url;         // handed to clients, e.g. wss://my-project.livekit.cloud
  std::string livekit_api_key;     // `iss` of join tokens and of LiveKit's webhooks
  std::string livekit_api_secret;  // signs join tokens, verifies webhooks
  std::int64_t hall_token_ttl_seconds{};

  // -- outbound webhooks (docs/api.md) -------------------------------------------------
  std::string webhook_allowed_hosts;  // hosts and CIDRs hooks may reach although private
  double webhook_retry_scale{};       // multiplies the retry schedule (tests)

  // -- cluster and archive (docs/operations.md) -----------------------------------------
  std::string redis_url;     // "" = one node: fan-out stays in the process
  std::string postgres_url;  // "" = SQLite only; with redis_url the store of record
  std::int64_t postgres_pool{};
  std::int64_t archive_after_seconds{};  // messages older than this move to Postgres
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

/// Sets `o` in `c` from its text `value` (as a flag, variable or file gives it). Returns
/// "" when the value is accepted, else why not, naming the option and `source`.
std::string set_option(config& c, const option_info& o, const std::string& value,
                       const std::string& source);

/// Sets the options a TOML file holds. Returns "" or why the file was refused.
std::string load_config_file(config& c, const std::string& path);

/// What the command line asked for besides options: the operator command's words
/// (e.g. {"user","add","alice"}) and its own options (`--name`), as the command table in
/// config/command_line.cpp declares them; or help (with its text) or the version.
struct command_line {
  std::vector<std::string> words;
  std::vector<std::pair<std::string, std::string>> sub_options;
  bool help = false;
  std::string usage;  // with help: the help of the command named, or of relay
  bool version = false;
};

/// Parses the command line (CLI11; config/command_line.cpp), then loads defaults, the
/// TOML file (`--config FILE` or `RELAY_CONFIG`), `RELAY_…` environment variables and
/// flags, in that order. Returns an error message naming the offending option or word
/// instead of a config when something is invalid; with --help or --version, the
/// defaults.
struct load_result {
  std::optional<config> cfg;
  command_line cmd;
  std::string error;
};
load_result load_config(int argc, char** argv);

/// Text of `relay --help`: every option with its default and variable, and the commands.
std::string help_text();

}  // namespace relay
