#pragma once

#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/agents/fwd.hpp"
#include "core/rate_limit.hpp"

namespace relay {

struct app_conn_params {
  sink_ptr sink;
  storage::app_row app;
  agents::hub_actor hub;
  std::shared_ptr<keyed_limiter> events;  // per-app event bucket, shared by its sockets
  caf::actor readers;                     // re-reads the app (allowlist changes)
  std::string token_hash;                 // of the token the socket opened with
};

/// One app's WebSocket (`/v1/ws/app`). Answers each `event` with `accepted` at once
/// (with a Relay-generated `event_id` and the `session_key`) and hands it to the hub;
/// the session then streams the agent's frames straight to this socket. Answers
/// `discover`, `ping` and `cancel`; when the socket goes away, its in-flight events
/// are cancelled at the agent. Every `credential_check_ms` it reads its app again, so
/// `relay app allow` (another process) takes effect on open sockets too.
///
///  * `(codec::agents::app_frame, std::size_t bytes)` from the session
///  * `(agents::done_atom, std::string event_id)` from a session: the event ended
///  * `(close_atom)` when the socket is gone
caf::actor spawn_app_conn(caf::actor_system& sys, app_conn_params params);

}  // namespace relay
