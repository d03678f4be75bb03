#pragma once

#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/agents/fwd.hpp"

namespace relay {

/// One session (`relay:<agent_id>:<app_id>:<thread_id>`): the point of order for its
/// events. It hands them to the agent's socket actor in accepted order, relays the
/// agent's tokens (numbered 1, 2, 3 … per event), reply or error to the app, and ends
/// each event with exactly one terminal frame: the agent's `reply` or `error`,
/// AGENT_TIMEOUT (deadline or idle gap), AGENT_OFFLINE (the agent's socket went away)
/// or CANCELLED.
///
/// Each event's tokens are logged (core/token_log.hpp) so an app can `resume` it from
/// another socket: the tokens after its `after_seq` are replayed, then the event goes on
/// live there, or its terminal frame follows if it had ended (kept `replay_ms`). When an
/// app's socket goes away, its events wait `grace_ms` for a resume before they are
/// cancelled at the agent. A session with nothing in flight or kept asks the hub to
/// retire it.
///
///  * `(agents::event_atom, agents::relay_event, caf::actor agent_conn)`
///  * `(token_atom, std::string event_id, std::string token, sink_ptr agent, size_t bytes)`
///  * `(agents::reply_atom, std::string event_id, std::string content, agent_metadata,
///    sink_ptr agent, size_t bytes)`: the agent socket's `bytes` are consumed once the
///    frame is on its way to the app
///  * `(agents::fail_atom, std::string event_id, std::string message, std::string code)`
///  * `(agents::cancel_atom, std::string event_id, bool by_app)`: by the app (CANCELLED
///    now), or its socket went away (the grace starts)
///  * `(agents::resume_atom, std::string event_id, int64 after_seq, std::string app_id,
///    sink_ptr app, caf::actor app_conn)` -> `agents::route`
caf::actor spawn_agent_session(caf::local_actor* parent, std::string key,
                               agents::event_limits limits);

}  // namespace relay
