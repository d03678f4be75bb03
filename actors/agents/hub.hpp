#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/agents/messages.hpp"

namespace relay {

struct agent_hub_params {
  caf::actor readers;
  agents::event_limits limits;
};

/// The agent relay's directory: which agents are online (one socket each), which
/// agents each app may address, and one session actor per
/// `relay:<agent_id>:<app_id>:<thread_id>` that orders that session's events.
///
///  * `(join_atom, storage::agent_row, caf::actor agent_conn)`: the agent is online
///    through `agent_conn`; an older socket of the same agent is replaced (it gets
///    `(leave_atom)` and closes with 4001)
///  * `(agents::allow_atom, std::string app_id, std::vector<std::string> agent_ids)`
///  * `(agents::event_atom, agents::relay_event)` -> `agents::route`: the hub answers an
///    app event on `relay_event::app` itself, with `accepted` before the session sees it
///    or with the refusal's `error`; a room bot's event (`internal`) gets only the route
///  * `(agents::deliver_atom, sink_ptr, frame_ptr)`: pushes the frame, after the answers
///    to every event the sender routed here before
///  * `(agents::resume_atom, std::string event_id, int64 after_seq, std::string app_id,
///    sink_ptr, caf::actor app_conn)` -> `agents::route`, answered by the event's session
///  * `(agents::forget_atom, std::vector<std::string> event_ids)`: no longer resumable
///  * `(agents::retire_atom, std::string key, uint64 received)` -> bool: a session with
///    nothing left asks to go; yes only if every event routed to it has reached it
///  * `(agents::discover_atom)` -> `std::vector<codec::agents::agent_status>`
///  * `(revoke_atom, std::string agent_id)`: the agent's token was rotated: its socket
///    is closed (1008)
caf::actor spawn_agent_hub(caf::actor_system& sys, agent_hub_params params);

}  // namespace relay
