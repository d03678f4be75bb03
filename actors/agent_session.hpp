#pragma once

#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/agent_messages.hpp"

namespace relay {

/// One session (`relay:<agent_id>:<app_id>:<thread_id>`): the point of order for its
/// events. It hands them to the agent's socket actor in accepted order, relays the
/// agent's tokens (numbered 1, 2, 3 … per event), reply or error to the app, and ends
/// each event with exactly one terminal frame: the agent's `reply` or `error`,
/// AGENT_TIMEOUT (deadline or idle gap), AGENT_OFFLINE (the agent's socket went away)
/// or CANCELLED.
///
///  * `(agents::event_atom, agents::relay_event, caf::actor agent_conn)`
///  * `(token_atom, std::string event_id, std::string token, sink_ptr agent, size_t bytes)`
///  * `(agents::reply_atom, std::string event_id, std::string content, agent_metadata,
///    sink_ptr agent, size_t bytes)`: the agent socket's `bytes` are consumed once the
///    frame is on its way to the app
///  * `(agents::fail_atom, std::string event_id, std::string message, std::string code)`
///  * `(agents::cancel_atom, std::string event_id, bool tell_app)`
caf::actor spawn_agent_session(caf::local_actor* parent, std::string key,
                               agents::event_limits limits);

}  // namespace relay
