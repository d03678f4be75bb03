#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

namespace relay::redis {
class client;
}

namespace relay {

/// Cluster mode: a node is alive while Redis holds `relay:node:<node id>`, which the
/// session registry renews every `node_alive_every` to last `node_alive_ttl`. Whatever a
/// node keeps in Redis for the others (connection counts, where its agents are) counts
/// only while that key exists.
inline constexpr std::string_view node_alive_prefix = "relay:node:";
inline constexpr std::chrono::seconds node_alive_ttl{30};
inline constexpr std::chrono::seconds node_alive_every{10};

/// In cluster mode, where the per-user connection counts of every node live.
struct shared_counts {
  std::shared_ptr<redis::client> redis;
  std::string node_id;
};

/// Knows which live connections each token opened, so revoking a token (or logging
/// out) ends them at once, and how many each user holds, to cap them.
///
///  * `(register_atom, std::string token_id, std::string user_id, caf::actor conn)` ->
///    `bool`: false when the user already holds `max_per_user` connections; else
///    tracked until `conn` exits
///  * `(count_atom, std::string user_id)` -> `int` open connections
///  * `(revoke_atom, std::string token_id)`: sends `(revoke_atom)` to each of them
///  * `(notify_atom, std::string user_id, std::string frame)`: sends `(notify_atom, frame)`
///    to each connection of the user, in whatever room (a new notification)
///
/// With `shared` (cluster mode) the cap and the count are the user's connections on
/// every node: each node keeps its own count per user in one Redis hash per user
/// (`relay:conns:<user>`, a field per node) and says it is alive with a key that expires
/// (`relay:node:<node>`, 30 s, renewed every 10 s), so a node that died stops counting
/// within 30 s. Checking and counting a new connection is one Lua script, atomic in
/// Redis. When Redis does not answer, the node decides on its own count (and logs it).
caf::actor spawn_session_registry(caf::actor_system& sys, std::size_t max_per_user = 32,
                                  shared_counts shared = {});

}  // namespace relay
