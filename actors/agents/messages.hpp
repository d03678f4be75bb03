#pragma once

// Messages between the agent relay's actors (docs/agents.md): the hub, one actor per
// agent socket, per app socket and per session (agent, app, thread).

#include <cstdint>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "actors/messages.hpp"
#include "protocol/agent_codec.hpp"

namespace relay::agents {

using allow_atom = caf::atom_constant<caf::atom("allow")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;
using discover_atom = caf::atom_constant<caf::atom("discover")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using event_atom = caf::atom_constant<caf::atom("event")>;
using fail_atom = caf::atom_constant<caf::atom("fail")>;
using forget_atom = caf::atom_constant<caf::atom("forget")>;
using pause_atom = caf::atom_constant<caf::atom("pause")>;
using check_atom = caf::atom_constant<caf::atom("check")>;
using offline_atom = caf::atom_constant<caf::atom("offline")>;
using remote_atom = caf::atom_constant<caf::atom("remote")>;
using reply_atom = caf::atom_constant<caf::atom("reply")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using retire_atom = caf::atom_constant<caf::atom("retire")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;

/// An accepted event on its way from an app to an agent.
struct relay_event {
  std::string event_id;
  std::string app_id;
  std::string agent_id;
  std::string thread_id;
  std::string session_key;  // relay:<agent_id>:<app_id>:<thread_id>
  std::string payload;      // the app's payload object, serialized, untouched
  std::int64_t accepted_at = 0;
  sink_ptr app;           // the app's socket: token / reply / error frames go here
  caf::actor app_conn;    // told `(done_atom, event_id)` when the event ends
  bool internal = false;  // from a room's bot binding: no app allowlist applies
};

/// The hub's answer to an event or a resume: the session that holds the event (none for
/// a resume of an event that already ended), or why it was refused.
struct route {
  std::string code;  // "" = taken
  std::string message;
  caf::actor session;
};

/// How often an agent or app socket re-reads its credentials from the store: operator
/// commands run in another process and cannot tell the server.
inline constexpr std::int64_t credential_check_ms = 2000;

/// Relay's limits for events, from the configuration.
struct event_limits {
  std::int64_t deadline_ms = 120'000;      // whole event
  std::int64_t idle_ms = 30'000;           // longest gap between the agent's frames
  std::int64_t replay_ms = 30'000;         // a finished event stays resumable this long
  std::int64_t grace_ms = 0;               // an event outlives its app's socket this long
  std::size_t replay_cap_bytes = 1 << 20;  // tokens kept per event for `resume`
};

std::string session_key(const std::string& agent_id, const std::string& app_id,
                        const std::string& thread_id);

}  // namespace relay::agents

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::agents::relay_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::agents::route)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::codec::agents::app_frame)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::codec::agents::agent_frame)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::codec::agents::agent_metadata)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<relay::codec::agents::agent_status>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::storage::agent_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::storage::app_row)
