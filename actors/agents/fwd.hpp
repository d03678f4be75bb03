#pragma once

// The agent relay's interface to the rest of Relay: the hub. Rooms (@mentions of
// agent-bound bots), the REST handlers and the agent and app sockets hold this handle,
// so the compiler checks what they send and what they expect back.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/agents/messages.hpp"

namespace relay::agents {

/// The agent relay's directory (actors/agents/hub.hpp).
using hub_actor = caf::typed_actor<
    // The agent is online through `agent_conn`; an older socket of the same agent is
    // replaced (it gets `(leave_atom)` and closes with 4001).
    caf::reacts_to<join_atom, storage::agent_row, caf::actor>,
    // (app_id, agent_ids): the agents an app may address.
    caf::reacts_to<allow_atom, std::string, std::vector<std::string>>,
    // An app event is answered on `relay_event::app` by the hub itself (`accepted`
    // before the session sees it, or the refusal's error); a room bot's event
    // (`internal`) gets only the route.
    caf::replies_to<event_atom, relay_event>::with<route>,
    // Pushes the frame after the answers to every event the sender routed here before.
    caf::reacts_to<deliver_atom, sink_ptr, frame_ptr>,
    // (event_id, after_seq, app_id, app sink, app_conn): answered by the event's session.
    caf::replies_to<resume_atom, std::string, std::int64_t, std::string, sink_ptr,
                    caf::actor>::with<route>,
    // Events no longer resumable.
    caf::reacts_to<forget_atom, std::vector<std::string>>,
    // (key, events received): a session with nothing left asks to go; yes only if every
    // event routed to it has reached it.
    caf::replies_to<retire_atom, std::string, std::uint64_t>::with<bool>,
    // Every agent (the admin API's view).
    caf::replies_to<discover_atom>::with<std::vector<codec::agents::agent_status>>,
    // (app_id): the agents on the app's allowlist, which is all an app may learn of.
    caf::replies_to<discover_atom, std::string>::with<std::vector<codec::agents::agent_status>>,
    // (agent_id): its token was rotated; its socket is closed (1008).
    caf::reacts_to<revoke_atom, std::string>,
    // Cluster mode (actors/agents/remote.hpp): (agent_id, proxy) — the agent's socket is
    // on another node and events to it go to `proxy`; a null proxy: it is not.
    caf::reacts_to<remote_atom, std::string, caf::actor>>;

}  // namespace relay::agents
