#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/agents/fwd.hpp"
#include "actors/cluster/fwd.hpp"

namespace relay {

/// Cluster mode's agent relay between nodes (docs/architecture.md "Cluster mode"): an
/// agent whose socket is on node A serves an app on node B. One per node, spawned and
/// linked by the hub.
///
/// Where each agent is: the Redis hash `relay:agents` (agent id -> node), changed only
/// together with an announcement on the channel `relay:agents` (one Lua script, so the
/// hash and the announcements are in one order). Every node applies the announcements in
/// the order Redis delivers them, the same on every node, so "the newest socket wins"
/// holds across nodes: a node whose agent is announced on another node after its own
/// announcement closes its socket (4001). Every 10 s, at start and after Redis comes back,
/// the node reads the hash again, dropping agents of nodes whose `relay:node:<id>` key
/// (the session registry's heartbeat) has expired: a node killed with `kill -9` loses its
/// agents within 30 s.
///
/// The traffic: for each agent online on another node, the hub routes events to a proxy
/// actor, which the session takes for the agent's socket actor; the proxy sends the
/// event to the agent's node on that node's channel `relay:agents:<node>`, where this
/// actor hands it to the agent's socket and stands in for the session, sending the
/// tokens, the reply or the error back on the app's node's channel. One Redis connection
/// publishes everything a node sends, so tokens and the final reply arrive in the
/// agent's order. Cancels, timeouts and an app falling behind (pause) cross the other
/// way. When the agent's socket closes, its node says `gone` for each event in flight
/// there (after the frames the agent sent before), and its proxies on the other nodes go
/// once the agent is announced offline or elsewhere: their sessions end what is left with
/// AGENT_OFFLINE. A frame lost while Redis is down ends its event with AGENT_TIMEOUT.
///
/// Messages, besides those of the agent socket and session protocols it stands in for:
///  * from the hub: `(join_atom, std::string agent_id, caf::actor agent_conn)`
///  * to the hub: `(agents::remote_atom, std::string agent_id, caf::actor proxy)`, a
///    null proxy when the agent has no socket on another node
caf::actor spawn_agent_remote(caf::local_actor* hub, cluster::link_ptr link);

}  // namespace relay
