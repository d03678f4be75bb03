#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "actors/agents/fwd.hpp"
#include "actors/chat/fwd.hpp"
#include "actors/cluster/fwd.hpp"
#include "actors/fwd.hpp"
#include "actors/halls/fwd.hpp"
#include "api/http_exchange.hpp"
#include "auth/livekit.hpp"
#include "auth/oauth.hpp"
#include "auth/webhook_target.hpp"
#include "core/rate_limit.hpp"
#include "core/stream_cursors.hpp"

namespace relay {

namespace redis {
class client;
}  // namespace redis

struct api_context {
  room_directory_actor directory;
  store_writer_actor writer;
  caf::actor readers;
  caf::actor registry;
  std::size_t max_content_chars = 4000;
  std::int64_t presence_ttl_seconds = 75;        // told to heartbeating clients
  std::int64_t attachment_max_bytes = 25 << 20;  // largest uploaded file
  bool search_indexed = true;  // --search-index off: nothing is indexed, search answers 503

  // -- identity and access ------------------------------------------------------
  std::string secret;                           // signs session and OAuth-state cookies
  std::string public_url;                       // e.g. http://127.0.0.1:8080 (no trailing /)
  bool public_url_configured = false;           // set by the operator, not derived
  std::vector<std::string> allowed_origins;     // for cookie-authenticated requests
  bool secure_cookies = false;                  // public URL is https
  std::optional<auth::oauth_config> oauth;      // none: sign-in with GitHub is off
  bool dev_login = false;                       // effective: configured on and loopback-only
  std::shared_ptr<keyed_limiter> user_sends;    // per-user send bucket, shared process-wide
  std::shared_ptr<keyed_limiter> hook_posts;    // per-incoming-webhook post bucket
  std::shared_ptr<byte_budget> resume_budget;   // bytes/s all paged resumes share
  std::shared_ptr<stream_cursors> sse_cursors;  // what SSE streams wrote, for their reconnects
  std::int64_t max_connections_per_user = 32;
  // Every actor request a REST handler sends is bounded by what is left of this, counted
  // from the request's arrival: far above a commit's fsync under load, far below a client
  // giving up. Past it the client gets 503 with Retry-After.
  std::chrono::milliseconds request_timeout{10'000};

  // -- agent relay -------------------------------------------------------------------
  agents::hub_actor agent_hub;
  std::vector<std::string> admins;            // logins allowed on the /v1 admin API
  std::shared_ptr<keyed_limiter> app_events;  // per-app event bucket

  // -- halls (docs/halls.md) ---------------------------------------------------------
  hall_directory_actor halls;          // the hall directory
  auth::livekit::credentials livekit;  // empty: joins and webhooks answer 503
  std::string livekit_url;             // handed to clients with their join token
  std::int64_t hall_token_ttl_seconds = 600;

  // -- outbound webhooks ---------------------------------------------------------------
  // Addresses a hook's URL may reach although private (--webhook-allowed-hosts).
  std::shared_ptr<const auth::webhook_allowlist> webhook_allow;

  // -- cluster mode ----------------------------------------------------------------
  std::shared_ptr<redis::client> redis;  // null without --redis-url
  // Cluster mode (Postgres is the store of record, SQLite unused): the other nodes.
  cluster::link_ptr cluster;
};

/// Serves one HTTP request of the chat API (docs/api.md): authenticates it, applies
/// the rules, asks the room or the store, and answers through the responder. Lives
/// for one request; room streams are handed to the responder as `stream(...)`.
void spawn_api_request(caf::actor_system& sys, const api_context& ctx, http_request req,
                       responder_ptr out);

}  // namespace relay
