#pragma once

#include <memory>
#include <string>

#include <caf/actor_system.hpp>

#include "actors/cluster/fwd.hpp"
#include "redis/client.hpp"

namespace relay::cluster {

/// Cluster mode's bridge to the other nodes: one Redis channel per room; this node
/// subscribes to the rooms that have an actor here, and hands each message from another
/// node to those actors, decoded once. Its own events come back from Redis too and are
/// dropped by node id. When the subscriber connection comes back after a loss, every
/// room hears `resync` and its channels catch up from the store.
///
/// It also carries session events: a token revoked on another node is sent to
/// `sessions` (the session registry) as `(revoke_atom, token_id)`.
///
/// Makes the Redis client (on `ex`, the Redis thread's executor) whose handlers feed the
/// bridge, starts it, and returns the link rooms use to publish and join. The client
/// stops when the returned link and the bridge are gone.
link_ptr start_bridge(caf::actor_system& sys, boost::asio::any_io_executor ex,
                      const redis::endpoint& ep, std::string node_id, caf::actor sessions);

}  // namespace relay::cluster
