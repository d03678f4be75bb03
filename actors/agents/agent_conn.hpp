#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/agents/fwd.hpp"
#include "actors/fwd.hpp"

namespace relay {

struct agent_conn_params {
  sink_ptr sink;
  storage::agent_row agent;
  agents::hub_actor hub;
  store_writer_actor writer;  // records last_seen and events served
  caf::actor readers;         // re-checks the token (rotations by the operator command)
  std::string token_hash;     // of the token the socket opened with
};

/// One agent's WebSocket (`/v1/ws/agent`). Delivers events handed over by sessions,
/// routes the agent's `token` / `reply` / `error` frames back to the session of their
/// event (frames for unknown or ended events are dropped), answers `ping`, and
/// forwards the app's cancellations.
///
///  * `(codec::agents::agent_frame, std::size_t bytes)` from the session
///  * `(agents::deliver_atom, std::string event_id, std::string frame, caf::actor session)`
///  * `(agents::cancel_atom, std::string event_id)`
///  * `(close_atom)` when the socket is gone; `(leave_atom)` when a newer socket of the
///    same agent replaced it (closes 4001); `(revoke_atom)` when its token was rotated
///    (closes 1008). Every `credential_check_ms` it also looks the token up again, so a
///    rotation by `relay agent rotate` (another process) closes the socket too.
caf::actor spawn_agent_conn(caf::actor_system& sys, agent_conn_params params);

}  // namespace relay
