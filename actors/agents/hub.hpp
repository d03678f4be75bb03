#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/agents/fwd.hpp"
#include "actors/cluster/fwd.hpp"

namespace relay {

struct agent_hub_params {
  caf::actor readers;
  agents::event_limits limits;
  cluster::link_ptr cluster;  // cluster mode: agents on one node serve apps on every node
};

/// The agent relay's directory: which agents are online (one socket each), which
/// agents each app may address, and one session actor per
/// `relay:<agent_id>:<app_id>:<thread_id>` that orders that session's events. Its
/// messages: `agents::hub_actor` (actors/agents/fwd.hpp).
agents::hub_actor spawn_agent_hub(caf::actor_system& sys, agent_hub_params params);

}  // namespace relay
